/**
 * The OCR worker API driven over a real MessageChannel with comlink, in Node: the same
 * OcrApi implementation the browser worker exposes (src/model/service.ts), with
 * transformers.js for Node and the shipped built-in model.
 */
import { describe, it, expect, afterAll } from 'vitest';
import path from 'node:path';
import * as Comlink from 'comlink';
import { tjs, readImage, MODELS_DIR } from '../../cli/common.ts';
import { createOcrService } from '../../src/model/service.ts';
import { DecodeCancelled, loadModel, recognize } from '../../src/model/engine.ts';
import type { LoadProgress, RecognizeRequest } from '../../src/worker-api/ocr.ts';
import { FIXTURE_DIR } from '../fixtures/generate.ts';
import { serviceOverChannel } from './service-channel.ts';

const { api, close } = serviceOverChannel();
afterAll(close);

describe('OcrApi over a MessageChannel', () => {
  it('reports devices', async () => {
    const d = await api.devices();
    expect(d.webgpu).toBe(false);
    expect(d.crossOriginIsolated).toBe(false);
  });

  it('loads a built-in model with progress, then recognises an image', async () => {
    const events: string[] = [];
    const loaded = await api.load(
      { source: { kind: 'builtin', id: path.join(MODELS_DIR, 'augmented') }, device: 'wasm', dtype: 'fp32' },
      Comlink.proxy((p: LoadProgress) => void events.push(p.status)),
    );
    expect(loaded.device).toBe('cpu');
    expect(loaded.dtype).toBe('fp32');
    expect(loaded.prepare).toMatchObject({ grey: true, trim: true, height: 64 });
    expect(events).toContain('ready');

    const image = await readImage(path.join(FIXTURE_DIR, 'pythagoras.png'));
    const p = await api.recognize({ source: { kind: 'builtin', id: path.join(MODELS_DIR, 'augmented') }, device: 'wasm', dtype: 'fp32', image });
    expect(p.latex).toBe('a ^ { 2 } + b ^ { 2 } = c ^ { 2 }');
    expect(p.ms).toBeGreaterThan(0);
    expect(p.modelInput.height).toBe(64);
    for (const t of p.tokens) {
      expect(t.prob).toBeGreaterThan(0);
      expect(t.prob).toBeLessThanOrEqual(1);
    }
    expect(p.tokens.map((t) => t.text).join(' ')).toBe(p.latex);
  });

  it('names the missing files of a user folder', async () => {
    const r = await api.registerUserFiles('mine', [{ path: 'config.json', file: new Blob(['{}']) }]);
    expect(r.missing).toEqual(expect.arrayContaining(['tokenizer.json', 'preprocessor_config.json', 'onnx/encoder_model.onnx']));
  });

  it('a cancelled recognition never starts (shared cell or cancel message), and the next one runs', async () => {
    const image = await readImage(path.join(FIXTURE_DIR, 'pythagoras.png'));
    const req: RecognizeRequest = { source: { kind: 'builtin', id: path.join(MODELS_DIR, 'augmented') }, device: 'wasm', dtype: 'fp32', image };
    const cell = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(cell, 0, 11);
    await expect(api.recognize(req, { id: 11, cancelled: cell })).rejects.toMatchObject({ name: 'AbortError', message: 'cancelled' });
    await api.cancel(12);
    await expect(api.recognize(req, { id: 12 })).rejects.toMatchObject({ name: 'AbortError' });
    const p = await api.recognize(req, { id: 13, cancelled: cell });
    expect(p.latex.length).toBeGreaterThan(0);
  });

  it('rejects a model that does not exist, and keeps working', async () => {
    await expect(api.load({ source: { kind: 'builtin', id: '/nonexistent/model' }, device: 'wasm' })).rejects.toThrow();
    const d = await api.devices();
    expect(d.webgpu).toBe(false);
  });
});

describe('device choice', () => {
  it('"auto" does not pick a software WebGPU adapter, and says why', async () => {
    const service = createOcrService(tjs, {
      gpu: async () => ({ webgpu: true, shaderF16: false, software: true }),
      cpuDevice: 'cpu',
      baseUrl: 'http://localhost/',
      crossOriginIsolated: false,
    });
    const loaded = await service.load({ source: { kind: 'builtin', id: path.join(MODELS_DIR, 'narrow') }, device: 'auto', dtype: 'q8' });
    expect(loaded.device).toBe('cpu');
    expect(loaded.fallbackReason).toMatch(/software one \(no GPU\): ran on CPU/);
  });
});

describe('cooperative cancel in the decode loop (src/model/engine.ts)', () => {
  it('stops greedy and beam decoding at the step where it is asked to, and not later', async () => {
    const model = await loadModel(tjs, path.join(MODELS_DIR, 'augmented'), { device: 'cpu', dtype: 'fp32' });
    const image = await readImage(path.join(FIXTURE_DIR, 'pythagoras.png'));
    // count the decoder's runs (one per step in generate() and in beam search)
    const m = model.pipe.model;
    const forward = m.forward.bind(m);
    let steps = 0;
    m.forward = (...args: unknown[]) => {
      steps++;
      return forward(...args);
    };
    const full = await recognize(tjs, model, image, {});
    const fullSteps = steps;
    expect(fullSteps, `the formula (${full.latex}) takes more than 4 steps`).toBeGreaterThan(4);

    for (const numBeams of [1, 3]) {
      steps = 0;
      const e = await recognize(tjs, model, image, { numBeams, cancelled: () => steps >= 3 }).catch((x) => x);
      expect(e).toBeInstanceOf(DecodeCancelled);
      expect(e.name).toBe('AbortError');
      expect(steps, `beam width ${numBeams}`).toBe(3);
    }
    // nothing was left behind: the next recognition gives the same result
    steps = 0;
    expect((await recognize(tjs, model, image, {})).latex).toBe(full.latex);
    expect(steps).toBe(fullSteps);
    await model.pipe.dispose?.();
  });
});
