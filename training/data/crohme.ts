/**
 * CROHME ground truth in the canonical token form.
 *
 *   npx tsx training/data/crohme.ts
 *
 * Writes .cache/formulas/crohme-<split>.tsv (image path relative to the shared
 * data folder, TAB, normalised LaTeX) for: train and validation (the shared
 * gt_split of the training images), and the 2013, 2014 and 2016 test sets.
 * Rows KaTeX cannot parse are dropped from train/validation and kept (and
 * counted) in the test sets: a test set is scored as published.
 */
import fs from 'node:fs';
import path from 'node:path';
import { normalizeLatex } from '../../src/latex/tokens.ts';
import { katexParses } from './katex-check.ts';
import { SHARED_DATA, CACHE_DIR } from './paths.ts';

const crohme = path.join(SHARED_DATA, 'crohme');
const splits: [string, string, string][] = [
  ['train', 'gt_split/train.tsv', 'train'],
  ['validation', 'gt_split/validation.tsv', 'train'],
  ['2013', 'groundtruth_2013.tsv', 'test/2013'],
  ['2014', 'groundtruth_2014.tsv', 'test/2014'],
  ['2016', 'groundtruth_2016.tsv', 'test/2016'],
];
const outDir = path.join(CACHE_DIR, 'formulas');
fs.mkdirSync(outDir, { recursive: true });
for (const [name, file, dir] of splits) {
  const rows: string[] = [];
  let dropped = 0;
  for (const line of fs.readFileSync(path.join(crohme, file), 'utf8').split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const img = path.join('crohme', dir, line.slice(0, tab).trim() + '.png');
    const latex = normalizeLatex(line.slice(tab + 1));
    const isTest = !['train', 'validation'].includes(name);
    if (!latex || (!isTest && !katexParses(latex))) { dropped++; continue; }
    if (!fs.existsSync(path.join(SHARED_DATA, img))) { dropped++; continue; }
    rows.push(`${img}\t${latex}`);
  }
  fs.writeFileSync(path.join(outDir, `crohme-${name}.tsv`), rows.join('\n') + '\n');
  console.log(`crohme-${name}: ${rows.length} rows, ${dropped} dropped`);
}
