/**
 * What loading any model in the worker shares, whether it is an image-to-text model
 * (src/model/service.ts) or a vision-language model (src/model/vlmService.ts): hub access
 * only while a hub model loads, the fall back from WebGPU to the CPU, a bounded set of loaded
 * models, and the image a model is warmed up on.
 */
import type { Raster } from '../image/raster.ts';
import type { Device, ModelSource } from '../worker-api/ocr.ts';
import type { Transformers } from './engine.ts';

/** Runs `f` with transformers.js allowed to reach the Hugging Face hub only when `source` is a hub model. */
export async function withHubAccess<T>(tjs: Transformers, source: ModelSource, f: () => Promise<T>): Promise<T> {
  tjs.env.allowRemoteModels = source.kind === 'hub';
  try {
    return await f();
  } finally {
    tjs.env.allowRemoteModels = false;
  }
}

/**
 * Loads on `device`; when that is WebGPU and loading fails (device lost, missing feature,
 * unsupported op), loads on `cpuDevice` instead and says why. `failWebGPU` is the test switch.
 */
export async function loadWithCpuFallback<M>(
  device: Device,
  cpuDevice: Device,
  load: (d: Device) => Promise<M>,
  failWebGPU = false,
): Promise<{ model: M; fallbackReason?: string }> {
  try {
    if (device === 'webgpu' && failWebGPU) throw new Error('WebGPU disabled by the failWebGPU test hook');
    return { model: await load(device) };
  } catch (e) {
    if (device !== 'webgpu') throw e;
    return { model: await load(cpuDevice), fallbackReason: `WebGPU failed (${e instanceof Error ? e.message : e}); ran on ${cpuDevice.toUpperCase()} instead.` };
  }
}

/**
 * Loaded models by key, at most `max`: a new one evicts the oldest, which is disposed once its
 * load settles. A failed load is forgotten, so the next request tries again.
 */
export class LoadedModels<M> {
  private loaded = new Map<string, Promise<M>>();
  constructor(
    private max: number,
    private dispose: (m: M) => unknown,
  ) {}

  get(key: string, load: () => Promise<M>): Promise<M> {
    let p = this.loaded.get(key);
    if (p) return p;
    p = load();
    this.loaded.set(key, p);
    p.catch(() => this.loaded.delete(key));
    while (this.loaded.size > this.max) {
      const oldest = this.loaded.keys().next().value!;
      const victim = this.loaded.get(oldest);
      this.loaded.delete(oldest);
      victim?.then((m) => this.dispose(m)).catch(() => undefined);
    }
    return p;
  }

  /**
   * Forgets every model whose key starts with `prefix` (a re-registered folder); `dispose` also
   * frees them (a VLM's GBs), for callers whose calls are serialised, so none is in use.
   */
  forget(prefix: string, dispose = false) {
    for (const k of [...this.loaded.keys()]) {
      if (!k.startsWith(prefix)) continue;
      if (dispose) void this.loaded.get(k)?.then((m) => this.dispose(m)).catch(() => undefined);
      this.loaded.delete(k);
    }
  }
}

/** The image a model is warmed up on right after loading (compiles WebGPU shaders, allocates buffers): a bar on white. */
export function warmUpImage(): Raster {
  const w = 96;
  const h = 64;
  const data = new Uint8ClampedArray(w * h * 4).fill(255);
  for (let y = 20; y < 44; y++) for (let x = 30; x < 34; x++) data.fill(0, (y * w + x) * 4, (y * w + x) * 4 + 3);
  return { width: w, height: h, data };
}
