/**
 * npm run bench [-- --runs 3 --per-bucket 12 --models augmented,narrow --skip-browser]
 *
 * Writes bench/results.json and bench/results.md: for each built-in model x dtype x device
 * (Node CPU; headless Chromium WASM with 1 thread and with threads; WebGPU where the
 * browser has an adapter), model load time cold and warm, per-formula latency median and
 * p95 for short (<= 20 tokens), medium (21-60) and long (> 60) real formulas (im2latex
 * test sample), decode tokens/s, peak memory, model bytes; the app's JS size gzipped; time
 * to first prediction after page load with the model cached; and ratios against the
 * unoptimised baseline (no KV cache, fp32, one thread) measured in the same run.
 * Medians over --runs repetitions: these machines are noisy.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync, spawn } from 'node:child_process';
import { ROOT, parseArgs } from './common.ts';
import { evalSet } from './eval-data.ts';
import { replaceBlock } from './eval.ts';
import { jsByPackage, jsFilesIn } from './js-size.ts';
import { defaultWasmThreads } from '../src/model/device.ts';
import { normalizeTokens } from '../src/latex/tokens.ts';
import { benchNodeBaseline, benchNodeEngine, bucketOf, median, mergeLatency, round, type BenchFormula, type NodeRow } from './bench-node.ts';
import { benchBrowser, WEBGPU_PER_BUCKET, type BrowserRow } from './bench-browser.ts';
import type { Dtype } from '../src/worker-api/ocr.ts';

const OUT_DIR = path.join(ROOT, 'bench');

async function pickFormulas(perBucket: number): Promise<BenchFormula[]> {
  const items = await evalSet('im2latex-clean').items();
  const out: BenchFormula[] = [];
  const count = { short: 0, medium: 0, long: 0 };
  for (const it of items) {
    const tokens = normalizeTokens(it.reference).length;
    const bucket = bucketOf(tokens);
    if (count[bucket] >= perBucket) continue;
    count[bucket]++;
    out.push({ id: it.id, latex: it.reference, tokens, bucket, image: await it.load() });
    if (count.short >= perBucket && count.medium >= perBucket && count.long >= perBucket) break;
  }
  return out;
}

/** The built app's JavaScript files (cli/js-size.ts), by name, gzipped one by one. */
function appJs(): Map<string, { bytes: number; gzip: number }> {
  const out = new Map<string, { bytes: number; gzip: number }>();
  for (const p of jsFilesIn(path.join(ROOT, 'dist'))) {
    const b = fs.readFileSync(p);
    out.set(path.basename(p), { bytes: b.length, gzip: zlib.gzipSync(b, { level: 9 }).length });
  }
  return out;
}

/** Totals of some of those files (all of them by default), in bytes. */
function jsTotals(files: Map<string, { bytes: number; gzip: number }>, names: string[] = [...files.keys()]) {
  const picked = names.map((n) => files.get(n)).filter((f) => !!f);
  return { files: picked.length, bytes: picked.reduce((a, f) => a + f.bytes, 0), gzip: picked.reduce((a, f) => a + f.gzip, 0) };
}

function fmtLat(l: { median: number; p95: number }) {
  return `${l.median} / ${l.p95}`;
}

function table(rows: (NodeRow | BrowserRow)[], baselineMs: number): string {
  const out = [
    '| env | model | dtype | threads | onnxruntime | KV cache | load cold ms | load warm ms | all formulas ms (median / p95) | short ms | medium ms | long ms | tokens/s | peak MB | model MB | speed-up vs baseline (all, median) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const speed = baselineMs && r.latency.all.median ? `${(baselineMs / r.latency.all.median).toFixed(1)}×` : '';
    out.push(
      `| ${r.env} | ${r.model} | ${r.dtype} | ${r.threads} | ${'runtime' in r ? r.runtime : 'node'} | ${r.kvCache ? 'yes' : 'no'} | ${r.loadColdMs} | ${r.loadWarmMs} | ${fmtLat(r.latency.all)} | ${fmtLat(r.latency.short)} | ${fmtLat(r.latency.medium)} | ${fmtLat(r.latency.long)} | ${r.tokensPerS} | ${r.peakRssMb ?? ''} | ${(r.modelBytes / 1e6).toFixed(1)} | ${speed} |`,
    );
  }
  return out.join('\n');
}

async function startPreview(port: number): Promise<() => void> {
  const p = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: ROOT, stdio: 'ignore', detached: true });
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return () => process.kill(-p.pid!);
}

async function main() {
  const { flags } = parseArgs(process.argv.slice(2));
  const runs = Number(flags.runs ?? 3);
  const perBucket = Number(flags['per-bucket'] ?? 10);
  const models = String(flags.models ?? 'augmented,narrow').split(',');
  const formulas = await pickFormulas(perBucket);
  console.error(`bench: ${formulas.length} formulas (${perBucket} per bucket), ${runs} runs`);
  const rows: (NodeRow | BrowserRow)[] = [];
  // round-robin over the configurations, the baseline included, like the browser half
  // (cli/bench-browser.ts): a slow spell of the machine falls on all of them
  const baselineRuns: NodeRow[] = [];
  const nodeConfigs = models.flatMap((model) => (['fp32', 'q8', 'fp16'] as Dtype[]).map((dtype) => ({ model, dtype, rs: [] as NodeRow[] })));
  for (let r = 0; r < runs; r++) {
    baselineRuns.push(await benchNodeBaseline(models[0], formulas, 1));
    for (const c of nodeConfigs) c.rs.push(await benchNodeEngine(c.model, c.dtype, formulas, 1));
    console.error(`node run ${r + 1} done`);
  }
  const baseline = mergeRuns(baselineRuns);
  rows.push(baseline);
  for (const c of nodeConfigs) rows.push(mergeRuns(c.rs));
  // always the current sources: the browser half measures dist/
  execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'ignore' });
  const jsFiles = appJs();
  const js = jsTotals(jsFiles);
  const jsParts = jsByPackage();
  let firstPrediction: number[] = [];
  let firstPredictionJs: string[] = [];
  let longestTask: number[] = [];
  if (!flags['skip-browser']) {
    const port = 4390;
    const stop = await startPreview(port);
    try {
      const b = await benchBrowser(`http://127.0.0.1:${port}`, models, formulas, runs);
      rows.push(...b.rows);
      firstPrediction = b.firstPredictionMs;
      firstPredictionJs = b.firstPredictionJs.filter((f) => jsFiles.has(f));
      longestTask = b.longestTaskMs;
    } finally {
      stop();
    }
  }
  const results = {
    date: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    runs,
    formulas: formulas.map((f) => ({ id: f.id, tokens: f.tokens, bucket: f.bucket })),
    appJs: { ...js, firstPrediction: { ...jsTotals(jsFiles, firstPredictionJs), names: firstPredictionJs }, parts: jsParts },
    firstPredictionMs: firstPrediction.length ? { median: round(median(firstPrediction)), runs: firstPrediction.map(round) } : null,
    longestMainThreadTaskMs: longestTask.length ? { median: round(median(longestTask)), runs: longestTask.map(round) } : null,
    rows,
  };
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUT_DIR, 'results.json'), JSON.stringify(results, null, 1) + '\n');
  const md = [
    `# Benchmark (${results.date.slice(0, 10)}, ${results.machine.cpus} CPU cores, Node ${process.version})`,
    '',
    `Latency = recognition time of one formula with the model loaded (image preparation + encoder + greedy decoding), median / p95 over ${runs} runs of ${formulas.length} im2latex test formulas. The baseline is fp32, one thread, no KV cache. Chromium's WebGPU here is SwiftShader (software, on the CPU), so its rows use ${WEBGPU_PER_BUCKET} formula per length bucket and one run: they show the path works, not GPU speed. Regenerate with \`npm run bench\`.`,
    '',
    table(rows, baseline.latency.all.median),
    '',
    targetsTable(results, models[0], baseline.latency.all.median),
    '',
    `App JavaScript (without models and onnxruntime's .wasm): ${js.files} files, ${(js.bytes / 1e3).toFixed(0)} kB, **${(js.gzip / 1e3).toFixed(0)} kB gzipped** in all, each file gzipped alone. Up to the first prediction the app loads ${results.appJs.firstPrediction.files} of them, **${(results.appJs.firstPrediction.gzip / 1e3).toFixed(0)} kB gzipped** (${firstPredictionJs.join(', ') || 'not measured'}); the others load when used (${[...jsFiles.keys()].filter((f) => !firstPredictionJs.includes(f)).join(', ')}).`,
    `Its largest parts, gzipped alone: ${jsParts
      .filter((p) => !/^(src\/|workers$|other$)/.test(p.name))
      .slice(0, 6)
      .map((p) => `${p.name} ${(p.gzip / 1e3).toFixed(0)} kB`)
      .join(', ')}; the app's own code (src/, workers/) ${(jsParts.filter((p) => /^(src\/|workers$)/.test(p.name)).reduce((a, p) => a + p.gzip, 0) / 1e3).toFixed(0)} kB.`,
    results.firstPredictionMs ? `First prediction after page load, model cached: median **${results.firstPredictionMs.median} ms** (${results.firstPredictionMs.runs.join(', ')}).` : '',
    results.longestMainThreadTaskMs
      ? `Longest main-thread task from page start to that first prediction (script evaluation and first render included; the models run in a worker): median ${results.longestMainThreadTaskMs.median} ms (${results.longestMainThreadTaskMs.runs.join(', ')}).`
      : '',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(OUT_DIR, 'results.md'), md);
  replaceBlock(path.join(ROOT, 'README.md'), 'bench', md.split('\n').slice(2).join('\n').trim());
  console.log(md);
}

/** Each target of the speed issue (augmented model, default dtype) against this run's numbers. */
function targetsTable(
  r: { machine: { cpus: number }; rows: (NodeRow | BrowserRow)[]; firstPredictionMs: { median: number } | null; appJs: { gzip: number; firstPrediction: { gzip: number } } },
  model: string,
  baselineMs: number,
): string {
  const find = (f: (x: NodeRow | BrowserRow) => boolean) => r.rows.find((x) => x.model === model && f(x))?.latency.all.median;
  const threads = defaultWasmThreads(r.machine.cpus);
  const node = find((x) => x.env === 'node-cpu' && x.dtype === 'q8');
  const wasm = find((x) => x.env === 'chromium-wasm' && x.dtype === 'q8' && x.threads === threads && 'runtime' in x && x.runtime === 'plain');
  const asyncify = find((x) => x.env === 'chromium-wasm' && x.dtype === 'q8' && x.threads === threads && 'runtime' in x && x.runtime === 'asyncify');
  const ratio = (ms?: number) => (ms ? `${(baselineMs / ms).toFixed(1)}×` : '');
  const verdict = (v: number | undefined, max: number) => (v === undefined ? 'not measured' : v <= max ? 'met' : '**missed**');
  const kb = (b: number) => Math.round(b / 1e3);
  const first = r.firstPredictionMs?.median;
  return [
    `| target (${model}, default dtype q8) | measured | speed against the baseline (Node, fp32, one thread, no KV cache: ${baselineMs} ms) | |`,
    '|---|---|---|---|',
    `| Node CPU median ≤ 60 ms | ${node ?? '–'} ms | ${ratio(node)} | ${verdict(node, 60)} |`,
    `| Chromium WASM median ≤ 80 ms (${threads} thread${threads === 1 ? '' : 's'}) | ${wasm ?? '–'} ms | ${ratio(wasm)}${asyncify && wasm ? `; ${(asyncify / wasm).toFixed(1)}× the speed of the asyncify build (${asyncify} ms), same threads` : ''} | ${verdict(wasm, 80)} |`,
    `| first prediction ≤ 2 s, model cached | ${first ?? '–'} ms | | ${verdict(first, 2000)} |`,
    `| app JS ≤ 300 kB gzipped | ${kb(r.appJs.firstPrediction.gzip)} kB up to the first prediction, ${kb(r.appJs.gzip)} kB in all | | ${verdict(r.appJs.gzip / 1e3, 300)} |`,
  ].join('\n');
}

/** Median of each number over repeated runs. */
function mergeRuns(rs: NodeRow[]): NodeRow {
  const m = (f: (r: NodeRow) => number) => round(median(rs.map(f)));
  return { ...rs[0], loadColdMs: m((r) => r.loadColdMs), loadWarmMs: m((r) => r.loadWarmMs), latency: mergeLatency(rs), tokensPerS: m((r) => r.tokensPerS), peakRssMb: Math.max(...rs.map((r) => r.peakRssMb)) };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
