/**
 * Node (onnxruntime-node, CPU) measurements for npm run bench: load times, per-formula
 * latency by length bucket, decode speed, memory, and the unoptimised baseline
 * (no KV cache, fp32, one thread) run in the same process for ratios.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { tjs, resolveModel } from './common.ts';
import { loadModel, recognize, type EngineModel } from '../src/model/engine.ts';
import { prepareForModel } from '../src/image/prepare.ts';
import type { Raster } from '../src/image/raster.ts';
import type { Dtype } from '../src/worker-api/ocr.ts';

export interface BenchFormula {
  id: string;
  latex: string;
  tokens: number;
  bucket: 'short' | 'medium' | 'long';
  image: Raster;
}

export interface LatencyStats {
  median: number;
  p95: number;
  n: number;
}

export function stats(xs: number[]): LatencyStats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: round(q(0.5)), p95: round(q(0.95)), n: s.length };
}
export const round = (x: number) => Math.round(x * 10) / 10;

/** Latency by length bucket, and over all formulas. */
export type Latency = Record<BenchFormula['bucket'] | 'all', LatencyStats>;

export function latencyOf(per: Record<BenchFormula['bucket'], number[]>): Latency {
  return { short: stats(per.short), medium: stats(per.medium), long: stats(per.long), all: stats([...per.short, ...per.medium, ...per.long]) };
}

/** Medians, over repeated runs, of each run's median and p95. */
export function mergeLatency(rs: { latency: Latency }[]): Latency {
  const m = (f: (l: Latency) => number) => round(median(rs.map((r) => f(r.latency))));
  const one = (b: keyof Latency) => ({ median: m((l) => l[b].median), p95: m((l) => l[b].p95), n: rs.reduce((a, r) => a + r.latency[b].n, 0) });
  return { short: one('short'), medium: one('medium'), long: one('long'), all: one('all') };
}
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function bucketOf(tokens: number): BenchFormula['bucket'] {
  return tokens <= 20 ? 'short' : tokens <= 60 ? 'medium' : 'long';
}

export function modelBytes(model: string, dtype: Dtype): number {
  const dir = path.join(resolveModel(model), 'onnx');
  const suffix = dtype === 'fp32' ? '' : dtype === 'fp16' ? '_fp16' : '_quantized';
  return ['encoder_model', 'decoder_model_merged'].reduce((s, b) => s + fs.statSync(path.join(dir, `${b}${suffix}.onnx`)).size, 0);
}

export interface NodeRow {
  env: 'node-cpu';
  model: string;
  dtype: Dtype | 'fp32-baseline';
  threads: number | 'default';
  kvCache: boolean;
  loadColdMs: number;
  loadWarmMs: number;
  latency: Latency;
  tokensPerS: number;
  peakRssMb: number;
  modelBytes: number;
}

async function timeLoad(model: string, dtype: Dtype): Promise<{ m: EngineModel; ms: number }> {
  const t0 = performance.now();
  const m = await loadModel(tjs, resolveModel(model), { device: 'cpu', dtype });
  return { m, ms: performance.now() - t0 };
}

/** The optimised path: the app's engine (KV cache, cross-attention K/V once per image). */
export async function benchNodeEngine(model: string, dtype: Dtype, formulas: BenchFormula[], runs: number): Promise<NodeRow> {
  let peak = process.memoryUsage().rss;
  const cold = await timeLoad(model, dtype);
  await cold.m.pipe.dispose?.();
  const warm = await timeLoad(model, dtype);
  const m = warm.m;
  await recognize(tjs, m, formulas[0].image, { maxNewTokens: 8 }); // warm-up, as the app does
  const per: Record<BenchFormula['bucket'], number[]> = { short: [], medium: [], long: [] };
  let tokens = 0;
  let genMs = 0;
  for (let r = 0; r < runs; r++) {
    for (const f of formulas) {
      const p = await recognize(tjs, m, f.image);
      per[f.bucket].push(p.ms);
      tokens += p.tokens.length + 1;
      genMs += p.ms;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
  }
  await m.pipe.dispose?.();
  return {
    env: 'node-cpu',
    model,
    dtype,
    threads: 1, // src/model/engine.ts: onnxruntime-node runs one thread
    kvCache: true,
    loadColdMs: round(cold.ms),
    loadWarmMs: round(warm.ms),
    latency: latencyOf(per),
    tokensPerS: round((1000 * tokens) / genMs),
    peakRssMb: Math.round(peak / 1e6),
    modelBytes: modelBytes(model, dtype),
  };
}

/**
 * The unoptimised baseline: fp32, one thread, no KV cache (the decoder re-reads the whole
 * prefix at every step, with an empty past), greedy. Same preparation and weights.
 */
export async function benchNodeBaseline(model: string, formulas: BenchFormula[], runs: number): Promise<NodeRow> {
  const dir = resolveModel(model);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const gen = JSON.parse(fs.readFileSync(path.join(dir, 'generation_config.json'), 'utf8'));
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  const t0 = performance.now();
  const enc = await ort.InferenceSession.create(path.join(dir, 'onnx', 'encoder_model.onnx'), opts);
  const dec = await ort.InferenceSession.create(path.join(dir, 'onnx', 'decoder_model_merged.onnx'), opts);
  const coldMs = performance.now() - t0;
  const t1 = performance.now();
  await ort.InferenceSession.create(path.join(dir, 'onnx', 'encoder_model.onnx'), opts);
  await ort.InferenceSession.create(path.join(dir, 'onnx', 'decoder_model_merged.onnx'), opts);
  const warmMs = performance.now() - t1;
  const L = cfg.decoder.n_layer as number;
  const H = cfg.decoder.n_head as number;
  const Dh = (cfg.decoder.n_embd as number) / H;
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'preprocessor_config.json'), 'utf8')).latex_ocr_prepare;
  const maxNew = gen.max_new_tokens as number;
  let peak = process.memoryUsage().rss;
  const per: Record<BenchFormula['bucket'], number[]> = { short: [], medium: [], long: [] };
  let tokens = 0;
  let genMs = 0;
  const emptyPast = () => {
    const feeds: Record<string, ort.Tensor> = {};
    for (let i = 0; i < L; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, H, 0, Dh]);
    return feeds;
  };
  for (let r = 0; r < runs; r++) {
    for (const f of formulas) {
      const start = performance.now();
      const img = prepareForModel(f.image, spec);
      const px = new Float32Array(3 * img.width * img.height);
      for (let c = 0; c < 3; c++) for (let i = 0; i < img.width * img.height; i++) px[c * img.width * img.height + i] = img.data[i * 4 + c] / 127.5 - 1;
      const { last_hidden_state } = await enc.run({ pixel_values: new ort.Tensor('float32', px, [1, 3, img.height, img.width]) });
      const ids: bigint[] = [BigInt(gen.decoder_start_token_id)];
      for (let s = 0; s < maxNew; s++) {
        const out = await dec.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), [1, ids.length]), encoder_hidden_states: last_hidden_state, ...emptyPast() });
        const logits = out.logits.data as Float32Array;
        const V = out.logits.dims[2];
        const row = logits.subarray((ids.length - 1) * V, ids.length * V);
        let best = 0;
        for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
        ids.push(BigInt(best));
        if (best === gen.eos_token_id) break;
      }
      const ms = performance.now() - start;
      per[f.bucket].push(ms);
      tokens += ids.length - 1;
      genMs += ms;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
  }
  return {
    env: 'node-cpu',
    model,
    dtype: 'fp32-baseline',
    threads: 1,
    kvCache: false,
    loadColdMs: round(coldMs),
    loadWarmMs: round(warmMs),
    latency: latencyOf(per),
    tokensPerS: round((1000 * tokens) / genMs),
    peakRssMb: Math.round(peak / 1e6),
    modelBytes: modelBytes(model, 'fp32'),
  };
}
