/**
 * Decoding user files into Rasters in the browser, with clear errors.
 * PNG, JPEG, WebP, GIF (first frame), BMP via createImageBitmap; SVG is rasterised
 * through an <img> (an SVG used as an image never runs its scripts nor loads anything).
 * Every failure is an ImageDecodeError whose message is meant for the user.
 */
import { type Raster } from './raster.ts';
import { looksComplete, sniffImage, type ImageInfo } from './sniff.ts';

/** Inputs are scaled down to at most this many pixels (memory on phones, time everywhere). */
export const MAX_PIXELS = 4_000_000;
/** Above this many pixels (per the file header) a bitmap is refused without decoding. */
export const REFUSE_PIXELS = 100_000_000;
/** Files larger than this are refused before reading them. */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;
/** Bytes read to identify a file: enough to step over a JPEG's 64 KiB EXIF block. */
const HEAD_BYTES = 256 * 1024;
/** SVGs without a usable size are drawn this high (the width follows the viewBox). */
const SVG_DEFAULT_HEIGHT = 200;

export class ImageDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

export interface DecodedImage {
  raster: Raster;
  info: ImageInfo;
  /** True when the image was scaled down to MAX_PIXELS. */
  scaled: boolean;
  /** Things the user should know that did not stop decoding (animation, damage). */
  warnings: string[];
}

function targetSize(w: number, h: number): [number, number] {
  const s = Math.min(1, Math.sqrt(MAX_PIXELS / (w * h)));
  return [Math.max(1, Math.round(w * s)), Math.max(1, Math.round(h * s))];
}

function drawToRaster(source: CanvasImageSource, w: number, h: number, name: string): Raster {
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new ImageDecodeError(`"${name}" could not be drawn: the browser gave no 2D canvas (out of memory?).`);
  ctx.drawImage(source, 0, 0, w, h);
  try {
    const img = ctx.getImageData(0, 0, w, h);
    return { width: w, height: h, data: img.data };
  } catch {
    // a canvas the browser considers tainted (e.g. an SVG it deems unsafe) cannot be read back
    throw new ImageDecodeError(`"${name}" could not be read back after drawing (the browser blocked it).`);
  }
}

/** The size an SVG is drawn at: its own, else its viewBox scaled to a usable height, else 4:1. */
function svgSize(img: HTMLImageElement, info: ImageInfo): [number, number] {
  const w = info.width ?? 0, h = info.height ?? 0;
  if (w && h) return [w, h];
  const vb = info.viewBox;
  if (vb) {
    if (w) return [w, Math.max(1, Math.round((w * vb.height) / vb.width))];
    if (h) return [Math.max(1, Math.round((h * vb.width) / vb.height)), h];
    return [Math.max(1, Math.round((SVG_DEFAULT_HEIGHT * vb.width) / vb.height)), SVG_DEFAULT_HEIGHT];
  }
  if (img.naturalWidth && img.naturalHeight) return [img.naturalWidth, img.naturalHeight];
  return [4 * SVG_DEFAULT_HEIGHT, SVG_DEFAULT_HEIGHT];
}

async function decodeSvg(blob: Blob, info: ImageInfo, name: string): Promise<{ raster: Raster; scaled: boolean }> {
  const url = URL.createObjectURL(new Blob([blob], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    await img.decode().catch(() => {
      throw new ImageDecodeError(`"${name}" could not be drawn: the SVG is malformed.`);
    });
    const [w, h] = svgSize(img, info);
    const [tw, th] = targetSize(w, h); // vector: any size is cheap to draw smaller
    return { raster: drawToRaster(img, tw, th, name), scaled: tw !== w };
  } finally {
    URL.revokeObjectURL(url);
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** Decode a file or blob; throws ImageDecodeError with a message meant for the user. */
export async function decodeImage(blob: Blob, name = 'image'): Promise<DecodedImage> {
  if (blob.size === 0) throw new ImageDecodeError(`"${name}" is empty (0 bytes).`);
  if (blob.size > MAX_FILE_BYTES) throw new ImageDecodeError(`"${name}" is ${mb(blob.size)}: too large to open here (limit ${mb(MAX_FILE_BYTES)}).`);
  const head = new Uint8Array(await blob.slice(0, HEAD_BYTES).arrayBuffer());
  const info = sniffImage(head);
  if (!info) throw new ImageDecodeError(`"${name}" is not an image this app can read (PNG, JPEG, WebP, GIF, BMP or SVG).`);
  const warnings: string[] = [];

  if (info.format === 'svg') {
    const { raster, scaled } = await decodeSvg(blob, info, name);
    return { raster, info, scaled, warnings };
  }

  const kind = info.format.toUpperCase();
  if (info.width === 0 || info.height === 0) throw new ImageDecodeError(`"${name}" says it is ${info.width}×${info.height} pixels: the ${kind} header is damaged.`);
  if (info.width && info.height && info.width * info.height > REFUSE_PIXELS) {
    throw new ImageDecodeError(
      `"${name}" is ${info.width}×${info.height} pixels: too large to open here (limit ${REFUSE_PIXELS / 1e6} megapixels). Crop or scale it down first.`,
    );
  }
  // browsers decode cut-off files partially and silently: check the end marker ourselves
  const tail = new Uint8Array(await blob.slice(Math.max(0, blob.size - 64 * 1024)).arrayBuffer());
  if (!looksComplete(info.format, tail)) {
    if (info.format === 'png') throw new ImageDecodeError(`"${name}" is truncated: the PNG file ends before its last chunk.`);
    warnings.push(`"${name}" looks truncated (the ${kind} file has no end marker): part of the image may be missing.`);
  }
  if (info.animated) warnings.push(`"${name}" is animated: only its first frame is used.`);

  let bmp: ImageBitmap;
  try {
    const opts: ImageBitmapOptions = { colorSpaceConversion: 'default', premultiplyAlpha: 'none', imageOrientation: 'from-image' };
    if (info.width && info.height && info.width * info.height > MAX_PIXELS) {
      const [tw, th] = targetSize(info.width, info.height);
      Object.assign(opts, { resizeWidth: tw, resizeHeight: th, resizeQuality: 'high' });
    }
    bmp = await createImageBitmap(blob, opts);
  } catch {
    throw new ImageDecodeError(`"${name}" could not be decoded: the file looks like a ${kind} but is damaged or truncated.`);
  }
  try {
    if (!bmp.width || !bmp.height) throw new ImageDecodeError(`"${name}" decoded to an empty image.`);
    const [w, h] = bmp.width * bmp.height > MAX_PIXELS ? targetSize(bmp.width, bmp.height) : [bmp.width, bmp.height];
    const raster = drawToRaster(bmp, w, h, name);
    // pixel counts, not widths: EXIF orientation may swap width and height
    return { raster, info, scaled: !!(info.width && info.height) && w * h < info.width * info.height, warnings };
  } finally {
    bmp.close();
  }
}
