import { afterEach, describe, expect, it, vi } from 'vitest';
import { ImageDecodeError, MAX_PIXELS, MAX_SIDE, decodeImage, jpegSize, targetSize } from '../../src/image/decode.ts';

/**
 * The pixel-bomb guard of decodeImage, in Node: everything up to the browser's decoder runs
 * here (Blob is Node's), and createImageBitmap is a spy, so "refused before decoding" is
 * checked directly.
 */

const u8 = (...parts: number[][]) => Uint8Array.from(parts.flat());
/** An APPn segment with n bytes of payload. */
const app = (n: number) => [0xff, 0xe1, (n + 2) >> 8, (n + 2) & 255, ...new Array<number>(n).fill(0x41)];
/** A baseline frame header (SOF0) of a w×h, 3-component image. */
const sof = (w: number, h: number) => [0xff, 0xc0, 0, 17, 8, h >> 8, h & 255, w >> 8, w & 255, 3, ...new Array<number>(9).fill(0)];
const SOS_EOI = [0xff, 0xda, 0, 2, 0xff, 0xd9];
/** A JPEG whose frame header comes after `appBytes` of metadata (in 64 KiB segments). */
function jpegWithMetadata(appBytes: number, frame: number[] | null): Uint8Array<ArrayBuffer> {
  const segments: number[][] = [];
  for (let left = appBytes; left > 0; left -= 65533) segments.push(app(Math.min(65533, left)));
  return u8([0xff, 0xd8], ...segments, frame ?? [], SOS_EOI);
}

afterEach(() => vi.unstubAllGlobals());

function spyDecoder() {
  const decoder = vi.fn(async () => {
    throw new Error('createImageBitmap must not be reached');
  });
  vi.stubGlobal('createImageBitmap', decoder);
  return decoder;
}

describe('decodeImage: the pixel-bomb guard', () => {
  it('finds the size of a JPEG behind more than 256 KiB of metadata and refuses a 30000×30000 one', async () => {
    const decoder = spyDecoder();
    const file = jpegWithMetadata(400 * 1024, sof(30000, 30000));
    await expect(decodeImage(new Blob([file]), 'bomb.jpg')).rejects.toThrow(/"bomb\.jpg" is 30000×30000 pixels: too large/);
    expect(decoder).not.toHaveBeenCalled();
  });

  it('refuses, without decoding, an image whose size cannot be found', async () => {
    const decoder = spyDecoder();
    for (const [name, file] of [
      ['no-frame.jpg', jpegWithMetadata(300 * 1024, null)], // scan data before any frame header
      ['cut.jpg', jpegWithMetadata(300 * 1024, null).subarray(0, 300 * 1024)], // ends inside the metadata
      ['small.jpg', jpegWithMetadata(100, null)],
    ] as const) {
      const err = await decodeImage(new Blob([file]), name).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ImageDecodeError);
      expect((err as Error).message, name).toMatch(new RegExp(`"${name.replace('.', '\\.')}" was not opened: its JPEG header does not give the image's size`));
    }
    const png = u8([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0, 0, 0, 13], [...'tEXt'].map((c) => c.charCodeAt(0)), new Array<number>(20).fill(0));
    await expect(decodeImage(new Blob([png]), 'no-ihdr.png')).rejects.toThrow(/its PNG header does not give the image's size/);
    expect(decoder).not.toHaveBeenCalled();
  });

  it('decodes a JPEG whose size it found far in, scaled to the pixel budget', async () => {
    const decoder = vi.fn(async () => {
      throw new Error('stop here');
    });
    vi.stubGlobal('createImageBitmap', decoder);
    const file = jpegWithMetadata(300 * 1024, sof(4000, 3000));
    await expect(decodeImage(new Blob([file]), 'big.jpg')).rejects.toThrow(/could not be decoded/);
    expect(decoder).toHaveBeenCalledOnce();
    const opts = (decoder.mock.calls[0] as unknown[])[1] as ImageBitmapOptions;
    expect(opts.resizeWidth! * opts.resizeHeight!).toBeLessThanOrEqual(MAX_PIXELS);
    expect(opts.resizeWidth! / opts.resizeHeight!).toBeCloseTo(4 / 3, 2);
  });

  it('jpegSize reads a little at a time, only as far as the frame header', async () => {
    const file = jpegWithMetadata(1024 * 1024, sof(640, 480));
    const blob = new Blob([file, new Uint8Array(8 * 1024 * 1024)]); // 8 MiB after the header: never read
    const slice = vi.spyOn(blob, 'slice');
    expect(await jpegSize(blob, file.subarray(0, 256 * 1024))).toEqual({ width: 640, height: 480 });
    expect(slice.mock.calls.length).toBeLessThanOrEqual(13); // one step per 64 KiB segment past the head
    expect(Math.max(...slice.mock.calls.map(([start]) => start ?? 0))).toBeLessThan(file.length);
  });
});

describe('targetSize', () => {
  const pixels = ([w, h]: [number, number]) => w * h;

  it('keeps sizes within the budget and scales larger ones keeping the aspect ratio', () => {
    expect(targetSize(2000, 1000)).toEqual([2000, 1000]);
    expect(targetSize(4000, 2000)).toEqual([2828, 1414]);
    expect(targetSize(30000, 30000)).toEqual([2000, 2000]);
  });

  it('holds the pixel budget and the side limit at extreme aspect ratios (SVG viewBox="0 0 1e9 1")', () => {
    // the SVG path draws viewBox 1e9×1 at 200 px high: 2e11×200
    expect(targetSize(2e11, 200)).toEqual([MAX_SIDE, 1]);
    expect(targetSize(1e9, 1)).toEqual([MAX_SIDE, 1]);
    expect(targetSize(1, 1e9)).toEqual([1, MAX_SIDE]);
    // rounding both sides up used to pass the budget (2.6 M × 1.5 -> 2.6 M × 2)
    expect(pixels(targetSize(2_600_000, 1.5))).toBeLessThanOrEqual(MAX_PIXELS);
    for (const w of [1, 1.5, 7, 999.5, 16384, 16385, 1e5, 2.6e6, 1e9, 1e15, 1e300]) {
      for (const h of [1, 1.5, 3, 64, 2001, 1e5, 1e9, 1e300]) {
        const [tw, th] = targetSize(w, h);
        expect(tw * th, `${w}×${h}`).toBeLessThanOrEqual(MAX_PIXELS);
        expect(Math.max(tw, th), `${w}×${h}`).toBeLessThanOrEqual(MAX_SIDE);
        expect(Math.min(tw, th), `${w}×${h}`).toBeGreaterThanOrEqual(1);
        expect(Number.isInteger(tw) && Number.isInteger(th), `${w}×${h}`).toBe(true);
      }
    }
  });

  it('gives a clear error, not NaN sizes, for sizes that are not finite positive numbers', () => {
    for (const [w, h] of [
      [Infinity, 200],
      [NaN, 10],
      [10, 0],
      [0, 0],
      [-5, 10],
      [10, -Infinity],
    ]) {
      expect(() => targetSize(w, h, 'x.svg'), `${w}×${h}`).toThrow(ImageDecodeError);
      expect(() => targetSize(w, h, 'x.svg'), `${w}×${h}`).toThrow(/"x\.svg" gives its size as .* not a usable size/);
    }
  });
});
