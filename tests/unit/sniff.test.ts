import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encode as jpegEncode } from 'jpeg-js';
import { gifFrameCount, jpegFrameSize, looksComplete, sniffImage } from '../../src/image/sniff.ts';
import { EXAMPLES, presetExample } from '../../src/input/examples.ts';
import { normalizeLatex } from '../../src/latex/tokens.ts';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bytes = (...parts: (number[] | string | Uint8Array)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : [...p])));
const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const le16 = (v: number) => [v & 255, (v >> 8) & 255];
const le32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
function pngHead(w: number, h: number, extraChunks: (number[] | string)[] = []): Uint8Array {
  return bytes(PNG_SIG, be32(13), 'IHDR', be32(w), be32(h), [8, 6, 0, 0, 0], [0, 0, 0, 0], ...extraChunks, be32(0), 'IDAT', [0, 0, 0, 0]);
}

/** A minimal GIF with n 1×1 frames (each with a graphic control extension). */
function gif(n: number): Uint8Array {
  const frame = [0x21, 0xf9, 4, 0, 10, 0, 0, 0, /* GCE */ 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, /* descriptor */ 2, 2, 0x4c, 0x01, 0 /* LZW data */];
  return bytes('GIF89a', le16(1), le16(1), [0x80, 0, 0], [0, 0, 0, 255, 255, 255], ...Array.from({ length: n }, () => frame), [0x3b]);
}

describe('sniffImage', () => {
  it('reads PNG size and flags APNG', () => {
    expect(sniffImage(pngHead(20000, 20000))).toEqual({ format: 'png', width: 20000, height: 20000, animated: false });
    const apng = pngHead(10, 5, [be32(8), 'acTL', be32(2), be32(0), [0, 0, 0, 0]]);
    expect(sniffImage(apng)?.animated).toBe(true);
  });

  it('reads the JPEG frame header after an APP segment (and of a real encoded JPEG)', () => {
    const app1 = [0xff, 0xe1, ...[0, 2 + 6], ...'Exif\0\0'.split('').map((c) => c.charCodeAt(0))];
    const sof0 = [0xff, 0xc0, 0, 17, 8, ...[0x01, 0x2c], ...[0x02, 0x58], 3];
    expect(sniffImage(bytes([0xff, 0xd8], app1, sof0, new Array(20).fill(0)))).toEqual({ format: 'jpeg', width: 600, height: 300 });
    const real = jpegEncode({ width: 37, height: 11, data: new Uint8Array(37 * 11 * 4).fill(200) }, 80).data;
    expect(sniffImage(new Uint8Array(real))).toEqual({ format: 'jpeg', width: 37, height: 11 });
  });

  it('counts GIF frames from the block structure', () => {
    expect(gifFrameCount(gif(1))).toBe(1);
    expect(gifFrameCount(gif(3), 10)).toBe(3);
    expect(sniffImage(gif(1))).toEqual({ format: 'gif', width: 1, height: 1, animated: false });
    expect(sniffImage(gif(2))?.animated).toBe(true);
    // the fixture generator's animated GIF, if generated
    const fixture = path.join(ROOT, '.cache', 'fixtures', 'animated.gif');
    if (fs.existsSync(fixture)) expect(sniffImage(new Uint8Array(fs.readFileSync(fixture)))?.animated).toBe(true);
  });

  it('reads WebP sizes (VP8X with the animation flag, VP8L, VP8)', () => {
    const vp8x = bytes('RIFF', le32(30), 'WEBP', 'VP8X', le32(10), [0x02, 0, 0, 0], [99, 0, 0], [49, 0, 0]);
    expect(sniffImage(vp8x)).toEqual({ format: 'webp', width: 100, height: 50, animated: true });
    // VP8L: signature 0x2f, then 14 bits width-1, 14 bits height-1
    const v = (200 - 1) | ((80 - 1) << 14);
    const vp8l = bytes('RIFF', le32(30), 'WEBP', 'VP8L', le32(10), [0x2f], le32(v), [0, 0, 0, 0, 0]);
    expect(sniffImage(vp8l)).toEqual({ format: 'webp', width: 200, height: 80 });
    const vp8 = bytes('RIFF', le32(30), 'WEBP', 'VP8 ', le32(10), [0, 0, 0], [0x9d, 0x01, 0x2a], le16(320), le16(240));
    expect(sniffImage(vp8)).toEqual({ format: 'webp', width: 320, height: 240 });
  });

  it('reads BMP sizes (bottom-up heights are negative) and rejects "BM" text', () => {
    const bmp = bytes('BM', le32(100), [0, 0, 0, 0], le32(54), le32(40), le32(64), le32(-32 >>> 0), le16(1), le16(24));
    expect(sniffImage(bmp)).toEqual({ format: 'bmp', width: 64, height: 32 });
    expect(sniffImage(bytes('BMW is a car maker, not a bitmap header at all.'))).toBeNull();
  });

  it('recognises SVG (with XML prolog, comments, doctype) and reads width, height and viewBox', () => {
    const svg = new TextEncoder().encode('\uFEFF<?xml version="1.0"?>\n<!-- made by hand -->\n<svg xmlns="http://www.w3.org/2000/svg" width="240" height="80px"><rect/></svg>');
    expect(sniffImage(svg)).toMatchObject({ format: 'svg', width: 240, height: 80 });
    const vb = bytes('<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 300 100"></svg>');
    expect(sniffImage(vb)).toEqual({ format: 'svg', width: undefined, height: undefined, viewBox: { width: 300, height: 100 } });
  });

  it('returns null for text, HTML and empty input', () => {
    expect(sniffImage(bytes('This is a text file pretending to be a PNG.\n'))).toBeNull();
    expect(sniffImage(bytes('<!doctype html><html><body><svg></svg></body></html>'))).toBeNull();
    expect(sniffImage(new Uint8Array(0))).toBeNull();
    expect(sniffImage(bytes(PNG_SIG))).toBeNull(); // a PNG signature alone is no image
  });

  it('finds the SVG root after comments, a doctype and processing instructions, in linear time', () => {
    const svgText = (s: string) => new TextEncoder().encode(s);
    const timed = (s: string) => {
      const t0 = performance.now();
      const info = sniffImage(svgText(s));
      return { info, ms: performance.now() - t0 };
    };
    // the regex this replaced backtracked exponentially: 24 empty comments (169 bytes) took
    // 1.7 s on this machine, each one more doubling it
    const bomb = timed('<!---->'.repeat(24) + 'x');
    expect(bomb.info).toBeNull();
    expect(bomb.ms).toBeLessThan(100);
    const many = timed(`${'<!---->'.repeat(2000)}<svg width="30" height="20">`);
    expect(many.info).toMatchObject({ format: 'svg', width: 30, height: 20 });
    expect(many.ms).toBeLessThan(100);
    // a long run of spaces in a size (the 16 KiB read): 0.35 s before, now linear
    const spaces = timed(`<svg height="2" width="1${' '.repeat(16000)}x">`);
    expect(spaces.info).toMatchObject({ format: 'svg', width: undefined, height: 2 });
    expect(spaces.ms).toBeLessThan(100);

    const real = [
      '\uFEFF<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
      '<!-- Generator: a drawing program -->',
      '<?xml-stylesheet href="style.css" type="text/css"?>',
      '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [',
      '  <!ENTITY ns "http://www.w3.org/2000/svg"> <!-- a ] and a > in a comment: don\'t stop here -->',
      '  <!ENTITY quoted "with ] and > inside">',
      ']>',
      '<!-- after the doctype -->',
      '<svg xmlns="&ns;" width="120px" height="40" viewBox="0 0 120 40"><text>x</text></svg>',
    ].join('\n');
    expect(sniffImage(svgText(real))).toEqual({ format: 'svg', width: 120, height: 40, viewBox: { width: 120, height: 40 } });
    expect(sniffImage(svgText('<!DOCTYPE svg><svg\nwidth="5" height="6"/>'))).toMatchObject({ format: 'svg', width: 5, height: 6 });
    // not closed, or not an svg root: not an SVG
    for (const notSvg of ['<!-- never closed <svg>', '<?xml version="1.0"', '<!DOCTYPE svg [ <svg>', '<!-- a --><html><svg></svg></html>', '<svgx>', 'text <svg>']) {
      expect(sniffImage(svgText(notSvg)), notSvg).toBeNull();
    }
  });

  it('keeps an SVG viewBox only when it is finite and positive', () => {
    const vb = (v: string) => sniffImage(bytes(`<svg viewBox="${v}"></svg>`))?.viewBox;
    expect(vb('0 0 1e9 1')).toEqual({ width: 1e9, height: 1 }); // extreme, but decode.ts clamps it
    expect(vb('0 0 1e999 10')).toBeUndefined(); // Infinity
    expect(vb('0 0 10 0')).toBeUndefined();
  });

  it('walks JPEG segments by their lengths however far the frame header is (no fixed window)', () => {
    // 5 APP1 segments of 64 KiB (320 KiB: past the 256 KiB that decode.ts reads first), then
    // the frame header of a 30000×30000 image: a pixel bomb that must not hide behind metadata
    const app = (n: number) => [0xff, 0xe1, (n + 2) >> 8, (n + 2) & 255, ...new Array(n).fill(0x41)];
    const sof = [0xff, 0xc0, 0, 17, 8, ...[0x75, 0x30], ...[0x75, 0x30], 3, ...new Array(9).fill(0)];
    const file = bytes([0xff, 0xd8], ...Array.from({ length: 5 }, () => app(65533)), sof, [0xff, 0xda, 0, 2], [0xff, 0xd9]);
    expect(file.length).toBeGreaterThan(320 * 1024);
    expect(sniffImage(file)).toEqual({ format: 'jpeg', width: 30000, height: 30000 });
    // a head of the file has no size, and says where the walk goes on
    const head = file.subarray(0, 256 * 1024);
    expect(sniffImage(head)).toEqual({ format: 'jpeg' });
    const r = jpegFrameSize(head);
    expect(r).toEqual({ next: 2 + 4 * (65533 + 4) });
    // walking on from there, with the bytes of the file from that offset
    const at = (r as { next: number }).next;
    expect(jpegFrameSize(file.subarray(at, at + 64 * 1024), at, at)).toEqual({ next: at + 65533 + 4 });
    expect(jpegFrameSize(file.subarray(at + 65537), at + 65537, at + 65537)).toEqual({ width: 30000, height: 30000 });
    // scan data before any frame header: no size at all
    expect(jpegFrameSize(bytes([0xff, 0xd8], app(10), [0xff, 0xda, 0, 2], new Array(20).fill(0)))).toBeNull();
  });
});

describe('looksComplete', () => {
  it('needs the IEND chunk at the end of a PNG', () => {
    expect(looksComplete('png', bytes(pngHead(1, 1), IEND))).toBe(true);
    expect(looksComplete('png', bytes(pngHead(1, 1), IEND, 'trailing'))).toBe(true);
    expect(looksComplete('png', pngHead(1, 1))).toBe(false);
    const fixture = path.join(ROOT, '.cache', 'fixtures', 'truncated.png');
    if (fs.existsSync(fixture)) expect(looksComplete('png', new Uint8Array(fs.readFileSync(fixture)))).toBe(false);
  });

  it('needs the EOI marker in a JPEG and the trailer in a GIF; other formats pass', () => {
    const real = new Uint8Array(jpegEncode({ width: 8, height: 8, data: new Uint8Array(256).fill(90) }, 80).data);
    expect(looksComplete('jpeg', real)).toBe(true);
    expect(looksComplete('jpeg', real.subarray(0, real.length - 2))).toBe(false);
    expect(looksComplete('gif', gif(1))).toBe(true);
    expect(looksComplete('gif', gif(1).subarray(0, 20))).toBe(false);
    expect(looksComplete('webp', bytes('x'))).toBe(true);
  });
});

describe('built-in examples', () => {
  it('each file exists, is a PNG the app can read, and has canonical reference LaTeX', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(5);
    expect(new Set(EXAMPLES.map((e) => e.id)).size).toBe(EXAMPLES.length);
    for (const e of EXAMPLES) {
      const file = path.join(ROOT, 'public', 'examples', e.file);
      const data = new Uint8Array(fs.readFileSync(file));
      const info = sniffImage(data);
      expect(info?.format, e.file).toBe('png');
      expect(looksComplete('png', data), e.file).toBe(true);
      expect(data.length, `${e.file} should stay small`).toBeLessThan(50_000);
      expect(normalizeLatex(e.latex), e.id).toBe(e.latex);
      expect(e.source.length).toBeGreaterThan(10);
    }
  });

  it('has printed and handwritten ones, and one preset of each kind', () => {
    expect(EXAMPLES.filter((e) => e.kind === 'printed').length).toBeGreaterThanOrEqual(3);
    expect(EXAMPLES.filter((e) => e.kind === 'handwritten').length).toBeGreaterThanOrEqual(2);
    expect(presetExample('printed').kind).toBe('printed');
    expect(presetExample('handwritten').kind).toBe('handwritten');
    expect(EXAMPLES.filter((e) => e.preset).length).toBe(2);
  });

  it('handwritten references match the CROHME 2014 ground truth', () => {
    const tsv = path.join(ROOT, '..', 'shared', 'data', 'crohme', 'groundtruth_2014.tsv');
    if (!fs.existsSync(tsv)) return; // the shared data is not everywhere; the files are committed
    const truth = new Map(
      fs
        .readFileSync(tsv, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t') as [string, string]),
    );
    for (const e of EXAMPLES.filter((x) => x.kind === 'handwritten')) {
      const id = /crohme-2014-(.+)\.png$/.exec(e.file)?.[1];
      expect(id && truth.has(id), e.file).toBe(true);
      expect(normalizeLatex(truth.get(id!)!)).toBe(e.latex);
    }
  });
});
