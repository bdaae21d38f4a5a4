/**
 * A vision-language model through the OCR worker API (src/model/service.ts → src/model/vlmService.ts),
 * over a real MessageChannel with comlink as in the browser: the tiny LLaVA fixture
 * (tests/fixtures/tiny-vlm) registered as a user's model folder, loaded with its config's dtype,
 * prompted with an instruction, its tokens streamed through a Comlink proxy, cancelled
 * mid-generation, and a wider beam falling back to greedy with a reason. Random weights: the
 * tests check structure, never content.
 */
import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Comlink from 'comlink';
import { ROOT } from '../../cli/common.ts';
import { DEFAULT_INSTRUCTION } from '../../src/model/vlm.ts';
import { VLM_GREEDY_REASON } from '../../src/model/vlmService.ts';
import type { RecognizeRequest } from '../../src/worker-api/ocr.ts';
import type { Raster } from '../../src/image/raster.ts';
import { serviceOverChannel } from './service-channel.ts';

const DIR = path.join(ROOT, 'tests', 'fixtures', 'tiny-vlm');

async function register(id: string, files: { path: string; file: Blob }[]) {
  const dir = path.join(MODEL_ROOT, id);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.path), Buffer.from(await f.file.arrayBuffer()));
  }
  return api.registerUserFiles(id, files);
}

// In the browser, a registered folder's files are fetched from the service's file server
// (/__user_model__/<id>/...); transformers.js for Node reads model files from the disk instead
// (onnxruntime-node takes a path), so each folder registered here is also written to a temporary
// folder, the service's userModelRoot. The service's own choices (is it a VLM, which dtype, what
// is missing) come from the registered files, as in the browser.
const MODEL_ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'vlm-service-'));

const { api, close } = serviceOverChannel({ userModelRoot: MODEL_ROOT + path.sep });
afterAll(() => {
  fs.rmSync(MODEL_ROOT, { recursive: true, force: true });
  close();
});

/** The fixture's files as a picked folder gives them (paths relative to the folder), config.json changed by `patch`. */
function folder(patch: (config: Record<string, unknown>) => void = () => undefined, skip: string[] = []): { path: string; file: Blob }[] {
  const out: { path: string; file: Blob }[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(DIR, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (fs.statSync(path.join(DIR, r)).isDirectory()) walk(r);
      else if (!skip.includes(r) && !r.endsWith('.py')) out.push({ path: r, file: new Blob([fs.readFileSync(path.join(DIR, r))]) });
    }
  };
  walk('');
  const config = JSON.parse(fs.readFileSync(path.join(DIR, 'config.json'), 'utf8'));
  patch(config);
  return out.map((f) => (f.path === 'config.json' ? { path: f.path, file: new Blob([JSON.stringify(config)]) } : f));
}

function image(): Raster {
  const width = 120;
  const height = 40;
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  for (let y = 15; y < 25; y++) for (let x = 10; x < 110; x++) if (x % 12 < 6) data.fill(0, (y * width + x) * 4, (y * width + x) * 4 + 3);
  return { width, height, data };
}

const request = (id: string, extra: Partial<RecognizeRequest> = {}): RecognizeRequest => ({ source: { kind: 'user', id }, device: 'wasm', image: image(), ...extra });

describe('a vision-language model through the OCR worker API', () => {
  it('registers a VLM folder: what it is, its default precision from config.json, and what it lacks', async () => {
    expect(await register('tiny', folder())).toEqual({ missing: [], vlm: { modelType: 'llava', trainingInstruction: null, dtype: 'fp32' } });
    // an image-to-text folder's files are not asked of it; its own missing session is named
    const partial = await api.registerUserFiles('partial', folder(undefined, ['onnx/vision_encoder.onnx']));
    expect(partial.missing).toEqual(['onnx/vision_encoder.onnx']);
    expect(partial.vlm?.modelType).toBe('llava');
  });

  it('refuses a folder whose latex_ocr_instruction is not bounded text, naming the file and the field', async () => {
    await expect(api.registerUserFiles('bad', folder((c) => (c.latex_ocr_instruction = 42)))).rejects.toThrow(/config\.json: latex_ocr_instruction must be text/);
    await expect(api.registerUserFiles('long', folder((c) => (c.latex_ocr_instruction = 'x'.repeat(2001))))).rejects.toThrow(/latex_ocr_instruction must be at most 2000 characters/);
  });

  it('loads as a VLM with the default instruction, and recognises with an instruction, streaming its tokens', async () => {
    await register('tiny', folder());
    const loaded = await api.load({ source: { kind: 'user', id: 'tiny' }, device: 'wasm' });
    expect(loaded).toMatchObject({ kind: 'vlm', instruction: DEFAULT_INSTRUCTION, trainingInstruction: null, dtype: 'fp32', device: 'cpu', prepare: null });

    const streamed: string[] = [];
    const p = await api.recognize(request('tiny', { instruction: 'Write the formula in LaTeX.' }), undefined, Comlink.proxy((t: string) => void streamed.push(t)));
    expect(p.instruction).toBe('Write the formula in LaTeX.');
    expect(typeof p.raw).toBe('string');
    expect(Array.isArray(p.repairs)).toBe(true);
    expect(p.decoding).toEqual({ numBeams: 1 });
    // the raw text grew token by token, to the answer as returned
    // (the proxy's messages travel on their own channel: the last may land after the result)
    await expect.poll(() => streamed.at(-1)).toBe(p.raw);
    expect(streamed.length).toBeGreaterThan(1);
    for (let i = 1; i < streamed.length; i++) expect(streamed[i].startsWith(streamed[i - 1].replace(/\s+$/, ''))).toBe(true);

    // the instruction is part of the input: the default one gives another prompt (and may give another answer)
    const q = await api.recognize(request('tiny'));
    expect(q.instruction).toBe(DEFAULT_INSTRUCTION);
  }, 120_000);

  it('says when a wider beam fell back to greedy', async () => {
    await register('tiny', folder());
    const p = await api.recognize(request('tiny', { numBeams: 3 }));
    expect(p.decoding).toEqual({ numBeams: 1, fellBackReason: VLM_GREEDY_REASON });
  }, 120_000);

  it("uses the folder's training instruction when none is asked for", async () => {
    await register('trained', folder((c) => (c.latex_ocr_instruction = 'Transcribe the equation.')));
    const loaded = await api.load({ source: { kind: 'user', id: 'trained' }, device: 'wasm' });
    expect(loaded).toMatchObject({ kind: 'vlm', instruction: 'Transcribe the equation.', trainingInstruction: 'Transcribe the equation.' });
    expect((await api.recognize(request('trained'))).instruction).toBe('Transcribe the equation.');
  }, 120_000);

  it('stops generating when the job is cancelled after its first token', async () => {
    await register('tiny', folder());
    let tokens = 0;
    const run = api.recognize(
      request('tiny'),
      { id: 101 },
      Comlink.proxy(() => {
        if (++tokens === 1) void api.cancel(101);
      }),
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(tokens).toBeGreaterThanOrEqual(1);
    expect(tokens).toBeLessThan(20); // the fixture generates 20 tokens when let run
  }, 120_000);
});
