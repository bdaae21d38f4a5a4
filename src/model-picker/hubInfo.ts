/**
 * What a Hugging Face model asks of this device, said before its weights are downloaded:
 * the size of the files the app would load, whether it is a vision-language model, and whether
 * it needs WebGPU. Asked from the hub's API (the file list with sizes) and its config.json, only
 * once the visitor has added the model (src/model-picker/ModelPanel.tsx): nothing goes to the hub
 * before that. The numbers are what the hub lists; memory is estimated from the weights' size
 * (a model needs at least its weights in memory), not measured.
 */
import { vlmInfo, configDtype } from '../model/vlmService.ts';
import { vlmRequiredFiles } from '../model/vlm.ts';
import { requiredFiles } from '../model/engine.ts';
import { checkJsonSize } from '../schema/model-config.ts';
import type { GpuInfo } from '../model/device.ts';
import type { VlmInfo } from '../worker-api/ocr.ts';

/**
 * Weights above this do not fit WASM: WebAssembly memory is at most 4 GiB (wasm32), and the
 * weights, the runtime's copies and the activations share it, so about half is the practical limit.
 */
export const WASM_WEIGHTS_LIMIT = 2 * 1024 ** 3;

export interface HubFile {
  path: string;
  size: number;
}

export interface HubRequirements {
  /** Bytes of the files the app would load (weights with their external data, configs, tokenizer); null when the hub lists no sizes. */
  downloadBytes: number | null;
  /** The precision those files are for. */
  dtype: string;
  /** Files the app needs that the hub does not have. */
  missing: string[];
  vlm: VlmInfo | null;
  /** The weights are too large for WASM. */
  needsWebGPU: boolean;
}

/** The API address listing a model's files with their sizes. */
export function hubApiUrl(id: string): string {
  return `https://huggingface.co/api/models/${id.split('/').map(encodeURIComponent).join('/')}?blobs=true`;
}

/** A hub model's files (the API's `siblings`) and its config.json. */
export async function fetchHubModel(id: string, fetchFn: typeof fetch = fetch): Promise<{ files: HubFile[]; config: unknown }> {
  const res = await fetchFn(hubApiUrl(id));
  if (res.status === 401 || res.status === 404) throw new Error(`no public model "${id}" on Hugging Face`);
  if (!res.ok) throw new Error(`Hugging Face answered HTTP ${res.status}`);
  const listing = (await res.json()) as { siblings?: { rfilename?: unknown; size?: unknown }[] };
  const files = (listing.siblings ?? []).filter((s) => typeof s.rfilename === 'string').map((s) => ({ path: s.rfilename as string, size: typeof s.size === 'number' ? s.size : NaN }));
  const cfg = await fetchFn(`https://huggingface.co/${id.split('/').map(encodeURIComponent).join('/')}/resolve/main/config.json`);
  if (!cfg.ok) throw new Error(`its config.json could not be read (HTTP ${cfg.status})`);
  const text = await cfg.text();
  checkJsonSize('config.json', text.length);
  return { files, config: JSON.parse(text) };
}

/**
 * What the app would download for a model, from the hub's file list and config.json: a VLM's
 * sessions in its config's dtype (else q8, transformers.js' WASM default), an image-to-text
 * model's encoder and decoder in q8 (the app's WASM default); an .onnx file's external data
 * (.onnx_data, .onnx_data_1 ...) counts with it.
 */
export function hubRequirements(files: readonly HubFile[], config: unknown): HubRequirements {
  const vlm = vlmInfo(config);
  const d = configDtype(config);
  const dtype = vlm ? (d ?? 'q8') : 'q8';
  const wanted = vlm ? vlmRequiredFiles(vlm.modelType, dtype) : requiredFiles('q8');
  const byPath = new Map(files.map((f) => [f.path, f]));
  const missing = wanted.filter((f) => !byPath.has(f));
  const loaded = files.filter((f) => wanted.includes(f.path) || wanted.some((w) => w.endsWith('.onnx') && f.path.startsWith(`${w}_data`)));
  const sizes = loaded.map((f) => f.size);
  const downloadBytes = sizes.length && sizes.every(Number.isFinite) ? sizes.reduce((a, b) => a + b, 0) : null;
  return {
    downloadBytes,
    dtype: typeof dtype === 'string' ? dtype : Object.entries(dtype).map(([k, v]) => `${k}=${v}`).join(', '),
    missing,
    vlm,
    needsWebGPU: downloadBytes !== null && downloadBytes > WASM_WEIGHTS_LIMIT,
  };
}

/** A byte count as people read it. */
export function sizeText(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GB` : n >= 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(0)} MB` : `${Math.max(1, Math.round(n / 1024))} kB`;
}

/**
 * The requirements in a few sentences, with this device's verdict: a model that needs WebGPU
 * cannot run without a hardware adapter (a software one emulates it on the CPU, and its memory
 * is the same as WASM's).
 */
export function requirementsText(r: HubRequirements, gpu: GpuInfo, deviceMemoryGB?: number): string {
  const parts: string[] = [];
  parts.push(
    r.downloadBytes !== null ? `Download: about ${sizeText(r.downloadBytes)} (${r.dtype} weights), fetched from huggingface.co when a pane first uses it.` : 'The hub lists no file sizes for it.',
  );
  if (r.vlm) parts.push(`A vision-language model (${r.vlm.modelType}): it takes an instruction${r.vlm.trainingInstruction !== null ? ', and declares the one it was trained with' : ''}.`);
  if (r.missing.length) parts.push(`It lacks files the app needs: ${r.missing.join(', ')}; loading it will fail.`);
  if (r.downloadBytes !== null) parts.push(`It needs at least about ${sizeText(r.downloadBytes)} of memory${r.needsWebGPU ? ' and WebGPU (too large for WASM)' : ''}.`);
  if (r.needsWebGPU && (!gpu.webgpu || gpu.software)) parts.push(`This device cannot run it: it has ${gpu.webgpu ? 'only a software WebGPU adapter (no GPU)' : 'no WebGPU'}.`);
  else if (r.downloadBytes !== null && deviceMemoryGB !== undefined && r.downloadBytes > deviceMemoryGB * 1024 ** 3)
    parts.push(`This device reports about ${deviceMemoryGB} GB of memory: it may not be able to run it.`);
  return parts.join(' ');
}
