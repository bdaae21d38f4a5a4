/**
 * Which device runs a model: the one rule, used by the page's router (which also picks the
 * worker's onnxruntime build from it, src/worker-api/router.ts) and by the service inside a
 * worker (src/model/service.ts), so both always agree.
 */
import type { Device, DeviceChoice } from '../worker-api/ocr.ts';

export interface GpuInfo {
  /** A WebGPU adapter exists. */
  webgpu: boolean;
  /** It has shader-f16 (needed for fp16 models). */
  shaderF16: boolean;
  /** It is a software one (SwiftShader: WebGPU emulated on the CPU, far slower than WASM). */
  software?: boolean;
}

/**
 * WASM threads when nothing asks otherwise: onnxruntime-web's own default, half the cores, at
 * most 4, leaving the rest to the page, the perturbation worker and the GPU process (on 2 cores
 * that is 1 thread, which npm run bench found faster than 2 for the default model).
 */
export function defaultWasmThreads(cores: number): number {
  return Math.min(4, Math.ceil((cores || 1) / 2));
}

export const NO_GPU: GpuInfo = { webgpu: false, shaderF16: false, software: false };

interface Adapter {
  features: Set<string>;
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean; architecture?: string; vendor?: string; description?: string };
}

/** Asks the browser for a WebGPU adapter (0.3-1 s under SwiftShader, measured) and describes it. */
export async function probeGpu(nav: unknown): Promise<GpuInfo> {
  try {
    const gpu = (nav as { gpu?: { requestAdapter(): Promise<Adapter | null> } } | undefined)?.gpu;
    const adapter = await gpu?.requestAdapter();
    if (!adapter) return NO_GPU;
    const info = adapter.info;
    // a fallback adapter is WebGPU on the CPU; Chromium's is SwiftShader (headless, no GPU)
    const software = !!adapter.isFallbackAdapter || !!info?.isFallbackAdapter || /swiftshader/i.test(`${info?.architecture} ${info?.vendor} ${info?.description}`);
    return { webgpu: true, shaderF16: adapter.features.has('shader-f16'), software };
  } catch {
    return NO_GPU;
  }
}

/**
 * The device for a choice. "auto" takes WebGPU only on a real GPU: a software adapter
 * emulates it on the CPU at a fraction of WASM's speed (npm run bench: ~100x slower here).
 * Choosing WebGPU still uses it. `note` says why the device differs from what was asked.
 */
export function chooseDevice(choice: DeviceChoice | Device, gpu: GpuInfo, cpuDevice: Device): { device: Device; note?: string } {
  const cpu = cpuDevice.toUpperCase();
  if (choice === 'webgpu') return gpu.webgpu ? { device: 'webgpu' } : { device: cpuDevice, note: `No WebGPU adapter: ran on ${cpu} instead.` };
  if (choice !== 'auto') return { device: cpuDevice };
  if (gpu.webgpu && !gpu.software) return { device: 'webgpu' };
  return gpu.webgpu
    ? { device: cpuDevice, note: `The only WebGPU adapter is a software one (no GPU): ran on ${cpu}, which is faster. Choose WebGPU to use it anyway.` }
    : { device: cpuDevice };
}
