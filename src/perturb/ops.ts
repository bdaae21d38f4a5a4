/**
 * Perturbations: pure functions Raster -> Raster, deterministic (noise is seeded).
 * Applied in a fixed order by applyPerturbations(); each is the identity at its default.
 * Run in workers/perturb.worker.ts in the app and directly in Node (npm run stress).
 */
import { type Raster, cloneRaster } from '../image/raster.ts';
import { DEFAULT_PERTURB, type PerturbOptions } from './types.ts';

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
  const out = cloneRaster(src);
  const d = out.data;
  for (let k = 0; k < d.length; k += 4) {
    d[k] = d[k] + (255 - 2 * d[k]) * amount;
    d[k + 1] = d[k + 1] + (255 - 2 * d[k + 1]) * amount;
    d[k + 2] = d[k + 2] + (255 - 2 * d[k + 2]) * amount;
  }
  return out;
}

/** All perturbations in order; options not given take their defaults (identity). */
export function applyPerturbations(src: Raster, opts: Partial<PerturbOptions>): Raster {
  const o = { ...DEFAULT_PERTURB, ...opts };
  let r = src;
  if (o.ink.toLowerCase() !== DEFAULT_PERTURB.ink || o.paper.toLowerCase() !== DEFAULT_PERTURB.paper) r = recolour(r, o.ink, o.paper);
  if (o.invert !== 0) r = invert(r, o.invert);
  return r === src ? cloneRaster(src) : r;
}
