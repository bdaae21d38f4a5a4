/**
 * The model-config schema (src/schema/model-config.ts) and where it is applied without a
 * model: a user folder's registration and a hub model's JSON downloads (src/model/service.ts),
 * the token budget (src/model/engine.ts) and the preparation spec (src/image/prepare.ts).
 */
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import {
  checkJsonSize,
  checkModelConfig,
  MAX_CONFIG_JSON_BYTES,
  MAX_NEW_TOKENS_CAP,
  MAX_TOKENIZER_JSON_BYTES,
  ModelConfigError,
} from '../../src/schema/model-config.ts';
import { createOcrService } from '../../src/model/service.ts';
import { DEFAULT_MAX_NEW_TOKENS, maxNewTokensOf, type EngineModel, type Transformers } from '../../src/model/engine.ts';
import { BUILTIN_PREPARE, prepareForModel } from '../../src/image/prepare.ts';

const MODELS = path.join(import.meta.dirname, '..', '..', 'models');
const FILES = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer_config.json'] as const;
const read = (model: string, file: string) => JSON.parse(fs.readFileSync(path.join(MODELS, model, file), 'utf8'));
const augmented = () => Object.fromEntries(FILES.map((f) => [f, read('augmented', f)]));
const withPrepare = (patch: Record<string, unknown>) => {
  const pp = read('augmented', 'preprocessor_config.json');
  return { 'preprocessor_config.json': { ...pp, latex_ocr_prepare: { ...pp.latex_ocr_prepare, ...patch } } };
};

describe('model-config schema', () => {
  it('accepts the built-in models unchanged: their spec, their 200 tokens', () => {
    for (const model of ['augmented', 'narrow']) {
      const files = Object.fromEntries(FILES.map((f) => [f, read(model, f)]));
      expect(checkModelConfig(files)).toEqual({ prepare: BUILTIN_PREPARE, maxNewTokens: 200 });
    }
  });

  it('a model without latex_ocr_prepare or max_new_tokens gets neither', () => {
    expect(checkModelConfig({ 'config.json': {}, 'preprocessor_config.json': { size: { height: 384, width: 384 } } })).toEqual({ prepare: null, maxNewTokens: undefined });
  });

  it('clamps max_new_tokens to the cap and refuses a budget that is not a positive whole number', () => {
    expect(checkModelConfig({ 'generation_config.json': { max_new_tokens: 1e9 } }).maxNewTokens).toBe(MAX_NEW_TOKENS_CAP);
    expect(checkModelConfig({ 'generation_config.json': { max_new_tokens: MAX_NEW_TOKENS_CAP - 1 } }).maxNewTokens).toBe(MAX_NEW_TOKENS_CAP - 1);
    for (const bad of [0, -5, 2.5, '200']) {
      expect(() => checkModelConfig({ 'generation_config.json': { max_new_tokens: bad } })).toThrow(/generation_config\.json: max_new_tokens must be/);
    }
  });

  for (const [field, value] of [
    ['height', 0],
    ['height', 16000],
    ['height', 'NaN'],
    ['height', null],
    ['height', 63.5],
    ['max_width', 0],
    ['max_width', 1e6],
    ['min_width', -1],
    ['grey', 'yes'],
  ] as const) {
    it(`refuses latex_ocr_prepare.${field} = ${JSON.stringify(value)}, naming the field`, () => {
      expect(() => checkModelConfig(withPrepare({ [field]: value }))).toThrow(ModelConfigError);
      expect(() => checkModelConfig(withPrepare({ [field]: value }))).toThrow(new RegExp(`preprocessor_config\\.json: latex_ocr_prepare\\.${field} must be`));
    });
  }

  it('refuses a missing prepare field, a min_width over max_width, and an absurd processor size', () => {
    const pp = read('augmented', 'preprocessor_config.json');
    const { height: _, ...noHeight } = pp.latex_ocr_prepare;
    expect(() => checkModelConfig({ 'preprocessor_config.json': { ...pp, latex_ocr_prepare: noHeight } })).toThrow(/latex_ocr_prepare\.height/);
    expect(() => checkModelConfig(withPrepare({ min_width: 2000 }))).toThrow(/latex_ocr_prepare\.min_width must not be larger than max_width/);
    expect(() => checkModelConfig({ 'preprocessor_config.json': { size: { height: 100_000, width: 64 } } })).toThrow(/preprocessor_config\.json: size\.height must be/);
  });

  it('refuses token ids of the wrong type in config.json', () => {
    expect(() => checkModelConfig({ ...augmented(), 'config.json': { ...read('augmented', 'config.json'), eos_token_id: 'end' } })).toThrow(/config\.json: eos_token_id must be/);
    expect(() => checkModelConfig({ 'config.json': { decoder: { decoder_start_token_id: -1 } } })).toThrow(/config\.json: decoder\.decoder_start_token_id must be/);
  });

  it('bounds JSON file sizes by file', () => {
    expect(() => checkJsonSize('config.json', MAX_CONFIG_JSON_BYTES)).not.toThrow();
    expect(() => checkJsonSize('config.json', MAX_CONFIG_JSON_BYTES + 1)).toThrow(/config\.json is too large \(1,048,577 bytes\): a model's config\.json may be at most 1 MiB/);
    expect(() => checkJsonSize('tokenizer.json', 5 * MAX_CONFIG_JSON_BYTES)).not.toThrow();
    expect(() => checkJsonSize('tokenizer.json', MAX_TOKENIZER_JSON_BYTES + 1)).toThrow(/tokenizer\.json/);
  });
});

describe('where the schema is applied', () => {
  /** A service over a fake transformers.js: only env.fetch is used by what is tested here. */
  function service(baseFetch: (url: string) => Promise<Response> = async () => new Response(null, { status: 404 })) {
    const tjs = { env: { fetch: baseFetch, backends: { onnx: {} } } } as unknown as Transformers;
    const svc = createOcrService(tjs, { gpu: async () => ({ webgpu: false, shaderF16: false }), cpuDevice: 'cpu', baseUrl: 'http://localhost/', crossOriginIsolated: false });
    return { svc, fetch: tjs.env.fetch as unknown as (url: string) => Promise<Response> };
  }
  const folder = (changes: Record<string, string | Blob> = {}) => {
    const files: Record<string, string | Blob> = {};
    for (const f of [...FILES, 'tokenizer.json']) files[f] = fs.readFileSync(path.join(MODELS, 'augmented', f), 'utf8');
    for (const f of ['onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx']) files[f] = 'onnx';
    Object.assign(files, changes);
    return Object.entries(files).map(([p, c]) => ({ path: p, file: c instanceof Blob ? c : new Blob([c]) }));
  };

  it('a user folder with good configs is registered; one with absurd numbers is refused, naming the field', async () => {
    const { svc } = service();
    await expect(svc.registerUserFiles('good', folder())).resolves.toEqual({ missing: [] });
    const pp = read('augmented', 'preprocessor_config.json');
    pp.latex_ocr_prepare.height = 0;
    await expect(svc.registerUserFiles('bad', folder({ 'preprocessor_config.json': JSON.stringify(pp) }))).rejects.toThrow(
      /preprocessor_config\.json: latex_ocr_prepare\.height must be a whole number from 8 to 512 \(got 0\)/,
    );
    await expect(svc.registerUserFiles('bad', folder({ 'generation_config.json': '{"max_new_tokens": ' }))).rejects.toThrow(/generation_config\.json is not valid JSON/);
  });

  it('a user folder with an oversized config file is refused before it is read', async () => {
    const { svc } = service();
    const huge = new Blob([' '.repeat(MAX_CONFIG_JSON_BYTES + 10)]);
    await expect(svc.registerUserFiles('big', folder({ 'config.json': huge }))).rejects.toThrow(/config\.json is too large/);
    await expect(svc.registerUserFiles('big', folder({ 'special_tokens_map.json': huge }))).rejects.toThrow(/special_tokens_map\.json/);
  });

  it("a hub model's JSON downloads are bounded, with or without a content-length", async () => {
    const big = 'x'.repeat(MAX_CONFIG_JSON_BYTES + 1);
    const streamed = (text: string) => new Response(new Blob([text]).stream(), { status: 200 }); // no content-length
    const { fetch } = service(async (url) => (url.endsWith('small.json') ? new Response('{"a":1}', { headers: { 'content-length': '7' } }) : url.includes('stream') ? streamed(big) : new Response(big, { headers: { 'content-length': String(big.length) } })));
    await expect(fetch('https://huggingface.co/someone/model/resolve/main/config.json')).rejects.toThrow(/config\.json is too large/);
    await expect(fetch('https://huggingface.co/someone/stream/resolve/main/config.json')).rejects.toThrow(/config\.json is too large/);
    await expect((await fetch('https://huggingface.co/someone/model/resolve/main/small.json')).json()).resolves.toEqual({ a: 1 });
  });

  it('the token budget is capped whoever asks: the model, the caller; garbage gets the default', () => {
    const model = (max_new_tokens: unknown) => ({ pipe: { model: { generation_config: { max_new_tokens } } } }) as unknown as EngineModel;
    expect(maxNewTokensOf(model(1e9), {})).toBe(MAX_NEW_TOKENS_CAP);
    expect(maxNewTokensOf(model(200), { maxNewTokens: 1e7 })).toBe(MAX_NEW_TOKENS_CAP);
    expect(maxNewTokensOf(model(200), {})).toBe(200);
    expect(maxNewTokensOf(model(undefined), {})).toBe(DEFAULT_MAX_NEW_TOKENS);
    expect(maxNewTokensOf(model(NaN), {})).toBe(DEFAULT_MAX_NEW_TOKENS);
  });

  it('prepareForModel refuses a spec with absurd numbers instead of making an empty or enormous image', () => {
    const img = { width: 8, height: 8, data: new Uint8ClampedArray(8 * 8 * 4).fill(255) };
    expect(prepareForModel(img, BUILTIN_PREPARE).height).toBe(64);
    expect(() => prepareForModel(img, { ...BUILTIN_PREPARE, height: 0 })).toThrow(/latex_ocr_prepare\.height must be/);
    expect(() => prepareForModel(img, { ...BUILTIN_PREPARE, max_width: 16000 })).toThrow(/latex_ocr_prepare\.max_width must be/);
    expect(() => prepareForModel(img, { ...BUILTIN_PREPARE, min_width: NaN })).toThrow(/latex_ocr_prepare\.min_width must be/);
  });
});
