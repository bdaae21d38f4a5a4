/// <reference types="vite/client" />
/** The app's long-lived workers (one of each), created lazily. */
import { AbortedError, OcrClient, WorkerFailure } from '../worker-api/client.ts';
import { OcrRouter, type OrtBuild } from '../worker-api/router.ts';
import { probeGpu, type GpuInfo } from '../model/device.ts';
import ocrWorkerUrl from '../../workers/ocr.worker.ts?worker&url';

/**
 * Test-only page parameters (tests/e2e): ?recognizeTimeoutMs=3000 shortens the time limit
 * of one recognition (to exercise a hung worker), ?failWebGPU=1 makes WebGPU model loading
 * fail in the worker (to exercise the WASM fallback), ?threads=N (npm run bench) sets the
 * number of WASM threads, and ?runtime=asyncify (npm run bench) runs WASM on the asyncify build,
 * for a same-run comparison with the plain one. Nothing else reads the query string.
 */
const pageParams = typeof location === 'undefined' ? new URLSearchParams() : new URLSearchParams(location.search);
const testTimeout = Number(pageParams.get('recognizeTimeoutMs'));
const RECOGNIZE_TIMEOUT_MS = Number.isFinite(testTimeout) && testTimeout >= 100 ? Math.min(testTimeout, 600_000) : 60_000;

function ocrWorkerLocation(): URL {
  const url = new URL(ocrWorkerUrl, import.meta.url);
  if (pageParams.get('failWebGPU') === '1') url.searchParams.set('failWebGPU', '1');
  if (/^[1-9]\d?$/.test(pageParams.get('threads') ?? '')) url.searchParams.set('threads', pageParams.get('threads')!);
  if (pageParams.get('runtime') === 'asyncify') url.searchParams.set('runtime', 'asyncify');
  return url;
}

let ocr: OcrRouter | null = null;
let gpuInfo: Promise<GpuInfo> | null = null;
const restartListeners = new Set<(reason: string) => void>();

/** The page's way to the OCR workers: one per onnxruntime build, routed by device (src/worker-api/router.ts). */
export function ocrClient(): OcrRouter {
  ocr ??= new OcrRouter({
    createClient: (build) => {
      const client = new OcrClient({
        // the build travels in the worker's name, not its URL: the service worker's precache
        // matches the script's URL exactly, and the app must start offline
        createWorker: () => new Worker(ocrWorkerLocation(), { type: 'module', name: `ocr-${build}` }),
        recognizeTimeoutMs: RECOGNIZE_TIMEOUT_MS,
        loadTimeoutMs: 300_000,
        onRestart: (reason) => restartListeners.forEach((l) => l(reason)),
      });
      freshWorkerAfterFailedLoad(client);
      return client;
    },
    gpu: () => (gpuInfo ??= probeGpu(typeof navigator === 'undefined' ? undefined : navigator)),
  });
  return ocr;
}

/**
 * After a model fails to load (a corrupt .onnx, say), the next call gets a new worker.
 * transformers.js 4.3 chains every browser session creation on one promise
 * (`webInitChain = webInitChain.then(load)` in src/backends/onnx.js) and never clears a
 * rejection, so one failed load would fail every later load in that worker, built-in models
 * included (same issue as huggingface/transformers.js#1767 reports for Node).
 *
 * This handler is the second reaction registered on the promise load() returns (the first
 * is the client's own queue), so it runs before the next queued call starts: dispose() ends
 * the poisoned worker and that call starts a new one (user model folders are re-registered).
 */
function freshWorkerAfterFailedLoad(client: OcrClient) {
  const load = client.load.bind(client);
  client.load = (...args) => {
    const p = load(...args);
    p.catch((e) => {
      if (!(e instanceof WorkerFailure) && !(e instanceof AbortedError)) client.dispose();
    });
    return p;
  };
}

export function onWorkerRestart(listener: (reason: string) => void): () => void {
  restartListeners.add(listener);
  return () => restartListeners.delete(listener);
}

// test hooks for the end-to-end tests (fault injection), only in the page itself
declare global {
  interface Window {
    __ocrTest?: {
      fault: (kind: 'crash' | 'hang') => Promise<unknown>;
      restarts: () => number;
      devices: (build?: OrtBuild) => ReturnType<OcrRouter['devices']>;
    };
  }
}
if (typeof window !== 'undefined') {
  window.__ocrTest = {
    // arming is instant; the long limit keeps a busy machine from timing the call out (which restarts the worker)
    fault: (kind) => ocrClient().fault(kind, 30_000).catch((e) => String(e)),
    restarts: () => ocrClient().restarts,
    devices: (build) => ocrClient().devices(build),
  };
}
