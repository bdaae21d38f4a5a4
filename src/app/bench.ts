/**
 * Page-side hook for `npm run bench` (cli/bench-browser.ts), installed only with ?bench=1:
 * loads a built-in model through the app's own worker and client and times recognitions.
 */
import { ocrClient } from './services.ts';
import { base64ToBytes } from '../util/base64.ts';
import type { Device, Dtype, OrtRuntime } from '../worker-api/ocr.ts';

export interface BenchImage {
  id: string;
  bucket: 'short' | 'medium' | 'long';
  width: number;
  height: number;
  /** RGBA, base64. */
  data: string;
}

export interface BenchRequest {
  model: string;
  device: 'wasm' | 'webgpu';
  dtype: Dtype;
  images: BenchImage[];
  runs: number;
}

export interface BenchResult {
  device: Device;
  dtype: Dtype;
  threads: number;
  /** The onnxruntime build that ran it. */
  runtime: OrtRuntime;
  /** Load + one warm-up recognition, as the app does before the first real one. */
  loadMs: number;
  samples: { id: string; bucket: BenchImage['bucket']; ms: number; tokens: number }[];
}

declare global {
  interface Window {
    __ocrBench?: { run: (req: BenchRequest) => Promise<BenchResult> };
    /** performance.now() when the first prediction of this page load finished. */
    __firstPredictionMs?: number;
    /** Main-thread tasks over 50 ms (start, duration) since the page's script ran. */
    __longTasks?: { start: number; duration: number }[];
  }
}

function decode(img: BenchImage) {
  const bytes = base64ToBytes(img.data);
  const data = new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: img.width, height: img.height, data };
}

export const benchEnabled = () => typeof location !== 'undefined' && new URLSearchParams(location.search).has('bench');

/** Under ?bench=1, records when this page load's first prediction was on screen (the frame after
 * its result was dispatched). */
export function markPredictionShown(): void {
  if (!benchEnabled() || window.__firstPredictionMs !== undefined) return;
  requestAnimationFrame(() => {
    window.__firstPredictionMs ??= performance.now();
  });
}

export function installBenchHook(): void {
  if (!benchEnabled()) return;
  // how long the page could not answer input: tasks over 50 ms, the browser's "long task"
  const tasks: { start: number; duration: number }[] = (window.__longTasks = []);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) tasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    /* no Long Tasks API: the bench reports nothing for it */
  }
  window.__ocrBench = {
    async run(req) {
      const client = ocrClient();
      const source = { kind: 'builtin' as const, id: req.model };
      const t0 = performance.now();
      const loaded = await client.load({ source, device: req.device, dtype: req.dtype });
      const loadMs = performance.now() - t0;
      const { threads, runtime } = await client.devices(req.device);
      const samples: BenchResult['samples'] = [];
      for (let r = 0; r < req.runs; r++) {
        for (const img of req.images) {
          // the app's own job (src/worker-api/router.ts): the load it starts with finds the model loaded
          const { prediction: p } = await client.job({ source, device: req.device, dtype: req.dtype, image: decode(img) });
          samples.push({ id: img.id, bucket: img.bucket, ms: p.ms, tokens: p.tokens.length + 1 });
        }
      }
      return { device: loaded.device, dtype: loaded.dtype, threads, runtime, loadMs, samples };
    },
  };
}
