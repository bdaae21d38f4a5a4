import { describe, expect, it } from 'vitest';
import { createRaster, type Raster } from '../../src/image/raster.ts';
import { attentionGrid, centroid, describeMap, heatmapRaster, inkShare, type GridMap } from '../../src/explain/maps.ts';
import { MAX_OCCLUSION_PASSES, occlusionMap, occlusionScores, patchCount, patchGridFor, patches } from '../../src/explain/occlusion.ts';

/** A paper-coloured image with ink-coloured rectangles. */
function page(w: number, h: number, rects: [number, number, number, number][], ink = [0, 0, 0], paper = [255, 255, 255]): Raster {
  const r = createRaster(w, h, [paper[0], paper[1], paper[2], 255]);
  for (const [x0, y0, x1, y1] of rects) {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) r.data.set([ink[0], ink[1], ink[2], 255], (y * w + x) * 4);
  }
  return r;
}

function oneHot(rows: number, cols: number, r: number, c: number): GridMap {
  const values = new Float32Array(rows * cols);
  values[r * cols + c] = 1;
  return { rows, cols, values };
}

describe('attention maps', () => {
  it('averages the layers into a rows × cols grid', () => {
    const m = attentionGrid([[1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]], 2);
    expect([m.rows, m.cols]).toEqual([2, 3]);
    expect(Array.from(m.values)).toEqual([0.5, 0, 0, 0, 0, 0.5]);
    expect(() => attentionGrid([[1, 0, 0]], 2)).toThrow(/do not form 2 rows/);
  });

  it('measures the share on ink, whatever the colours', () => {
    // ink in the left quarter of a 64 × 128 image; the grid is the encoder's 4 × 16
    for (const [ink, paper] of [
      [[0, 0, 0], [255, 255, 255]],
      [[255, 255, 255], [30, 64, 175]], // white on blue
    ]) {
      const img = page(128, 64, [[4, 20, 28, 44]], ink, paper);
      expect(inkShare(oneHot(4, 16, 1, 1), img)).toBe(1);
      expect(inkShare(oneHot(4, 16, 1, 12), img)).toBe(0);
      const half = oneHot(4, 16, 1, 1);
      half.values[1 * 16 + 12] = 1;
      expect(inkShare(half, img)).toBeCloseTo(0.5);
      expect(describeMap(half, img)).toMatch(/^50% on ink, 50% on background/);
    }
    expect(inkShare(oneHot(4, 16, 0, 0), page(128, 64, []))).toBeNaN();
  });

  it('puts the centroid where the weight is', () => {
    const m = oneHot(4, 10, 3, 0);
    m.values[3 * 10 + 9] = 3;
    const c = centroid(m)!;
    expect(c.x).toBeCloseTo((0.05 + 3 * 0.95) / 4);
    expect(c.y).toBeCloseTo(0.875);
    expect(centroid({ rows: 1, cols: 2, values: new Float32Array(2) })).toBeNull();
  });

  it('draws the heat over the cells that hold the weight', () => {
    const img = page(40, 20, []);
    const out = heatmapRaster(img, oneHot(2, 4, 0, 3));
    const px = (x: number, y: number) => Array.from(out.data.subarray((y * 40 + x) * 4, (y * 40 + x) * 4 + 3));
    expect(px(35, 5)[0]).toBeGreaterThan(px(5, 15)[0] + 50); // hot cell brighter red than a cold one
    expect(px(5, 15)).toEqual(px(15, 5)); // every cold cell alike
  });
});

describe('occlusion maps', () => {
  it('sizes the patch grid to the model input and bounds the passes', () => {
    const g = patchGridFor(300, 64);
    expect(g).toEqual({ patchW: 16, patchH: 16, strideX: 8, strideY: 16 });
    expect(patchCount(300, 64, g)).toBe(4 * 37);
    const wide = patchGridFor(1024, 1024);
    expect(patchCount(1024, 1024, wide)).toBeLessThanOrEqual(MAX_OCCLUSION_PASSES);
    // the patches cover the whole image
    const cover = new Uint8Array(300 * 64);
    for (const p of patches(300, 64, g)) for (let y = p.y0; y < p.y1; y++) for (let x = p.x0; x < p.x1; x++) cover[y * 300 + x] = 1;
    expect(cover.every((v) => v === 1)).toBe(true);
  });

  // a toy model of two tokens: the first is sure only while the known region [80, 96) × [16, 32)
  // holds ink; the second ignores the image
  const region = { x0: 80, x1: 96, y0: 16, y1: 32 };
  const toy = async (img: Raster) => {
    let ink = 0;
    for (let y = region.y0; y < region.y1; y++) for (let x = region.x0; x < region.x1; x++) ink += img.data[(y * img.width + x) * 4] < 128 ? 1 : 0;
    const share = ink / ((region.x1 - region.x0) * (region.y1 - region.y0));
    return Float32Array.from([Math.log(0.05 + 0.9 * share), Math.log(0.5)]);
  };
  const img = page(160, 64, [[region.x0, region.y0, region.x1, region.y1]]);

  it('finds the one region the toy model depends on', async () => {
    const r = await occlusionScores(img, toy);
    const seq = occlusionMap(r);
    let best = 0;
    seq.values.forEach((v, i) => (v > seq.values[best] ? (best = i) : 0));
    const row = Math.floor(best / seq.cols);
    const col = best % seq.cols;
    const cx = ((col + 0.5) * 160) / seq.cols;
    const cy = ((row + 0.5) * 64) / seq.rows;
    expect(cx).toBeGreaterThanOrEqual(region.x0);
    expect(cx).toBeLessThan(region.x1);
    expect(cy).toBeGreaterThanOrEqual(region.y0);
    expect(cy).toBeLessThan(region.y1);
    // hiding the blank margin costs nothing; hiding the whole region costs log(0.95 / 0.05) ≈ 2.9,
    // and the patches over its cells hide half of it or all of it
    expect(seq.values[0]).toBe(0);
    expect(seq.values[best]).toBeGreaterThan(1.5);
    // the image-blind token's map is empty
    expect(occlusionMap(r, 1).values.every((v) => v === 0)).toBe(true);
    // patches overlap by half: cells beside the region get part of its drop
    expect(inkShare(seq, img)).toBeGreaterThan(0.75);
  });

  it('reports progress and stops when cancelled', async () => {
    const abort = new AbortController();
    let calls = 0;
    const progress: number[] = [];
    const run = occlusionScores(
      img,
      async (x) => {
        calls++;
        if (calls === 4) abort.abort();
        return toy(x);
      },
      { signal: abort.signal, onProgress: (done) => progress.push(done) },
    );
    await expect(run).rejects.toThrow();
    expect(calls).toBe(4);
    expect(progress).toEqual([0, 1, 2, 3]);
  });
});
