/**
 * Model loading and recognition with transformers.js: the one implementation
 * used by the web worker (workers/ocr.worker.ts) and by the Node command-line
 * tools (cli/). The caller passes the transformers.js module it imported (the
 * web or the Node build), so this file has no environment-specific imports.
 */
import type * as TJS from '@huggingface/transformers';
import type { Raster } from '../image/raster.ts';
import { type PrepareSpec, prepareForModel } from '../image/prepare.ts';
import type { Device, Dtype, LoadProgress, Prediction, TokenInfo } from '../worker-api/ocr.ts';
import { beamSearch, checkNumBeams, logSoftmax, topIndices, DEFAULT_LENGTH_PENALTY, DEFAULT_NUM_BEAMS, type BeamResult } from './beam.ts';
import { capMaxNewTokens, checkModelConfig, type ModelConfigFiles } from '../schema/model-config.ts';
import { attentionRows, shownTokenIndices } from './explain.ts';

export type Transformers = typeof TJS;
// The pipeline object: typed loosely on purpose (transformers.js' own types for it are a large union).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OcrPipeline = any;

export interface EngineModel {
  pipe: OcrPipeline;
  device: Device;
  dtype: Dtype;
  prepare: PrepareSpec | null;
  loadMs: number;
}

/** Max tokens generated when the model's generation_config says nothing (ours say 200); never more than MAX_NEW_TOKENS_CAP (src/schema/model-config.ts). */
export const DEFAULT_MAX_NEW_TOKENS = 200;

/** dtype to use when the caller did not choose one. */
export function defaultDtype(device: Device, shaderF16: boolean): Dtype {
  if (device === 'webgpu') return shaderF16 ? 'fp16' : 'fp32';
  if (device === 'wasm') return 'q8';
  return 'fp32';
}

/** Files every transformers.js image-to-text model folder needs (relative paths). */
export function requiredFiles(dtype: Dtype): string[] {
  const suffix = dtype === 'fp32' ? '' : dtype === 'fp16' ? '_fp16' : '_quantized';
  return [
    'config.json',
    'preprocessor_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    `onnx/encoder_model${suffix}.onnx`,
    `onnx/decoder_model_merged${suffix}.onnx`,
  ];
}

/**
 * The configs transformers.js parsed for a pipeline, by file name, for the model-config schema
 * (src/schema/model-config.ts), which also yields the model's preparation spec
 * (preprocessor_config.json's latex_ocr_prepare). Checked after loading as well as when a
 * folder is registered (src/model/service.ts): the Node tools open folders from disk, and a hub
 * model's files arrive only inside pipeline().
 */
function pipelineConfigs(pipe: OcrPipeline): ModelConfigFiles {
  const files: ModelConfigFiles = {};
  if (pipe.model?.config) files['config.json'] = pipe.model.config;
  if (pipe.model?.generation_config) files['generation_config.json'] = pipe.model.generation_config;
  if (pipe.processor?.image_processor?.config) files['preprocessor_config.json'] = pipe.processor.image_processor.config;
  return files;
}

export async function loadModel(
  tjs: Transformers,
  modelId: string,
  opts: { device: Device; dtype: Dtype; onProgress?: (p: LoadProgress) => void },
): Promise<EngineModel> {
  const t0 = performance.now();
  const pipe = await tjs.pipeline('image-to-text', modelId, {
    device: opts.device,
    dtype: opts.dtype,
    // onnxruntime-node: one thread. The decoder's ops are tiny, and a thread pool's hand-offs
    // (spinning on 2 cores) cost more than they share: 0.53 ms a token with one thread against
    // 0.62 with onnxruntime's default, 1.0 with two (60 formulas, this 2-core machine)
    ...(opts.device === 'cpu' ? { session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 } } : {}),
    progress_callback: opts.onProgress
      ? (p: Record<string, unknown>) =>
          opts.onProgress!({
            file: String(p.file ?? p.name ?? ''),
            status: p.status as LoadProgress['status'],
            loaded: typeof p.loaded === 'number' ? p.loaded : undefined,
            total: typeof p.total === 'number' ? p.total : undefined,
          })
      : undefined,
  });
  let prepare: PrepareSpec | null;
  try {
    prepare = checkModelConfig(pipelineConfigs(pipe)).prepare;
  } catch (e) {
    await Promise.resolve(pipe.dispose?.()).catch(() => undefined); // refused: free its sessions
    throw e;
  }
  return { pipe, device: opts.device, dtype: opts.dtype, prepare, loadMs: performance.now() - t0 };
}

/** The k most likely entries of one step's logits, with their softmax probabilities (no sort of the vocabulary). */
export function topKSoftmax(row: ArrayLike<number>, k: number): { ids: number[]; probs: number[] } {
  let max = -Infinity;
  for (let j = 0; j < row.length; j++) if (row[j] > max) max = row[j];
  let sum = 0;
  for (let j = 0; j < row.length; j++) sum += Math.exp(row[j] - max);
  const ids = topIndices(row, k);
  return { ids, probs: ids.map((j) => Math.exp(row[j] - max) / sum) };
}

/** Records, for each generated token, its probability and the top alternatives. */
function confidenceRecorder(topK: number) {
  const steps: { ids: number[]; probs: number[] }[] = [];
  const processor = (_inputIds: bigint[][], logits: TJS.Tensor) => {
    // logits: [batch, vocab] for the current step; batch is 1 here
    const vocab = logits.dims.at(-1)!;
    steps.push(topKSoftmax((logits.data as Float32Array).subarray(0, vocab), topK + 1));
    return logits;
  };
  return { processor, steps };
}

/** Thrown when a recognition was cancelled (RecognizeOptions.cancelled) before it finished. */
export class DecodeCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'AbortError';
  }
}

export interface RecognizeOptions {
  /**
   * Cooperative cancel: asked before the image is prepared and between decode steps (greedy
   * and beam); once it says true, no further step runs and recognize() throws DecodeCancelled.
   */
  cancelled?: () => boolean;
  maxNewTokens?: number;
  /** Alternatives reported per token. */
  topK?: number;
  /** Beam width, MIN_BEAMS..MAX_BEAMS (src/model/beam.ts); 1 = greedy through generate(). */
  numBeams?: number;
  /** alpha of the beam score sum(log p) / length^alpha; default DEFAULT_LENGTH_PENALTY. */
  lengthPenalty?: number;
}

/** What the processor makes of an image (pixel_values), and the prepared image itself. */
export interface ModelInputs {
  modelInput: Raster;
  inputs: Record<string, TJS.Tensor>;
}

/** A decoded sequence: token ids after the start token, and for each the top tokens of its step. */
export interface Decoded {
  start: number;
  ids: number[];
  steps: { ids: number[]; probs: number[] }[];
  /** Stopped at maxNewTokens without an end token. */
  truncated: boolean;
}

/** Prepare an image and run the model's processor on it (the timed part starts before the processor). */
export async function modelInputs(tjs: Transformers, model: EngineModel, image: Raster): Promise<ModelInputs> {
  const modelInput = prepareForModel(image, model.prepare);
  const raw = new tjs.RawImage(new Uint8ClampedArray(modelInput.data), modelInput.width, modelInput.height, 4);
  return { modelInput, inputs: await model.pipe.processor(raw) };
}

/** The generation settings generate() would use: the model's config, its decoder's, then generation_config.json. */
function generationSettings(model: EngineModel): Record<string, unknown> {
  const m = model.pipe.model;
  return { ...m?.config, ...m?.config?.decoder, ...m?.generation_config };
}

/** The caller's token budget, else the model's, else the default; always within 1..MAX_NEW_TOKENS_CAP. */
export function maxNewTokensOf(model: EngineModel, opts: RecognizeOptions): number {
  const asked = Number(opts.maxNewTokens ?? model.pipe.model?.generation_config?.max_new_tokens ?? DEFAULT_MAX_NEW_TOKENS);
  return capMaxNewTokens(Number.isFinite(asked) ? asked : DEFAULT_MAX_NEW_TOKENS);
}

/** Greedy decoding with transformers.js' own generate(): the measured, default path. */
export async function greedyDecode(
  model: EngineModel,
  inputs: Record<string, TJS.Tensor>,
  opts: { maxNewTokens: number; topK?: number; cancelled?: () => boolean },
): Promise<Decoded> {
  const rec = confidenceRecorder(opts.topK ?? 3);
  const { cancelled } = opts;
  // a stopping criterion is asked after every step: generate() then ends normally (and frees its cache)
  const stopping_criteria = cancelled ? [(ids: unknown[]) => ids.map(() => cancelled())] : undefined;
  const out = (await model.pipe.model.generate({ ...inputs, max_new_tokens: opts.maxNewTokens, logits_processor: [rec.processor], stopping_criteria })) as TJS.Tensor;
  if (cancelled?.()) throw new DecodeCancelled();
  const seq = (out.tolist() as bigint[][])[0].map(Number);
  const eos = normaliseIds(generationSettings(model).eos_token_id);
  const ids = seq.slice(1); // seq[0] is the decoder start token; step k produced seq[k + 1]
  return { start: seq[0], ids, steps: rec.steps.slice(0, ids.length), truncated: ids.length >= opts.maxNewTokens && !eos.includes(ids[ids.length - 1]) };
}

const CACHE_INPUT = /^past_key_values\.\d+\.(key|value)$/;

/**
 * Why this model cannot be decoded by beamDecode(), or null if it can. Beam search drives the
 * decoder session itself and reorders its self-attention cache between steps, so it needs the
 * built-in models' layout (training/ocr/export.py): an encoder, and a decoder taking only
 * input_ids, encoder_hidden_states and past_key_values.N.key/value, returning logits and
 * present.N.key/value, with a free batch axis. Settings that make generate() change the logits
 * (repetition penalty, forced or suppressed tokens...) are not applied by the search, so a
 * model that asks for them is decoded greedily rather than differently from what it asks.
 */
export function beamUnsupported(model: EngineModel): string | null {
  const m = model.pipe.model;
  if (!m?.config?.is_encoder_decoder) return 'the model is not an encoder-decoder';
  const enc = m.sessions?.model;
  const dec = m.sessions?.decoder_model_merged;
  if (!enc || !dec) return 'the model has no encoder_model and decoder_model_merged pair';
  const inputs: string[] = dec.inputNames ?? [];
  const outputs: string[] = dec.outputNames ?? [];
  const other = inputs.filter((n) => n !== 'input_ids' && n !== 'encoder_hidden_states' && !CACHE_INPUT.test(n));
  if (other.length) return `its decoder also takes ${other.join(', ')} (beam search handles a decoder with input_ids, encoder_hidden_states and past_key_values.N.key/value only)`;
  const cache = inputs.filter((n) => CACHE_INPUT.test(n));
  if (!inputs.includes('input_ids') || !inputs.includes('encoder_hidden_states') || cache.length === 0) return 'its decoder has no self-attention cache (past_key_values.N.key/value)';
  const missing = ['logits', ...cache.map((n) => n.replace('past_key_values', 'present'))].filter((n) => !outputs.includes(n));
  if (missing.length) return `its decoder does not return ${missing.join(', ')}`;
  const batch = (dec.inputMetadata as { name: string; shape?: unknown[] }[] | undefined)?.find((x) => x.name === 'input_ids')?.shape?.[0];
  if (typeof batch === 'number' && batch !== -1) return `its decoder has a fixed batch size (${batch})`;
  const g = generationSettings(model);
  const set = (k: string, unset: unknown = null) => g[k] !== undefined && g[k] !== null && g[k] !== unset;
  const processors = [
    set('repetition_penalty', 1) && 'repetition_penalty',
    set('no_repeat_ngram_size', 0) && 'no_repeat_ngram_size',
    set('bad_words_ids') && 'bad_words_ids',
    set('min_length', 0) && 'min_length',
    set('min_new_tokens', 0) && 'min_new_tokens',
    set('forced_bos_token_id') && 'forced_bos_token_id',
    set('forced_eos_token_id') && 'forced_eos_token_id',
    set('suppress_tokens') && 'suppress_tokens',
    set('begin_suppress_tokens') && 'begin_suppress_tokens',
    typeof g.guidance_scale === 'number' && g.guidance_scale > 1 && 'guidance_scale',
  ].filter(Boolean);
  if (processors.length) return `its generation_config sets ${processors.join(', ')}, which beam search does not apply`;
  return null;
}

type Cache = Record<string, TJS.Tensor>;

function onGpu(t: TJS.Tensor): boolean {
  return t.location === 'gpu-buffer';
}

/** A tensor's values on the CPU; a GPU buffer (WebGPU keeps present.* there) is downloaded and freed. */
async function cpuData(t: TJS.Tensor): Promise<TJS.DataArray> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return onGpu(t) ? ((await (t as any).ort_tensor.getData(true)) as TJS.DataArray) : t.data;
}

/** Rows `rows` of `t` along its first axis (rows may repeat), as a new CPU tensor of the same type. */
async function gatherRows(tjs: Transformers, t: TJS.Tensor, rows: readonly number[]): Promise<TJS.Tensor> {
  const data = await cpuData(t);
  const size = data.length / t.dims[0];
  const Ctor = data.constructor as new (n: number) => TJS.DataArray;
  const out = new Ctor(size * rows.length);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  rows.forEach((r, i) => (out as any).set((data as any).subarray(r * size, (r + 1) * size), i * size));
  return new tjs.Tensor(t.type, out, [rows.length, ...t.dims.slice(1)]);
}

async function disposeCache(cache: Cache | null, keep?: Cache) {
  const kept = new Set(Object.values(keep ?? {}));
  for (const t of Object.values(cache ?? {})) if (onGpu(t) && !kept.has(t)) t.dispose();
}

/**
 * Beam search over the model's own decoder session (src/model/beam.ts), on every device the
 * pipeline was loaded on: the encoder runs once, through the same transformers.js helper
 * generate() uses; each step runs the decoder once on all live beams (model.forward, which
 * feeds the cache and, on the first step, makes the empty one), and between steps the cache
 * rows are gathered for the beams kept. On WebGPU transformers.js keeps present.* on the GPU
 * (preferredOutputLocation): when the beams continue in place the buffers are passed on
 * untouched, otherwise they are read back, gathered on the CPU and uploaded with the next run
 * (the built-in decoder's cache is small: 3 layers of 4 x 48 per token and beam).
 */
export async function beamDecode(
  tjs: Transformers,
  model: EngineModel,
  inputs: Record<string, TJS.Tensor>,
  opts: { numBeams: number; maxNewTokens: number; lengthPenalty?: number; topK?: number; cancelled?: () => boolean },
): Promise<Decoded & { beam: BeamResult }> {
  const why = beamUnsupported(model);
  if (why) throw new Error(`beam search cannot run this model: ${why}`);
  const m = model.pipe.model;
  const g = generationSettings(model);
  const start = Number(g.decoder_start_token_id ?? g.bos_token_id);
  const eos = normaliseIds(g.eos_token_id);
  if (!Number.isFinite(start)) throw new Error('the model names no decoder start token');
  const cacheNames: string[] = m.sessions.decoder_model_merged.inputNames.filter((n: string) => CACHE_INPUT.test(n));

  const { encoder_outputs: encoded } = await m._prepare_encoder_decoder_kwargs_for_generation({
    inputs_tensor: inputs.pixel_values,
    model_inputs: { ...inputs },
    model_input_name: m.main_input_name,
    generation_config: { guidance_scale: null },
  });
  // the encoder output, repeated for each batch size the beams need (one step at a time)
  const repeated = new Map<number, TJS.Tensor>([[1, encoded]]);
  const encoderFor = async (batch: number) => {
    if (!repeated.has(batch)) repeated.set(batch, await gatherRows(tjs, encoded, Array(batch).fill(0)));
    return repeated.get(batch)!;
  };

  const beam = await beamSearch<Cache>({
    start: [start],
    numBeams: opts.numBeams,
    eos,
    maxNewTokens: opts.maxNewTokens,
    lengthPenalty: opts.lengthPenalty,
    topK: opts.topK,
    step: async (prefixes, cache) => {
      // the search releases the cache it holds when a step throws
      if (opts.cancelled?.()) throw new DecodeCancelled();
      const batch = prefixes.length;
      // the first step feeds the whole start prefix; later ones the last token, the rest is cached
      const ids = cache ? prefixes.map((p) => [p[p.length - 1]]) : prefixes;
      const input = new tjs.Tensor('int64', BigInt64Array.from(ids.flat(), BigInt), [batch, ids[0].length]);
      const out = await m.forward({ encoder_outputs: await encoderFor(batch), decoder_input_ids: input, past_key_values: cache });
      const next: Cache = {};
      for (const name of cacheNames) next[name] = out[name.replace('past_key_values', 'present')];
      await disposeCache(cache, next);
      const logits: TJS.Tensor = out.logits.type === 'float32' ? out.logits : out.logits.to('float32');
      const [, steps, vocab] = logits.dims;
      const data = logits.data as Float32Array;
      const logProbs = prefixes.map((_, b) => logSoftmax(data.subarray((b * steps + steps - 1) * vocab, (b * steps + steps) * vocab)));
      return { logProbs, state: next };
    },
    reorder: async (cache, parents) => {
      if (parents.length === cache[cacheNames[0]].dims[0] && parents.every((p, i) => p === i)) return cache;
      const next: Cache = {};
      for (const name of cacheNames) next[name] = await gatherRows(tjs, cache[name], parents);
      await disposeCache(cache);
      return next;
    },
    release: (cache) => disposeCache(cache),
  }).finally(() => {
    for (const [batch, t] of repeated) if (batch !== 1 && onGpu(t)) t.dispose();
  });
  return {
    start,
    ids: beam.tokens,
    steps: beam.steps.map((s) => s.top),
    truncated: !beam.finished,
    beam,
  };
}

/**
 * What the confidence row shows of a token: its text, the probability it was chosen with, and
 * the top alternatives of its step (`step`: that step's most likely ids and their probabilities).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function tokenInfo(tokenizer: any, id: number, step: { ids: number[]; probs: number[] } | undefined, topK: number): TokenInfo {
  const s = step ?? { ids: [], probs: [] };
  const pos = s.ids.indexOf(id);
  return {
    text: tokenizer.decode([id], { skip_special_tokens: true }),
    prob: pos >= 0 ? s.probs[pos] : 0,
    alternatives: s.ids
      .map((alt, j) => ({ id: alt, prob: s.probs[j] }))
      .filter((a) => a.id !== id)
      .slice(0, topK)
      .map((a) => ({ text: tokenizer.decode([a.id], { skip_special_tokens: false }), prob: a.prob })),
  };
}

/** Recognise one image with a loaded model: prepare, decode (greedy or beam search), report confidences. */
export async function recognize(tjs: Transformers, model: EngineModel, image: Raster, opts: RecognizeOptions = {}): Promise<Prediction> {
  const numBeams = checkNumBeams(opts.numBeams ?? DEFAULT_NUM_BEAMS);
  const maxNew = maxNewTokensOf(model, opts);
  const topK = opts.topK ?? 3;
  // width 1 stays on generate() (what is benchmarked); a model beam search cannot drive falls back to it
  const fellBackReason = numBeams > 1 ? beamUnsupported(model) : null;
  if (opts.cancelled?.()) throw new DecodeCancelled();
  const t0 = performance.now();
  const { modelInput, inputs } = await modelInputs(tjs, model, image);
  let decoded: Decoded;
  let decoding: NonNullable<Prediction['decoding']>;
  if (numBeams > 1 && !fellBackReason) {
    const lengthPenalty = opts.lengthPenalty ?? DEFAULT_LENGTH_PENALTY;
    decoded = await beamDecode(tjs, model, inputs, { numBeams, maxNewTokens: maxNew, lengthPenalty, topK, cancelled: opts.cancelled });
    decoding = { numBeams, lengthPenalty };
  } else {
    decoded = await greedyDecode(model, inputs, { maxNewTokens: maxNew, topK, cancelled: opts.cancelled });
    decoding = fellBackReason
      ? { numBeams: 1, fellBackReason: `Beam width ${numBeams} is not available for this model (${fellBackReason}); decoded greedily (width 1).` }
      : { numBeams: 1 };
  }
  const ms = performance.now() - t0;
  const tokenizer = model.pipe.tokenizer;
  // the shown tokens by the same rule as the maps' (src/model/explain.ts): token i is map i
  const tokens: TokenInfo[] = shownTokenIndices(model, decoded.ids).map((k) => tokenInfo(tokenizer, decoded.ids[k], decoded.steps[k], topK));
  const latex = (tokenizer.decode([decoded.start, ...decoded.ids], { skip_special_tokens: true }) as string).trim();
  return {
    latex,
    tokens,
    ms,
    device: model.device,
    dtype: model.dtype,
    truncated: decoded.truncated,
    modelInput,
    decoding,
    sequence: { start: decoded.start, ids: decoded.ids },
    attentionAvailable: attentionRows(model) !== null,
  };
}

function normaliseIds(v: unknown): number[] {
  if (Array.isArray(v)) return v.map(Number);
  if (v === undefined || v === null) return [];
  return [Number(v)];
}
