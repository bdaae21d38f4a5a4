/**
 * "Where it looks" wiring (issue 15), without models: the confidence row's tokens become
 * selectable buttons, OcrClient.explain (copy of the image transferred, progress, cancel reaching
 * the worker, the occlusion time limit), OcrRouter.explain (load first), the ladder PNG's map column.
 */
import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import * as Comlink from 'comlink';
import { TokenConfidence } from '../../src/compare/TokenConfidence.tsx';
import { AbortedError, OcrClient, WorkerFailure, type OcrClient as Client } from '../../src/worker-api/client.ts';
import { OcrRouter } from '../../src/worker-api/router.ts';
import { ladderColumns } from '../../src/research/ladderPng.ts';
import type { ExplainRequest, JobTicket, LoadRequest } from '../../src/worker-api/ocr.ts';
import type { PredictionMaps } from '../../src/explain/maps.ts';
import type { SweepRow } from '../../src/research/sweep.ts';
import { fakeWorkers, sleep } from './fake-worker.ts';

const tokens = ['a', '^', '2'].map((text) => ({ text, prob: 0.9, alternatives: [] }));
const prediction = { latex: 'a ^ 2', tokens, truncated: false };

describe('TokenConfidence: selecting a token', () => {
  it('without onSelect the tokens are plain focusable text', () => {
    const html = renderToStaticMarkup(createElement(TokenConfidence, { prediction }));
    expect(html).not.toContain('role="button"');
    expect(html).not.toContain('aria-pressed');
  });

  it('with onSelect each token is a button, and the selected one is pressed', () => {
    const html = renderToStaticMarkup(createElement(TokenConfidence, { prediction, selected: 1, onSelect: () => undefined }));
    const buttons = [...html.matchAll(/<span[^>]*class="conf-tok[^"]*"[^>]*>/g)].map((m) => m[0]);
    expect(buttons).toHaveLength(3);
    for (const b of buttons) expect(b).toContain('role="button"');
    expect(buttons.map((b) => /aria-pressed="(\w+)"/.exec(b)![1])).toEqual(['false', 'true', 'false']);
  });
});

const image = { width: 2, height: 1, data: new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 255]) };
const explainReq = (kind: 'attention' | 'occlusion'): ExplainRequest => ({ source: { kind: 'builtin', id: 'augmented' }, device: 'wasm', modelInput: image, sequence: { start: 0, ids: [5, 2] }, kind });
const mapsOf = (kind: 'attention' | 'occlusion'): PredictionMaps => {
  const map = { rows: 1, cols: 2, values: new Float32Array([0.25, 0.75]) };
  return { kind, tokens: [{ token: 0, text: 'x', map, inkShare: 0.75 }], overall: map, inkShare: 0.75, inkCells: 0.5, passes: 1, ms: 1 };
};

/** A fake worker's explain(): `passes` steps of 10 ms, progress after each, cancel read between them. */
function fakeExplainer(log: string[], passes = 20) {
  let cancelledUpTo = 0;
  return {
    async explain(req: ExplainRequest, job?: JobTicket, onProgress?: (d: number, t: number) => void) {
      log.push(`explain ${req.kind} ${req.modelInput.data[0]}`);
      for (let i = 1; i <= passes; i++) {
        await sleep(10);
        if (job && job.id <= cancelledUpTo) {
          log.push(`stopped after ${i}`);
          throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
        }
        await onProgress?.(i, passes);
      }
      return Comlink.transfer(mapsOf(req.kind), []);
    },
    async cancel(upTo: number) {
      log.push(`cancel ${upTo}`);
      cancelledUpTo = Math.max(cancelledUpTo, upTo);
    },
  };
}

describe('OcrClient.explain', () => {
  it('sends a copy of the image (the page keeps its own), reports progress, returns the maps', async () => {
    const log: string[] = [];
    const workers = fakeWorkers(() => fakeExplainer(log, 3));
    const client = new OcrClient({ createWorker: workers.createWorker });
    const seen: number[] = [];
    const maps = await client.explain(explainReq('attention'), { onProgress: (d) => seen.push(d) });
    expect(maps.tokens[0].map.values).toEqual(new Float32Array([0.25, 0.75]));
    expect(image.data.byteLength).toBe(8); // not detached by the transfer
    expect(log).toEqual(['explain attention 1']);
    await expect.poll(() => seen).toEqual([1, 2, 3]);
    client.dispose();
  });

  it('aborting stops the work in the worker between passes', async () => {
    const log: string[] = [];
    const workers = fakeWorkers(() => fakeExplainer(log, 50));
    const client = new OcrClient({ createWorker: workers.createWorker });
    const abort = new AbortController();
    const running = client.explain(explainReq('occlusion'), { signal: abort.signal });
    await sleep(60);
    abort.abort();
    await expect(running).rejects.toBeInstanceOf(AbortedError);
    await expect.poll(() => log.some((l) => l.startsWith('stopped after'))).toBe(true);
    expect(log).toContain('cancel 1');
    client.dispose();
  });

  it('an occlusion map runs under its own, longer time limit than a recognition', async () => {
    const log: string[] = [];
    const workers = fakeWorkers(() => fakeExplainer(log, 10)); // ~100 ms
    const client = new OcrClient({ createWorker: workers.createWorker, recognizeTimeoutMs: 30, occlusionTimeoutMs: 5_000 });
    expect((await client.explain(explainReq('occlusion'))).kind).toBe('occlusion');
    const e = await client.explain(explainReq('attention')).catch((x) => x);
    expect(e).toBeInstanceOf(WorkerFailure);
    expect(e.message).toBe('The attention map took longer than 30 ms; the worker was restarted.');
    client.dispose();
  });
});

describe('OcrRouter.explain', () => {
  it('resolves the device, loads the model (a restarted worker may not have it), then asks for the maps', async () => {
    const log: string[] = [];
    const fake = {
      restarts: 0,
      async load(r: LoadRequest) {
        log.push(`load ${r.device}`);
        return { key: 'k', device: 'wasm', dtype: 'q8', loadMs: 1, prepare: null };
      },
      async explain(r: ExplainRequest) {
        log.push(`explain ${r.kind} ${r.device}`);
        return mapsOf(r.kind);
      },
      dispose() {},
    };
    const router = new OcrRouter({ createClient: () => fake as unknown as Client, gpu: async () => ({ webgpu: false, shaderF16: false }) });
    const maps = await router.explain({ ...explainReq('attention'), device: 'auto' });
    expect(maps.kind).toBe('attention');
    expect(log).toEqual(['load wasm', 'explain attention wasm']);
  });
});

describe('ladder PNG: the "Where it looks" column', () => {
  const row = (stepMap?: SweepRow['stepMap']) => ({ stepMap }) as SweepRow;
  it('has a map column between the image and the text only when a step has a map', () => {
    const plain = ladderColumns({ rows: [row(), row({ unavailable: 'no attention' })] });
    expect(plain.map).toBeNull();
    const map = { rows: 1, cols: 1, values: new Float32Array([1]) };
    const withMaps = ladderColumns({ rows: [row({ image, map, inkShare: 0.5 })] });
    expect(withMaps.map).toBeGreaterThan(withMaps.image);
    expect(withMaps.text).toBeGreaterThan(withMaps.map!);
    expect(withMaps.text).toBeGreaterThan(plain.text);
  });
});
