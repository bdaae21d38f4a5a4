/**
 * The command-line tools' arguments (cli/common.ts cliArgs and its flag checks): a wrong
 * command line exits 2 with why, before any model is loaded (so these runs are quick), and
 * the invocations the README and training/ship.sh use still parse. And the CLIs scale
 * images down as the app does (src/image/decode.ts).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import sharp from 'sharp';
import { ROOT, readImage } from '../../cli/common.ts';
import { MAX_PIXELS, targetSize } from '../../src/image/decode.ts';

const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(script: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(TSX, [path.join('cli', script), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

let tmp: string;
let empty: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'latex-ocr-cli-'));
  empty = path.join(tmp, 'no-images');
  fs.mkdirSync(empty);
  fs.writeFileSync(path.join(empty, 'notes.txt'), 'not an image');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** [CLI, arguments, what stderr must say]: each exits 2 with no output on stdout. */
const BAD: [string, string[], RegExp][] = [
  ['eval.ts', ['--model', 'augmented', '--set', 'im2latex-clean', '--limit', 'abc'], /--limit must be a whole number of at least 1 \(got "abc"\)/],
  // the flags training/ship.sh passes are accepted: the complaint is about --limit alone
  ['eval.ts', ['--all', '--force', '--only', 'augmented', '--limit', '2.5'], /^--limit must be a whole number/],
  ['eval.ts', ['--all', '--only', 'wide'], /--only: "wide" is not a built-in model/],
  ['eval.ts', ['--model', 'augmented', '--set', 'im2latex-clena'], /unknown set "im2latex-clena"/],
  ['eval.ts', ['--model', 'augmented', '--set', 'im2latex-clean', '--lmit', '3'], /Unknown option '--lmit'/],
  ['eval.ts', ['--model', 'augmented', '--set', 'im2latex-clean', '--dtype', 'int4'], /--dtype: "int4" is not a dtype \(fp32, q8, fp16\)/],
  ['predict.ts', ['--model', 'augmented', '--device', 'gpu', 'x.png'], /--device: "gpu" is not a device here \(cpu, webgpu\)/],
  ['predict.ts', ['--model', 'augmented'], /no image or folder given/],
  ['predict.ts', ['x.png'], /--model is required/],
  ['predict.ts', ['--model', 'no-such-model', 'x.png'], /no model "no-such-model"/],
  ['predict.ts', ['--model', 'augmented', '--dtype'], /Option '--dtype <value>' argument missing/],
  ['stress.ts', ['--model', 'augmented', '--vary', 'colour', '--steps', '0', 'x.png'], /--steps must be a whole number from 1 to/],
  // a negative --from is a value, not an option: the complaint is about --to
  ['stress.ts', ['--model', 'augmented', '--vary', 'rotate', '--from', '-10', '--to', 'ten', 'x.png'], /^--to must be a number \(got "ten"\)/],
  ['bench.ts', ['--runs', 'three'], /--runs must be a whole number of at least 1 \(got "three"\)/],
];

describe('a wrong command line exits 2 with why, before loading a model', () => {
  let runs: Run[];
  beforeAll(async () => {
    // all at once: each run's time is mostly importing transformers.js
    runs = await Promise.all(BAD.map(([script, args]) => cli(script, args)));
  }, 180_000);

  BAD.forEach(([script, args, why], i) => {
    it(`${script} ${args.join(' ')}`, () => {
      expect(runs[i].stderr).toMatch(why);
      expect(runs[i].stderr).toMatch(/usage: npm run /);
      expect(runs[i].code).toBe(2);
      expect(runs[i].stdout).toBe('');
    });
  });

  it('predict: a folder without images is an error, not a silent success', async () => {
    const r = await cli('predict.ts', ['--model', 'augmented', empty]);
    expect(r.stderr).toContain(`${empty}: the folder has no images`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('images are scaled down as the app scales them', () => {
  it('a 12-megapixel image is read at most 4 megapixels, same aspect (src/image/decode.ts targetSize)', async () => {
    const file = path.join(tmp, 'large.png');
    await sharp({ create: { width: 4800, height: 2500, channels: 3, background: '#ffffff' } }).png().toFile(file);
    const img = await readImage(file);
    expect([img.width, img.height]).toEqual(targetSize(4800, 2500));
    expect(img.width * img.height).toBeLessThanOrEqual(MAX_PIXELS);
    expect(img.data.length).toBe(img.width * img.height * 4);
  });

  it('a small image is read at its own size, turned upright by its EXIF orientation like the browser does', async () => {
    const file = path.join(tmp, 'rotated.jpg');
    await sharp({ create: { width: 30, height: 10, channels: 3, background: '#ffffff' } }).jpeg().withMetadata({ orientation: 6 }).toFile(file);
    const img = await readImage(file);
    expect([img.width, img.height]).toEqual([10, 30]);
  });
});
