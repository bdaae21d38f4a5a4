/** Shared by the command-line tools: transformers.js for Node, image files, model ids. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tjs from '@huggingface/transformers';
import sharp from 'sharp';
import type { Raster } from '../src/image/raster.ts';
import { loadModel, defaultDtype, type EngineModel } from '../src/model/engine.ts';
import { checkNumBeams, DEFAULT_NUM_BEAMS } from '../src/model/beam.ts';
import type { Device, Dtype } from '../src/worker-api/ocr.ts';

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

/** Decode an image file to RGBA (first frame of animations; SVG rasterised without scripts). */
export async function readImage(file: string): Promise<Raster> {
  const stat = fs.statSync(file);
  if (stat.size === 0) throw new Error('empty file (0 bytes)');
  const img = sharp(file, { animated: false, limitInputPixels: 100_000_000 });
  const meta = await img.metadata().catch(() => {
    throw new Error('not an image this tool can read (PNG, JPEG, WebP, GIF, BMP, TIFF, SVG)');
  });
  if (!meta.width || !meta.height) throw new Error('image has no size');
  const { data, info } = await img.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
}

const IMAGE_EXT = /\.(png|jpe?g|webp|gif|bmp|tiff?|svg)$/i;

/** Files named on the command line; folders are expanded to the images inside (sorted). */
export function expandInputs(inputs: string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
      for (const f of fs.readdirSync(p).sort()) if (IMAGE_EXT.test(f)) out.push(path.join(p, f));
    } else out.push(p);
  }
  return out;
}

/** Minimal flag parser: --key value, repeated keys collect into arrays, the rest are positional. */
export function parseArgs(argv: string[], repeatable: string[] = []) {
  const flags: Record<string, string | string[]> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const key = a.slice(2);
      const val = argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : 'true';
      if (repeatable.includes(key)) ((flags[key] ??= []) as string[]).push(val);
      else flags[key] = val;
    } else positional.push(a);
  }
  return { flags, positional };
}

/** The --beams flag of the CLIs: the default width when absent; a bad value prints why and the usage, exits 2. */
export function beamsFlag(value: string | string[] | undefined, usage: string): number {
  try {
    return value === undefined ? DEFAULT_NUM_BEAMS : checkNumBeams(value);
  } catch (e) {
    console.error(`--beams: ${e instanceof Error ? e.message : e}\n${usage}`);
    process.exit(2);
  }
}
