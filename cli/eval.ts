/**
 * Accuracy of a model on an evaluation set, with the app's own loading code.
 *
 *   npm run eval -- --model <id|folder> --set <name> [--dtype fp32|q8|fp16] [--limit N] [--save]
 *   npm run eval -- --all [--limit N]          all built-in models x sets x dtypes; rewrites the
 *                                               results table in models/README.md
 *
 * Metrics (over canonical tokens, src/latex/tokens.ts): exact match, normalised token edit
 * distance (mean), token similarity (1 - NED), corpus BLEU-4, and render equality (KaTeX
 * renders prediction and reference to identical MathML). --save writes
 * models/<id>/eval/<set>.<dtype>.json (the table is built from these files).
 */
import fs from 'node:fs';
import path from 'node:path';
import { openModel, parseArgs, tjs, MODELS_DIR, resolveModel } from './common.ts';
import { EVAL_SETS, evalSet } from './eval-data.ts';
import { recognize } from '../src/model/engine.ts';
import { normalizeTokens } from '../src/latex/tokens.ts';
import { bleu4, normalizedEditDistance } from '../src/metrics/tokens.ts';
import { renderMathml } from '../src/render/katex.ts';
import type { Dtype } from '../src/worker-api/ocr.ts';

export interface EvalResult {
  model: string;
  set: string;
  dtype: Dtype;
  n: number;
  exact: number;
  ned: number;
  similarity: number;
  bleu4: number;
  renderEqual: number;
  medianMs: number;
  date: string;
  samples?: { id: string; reference: string; prediction: string; ned: number }[];
}

/** MathML without KaTeX's <annotation> (which repeats the source text). */
function mathml(latex: string): string | null {
  const m = renderMathml(latex);
  return m ? m.replace(/<annotation[^>]*>[\s\S]*?<\/annotation>/g, '') : null;
}

export async function evaluate(modelId: string, setName: string, dtype: Dtype, limit = Infinity, log = true): Promise<EvalResult> {
  const model = await openModel(modelId, 'cpu', dtype);
  const items = (await evalSet(setName).items()).slice(0, limit);
  const preds: string[][] = [];
  const refs: string[][] = [];
  const samples: NonNullable<EvalResult['samples']> = [];
  let exact = 0;
  let renderEqual = 0;
  let nedSum = 0;
  const ms: number[] = [];
  const t0 = Date.now();
  for (const [i, item] of items.entries()) {
    const p = await recognize(tjs, model, await item.load());
    ms.push(p.ms);
    const pt = normalizeTokens(p.latex);
    const rt = normalizeTokens(item.reference);
    const ned = normalizedEditDistance(pt, rt);
    preds.push(pt);
    refs.push(rt);
    nedSum += ned;
    if (pt.join(' ') === rt.join(' ')) exact++;
    const a = mathml(pt.join(' '));
    if (a !== null && a === mathml(rt.join(' '))) renderEqual++;
    samples.push({ id: item.id, reference: rt.join(' '), prediction: pt.join(' '), ned: Math.round(ned * 1000) / 1000 });
    if (log && (i + 1) % 100 === 0) process.stderr.write(`  ${setName} ${dtype}: ${i + 1}/${items.length} (${((Date.now() - t0) / (i + 1)).toFixed(0)} ms/image)\n`);
  }
  await model.pipe.dispose?.();
  ms.sort((a, b) => a - b);
  const n = items.length;
  const r4 = (x: number) => Math.round(x * 10000) / 10000;
  return {
    model: path.basename(resolveModel(modelId)),
    set: setName,
    dtype,
    n,
    exact: r4(exact / n),
    ned: r4(nedSum / n),
    similarity: r4(1 - nedSum / n),
    bleu4: r4(bleu4(preds, refs)),
    renderEqual: r4(renderEqual / n),
    medianMs: Math.round(ms[Math.floor(n / 2)] * 10) / 10,
    date: new Date().toISOString().slice(0, 10),
    samples,
  };
}

function save(r: EvalResult) {
  const dir = path.join(MODELS_DIR, r.model, 'eval');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${r.set}.${r.dtype}.json`), JSON.stringify(r, null, 1) + '\n');
}

const TABLE_SETS = ['im2latex-clean', 'im2latex-white-on-blue', 'im2latex-dark', 'im2latex-tinted', 'crohme-2014'];
const TABLE_DTYPES: Dtype[] = ['fp32', 'q8', 'fp16'];

/** The markdown results table, from models/<id>/eval/*.json. */
export function resultsTable(): string {
  const rows: string[] = [
    '| model | dtype | set | n | exact | NED ↓ | token sim. | BLEU-4 | render-eq. | retained sim. | median ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const model of ['narrow', 'augmented']) {
    for (const dtype of TABLE_DTYPES) {
      const clean = readResult(model, 'im2latex-clean', dtype);
      for (const set of TABLE_SETS) {
        const r = readResult(model, set, dtype);
        if (!r) continue;
        const kept = clean && set.startsWith('im2latex-') && set !== 'im2latex-clean' ? `${((100 * r.similarity) / clean.similarity).toFixed(0)}%` : '';
        rows.push(
          `| ${model} | ${dtype} | ${set} | ${r.n} | ${(100 * r.exact).toFixed(1)}% | ${r.ned.toFixed(3)} | ${r.similarity.toFixed(3)} | ${r.bleu4.toFixed(3)} | ${(100 * r.renderEqual).toFixed(1)}% | ${kept} | ${r.medianMs} |`,
        );
      }
    }
  }
  return rows.join('\n');
}

function readResult(model: string, set: string, dtype: Dtype): EvalResult | null {
  const f = path.join(MODELS_DIR, model, 'eval', `${set}.${dtype}.json`);
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as EvalResult) : null;
}

/** Replace the block between the markers in models/README.md. */
export function writeTable(): void {
  const readme = path.join(MODELS_DIR, 'README.md');
  const begin = '<!-- results:begin -->';
  const end = '<!-- results:end -->';
  const text = fs.existsSync(readme) ? fs.readFileSync(readme, 'utf8') : `# Built-in models\n\n${begin}\n${end}\n`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < 0) throw new Error(`${readme} lacks the ${begin} / ${end} markers`);
  const table = `${begin}\n_Regenerate with \`npm run eval -- --all\` (CPU, onnxruntime-node; ${new Date().toISOString().slice(0, 10)})._\n\n${resultsTable()}\n${end}`;
  fs.writeFileSync(readme, text.slice(0, i) + table + text.slice(j + end.length));
}

async function main() {
  const { flags } = parseArgs(process.argv.slice(2));
  const limit = flags.limit ? Number(flags.limit) : Infinity;
  if (flags.all) {
    for (const model of ['narrow', 'augmented']) {
      for (const dtype of TABLE_DTYPES) {
        // fp16 is for WebGPU; on the CPU it is checked on the clean set only (slow there)
        for (const set of dtype === 'fp16' ? ['im2latex-clean'] : TABLE_SETS) {
          const r = await evaluate(model, set, dtype, limit);
          save(r);
          const { samples: _s, ...summary } = r;
          console.log(JSON.stringify(summary));
        }
      }
    }
    writeTable();
    console.log(resultsTable());
    return;
  }
  if (flags.table) {
    writeTable();
    console.log(resultsTable());
    return;
  }
  if (!flags.model || !flags.set) {
    console.error(`usage: npm run eval -- --model <id|folder> --set <${EVAL_SETS.map((s) => s.name).join('|')}> [--dtype fp32|q8|fp16] [--limit N] [--save]\n       npm run eval -- --all [--limit N]\n       npm run eval -- --table`);
    process.exit(2);
  }
  const r = await evaluate(String(flags.model), String(flags.set), (flags.dtype as Dtype) ?? 'fp32', limit);
  if (flags.save) save(r);
  const { samples: _s, ...summary } = r;
  console.log(JSON.stringify(summary, null, 1));
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  });
}
