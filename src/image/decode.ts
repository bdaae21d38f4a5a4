/**
 * Decoding user files into Rasters in the browser, with clear errors.
 * PNG, JPEG, WebP, GIF (first frame), BMP via createImageBitmap; SVG is rasterised
 * through an <img> (an SVG used as an image never runs its scripts nor loads anything).
 * Every failure is an ImageDecodeError whose message is meant for the user.
 */
import { type Raster } from './raster.ts';
import { jpegFrameSize, looksComplete, sniffImage, type ImageInfo } from './sniff.ts';

/** Inputs are scaled down to at most this many pixels (memory on phones, time everywhere). */
export const MAX_PIXELS = 4_000_000;
/** Above this many pixels (per the file header) a bitmap is refused without decoding. */
export const REFUSE_PIXELS = 100_000_000;
/** Files larger than this are refused before reading them. */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;
/** Bytes read to identify a file (a JPEG whose header lies further is walked on: jpegSize). */
const HEAD_BYTES = 256 * 1024;
/** Bytes read per step when a JPEG's metadata runs past HEAD_BYTES (memory stays this small). */
const JPEG_STEP_BYTES = 64 * 1024;
/**
 * Longest side an image is drawn at: canvases fail beyond 32767 px, and the model sees
 * 64-px-high strips at most 1024 px wide anyway. With MAX_PIXELS it bounds the aspect ratio
 * (MAX_SIDE:1 once the short side is down to 1 px).
 */
export const MAX_SIDE = 16384;
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

/**
 * The size to draw a w×h image at: its own when within MAX_PIXELS and MAX_SIDE, else scaled
 * down keeping the aspect ratio. Always at most MAX_PIXELS pixels and MAX_SIDE a side, at
 * least 1: at extreme aspect ratios (an SVG with viewBox="0 0 1e9 1") the short side stops at
 * 1 px and the long one at MAX_SIDE, where plain scaling would ask for a 63-megapixel strip.
 * Sizes that are not finite positive numbers (from an SVG's viewBox="0 0 1e300 1e-300") are
 * an ImageDecodeError, not NaN sizes that fail later as a raw TypeError of the canvas.
 */
export function targetSize(w: number, h: number, name = 'image'): [number, number] {
  if (!(Number.isFinite(w) && Number.isFinite(h) && w > 0 && h > 0)) {
    throw new ImageDecodeError(`"${name}" gives its size as ${w}×${h} pixels, which is not a usable size: the file is damaged.`);
  }
  const s = Math.min(1, Math.sqrt(MAX_PIXELS / (w * h)), MAX_SIDE / Math.max(w, h));
  const tw = Math.min(MAX_SIDE, Math.max(1, Math.round(w * s)));
  // rounding both sides up could pass the budget by a row: the height gives way
  const th = Math.min(MAX_SIDE, Math.max(1, Math.round(h * s)), Math.floor(MAX_PIXELS / tw));
  return [tw, th];
}

/**
 * A JPEG's size when its header lies past the bytes sniffed (metadata segments before the
 * frame header can fill megabytes): walks the segments by their lengths to the end of the
 * file, JPEG_STEP_BYTES at a time (only as far as the header). null when there is none.
 */
export async function jpegSize(blob: Blob, head: Uint8Array): Promise<{ width: number; height: number } | null> {
  let r = jpegFrameSize(head);
  while (r && 'next' in r) {
    const at = r.next;
    if (at + 10 > blob.size) return null; // walked off the end: no frame header
    r = jpegFrameSize(new Uint8Array(await blob.slice(at, at + JPEG_STEP_BYTES).arrayBuffer()), at, at);
  }
  return r;
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
    const [tw, th] = targetSize(w, h, name); // vector: any size is cheap to draw smaller
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
  if (info.format === 'jpeg' && info.width === undefined) Object.assign(info, await jpegSize(blob, head));
  if (info.width === 0 || info.height === 0) throw new ImageDecodeError(`"${name}" says it is ${info.width}×${info.height} pixels: the ${kind} header is damaged.`);
  // the pixel-bomb guard below needs the size: an image that does not say it is never decoded
  if (!info.width || !info.height) {
    throw new ImageDecodeError(
      `"${name}" was not opened: its ${kind} header does not give the image's size (the file is damaged or not really a ${kind}), and an image of unknown size may be too large to decode.`,
    );
  }
  if (info.width * info.height > REFUSE_PIXELS) {
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
    if (info.width * info.height > MAX_PIXELS || Math.max(info.width, info.height) > MAX_SIDE) {
      const [tw, th] = targetSize(info.width, info.height, name);
      Object.assign(opts, { resizeWidth: tw, resizeHeight: th, resizeQuality: 'high' });
    }
    bmp = await createImageBitmap(blob, opts);
  } catch {
    throw new ImageDecodeError(`"${name}" could not be decoded: the file looks like a ${kind} but is damaged or truncated.`);
  }
  try {
    if (!bmp.width || !bmp.height) throw new ImageDecodeError(`"${name}" decoded to an empty image.`);
    const [w, h] = targetSize(bmp.width, bmp.height, name); // also when the browser ignored the resize
    const raster = drawToRaster(bmp, w, h, name);
    // pixel counts, not widths: EXIF orientation may swap width and height
    return { raster, info, scaled: w * h < info.width * info.height, warnings };
  } finally {
    bmp.close();
  }
}
