/**
 * Occlusion maps: hide one patch of the image at a time (paint it with the paper colour, so
 * the patch is erased rather than a grey blob added), re-score the model's own prediction
 * on it with teacher forcing, and record how much the log-probability of each token drops.
 * Needs nothing of the model but a scorer, so it works for any model (src/model/explain.ts
 * gives the scorer of an encoder-decoder; a toy scorer tests the loop here).
 */
import { cloneRaster, type Raster } from '../image/raster.ts';
import type { GridMap } from './maps.ts';

export interface PatchGrid {
  /** Patch size in pixels. */
  patchW: number;
  patchH: number;
  /** Step between patches; the map's cells are stride-sized. */
  strideX: number;
  strideY: number;
}

/** The most passes one occlusion map may cost (each pass runs the model once). */
export const MAX_OCCLUSION_PASSES = 400;

/**
 * Patch grid for an image a model was given: patches a quarter of the image's height (16 px on
 * the built-in models' 64 px input: one encoder row, two columns of cells), half-overlapping
 * across the width, whole rows down; coarser when that would cost more than MAX_OCCLUSION_PASSES.
 */
export function patchGridFor(width: number, height: number): PatchGrid {
  let patchH = Math.max(4, Math.round(height / 4));
  let patchW = Math.max(4, Math.min(width, patchH));
  let grid: PatchGrid = { patchW, patchH, strideX: Math.max(1, Math.round(patchW / 2)), strideY: patchH };
  while (patchCount(width, height, grid) > MAX_OCCLUSION_PASSES) {
    patchW = Math.ceil(patchW * 1.25);
    patchH = Math.ceil(patchH * 1.25);
    grid = { patchW, patchH, strideX: patchW, strideY: patchH };
  }
  return grid;
}

function starts(size: number, patch: number, stride: number): number[] {
  const out: number[] = [];
  for (let s = 0; ; s += stride) {
    out.push(Math.min(s, Math.max(0, size - patch)));
    if (s + patch >= size) break;
  }
  return [...new Set(out)];
}

export function patchCount(width: number, height: number, g: PatchGrid): number {
  return starts(width, g.patchW, g.strideX).length * starts(height, g.patchH, g.strideY).length;
}

export interface Patch {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export function patches(width: number, height: number, g: PatchGrid): Patch[] {
  const out: Patch[] = [];
  for (const y0 of starts(height, g.patchH, g.strideY)) {
    for (const x0 of starts(width, g.patchW, g.strideX)) {
      out.push({ x0, y0, x1: Math.min(width, x0 + g.patchW), y1: Math.min(height, y0 + g.patchH) });
    }
  }
  return out;
}

/** The paper colour: per channel, the median of the border pixels. */
export function paperColour(image: Raster): [number, number, number] {
  const { width: w, height: h, data } = image;
  const idx: number[] = [];
  for (let x = 0; x < w; x++) idx.push(x, (h - 1) * w + x);
  for (let y = 0; y < h; y++) idx.push(y * w, y * w + w - 1);
  return [0, 1, 2].map((k) => {
    const v = idx.map((p) => data[p * 4 + k]).sort((a, b) => a - b);
    return v[v.length >> 1];
  }) as [number, number, number];
}

/** A copy of the image with the patch painted in `fill`. */
export function occlude(image: Raster, p: Patch, fill: readonly [number, number, number]): Raster {
  const out = cloneRaster(image);
  for (let y = p.y0; y < p.y1; y++) {
    for (let x = p.x0; x < p.x1; x++) {
      const i = (y * image.width + x) * 4;
      out.data[i] = fill[0];
      out.data[i + 1] = fill[1];
      out.data[i + 2] = fill[2];
      out.data[i + 3] = 255;
    }
  }
  return out;
}

/** Scores a prediction on an image: the log-probability of each of its tokens (teacher forcing). */
export type SequenceScorer = (image: Raster) => Promise<Float32Array>;

export interface OcclusionResult {
  grid: PatchGrid;
  width: number;
  height: number;
  /** Log-probability of each token on the unoccluded image. */
  base: Float32Array;
  /** For each patch (in patches() order), the log-probability of each token with that patch hidden. */
  scores: Float32Array[];
}

/**
 * Runs the scorer once on the image and once per patch. Cancellable between passes (`signal`);
 * `onProgress(done, total)` after each pass.
 */
export async function occlusionScores(
  image: Raster,
  score: SequenceScorer,
  opts: { grid?: PatchGrid; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<OcclusionResult> {
  const grid = opts.grid ?? patchGridFor(image.width, image.height);
  const list = patches(image.width, image.height, grid);
  const fill = paperColour(image);
  const check = () => {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new DOMException('Occlusion map cancelled', 'AbortError');
  };
  check();
  const base = await score(image);
  const scores: Float32Array[] = [];
  opts.onProgress?.(0, list.length);
  for (const p of list) {
    check();
    const s = await score(occlude(image, p, fill));
    if (s.length !== base.length) throw new Error(`the scorer returned ${s.length} tokens for a ${base.length}-token prediction`);
    scores.push(s);
    opts.onProgress?.(scores.length, list.length);
  }
  return { grid, width: image.width, height: image.height, base, scores };
}

/**
 * The map of one token (`token`: its index) or of the whole sequence (`token` omitted: the sum
 * of the tokens' log-probabilities), on a grid of about stride-sized cells: each cell gets the
 * mean drop of the patches that cover its centre (a drop below 0, where hiding a patch helped,
 * counts as 0).
 */
export function occlusionMap(r: OcclusionResult, token?: number): GridMap {
  const { grid, width, height } = r;
  const cols = Math.ceil(width / grid.strideX);
  const rows = Math.ceil(height / grid.strideY);
  const total = (a: Float32Array) => (token === undefined ? a.reduce((s, v) => s + v, 0) : a[token]);
  const base = total(r.base);
  const list = patches(width, height, grid);
  const drops = r.scores.map((s) => Math.max(0, base - total(s)));
  const values = new Float32Array(rows * cols);
  for (let y = 0; y < rows; y++) {
    const cy = ((y + 0.5) * height) / rows;
    for (let x = 0; x < cols; x++) {
      const cx = ((x + 0.5) * width) / cols;
      let sum = 0;
      let n = 0;
      list.forEach((p, k) => {
        if (cx >= p.x0 && cx < p.x1 && cy >= p.y0 && cy < p.y1) {
          sum += drops[k];
          n++;
        }
      });
      values[y * cols + x] = n ? sum / n : 0;
    }
  }
  return { rows, cols, values };
}
