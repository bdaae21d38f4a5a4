/// <reference lib="webworker" />
/**
 * The OCR worker: transformers.js configured for the browser, and the OcrApi
 * implementation (src/model/service.ts) exposed with comlink.
 */
import * as Comlink from 'comlink';
import * as tjs from '@huggingface/transformers';
import { createOcrService } from '../src/model/service.ts';
import type { OcrApi } from '../src/worker-api/ocr.ts';
import { cachedModelFetch, isBuiltinModelFile, modelsRoot } from '../src/pwa/modelCache.ts';

tjs.env.allowLocalModels = true;
tjs.env.allowRemoteModels = false; // switched on only while loading a Hugging Face model id
tjs.env.localModelPath = `${import.meta.env.BASE_URL}models/`;
// Built-in models are local files cached by the service worker; transformers.js' own Cache
// Storage copy would keep serving an old model after a retrained one is deployed.
tjs.env.useBrowserCache = false;
// Vite emits onnxruntime's .wasm with the app (no CDN): see ../shared/docs/transformersjs-model-format.md §6.2
tjs.env.backends.onnx.wasm!.wasmPaths = undefined as never;
const params = new URL(self.location.href).searchParams;
// WASM threads need cross-origin isolation (SharedArrayBuffer), which the app has. ?threads=N
// sets the count (npm run bench compares 1 and 2: on 2 cores two threads won on the median in 3
// of 4 model x dtype rows, with a worse p95, so the default stays multi-threaded).
const maxThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
tjs.env.backends.onnx.wasm!.numThreads = Math.min(maxThreads, Number(params.get('threads')) || maxThreads);

let gpuInfo: Promise<{ webgpu: boolean; shaderF16: boolean; software: boolean }> | null = null;
interface Adapter {
  features: Set<string>;
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean; architecture?: string; vendor?: string; description?: string };
}
function gpu() {
  gpuInfo ??= (async () => {
    try {
      const nav = navigator as WorkerNavigator & { gpu?: { requestAdapter(): Promise<Adapter | null> } };
      const adapter = await nav.gpu?.requestAdapter();
      const info = adapter?.info;
      // a fallback adapter is WebGPU on the CPU; Chromium's is SwiftShader (headless, no GPU)
      const software = !!adapter && (!!adapter.isFallbackAdapter || !!info?.isFallbackAdapter || /swiftshader/i.test(`${info?.architecture} ${info?.vendor} ${info?.description}`));
      return { webgpu: !!adapter, shaderF16: !!adapter?.features.has('shader-f16'), software };
    } catch {
      return { webgpu: false, shaderF16: false, software: false };
    }
  })();
  return gpuInfo;
}
// asked at once: requestAdapter() takes 0.3-1 s (SwiftShader, measured), which would otherwise
// delay the first model load
void gpu();

const service = createOcrService(tjs, {
  gpu,
  cpuDevice: 'wasm',
  baseUrl: self.location.href,
  crossOriginIsolated: self.crossOriginIsolated,
  failWebGPU: params.get('failWebGPU') === '1',
});

// Built-in model files are kept in Cache Storage on first use, for offline use (src/pwa/modelCache.ts).
const MODELS_ROOT = modelsRoot(import.meta.env.BASE_URL, self.location.origin);
const serviceFetch = tjs.env.fetch;
tjs.env.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(String(input instanceof Request ? input.url : input), self.location.href);
  return isBuiltinModelFile(url, MODELS_ROOT) ? cachedModelFetch(url.href, () => serviceFetch(input as never, init)) : serviceFetch(input as never, init);
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
  async recognize(req) {
    if (armedFault) {
      const kind = armedFault;
      armedFault = null;
      await crashOrHang(kind);
      await new Promise(() => undefined); // never answers: the page sees the crash or the time-out
    }
    const p = await service.recognize(req);
    return Comlink.transfer(p, [p.modelInput.data.buffer]);
  },
  /** Test hook (window.__ocrTest.fault): arms the fault for the next recognition. */
  async fault(kind) {
    armedFault = kind;
  },
};

Comlink.expose(api);
