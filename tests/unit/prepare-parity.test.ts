/**
 * src/image/prepare.ts (the app) against training/ocr/imageops.py (training): the model must
 * see the same pixels in both. Synthetic images in several colours, sizes and aspect ratios
 * are prepared by both; outputs must have the same size and (float rounding aside) pixels.
 */
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { prepareForModel, BUILTIN_PREPARE } from '../../src/image/prepare.ts';
import { greyLevels, type Raster } from '../../src/image/raster.ts';
import { mulberry32 } from '../../src/util/random.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PY = process.env.PYTHON ?? '/usr/bin/python3';

/** Strokes and blobs of ink on paper, with soft edges and a little noise. */
function synthetic(w: number, h: number, ink: number[], paper: number[], seed: number): Raster {
  const rand = mulberry32(seed);
  const data = new Uint8ClampedArray(w * h * 4);
  const blobs = Array.from({ length: 6 }, () => ({ x: w * (0.15 + 0.7 * rand()), y: h * (0.3 + 0.4 * rand()), r: 2 + rand() * Math.min(w, h) * 0.15 }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let a = 0;
      for (const b of blobs) a = Math.max(a, Math.min(1, Math.max(0, b.r - Math.hypot(x - b.x, y - b.y))));
      const n = (rand() - 0.5) * 6;
      for (let c = 0; c < 3; c++) data[(y * w + x) * 4 + c] = ink[c] * a + paper[c] * (1 - a) + n;
      data[(y * w + x) * 4 + 3] = 255;
    }
  }
  return { width: w, height: h, data };
}

const CASES: [number, number, number[], number[]][] = [
  [300, 80, [0, 0, 0], [255, 255, 255]],
  [120, 40, [255, 255, 255], [30, 64, 175]],
  [256, 256, [20, 20, 20], [250, 250, 250]],
  [2400, 60, [180, 30, 30], [254, 243, 199]],
  [40, 30, [0, 0, 0], [255, 255, 255]],
];

function hasPython(): boolean {
  try {
    execFileSync(PY, ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasPython())('image preparation parity with training', () => {
  it('matches imageops.prepare pixel for pixel (±1 level)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prep-'));
    const inputs = CASES.map(([w, h, ink, paper], i) => {
      const r = synthetic(w, h, ink, paper, i + 1);
      return { w, h, grey: Array.from(greyLevels(r)), raster: r };
    });
    fs.writeFileSync(path.join(dir, 'in.json'), JSON.stringify(inputs.map(({ w, h, grey }) => ({ w, h, grey }))));
    execFileSync(PY, ['-c', `
import json, sys, numpy as np
sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'training/ocr'))})
from imageops import prepare
out = []
for c in json.load(open(${JSON.stringify(path.join(dir, 'in.json'))})):
    g = np.array(c["grey"], dtype=np.float32).reshape(c["h"], c["w"])
    p = prepare(g)
    out.append({"w": int(p.shape[1]), "h": int(p.shape[0]), "px": p.ravel().tolist()})
json.dump(out, open(${JSON.stringify(path.join(dir, 'out.json'))}, "w"))
`]);
    const expected = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8')) as { w: number; h: number; px: number[] }[];
    inputs.forEach((inp, i) => {
      const got = prepareForModel(inp.raster, BUILTIN_PREPARE);
      expect([got.width, got.height]).toEqual([expected[i].w, expected[i].h]);
      let maxDiff = 0;
      let same = 0;
      for (let k = 0; k < expected[i].px.length; k++) {
        const d = Math.abs(got.data[k * 4] - expected[i].px[k]);
        maxDiff = Math.max(maxDiff, d);
        if (d === 0) same++;
      }
      expect(maxDiff).toBeLessThanOrEqual(1);
      expect(same / expected[i].px.length).toBeGreaterThan(0.99);
    });
  });
});
