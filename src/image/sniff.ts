/**
 * Identify an image file and read its size from the header, without decoding it:
 * lets the app refuse a 20000×20000 image before it allocates 1.6 GB, and name the
 * problem with a text file renamed .png. Pure functions on bytes (no DOM): tested in Node.
 */
export interface ImageInfo {
  format: 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'svg';
  width?: number;
  height?: number;
  /** GIF with more than one frame, PNG with an acTL chunk (APNG), animated WebP. */
  animated?: boolean;
  /** SVG only: the viewBox size, used when the root has no width/height. */
  viewBox?: { width: number; height: number };
}

const u32be = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const u32le = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const i32le = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
const u16le = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u16be = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const ascii = (b: Uint8Array, o: number, n: number) => String.fromCharCode(...b.subarray(o, o + n));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Sizes of the BMP info headers in the wild (CORE, INFO, V2, V3, V4, V5). */
const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

function sniffPng(b: Uint8Array): ImageInfo | null {
  if (b.length < 24 || !PNG_SIGNATURE.every((v, i) => b[i] === v)) return null;
  if (ascii(b, 12, 4) !== 'IHDR') return { format: 'png' }; // damaged: decoding will say so
  let animated = false;
  for (let o = 8; o + 8 <= b.length; ) {
    const len = u32be(b, o);
    const type = ascii(b, o + 4, 4);
    if (type === 'acTL') animated = true;
    if (type === 'IDAT' || type === 'IEND') break;
    o += 12 + len;
  }
  return { format: 'png', width: u32be(b, 16), height: u32be(b, 20), animated };
}

/**
 * Walks a JPEG's marker segments by their lengths to the first frame header (SOFn: precision,
 * height, width), skipping whatever metadata comes first, however much. `b` holds the file's
 * bytes from file offset `base`; the walk starts at file offset `from`. Returns the size; null
 * when scan data or the end marker comes first; or `{ next }`, the file offset to go on from,
 * when `b` ends first (the caller reads more there: decode.ts walks a whole file this way, a
 * few bytes per segment, and never trusts a fixed-size head to hold the header).
 */
export function jpegFrameSize(b: Uint8Array, base = 0, from = 2): { width: number; height: number } | { next: number } | null {
  let o = from - base;
  while (o + 9 < b.length) {
    if (b[o] !== 0xff) {
      o++;
      continue;
    }
    const marker = b[o + 1];
    if (marker === 0xff) {
      o++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      o += 2; // markers without a length
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: u16be(b, o + 5), width: u16be(b, o + 7) };
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data or end before any frame header
    o += 2 + u16be(b, o + 2);
  }
  return { next: base + o };
}

function sniffJpeg(b: Uint8Array): ImageInfo | null {
  if (b.length < 3 || b[0] !== 0xff || b[1] !== 0xd8 || b[2] !== 0xff) return null;
  const size = jpegFrameSize(b);
  // no size when the header lies beyond these bytes: decode.ts then reads on (jpegFrameSize)
  return size && 'width' in size ? { format: 'jpeg', ...size } : { format: 'jpeg' };
}

/**
 * Number of frames in a GIF, read from its block structure (stops at `limit`).
 * Frames past the end of `b` (a head-only read) are not counted.
 */
export function gifFrameCount(b: Uint8Array, limit = 2): number {
  if (b.length < 13 || ascii(b, 0, 3) !== 'GIF') return 0;
  let o = 13;
  if (b[10] & 0x80) o += 3 * (1 << ((b[10] & 7) + 1)); // global colour table
  let frames = 0;
  const skipSubBlocks = () => {
    while (o < b.length && b[o] !== 0) o += b[o] + 1;
    o++; // block terminator
  };
  while (o < b.length && frames < limit) {
    const kind = b[o];
    if (kind === 0x3b) break; // trailer
    if (kind === 0x21) {
      o += 2; // extension introducer + label
      skipSubBlocks();
    } else if (kind === 0x2c) {
      if (o + 10 > b.length) break;
      const packed = b[o + 9];
      o += 10;
      if (packed & 0x80) o += 3 * (1 << ((packed & 7) + 1)); // local colour table
      o++; // LZW minimum code size
      if (o > b.length) break;
      skipSubBlocks();
      if (o > b.length) break; // image data cut off by the read
      frames++;
    } else {
      break; // not a GIF block: damaged
    }
  }
  return frames;
}

function sniffGif(b: Uint8Array): ImageInfo | null {
  if (b.length < 10 || (ascii(b, 0, 6) !== 'GIF87a' && ascii(b, 0, 6) !== 'GIF89a')) return null;
  return { format: 'gif', width: u16le(b, 6), height: u16le(b, 8), animated: gifFrameCount(b) > 1 };
}

function sniffWebp(b: Uint8Array): ImageInfo | null {
  if (b.length < 16 || ascii(b, 0, 4) !== 'RIFF' || ascii(b, 8, 4) !== 'WEBP') return null;
  const kind = ascii(b, 12, 4);
  if (kind === 'VP8X' && b.length >= 30) {
    return {
      format: 'webp',
      width: 1 + (b[24] | (b[25] << 8) | (b[26] << 16)),
      height: 1 + (b[27] | (b[28] << 8) | (b[29] << 16)),
      animated: (b[20] & 0x02) !== 0,
    };
  }
  if (kind === 'VP8 ' && b.length >= 30) return { format: 'webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  if (kind === 'VP8L' && b.length >= 25) {
    const v = u32le(b, 21);
    return { format: 'webp', width: 1 + (v & 0x3fff), height: 1 + ((v >>> 14) & 0x3fff) };
  }
  return { format: 'webp' };
}

function sniffBmp(b: Uint8Array): ImageInfo | null {
  if (b.length < 26 || b[0] !== 0x42 || b[1] !== 0x4d) return null;
  const dib = u32le(b, 14);
  if (!BMP_HEADER_SIZES.has(dib)) return null; // "BM" at the start of some other file
  if (dib === 12) return { format: 'bmp', width: u16le(b, 18), height: u16le(b, 20) };
  return { format: 'bmp', width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
}

/** A length in an SVG attribute, in px when unitless or px; undefined for %, em and the like. */
function svgLength(tag: string, attr: string): number | undefined {
  // "\s*(?:px\s*)?" rather than "\s*(px)?\s*": two adjacent \s* backtrack quadratically on a
  // long run of spaces that is not followed by a quote
  const m = new RegExp(`\\s${attr}\\s*=\\s*["']\\s*([\\d.]+)\\s*(?:px\\s*)?["']`, 'i').exec(tag);
  const v = m ? Number(m[1]) : NaN;
  return Number.isFinite(v) && v > 0 ? Math.round(v) : undefined;
}

const isXmlSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/**
 * Where the root element starts: after a BOM, white space, the XML declaration, processing
 * instructions, comments and a doctype (with its internal subset), in any order; or -1 when
 * one of them is not closed. A forward scan, linear in the text: the regex it replaces
 * backtracked exponentially (24 empty comments, 169 bytes, took seconds).
 */
function rootStart(text: string): number {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (i < text.length && isXmlSpace(text[i])) i++;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return -1;
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return -1;
      i = end + 3;
    } else if (text.slice(i, i + 9).toUpperCase() === '<!DOCTYPE') {
      i = doctypeEnd(text, i + 9);
      if (i < 0) return -1;
    } else {
      return i;
    }
  }
}

/** Just past the ">" closing a doctype whose name starts at i: skips quoted ids and the
 * [internal subset] (with its own quotes and comments, where ">" and "]" mean nothing). */
function doctypeEnd(text: string, i: number): number {
  let depth = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return -1;
      i = end + 1;
    } else if (depth > 0 && text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return -1;
      i = end + 3;
    } else {
      if (c === '[') depth++;
      else if (c === ']') depth = Math.max(0, depth - 1);
      else if (c === '>' && depth === 0) return i + 1;
      i++;
    }
  }
  return -1;
}

function sniffSvg(b: Uint8Array): ImageInfo | null {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, Math.min(b.length, 16384)));
  const start = rootStart(text);
  if (start < 0 || text.slice(start, start + 4).toLowerCase() !== '<svg' || !/[\s>]/.test(text[start + 4] ?? '')) return null;
  // the root's start tag (a ">" inside an attribute value would end it early: only sizes are read)
  const close = text.indexOf('>', start);
  const tag = text.slice(start, close < 0 ? text.length : close + 1);
  const vb = /\sviewBox\s*=\s*["']\s*[-\d.e]+[\s,]+[-\d.e]+[\s,]+([\d.e]+)[\s,]+([\d.e]+)\s*["']/i.exec(tag);
  const info: ImageInfo = { format: 'svg', width: svgLength(tag, 'width'), height: svgLength(tag, 'height') };
  const [vw, vh] = vb ? [Number(vb[1]), Number(vb[2])] : [NaN, NaN];
  // finite and positive only: "1e999" is Infinity, and every size computed from it NaN
  if (Number.isFinite(vw) && Number.isFinite(vh) && vw > 0 && vh > 0) info.viewBox = { width: vw, height: vh };
  return info;
}

/** What image this is, from its first bytes (64 KiB or more is plenty), or null. */
export function sniffImage(b: Uint8Array): ImageInfo | null {
  return sniffPng(b) ?? sniffJpeg(b) ?? sniffGif(b) ?? sniffWebp(b) ?? sniffBmp(b) ?? sniffSvg(b);
}

/**
 * Whether a file ends as its format requires, from its last bytes: a PNG with its
 * IEND chunk, a JPEG with its EOI marker (both looked for in the whole tail: some writers append
 * data after it). Browsers decode truncated files partially, without an error, so the
 * app checks this itself. Formats without a clear end marker count as complete.
 */
export function looksComplete(format: ImageInfo['format'], tail: Uint8Array): boolean {
  if (format === 'png') {
    // IEND: length 0, type "IEND", CRC AE 42 60 82
    const end = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
    for (let o = tail.length - end.length; o >= 0; o--) {
      if (end.every((v, i) => tail[o + i] === v)) return true;
    }
    return false;
  }
  if (format === 'jpeg') {
    for (let o = tail.length - 2; o >= 0; o--) if (tail[o] === 0xff && tail[o + 1] === 0xd9) return true;
    return false;
  }
  if (format === 'gif') return tail.length > 0 && tail[tail.length - 1] === 0x3b;
  return true;
}
