/// <reference types="vite/client" />
/** The app's long-lived workers (one of each), created lazily. */
import { OcrClient } from '../worker-api/client.ts';
import { OcrRouter, type JobOptions, type JobResult, type OrtBuild } from '../worker-api/router.ts';
import type { ExplainRequest, RecognizeRequest } from '../worker-api/ocr.ts';
import type { PredictionMaps } from '../explain/maps.ts';
import { TEST_HOOKS, testSwitchesOf, type TestSwitches } from '../worker-api/testHooks.ts';
import { probeGpu, type GpuInfo } from '../model/device.ts';
import ocrWorkerUrl from '../../workers/ocr.worker.ts?worker&url';

/**
 * Page parameters: ?threads=N (npm run bench) sets the number of WASM threads, and
 * ?runtime=asyncify (npm run bench) runs WASM on the asyncify build, for a same-run comparison
 * with the plain one. In test builds only (VITE_TEST_HOOKS=1, src/worker-api/testHooks.ts),
 * also ?recognizeTimeoutMs and ?failWebGPU. Nothing else reads the query string.
 */
const search = typeof location === 'undefined' ? '' : location.search;
const pageParams = new URLSearchParams(search);
const testSwitches: TestSwitches = TEST_HOOKS ? testSwitchesOf(search) : {};
const RECOGNIZE_TIMEOUT_MS = testSwitches.recognizeTimeoutMs ?? 60_000;

function ocrWorkerLocation(): URL {
  const url = new URL(ocrWorkerUrl, import.meta.url);
  if (TEST_HOOKS && testSwitches.failWebGPU) url.searchParams.set('failWebGPU', '1');
  if (/^[1-9]\d?$/.test(pageParams.get('threads') ?? '')) url.searchParams.set('threads', pageParams.get('threads')!);
  if (pageParams.get('runtime') === 'asyncify') url.searchParams.set('runtime', 'asyncify');
  return url;
}

let ocr: OcrRouter | null = null;
let gpuInfo: Promise<GpuInfo> | null = null;

/** The page's way to the OCR workers: one per onnxruntime build, routed by device (src/worker-api/router.ts). */
export function ocrClient(): OcrRouter {
  ocr ??= new OcrRouter({
    createClient: (build) =>
      new OcrClient({
        // the build travels in the worker's name, not its URL: the service worker's precache
        // matches the script's URL exactly, and the app must start offline
        createWorker: () => new Worker(ocrWorkerLocation(), { type: 'module', name: `ocr-${build}` }),
        recognizeTimeoutMs: RECOGNIZE_TIMEOUT_MS,
        loadTimeoutMs: 300_000,
      }),
    gpu: () => (gpuInfo ??= probeGpu(typeof navigator === 'undefined' ? undefined : navigator)),
  });
  return ocr;
}

/**
 * Recognise an image: the one job layer of the app (panes, sweeps, presets; OcrRouter.job):
 * device resolved once, model loaded if needed, cancelled in the worker too when `signal` aborts.
 */
export function recognise(req: RecognizeRequest, opts: JobOptions = {}): Promise<JobResult> {
  return ocrClient().job(req, opts);
}

/** "Where it looks" for a prediction (OcrRouter.explain): attention or occlusion maps, computed in the worker. */
export function explainMaps(req: ExplainRequest, opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<PredictionMaps> {
  return ocrClient().explain(req, opts);
}

// test hooks for the end-to-end tests (fault injection), only in the page itself and only in
// test builds (src/worker-api/testHooks.ts)
declare global {
  interface Window {
    __ocrTest?: {
      fault: (kind: 'crash' | 'hang') => Promise<unknown>;
      restarts: () => number;
      devices: (build?: OrtBuild) => ReturnType<OcrRouter['devices']>;
    };
  }
}
if (TEST_HOOKS && typeof window !== 'undefined') {
  window.__ocrTest = {
    // arming is instant; the long limit keeps a busy machine from timing the call out (which restarts the worker)
    fault: (kind) => ocrClient().fault(kind, 30_000).catch((e) => String(e)),
    restarts: () => ocrClient().restarts,
    devices: (build) => ocrClient().devices(build),
  };
}
