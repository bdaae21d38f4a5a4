/**
 * What the built-in models see: grey levels, trimmed to the content box, fitted
 * to 64 px high. A line-for-line mirror of training/ocr/imageops.py (the
 * training code), checked against its golden output by tests/unit/prepare.test.ts.
 *
 * Trimming is colour-agnostic: "content" is whatever differs from the border
 * colour, so white-on-blue and black-on-white crops are trimmed the same way.
 */
import { type Raster, flatten, greyLevels, greyToRaster } from './raster.ts';
import { checkPrepareSpec } from '../schema/model-config.ts';

export interface PrepareSpec {
  grey: boolean;
  trim: boolean;
  height: number;
  max_width: number;
  min_width: number;
}

/** The built-in models' spec (also in their preprocessor_config.json as `latex_ocr_prepare`). */
export const BUILTIN_PREPARE: PrepareSpec = { grey: true, trim: true, height: 64, max_width: 1024, min_width: 64 };

export function backgroundLevel(g: Float32Array, w: number, h: number): number {
  const border: number[] = [];
  for (let x = 0; x < w; x++) border.push(g[x]);
  for (let x = 0; x < w; x++) border.push(g[(h - 1) * w + x]);
  for (let y = 0; y < h; y++) border.push(g[y * w]);
  for (let y = 0; y < h; y++) border.push(g[y * w + w - 1]);
  border.sort((a, b) => a - b);
  const n = border.length;
  return n % 2 ? border[(n - 1) / 2] : (border[n / 2 - 1] + border[n / 2]) / 2;
}

function box3(g: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = Math.min(h - 1, Math.max(0, y + dy));
        for (let dx = -1; dx <= 1; dx++) s += g[yy * w + Math.min(w - 1, Math.max(0, x + dx))];
      }
      out[y * w + x] = s / 9;
    }
  }
  return out;
}

export interface ContentBox { y0: number; y1: number; x0: number; x1: number; bg: number }

/** Bounding box of the content (pixels far from the border colour), or null when blank. */
export function contentBox(g: Float32Array, w: number, h: number): ContentBox | null {
  const bg = backgroundLevel(g, w, h);
  const b = box3(g, w, h);
  const d = new Float32Array(w * h);
  const hist = new Uint32Array(256);
  for (let i = 0; i < d.length; i++) {
    d[i] = Math.abs(b[i] - bg);
    hist[Math.min(255, Math.floor(d[i]))]++;
  }
  const target = 0.999 * d.length;
  let acc = 0;
  let contrast = 255;
  for (let v = 0; v < 256; v++) {
    acc += hist[v];
    if (acc >= target) { contrast = v; break; }
  }
  if (contrast < 8) return null;
  const thr = 0.5 * contrast;
  let y0 = h, y1 = -1, x0 = w, x1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (d[y * w + x] > thr) {
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
      }
    }
  }
  if (y1 < 0) return null;
  return { y0, y1: y1 + 1, x0, x1: x1 + 1, bg };
}

export interface Grey { g: Float32Array; w: number; h: number; bg: number }

/** Crop to the content box plus a background margin of 2 px + 5% of its height. */
export function trim(g: Float32Array, w: number, h: number): Grey {
  const box = contentBox(g, w, h);
  if (!box) return { g, w, h, bg: backgroundLevel(g, w, h) };
  const { y0, y1, x0, x1, bg } = box;
  const m = 2 + Math.round(0.05 * (y1 - y0));
  const cw = x1 - x0, ch = y1 - y0;
  const ow = cw + 2 * m, oh = ch + 2 * m;
  const out = new Float32Array(ow * oh).fill(bg);
  for (let y = 0; y < ch; y++) out.set(g.subarray((y0 + y) * w + x0, (y0 + y) * w + x1), (y + m) * ow + m);
  return { g: out, w: ow, h: oh, bg };
}

interface Weights { start: Int32Array; len: Int32Array; w: Float32Array[] }

/** Antialiased triangle filter (the same as resample_weights in imageops.py). */
export function resampleWeights(nIn: number, nOut: number): Weights {
  const scale = nIn / nOut;
  const support = Math.max(scale, 1);
  const start = new Int32Array(nOut);
  const len = new Int32Array(nOut);
  const w: Float32Array[] = [];
  for (let i = 0; i < nOut; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(nIn, Math.ceil(center + support));
    const row = new Float64Array(hi - lo);
    let total = 0;
    for (let j = lo; j < hi; j++) {
      const v = Math.max(0, 1 - Math.abs((j + 0.5 - center) / support));
      row[j - lo] = v;
      total += v;
    }
    w.push(Float32Array.from(row, (v) => v / total));
    start[i] = lo;
    len[i] = hi - lo;
  }
  return { start, len, w };
}

export function resize(g: Float32Array, w: number, h: number, outH: number, outW: number): Float32Array {
  const wx = resampleWeights(w, outW);
  const wy = resampleWeights(h, outH);
  const tmp = new Float32Array(h * outW); // horizontal pass
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < outW; i++) {
      let s = 0;
      const ws = wx.w[i], st = wx.start[i];
      for (let k = 0; k < ws.length; k++) s += ws[k] * g[y * w + st + k];
      tmp[y * outW + i] = s;
    }
  }
  const out = new Float32Array(outH * outW); // vertical pass
  for (let i = 0; i < outH; i++) {
    const ws = wy.w[i], st = wy.start[i];
    for (let x = 0; x < outW; x++) {
      let s = 0;
      for (let k = 0; k < ws.length; k++) s += ws[k] * tmp[(st + k) * outW + x];
      out[i * outW + x] = s;
    }
  }
  return out;
}

export function fitSize(h: number, w: number, spec: PrepareSpec = BUILTIN_PREPARE): [number, number] {
  const s = spec.height / h;
  const nw = Math.max(1, Math.round(w * s));
  if (nw <= spec.max_width) return [spec.height, nw];
  return [Math.max(1, Math.round(h * (spec.max_width / w))), spec.max_width];
}

/** Resize to the model height (width capped), pad with the background to the full height and min width. */
export function fit(t: Grey, spec: PrepareSpec = BUILTIN_PREPARE): Grey {
  const [h, w] = fitSize(t.h, t.w, spec);
  const r = resize(t.g, t.w, t.h, h, w);
  const ow = Math.max(w, spec.min_width);
  const out = new Float32Array(spec.height * ow).fill(t.bg);
  const top = Math.floor((spec.height - h) / 2);
  for (let y = 0; y < h; y++) out.set(r.subarray(y * w, (y + 1) * w), (top + y) * ow);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.max(0, Math.floor(out[i] + 0.5)));
  return { g: out, w: ow, h: spec.height, bg: t.bg };
}

/**
 * The image a model is given. With a `PrepareSpec` (built-in models): grey, trimmed,
 * fitted. Without one (any other model): only flattened onto white, since that
 * model's own processor decides the rest. A spec comes from a model's
 * preprocessor_config.json, so its numbers are checked first (PREPARE_LIMITS in
 * src/schema/model-config.ts): a height of 0 or 16000 throws an error naming the field
 * instead of making an empty or an enormous image.
 */
export function prepareForModel(input: Raster, spec: PrepareSpec | null): Raster {
  if (spec) spec = checkPrepareSpec(spec);
  const flat = flatten(input);
  if (!spec) return flat;
  let cur: Grey = { g: greyLevels(flat), w: flat.width, h: flat.height, bg: 255 };
  if (spec.trim) cur = trim(cur.g, cur.w, cur.h);
  else cur = { ...cur, bg: backgroundLevel(cur.g, cur.w, cur.h) };
  const f = fit(cur, spec);
  return greyToRaster(f.g, f.w, f.h);
}
