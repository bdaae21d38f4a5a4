/** An RGBA image in memory: the one image type passed between image, perturb, worker and model code.
 * Structurally compatible with ImageData, and transferable (its buffer) between threads. */
export interface Raster {
  width: number;
  height: number;
  /** RGBA, row-major, 4 bytes per pixel. */
  data: Uint8ClampedArray;
}

export function createRaster(width: number, height: number, fill?: readonly [number, number, number, number]): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`invalid image size ${width}×${height}`);
  }
  const data = new Uint8ClampedArray(width * height * 4);
  if (fill) {
    for (let i = 0; i < data.length; i += 4) {
      data[i] = fill[0];
      data[i + 1] = fill[1];
      data[i + 2] = fill[2];
      data[i + 3] = fill[3];
    }
  }
  return { width, height, data };
}

export function cloneRaster(r: Raster): Raster {
  return { width: r.width, height: r.height, data: new Uint8ClampedArray(r.data) };
}

/** Composite onto an opaque background (white by default): transparent PNGs must not turn black. */
export function flatten(r: Raster, bg: readonly [number, number, number] = [255, 255, 255]): Raster {
  const out = cloneRaster(r);
  const d = out.data;
  for (let i = 0; i < d.length; i += 4) {
    const a = d[i + 3] / 255;
    if (a < 1) {
      d[i] = d[i] * a + bg[0] * (1 - a);
      d[i + 1] = d[i + 1] * a + bg[1] * (1 - a);
      d[i + 2] = d[i + 2] * a + bg[2] * (1 - a);
      d[i + 3] = 255;
    }
  }
  return out;
}

/** Grey level of each pixel: mean of R, G, B (what the built-in models compute first). */
export function greyLevels(r: Raster): Float32Array {
  const g = new Float32Array(r.width * r.height);
  const d = r.data;
  for (let i = 0, j = 0; j < g.length; i += 4, j++) g[j] = (d[i] + d[i + 1] + d[i + 2]) / 3;
  return g;
}

/** A grey image (one float per pixel) as an opaque RGBA raster (values rounded half up, clamped). */
export function greyToRaster(g: Float32Array, width: number, height: number): Raster {
  const out = createRaster(width, height);
  const d = out.data;
  for (let j = 0, i = 0; j < g.length; j++, i += 4) {
    const v = Math.floor(g[j] + 0.5);
    d[i] = d[i + 1] = d[i + 2] = v;
    d[i + 3] = 255;
  }
  return out;
}
