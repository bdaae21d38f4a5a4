/**
 * Render the training and evaluation sets (deterministic from a seed).
 *
 *   npx tsx training/data/build-sets.ts <set> [--seed 1] [--limit N]
 *
 * Sets (each written as a pack under .cache/renders/<set>/):
 *   printed      KaTeX renders of a source-weighted sample, black on white (the narrow model's data)
 *   fonts        MathJax renders (New Computer Modern and STIX Two) of another sample (augmented adds these)
 *   fonts-stix2  MathJax renders with STIX Two only, a third sample
 *   hand         KaTeX layouts in handwriting fonts (HAND_FONTS) of short formulas: CROHME's
 *                training captions twice, ~1,000 of each other source; kind "handwritten", so
 *                training gives them the handwriting augmentation (elastic, pen width, slant)
 *   val-500      the im2latex val sample, KaTeX, fixed style (model selection)
 *   test-1000    the im2latex test sample, KaTeX, fixed style (benchmark)
 *   smoke        a few hundred short formulas (CI smoke test)
 * Run prepare.ts first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mulberry32, shuffle } from '../../src/util/random.ts';
import { HAND_FONTS, renderToPack, type RenderJob, type Renderer } from '../render/render.ts';
import { CACHE_DIR } from './paths.ts';

interface Formula { source: string; display: boolean; latex: string; n: number }

/** How many formulas to draw from each source, and how many renders of each.
 * The raw mix is 65% stacks-project inline algebra: we cap it and favour the
 * arXiv formulas, which look most like the benchmark (im2latex-100k). */
export const PRINTED_MIX: Record<string, { take: number; renders: number }> = {
  'arxiv-im2latex170k-targets': { take: Infinity, renders: 2 },
  'crohme2014-train-captions': { take: Infinity, renders: 1 },
  'stacks-project': { take: 30000, renders: 1 },
  'lebl-real-analysis': { take: Infinity, renders: 1 },
  'lebl-diffyqs': { take: Infinity, renders: 1 },
  'apex-calculus': { take: Infinity, renders: 1 },
  'openlogic': { take: Infinity, renders: 1 },
  'hott-book': { take: Infinity, renders: 1 },
  'pari-doc': { take: Infinity, renders: 1 },
  'lyx': { take: Infinity, renders: 1 },
  'texlive-fonts-extra-doc': { take: Infinity, renders: 1 },
  'texlive-latex-extra-doc': { take: Infinity, renders: 1 },
  'texlive-latex-recommended-doc': { take: Infinity, renders: 1 },
  'texlive-publishers-doc': { take: Infinity, renders: 1 },
  'texlive-science-doc': { take: Infinity, renders: 1 },
};

/** The fixed style of the benchmark renders. */
export const EVAL_STYLE = { renderer: 'katex' as Renderer, display: true, fontPx: 22 };

function args() {
  const a = process.argv.slice(2);
  const get = (k: string, d: string) => (a.includes(k) ? a[a.indexOf(k) + 1] : d);
  return { set: a[0], seed: Number(get('--seed', '1')), limit: Number(get('--limit', '0')) || Infinity };
}

function readFormulas(): Formula[] {
  const p = path.join(CACHE_DIR, 'formulas', 'train.jsonl');
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: run training/data/prepare.ts first`);
  return fs.readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

function printedJobs(formulas: Formula[], seed: number, renderers: Renderer[], mix: typeof PRINTED_MIX, offset = 0): RenderJob[] {
  const rand = mulberry32(seed);
  const bySource = new Map<string, Formula[]>();
  for (const f of formulas) (bySource.get(f.source) ?? bySource.set(f.source, []).get(f.source)!).push(f);
  const jobs: RenderJob[] = [];
  for (const [source, { take, renders }] of Object.entries(mix)) {
    const pool = shuffle([...(bySource.get(source) ?? [])], rand);
    const start = Math.min(offset, Math.max(0, pool.length - 1));
    for (const f of pool.slice(start, start + take)) {
      for (let r = 0; r < renders; r++) {
        jobs.push({
          id: `${source}-${jobs.length}`,
          latex: f.latex,
          source,
          renderer: renderers[Math.floor(rand() * renderers.length)],
          display: f.display || f.source.startsWith('arxiv') ? rand() < 0.75 : rand() < 0.25,
          fontPx: 14 + Math.floor(rand() * 17), // 14..30 px
        });
      }
    }
  }
  return shuffle(jobs, rand);
}

function evalJobs(file: string, prefix: string): RenderJob[] {
  const lines = fs.readFileSync(path.join(CACHE_DIR, 'formulas', file), 'utf8').trim().split('\n');
  return lines.map((latex, i) => ({ id: `${prefix}-${i}`, latex, source: 'im2latex-100k', ...EVAL_STYLE }));
}

async function main() {
  const { set, seed, limit } = args();
  const formulas = set === 'val-500' || set === 'test-1000' ? [] : readFormulas();
  let jobs: RenderJob[];
  switch (set) {
    case 'printed':
      jobs = printedJobs(formulas, seed, ['katex'], PRINTED_MIX);
      break;
    case 'fonts': {
      // a different draw of the same sources (seed + 100), at most 2,500 per source (~20k renders:
      // MathJax renders at ~40-100/s here, against ~160/s for KaTeX)
      const mix = Object.fromEntries(Object.entries(PRINTED_MIX).map(([k, v]) => [k, { take: Math.min(v.take, 2500), renders: 1 }]));
      jobs = printedJobs(formulas, seed + 100, ['mathjax-newcm', 'mathjax-stix2'], mix);
      break;
    }
    case 'fonts-stix2': {
      // STIX Two only, a third draw (~5k renders): added when 'fonts' was cut short
      const mix = Object.fromEntries(Object.entries(PRINTED_MIX).map(([k, v]) => [k, { take: Math.min(v.take, 450), renders: 1 }]));
      jobs = printedJobs(formulas, seed + 200, ['mathjax-stix2'], mix);
      break;
    }
    case 'hand': {
      // short formulas (<= 50 tokens: handwritten expressions are short), a fourth draw (seed + 300)
      const mix = Object.fromEntries(Object.entries(PRINTED_MIX).map(([k, v]) =>
        [k, k.startsWith('crohme') ? { take: v.take, renders: 2 } : { take: Math.min(v.take, 1000), renders: 1 }]));
      const rand = mulberry32(seed + 301);
      jobs = printedJobs(formulas.filter((f) => f.n <= 50), seed + 300, ['katex-hand'], mix).map((j) => ({
        ...j,
        font: HAND_FONTS[Math.floor(rand() * HAND_FONTS.length)],
        kind: 'handwritten',
        display: rand() < 0.7,
        fontPx: 18 + Math.floor(rand() * 19), // 18..36 px
      }));
      break;
    }
    case 'val-500':
      jobs = evalJobs('im2latex-val-500.txt', 'val');
      break;
    case 'test-1000':
      jobs = evalJobs('im2latex-test-1000.txt', 'test');
      break;
    case 'smoke':
      jobs = printedJobs(formulas.filter((f) => f.n <= 12), seed, ['katex'], Object.fromEntries(Object.keys(PRINTED_MIX).map((k) => [k, { take: 40, renders: 1 }])));
      break;
    default:
      throw new Error(`unknown set "${set}" (printed, fonts, fonts-stix2, hand, val-500, test-1000, smoke)`);
  }
  jobs = jobs.slice(0, limit);
  const dir = path.join(CACHE_DIR, 'renders', set);
  const t0 = Date.now();
  const n = await renderToPack(jobs, dir, { log: true });
  const s = (Date.now() - t0) / 1000;
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ set, seed, jobs: jobs.length, crops: n, seconds: s }, null, 1));
  console.log(`${set}: ${n}/${jobs.length} crops in ${s.toFixed(0)} s (${(n / s).toFixed(0)}/s) -> ${dir}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
