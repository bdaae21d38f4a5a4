/** Shared by the command-line tools: transformers.js for Node, the command line, image files, model ids. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import * as tjs from '@huggingface/transformers';
import sharp from 'sharp';
import type { Raster } from '../src/image/raster.ts';
import { MAX_FILE_BYTES, REFUSE_PIXELS, targetSize } from '../src/image/decode.ts';
import { loadModel, defaultDtype, type EngineModel } from '../src/model/engine.ts';
import { checkNumBeams, DEFAULT_NUM_BEAMS } from '../src/model/beam.ts';
import type { Device, Dtype, Prediction } from '../src/worker-api/ocr.ts';
import { recognize } from '../src/model/engine.ts';
import { loadVlm, recognizeVlm, vlmConfigSupport, type VlmModel } from '../src/model/vlm.ts';
import { vlmPrediction } from '../src/model/vlmService.ts';
import { checkModelConfig } from '../src/schema/model-config.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MODELS_DIR = path.join(ROOT, 'models');

tjs.env.allowRemoteModels = false; // never fetch from the Hub
tjs.env.allowLocalModels = true;
tjs.env.useFSCache = false;
tjs.env.localModelPath = MODELS_DIR + path.sep;

export { tjs };

/** A built-in model id (a folder under models/) or a path to a model folder. */
export function resolveModel(idOrPath: string): string {
  if (fs.existsSync(path.join(MODELS_DIR, idOrPath, 'config.json'))) return path.join(MODELS_DIR, idOrPath);
  const p = path.resolve(idOrPath);
  if (fs.existsSync(path.join(p, 'config.json'))) return p;
  const builtins = fs.existsSync(MODELS_DIR) ? fs.readdirSync(MODELS_DIR).filter((d) => fs.existsSync(path.join(MODELS_DIR, d, 'config.json'))) : [];
  throw new Error(`no model "${idOrPath}": not a built-in model (${builtins.join(', ') || 'none'}) nor a folder with config.json`);
}

export async function openModel(idOrPath: string, device: Device = 'cpu', dtype?: Dtype): Promise<EngineModel> {
  return loadModel(tjs, resolveModel(idOrPath), { device, dtype: dtype ?? defaultDtype(device, false) });
}

/** Whether a model (a built-in id or a folder) is a vision-language model (src/model/vlm.ts), by its config.json; resolveModel() first. */
export function isVlmModel(idOrPath: string): boolean {
  const config = JSON.parse(fs.readFileSync(path.join(resolveModel(idOrPath), 'config.json'), 'utf8'));
  return vlmConfigSupport(config).supported;
}

/** A loaded model of either kind, recognising the way the app's worker does (src/model/service.ts). */
export interface Predictor {
  kind: 'ocr' | 'vlm';
  model: EngineModel | VlmModel;
  recognize(image: Raster, opts?: { numBeams?: number; instruction?: string }): Promise<Prediction>;
}

/**
 * openModel() for any model: an image-to-text model, or a vision-language model (its config.json
 * says so; dtype: the one given, else its config's transformers.js_config.dtype). The instruction
 * only reaches a VLM; a VLM is decoded greedily (a wider beam says so in decoding.fellBackReason).
 */
export async function openPredictor(idOrPath: string, device: Device = 'cpu', dtype?: Dtype): Promise<Predictor> {
  if (!isVlmModel(idOrPath)) {
    const model = await openModel(idOrPath, device, dtype);
    return { kind: 'ocr', model, recognize: (image, opts = {}) => recognize(tjs, model, image, { numBeams: opts.numBeams }) };
  }
  const model = await loadVlm(tjs, resolveModel(idOrPath), { device, ...(dtype ? { dtype } : {}) });
  checkModelConfig({ 'config.json': model.config }); // bounded latex_ocr_instruction and token ids, as the app checks a folder
  return { kind: 'vlm', model, recognize: async (image, opts = {}) => vlmPrediction(await recognizeVlm(tjs, model, image, { instruction: opts.instruction }), opts.numBeams) };
}

/**
 * Decode an image file to RGBA (first frame of animations; SVG rasterised without scripts;
 * turned upright by its EXIF orientation), scaled down as the app scales its inputs
 * (src/image/decode.ts: at most MAX_PIXELS, MAX_SIDE a side), so the CLIs see what the app sees.
 */
export async function readImage(file: string): Promise<Raster> {
  const stat = fs.statSync(file);
  if (stat.size === 0) throw new Error('empty file (0 bytes)');
  if (stat.size > MAX_FILE_BYTES) throw new Error(`file too large (${(stat.size / 1024 / 1024).toFixed(0)} MB; the app opens at most ${MAX_FILE_BYTES / 1024 / 1024} MB)`);
  const img = sharp(file, { animated: false, autoOrient: true, limitInputPixels: REFUSE_PIXELS });
  const meta = await img.metadata().catch(() => {
    throw new Error('not an image this tool can read (PNG, JPEG, WebP, GIF, BMP, TIFF, SVG)');
  });
  const { width, height } = meta.autoOrient ?? meta;
  if (!width || !height) throw new Error('image has no size');
  const [w, h] = targetSize(width, height, path.basename(file));
  if (w !== width || h !== height) img.resize(w, h, { fit: 'fill' });
  const { data, info } = await img.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
}

const IMAGE_EXT = /\.(png|jpe?g|webp|gif|bmp|tiff?|svg)$/i;

/**
 * Files named on the command line; folders are expanded to the images inside (sorted).
 * A folder without images is an error (a mistyped path would otherwise do nothing, quietly).
 */
export function expandInputs(inputs: string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
      const found = fs.readdirSync(p).sort().filter((f) => IMAGE_EXT.test(f));
      if (!found.length) throw new Error(`${p}: the folder has no images (.png, .jpg, .webp, .gif, .bmp, .tiff, .svg)`);
      for (const f of found) out.push(path.join(p, f));
    } else out.push(p);
  }
  return out;
}

/** Prints why and the usage on stderr and exits 2: the command line was wrong (nothing was loaded). */
export function usageError(message: string, usage: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

type CliOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * The command line of a CLI, read by node:util's parseArgs (strict: an unknown option, or
 * one missing its value, is a usage error). `--help` prints the usage. `--opt -1` is read
 * as the value -1 (parseArgs alone would ask for `--opt=-1`).
 */
export function cliArgs<const O extends CliOptions>(usage: string, options: O, argv: string[] = process.argv.slice(2)) {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  if (head.includes('--help') || head.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    const takesValue = (end < 0 || i < end) && a.startsWith('--') && options[a.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && /^-\.?\d/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true } as { args: string[]; options: O; allowPositionals: true; strict: true });
  } catch (e) {
    return usageError(e instanceof Error ? e.message : String(e), usage);
  }
}

/** --beams: the default width when absent; a bad value is a usage error. */
export function beamsFlag(value: string | undefined, usage: string): number {
  try {
    return value === undefined ? DEFAULT_NUM_BEAMS : checkNumBeams(value);
  } catch (e) {
    return usageError(`--beams: ${e instanceof Error ? e.message : e}`, usage);
  }
}

/** The devices transformers.js runs on in Node (onnxruntime-node): WASM is the browser's. */
export const CLI_DEVICES = ['cpu', 'webgpu'] as const satisfies readonly Device[];
export const DTYPES = ['fp32', 'q8', 'fp16'] as const satisfies readonly Dtype[];

/** --device: cpu when absent; anything else is a usage error. */
export function deviceFlag(value: string | undefined, usage: string): Device {
  if (value === undefined) return 'cpu';
  if ((CLI_DEVICES as readonly string[]).includes(value)) return value as Device;
  return usageError(`--device: "${value}" is not a device here (${CLI_DEVICES.join(', ')})`, usage);
}

/** --dtype: undefined when absent (the device's default); anything else is a usage error. */
export function dtypeFlag(value: string | undefined, usage: string): Dtype | undefined {
  if (value === undefined || (DTYPES as readonly string[]).includes(value)) return value as Dtype | undefined;
  return usageError(`--dtype: "${value}" is not a dtype (${DTYPES.join(', ')})`, usage);
}

/** A whole-number flag from min to max; `fallback` when absent; anything else is a usage error. */
export function intFlag(name: string, value: string | undefined, usage: string, { min = 1, max = Number.MAX_SAFE_INTEGER, fallback }: { min?: number; max?: number; fallback: number }): number {
  if (value === undefined) return fallback;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    usageError(`--${name} must be a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`} (got "${value}")`, usage);
  }
  return n;
}

/** A number flag (any finite number); `fallback` when absent; anything else is a usage error. */
export function numberFlag(name: string, value: string | undefined, usage: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n)) usageError(`--${name} must be a number (got "${value}")`, usage);
  return n;
}
