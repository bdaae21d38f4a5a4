/**
 * npm run bench [-- --runs 3 --per-bucket 12 --models augmented,narrow --skip-browser --skip-cold --cold-runs 3 --dist dist]
 * npm run bench -- --only cold [--dist .cache/bench-dist] [--cold-runs 3]
 * npm run bench -- --only report      (rewrite results.md and the README block from results.json)
 *
 * Writes bench/results.json and bench/results.md: for each built-in model x dtype x device
 * (Node CPU; headless Chromium WASM with 1 thread and with threads; WebGPU where the
 * browser has an adapter), model load time cold and warm, per-formula latency median and
 * p95 for short (<= 20 tokens), medium (21-60) and long (> 60) real formulas (im2latex
 * test sample), decode tokens/s, peak memory, model bytes; the app's JS size gzipped; time
 * to first prediction after page load with the model cached; and ratios against the
 * unoptimised baseline (no KV cache, fp32, one thread) measured in the same run; and the first
 * visit with an empty cache over a 20 Mbit/s, 40 ms network (cli/bench-cold.ts: time and bytes
 * to the first prediction). `--only cold` measures only that, on the build in --dist (dist/ by
 * default, not rebuilt), and rewrites the results with the other numbers of the last full run.
 * Medians over --runs repetitions: these machines are noisy.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync, spawn } from 'node:child_process';
import { ROOT, cliArgs, intFlag, resolveModel, usageError } from './common.ts';
import { evalSet } from './eval-data.ts';
import { replaceBlock } from './eval.ts';
import { jsByPackage, jsFilesIn } from './js-size.ts';
import { defaultWasmThreads } from '../src/model/device.ts';
import { normalizeTokens } from '../src/latex/tokens.ts';
import { benchNodeBaseline, benchNodeEngine, bucketOf, median, mergeLatency, round, type BenchFormula, type NodeRow } from './bench-node.ts';
import { describeCpu, machineLine, type BenchMachine } from './bench-machine.ts';
import { benchBrowser, WEBGPU_PER_BUCKET, type BrowserRow } from './bench-browser.ts';
import { benchCold, bytesPerMs, KINDS, type ColdResult, type ColdRun } from './bench-cold.ts';
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

interface BenchResults {
  date: string;
  machine: BenchMachine;
  runs: number;
  formulas: { id: string; tokens: number; bucket: string }[];
  appJs: {
    files: number;
    bytes: number;
    gzip: number;
    /** Every JS file of the build (absent in results written before it was recorded). */
    names?: string[];
    firstPrediction: { files: number; bytes: number; gzip: number; names: string[] };
    parts: { name: string; bytes: number; gzip: number }[];
  };
  firstPredictionMs: { median: number; runs: number[] } | null;
  longestMainThreadTaskMs: { median: number; runs: number[] } | null;
  rows: (NodeRow | BrowserRow)[];
  /** The first visit with an empty cache over a slow network (cli/bench-cold.ts). */
  firstVisit?: ColdResult | null;
}

const RESULTS_JSON = path.join(OUT_DIR, 'results.json');

const USAGE = `usage: npm run bench [-- --runs N --per-bucket N --models augmented,narrow --skip-browser --skip-cold --cold-runs N --dist <build folder>]
       npm run bench -- --only cold [--dist <build folder>] [--cold-runs N]
       npm run bench -- --only report`;

function readFlags() {
  const { values: flags, positionals } = cliArgs(USAGE, {
    runs: { type: 'string' },
    'per-bucket': { type: 'string' },
    models: { type: 'string' },
    'skip-browser': { type: 'boolean' },
    'skip-cold': { type: 'boolean' },
    'cold-runs': { type: 'string' },
    dist: { type: 'string' },
    only: { type: 'string' },
  });
  if (positionals.length) usageError(`unexpected argument "${positionals[0]}"`, USAGE);
  if (flags.only !== undefined && flags.only !== 'cold' && flags.only !== 'report') {
    usageError(`--only ${flags.only}: "cold" (the first visit alone) or "report" (rewrite the tables from bench/results.json)`, USAGE);
  }
  const models = (flags.models ?? 'augmented,narrow').split(',').filter(Boolean);
  if (!models.length) usageError('--models: at least one model', USAGE);
  for (const m of models) {
    try {
      resolveModel(m);
    } catch (e) {
      usageError(`--models: ${e instanceof Error ? e.message : e}`, USAGE);
    }
  }
  return {
    only: flags.only as 'cold' | 'report' | undefined,
    runs: intFlag('runs', flags.runs, USAGE, { min: 1, fallback: 3 }),
    perBucket: intFlag('per-bucket', flags['per-bucket'], USAGE, { min: 1, fallback: 10 }),
    models,
    skipBrowser: !!flags['skip-browser'],
    skipCold: !!flags['skip-cold'],
    cold: { dist: flags.dist, runs: intFlag('cold-runs', flags['cold-runs'], USAGE, { min: 1, fallback: 3 }) },
  };
}

async function main() {
  const flags = readFlags();
  if (flags.only !== undefined) {
    // cold: the first visit alone, put together with the other numbers of the last full run;
    // report: bench/results.md and the README block rewritten from bench/results.json, nothing measured
    if (!fs.existsSync(RESULTS_JSON)) throw new Error(`${path.relative(ROOT, RESULTS_JSON)} is missing: run the full npm run bench once`);
    const results = JSON.parse(fs.readFileSync(RESULTS_JSON, 'utf8')) as BenchResults;
    if (flags.only === 'cold') results.firstVisit = await benchCold(flags.cold);
    writeResults(results);
    return;
  }
  const { runs, perBucket, models } = flags;
  const loadBefore = os.loadavg()[0];
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
  let firstVisit: ColdResult | null = null;
  let chromiumVersion: string | null = null;
  if (!flags.skipBrowser) {
    const port = 4390;
    const stop = await startPreview(port);
    try {
      const b = await benchBrowser(`http://127.0.0.1:${port}`, models, formulas, runs);
      rows.push(...b.rows);
      firstPrediction = b.firstPredictionMs;
      firstPredictionJs = b.firstPredictionJs.filter((f) => jsFiles.has(f));
      longestTask = b.longestTaskMs;
      chromiumVersion = b.chromium;
    } finally {
      stop();
    }
    if (!flags.skipCold)
      firstVisit = await benchCold(flags.cold).catch((e) => {
        console.error(`first visit: ${e instanceof Error ? e.message : e}`);
        return null;
      });
  }
  const loadAfter = os.loadavg()[0];
  writeResults({
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      node: process.version,
      cpu: (fs.existsSync('/proc/cpuinfo') && describeCpu(fs.readFileSync('/proc/cpuinfo', 'utf8'))) || os.cpus()[0]?.model.trim(),
      chromium: chromiumVersion,
      loadavg: [round(loadBefore), round(loadAfter)],
    },
    runs,
    formulas: formulas.map((f) => ({ id: f.id, tokens: f.tokens, bucket: f.bucket })),
    appJs: { ...js, names: [...jsFiles.keys()], firstPrediction: { ...jsTotals(jsFiles, firstPredictionJs), names: firstPredictionJs }, parts: jsParts },
    firstPredictionMs: firstPrediction.length ? { median: round(median(firstPrediction)), runs: firstPrediction.map(round) } : null,
    longestMainThreadTaskMs: longestTask.length ? { median: round(median(longestTask)), runs: longestTask.map(round) } : null,
    rows,
    firstVisit,
  });
}

/** bench/results.json, bench/results.md and the README's bench block. */
function writeResults(results: BenchResults): void {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(RESULTS_JSON, JSON.stringify(results, null, 1) + '\n');
  const md = renderMarkdown(results);
  fs.writeFileSync(path.join(OUT_DIR, 'results.md'), md);
  replaceBlock(path.join(ROOT, 'README.md'), 'bench', md.split('\n').slice(2).join('\n').trim());
  console.log(md);
}

function renderMarkdown(results: BenchResults): string {
  const { rows, appJs: js, runs } = results;
  const baseline = rows.find((r) => r.dtype === 'fp32-baseline') ?? rows[0];
  const baselineMs = baseline?.latency.all.median ?? 0;
  const firstPredictionJs = js.firstPrediction.names;
  const others = js.names ? js.names.filter((f) => !firstPredictionJs.includes(f)) : null;
  const jsParts = js.parts;
  return [
    `# Benchmark (${results.date.slice(0, 10)}, ${results.machine.cpus} CPU cores, Node ${results.machine.node})`,
    '',
    machineLine(results.machine),
    `Latency = recognition time of one formula with the model loaded (image preparation + encoder + greedy decoding), median / p95 over ${runs} runs of ${results.formulas.length} im2latex test formulas. The baseline is fp32, one thread, no KV cache. Chromium's WebGPU here is SwiftShader (software, on the CPU), so its rows use ${WEBGPU_PER_BUCKET} formula per length bucket and one run: they show the path works, not GPU speed. Regenerate with \`npm run bench\`.`,
    '',
    table(rows, baselineMs),
    '',
    targetsTable(results, baseline?.model ?? 'augmented', baselineMs),
    '',
    `App JavaScript (without models and onnxruntime's .wasm; for information, no longer a target): ${js.files} files, ${(js.bytes / 1e3).toFixed(0)} kB, **${(js.gzip / 1e3).toFixed(0)} kB gzipped** in all, each file gzipped alone. Up to the first prediction the app loads ${js.firstPrediction.files} of them, **${(js.firstPrediction.gzip / 1e3).toFixed(0)} kB gzipped** (${firstPredictionJs.join(', ') || 'not measured'}); ${others ? `the others load when used (${others.join(', ')})` : `the other ${js.files - js.firstPrediction.files} load when used`}.`,
    `Its largest parts, gzipped alone: ${jsParts
      .filter((p) => !/^(src\/|workers$|other$)/.test(p.name))
      .slice(0, 6)
      .map((p) => `${p.name} ${(p.gzip / 1e3).toFixed(0)} kB`)
      .join(', ')}; the app's own code (src/, workers/) ${(jsParts.filter((p) => /^(src\/|workers$)/.test(p.name)).reduce((a, p) => a + p.gzip, 0) / 1e3).toFixed(0)} kB.`,
    results.firstPredictionMs ? `First prediction after page load, model cached: median **${results.firstPredictionMs.median} ms** (${results.firstPredictionMs.runs.join(', ')}).` : '',
    results.longestMainThreadTaskMs
      ? `Longest main-thread task from page start to that first prediction (script evaluation and first render included; the models run in a worker): median ${results.longestMainThreadTaskMs.median} ms (${results.longestMainThreadTaskMs.runs.join(', ')}).`
      : '',
    ...(results.firstVisit ? ['', firstVisitSection(results.firstVisit)] : []),
    '',
  ].join('\n');
}

const mb = (b: number) => (b / 1e6).toFixed(2);
const sec = (ms: number) => (ms / 1000).toFixed(1);

/** The first-visit table (cli/bench-cold.ts): time and bytes to the first prediction, by type. */
function firstVisitSection(c: ColdResult): string {
  const net = `${c.network.downMbps} Mbit/s down, ${c.network.upMbps} Mbit/s up, ${c.network.rttMs} ms RTT`;
  const row = (label: string, v: ColdResult['serviceWorker']) => {
    const b = v.breakdown;
    return `| ${label} | **${sec(v.medianMs)} s** (${v.runs.map((r) => sec(r.ms)).join(', ')}) | **${mb(v.medianBytes)} MB** (${v.runs.map((r) => mb(r.upToFirst.bytes)).join(', ')}) | ${KINDS.map((k) => mb(b.upToFirst.byKind[k])).join(' | ')} | ${mb(b.upToFirst.swBytes)} | ${mb(b.all.bytes)} MB${b.swReadyMs !== null ? `, installed at ${sec(b.swReadyMs)} s` : ''} |`;
  };
  const first = c.serviceWorker.breakdown;
  const enc = first.encodings;
  const m = first.milestones;
  const at = (ms: number | null) => (ms === null ? '–' : `${sec(ms)} s`);
  const largest = (r: ColdRun) =>
    r.largest
      .slice(0, 5)
      .map((f) => `${f.path.replace(/^\/(assets|models)\//, '')}${f.requester === 'sw' ? ' (service worker)' : ''} ${mb(f.bytes)} MB (asked for at ${sec(f.startMs)} s, ${f.doneMs === null ? 'not complete' : `complete at ${sec(f.doneMs)} s`})`)
      .join(', ');
  return [
    `**First visit (cold cache, ${net})**, measured ${c.date.slice(0, 10)} on ${c.dist}/ (${c.entry ?? 'entry not found'}; \`npm run bench -- --only cold\` re-measures this part alone): a fresh Chromium context each run (empty HTTP cache, no service worker), the build served as a static host serves it (its _headers; brotli or gzip as the browser accepts: ${enc.br ?? 0} responses in brotli, ${enc.gzip ?? 0} in gzip, ${enc.identity ?? 0} as they are: PNG, fonts, files that do not shrink), the network shaped by the server itself for every requester, the service worker included (cli/bench-cold.ts). Time from navigation to the first prediction on screen (the app opened on a built-in example by permalink) and the bytes sent until then (compressed bodies and headers), median of ${c.serviceWorker.runs.length} runs; the breakdown is the median run's (by time), in MB.`,
    '',
    `| first visit | first prediction | MB to it | wasm | onnx | js | css | other | of it, the service worker's precache | whole visit |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    row('as shipped (the service worker precaches on install)', c.serviceWorker),
    row('service workers blocked (nothing precached)', c.serviceWorkerBlocked),
    '',
    `What the first prediction waited on (as shipped, median run, from navigation start): the page's script complete at ${at(m.entryDone)}, the OCR worker's script asked for at ${at(m.workerAsked)}, the model asked for at ${at(m.modelAsked)} and complete at ${at(m.modelDone)}, onnxruntime's WASM asked for at ${at(m.wasmAsked)} and complete at ${at(m.wasmDone)}, the first prediction on screen at ${sec(first.ms)} s; the ${mb(first.upToFirst.bytes)} MB alone would take ${sec(first.upToFirst.bytes / bytesPerMs(c.network.downMbps))} s at ${c.network.downMbps} Mbit/s.`,
    `Largest transfers up to the first prediction (same run): ${largest(first)}.` +
      (c.wasm ? ` onnxruntime's WASM build is ${mb(c.wasm.rawBytes)} MB, ${mb(c.wasm.brBytes)} MB with brotli 11, ${mb(c.wasm.gzipBytes)} MB with gzip 9.` : '') +
      ` Had the host sent gzip 9 instead of brotli, the same transfers would come to ${mb(first.upToFirst.gzipBytes)} MB.` +
      (c.lateCompressions ? ` (${c.lateCompressions} file(s) were compressed during the measured runs: their times include it.)` : '') +
      ` The machine's load average was ${c.loadavg[0]} as the runs began and ${c.loadavg[1]} as they ended: the CPU-bound part of the visit (compiling the WASM, loading the model, recognising) shares these cores.`,
  ].join('\n');
}

/** Each target of the speed issue (augmented model, default dtype) against this run's numbers. */
function targetsTable(r: BenchResults, model: string, baselineMs: number): string {
  const find = (f: (x: NodeRow | BrowserRow) => boolean) => r.rows.find((x) => x.model === model && f(x))?.latency.all.median;
  const threads = defaultWasmThreads(r.machine.cpus);
  const node = find((x) => x.env === 'node-cpu' && x.dtype === 'q8');
  const wasm = find((x) => x.env === 'chromium-wasm' && x.dtype === 'q8' && x.threads === threads && 'runtime' in x && x.runtime === 'plain');
  const asyncify = find((x) => x.env === 'chromium-wasm' && x.dtype === 'q8' && x.threads === threads && 'runtime' in x && x.runtime === 'asyncify');
  const ratio = (ms?: number) => (ms ? `${(baselineMs / ms).toFixed(1)}×` : '');
  const verdict = (v: number | undefined, max: number) => (v === undefined ? 'not measured' : v <= max ? 'met' : '**missed**');
  const first = r.firstPredictionMs?.median;
  const cold = r.firstVisit?.serviceWorker;
  const coldVerdict = !cold ? 'not measured' : cold.medianMs <= 6000 && cold.medianBytes <= 8e6 ? 'met' : `**missed** (${[cold.medianMs > 6000 ? 'time' : '', cold.medianBytes > 8e6 ? 'bytes' : ''].filter(Boolean).join(', ')})`;
  return [
    `| target (${model}, default dtype q8) | measured | speed against the baseline (Node, fp32, one thread, no KV cache: ${baselineMs} ms) | |`,
    '|---|---|---|---|',
    `| Node CPU median ≤ 60 ms | ${node ?? '–'} ms | ${ratio(node)} | ${verdict(node, 60)} |`,
    `| Chromium WASM median ≤ 80 ms (${threads} thread${threads === 1 ? '' : 's'}) | ${wasm ?? '–'} ms | ${ratio(wasm)}${asyncify && wasm ? `; ${(asyncify / wasm).toFixed(1)}× the speed of the asyncify build (${asyncify} ms), same threads` : ''} | ${verdict(wasm, 80)} |`,
    `| first prediction ≤ 2 s, model cached | ${first ?? '–'} ms | | ${verdict(first, 2000)} |`,
    `| first visit, cold cache (${r.firstVisit ? `${r.firstVisit.network.downMbps} Mbit/s, ${r.firstVisit.network.rttMs} ms RTT` : '20 Mbit/s, 40 ms RTT'}): first prediction ≤ 6 s, ≤ 8 MB | ${cold ? `${sec(cold.medianMs)} s, ${mb(cold.medianBytes)} MB` : '–'} | | ${coldVerdict} |`,
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
