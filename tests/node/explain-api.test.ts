/**
 * "Where it looks" end to end in Node (issue 15): recognize() reports the decoded sequence and
 * whether the model has attention, the worker API's explain() (the same service the browser
 * worker exposes, over a real MessageChannel with comlink) gives one map per shown token, with
 * progress and cooperative cancel for occlusion; and `npm run stress -- --maps` adds ink_share.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import * as Comlink from 'comlink';
import { tjs, readImage, MODELS_DIR, ROOT } from '../../cli/common.ts';
import { createOcrService } from '../../src/model/service.ts';
import { parseCsv } from '../../src/research/export.ts';
import type { OcrApi, Prediction } from '../../src/worker-api/ocr.ts';
import type { Raster } from '../../src/image/raster.ts';
import { FIXTURE_DIR, generateFixtures } from '../fixtures/generate.ts';

const { port1, port2 } = new MessageChannel();
Comlink.expose(
  createOcrService(tjs, { gpu: async () => ({ webgpu: false, shaderF16: false }), cpuDevice: 'cpu', baseUrl: 'http://localhost/', crossOriginIsolated: false }),
  port1 as unknown as Comlink.Endpoint,
);
const api = Comlink.wrap<OcrApi>(port2 as unknown as Comlink.Endpoint);
afterAll(() => {
  port1.close();
  port2.close();
});

const model = { source: { kind: 'builtin' as const, id: path.join(MODELS_DIR, 'augmented') }, device: 'wasm' as const, dtype: 'q8' as const };
let image: Raster;
let p: Prediction;

/** A copy of the augmented model whose config names no attention grid: a model without attention maps. */
let noAttention: string;

beforeAll(async () => {
  await generateFixtures();
  image = await readImage(path.join(FIXTURE_DIR, 'pythagoras.png'));
  p = await api.recognize({ ...model, image });
  noAttention = fs.mkdtempSync(path.join(os.tmpdir(), 'latex-ocr-noattn-'));
  const src = path.join(MODELS_DIR, 'augmented');
  for (const f of fs.readdirSync(src)) if (f.endsWith('.json')) fs.copyFileSync(path.join(src, f), path.join(noAttention, f));
  fs.mkdirSync(path.join(noAttention, 'onnx'));
  for (const f of ['encoder_model_quantized.onnx', 'decoder_model_merged_quantized.onnx']) fs.symlinkSync(path.join(src, 'onnx', f), path.join(noAttention, 'onnx', f));
  const config = JSON.parse(fs.readFileSync(path.join(noAttention, 'config.json'), 'utf8'));
  delete config.encoder.attention_grid;
  fs.writeFileSync(path.join(noAttention, 'config.json'), JSON.stringify(config));
}, 300_000);
afterAll(() => fs.rmSync(noAttention, { recursive: true, force: true }));

describe('recognize() reports what the maps need', () => {
  it('the decoded sequence (end token included) and that the model has attention', () => {
    expect(p.attentionAvailable).toBe(true);
    expect(p.sequence!.ids.length).toBe(p.tokens.length + 1); // pythagoras ends with the end token, not cut
    expect(p.sequence!.ids.at(-1)).toBe(2);
    expect(Number.isInteger(p.sequence!.start)).toBe(true);
  });
});

describe('OcrApi.explain', () => {
  it('attention: one map per shown token, the same tokens as the confidence row, one pass', async () => {
    const maps = await api.explain({ ...model, modelInput: p.modelInput, sequence: p.sequence!, kind: 'attention' });
    expect(maps.kind).toBe('attention');
    expect(maps.passes).toBe(1);
    expect(maps.tokens.map((t) => t.text)).toEqual(p.tokens.map((t) => t.text));
    expect(maps.tokens.map((t) => t.token)).toEqual(p.tokens.map((_, i) => i));
    expect(maps.overall.rows).toBe(4);
    expect(maps.overall.values.length).toBe(maps.overall.rows * maps.overall.cols);
    expect(maps.inkShare).toBeGreaterThan(maps.inkCells); // the built-in model looks at the ink
  });

  it('occlusion: progress after each pass, then one map per token; a cancel stops it between passes and the next call runs', async () => {
    const seen: [number, number][] = [];
    const maps = await api.explain(
      { ...model, modelInput: p.modelInput, sequence: p.sequence!, kind: 'occlusion' },
      { id: 1 },
      Comlink.proxy((done: number, total: number) => void seen.push([done, total])),
    );
    expect(maps.kind).toBe('occlusion');
    const total = seen[0][1];
    expect(total).toBeGreaterThan(4);
    await expect.poll(() => seen.length).toBe(total + 1);
    expect(seen.at(-1)).toEqual([total, total]);
    expect(maps.passes).toBe(total + 1);
    expect(maps.tokens).toHaveLength(p.tokens.length);

    // cancelled after its third pass: no more progress, an AbortError
    const progress: number[] = [];
    const running = api.explain(
      { ...model, modelInput: p.modelInput, sequence: p.sequence!, kind: 'occlusion' },
      { id: 2 },
      Comlink.proxy((done: number) => {
        progress.push(done);
        if (done === 3) void api.cancel(2);
      }),
    );
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(Math.max(...progress)).toBeLessThan(total);
    const again = await api.explain({ ...model, modelInput: p.modelInput, sequence: p.sequence!, kind: 'attention' }, { id: 3 });
    expect(again.tokens).toHaveLength(p.tokens.length);
  });
});

describe('npm run stress -- --maps', () => {
  it('adds ink_share per row for a model with attention, and leaves it empty with the reason for one without', async () => {
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        path.join(ROOT, 'node_modules', '.bin', 'tsx'),
        [path.join('cli', 'stress.ts'), '--model', 'augmented', '--model', noAttention, '--vary', 'colour', '--steps', '2', '--dtype', 'q8', '--maps', path.join(FIXTURE_DIR, 'pythagoras.png')],
        { cwd: ROOT, encoding: 'utf8', timeout: 240_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
      );
    });
    expect(run.code, run.stderr).toBe(0);
    const [header, ...rows] = parseCsv(run.stdout);
    expect(header).toEqual(['step', 'value', 'model', 'latex', 'edit_distance', 'mean_confidence', 'ms', 'ink_share']);
    expect(rows).toHaveLength(4);
    const col = header.indexOf('ink_share');
    for (const r of rows.filter((r) => r[2] === 'augmented')) {
      const v = Number(r[col]);
      expect(r[col]).not.toBe('');
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    for (const r of rows.filter((r) => r[2] === noAttention)) expect(r[col]).toBe('');
    expect(run.stderr).toContain(`${noAttention}: no ink_share: the model does not return its cross-attention`);
  });
});
