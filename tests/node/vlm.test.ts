/**
 * src/model/vlm.ts on the tiny random-weight LLaVA fixture (tests/fixtures/tiny-vlm): loading,
 * the instruction in the prompt, streaming, abort, and the LaTeX extraction of the answer. The
 * weights are random, so the answer is gibberish: these tests check structure, never content.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tjs from '@huggingface/transformers';
import type { Raster } from '../../src/image/raster.ts';
import { extract } from '../../src/latex/extract.ts';
import {
  DEFAULT_INSTRUCTION,
  INSTRUCTION_FIELD,
  MAX_INSTRUCTION_CHARS,
  disposeVlm,
  isVisionLanguageConfig,
  loadVlm,
  processorCallOrder,
  readTrainingInstruction,
  recognizeVlm,
  trainingInstruction,
  vlmConfigSupport,
  vlmInputs,
  vlmPrompt,
  vlmRequiredFiles,
  type VlmModel,
} from '../../src/model/vlm.ts';

// the same Node settings as cli/common.ts (not imported: it sets the models/ folder up too)
tjs.env.allowRemoteModels = false;
tjs.env.allowLocalModels = true;
tjs.env.useFSCache = false;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIR = path.join(ROOT, 'tests', 'fixtures', 'tiny-vlm');
const fixtureConfig = JSON.parse(fs.readFileSync(path.join(DIR, 'config.json'), 'utf8'));

/** A white RGBA image with a few dark bars, like a short formula (not the model's input size). */
function formulaLike(width: number, height: number, bars: [number, number, number, number][]): Raster {
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  for (const [x0, y0, x1, y1] of bars)
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data.fill(20, (y * width + x) * 4, (y * width + x) * 4 + 3);
  return { width, height, data };
}
const IMAGE = formulaLike(180, 60, [[10, 25, 40, 30], [50, 10, 56, 50], [70, 28, 170, 32]]);
const rawImage = (r: Raster) => new tjs.RawImage(new Uint8ClampedArray(r.data), r.width, r.height, 4);
const ids = (t: tjs.Tensor): number[] => (t.tolist() as bigint[][])[0].map(Number);

let model: VlmModel;
let tmp: string | null = null;

beforeAll(async () => {
  model = await loadVlm(tjs, DIR, { device: 'cpu' });
}, 120_000);

afterAll(async () => {
  if (model) await disposeVlm(model);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('vlmConfigSupport / isVisionLanguageConfig', () => {
  it('accepts the LLaVA fixture', () => {
    expect(isVisionLanguageConfig(fixtureConfig)).toBe(true);
    expect(vlmConfigSupport(fixtureConfig)).toMatchObject({ supported: true, modelType: 'llava', modelClass: 'LlavaForConditionalGeneration' });
  });

  it('refuses the built-in image-to-text models, with the reason', () => {
    const builtins = fs.existsSync(path.join(ROOT, 'models'))
      ? fs.readdirSync(path.join(ROOT, 'models')).filter((d) => fs.existsSync(path.join(ROOT, 'models', d, 'config.json')))
      : [];
    for (const d of builtins) {
      const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', d, 'config.json'), 'utf8'));
      expect(isVisionLanguageConfig(config), d).toBe(false);
    }
    expect(vlmConfigSupport({ model_type: 'vision-encoder-decoder', is_encoder_decoder: true }).reason).toMatch(/image-to-text/);
  });

  it.each([
    [{ model_type: 'florence2', architectures: ['Florence2ForConditionalGeneration'] }, /task tokens/],
    [{ model_type: 'gemma3', architectures: ['Gemma3ForCausalLM'] }, /text-only/],
    [{ model_type: 'bert' }, /not a vision-language model/],
    [{ model_type: 't5', is_encoder_decoder: true }, /encoder-decoder/],
    [{ architectures: ['LlavaForConditionalGeneration'] }, /no model_type/],
    [null, /not a JSON object/],
    ['llava', /not a JSON object/],
  ])('refuses %j', (config, reason) => {
    const s = vlmConfigSupport(config);
    expect(s.supported).toBe(false);
    expect(s.reason).toMatch(reason);
  });

  it.each(['idefics3', 'smolvlm', 'qwen2_vl', 'qwen2_5_vl', 'gemma3', 'gemma4', 'lfm2_vl', 'paligemma', 'mistral3', 'lighton_ocr', 'glm_ocr'])(
    'accepts %s (no architectures, or a ForConditionalGeneration one)',
    (modelType) => {
      expect(isVisionLanguageConfig({ model_type: modelType })).toBe(true);
      expect(isVisionLanguageConfig({ model_type: modelType, architectures: ['XForConditionalGeneration'] })).toBe(true);
    },
  );
});

describe('vlmRequiredFiles', () => {
  it('lists the fixture\'s files for fp32, all present', () => {
    const files = vlmRequiredFiles('llava', 'fp32');
    expect(files).toEqual([
      'config.json',
      'preprocessor_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/embed_tokens.onnx',
      'onnx/vision_encoder.onnx',
      'onnx/decoder_model_merged.onnx',
    ]);
    for (const f of files) expect(fs.existsSync(path.join(DIR, f)), f).toBe(true);
  });

  it('per-session dtypes, the audio encoder of Gemma 3n/4, and unknown dtypes', () => {
    expect(vlmRequiredFiles('gemma4', { decoder_model_merged: 'q4f16', vision_encoder: 'fp16', embed_tokens: 'q8', audio_encoder: 'q4' }).slice(4)).toEqual([
      'onnx/embed_tokens_quantized.onnx',
      'onnx/vision_encoder_fp16.onnx',
      'onnx/decoder_model_merged_q4f16.onnx',
      'onnx/audio_encoder_q4.onnx',
    ]);
    expect(() => vlmRequiredFiles('llava', 'fp64')).toThrow(/unknown dtype "fp64"/);
  });
});

describe('training instruction', () => {
  it('reads config.json latex_ocr_instruction, and refuses a bad one', () => {
    expect(readTrainingInstruction(fixtureConfig)).toBeNull();
    expect(readTrainingInstruction({ [INSTRUCTION_FIELD]: 'Write the LaTeX.' })).toBe('Write the LaTeX.');
    expect(() => readTrainingInstruction({ [INSTRUCTION_FIELD]: 42 })).toThrow(/latex_ocr_instruction must be a non-empty string/);
    expect(() => readTrainingInstruction({ [INSTRUCTION_FIELD]: '  ' })).toThrow(/non-empty/);
    expect(() => readTrainingInstruction({ [INSTRUCTION_FIELD]: 'x'.repeat(MAX_INSTRUCTION_CHARS + 1) })).toThrow(/too long/);
  });

  it('a model folder that declares one: loaded, used by default, overridden by the caller', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tiny-vlm-'));
    fs.cpSync(DIR, tmp, { recursive: true });
    const declared = 'Transcribe the formula in LaTeX.';
    fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify({ ...fixtureConfig, [INSTRUCTION_FIELD]: declared }));
    const m = await loadVlm(tjs, tmp, { device: 'cpu' });
    try {
      expect(trainingInstruction(m)).toBe(declared);
      const p = await recognizeVlm(tjs, m, IMAGE, { maxNewTokens: 3 });
      expect(p.instruction).toBe(declared);
      expect(p.instructionSource).toBe('model');
      expect(p.prompt).toContain(declared);
      const q = await recognizeVlm(tjs, m, IMAGE, { maxNewTokens: 3, instruction: DEFAULT_INSTRUCTION });
      expect(q.instructionSource).toBe('caller');
      expect(q.prompt).toContain(DEFAULT_INSTRUCTION);
    } finally {
      await disposeVlm(m);
    }
  });
});

describe('loadVlm', () => {
  it('loads the fixture as LLaVA, prompted through its chat template, fp32 from its config', () => {
    expect(model.kind).toBe('vlm');
    expect(model.modelType).toBe('llava');
    expect(model.callOrder).toBe('images-text');
    expect(processorCallOrder(tjs, model.processor)).toBe('images-text');
    expect(model.promptStyle).toBe('chat');
    expect(model.trainingInstruction).toBeNull();
    expect(model.device).toBe('cpu');
    expect(model.dtypes).toEqual({ embed_tokens: 'fp32', vision_encoder: 'fp32', decoder_model_merged: 'fp32' });
    expect(model.dtype).toBe('fp32');
    expect(model.loadMs).toBeGreaterThan(0);
  });

  it('refuses a folder that is not a VLM, naming why', async () => {
    const builtin = fs.existsSync(path.join(ROOT, 'models')) ? fs.readdirSync(path.join(ROOT, 'models')).find((d) => fs.existsSync(path.join(ROOT, 'models', d, 'config.json'))) : undefined;
    if (!builtin) return; // no built-in model in this checkout
    await expect(loadVlm(tjs, path.join(ROOT, 'models', builtin), { device: 'cpu' })).rejects.toThrow(/not a vision-language model this app can run: .*image-to-text/);
  });

  it('refuses an unknown processor', () => {
    expect(() => processorCallOrder(tjs, {})).toThrow(/not one this app knows/);
  });
});

describe('recognizeVlm', () => {
  it('answers deterministically, echoes the instruction, and extracts the LaTeX from the raw answer', async () => {
    const a = await recognizeVlm(tjs, model, IMAGE);
    const b = await recognizeVlm(tjs, model, IMAGE);
    expect(a.raw.length).toBeGreaterThan(0);
    expect(b.raw).toBe(a.raw);
    expect(a.instruction).toBe(DEFAULT_INSTRUCTION);
    expect(a.instructionSource).toBe('default');
    expect(a.prompt).toBe(`<s>USER: <image>\n${DEFAULT_INSTRUCTION}\nASSISTANT:`);
    expect(a.promptTokens).toBe(1 + 'USER: '.length + fixtureConfig.tiny_vlm.num_image_tokens + `\n${DEFAULT_INSTRUCTION}\nASSISTANT:`.length);
    const x = extract(a.raw);
    expect(a.latex).toBe(x.latex);
    expect(a.repairs).toEqual(x.repairs);
    // the fixture's generation_config: max_new_tokens 20
    expect(a.generatedTokens).toBeGreaterThan(0);
    expect(a.generatedTokens).toBeLessThanOrEqual(20);
    expect(a.stopReason === 'eos' || (a.stopReason === 'max_new_tokens' && a.generatedTokens === 20)).toBe(true);
    expect(a.truncated).toBe(a.stopReason === 'max_new_tokens');
    expect(a.tokens.map((t) => t.text).join('')).toBe(a.raw); // a character-level tokenizer
    for (const t of a.tokens) {
      expect(t.prob).toBeGreaterThan(0);
      expect(t.prob).toBeLessThanOrEqual(1);
      expect(t.alternatives.length).toBeLessThanOrEqual(3);
    }
    expect(a.device).toBe('cpu');
    expect(a.dtype).toBe('fp32');
    expect(a.modelInput).toMatchObject({ width: IMAGE.width, height: IMAGE.height });
    expect(a.decoding).toEqual({ numBeams: 1 });
    expect(a.ms).toBeGreaterThan(0);
  });

  it('streams the answer through onToken, growing to the raw text', async () => {
    const seen: string[] = [];
    const p = await recognizeVlm(tjs, model, IMAGE, { onToken: (t) => seen.push(t) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThanOrEqual(p.generatedTokens);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i].startsWith(seen[i - 1])).toBe(true);
      expect(seen[i].length).toBeGreaterThan(seen[i - 1].length);
    }
    expect(seen.at(-1)).toBe(p.raw);
  });

  it('stops generating on abort: fewer tokens, a prefix of the full answer (keepPartial), or an AbortError', async () => {
    const full = await recognizeVlm(tjs, model, IMAGE);
    expect(full.generatedTokens).toBeGreaterThan(4); // room to stop early

    const controller = new AbortController();
    let calls = 0;
    const partial = await recognizeVlm(tjs, model, IMAGE, {
      signal: controller.signal,
      keepPartial: true,
      onToken: () => {
        if (++calls === 2) controller.abort();
      },
    });
    expect(partial.stopReason).toBe('aborted');
    expect(partial.generatedTokens).toBeLessThan(full.generatedTokens);
    expect(partial.generatedTokens).toBe(2);
    expect(full.raw.startsWith(partial.raw)).toBe(true);
    expect(partial.truncated).toBe(false);

    const again = new AbortController();
    let steps = 0;
    await expect(
      recognizeVlm(tjs, model, IMAGE, {
        signal: again.signal,
        onToken: () => {
          if (++steps === 1) again.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(steps).toBe(1);

    // cancelled() (the worker's shared-memory cancel cell) stops it the same way
    let asked = 0;
    const byFlag = await recognizeVlm(tjs, model, IMAGE, { keepPartial: true, cancelled: () => ++asked > 3 });
    expect(byFlag.stopReason).toBe('aborted');
    expect(byFlag.generatedTokens).toBeLessThan(full.generatedTokens);
  });

  it('an already aborted signal stops before the model runs', async () => {
    const controller = new AbortController();
    controller.abort();
    const seen: string[] = [];
    await expect(recognizeVlm(tjs, model, IMAGE, { signal: controller.signal, onToken: (t) => seen.push(t) })).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([]);
  });

  it('puts the instruction in the model input: another instruction, other prompt ids', async () => {
    const other = 'Transcribe the formula.';
    const a = await recognizeVlm(tjs, model, IMAGE);
    const b = await recognizeVlm(tjs, model, IMAGE, { instruction: other });
    expect(b.instruction).toBe(other);
    expect(b.instructionSource).toBe('caller');
    expect(b.prompt).toBe(`<s>USER: <image>\n${other}\nASSISTANT:`);
    expect(b.promptTokens).toBe(a.promptTokens - DEFAULT_INSTRUCTION.length + other.length);
    const idsA = ids((await vlmInputs(model, rawImage(IMAGE), vlmPrompt(model, DEFAULT_INSTRUCTION))).input_ids);
    const idsB = ids((await vlmInputs(model, rawImage(IMAGE), vlmPrompt(model, other))).input_ids);
    expect(idsB).not.toEqual(idsA);
    expect(model.processor.decode(idsB, { skip_special_tokens: true })).toBe(`USER: \n${other}\nASSISTANT:`);
    // the chat template's BOS is the only one: the tokenizer adds none of its own
    expect(idsA.filter((t) => t === fixtureConfig.bos_token_id)).toHaveLength(1);
    // the answers are conditioned on the prompt (random weights: compare the first-step logits)
    const logits = async (instruction: string) => {
      const inputs = await vlmInputs(model, rawImage(IMAGE), vlmPrompt(model, instruction));
      const out = await model.model({ ...inputs });
      return Array.from(out.logits.data as Float32Array).slice(-fixtureConfig.text_config.vocab_size);
    };
    const [la, lb] = [await logits(DEFAULT_INSTRUCTION), await logits(other)];
    expect(Math.max(...la.map((v, i) => Math.abs(v - lb[i])))).toBeGreaterThan(1e-4);
  });

  it('honours maxNewTokens (capped) and refuses an over-long instruction', async () => {
    const p = await recognizeVlm(tjs, model, IMAGE, { maxNewTokens: 3 });
    expect(p.generatedTokens).toBeLessThanOrEqual(3);
    if (p.stopReason !== 'eos') expect(p.truncated).toBe(true);
    await expect(recognizeVlm(tjs, model, IMAGE, { instruction: 'x'.repeat(MAX_INSTRUCTION_CHARS + 1) })).rejects.toThrow(RangeError);
  });

  it('an empty instruction is the caller\'s choice: the prompt has the image alone', async () => {
    const p = await recognizeVlm(tjs, model, IMAGE, { instruction: '', maxNewTokens: 2 });
    expect(p.instruction).toBe('');
    expect(p.prompt).toBe('<s>USER: <image>\n\nASSISTANT:');
  });
});
