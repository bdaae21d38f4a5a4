/// <reference lib="webworker" />
/**
 * The OCR worker: transformers.js configured for the browser, and the OcrApi
 * implementation (src/model/service.ts) exposed with comlink.
 */
import * as Comlink from 'comlink';
import * as tjs from '@huggingface/transformers';
import { createOcrService } from '../src/model/service.ts';
import type { OcrApi, OrtRuntime } from '../src/worker-api/ocr.ts';
import { cachedModelFetch, shareDownloads, isBuiltinModelFile, modelsRoot } from '../src/pwa/modelCache.ts';
import { defaultWasmThreads, probeGpu, type GpuInfo } from '../src/model/device.ts';
import { TEST_HOOKS } from '../src/worker-api/testHooks.ts';
import plainMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import plainWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import jspiMjs from 'onnxruntime-web/ort-wasm-simd-threaded.jspi.mjs?url';
import jspiWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jspi.wasm?url';
import asyncifyMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import asyncifyWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

tjs.env.allowLocalModels = true;
tjs.env.allowRemoteModels = false; // switched on only while loading a Hugging Face model id
tjs.env.localModelPath = `${import.meta.env.BASE_URL}models/`;
// Built-in models are local files cached by the service worker; transformers.js' own Cache
// Storage copy would keep serving an old model after a retrained one is deployed.
tjs.env.useBrowserCache = false;
const params = new URL(self.location.href).searchParams;

/**
 * The onnxruntime-web build this worker runs, chosen by the page's router and given as the
 * worker's name, "ocr-wasm" or "ocr-webgpu" (src/app/services.ts, src/worker-api/router.ts);
 * a worker serves one build for its whole life.
 * - wasm: the plain SIMD + threads build (14 MB). WebGPU needs a build that can suspend
 *   WebAssembly while the GPU works; the asyncify one instruments every function for that, and
 *   ran our models 1.4x slower on WASM (median; 1.8x fewer tokens/s; npm run bench), so WASM never uses it.
 * - webgpu: JSPI where the browser has it (Chromium; 17 MB, WASM at full speed), else asyncify (27 MB).
 * Every file is served by the app itself, never a CDN (../shared/docs/transformersjs-model-format.md §6.2).
 */
const build = self.name === 'ocr-webgpu' ? 'webgpu' : 'wasm';
const runtime: OrtRuntime =
  params.get('runtime') === 'asyncify' ? 'asyncify' : build === 'wasm' ? 'plain' : 'Suspending' in WebAssembly ? 'jspi' : 'asyncify'; // ?runtime: npm run bench only
const files = { plain: [plainMjs, plainWasm], jspi: [jspiMjs, jspiWasm], asyncify: [asyncifyMjs, asyncifyWasm] }[runtime];
const abs = (u: string) => new URL(u, self.location.href).href;
tjs.env.backends.onnx.wasm!.wasmPaths = { mjs: abs(files[0]), wasm: abs(files[1]) } as never;
// transformers.js would otherwise copy the .wasm into its own Cache Storage and compile it from an
// ArrayBuffer; fetched directly it compiles while streaming, from the service worker's precache.
tjs.env.useWasmCache = false;

// WASM threads need cross-origin isolation (SharedArrayBuffer), which the app has; the default
// count is src/model/device.ts' defaultWasmThreads. ?threads=N sets it (bench, tests).
const cores = navigator.hardwareConcurrency || 1;
const maxThreads = self.crossOriginIsolated ? Math.min(4, cores) : 1;
const wanted = Number(params.get('threads')) || defaultWasmThreads(cores);
tjs.env.backends.onnx.wasm!.numThreads = Math.min(maxThreads, wanted);

let gpuInfo: Promise<GpuInfo> | null = null;
const gpu = () => (gpuInfo ??= probeGpu(navigator));
// the WebGPU worker asks at once: requestAdapter() takes 0.3-1 s (SwiftShader, measured), which
// would otherwise delay the first model load. The WASM worker never needs it for its own work.
if (build === 'webgpu') void gpu();

const service = createOcrService(tjs, {
  gpu,
  runtime,
  cpuDevice: 'wasm',
  baseUrl: self.location.href,
  crossOriginIsolated: self.crossOriginIsolated,
  // test switch (src/worker-api/testHooks.ts): only in builds made with VITE_TEST_HOOKS=1
  failWebGPU: TEST_HOOKS && params.get('failWebGPU') === '1',
});

// Built-in model files are kept in Cache Storage on first use, for offline use (src/pwa/modelCache.ts).
const MODELS_ROOT = modelsRoot(import.meta.env.BASE_URL, self.location.origin);
const serviceFetch = tjs.env.fetch;
// one download per file: a load that reports progress asks for each file twice (shareDownloads)
const builtinFile = shareDownloads((href) => cachedModelFetch(href, () => serviceFetch(href as never), MODELS_ROOT));
tjs.env.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(String(input instanceof Request ? input.url : input), self.location.href);
  if (!isBuiltinModelFile(url, MODELS_ROOT)) return serviceFetch(input as never, init);
  // a plain GET (transformers.js' own, for a local model) is shared; anything else goes as asked
  const plain = !(input instanceof Request) && (init?.method ?? 'GET') === 'GET' && !new Headers(init?.headers).has('range');
  return plain ? builtinFile(url.href) : cachedModelFetch(url.href, () => serviceFetch(input as never, init), MODELS_ROOT);
}) as typeof tjs.env.fetch;

/** A fault armed by the test hook: the next recognize() crashes or hangs (so a pane's own call fails). */
let armedFault: 'crash' | 'hang' | null = null;

function crashOrHang(kind: 'crash' | 'hang') {
  if (kind === 'crash') {
    // an uncaught error reaches the page's worker.onerror; then the worker is gone
    setTimeout(() => {
      self.close();
    }, 10);
  }
  return service.fault(kind);
}

const api: OcrApi = {
  ...service,
  async recognize(req, job, onToken) {
    if (TEST_HOOKS && armedFault) {
      const kind = armedFault;
      armedFault = null;
      await crashOrHang(kind);
      await new Promise(() => undefined); // never answers: the page sees the crash or the time-out
    }
    // a VLM's streamed answer goes to the page's callback (a Comlink proxy: one message a token); a page
    // that stopped listening must not fail the recognition
    const stream = onToken && ((text: string) => void Promise.resolve(onToken(text)).catch(() => undefined));
    const p = await service.recognize(req, job, stream);
    return Comlink.transfer(p, [p.modelInput.data.buffer]);
  },
  async explain(req, job, onProgress) {
    // the page's progress callback is a Comlink proxy: a call is a message, and a page that
    // stopped listening must not fail the maps
    const report = onProgress && ((done: number, total: number) => void Promise.resolve(onProgress(done, total)).catch(() => undefined));
    const maps = await service.explain(req, job, report);
    const buffers = new Set([maps.overall, ...maps.tokens.map((t) => t.map)].map((m) => m.values.buffer as ArrayBuffer));
    return Comlink.transfer(maps, [...buffers]);
  },
  /** Test hook (window.__ocrTest.fault): arms the fault for the next recognition; refused in production builds. */
  async fault(kind) {
    if (!TEST_HOOKS) throw new Error('test hooks are off in this build (VITE_TEST_HOOKS=1 turns them on)');
    armedFault = kind;
  },
};

Comlink.expose(api);
