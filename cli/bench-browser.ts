/**
 * Browser measurements for npm run bench: the built app in headless Chromium (Debian's),
 * driven through the page's bench hook (src/app/bench.ts, enabled by ?bench=1), which
 * uses the app's own worker and client. WASM with one and with two threads (cross-origin
 * isolated; ?threads=N), and WebGPU when the browser exposes an adapter.
 */
import fs from 'node:fs';
import os from 'node:os';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { latencyOf, median, mergeLatency, modelBytes, round, type BenchFormula, type Latency } from './bench-node.ts';
import type { Dtype, OrtRuntime } from '../src/worker-api/ocr.ts';
import { defaultWasmThreads } from '../src/model/device.ts';
import type { BenchRequest, BenchResult } from '../src/app/bench.ts';
import { encodePermalink } from '../src/research/permalink.ts';

export interface BrowserRow {
  env: 'chromium-wasm' | 'chromium-webgpu';
  model: string;
  dtype: Dtype;
  threads: number | 'default';
  runtime: OrtRuntime;
  kvCache: true;
  loadColdMs: number;
  loadWarmMs: number;
  latency: Latency;
  tokensPerS: number;
  peakRssMb: number | null;
  modelBytes: number;
}

const ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader'];

function encode(f: BenchFormula) {
  return { id: f.id, bucket: f.bucket, width: f.image.width, height: f.image.height, data: Buffer.from(f.image.data.buffer, f.image.data.byteOffset, f.image.data.length).toString('base64') };
}

/**
 * Peak resident memory (VmHWM) of Chromium's renderer processes, in MB: the page and its
 * workers (WASM heaps included). Read from /proc, since the page's own
 * measureUserAgentSpecificMemory() waits for a garbage collection (about a minute headless).
 * Each measured context is the only page open, and closed contexts' renderers have exited.
 */
function rendererPeakRssMb(): number | null {
  if (!fs.existsSync('/proc/self/status')) return null;
  let peak = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('chromium') || !cmd.includes('--type=renderer') || cmd.includes('--extension-process')) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm) peak = Math.max(peak, Number(hwm[1]) / 1e3);
    } catch {
      /* the process exited meanwhile */
    }
  }
  return peak ? Math.round(peak) : null;
}

async function runInPage(page: Page, req: BenchRequest): Promise<BenchResult> {
  await page.waitForFunction(() => !!window.__ocrBench, undefined, { timeout: 60_000 });
  return page.evaluate((r) => window.__ocrBench!.run(r), req);
}

interface BrowserConfig {
  device: 'wasm' | 'webgpu';
  dtype: Dtype;
  threads?: number;
  /** Run WASM on the asyncify build (what WASM used before it got the plain one): a same-run comparison. */
  asyncify?: boolean;
  model: string;
}

async function one(browser: Browser, base: string, cfg: BrowserConfig, formulas: BenchFormula[], runs: number): Promise<BrowserRow | null> {
  const query = `?bench=1${cfg.threads ? `&threads=${cfg.threads}` : ''}${cfg.asyncify ? '&runtime=asyncify' : ''}`;
  const images = formulas.map(encode);
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(base + '/' + query);
    const cold = await runInPage(page, { model: cfg.model, device: cfg.device, dtype: cfg.dtype, images: [], runs: 0 });
    if (cold.device !== (cfg.device === 'webgpu' ? 'webgpu' : 'wasm')) return null; // no adapter: nothing to measure
    await page.reload();
    const warm = await runInPage(page, { model: cfg.model, device: cfg.device, dtype: cfg.dtype, images, runs });
    const per: Record<string, number[]> = { short: [], medium: [], long: [] };
    for (const s of warm.samples) per[s.bucket].push(s.ms);
    const tokens = warm.samples.reduce((a, s) => a + s.tokens, 0);
    const ms = warm.samples.reduce((a, s) => a + s.ms, 0);
    return {
      env: cfg.device === 'webgpu' ? 'chromium-webgpu' : 'chromium-wasm',
      model: cfg.model,
      dtype: cfg.dtype,
      threads: cfg.threads ?? warm.threads,
      runtime: warm.runtime,
      kvCache: true,
      loadColdMs: round(cold.loadMs),
      loadWarmMs: round(warm.loadMs),
      latency: latencyOf(per),
      tokensPerS: round((1000 * tokens) / ms),
      peakRssMb: rendererPeakRssMb(),
      modelBytes: modelBytes(cfg.model, cfg.dtype),
    };
  } finally {
    await ctx.close();
  }
}

/**
 * Time from navigation start to the first finished prediction, model cached (later visits), and
 * the JavaScript files the first visit fetched up to its first prediction (page and workers).
 */
export async function firstPrediction(browser: Browser, base: string, runs: number): Promise<{ ms: number[]; longestTaskMs: number[]; jsFiles: string[] }> {
  const ctx = await browser.newContext();
  const out: number[] = [];
  const longest: number[] = [];
  const js = new Set<string>();
  // the app opened on a built-in example by permalink: both panes recognise it at once
  const url = `${base}/?bench=1#${encodePermalink({ image: { kind: 'example', id: 'pythagoras' } })}`;
  const shown = async (page: Page) => {
    await page.waitForFunction(() => typeof window.__firstPredictionMs === 'number', undefined, { timeout: 180_000 });
    return page.evaluate(() => window.__firstPredictionMs!);
  };
  try {
    const page = await ctx.newPage();
    // first visit: installs the service worker and caches the model; the context's requests
    // include the workers' own (dedicated workers') and the service worker's
    const record = (r: Request) => {
      if (r.serviceWorker()) return; // the service worker precaching every file, not the app loading it
      const p = new URL(r.url()).pathname;
      if (/\.m?js$/.test(p)) js.add(p.split('/').pop()!);
    };
    ctx.on('request', record);
    await page.goto(url);
    await shown(page);
    ctx.off('request', record);
    for (let r = 0; r < runs; r++) {
      await page.goto('about:blank'); // a full load each time, not a same-document hash change
      await page.goto(url);
      const ms = await shown(page);
      out.push(ms);
      // the longest main-thread task from the page's start to its first prediction (script
      // evaluation and first render included): how long a click could have waited
      longest.push(await page.evaluate((until) => Math.max(0, ...(window.__longTasks ?? []).filter((t) => t.start < until).map((t) => t.duration)), ms));
    }
  } finally {
    await ctx.close();
  }
  return { ms: out, longestTaskMs: longest, jsFiles: [...js].sort() };
}

/** Formulas per length bucket for the (software) WebGPU rows. */
export const WEBGPU_PER_BUCKET = 1;

export async function benchBrowser(base: string, models: string[], formulas: BenchFormula[], runs: number): Promise<{ rows: BrowserRow[]; firstPredictionMs: number[]; longestTaskMs: number[]; firstPredictionJs: string[]; chromium: string }> {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ARGS });
  const rows: BrowserRow[] = [];
  const version = browser.version();
  try {
    // Headless Chromium's WebGPU adapter is SwiftShader, a software rasteriser on these CPUs:
    // ~0.5 s a token, so WebGPU is measured once, for the first model, on WEBGPU_PER_BUCKET
    // formula(s) per length bucket (the table says so). On a real GPU it is a different story: measure there.
    const taken: Record<string, number> = {};
    const gpuSubset = formulas.filter((f) => (taken[f.bucket] = (taken[f.bucket] ?? 0) + 1) <= WEBGPU_PER_BUCKET);
    const configs: BrowserConfig[] = models.flatMap((model, mi) => [
      { model, device: 'wasm' as const, dtype: 'q8' as Dtype, threads: 1 },
      { model, device: 'wasm' as const, dtype: 'q8' as Dtype, threads: 2 },
      { model, device: 'wasm' as const, dtype: 'fp32' as Dtype, threads: 1 },
      { model, device: 'wasm' as const, dtype: 'fp32' as Dtype, threads: 2 },
      ...(mi === 0
        ? [
            // the app's default threads, to set against that row
            { model, device: 'wasm' as const, dtype: 'q8' as Dtype, threads: defaultWasmThreads(os.cpus().length), asyncify: true },
            { model, device: 'webgpu' as const, dtype: 'fp32' as Dtype },
            { model, device: 'webgpu' as const, dtype: 'fp16' as Dtype },
          ]
        : []),
    ]);
    const label = (c: BrowserConfig) => `${c.model} ${c.device} ${c.dtype} threads=${c.threads ?? 'default'}${c.asyncify ? ' asyncify' : ''}`;
    // round-robin: run r of every configuration before run r + 1 of any, so that a slow spell of
    // this noisy machine falls on all of them rather than on the few that happened to run then
    const got = new Map<BrowserConfig, BrowserRow[]>(configs.map((c) => [c, []]));
    for (let r = 0; r < Math.max(1, runs); r++) {
      for (const cfg of configs) {
        if (cfg.device === 'webgpu' && r > 0) continue; // one run: see above
        const row = await one(browser, base, cfg, cfg.device === 'webgpu' ? gpuSubset : formulas, 1).catch((e) => {
          console.error(`browser ${label(cfg)}: ${e instanceof Error ? e.message : e}`);
          return null;
        });
        if (row) got.get(cfg)!.push(row);
        console.error(`browser ${label(cfg)} run ${r + 1}: ${row ? 'done' : 'skipped'}`);
      }
    }
    for (const cfg of configs) if (got.get(cfg)!.length) rows.push(mergeBrowser(got.get(cfg)!));
    const first = await firstPrediction(browser, base, Math.max(runs, 5)).catch((e) => {
      console.error(`first prediction: ${e instanceof Error ? e.message : e}`);
      return { ms: [], longestTaskMs: [], jsFiles: [] };
    });
    return { rows, firstPredictionMs: first.ms, longestTaskMs: first.longestTaskMs, firstPredictionJs: first.jsFiles, chromium: version };
  } finally {
    await browser.close();
  }
}

function mergeBrowser(rs: BrowserRow[]): BrowserRow {
  const m = (f: (r: BrowserRow) => number) => round(median(rs.map(f)));
  return { ...rs[0], loadColdMs: m((r) => r.loadColdMs), loadWarmMs: m((r) => r.loadWarmMs), latency: mergeLatency(rs), tokensPerS: m((r) => r.tokensPerS) };
}
