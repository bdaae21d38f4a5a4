/**
 * Decoding user files into Rasters in the browser, with clear errors.
 * PNG, JPEG, WebP, GIF (first frame), BMP via createImageBitmap; SVG is rasterised
 * through an <img> (an SVG used as an image never runs its scripts).
 */
import { type Raster } from './raster.ts';
import { sniffImage, type ImageInfo } from './sniff.ts';

/** Inputs are scaled down to at most this many pixels (memory on phones, time everywhere). */
export const MAX_PIXELS = 4_000_000;
/** Above this many pixels (per the file header) an image is refused without decoding. */
export const REFUSE_PIXELS = 100_000_000;

export class ImageDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

function targetSize(w: number, h: number): [number, number] {
  const s = Math.min(1, Math.sqrt(MAX_PIXELS / (w * h)));
  return [Math.max(1, Math.round(w * s)), Math.max(1, Math.round(h * s))];
}

function drawToRaster(source: CanvasImageSource, w: number, h: number): Raster {
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(source, 0, 0, w, h);
  const img = ctx.getImageData(0, 0, w, h);
  return { width: w, height: h, data: img.data };
}

async function decodeSvg(blob: Blob): Promise<Raster> {
  const url = URL.createObjectURL(new Blob([blob], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    await img.decode().catch(() => {
      throw new ImageDecodeError('This SVG could not be drawn (it may be malformed or reference external files).');
    });
    let w = img.naturalWidth || 0;
    let h = img.naturalHeight || 0;
    if (!w || !h) {
      w = 800;
      h = 200; // an SVG without intrinsic size: draw it at a usable default
    }
    const [tw, th] = targetSize(w, h);
    return drawToRaster(img, tw, th);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Decode a file or blob; throws ImageDecodeError with a message meant for the user. */
export async function decodeImage(blob: Blob, name = 'image'): Promise<{ raster: Raster; info: ImageInfo; scaled: boolean }> {
  if (blob.size === 0) throw new ImageDecodeError(`"${name}" is empty (0 bytes).`);
  const head = new Uint8Array(await blob.slice(0, 64 * 1024).arrayBuffer());
  const info = sniffImage(head);
  if (!info) throw new ImageDecodeError(`"${name}" is not an image this app can read (PNG, JPEG, WebP, GIF, BMP or SVG).`);
  if (info.width && info.height && info.width * info.height > REFUSE_PIXELS) {
    throw new ImageDecodeError(
      `"${name}" is ${info.width}×${info.height} pixels: too large to open here (limit ${REFUSE_PIXELS / 1e6} megapixels). Crop or scale it down first.`,
    );
  }
  if (info.format === 'svg') {
    const raster = await decodeSvg(blob);
    return { raster, info, scaled: false };
  }
  let bmp: ImageBitmap;
  try {
    const opts: ImageBitmapOptions = { colorSpaceConversion: 'default', premultiplyAlpha: 'none' };
    if (info.width && info.height && info.width * info.height > MAX_PIXELS) {
      const [tw, th] = targetSize(info.width, info.height);
      Object.assign(opts, { resizeWidth: tw, resizeHeight: th, resizeQuality: 'high' });
    }
    bmp = await createImageBitmap(blob, opts);
  } catch {
    throw new ImageDecodeError(`"${name}" could not be decoded: the file looks like a ${info.format.toUpperCase()} but is damaged or truncated.`);
  }
  try {
    const [w, h] = bmp.width * bmp.height > MAX_PIXELS ? targetSize(bmp.width, bmp.height) : [bmp.width, bmp.height];
    const raster = drawToRaster(bmp, w, h);
    return { raster, info, scaled: !!info.width && w !== info.width };
  } finally {
    bmp.close();
  }
}
