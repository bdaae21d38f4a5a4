/**
 * Formula preparation, deterministic from a seed.
 *
 *   npx tsx training/data/prepare.ts [--seed 1]
 *
 * Reads ../shared/data/formulas/{train,eval}, normalises every formula to the
 * canonical token form (src/latex/tokens.ts), keeps only what KaTeX parses,
 * filters prose, removes anything that occurs in the eval splits, and writes:
 *   .cache/formulas/train.jsonl        {"source","latex","n"} per line (all usable training formulas)
 *   .cache/formulas/im2latex-test-1000.txt   the fixed 1,000-formula benchmark sample
 *   .cache/formulas/im2latex-val-500.txt     the model-selection sample
 *   .cache/formulas/stats.json         counts per source and per filter
 */
import fs from 'node:fs';
import path from 'node:path';
import { katexParses } from './katex-check.ts';
import { normalizeTokens, dedupKey } from '../../src/latex/tokens.ts';
import { mulberry32, shuffle } from '../../src/util/random.ts';
import { SHARED_DATA, CACHE_DIR } from './paths.ts';

const seed = Number(process.argv[process.argv.indexOf('--seed') + 1] || 1) || 1;
const MAX_TOKENS = 150;
const outDir = path.join(CACHE_DIR, 'formulas');
fs.mkdirSync(outDir, { recursive: true });

const readLines = (p: string) => fs.readFileSync(p, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);


/** Lines from documentation sources that are words, not math. */
function looksLikeProse(raw: string): boolean {
  const outsideText = raw.replace(/\\(text|mathrm|textrm|mbox|operatorname|mathit|textit|textbf)\s*\{[^{}]*\}/g, ' ');
  const noCommands = outsideText.replace(/\\[a-zA-Z]+/g, ' ');
  if (/[a-zA-Z]{4,}/.test(noCommands)) return true; // a plain word of 4+ letters in math mode
  if (/(?:\b[a-zA-Z] ){3,}[a-zA-Z]\b/.test(noCommands)) return true; // w o r d spelt letter by letter
  return false;
}

const evalDir = path.join(SHARED_DATA, 'formulas', 'eval');
const testLines = readLines(path.join(evalDir, 'im2latex100k-test.txt'));
const valLines = readLines(path.join(evalDir, 'im2latex100k-val.txt'));
const evalKeys = new Set<string>();
for (const l of [...testLines, ...valLines]) {
  evalKeys.add(dedupKey(l));
  evalKeys.add(l.replace(/\s+/g, ''));
}

const stats: Record<string, Record<string, number>> = {};
const bump = (src: string, k: string) => ((stats[src] ??= {})[k] = (stats[src][k] ?? 0) + 1);
const seen = new Set<string>();
const out: string[] = [];
const trainDir = path.join(SHARED_DATA, 'formulas', 'train');
// space-tokenised sources spell \operatorname { e x p } letter by letter on purpose
const TOKENISED = new Set(['arxiv-im2latex170k-targets', 'crohme2014-train-captions']);
for (const file of fs.readdirSync(trainDir).sort()) {
  const source = file.replace(/\.(display|inline)\.txt$|\.txt$/, '');
  for (const raw of readLines(path.join(trainDir, file))) {
    bump(source, 'read');
    if (!TOKENISED.has(source) && looksLikeProse(raw)) { bump(source, 'prose'); continue; }
    const toks = normalizeTokens(raw);
    if (toks.length === 0 || toks.length > MAX_TOKENS) { bump(source, 'length'); continue; }
    const latex = toks.join(' ');
    const key = toks.join('');
    if (evalKeys.has(key) || evalKeys.has(raw.replace(/\s+/g, ''))) { bump(source, 'in_eval'); continue; }
    if (seen.has(key)) { bump(source, 'duplicate'); continue; }
    if (!katexParses(latex)) { bump(source, 'katex_error'); continue; }
    seen.add(key);
    bump(source, 'kept');
    out.push(JSON.stringify({ source, display: file.includes('.display.'), latex, n: toks.length }));
  }
}
fs.writeFileSync(path.join(outDir, 'train.jsonl'), out.join('\n') + '\n');

/** A fixed sample of an eval split: KaTeX-parseable formulas, normalised, seeded order. */
function sample(lines: string[], n: number, s: number): string[] {
  const ok = lines.map((l) => normalizeTokens(l).join(' ')).filter((l) => l && katexParses(l));
  return shuffle(ok, mulberry32(s)).slice(0, n);
}
const test = sample(testLines, 1000, seed);
const val = sample(valLines, 500, seed + 1);
fs.writeFileSync(path.join(outDir, 'im2latex-test-1000.txt'), test.join('\n') + '\n');
fs.writeFileSync(path.join(outDir, 'im2latex-val-500.txt'), val.join('\n') + '\n');
fs.writeFileSync(path.join(outDir, 'stats.json'), JSON.stringify({ seed, maxTokens: MAX_TOKENS, sources: stats }, null, 1));
console.log(JSON.stringify(stats, null, 0));
console.log(`train formulas: ${out.length}; test sample ${test.length}; val sample ${val.length}`);
