/**
 * Perturbations: pure functions Raster -> Raster, deterministic (noise is seeded).
 * Applied in the settings table's order (types.ts) by applyPerturbations(); each is the
 * identity at its default.
 * Run in workers/perturb.worker.ts in the app and directly in Node (npm run stress),
 * so nothing here may touch the DOM, canvas or Node-only APIs: the same input and
 * settings give the same bytes everywhere.
 */
import { encode as jpegEncode, decode as jpegDecode } from 'jpeg-js';
import { type Raster, cloneRaster, createRaster, flatten } from '../image/raster.ts';
import { resampleWeights } from '../image/prepare.ts';
import { gaussian, mulberry32 } from '../util/random.ts';
import { DEFAULT_PERTURB, PERTURB_STAGES, type PerturbOptions, type PerturbStage } from './types.ts';

/** Largest image a geometric perturbation may produce (scale ×3 of a 4 MP input is 36 MP). */
export const MAX_OUTPUT_PIXELS = 40_000_000;

export function parseHex(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) throw new Error(`not a colour: ${hex}`);
  const v = parseInt(m[1], 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Relative luminance in 0..1 (Rec. 709 weights on the stored values). */
export function luminance(r: number, g: number, b: number): number {
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

/** Apply f to every R, G, B value (alpha untouched); f may return out-of-range values (clamped on store). */
function mapRgb(src: Raster, f: (v: number) => number): Raster {
  const out = cloneRaster(src);
  const d = out.data;
  const lut = new Uint8ClampedArray(256);
  for (let v = 0; v < 256; v++) lut[v] = f(v);
  for (let k = 0; k < d.length; k += 4) {
    d[k] = lut[d[k]];
    d[k + 1] = lut[d[k + 1]];
    d[k + 2] = lut[d[k + 2]];
  }
  return out;
}

/**
 * The image's background colour: the per-channel median of its border pixels
 * (what prepare.ts calls the background, in colour). Corners uncovered by a rotation
 * and added margins take this colour, so they read as more paper, not a frame.
 */
export function borderColour(r: Raster): [number, number, number, number] {
  const { width: w, height: h, data: d } = r;
  const idx: number[] = [];
  for (let x = 0; x < w; x++) idx.push(x, (h - 1) * w + x);
  for (let y = 1; y < h - 1; y++) idx.push(y * w, y * w + w - 1);
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let c = 0; c < 4; c++) {
    const hist = new Uint32Array(256);
    for (const i of idx) hist[d[i * 4 + c]]++;
    let acc = 0;
    const half = idx.length / 2;
    for (let v = 0; v < 256; v++) {
      acc += hist[v];
      if (acc >= half) {
        out[c] = v;
        break;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- colour

/** Linear remap of luminance: black -> ink, white -> paper. Anti-aliasing survives as blends. */
export function recolour(src: Raster, ink: string, paper: string): Raster {
  const i = parseHex(ink);
  const p = parseHex(paper);
  const out = cloneRaster(src);
  const d = out.data;
  for (let k = 0; k < d.length; k += 4) {
    const l = luminance(d[k], d[k + 1], d[k + 2]);
    d[k] = i[0] + (p[0] - i[0]) * l;
    d[k + 1] = i[1] + (p[1] - i[1]) * l;
    d[k + 2] = i[2] + (p[2] - i[2]) * l;
  }
  return out;
}

/** Blend towards the colour inverse: amount 0 = input, 1 = inverse. */
export function invert(src: Raster, amount: number): Raster {
  return mapRgb(src, (v) => v + (255 - 2 * v) * amount);
}

/**
 * Hue rotation by `degrees`: the luminance-preserving rotation about the grey axis
 * of the SVG/CSS `hue-rotate` filter (Filter Effects spec, feColorMatrix). Greys stay
 * grey; luminance is kept up to rounding, and up to clamping for saturated colours.
 */
export function hueRotate(src: Raster, degrees: number): Raster {
  const a = (degrees * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const m = [
    0.213 + c * 0.787 - s * 0.213, 0.715 - c * 0.715 - s * 0.715, 0.072 - c * 0.072 + s * 0.928,
    0.213 - c * 0.213 + s * 0.143, 0.715 + c * 0.285 + s * 0.14, 0.072 - c * 0.072 - s * 0.283,
    0.213 - c * 0.213 - s * 0.787, 0.715 - c * 0.715 + s * 0.715, 0.072 + c * 0.928 + s * 0.072,
  ];
  const out = cloneRaster(src);
  const d = out.data;
  for (let k = 0; k < d.length; k += 4) {
    const r = d[k], g = d[k + 1], b = d[k + 2];
    d[k] = m[0] * r + m[1] * g + m[2] * b;
    d[k + 1] = m[3] * r + m[4] * g + m[5] * b;
    d[k + 2] = m[6] * r + m[7] * g + m[8] * b;
  }
  return out;
}

/** Add `amount` (a fraction of the range, -1..1) to every channel. */
export function brightness(src: Raster, amount: number): Raster {
  return mapRgb(src, (v) => v + amount * 255);
}

/** Scale the distance from mid-grey by `factor` (1 = unchanged, 0 = flat grey). */
export function contrast(src: Raster, factor: number): Raster {
  return mapRgb(src, (v) => (v - 127.5) * factor + 127.5);
}

// ---------------------------------------------------------------- geometry

/** Resample to `factor` × the size with an antialiased triangle filter (the model-prep filter). */
export function scale(src: Raster, factor: number): Raster {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new RangeError(`scale must be positive, got ${factor}`);
  const w = Math.max(1, Math.round(src.width * factor));
  const h = Math.max(1, Math.round(src.height * factor));
  if (w === src.width && h === src.height) return cloneRaster(src);
  if (w * h > MAX_OUTPUT_PIXELS) throw new RangeError(`scaling to ${w}×${h} would exceed ${MAX_OUTPUT_PIXELS / 1e6} megapixels`);
  const wx = resampleWeights(src.width, w);
  const wy = resampleWeights(src.height, h);
  const sd = src.data;
  // horizontal pass into floats (4 channels interleaved), then vertical
  const tmp = new Float32Array(src.height * w * 4);
  for (let y = 0; y < src.height; y++) {
    const row = y * src.width * 4;
    for (let x = 0; x < w; x++) {
      const ws = wx.w[x], st = wx.start[x];
      let r = 0, g = 0, b = 0, a = 0;
      for (let k = 0; k < ws.length; k++) {
        const i = row + (st + k) * 4;
        r += ws[k] * sd[i];
        g += ws[k] * sd[i + 1];
        b += ws[k] * sd[i + 2];
        a += ws[k] * sd[i + 3];
      }
      const o = (y * w + x) * 4;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
      tmp[o + 3] = a;
    }
  }
  const out = createRaster(w, h);
  const d = out.data;
  for (let y = 0; y < h; y++) {
    const ws = wy.w[y], st = wy.start[y];
    for (let x = 0; x < w; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let k = 0; k < ws.length; k++) {
        const i = ((st + k) * w + x) * 4;
        r += ws[k] * tmp[i];
        g += ws[k] * tmp[i + 1];
        b += ws[k] * tmp[i + 2];
        a += ws[k] * tmp[i + 3];
      }
      const o = (y * w + x) * 4;
      d[o] = r; // Uint8ClampedArray stores clamp + round to nearest
      d[o + 1] = g;
      d[o + 2] = b;
      d[o + 3] = a;
    }
  }
  return out;
}

/**
 * Rotate counter-clockwise by `degrees` (as seen on screen) with bilinear sampling.
 * The canvas grows to hold the whole rotated image; uncovered corners take the
 * background colour (borderColour), blended smoothly at the image's edges.
 */
export function rotate(src: Raster, degrees: number): Raster {
  const turn = ((degrees % 360) + 360) % 360;
  if (turn === 0) return cloneRaster(src);
  const a = (turn * Math.PI) / 180;
  // exact values at quarter turns, so 90° is a lossless pixel permutation
  const c = turn === 90 || turn === 270 ? 0 : turn === 180 ? -1 : Math.cos(a);
  const s = turn === 180 ? 0 : turn === 90 ? 1 : turn === 270 ? -1 : Math.sin(a);
  const { width: w, height: h, data: sd } = src;
  const ow = Math.max(1, Math.ceil(Math.abs(w * c) + Math.abs(h * s) - 1e-6));
  const oh = Math.max(1, Math.ceil(Math.abs(w * s) + Math.abs(h * c) - 1e-6));
  if (ow * oh > MAX_OUTPUT_PIXELS) throw new RangeError(`rotating gives ${ow}×${oh}: too large`);
  const bg = borderColour(src);
  const out = createRaster(ow, oh);
  const d = out.data;
  const cx = w / 2, cy = h / 2, ocx = ow / 2, ocy = oh / 2;
  const px = [0, 0, 0, 0];
  for (let y = 0; y < oh; y++) {
    const dy = y + 0.5 - ocy;
    for (let x = 0; x < ow; x++) {
      const dx = x + 0.5 - ocx;
      // inverse map (y axis points down): source = R(-θ) applied to the output offset
      const sx = dx * c - dy * s + cx - 0.5;
      const sy = dx * s + dy * c + cy - 0.5;
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      const fx = sx - x0, fy = sy - y0;
      px[0] = px[1] = px[2] = px[3] = 0;
      for (let t = 0; t < 4; t++) {
        const xx = x0 + (t & 1), yy = y0 + (t >> 1);
        const wgt = ((t & 1) ? fx : 1 - fx) * ((t >> 1) ? fy : 1 - fy);
        if (wgt === 0) continue;
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) {
          for (let ch = 0; ch < 4; ch++) px[ch] += wgt * bg[ch];
        } else {
          const i = (yy * w + xx) * 4;
          for (let ch = 0; ch < 4; ch++) px[ch] += wgt * sd[i + ch];
        }
      }
      const o = (y * ow + x) * 4;
      d[o] = px[0];
      d[o + 1] = px[1];
      d[o + 2] = px[2];
      d[o + 3] = px[3];
    }
  }
  return out;
}

/** Add `px` pixels of the background colour on every side. */
export function margin(src: Raster, px: number): Raster {
  const m = Math.max(0, Math.round(px));
  if (m === 0) return cloneRaster(src);
  const w = src.width + 2 * m, h = src.height + 2 * m;
  if (w * h > MAX_OUTPUT_PIXELS) throw new RangeError(`a ${m}px margin gives ${w}×${h}: too large`);
  const out = createRaster(w, h, borderColour(src));
  for (let y = 0; y < src.height; y++) {
    out.data.set(src.data.subarray(y * src.width * 4, (y + 1) * src.width * 4), ((y + m) * w + m) * 4);
  }
  return out;
}

// ---------------------------------------------------------------- degradation

/** Normalised 1-D Gaussian kernel, radius ceil(3σ). */
export function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Separable Gaussian blur with standard deviation `sigma` px; edges clamp (extend the border). */
export function blur(src: Raster, sigma: number): Raster {
  if (!(sigma > 0)) return cloneRaster(src);
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const { width: w, height: h, data: sd } = src;
  const tmp = new Float32Array(sd.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let t = -r; t <= r; t++) {
        const xx = x + t < 0 ? 0 : x + t >= w ? w - 1 : x + t;
        const i = (y * w + xx) * 4, kv = k[t + r];
        a0 += kv * sd[i];
        a1 += kv * sd[i + 1];
        a2 += kv * sd[i + 2];
        a3 += kv * sd[i + 3];
      }
      const o = (y * w + x) * 4;
      tmp[o] = a0;
      tmp[o + 1] = a1;
      tmp[o + 2] = a2;
      tmp[o + 3] = a3;
    }
  }
  const out = createRaster(w, h);
  const d = out.data;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let t = -r; t <= r; t++) {
        const yy = y + t < 0 ? 0 : y + t >= h ? h - 1 : y + t;
        const i = (yy * w + x) * 4, kv = k[t + r];
        a0 += kv * tmp[i];
        a1 += kv * tmp[i + 1];
        a2 += kv * tmp[i + 2];
        a3 += kv * tmp[i + 3];
      }
      const o = (y * w + x) * 4;
      d[o] = a0;
      d[o + 1] = a1;
      d[o + 2] = a2;
      d[o + 3] = a3;
    }
  }
  return out;
}

/** Additive Gaussian noise, σ = `sigma` × 255, independent per channel; same seed, same noise. */
export function noise(src: Raster, sigma: number, seed: number): Raster {
  if (!(sigma > 0)) return cloneRaster(src);
  const n = gaussian(mulberry32(seed));
  const s = sigma * 255;
  const out = cloneRaster(src);
  const d = out.data;
  for (let k = 0; k < d.length; k += 4) {
    d[k] += n() * s;
    d[k + 1] += n() * s;
    d[k + 2] += n() * s;
  }
  return out;
}

/**
 * Round trip through a baseline JPEG at `quality` (1..100) with jpeg-js (pure JS, so
 * the artefacts are byte-identical in Node, the worker and every browser). 100 = off.
 * Alpha does not survive JPEG: the result is opaque (flatten first to keep a
 * transparent background white).
 */
export function jpeg(src: Raster, quality: number): Raster {
  const q = Math.round(quality);
  if (q >= 100) return cloneRaster(src);
  const encoded = withBufferShim(() => jpegEncode({ width: src.width, height: src.height, data: src.data }, Math.max(1, q)));
  const dec = jpegDecode(encoded.data, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 200, maxMemoryUsageInMB: 1024 });
  return { width: dec.width, height: dec.height, data: new Uint8ClampedArray(dec.data.buffer, dec.data.byteOffset, dec.data.byteLength) };
}

/**
 * jpeg-js's encoder returns `Buffer.from(bytes)` whenever `module` is defined, which
 * bundlers' CommonJS wrappers always do, and workers have no Buffer. A Uint8Array
 * stands in for the duration of the (synchronous) call, then the global is removed.
 */
function withBufferShim<T>(f: () => T): T {
  const g = globalThis as { Buffer?: unknown };
  if (g.Buffer !== undefined) return f();
  g.Buffer = { from: (a: ArrayLike<number>) => Uint8Array.from(a) };
  try {
    return f();
  } finally {
    delete g.Buffer;
  }
}

// ---------------------------------------------------------------- pipeline

/** True when some pixel is not fully opaque. */
function hasTransparency(r: Raster): boolean {
  for (let k = 3; k < r.data.length; k += 4) if (r.data[k] !== 255) return true;
  return false;
}

/**
 * Each stage of the pipeline, keyed by the stage names of the settings table
 * (PERTURBATIONS in types.ts), which also gives their order. A stage at its identity
 * settings is skipped (null).
 */
const STAGES: Record<PerturbStage, (r: Raster, o: PerturbOptions) => Raster | null> = {
  recolour: (r, o) => (o.ink.toLowerCase() !== DEFAULT_PERTURB.ink || o.paper.toLowerCase() !== DEFAULT_PERTURB.paper ? recolour(r, o.ink, o.paper) : null),
  invert: (r, o) => (o.invert !== 0 ? invert(r, o.invert) : null),
  hue: (r, o) => (o.hue % 360 !== 0 ? hueRotate(r, o.hue) : null),
  brightness: (r, o) => (o.brightness !== 0 ? brightness(r, o.brightness) : null),
  contrast: (r, o) => (o.contrast !== 1 ? contrast(r, o.contrast) : null),
  scale: (r, o) => (o.scale !== 1 ? scale(r, o.scale) : null),
  rotate: (r, o) => (o.rotate % 360 !== 0 ? rotate(r, o.rotate) : null),
  margin: (r, o) => (o.margin > 0 ? margin(r, o.margin) : null),
  blur: (r, o) => (o.blur > 0 ? blur(r, o.blur) : null),
  noise: (r, o) => (o.noise > 0 ? noise(r, o.noise, o.seed) : null),
  jpeg: (r, o) => (o.jpeg < 100 ? jpeg(r, o.jpeg) : null),
};

/**
 * All perturbations, stage by stage in PERTURB_STAGES order; options not given take their
 * defaults (identity). A transparent image is first flattened onto white, as the model
 * sees it: otherwise a new paper colour would not reach the transparent background.
 */
export function applyPerturbations(src: Raster, opts: Partial<PerturbOptions>): Raster {
  const o = { ...DEFAULT_PERTURB, ...opts };
  let r = hasTransparency(src) ? flatten(src) : src;
  for (const stage of PERTURB_STAGES) r = STAGES[stage](r, o) ?? r;
  return r === src ? cloneRaster(src) : r;
}
