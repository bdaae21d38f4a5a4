/**
 * Page-side hook for `npm run bench` (cli/bench-browser.ts), installed only with ?bench=1:
 * loads a built-in model through the app's own worker and client and times recognitions.
 */
import { ocrClient } from './services.ts';
import type { Device, Dtype } from '../worker-api/ocr.ts';

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
  /** Load + one warm-up recognition, as the app does before the first real one. */
  loadMs: number;
  samples: { id: string; bucket: BenchImage['bucket']; ms: number; tokens: number }[];
  memoryMb: number | null;
}

declare global {
  interface Window {
    __ocrBench?: { run: (req: BenchRequest) => Promise<BenchResult> };
    /** performance.now() when the first prediction of this page load finished. */
    __firstPredictionMs?: number;
  }
}

function decode(img: BenchImage) {
  const bin = atob(img.data);
  const data = new Uint8ClampedArray(bin.length);
  for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
  return { width: img.width, height: img.height, data };
}

async function memoryMb(): Promise<number | null> {
  const perf = performance as Performance & { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> };
  if (!perf.measureUserAgentSpecificMemory || !self.crossOriginIsolated) return null;
  try {
    return Math.round((await perf.measureUserAgentSpecificMemory()).bytes / 1e6);
  } catch {
    return null;
  }
}

export function installBenchHook(): void {
  if (!new URLSearchParams(location.search).has('bench')) return;
  window.__ocrBench = {
    async run(req) {
      const client = ocrClient();
      const source = { kind: 'builtin' as const, id: req.model };
      const t0 = performance.now();
      const loaded = await client.load({ source, device: req.device, dtype: req.dtype });
      const loadMs = performance.now() - t0;
      const { threads } = await client.devices();
      const samples: BenchResult['samples'] = [];
      let peak = await memoryMb();
      for (let r = 0; r < req.runs; r++) {
        for (const img of req.images) {
          const p = await client.recognize({ source, device: req.device, dtype: req.dtype, image: decode(img) });
          samples.push({ id: img.id, bucket: img.bucket, ms: p.ms, tokens: p.tokens.length + 1 });
        }
        const m = await memoryMb();
        if (m !== null) peak = Math.max(peak ?? 0, m);
      }
      return { device: loaded.device, dtype: loaded.dtype, threads, loadMs, samples, memoryMb: peak };
    },
  };
}
