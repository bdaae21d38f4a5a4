/**
 * Vision-language models ("image-text-to-text"): a user's fine-tuned VLM, prompted with an
 * instruction, answering in text from which the LaTeX is extracted (src/latex/extract.ts).
 * The counterpart of src/model/engine.ts (image-to-text, VisionEncoderDecoder): the same
 * injection style, the caller passes the transformers.js module it imported (web or Node), so
 * this file has no environment-specific imports.
 *
 * transformers.js 4.3.2 has no image-text-to-text pipeline, so the processor and the model are
 * used directly (tests/fixtures/tiny-vlm/README.md, ../shared/docs/transformersjs-model-format.md §7):
 * AutoConfig → AutoProcessor + AutoModelForImageTextToText; the prompt is the processor's chat
 * template applied to one user turn [image, instruction] with the generation prompt; the
 * processor is called with the argument order of its class (LlavaProcessor(images, text),
 * Idefics3Processor(text, images), Gemma4Processor(text, images, audio, options) ...);
 * generate() runs greedily and returns prompt + new tokens, so the prompt is sliced off before
 * decoding. Tokens stream through a transformers.js BaseStreamer (onToken), and a
 * StoppingCriteria ends generation when the caller's AbortSignal (or cancelled()) says so.
 *
 * The instruction is part of the model's input: a fine-tune answers well only to the instruction
 * it was trained with. A model folder can declare it in config.json as `latex_ocr_instruction`
 * (trainingInstruction()); otherwise DEFAULT_INSTRUCTION is used, and the caller may override both.
 */
import type * as TJS from '@huggingface/transformers';
import type { Raster } from '../image/raster.ts';
import { prepareForModel } from '../image/prepare.ts';
import type { Device, LoadProgress, TokenInfo } from '../worker-api/ocr.ts';
import { extract } from '../latex/extract.ts';
import { capMaxNewTokens } from '../schema/model-config.ts';
import { DEFAULT_INSTRUCTION, MAX_INSTRUCTION_CHARS } from '../schema/limits.ts';
import { DecodeCancelled, DEFAULT_MAX_NEW_TOKENS, tokenInfo, topKSoftmax, type Transformers } from './engine.ts';

/** The instruction used when neither the caller nor the model folder gives one (the one the project's VLM fine-tunes use). */
export { DEFAULT_INSTRUCTION };

/** The longest instruction accepted, from a caller or a model folder (UTF-16 units); one number with links and history (src/schema/limits.ts). */
export { MAX_INSTRUCTION_CHARS };

/** The config.json field a model folder declares its training instruction in. */
export const INSTRUCTION_FIELD = 'latex_ocr_instruction';

// The processor and model are typed loosely: AutoProcessor / AutoModelForImageTextToText return base
// classes, and the VLM-specific members (apply_chat_template on a processor, generate()'s VLM
// inputs) are not in transformers.js' public types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** How a processor class takes its inputs (its `_call` signature in transformers.js 4.3.2). */
export type ProcessorCallOrder = 'images-text' | 'text-images' | 'text-images-audio';

/** How the prompt is built: the chat template, or (PaliGemma) the instruction as a plain prefix. */
export type PromptStyle = 'chat' | 'prefix';

export interface VlmConfigSupport {
  supported: boolean;
  /** Why (not): one sentence for the page or the CLI. */
  reason: string;
  modelType?: string;
  /** The transformers.js class AutoModelForImageTextToText would construct. */
  modelClass?: string;
}

/**
 * model_type → transformers.js class, for the image-text-to-text models this module drives.
 * Every one is in transformers.js 4.3.2's MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES
 * (src/models/registry.js), is a decoder-only generate() with the generic or its own VLM forward,
 * and ships a processor whose argument order is known (PROCESSOR_ORDER). Only `llava` is exercised
 * by a test (tests/fixtures/tiny-vlm); the others are supported by reading transformers.js' source.
 */
const SUPPORTED: Readonly<Record<string, string>> = {
  llava: 'LlavaForConditionalGeneration',
  lighton_ocr: 'LightOnOcrForConditionalGeneration', // a Llava subclass, an OCR VLM
  idefics3: 'Idefics3ForConditionalGeneration',
  smolvlm: 'SmolVLMForConditionalGeneration',
  qwen2_vl: 'Qwen2VLForConditionalGeneration',
  qwen2_5_vl: 'Qwen2_5_VLForConditionalGeneration',
  qwen3_vl: 'Qwen3VLForConditionalGeneration',
  qwen3_vl_moe: 'Qwen3VLMoeForConditionalGeneration',
  qwen3_5: 'Qwen3_5ForConditionalGeneration',
  qwen3_5_moe: 'Qwen3_5MoeForConditionalGeneration',
  glm_ocr: 'GlmOcrForConditionalGeneration', // a Qwen2.5-VL subclass, an OCR VLM
  gemma3: 'Gemma3ForConditionalGeneration',
  gemma3n: 'Gemma3nForConditionalGeneration',
  gemma4: 'Gemma4ForConditionalGeneration',
  lfm2_vl: 'Lfm2VlForConditionalGeneration',
  lfm3_vl: 'Lfm3VlForConditionalGeneration',
  mistral3: 'Mistral3ForConditionalGeneration',
  paligemma: 'PaliGemmaForConditionalGeneration',
};

/** model_types transformers.js can load as image-text-to-text, refused here, and why. */
const REFUSED: Readonly<Record<string, string>> = {
  florence2:
    'Florence-2 is an encoder-decoder prompted with task tokens (such as <OCR>) through its own post-processing, not a chat template with an instruction',
  moondream1: 'transformers.js 4.3.2 has no processor for Moondream 1',
  llava_onevision: 'transformers.js 4.3.2 has no LLaVA-OneVision processor (its anyres image inputs)',
  llava_qwen2: 'nanoLLaVA (llava_qwen2) has no processor in transformers.js 4.3.2',
  phi3_v: 'transformers.js loads Phi-3-vision as Phi3VForCausalLM with its own sessions, not as an image-text-to-text model',
  multi_modality: 'Janus (multi_modality) uses its own conversation processor and image generation heads',
  'vision-encoder-decoder': 'this is an image-to-text (encoder-decoder) model, without an instruction: the OCR engine (src/model/engine.ts) loads it',
};

const CONDITIONAL_GENERATION = /ForConditionalGeneration$/;

/**
 * Whether a config.json describes a vision-language model this module can load and prompt, and
 * why (not). Conservative: the model_type must be one transformers.js 4.3.2 maps to an
 * image-text-to-text class AND whose processor takes an image with a text prompt in a known
 * argument order (SUPPORTED); encoder-decoders and models with their own prompting schemes are
 * refused with a reason (REFUSED). When config.json lists `architectures`, one must be a
 * *ForConditionalGeneration class: a text-only export of a VLM (Gemma3ForCausalLM, with only
 * embed_tokens and the decoder) would load without its vision encoder and ignore the image.
 */
export function vlmConfigSupport(config: unknown): VlmConfigSupport {
  if (!config || typeof config !== 'object') return { supported: false, reason: 'config.json is not a JSON object' };
  const c = config as Record<string, unknown>;
  const modelType = typeof c.model_type === 'string' ? c.model_type : undefined;
  if (!modelType) return { supported: false, reason: 'config.json has no model_type' };
  if (c.is_encoder_decoder === true && !REFUSED[modelType])
    return { supported: false, modelType, reason: `an encoder-decoder model (${modelType}) takes no instruction here` };
  const refused = REFUSED[modelType];
  if (refused) return { supported: false, modelType, reason: refused };
  const modelClass = SUPPORTED[modelType];
  if (!modelClass)
    return {
      supported: false,
      modelType,
      reason: `model_type "${modelType}" is not a vision-language model this app can run (supported: ${Object.keys(SUPPORTED).join(', ')})`,
    };
  const archs = Array.isArray(c.architectures) ? c.architectures.filter((a): a is string => typeof a === 'string') : [];
  if (archs.length && !archs.some((a) => CONDITIONAL_GENERATION.test(a)))
    return {
      supported: false,
      modelType,
      modelClass,
      reason: `config.json's architectures (${archs.join(', ')}) name no *ForConditionalGeneration class: a text-only export of a ${modelType} model has no vision encoder`,
    };
  return { supported: true, modelType, modelClass, reason: `${modelType}: loaded as ${modelClass}` };
}

/** transformers.js' file suffix per dtype (src/utils/dtypes.js DEFAULT_DTYPE_SUFFIX_MAPPING). */
const DTYPE_SUFFIX: Readonly<Record<string, string>> = {
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

/**
 * The files a VLM folder needs for a dtype (one for all sessions, or one per session file), the
 * counterpart of engine.ts' requiredFiles() for the OCR service's user-folder check. The sessions
 * are transformers.js' (src/models/session_config.js): embed_tokens, vision_encoder and
 * decoder_model_merged; Gemma 3n and Gemma 4 always load an audio_encoder too. The processor's
 * own files (processor_config.json, chat_template.jinja) are optional and not listed. An
 * unknown dtype name throws.
 */
export function vlmRequiredFiles(modelType: string, dtype: VlmDtype = 'fp32'): string[] {
  const sessions = ['embed_tokens', 'vision_encoder', 'decoder_model_merged'];
  if (modelType === 'gemma3n' || modelType === 'gemma4') sessions.push('audio_encoder');
  const onnx = sessions.map((name) => {
    const d = typeof dtype === 'string' ? dtype : (dtype[name] ?? 'fp32');
    const suffix = DTYPE_SUFFIX[d];
    if (suffix === undefined) throw new Error(`unknown dtype "${d}" (one of ${Object.keys(DTYPE_SUFFIX).join(', ')})`);
    return `onnx/${name}${suffix}.onnx`;
  });
  return ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', ...onnx];
}

/** vlmConfigSupport(config).supported: whether a config.json is a vision-language model this module can run. */
export function isVisionLanguageConfig(config: unknown): boolean {
  return vlmConfigSupport(config).supported;
}

/**
 * The processor classes' argument orders, most derived first (SmolVLMProcessor is
 * Idefics3Processor; Qwen2_5_VL/Qwen3VL/Glm46V extend Qwen2VLProcessor). Matched with
 * instanceof against the caller's transformers.js module, not by constructor name (bundlers
 * may rename classes).
 */
const PROCESSOR_ORDER: readonly [string, ProcessorCallOrder][] = [
  ['Gemma4Processor', 'text-images-audio'],
  ['Gemma3nProcessor', 'text-images-audio'],
  ['Gemma3Processor', 'text-images'],
  ['Idefics3Processor', 'text-images'],
  ['Qwen2VLProcessor', 'text-images'],
  ['LlavaProcessor', 'images-text'],
  ['PixtralProcessor', 'images-text'],
  ['Lfm2VlProcessor', 'images-text'],
  ['Lfm3VlProcessor', 'images-text'],
  ['PaliGemmaProcessor', 'images-text'],
];

/** The argument order of a loaded processor; throws for a processor this module does not know. */
export function processorCallOrder(tjs: Transformers, processor: unknown): ProcessorCallOrder {
  for (const [name, order] of PROCESSOR_ORDER) {
    const cls = (tjs as unknown as Record<string, unknown>)[name];
    if (typeof cls === 'function' && processor instanceof (cls as new () => unknown)) return order;
  }
  const name = (processor as { constructor?: { name?: string } })?.constructor?.name ?? typeof processor;
  throw new Error(
    `the model's processor (${name}) is not one this app knows how to call with an image and a prompt; preprocessor_config.json's processor_class should name one of ${PROCESSOR_ORDER.map(([n]) => n).join(', ')}`,
  );
}

/** A checked instruction: a string of at most MAX_INSTRUCTION_CHARS. */
export function checkInstruction(instruction: unknown, where = 'the instruction'): string {
  if (typeof instruction !== 'string') throw new TypeError(`${where} must be text`);
  if (instruction.length > MAX_INSTRUCTION_CHARS)
    throw new RangeError(`${where} is too long (${instruction.length.toLocaleString('en')} characters; at most ${MAX_INSTRUCTION_CHARS.toLocaleString('en')})`);
  return instruction;
}

/**
 * The instruction a model folder declares it was trained with: config.json's
 * `latex_ocr_instruction` (a string of at most MAX_INSTRUCTION_CHARS), or null. A declared value
 * that is not such a string is an error naming the file and the field, not silently ignored.
 */
export function readTrainingInstruction(config: unknown): string | null {
  const v = config && typeof config === 'object' ? (config as Record<string, unknown>)[INSTRUCTION_FIELD] : undefined;
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.trim() === '') throw new Error(`config.json: ${INSTRUCTION_FIELD} must be a non-empty string`);
  return checkInstruction(v, `config.json: ${INSTRUCTION_FIELD}`);
}

export interface VlmModel {
  kind: 'vlm';
  modelId: string;
  processor: Loose;
  model: Loose;
  /** config.json as transformers.js parsed it. */
  config: Record<string, unknown>;
  modelType: string;
  modelClass: string;
  callOrder: ProcessorCallOrder;
  promptStyle: PromptStyle;
  /** config.json's latex_ocr_instruction, or null. */
  trainingInstruction: string | null;
  device: Device;
  /** The dtype of every session, one word when they agree ("fp32"), else "embed_tokens=q8, vision_encoder=fp16, ...". */
  dtype: string;
  dtypes: Record<string, string>;
  loadMs: number;
}

/** A dtype for all sessions, or one per session file (VLM exports often mix: q4f16 decoder, fp16 vision encoder). */
export type VlmDtype = string | Record<string, string>;

export interface VlmLoadOptions {
  device: Device;
  /** Omitted: config.json's transformers.js_config.dtype, else transformers.js' default for the device. */
  dtype?: VlmDtype;
  onProgress?: (p: LoadProgress) => void;
  /** onnxruntime session options (threads ...), passed to every session. */
  sessionOptions?: Record<string, unknown>;
}

/** The instruction a loaded model was trained with (config.json's latex_ocr_instruction), or null. */
export function trainingInstruction(model: Pick<VlmModel, 'trainingInstruction'>): string | null {
  return model.trainingInstruction;
}

function progressCallback(onProgress?: (p: LoadProgress) => void) {
  return onProgress
    ? (p: Record<string, unknown>) =>
        onProgress({
          file: String(p.file ?? p.name ?? ''),
          status: p.status as LoadProgress['status'],
          loaded: typeof p.loaded === 'number' ? p.loaded : undefined,
          total: typeof p.total === 'number' ? p.total : undefined,
        })
    : undefined;
}

/** Whether a processor has a chat template (chat_template.jinja, or tokenizer_config.json's chat_template). */
function hasChatTemplate(processor: Loose): boolean {
  return Boolean(processor?.chat_template || processor?.tokenizer?.chat_template);
}

/**
 * Load a vision-language model: its config is checked first (vlmConfigSupport), then the
 * processor and the model load together. Throws with the reason when the folder is not a
 * supported VLM, its processor is unknown, or it has no chat template (PaliGemma excepted: its
 * prompt is a plain prefix).
 */
export async function loadVlm(tjs: Transformers, modelId: string, opts: VlmLoadOptions): Promise<VlmModel> {
  const t0 = performance.now();
  const progress_callback = progressCallback(opts.onProgress);
  const config = (await tjs.AutoConfig.from_pretrained(modelId, { progress_callback } as Loose)) as unknown as Record<string, unknown>;
  const support = vlmConfigSupport(config);
  if (!support.supported) throw new Error(`not a vision-language model this app can run: ${support.reason}`);
  const training = readTrainingInstruction(config);
  const [processorResult, modelResult] = await Promise.allSettled([
    tjs.AutoProcessor.from_pretrained(modelId, { progress_callback } as Loose),
    tjs.AutoModelForImageTextToText.from_pretrained(modelId, {
      config,
      device: opts.device,
      ...(opts.dtype !== undefined ? { dtype: opts.dtype } : {}),
      ...(opts.sessionOptions ? { session_options: opts.sessionOptions } : {}),
      progress_callback,
    } as Loose),
  ]);
  const model: Loose = modelResult.status === 'fulfilled' ? modelResult.value : null;
  try {
    if (processorResult.status === 'rejected') throw processorResult.reason;
    if (modelResult.status === 'rejected') throw modelResult.reason;
    const processor: Loose = processorResult.value;
    const callOrder = processorCallOrder(tjs, processor);
    const paligemma = (tjs as unknown as Record<string, unknown>).PaliGemmaProcessor;
    const isPaliGemma = typeof paligemma === 'function' && processor instanceof (paligemma as new () => unknown);
    let promptStyle: PromptStyle;
    if (hasChatTemplate(processor)) promptStyle = 'chat';
    else if (isPaliGemma) promptStyle = 'prefix';
    else throw new Error('the model has no chat template (chat_template.jinja, or chat_template in tokenizer_config.json), so its prompt cannot be built');
    const dtypes: Record<string, string> = {};
    for (const [name, session] of Object.entries(model.sessions ?? {})) {
      const d = (session as Loose)?.config?.dtype;
      if (typeof d === 'string') dtypes[name] = d;
    }
    const distinct = [...new Set(Object.values(dtypes))];
    const dtype =
      distinct.length === 1
        ? distinct[0]
        : distinct.length === 0
          ? typeof opts.dtype === 'string'
            ? opts.dtype
            : 'unknown'
          : Object.entries(dtypes)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ');
    return {
      kind: 'vlm',
      modelId,
      processor,
      model,
      config,
      modelType: support.modelType!,
      modelClass: support.modelClass!,
      callOrder,
      promptStyle,
      trainingInstruction: training,
      device: opts.device,
      dtype,
      dtypes,
      loadMs: performance.now() - t0,
    };
  } catch (e) {
    await Promise.resolve(model?.dispose?.()).catch(() => undefined); // refused or half-loaded: free its sessions
    throw e;
  }
}

/** Free a model's sessions. */
export async function disposeVlm(model: VlmModel): Promise<void> {
  await Promise.resolve(model.model?.dispose?.());
}

/** Which instruction a recognition uses, and where it came from. */
export function resolveInstruction(model: Pick<VlmModel, 'trainingInstruction'>, asked?: string): { instruction: string; source: 'caller' | 'model' | 'default' } {
  if (asked !== undefined) return { instruction: checkInstruction(asked), source: 'caller' };
  if (model.trainingInstruction !== null) return { instruction: model.trainingInstruction, source: 'model' };
  return { instruction: DEFAULT_INSTRUCTION, source: 'default' };
}

/**
 * The prompt text for an instruction: the chat template applied to one user turn holding the
 * image then the instruction, with the generation prompt (so the model answers next). The image
 * goes first, as in the fine-tunes' training data; PaliGemma takes the instruction as a prefix.
 */
export function vlmPrompt(model: Pick<VlmModel, 'processor' | 'promptStyle'>, instruction: string): string {
  if (model.promptStyle === 'prefix') return instruction;
  const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: instruction }] }];
  const prompt = model.processor.apply_chat_template(messages, { add_generation_prompt: true });
  if (typeof prompt !== 'string') throw new Error('the chat template did not render to text');
  return prompt;
}

/**
 * Run the processor on an image and a prompt, in its class's argument order. A chat-template
 * prompt already holds the special tokens it needs (BOS ...), so the tokenizer is asked not to
 * add its own (as Python's apply_chat_template does), where the processor passes options on.
 */
export async function vlmInputs(model: Pick<VlmModel, 'processor' | 'callOrder' | 'promptStyle'>, image: TJS.RawImage, prompt: string): Promise<Record<string, TJS.Tensor>> {
  const p = model.processor;
  const options = model.promptStyle === 'chat' ? { add_special_tokens: false } : {};
  switch (model.callOrder) {
    case 'images-text':
      return p(image, prompt, options);
    case 'text-images':
      return p(prompt, image, options);
    case 'text-images-audio':
      return p(prompt, image, null, options);
  }
}

export interface VlmRecognizeOptions {
  /** The instruction; default: the model's training instruction, else DEFAULT_INSTRUCTION. */
  instruction?: string;
  /** New-token budget; default the model's generation_config max_new_tokens, else DEFAULT_MAX_NEW_TOKENS; capped at MAX_NEW_TOKENS_CAP. */
  maxNewTokens?: number;
  /** Called after each generated token with the whole answer decoded so far (special tokens skipped). */
  onToken?: (textSoFar: string) => void;
  /** Stops generation after the current step (and before the image is processed, if already aborted). */
  signal?: AbortSignal;
  /** Cooperative cancel, as in engine.ts' RecognizeOptions: asked before the image is prepared and after every step. */
  cancelled?: () => boolean;
  /**
   * On abort: false (default) throws DecodeCancelled (an AbortError), like the OCR engine;
   * true returns what was generated so far, with stopReason 'aborted'.
   */
  keepPartial?: boolean;
  /** Alternatives reported per token. */
  topK?: number;
}

export interface VlmPrediction {
  /** The answer exactly as generated (special tokens skipped, not trimmed). */
  raw: string;
  /** extract(raw).latex */
  latex: string;
  /** extract(raw).repairs: what was changed to get the LaTeX; empty when the answer was plain LaTeX. */
  repairs: string[];
  /** The instruction the model was given, and where it came from. */
  instruction: string;
  instructionSource: 'caller' | 'model' | 'default';
  /** The full prompt text (chat template applied), before the processor expands the image token. */
  prompt: string;
  /** Prompt length in tokens, image tokens included. */
  promptTokens: number;
  /** The generated tokens (special tokens left out), with probabilities and alternatives. */
  tokens: TokenInfo[];
  /** How many tokens generate() produced, end token included. */
  generatedTokens: number;
  /** Recognition time of this image alone (model already loaded): preparation, processor, generation, decoding. */
  ms: number;
  device: Device;
  dtype: string;
  /** Generation hit maxNewTokens without an end token. */
  truncated: boolean;
  stopReason: 'eos' | 'max_new_tokens' | 'aborted';
  /** The image given to the processor (flattened onto white; the processor resizes it itself). */
  modelInput: Raster;
  decoding: { numBeams: 1 };
}

function normaliseIds(v: unknown): number[] {
  if (Array.isArray(v)) return v.map(Number);
  if (v === undefined || v === null) return [];
  return [Number(v)];
}

/** The model's end-of-sequence ids: generation_config.json, else config.json (and its text_config). */
function eosIds(model: VlmModel): number[] {
  const g = model.model.generation_config ?? {};
  const c = model.config as Loose;
  return normaliseIds(g.eos_token_id ?? c.eos_token_id ?? c.text_config?.eos_token_id);
}

/** A transformers.js streamer reporting the whole answer so far after each new token (the prompt is skipped). */
function answerStreamer(tjs: Transformers, tokenizer: Loose, onToken: (textSoFar: string) => void): TJS.BaseStreamer {
  class AnswerStreamer extends tjs.BaseStreamer {
    private ids: bigint[] = [];
    private promptSeen = false;
    private last = '';
    put(value: bigint[][]) {
      if (!this.promptSeen) {
        this.promptSeen = true; // generate() puts the prompt first
        return;
      }
      this.ids.push(...value[0]);
      // the whole answer is decoded again (at most MAX_NEW_TOKENS_CAP tokens): byte-level tokens
      // only make characters together; a character still incomplete (U+FFFD at the end) waits
      let text: string = tokenizer.decode(this.ids, { skip_special_tokens: true });
      while (text.endsWith('\uFFFD')) text = text.slice(0, -1);
      if (text !== this.last) {
        this.last = text;
        onToken(text);
      }
    }
    end() {}
  }
  return new AnswerStreamer();
}

/** A transformers.js stopping criterion that ends generation once `stop()` says so (asked after every step). */
function stopWhen(tjs: Transformers, stop: () => boolean): TJS.StoppingCriteria {
  class StopWhen extends tjs.StoppingCriteria {
    _call(inputIds: number[][]): boolean[] {
      const s = stop();
      return inputIds.map(() => s);
    }
  }
  return new StopWhen();
}

/**
 * Recognise one image with a loaded VLM: build the prompt from the instruction, run the processor
 * and a greedy generate() (streamed through onToken, stopped by the signal), decode only the new
 * tokens, and extract the LaTeX from the answer.
 */
export async function recognizeVlm(tjs: Transformers, model: VlmModel, image: Raster, opts: VlmRecognizeOptions = {}): Promise<VlmPrediction> {
  const stopped = () => Boolean(opts.signal?.aborted || opts.cancelled?.());
  const { instruction, source } = resolveInstruction(model, opts.instruction);
  const asked = Number(opts.maxNewTokens ?? model.model.generation_config?.max_new_tokens ?? DEFAULT_MAX_NEW_TOKENS);
  const maxNew = capMaxNewTokens(Number.isFinite(asked) ? asked : DEFAULT_MAX_NEW_TOKENS);
  const topK = opts.topK ?? 3;
  if (stopped()) throw new DecodeCancelled();

  const t0 = performance.now();
  const modelInput = prepareForModel(image, null); // flattened onto white: the processor drops alpha
  const raw = new tjs.RawImage(new Uint8ClampedArray(modelInput.data), modelInput.width, modelInput.height, 4);
  const prompt = vlmPrompt(model, instruction);
  const inputs = await vlmInputs(model, raw, prompt);
  const promptTokens = inputs.input_ids.dims.at(-1)!;
  if (stopped()) throw new DecodeCancelled();

  const steps: { ids: number[]; probs: number[] }[] = [];
  const recorder = (_ids: bigint[][], logits: TJS.Tensor) => {
    const vocab = logits.dims.at(-1)!;
    steps.push(topKSoftmax((logits.data as Float32Array).subarray(0, vocab), topK + 1));
    return logits;
  };
  const tokenizer = model.processor.tokenizer;
  const out = (await model.model.generate({
    ...inputs,
    max_new_tokens: maxNew,
    do_sample: false,
    num_beams: 1,
    logits_processor: [recorder],
    stopping_criteria: [stopWhen(tjs, stopped)],
    ...(opts.onToken ? { streamer: answerStreamer(tjs, tokenizer, opts.onToken) } : {}),
  })) as TJS.Tensor;
  const aborted = stopped();
  if (aborted && !opts.keepPartial) throw new DecodeCancelled();

  const seq = (out.tolist() as bigint[][])[0].map(Number);
  const fresh = seq.slice(promptTokens);
  const eos = eosIds(model);
  const endedWithEos = fresh.length > 0 && eos.includes(fresh[fresh.length - 1]);
  const stopReason: VlmPrediction['stopReason'] = endedWithEos ? 'eos' : aborted ? 'aborted' : 'max_new_tokens';
  const text: string = tokenizer.decode(fresh, { skip_special_tokens: true });
  const ms = performance.now() - t0;

  const special = new Set<number>(tokenizer.all_special_ids ?? []);
  const tokens: TokenInfo[] = [];
  fresh.forEach((id, k) => {
    if (steps[k] && !special.has(id) && !eos.includes(id)) tokens.push(tokenInfo(tokenizer, id, steps[k], topK));
  });

  const { latex, repairs } = extract(text);
  return {
    raw: text,
    latex,
    repairs,
    instruction,
    instructionSource: source,
    prompt,
    promptTokens,
    tokens,
    generatedTokens: fresh.length,
    ms,
    device: model.device,
    dtype: model.dtype,
    truncated: stopReason === 'max_new_tokens',
    stopReason,
    modelInput,
    decoding: { numBeams: 1 },
  };
}
