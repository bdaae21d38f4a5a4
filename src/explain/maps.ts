/**
 * "Where it looks": maps over the image a model was given (its prepared input, what the pane
 * shows as "What the model sees"), and the numbers read from them.
 *
 * A map is a grid of non-negative weights over the image, row-major. For the built-in models
 * the grid is the encoder's: 4 rows (64 px / 16) by `S / 4` columns (width / 8), and the
 * weights of one token are its cross-attention over those cells (src/model/explain.ts). For an
 * occlusion map the grid is the patch grid (src/explain/occlusion.ts) and the weights are the
 * drops in log-probability when that part of the image is hidden.
 */
import type { Raster } from '../image/raster.ts';
import { backgroundLevel } from '../image/prepare.ts';
import { greyLevels } from '../image/raster.ts';

export interface GridMap {
  rows: number;
  cols: number;
  /** rows × cols weights, row-major, each ≥ 0. */
  values: Float32Array;
}

/**
 * A pixel is ink when its grey level differs from the paper's (the median of the border, as the
 * models' own trimming decides it) by more than this, out of 255: colour-agnostic, so white ink on
 * blue paper is ink as much as black on white.
 */
export const INK_CONTRAST = 48;
/** A cell counts as ink when at least this share of its pixels is ink (strokes are thin). */
export const INK_CELL_SHARE = 0.02;

/** The per-token map of one decoding step: the mean over layers of each layer's weights over S = rows × cols cells. */
export function attentionGrid(layers: readonly ArrayLike<number>[], rows: number): GridMap {
  if (!layers.length) throw new Error('no attention layers');
  const S = layers[0].length;
  if (!Number.isInteger(rows) || rows < 1 || S % rows !== 0) throw new Error(`${S} cells do not form ${rows} rows`);
  const values = new Float32Array(S);
  for (const l of layers) {
    if (l.length !== S) throw new Error('attention layers of different sizes');
    for (let i = 0; i < S; i++) values[i] += Math.max(0, l[i]) / layers.length;
  }
  return { rows, cols: S / rows, values };
}

/** Pixel rectangle [x0, x1) × [y0, y1) that cell (r, c) of a rows × cols grid covers in a width × height image. */
export function cellRect(r: number, c: number, rows: number, cols: number, width: number, height: number) {
  return {
    x0: Math.floor((c * width) / cols),
    x1: Math.max(Math.floor((c * width) / cols) + 1, Math.floor(((c + 1) * width) / cols)),
    y0: Math.floor((r * height) / rows),
    y1: Math.max(Math.floor((r * height) / rows) + 1, Math.floor(((r + 1) * height) / rows)),
  };
}

/** Ink mask of an image: 1 where a pixel is ink (see INK_CONTRAST), else 0. */
export function inkMask(image: Raster): Uint8Array {
  const g = greyLevels(image);
  const bg = backgroundLevel(g, image.width, image.height);
  const m = new Uint8Array(g.length);
  for (let i = 0; i < g.length; i++) m[i] = Math.abs(g[i] - bg) > INK_CONTRAST ? 1 : 0;
  return m;
}

/** Share of each cell's pixels that are ink. */
export function inkPerCell(image: Raster, rows: number, cols: number, mask: Uint8Array = inkMask(image)): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const { x0, x1, y0, y1 } = cellRect(r, c, rows, cols, image.width, image.height);
      let ink = 0;
      let n = 0;
      for (let y = y0; y < Math.min(y1, image.height); y++) {
        for (let x = x0; x < Math.min(x1, image.width); x++) {
          ink += mask[y * image.width + x];
          n++;
        }
      }
      out[r * cols + c] = n ? ink / n : 0;
    }
  }
  return out;
}

/**
 * The share of a map's weight that falls on ink cells (cells with at least INK_CELL_SHARE of
 * ink pixels), 0..1; NaN for an all-zero map or an image without ink.
 */
export function inkShare(map: GridMap, image: Raster, mask?: Uint8Array): number {
  const ink = inkPerCell(image, map.rows, map.cols, mask);
  let onInk = 0;
  let total = 0;
  let anyInk = false;
  for (let i = 0; i < map.values.length; i++) {
    total += map.values[i];
    if (ink[i] >= INK_CELL_SHARE) {
      onInk += map.values[i];
      anyInk = true;
    }
  }
  return total > 0 && anyInk ? onInk / total : NaN;
}

/** Weighted centre of a map, as fractions of the image's width and height (0..1); null for an all-zero map. */
export function centroid(map: GridMap): { x: number; y: number } | null {
  let sx = 0;
  let sy = 0;
  let s = 0;
  for (let r = 0; r < map.rows; r++) {
    for (let c = 0; c < map.cols; c++) {
      const w = map.values[r * map.cols + c];
      sx += w * ((c + 0.5) / map.cols);
      sy += w * ((r + 0.5) / map.rows);
      s += w;
    }
  }
  return s > 0 ? { x: sx / s, y: sy / s } : null;
}

/** Magma-like ramp from dark purple (0) through red to pale yellow (1). */
const RAMP: readonly [number, number, number][] = [
  [0, 0, 4],
  [81, 18, 124],
  [183, 55, 121],
  [252, 137, 97],
  [252, 253, 191],
];

export function heatColour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((k) => Math.round(RAMP[i][k] + (RAMP[i + 1][k] - RAMP[i][k]) * f)) as [number, number, number];
}

/**
 * The map drawn over its image: the image's grey levels dimmed, blended with the heat colour of
 * each pixel's cell (weights scaled so the largest is 1). What the pane and the research ladder show.
 */
export function heatmapRaster(image: Raster, map: GridMap, opacity = 0.6): Raster {
  const { width: w, height: h } = image;
  let max = 0;
  for (const v of map.values) if (v > max) max = v;
  const g = greyLevels(image);
  const data = new Uint8ClampedArray(w * h * 4);
  const cellOfX = new Int32Array(w);
  const cellOfY = new Int32Array(h);
  for (let x = 0; x < w; x++) cellOfX[x] = Math.min(map.cols - 1, Math.floor((x * map.cols) / w));
  for (let y = 0; y < h; y++) cellOfY[y] = Math.min(map.rows - 1, Math.floor((y * map.rows) / h));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = max > 0 ? map.values[cellOfY[y] * map.cols + cellOfX[x]] / max : 0;
      const [r, gg, b] = heatColour(v);
      const base = g[y * w + x] * 0.8;
      const i = (y * w + x) * 4;
      data[i] = base * (1 - opacity) + r * opacity;
      data[i + 1] = base * (1 - opacity) + gg * opacity;
      data[i + 2] = base * (1 - opacity) + b * opacity;
      data[i + 3] = 255;
    }
  }
  return { width: w, height: h, data };
}

/** A share as a whole percentage ("61%"), or a dash for NaN (no ink to compare with). */
export function percentOrDash(v: number): string {
  return Number.isNaN(v) ? '–' : `${Math.round(v * 100)}%`;
}

/** One sentence a screen reader can read for a map: where its weight is and how much is on ink. */
export function describeMap(map: GridMap, image: Raster, mask?: Uint8Array): string {
  const share = inkShare(map, image, mask);
  const c = centroid(map);
  const where = c ? `centred ${Math.round(c.x * 100)}% from the left, ${Math.round(c.y * 100)}% from the top` : 'empty';
  const ink = Number.isNaN(share) ? 'no ink found to compare with' : `${Math.round(share * 100)}% on ink, ${Math.round((1 - share) * 100)}% on background`;
  return `${ink}; ${where}.`;
}

/** What "Where it looks" shows for one prediction (computed in the worker, drawn by MapsView). */
export type MapKind = 'attention' | 'occlusion';

export interface TokenMap {
  /** Index into the prediction's tokens (the shown ones, as in the confidence row). */
  token: number;
  text: string;
  map: GridMap;
  /** Share of this map's weight on ink cells (inkShare). */
  inkShare: number;
}

export interface PredictionMaps {
  kind: MapKind;
  tokens: TokenMap[];
  /** The whole prediction's map: attention, the mean of the tokens'; occlusion, the drop of the sequence's log-probability. */
  overall: GridMap;
  /** Attention: the mean of the tokens' ink shares; occlusion: the overall map's. NaN without ink. */
  inkShare: number;
  /** Share of the grid's cells holding ink: what a uniform gaze would put on ink. */
  inkCells: number;
  /** Model passes it took (1 for attention). */
  passes: number;
  ms: number;
}

/** Assembles a PredictionMaps from per-token maps over `image` (the model's input). */
export function predictionMaps(kind: MapKind, image: Raster, tokens: Omit<TokenMap, 'inkShare'>[], overall: GridMap, passes: number, ms: number): PredictionMaps {
  const mask = inkMask(image);
  const withShare = tokens.map((t) => ({ ...t, inkShare: inkShare(t.map, image, mask) }));
  const shares = withShare.map((t) => t.inkShare).filter((v) => !Number.isNaN(v));
  const cells = inkPerCell(image, overall.rows, overall.cols, mask);
  return {
    kind,
    tokens: withShare,
    overall,
    inkShare: kind === 'attention' ? (shares.length ? shares.reduce((s, v) => s + v, 0) / shares.length : NaN) : inkShare(overall, image, mask),
    inkCells: cells.filter((v) => v >= INK_CELL_SHARE).length / cells.length,
    passes,
    ms,
  };
}

/** The mean of maps of one shape. */
export function meanMap(maps: readonly GridMap[]): GridMap {
  const { rows, cols } = maps[0];
  const values = new Float32Array(rows * cols);
  for (const m of maps) for (let i = 0; i < values.length; i++) values[i] += m.values[i] / maps.length;
  return { rows, cols, values };
}

/**
 * One sweep step's "Where it looks" (research ladder, `npm run stress -- --maps`): the whole
 * prediction's attention map over the image the model was given and its ink share
 * (PredictionMaps.overall and .inkShare), or why there is none (a model without attention).
 */
export type StepMap = { image: Raster; map: GridMap; inkShare: number } | { unavailable: string };

/** Why a model gets no attention maps: said in the pane, the ladder and by the stress CLI. */
export const NO_ATTENTION_REASON = 'the model does not return its cross-attention (only the built-in models export it)';

/** A sweep step's map from its prediction's attention maps. */
export function stepMapOf(maps: PredictionMaps, image: Raster): StepMap {
  return { image, map: maps.overall, inkShare: maps.inkShare };
}
