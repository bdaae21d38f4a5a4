/**
 * Evaluation sets: what they are, and how their images are produced (rendered on demand,
 * cached under .cache/; the formula samples are deterministic, see training/data/prepare.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import type { Raster } from '../src/image/raster.ts';
import { recolour } from '../src/perturb/ops.ts';
import { COLOUR_PRESETS } from '../src/perturb/types.ts';
import { ROOT } from './common.ts';

const CACHE = process.env.CACHE_DIR ?? path.join(ROOT, '.cache');
const SHARED = process.env.SHARED_DATA ?? path.resolve(ROOT, '../shared/data');

export interface EvalItem {
  id: string;
  reference: string;
  load: () => Promise<Raster>;
}

export interface EvalSet {
  name: string;
  description: string;
  items: () => Promise<EvalItem[]>;
}

function greyToRgba(g: Uint8Array, w: number, h: number): Raster {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    data[i * 4] = data[i * 4 + 1] = data[i * 4 + 2] = g[i];
    data[i * 4 + 3] = 255;
  }
  return { width: w, height: h, data };
}

/** Make sure a rendered pack exists (renders it with Chromium when missing). */
function ensurePack(set: 'test-1000' | 'val-500'): string {
  const dir = path.join(CACHE, 'renders', set);
  if (!fs.existsSync(path.join(dir, 'index.jsonl'))) {
    const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
    if (!fs.existsSync(path.join(CACHE, 'formulas', 'im2latex-test-1000.txt'))) {
      execFileSync(tsx, [path.join(ROOT, 'training/data/prepare.ts')], { stdio: 'inherit' });
    }
    execFileSync(tsx, [path.join(ROOT, 'training/data/build-sets.ts'), set], { stdio: 'inherit' });
  }
  return dir;
}

function packItems(set: 'test-1000' | 'val-500', colours?: { ink: string; paper: string }): EvalItem[] {
  const dir = ensurePack(set);
  const bin = fs.readFileSync(path.join(dir, 'images.bin'));
  return fs
    .readFileSync(path.join(dir, 'index.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; latex: string; w: number; h: number; offset: number })
    .map((r) => ({
      id: r.id,
      reference: r.latex,
      load: async () => {
        const img = greyToRgba(bin.subarray(r.offset, r.offset + r.w * r.h), r.w, r.h);
        return colours ? recolour(img, colours.ink, colours.paper) : img;
      },
    }));
}

function crohmeItems(year: '2013' | '2014' | '2016'): EvalItem[] {
  const tsv = path.join(CACHE, 'formulas', `crohme-${year}.tsv`);
  if (!fs.existsSync(tsv)) execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'training/data/crohme.ts')], { stdio: 'inherit' });
  return fs
    .readFileSync(tsv, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .map(([img, latex]) => ({
      id: path.basename(img, '.png'),
      reference: latex,
      load: async () => {
        const { data, info } = await sharp(path.join(SHARED, img)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
        return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
      },
    }));
}

/** The colour shifts of the benchmark: the app's named presets (src/perturb/colour-presets.json), by eval set name. */
export const COLOUR_SHIFTS: Readonly<Record<string, { ink: string; paper: string }>> = Object.fromEntries(COLOUR_PRESETS.map((p) => [p.evalSet, { ink: p.ink, paper: p.paper }]));

export const EVAL_SETS: EvalSet[] = [
  { name: 'im2latex-clean', description: 'im2latex-100k test, fixed 1,000-formula sample, KaTeX render, black on white', items: async () => packItems('test-1000') },
  ...Object.entries(COLOUR_SHIFTS).map(([k, c]) => ({
    name: `im2latex-${k}`,
    description: `the same 1,000 formulas recoloured: ink ${c.ink} on paper ${c.paper}`,
    items: async () => packItems('test-1000', c),
  })),
  { name: 'crohme-2014', description: 'CROHME 2014 test set (986 handwritten expressions); exact match = expression rate', items: async () => crohmeItems('2014') },
  { name: 'im2latex-val', description: 'im2latex-100k val, 500-formula sample (model selection; not a benchmark)', items: async () => packItems('val-500') },
];

export function evalSet(name: string): EvalSet {
  const s = EVAL_SETS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown set "${name}" (${EVAL_SETS.map((x) => x.name).join(', ')})`);
  return s;
}
