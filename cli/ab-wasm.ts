/**
 * A/B of two exports of a built-in model in onnxruntime-web alone (no app, no transformers.js),
 * in Debian's headless Chromium, plain WASM build, one thread:
 *
 *   npx tsx cli/ab-wasm.ts DIR_A DIR_B [--dtype q8|fp32] [--widths 200,400,800] [--steps 40] [--rounds 7]
 *
 * DIR_A and DIR_B are model folders (transformers.js layout: onnx/encoder_model*.onnx and
 * onnx/decoder_model_merged*.onnx; e.g. models/augmented and a fresh export of the same weights).
 * For each input width it runs the encoder on a fixed random image, then the decoder for
 * --steps steps with the KV cache, feeding fixed token ids (no argmax: both exports do the same
 * work whatever they predict), A and B interleaved --rounds times, in ABBA order (the first of
 * a pair measures slower: an A/A run in plain AB order put A's decoder 1.1-1.3x behind). Prints, per width, the
 * median encoder ms and decoder ms per step of each and the ratio A/B. `npm run bench` measures
 * the app's whole path; this isolates what an export change does to onnxruntime-web's runs.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { ROOT, cliArgs, intFlag, usageError } from './common.ts';

interface Timing {
  width: number;
  cells: number;
  encMs: number[];
  stepMs: number[];
}

const ORT_DIST = path.join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
const ORT_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];
const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.html': 'text/html', '.json': 'application/json' };

/** Serves the page, onnxruntime-web's plain build, and each folder's onnx/ and config.json, read-only. */
function serve(dirs: string[]): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let file: string | null = null;
    const ort = /^\/ort\/([\w.-]+)$/.exec(url.pathname);
    const model = /^\/m(\d)\/((?:onnx\/)?[\w.-]+\.(?:onnx|json))$/.exec(url.pathname);
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>ab-wasm</title>');
      return;
    }
    if (ort && ORT_FILES.includes(ort[1])) file = path.join(ORT_DIST, ort[1]);
    else if (model && dirs[Number(model[1])]) file = path.join(dirs[Number(model[1])], model[2]);
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const USAGE = 'usage: npx tsx cli/ab-wasm.ts DIR_A DIR_B [--dtype q8|fp32] [--widths 200,400,800] [--steps 40] [--rounds 7]';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const { values: flags, positionals } = cliArgs(USAGE, {
    dtype: { type: 'string' },
    widths: { type: 'string' },
    steps: { type: 'string' },
    rounds: { type: 'string' },
  });
  if (positionals.length !== 2) usageError('give two model folders', USAGE);
  const dirs = positionals.map((d) => path.resolve(d));
  const dtype = flags.dtype ?? 'q8';
  if (dtype !== 'q8' && dtype !== 'fp32') usageError(`--dtype: "${dtype}" is not q8 or fp32`, USAGE);
  const suffix = dtype === 'q8' ? '_quantized' : '';
  for (const d of dirs) {
    for (const file of ['config.json', `onnx/encoder_model${suffix}.onnx`, `onnx/decoder_model_merged${suffix}.onnx`]) {
      if (!fs.existsSync(path.join(d, file))) usageError(`${d} has no ${file}`, USAGE);
    }
  }
  const widths = (flags.widths ?? '200,400,800').split(',').map(Number);
  if (widths.some((w) => !Number.isInteger(w) || w < 16 || w > 1024)) usageError('--widths: whole numbers from 16 to 1024, comma-separated', USAGE);
  const steps = intFlag('steps', flags.steps, USAGE, { min: 1, max: 200, fallback: 40 });
  const rounds = intFlag('rounds', flags.rounds, USAGE, { min: 1, max: 50, fallback: 7 });

  const server = await serve(dirs);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    // tsx names the page function's inner arrow functions with an __name helper the page lacks
    await page.addInitScript('globalThis.__name = (f) => f');
    await page.goto(base + '/');
    const out = await page.evaluate(
      async ({ suffix, widths, steps, rounds }) => {
        const ort = await import('/ort/ort.wasm.min.mjs' as string);
        ort.env.wasm.numThreads = 1;
        ort.env.wasm.wasmPaths = { mjs: '/ort/ort-wasm-simd-threaded.mjs', wasm: '/ort/ort-wasm-simd-threaded.wasm' };
        const bytes = async (m: number, b: string) => new Uint8Array(await (await fetch(`/m${m}/onnx/${b}${suffix}.onnx`)).arrayBuffer());
        const files = await Promise.all([0, 1].map(async (m) => ({ enc: await bytes(m, 'encoder_model'), dec: await bytes(m, 'decoder_model_merged') })));
        // session creation (graph optimisation, weight prepacking) from bytes in memory, after a
        // first creation has compiled onnxruntime's WASM: twice each, ABBA, the median kept
        const createMs: number[][] = [[], []];
        const open = async (m: number) => {
          const cfg = await (await fetch(`/m${m}/config.json`)).json();
          const t = performance.now();
          const enc = await ort.InferenceSession.create(files[m].enc);
          const dec = await ort.InferenceSession.create(files[m].dec);
          createMs[m].push(performance.now() - t);
          return { enc, dec, layers: cfg.decoder.n_layer, heads: cfg.decoder.n_head, headDim: cfg.decoder.n_embd / cfg.decoder.n_head };
        };
        await open(0); // compiles the WASM
        createMs[0].length = 0;
        for (const m of [0, 1, 1, 0]) await open(m);
        const models = [await open(0), await open(1)];
        // a fixed pseudo-random image per width (the same for A and B)
        let seed = 1;
        const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
        const images = widths.map((w) => Float32Array.from({ length: 3 * 64 * w }, rand));
        const res = models.map(() => widths.map((w) => ({ width: w, cells: 0, encMs: [] as number[], stepMs: [] as number[] })));
        for (let r = 0; r < rounds + 1; r++) {
          // A B, then B A: whichever runs first in a round measures slower (an A/A run showed 1.1-1.3x)
          for (const m of r % 2 ? [1, 0] : [0, 1]) {
            const { enc, dec, layers, heads, headDim } = models[m];
            for (let i = 0; i < widths.length; i++) {
              const px = new ort.Tensor('float32', images[i], [1, 3, 64, widths[i]]);
              const t0 = performance.now();
              const ehs = (await enc.run({ pixel_values: px })).last_hidden_state;
              const t1 = performance.now();
              let feeds: Record<string, unknown> = { input_ids: new ort.Tensor('int64', BigInt64Array.from([1n]), [1, 1]), encoder_hidden_states: ehs };
              for (let l = 0; l < layers; l++) for (const kv of ['key', 'value']) feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim]);
              for (let s = 0; s < steps; s++) {
                const o = await dec.run(feeds);
                const next: Record<string, unknown> = { input_ids: new ort.Tensor('int64', BigInt64Array.from([BigInt(4 + (s % 40))]), [1, 1]), encoder_hidden_states: ehs };
                for (let l = 0; l < layers; l++) for (const kv of ['key', 'value']) next[`past_key_values.${l}.${kv}`] = o[`present.${l}.${kv}`];
                feeds = next;
              }
              const t2 = performance.now();
              if (r === 0) continue; // warm-up round
              res[m][i].cells = ehs.dims.length === 4 ? ehs.dims[2] : ehs.dims[1];
              res[m][i].encMs.push(t1 - t0);
              res[m][i].stepMs.push((t2 - t1) / steps);
            }
          }
        }
        return { res, createMs };
      },
      { suffix, widths, steps, rounds },
    );
    const version = browser.version();
    console.log(`onnxruntime-web ${JSON.parse(fs.readFileSync(path.join(ORT_DIST, '..', 'package.json'), 'utf8')).version}, Chromium ${version}, plain WASM, 1 thread, ${dtype}; medians of ${rounds} interleaved rounds; decoder: ${steps} steps with the KV cache`);
    console.log(`A = ${dirs[0]}\nB = ${dirs[1]}\n`);
    console.log(`session creation (encoder + decoder, from memory), ms: A ${median(out.createMs[0]).toFixed(0)}, B ${median(out.createMs[1]).toFixed(0)}\n`);
    console.log('| width px | cells | encoder ms A | encoder ms B | A/B | decoder ms/step A | decoder ms/step B | A/B | per formula of 40 tokens A | B | A/B |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    const f = (x: number) => x.toFixed(x < 10 ? 2 : 1);
    widths.forEach((w, i) => {
      const [a, b] = [out.res[0][i], out.res[1][i]] as Timing[];
      const [ea, eb, sa, sb] = [median(a.encMs), median(b.encMs), median(a.stepMs), median(b.stepMs)];
      const [fa, fb] = [ea + 40 * sa, eb + 40 * sb];
      console.log(`| ${w} | ${b.cells} | ${f(ea)} | ${f(eb)} | ${(ea / eb).toFixed(2)}× | ${f(sa)} | ${f(sb)} | ${(sa / sb).toFixed(2)}× | ${f(fa)} | ${f(fb)} | ${(fa / fb).toFixed(2)}× |`);
    });
  } finally {
    await browser.close();
    server.close();
  }
}

await main();
