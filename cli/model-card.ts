/**
 * Writes models/<id>/README.md (the model card the app shows) from what the pipeline
 * recorded: config.json, training-command.txt, training-log.jsonl, eval/*.json, file sizes.
 *
 *   npx tsx cli/model-card.ts narrow augmented
 */
import fs from 'node:fs';
import path from 'node:path';
import { MODELS_DIR } from './common.ts';
import type { EvalResult } from './eval.ts';
import { onnxOpset } from './onnx-header.ts';

const DESCRIPTIONS: Record<string, { title: string; summary: string; data: string; augment: string }> = {
  narrow: {
    title: 'narrow — trained on clean black-on-white renders only',
    summary:
      'The "before" model of the shortcut-learning demo: it has only ever seen black formulas on white paper rendered by KaTeX. It reads training-style images well and falls apart when only the colours change (white on blue, dark mode), and on handwriting.',
    data: 'KaTeX renders (the renderer the app uses to show predictions) of a source-weighted sample of `../shared/data/formulas/train`: every arXiv (im2latex-170k targets) formula rendered twice, at most 30,000 of the 100k Stacks Project lines, all of the other sources (textbooks, documentation, CROHME captions), {CROPS} crops in all (the count training read); font sizes 14–30 px, display and inline styles. Formulas that also occur in the im2latex-100k test or val splits were removed (compared without whitespace).',
    augment: 'None: clean black-on-white only (on purpose).',
  },
  augmented: {
    title: 'augmented — trained with augmentation, other fonts and handwriting',
    summary:
      'The "after" model: narrow\'s architecture, its encoder later grown by two residual blocks, started from narrow\'s weights and trained on a mix that breaks the colour shortcut (a campaign that continues across sessions: `training/campaign.sh augmented`). It reads white-on-blue, dark-mode and coloured images as well as black-on-white ones, and it has seen handwriting.',
    data: 'A weighted mix per batch: 55% the KaTeX renders of narrow, 20% MathJax 4 SVG renders (New Computer Modern and STIX Two fonts: another renderer and a Times-like font) of a different draw of the same sources, 25% CROHME handwritten training images (`../shared/data/crohme/gt_split/train.tsv`, 7,067 images).',
    augment:
      '80% of printed samples and all handwritten ones are augmented (each independently): ink and paper grey levels (near black on white 30%, light ink on dark paper 35%, any pair with contrast ≥ 0.25 35%: covers colour changes, inversion, dark mode, since the model\'s first operation is the mean of R, G, B), gamma, uneven lighting, Gaussian noise (σ ≤ 0.1), blur (σ 0.3–1.3 px), rotation ±5°, scale jitter 0.5–1.6×, stroke thickening, JPEG quality 15–90.',
  },
};

const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const pc = (x: number) => `${Math.round(100 * x)}%`;

/** The run config train.py saved beside the checkpoint (training/configs/<id>.json as it ran), if the model came from one. */
interface RunConfig {
  mode: string;
  init?: string | null;
  init_from?: string;
  params?: number;
  batch: number;
  steps: number;
  group_sizes?: number[];
  mixture: { pack?: string; crohme?: string; source_prefix?: string; source_not_prefix?: string; weight: number }[];
  augment: Record<string, unknown> & { prob?: number; handwritten_prob?: number };
  optim: { lr: number; warmup: number; lr_floor: number; weight_decay: number; clip: number; cycles?: { start: number; steps: number; lr: number; warmup: number }[] };
  loss: { label_smoothing: number };
  labels?: { clean_handwriting?: boolean };
  precision: string;
  /** What the latest start or resume ran in, and on which CPU (train.py falls back to fp32 where the CPU has no bf16 instructions). */
  precision_used?: string;
  cpu?: string;
  model: { res_blocks?: number };
}

/** The precision asked for, and what the latest resume really ran in where that differs. */
export function precisionText(rc: Pick<RunConfig, 'precision' | 'precision_used' | 'cpu'>): string {
  const asked = rc.precision === 'bf16' ? 'bf16 autocast' : rc.precision;
  if (!rc.precision_used || rc.precision_used === rc.precision) return asked;
  return `${asked} where the CPU has bf16 instructions; the latest resume ran in ${rc.precision_used}${rc.cpu ? ` on an ${rc.cpu}` : ''}, which has none`;
}

function mixtureText(rc: RunConfig): string {
  const total = rc.mixture.reduce((a, m) => a + m.weight, 0);
  const names = rc.mixture.map((m, i) => {
    const n = rc.group_sizes?.[i];
    const what = m.crohme
      ? `CROHME handwritten ${m.crohme} images (\`../shared/data/crohme\`)`
      : m.pack === 'fonts'
        ? 'MathJax 4 SVG renders (New Computer Modern and STIX Two fonts) of another draw of the same sources'
        : m.pack === 'hand'
          ? 'KaTeX layouts with letters, digits and operators in 7 handwriting fonts from Debian packages, of short formulas from every source (CROHME captions twice), augmented as handwriting'
        : m.source_prefix === 'arxiv'
          ? 'KaTeX renders of the arXiv formulas (im2latex-170k targets, each rendered twice: the closest to the benchmark)'
          : m.source_not_prefix === 'arxiv'
            ? 'KaTeX renders of the other sources (textbooks, documentation, CROHME captions, at most 30,000 Stacks Project lines)'
            : `the \`${m.pack}\` renders`;
    return `${pc(m.weight / total)} ${what}${n ? ` (${n.toLocaleString('en')} images)` : ''}`;
  });
  const cleaned = rc.labels?.clean_handwriting
    ? ' The handwritten samples\' training targets are cleaned (`training/ocr/labels.py`): no redundant group braces and no `\\mathrm` around one letter, which CROHME\'s training ground truth has far more often than its test sets and no handwriting shows; evaluation sets are scored as published.'
    : '';
  return `A weighted mix per batch: ${names.join('; ')}. Formulas that also occur in the im2latex-100k test or val splits were removed (compared without whitespace).${cleaned}`;
}

/** What each validation set of the log is (train.py's val.sets), in the order first logged. */
const VAL_SETS: Record<string, string> = {
  clean: 'the 500-formula im2latex-100k val sample',
  white_on_blue: 'the same sample recoloured white on blue',
  crohme: 'CROHME validation images (other images of the training writers)',
  crohme_2013: 'the CROHME 2013 test images (writers never seen in training)',
};

function valSetsText(vals: { val: Record<string, { n?: number }> }[]): string {
  const keys = [...new Set(vals.flatMap((v) => Object.keys(v.val)))];
  const n = (k: string) => vals.find((v) => v.val[k])?.val[k].n;
  return `on ${keys.map((k) => `${k}: ${VAL_SETS[k] ?? k}${n(k) ? ` (the first ${n(k)})` : ''}`).join('; ')}`;
}

/** The model grew during the run, up to the shipped step (train.py: more residual blocks or decoder layers that start as the identity). */
function grownText(log: Record<string, any>[], step: number | undefined): string {
  return log
    .filter((e) => e.grown && step !== undefined && e.step <= step)
    .map((e) => {
      const g = e.grown;
      const what = Object.keys(g.to).filter((k) => g.to[k] !== g.from[k]).map((k) => `${k === 'res_blocks' ? 'encoder residual blocks' : 'decoder layers'} ${g.from[k]} → ${g.to[k]}`);
      return ` At step ${e.step} the model grew (${what.join(', ')}; ${g.params[0].toLocaleString('en')} → ${g.params[1].toLocaleString('en')} parameters): the new blocks start as the identity, so training went on from exactly the model it had (\`model.grow\` in \`training/ocr/model.py\`).`;
    })
    .join('');
}

/** The validation sets changed during the run: say so, with best.pt's score before and after (train.py rescored it). */
function rescoredText(log: Record<string, any>[]): string {
  return log
    .filter((e) => e.rescored_best)
    .map((e) => {
      const r = e.rescored_best;
      return ` At step ${e.step} the validation sets changed to ${Object.keys(r.val).join(', ')}: the best checkpoint then (step ${r.step}) was scored again, ${r.old_score.toFixed(3)} → ${r.score.toFixed(3)}, and later scores compare with that.`;
    })
    .join('');
}

function augmentText(rc: RunConfig): string {
  const a = rc.augment as Record<string, any>;
  if (!a.prob) return 'None: clean black-on-white only (on purpose).';
  const c = a.colour;
  return `${pc(a.prob)} of printed samples and ${pc(a.handwritten_prob ?? a.prob)} of handwritten ones are augmented (each change drawn independently; all ranges in \`training-config.json\`): ink and paper grey levels (near black on white ${pc(c.dark_on_light)}, light ink on dark paper ${pc(c.light_on_dark)}, any pair with contrast ≥ ${c.min_contrast} otherwise: covers colour changes, inversion, dark mode, since the model's first operation is the mean of R, G, B), gamma ${a.gamma.join('–')}, uneven lighting, Gaussian noise (σ ${a.noise.join('–')}), blur (σ ${a.blur.join('–')} px), rotation ±${a.rotate_deg}°, shear ±${a.shear} with 0.8–1.2× horizontal scale (${pc(a.affine_prob)} printed, ${pc(a.hand_affine_prob)} handwritten), scale jitter ${a.scale.join('–')}×, stroke thickening${a.elastic_prob ? `, an elastic warp of handwriting (${pc(a.elastic_prob)}: a mesh with cells of ${a.elastic_cell}× the ink's height, vertices moved by σ = ${a.elastic_sigma} cell)` : ''}, JPEG quality ${a.jpeg_quality.join('–')}.`;
}

function card(id: string): string {
  const dir = path.join(MODELS_DIR, id);
  const d = DESCRIPTIONS[id];
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const log = fs.existsSync(path.join(dir, 'training-log.jsonl'))
    ? fs.readFileSync(path.join(dir, 'training-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    : [];
  const command = fs.existsSync(path.join(dir, 'training-command.txt')) ? fs.readFileSync(path.join(dir, 'training-command.txt'), 'utf8').trim() : '';
  const rcPath = path.join(dir, 'training-config.json');
  const rc: RunConfig | null = fs.existsSync(rcPath) ? JSON.parse(fs.readFileSync(rcPath, 'utf8')) : null;
  const meta = command.split('\n').find((l) => l.startsWith('{'));
  const params = cfg.latex_ocr?.params ?? rc?.params ?? (meta ? JSON.parse(meta).params : undefined);
  const groups: [number, number][] = meta ? JSON.parse(meta).groups : [];
  const crops = groups.reduce((a, [n]) => a + n, 0).toLocaleString('en');
  const sizes = ['', '_quantized', '_fp16'].map((s) => {
    const files = ['encoder_model', 'decoder_model_merged'].map((b) => path.join(dir, 'onnx', `${b}${s}.onnx`));
    return { dtype: s === '' ? 'fp32' : s === '_quantized' ? 'q8' : 'fp16', bytes: files.reduce((a, f) => a + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0) };
  });
  const vals = log.filter((e) => e.val);
  const train = log.filter((e) => e.nll !== undefined);
  const best = vals.find((e) => e.best && e.step === cfg.latex_ocr?.step) ?? vals.filter((e) => e.best).at(-1);
  const curve = vals.map((v) => {
    const near = train.filter((t) => t.step <= v.step).at(-1);
    const sims = Object.entries(v.val as Record<string, { sim: number }>).map(([k, r]) => `${k} ${r.sim.toFixed(3)}`).join(', ');
    return `| ${v.step} | ${near ? near.nll.toFixed(3) : ''} | ${sims} | ${v.score.toFixed(3)}${v.step === best?.step ? ' ← chosen' : ''} |`;
  });
  const hours = (cfg.latex_ocr?.training_seconds ?? 0) / 3600;
  const samples = train.length ? train.at(-1).step * (rc?.batch ?? 32) : 0;
  const curvePng = fs.existsSync(path.join(dir, 'training-curve.png'));
  const evals = fs.existsSync(path.join(dir, 'eval')) ? fs.readdirSync(path.join(dir, 'eval')).filter((f) => f.endsWith('.json')) : [];
  const results = evals
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, 'eval', f), 'utf8')) as EvalResult)
    .sort((a, b) => a.dtype.localeCompare(b.dtype) || a.set.localeCompare(b.set) || (a.numBeams ?? 1) - (b.numBeams ?? 1))
    // results of wider beams (npm run eval -- --beams N) are named as such; the others are greedy
    .map((r) => `| ${r.set}${(r.numBeams ?? 1) > 1 ? ` (beam width ${r.numBeams})` : ''} | ${r.dtype} | ${r.n} | ${(100 * r.exact).toFixed(1)}% | ${r.ned.toFixed(3)} | ${r.bleu4.toFixed(3)} | ${(100 * r.renderEqual).toFixed(1)}% | ${r.medianMs} |`);
  return `# ${d.title}

${d.summary}

## Input it expects
**An image only — there is no instruction or prompt.** (For instruction-following OCR models the
instruction is part of the training distribution; this model has none.) The app and the CLI prepare
the image exactly as in training (\`src/image/prepare.ts\` = \`training/ocr/imageops.py\`): flatten
transparency onto white, grey level = mean of R, G, B, trim to the content (whatever differs from the
border colour), fit to 64 px high (width ≤ 1024 px), pad with the background. \`preprocessor_config.json\`
declares this under \`latex_ocr_prepare\`; plain transformers.js without the app only resizes to 64 px high.
Output: LaTeX in the canonical token form of im2latex-100k (tokens separated by spaces, e.g.
\`\\frac { a } { b }\`), greedy decoding by default (beam search of width 2–8 in the app and the CLIs: \`--beams\`), at most ${JSON.parse(fs.readFileSync(path.join(dir, 'generation_config.json'), 'utf8')).max_new_tokens} tokens.

## Architecture
- Encoder: 5 conv layers (3×3, BatchNorm, ReLU; channels ${cfg.encoder.channels.join('–')}–${cfg.encoder.hidden_size})${cfg.encoder.res_blocks ? ` with ${cfg.encoder.res_blocks} residual block${cfg.encoder.res_blocks > 1 ? 's' : ''} (two 3×3 conv layers and a skip) after the third, at H/8 × W/8,` : ''} to a 4 × W/8 grid, learned row and column embeddings, LayerNorm. The exported encoder also computes each decoder layer's cross-attention keys and values once per image: \`last_hidden_state\` carries them as [batch, 2 × layers × heads, cells, head size], each layer's keys then values by head, so a decode step takes them with one Split and moves no other data.
- Decoder: ${cfg.decoder.n_layer} pre-LN transformer layers, d = ${cfg.decoder.n_embd}, ${cfg.decoder.n_head} heads, FFN ${cfg.decoder.n_inner}, learned positions (${cfg.decoder.n_positions}), self-attention KV cache (\`past_key_values.*\` / \`present.*\`, gpt2 naming), vocabulary ${cfg.decoder.vocab_size} tokens.
- Parameters: ${params ? params.toLocaleString('en') : 'n/a'}. Layout: transformers.js \`VisionEncoderDecoderModel\` (\`onnx/encoder_model*.onnx\`, \`onnx/decoder_model_merged*.onnx\`), opset ${onnxOpset(path.join(dir, 'onnx', 'decoder_model_merged.onnx')) ?? 'n/a'}.

| dtype | files | total size |
|---|---|---|
${sizes.map((s) => `| ${s.dtype} | \`encoder_model${s.dtype === 'fp32' ? '' : s.dtype === 'q8' ? '_quantized' : '_fp16'}.onnx\`, \`decoder_model_merged${s.dtype === 'fp32' ? '' : s.dtype === 'q8' ? '_quantized' : '_fp16'}.onnx\` | ${mb(s.bytes)} |`).join('\n')}

q8: weights 8-bit per output channel; MatMuls run as MatMulInteger and convolutions as ConvInteger on dynamically quantised activations. fp16: weights and arithmetic in float16 with float32 inputs and outputs (for WebGPU adapters with \`shader-f16\`).

## Data
${rc ? mixtureText(rc) : d.data.replace('{CROPS}', crops)}

## Augmentation
${rc ? augmentText(rc) : d.augment}

## Training
${
  rc
    ? `- Compute: ${hours.toFixed(1)} h on 2 CPU cores (Debian torch 1.13, ${precisionText(rc)}) in this run, ${(samples / 1e6).toFixed(2)}M samples (batch ${rc.batch}), chosen checkpoint at step ${cfg.latex_ocr?.step ?? '?'}; it continued ${rc.init_from ?? rc.init ?? 'from scratch'}.
- AdamW (weight decay ${rc.optim.weight_decay}, clip ${rc.optim.clip}), label smoothing ${rc.loss.label_smoothing}; learning-rate schedule: ${(rc.optim.cycles ?? [{ start: 0, steps: rc.steps, lr: rc.optim.lr, warmup: rc.optim.warmup }]).map((k) => `steps ${k.start}–${k.steps}: warm-up ${k.warmup}, peak ${k.lr}, cosine to ${rc.optim.lr_floor}×`).join('; ')}. Every hyper-parameter: \`training-config.json\` (with the git commit it ran at).`
    : `- Budget: ${hours.toFixed(1)} h on 2 CPU cores (Debian torch 1.13)${id === 'augmented' ? `, on top of the ${(JSON.parse(fs.readFileSync(path.join(MODELS_DIR, 'narrow', 'config.json'), 'utf8')).latex_ocr?.training_seconds / 3600).toFixed(1)} h of narrow it starts from` : ''}, ${cfg.latex_ocr?.step ?? '?'} steps of batch 32 at the chosen checkpoint; AdamW, cosine schedule, label smoothing 0.1; curriculum on formula length (≤ 40 tokens, then ≤ 90, then all).`
}
- Exact command and data (also in \`training-command.txt\`):
\`\`\`
${command}
\`\`\`
- Curve (training NLL at the last log before each validation; validation token similarity = 1 − normalised edit distance, greedy, ${valSetsText(vals)}):

${curvePng ? '![Training curve: NLL and validation similarity](training-curve.png)\n\n' : ''}| step | train NLL | validation similarity | selection score |
|---|---|---|---|
${curve.join('\n')}

**Checkpoint chosen:** step ${best?.step ?? '?'}, the best selection score${id === 'augmented' ? ' (mean of the three validation similarities)' : ' (im2latex val)'} — not simply the last one. The full log is \`training-log.jsonl\`.${rescoredText(log)}${grownText(log, best?.step)}

## Results
Evaluated with \`npm run eval\` (onnxruntime-node, CPU). NED = normalised token edit distance (lower is better); render-eq. = KaTeX renders prediction and reference to identical MathML; on CROHME 2014, exact match is the expression rate.

| set | dtype | n | exact | NED | BLEU-4 | render-eq. | median ms |
|---|---|---|---|---|---|---|---|
${results.join('\n')}

## Limits
Single-line and simple multi-line formulas from a 64-px-high view: long formulas (over ~100 tokens) are squeezed to 1024 px and lose detail; matrices and aligned environments are rare in the training data. Trained on 2 CPU cores for a few hours: see \`models/README.md\` for the gap to the targets and what would close it.
`;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  for (const id of process.argv.slice(2)) {
    fs.writeFileSync(path.join(MODELS_DIR, id, 'README.md'), card(id));
    console.log(`wrote models/${id}/README.md`);
  }
}
