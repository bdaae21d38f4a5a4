import { describe, expect, it } from 'vitest';
import { createRaster, type Raster } from '../../src/image/raster.ts';
import {
  applyPerturbations,
  blur,
  borderColour,
  brightness,
  contrast,
  hueRotate,
  invert,
  jpeg,
  luminance,
  margin,
  noise,
  recolour,
  rotate,
  scale,
} from '../../src/perturb/ops.ts';
import { COLOUR_PRESETS, DEFAULT_PERTURB, NUMBER_SETTINGS, PERTURBATIONS, PERTURB_PRESETS, PERTURB_STAGES, WHITE_ON_BLUE, isIdentity, type PerturbOptions } from '../../src/perturb/types.ts';
import { SWEEP_VARIABLES, settingsFor, sweepVariable } from '../../src/perturb/variables.ts';
import { checkColourPresets, readPerturb, sanitizePerturb } from '../../src/schema/perturb.ts';
import presetsFile from '../../src/perturb/colour-presets.json' with { type: 'json' };
import { mulberry32 } from '../../src/util/random.ts';

/** A seeded colourful test image (deterministic). */
function randomImage(w: number, h: number, seed = 7): Raster {
  const rand = mulberry32(seed);
  const r = createRaster(w, h);
  for (let i = 0; i < r.data.length; i += 4) {
    r.data[i] = rand() * 256;
    r.data[i + 1] = rand() * 256;
    r.data[i + 2] = rand() * 256;
    r.data[i + 3] = 255;
  }
  return r;
}

/** Black "ink" bar on white paper, like a tiny formula. */
function inkOnPaper(w = 40, h = 20): Raster {
  const r = createRaster(w, h, [255, 255, 255, 255]);
  for (let y = 8; y < 12; y++) for (let x = 10; x < 30; x++) r.data.set([0, 0, 0, 255], (y * w + x) * 4);
  return r;
}

const px = (r: Raster, x: number, y: number) => [...r.data.subarray((y * r.width + x) * 4, (y * r.width + x) * 4 + 4)];
const same = (a: Raster, b: Raster) => a.width === b.width && a.height === b.height && a.data.every((v, i) => v === b.data[i]);
const maxDiff = (a: Raster, b: Raster) => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i])), 0);

describe('colour perturbations', () => {
  it('recolour at black/white is the input; maps black to ink and white to paper', () => {
    const src = inkOnPaper();
    expect(same(recolour(src, '#000000', '#ffffff'), src)).toBe(true);
    const out = recolour(src, '#ffffff', '#1e40af');
    expect(px(out, 0, 0)).toEqual([0x1e, 0x40, 0xaf, 255]);
    expect(px(out, 15, 10)).toEqual([255, 255, 255, 255]);
  });

  it('recolour keeps anti-aliasing as blends between ink and paper', () => {
    const src = createRaster(1, 1, [128, 128, 128, 255]);
    const [r, g, b] = px(recolour(src, '#ff0000', '#0000ff'), 0, 0);
    expect(r).toBeGreaterThan(100);
    expect(r).toBeLessThan(155);
    expect(b).toBeGreaterThan(100);
    expect(g).toBe(0);
  });

  it('inverting twice is the identity; amount 0 is the identity; 1 inverts', () => {
    const src = randomImage(17, 9);
    expect(same(invert(invert(src, 1), 1), src)).toBe(true);
    expect(same(invert(src, 0), src)).toBe(true);
    expect(px(invert(inkOnPaper(), 1), 0, 0)).toEqual([0, 0, 0, 255]);
  });

  it('hue rotation keeps luminance (within rounding) and greys, and 360° is the identity', () => {
    // moderately saturated colours (no clamping)
    const src = createRaster(3, 1);
    src.data.set([180, 90, 60, 255, 60, 150, 90, 255, 100, 110, 170, 255]);
    for (const deg of [30, 90, 180, 270]) {
      const out = hueRotate(src, deg);
      for (let x = 0; x < 3; x++) {
        const [r0, g0, b0] = px(src, x, 0);
        const [r1, g1, b1] = px(out, x, 0);
        expect(Math.abs(luminance(r1, g1, b1) - luminance(r0, g0, b0))).toBeLessThan(0.01);
      }
      expect(maxDiff(out, src)).toBeGreaterThan(10); // it did change the colours
    }
    const grey = createRaster(1, 1, [100, 100, 100, 255]);
    expect(px(hueRotate(grey, 123), 0, 0)).toEqual([100, 100, 100, 255]);
    expect(maxDiff(hueRotate(src, 360), src)).toBeLessThanOrEqual(1);
  });

  it('brightness adds a fraction of the range (clamped); contrast scales around mid-grey', () => {
    const src = createRaster(1, 1, [100, 200, 250, 255]);
    expect(same(brightness(src, 0), src)).toBe(true);
    expect(px(brightness(src, 0.1), 0, 0)).toEqual([126, 226, 255, 255]);
    expect(same(contrast(src, 1), src)).toBe(true);
    expect(px(contrast(src, 0), 0, 0).slice(0, 3)).toEqual([128, 128, 128]);
    const [lo, , hi] = px(contrast(src, 2), 0, 0);
    expect(lo).toBe(72); // (100 - 127.5) * 2 + 127.5 = 72.5, stored rounding half to even
    expect(hi).toBe(255);
  });
});

describe('noise', () => {
  it('is the same for the same seed, differs for another, and 0 is the identity', () => {
    const src = inkOnPaper();
    const a = noise(src, 0.1, 42);
    const b = noise(src, 0.1, 42);
    const c = noise(src, 0.1, 43);
    expect(same(a, b)).toBe(true);
    expect(same(a, c)).toBe(false);
    expect(same(noise(src, 0, 42), src)).toBe(true);
  });

  it('has roughly the requested standard deviation on mid-grey', () => {
    const src = createRaster(100, 100, [128, 128, 128, 255]);
    const out = noise(src, 0.05, 1);
    let s = 0, s2 = 0, n = 0;
    for (let i = 0; i < out.data.length; i += 4) {
      const v = out.data[i] - 128;
      s += v;
      s2 += v * v;
      n++;
    }
    const sd = Math.sqrt(s2 / n - (s / n) ** 2);
    expect(sd).toBeGreaterThan(0.05 * 255 * 0.9);
    expect(sd).toBeLessThan(0.05 * 255 * 1.1);
    expect(Math.abs(s / n)).toBeLessThan(1);
  });
});

describe('blur', () => {
  it('sigma 0 is the identity; a flat image stays flat; it spreads an edge and keeps the mean', () => {
    const src = inkOnPaper();
    expect(same(blur(src, 0), src)).toBe(true);
    const flat = createRaster(8, 8, [90, 90, 90, 255]);
    expect(same(blur(flat, 2), flat)).toBe(true);
    const out = blur(src, 1.5);
    // pixel just above the bar was white, now greyish
    expect(px(out, 20, 7)[0]).toBeLessThan(230);
    expect(px(out, 20, 7)[0]).toBeGreaterThan(20);
    const mean = (r: Raster) => r.data.reduce((s, v, i) => (i % 4 === 0 ? s + v : s), 0) / (r.width * r.height);
    expect(Math.abs(mean(out) - mean(src))).toBeLessThan(2);
  });
});

describe('geometry', () => {
  it('rotate 0 (and 360) is the identity', () => {
    const src = randomImage(13, 7);
    expect(same(rotate(src, 0), src)).toBe(true);
    expect(same(rotate(src, 360), src)).toBe(true);
  });

  it('rotate 90 swaps the size and maps a known pixel (counter-clockwise)', () => {
    const src = createRaster(4, 2, [255, 255, 255, 255]);
    src.data.set([255, 0, 0, 255], (0 * 4 + 3) * 4); // top-right pixel red
    const out = rotate(src, 90);
    expect([out.width, out.height]).toEqual([2, 4]);
    // counter-clockwise: the top-right corner goes to the top-left
    expect(px(out, 0, 0)).toEqual([255, 0, 0, 255]);
    expect(px(out, 1, 0)).toEqual([255, 255, 255, 255]);
    // four quarter turns give the input back exactly
    expect(same(rotate(rotate(rotate(out, 90), 90), 90), src)).toBe(true);
    // 180 puts it at the bottom-left
    expect(px(rotate(src, 180), 0, 1)).toEqual([255, 0, 0, 255]);
  });

  it('rotating by an angle grows the canvas and fills the corners with the background colour', () => {
    const src = recolour(inkOnPaper(60, 30), '#ffffff', '#1e40af');
    const out = rotate(src, 20);
    expect(out.width).toBeGreaterThan(60);
    expect(out.height).toBeGreaterThan(30);
    expect(px(out, 0, 0)).toEqual([0x1e, 0x40, 0xaf, 255]);
    expect(px(out, out.width - 1, out.height - 1)).toEqual([0x1e, 0x40, 0xaf, 255]);
  });

  it('scale 1 is the identity; 0.5 halves the size; 2 doubles it; a flat image stays flat', () => {
    const src = inkOnPaper();
    expect(same(scale(src, 1), src)).toBe(true);
    const half = scale(src, 0.5);
    expect([half.width, half.height]).toEqual([20, 10]);
    const twice = scale(src, 2);
    expect([twice.width, twice.height]).toEqual([80, 40]);
    expect(px(twice, 40, 20)).toEqual([0, 0, 0, 255]);
    expect(px(twice, 0, 0)).toEqual([255, 255, 255, 255]);
    const flat = createRaster(9, 5, [30, 60, 90, 255]);
    expect(same(scale(flat, 0.37), createRaster(3, 2, [30, 60, 90, 255]))).toBe(true);
    expect(() => scale(src, 0)).toThrow(RangeError);
  });

  it('margin 0 is the identity; a margin grows the size by twice its width, in the background colour', () => {
    const src = recolour(inkOnPaper(), '#00ff00', '#fef3c7');
    expect(same(margin(src, 0), src)).toBe(true);
    const out = margin(src, 5);
    expect([out.width, out.height]).toEqual([50, 30]);
    expect(px(out, 0, 0)).toEqual([0xfe, 0xf3, 0xc7, 255]);
    expect(px(out, 5 + 15, 5 + 10)).toEqual(px(src, 15, 10));
  });

  it('borderColour is the median border colour', () => {
    expect(borderColour(inkOnPaper())).toEqual([255, 255, 255, 255]);
  });
});

describe('jpeg', () => {
  it('quality 100 is the identity; lower quality changes pixels, is deterministic and keeps the size', () => {
    const src = inkOnPaper(37, 19);
    expect(same(jpeg(src, 100), src)).toBe(true);
    const a = jpeg(src, 10);
    const b = jpeg(src, 10);
    expect([a.width, a.height]).toEqual([37, 19]);
    expect(same(a, b)).toBe(true);
    expect(maxDiff(a, src)).toBeGreaterThan(5);
    // still recognisably the same picture
    expect(px(a, 0, 0)[0]).toBeGreaterThan(200);
    expect(px(a, 20, 10)[0]).toBeLessThan(80);
    // higher quality is closer to the input
    expect(maxDiff(jpeg(src, 95), src)).toBeLessThan(maxDiff(a, src));
  });

  it('does not leave a Buffer shim behind where there was none', () => {
    // in Node, Buffer exists and must still be the real one
    jpeg(inkOnPaper(), 50);
    expect(globalThis.Buffer.from('a').toString()).toBe('a');
  });
});

describe('applyPerturbations', () => {
  it('is the identity at the defaults (a copy, not the same array)', () => {
    const src = randomImage(11, 5);
    const out = applyPerturbations(src, DEFAULT_PERTURB);
    expect(same(out, src)).toBe(true);
    expect(out.data).not.toBe(src.data);
    expect(same(applyPerturbations(src, {}), src)).toBe(true);
  });

  it('applies every option (each alone changes the image)', () => {
    const src = inkOnPaper();
    const changes: Partial<PerturbOptions>[] = [
      { ink: '#ff0000' },
      { paper: '#ffff00' },
      { invert: 1 },
      { hue: 90, ink: '#ff0000' },
      { brightness: -0.2 },
      { contrast: 0.5 },
      { noise: 0.1 },
      { blur: 1 },
      { rotate: 10 },
      { scale: 0.5 },
      { jpeg: 20 },
      { margin: 4 },
    ];
    for (const c of changes) {
      const out = applyPerturbations(src, c);
      expect(same(out, src), JSON.stringify(c)).toBe(false);
    }
  });

  it('is deterministic and leaves its input untouched', () => {
    const src = inkOnPaper();
    const copy = { ...src, data: new Uint8ClampedArray(src.data) };
    const o: Partial<PerturbOptions> = { ink: '#ffffff', paper: '#1e40af', hue: 40, noise: 0.05, seed: 3, blur: 0.8, rotate: 7, scale: 1.3, jpeg: 60, margin: 3 };
    expect(same(applyPerturbations(src, o), applyPerturbations(src, o))).toBe(true);
    expect(same(src, copy)).toBe(true);
  });

  it('flattens a transparent image first, so a new paper colour reaches its background', () => {
    // black ink, transparent paper
    const src = createRaster(10, 10, [0, 0, 0, 0]);
    src.data.set([0, 0, 0, 255], (5 * 10 + 5) * 4);
    const out = applyPerturbations(src, { ink: '#ffffff', paper: '#1e40af' });
    expect(px(out, 0, 0)).toEqual([0x1e, 0x40, 0xaf, 255]);
    expect(px(out, 5, 5)).toEqual([255, 255, 255, 255]);
  });

  it('presets are recolourings and not identities', () => {
    expect(PERTURB_PRESETS.map((p) => p.label)).toEqual(['White on blue', 'Dark mode', 'Coloured ink on tinted paper']);
    for (const p of PERTURB_PRESETS) expect(isIdentity({ ...DEFAULT_PERTURB, ...p.options })).toBe(false);
  });
});

describe('the perturbation registry (one table)', () => {
  const KEYS: (keyof PerturbOptions)[] = ['ink', 'paper', 'invert', 'hue', 'brightness', 'contrast', 'noise', 'seed', 'blur', 'rotate', 'scale', 'jpeg', 'margin'];

  it('has one entry per setting; the defaults come from it', () => {
    expect(PERTURBATIONS.map((p) => p.key).sort()).toEqual([...KEYS].sort());
    expect(Object.keys(DEFAULT_PERTURB).sort()).toEqual([...KEYS].sort());
    for (const p of PERTURBATIONS) expect(DEFAULT_PERTURB[p.key]).toBe(p.default);
    for (const s of NUMBER_SETTINGS) {
      expect(s.min, s.key).toBeLessThanOrEqual(s.default);
      expect(s.max, s.key).toBeGreaterThanOrEqual(s.default);
      if (s.sweep) for (const v of [s.sweep.from, s.sweep.to]) expect(v >= s.min && v <= s.max, `${s.key} sweep ${v}`).toBe(true);
    }
  });

  it('its order is the pipeline order: colour, geometry, then degradations', () => {
    expect(PERTURB_STAGES).toEqual(['recolour', 'invert', 'hue', 'brightness', 'contrast', 'scale', 'rotate', 'margin', 'blur', 'noise', 'jpeg']);
  });

  it('has safe limits: no setting from outside can ask for a huge image or a long blur', () => {
    const lim = Object.fromEntries(NUMBER_SETTINGS.map((s) => [s.key, [s.min, s.max]]));
    expect(lim.scale[1]).toBeLessThanOrEqual(3);
    expect(lim.margin[1]).toBeLessThanOrEqual(200);
    expect(lim.blur[1]).toBeLessThanOrEqual(6);
    expect(sanitizePerturb({ scale: 10, margin: 2000, blur: 1e6, jpeg: -5, noise: 9 })).toEqual({ ...DEFAULT_PERTURB, scale: 3, margin: 200, blur: 6, jpeg: 1, noise: 0.5 });
  });

  it('sweep variables come from it and clamp to its limits', () => {
    expect(SWEEP_VARIABLES.map((v) => v.id)).toEqual(['colour', 'invert', 'hue', 'brightness', 'contrast', 'scale', 'rotate', 'margin', 'blur', 'noise', 'jpeg', 'strokeWidth', 'instruction']);
    expect(settingsFor(sweepVariable('scale'), 10).scale).toBe(3);
    expect(settingsFor(sweepVariable('blur'), 50).blur).toBe(6);
    expect(settingsFor(sweepVariable('margin'), 12.4).margin).toBe(12);
    expect(settingsFor(sweepVariable('colour'), 7)).toMatchObject(WHITE_ON_BLUE);
    expect(sweepVariable('blur')).toMatchObject({ label: 'Blur σ', unit: 'px', from: 0, to: 4, min: 0, max: 6 });
  });

  it('readPerturb: unknown keys and bad values give messages; text values only where allowed', () => {
    expect(readPerturb({ hue: '40' })).toEqual({ perturb: {}, errors: ['Perturbation setting "hue" has a bad value.'] });
    expect(readPerturb({ hue: '40', ink: '#ABCDEF' }, { text: true }).perturb).toEqual({ hue: 40, ink: '#abcdef' });
    expect(readPerturb({ evil: 1, ink: 'red', blur: NaN }).errors).toHaveLength(3);
    expect(readPerturb([1, 2]).errors).toHaveLength(1);
  });

  it('the named colour presets are one data file, valid, shared with the CLIs and training', () => {
    expect(() => checkColourPresets(presetsFile)).not.toThrow();
    expect(() => checkColourPresets({ presets: [{ id: 'x', label: 'X', evalSet: 'x', ink: 'blue', paper: '#ffffff' }] })).toThrow(/colour-presets.json/);
    expect(COLOUR_PRESETS.map((p) => [p.id, p.evalSet])).toEqual([
      ['white-on-blue', 'white-on-blue'],
      ['dark-mode', 'dark'],
      ['tinted', 'tinted'],
    ]);
    // the values training/ocr/train.py and the benchmark were made with
    expect(WHITE_ON_BLUE).toEqual({ ink: '#ffffff', paper: '#1e40af' });
    expect(PERTURB_PRESETS.map((p) => p.options)).toEqual([WHITE_ON_BLUE, { ink: '#e5e7eb', paper: '#111827' }, { ink: '#b91c1c', paper: '#fef3c7' }]);
  });
});
