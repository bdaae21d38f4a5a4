/**
 * Identify an image file and read its size from the header, without decoding it:
 * lets the app refuse a 20000×20000 image before it allocates 1.6 GB, and name the
 * problem with a text file renamed .png.
 */
export interface ImageInfo {
  format: 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'svg';
  width?: number;
  height?: number;
  /** GIF with more than one frame, PNG with an acTL chunk (APNG). */
  animated?: boolean;
}

const u32be = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const u16le = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u16be = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];

export function sniffImage(b: Uint8Array): ImageInfo | null {
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    let animated = false;
    for (let o = 8; o + 8 <= b.length; ) {
      const len = u32be(b, o);
      const type = String.fromCharCode(b[o + 4], b[o + 5], b[o + 6], b[o + 7]);
      if (type === 'acTL') animated = true;
      if (type === 'IDAT') break;
      o += 12 + len;
    }
    return { format: 'png', width: u32be(b, 16), height: u32be(b, 20), animated };
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    // walk the segments to the first SOFn
    for (let o = 2; o + 9 < b.length; ) {
      if (b[o] !== 0xff) { o++; continue; }
      const marker = b[o + 1];
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: 'jpeg', height: u16be(b, o + 5), width: u16be(b, o + 7) };
      }
      o += 2 + u16be(b, o + 2);
    }
    return { format: 'jpeg' };
  }
  if (b.length >= 10 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) {
    // count image descriptors (0x2c) roughly to flag animation
    let frames = 0;
    for (let i = 13; i < b.length && frames < 2; i++) if (b[i] === 0x2c && b[i - 1] === 0x00) frames++;
    return { format: 'gif', width: u16le(b, 6), height: u16le(b, 8), animated: frames > 1 };
  }
  if (b.length >= 30 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP') {
    const kind = String.fromCharCode(...b.subarray(12, 16));
    if (kind === 'VP8X') return { format: 'webp', width: 1 + (b[24] | (b[25] << 8) | (b[26] << 16)), height: 1 + (b[27] | (b[28] << 8) | (b[29] << 16)) };
    if (kind === 'VP8 ') return { format: 'webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
    if (kind === 'VP8L') {
      const v = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
      return { format: 'webp', width: 1 + (v & 0x3fff), height: 1 + ((v >> 14) & 0x3fff) };
    }
    return { format: 'webp' };
  }
  if (b.length >= 26 && b[0] === 0x42 && b[1] === 0x4d) {
    const w = b[18] | (b[19] << 8) | (b[20] << 16) | (b[21] << 24);
    const h = b[22] | (b[23] << 8) | (b[24] << 16) | (b[25] << 24);
    return { format: 'bmp', width: Math.abs(w), height: Math.abs(h) };
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, Math.min(b.length, 4096))).trimStart();
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(text)) {
    const w = /<svg[^>]*\swidth="([\d.]+)(px)?"/i.exec(text);
    const h = /<svg[^>]*\sheight="([\d.]+)(px)?"/i.exec(text);
    return { format: 'svg', width: w ? Math.round(+w[1]) : undefined, height: h ? Math.round(+h[1]) : undefined };
  }
  return null;
}
