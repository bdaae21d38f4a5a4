/**
 * npm run stress -- --model <id|folder> [--model <id2>] --vary <variable> [--from <a>] [--to <b>] [--steps <n>]
 *                   [--reference <latex>] [--device cpu|webgpu] [--dtype fp32|q8|fp16] [--beams N] [--maps] <image>
 *
 * One-variable stress test in Node: the image is perturbed at each step (the app's
 * own perturbation code) and recognised by each model. Prints CSV on stdout:
 *
 *   step,value,model,latex,edit_distance,mean_confidence,ms
 *
 * edit_distance is the normalised token edit distance to --reference, or, without
 * one, to that model's step-0 prediction. Rows are printed as they are computed.
 * `--vary invert` blends from the image to its inverse. Variables: see
 * src/perturb/variables.ts (stroke width needs a drawing, so not here). --beams N decodes
 * with beam width N (src/model/beam.ts) instead of greedily. --maps adds an ink_share column:
 * the share of the step's attention on ink ("Where it looks", src/explain/maps.ts), empty for a
 * model without attention (the reason goes to stderr once).
 *
 * A vision-language model (src/model/vlm.ts; its folder's config.json says so) is prompted with
 * --instruction (default: its own, see npm run predict), and the CSV gets two more columns, raw
 * (the answer as generated, from which latex was extracted) and instruction.
 */
import { beamsFlag, cliArgs, deviceFlag, dtypeFlag, intFlag, isVlmModel, numberFlag, openModel, openPredictor, readImage, resolveModel, tjs, usageError, type Predictor } from './common.ts';
import { checkInstruction } from '../src/model/vlm.ts';
import { recognize, type EngineModel } from '../src/model/engine.ts';
import { applyPerturbations } from '../src/perturb/ops.ts';
import { SWEEP_VARIABLES, sweepVariable } from '../src/perturb/variables.ts';
import { runSweep, type SweepModel } from '../src/research/sweep.ts';
import { CSV_HEADER, csvField, csvRow } from '../src/research/export.ts';
import { attentionRows, explainPrediction } from '../src/model/explain.ts';
import { NO_ATTENTION_REASON, stepMapOf, type StepMap } from '../src/explain/maps.ts';
import { MAX_SWEEP_STEPS } from '../src/research/config.ts';
import { MAX_BEAMS, MIN_BEAMS } from '../src/model/beam.ts';

const USAGE = `usage: npm run stress -- --model <id|folder> [--model <id2>] --vary <variable> [--from <a>] [--to <b>] [--steps <n>] [--reference <latex>] [--device cpu|webgpu] [--dtype fp32|q8|fp16] [--beams ${MIN_BEAMS}-${MAX_BEAMS}] [--maps] [--instruction "…" (vision-language models)] <image>
variables: ${SWEEP_VARIABLES.filter((v) => !v.drawingOnly && !v.vlmOnly)
  .map((v) => `${v.id} (${v.from}..${v.to})`)
  .join(', ')}`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

async function main() {
  const { values: flags, positionals } = cliArgs(USAGE, {
    model: { type: 'string', multiple: true },
    vary: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    steps: { type: 'string' },
    reference: { type: 'string' },
    device: { type: 'string' },
    dtype: { type: 'string' },
    beams: { type: 'string' },
    maps: { type: 'boolean' },
    instruction: { type: 'string' },
  });
  const modelIds = flags.model ?? [];
  if (!modelIds.length || !flags.vary || positionals.length !== 1) {
    usageError(!modelIds.length ? '--model is required' : !flags.vary ? '--vary is required' : `one image, please (got ${positionals.length})`, USAGE);
  }
  if (modelIds.length > 2) usageError('at most two models (--model twice)', USAGE);
  const variable = (() => {
    try {
      return sweepVariable(flags.vary);
    } catch (e) {
      return usageError(e instanceof Error ? e.message : String(e), USAGE);
    }
  })();
  if (variable.drawingOnly) usageError(`--vary ${variable.id} needs a drawing (strokes), not an image file; use the app's research mode`, USAGE);
  if (variable.vlmOnly) usageError(`--vary ${variable.id}: vary the wording in the app's research mode (or run npm run predict once per --instruction)`, USAGE);
  const from = numberFlag('from', flags.from, USAGE, variable.from);
  const to = numberFlag('to', flags.to, USAGE, variable.to);
  const steps = intFlag('steps', flags.steps, USAGE, { min: 1, max: MAX_SWEEP_STEPS, fallback: 5 });
  const reference = flags.reference ?? '';
  const device = deviceFlag(flags.device, USAGE);
  const dtype = dtypeFlag(flags.dtype, USAGE);
  const numBeams = beamsFlag(flags.beams, USAGE);
  const vlmIds = new Set<string>();
  for (const id of modelIds) {
    try {
      resolveModel(id);
      if (isVlmModel(id)) vlmIds.add(id);
    } catch (e) {
      usageError(e instanceof Error ? e.message : String(e), USAGE);
    }
  }
  if (flags.instruction !== undefined) {
    if (!vlmIds.size) usageError('--instruction: no vision-language model given (image-to-text models take no instruction)', USAGE);
    try {
      checkInstruction(flags.instruction, '--instruction');
    } catch (e) {
      usageError(e instanceof Error ? e.message : String(e), USAGE);
    }
  }

  const image = await readImage(positionals[0]).catch((e) => fail(`${positionals[0]}: ${e instanceof Error ? e.message : e}`, 1));
  const models: SweepModel[] = modelIds.map((id) => ({ key: id, label: id }));
  const loaded = new Map<string, EngineModel>();
  const warned = new Set<string>(); // models that fell back to greedy (said once)
  const vlms = new Map<string, Predictor>();

  console.log([...CSV_HEADER, ...(flags.maps ? ['ink_share'] : []), ...(vlmIds.size ? ['raw', 'instruction'] : [])].join(','));
  const result = await runSweep(
    { variable, from, to, steps, models, reference },
    {
      image: async (step) => applyPerturbations(image, step.settings),
      // a model that fails to load fails its rows (reported on stderr), the other still runs
      load: async (m) => {
        if (vlmIds.has(m.key)) vlms.set(m.key, await openPredictor(m.key, device, dtype));
        else loaded.set(m.key, await openModel(m.key, device, dtype));
      },
      recognize: async (m, img) => {
        if (vlmIds.has(m.key)) {
          const vlm = vlms.get(m.key);
          if (!vlm) throw new Error('model not loaded');
          const p = await vlm.recognize(img, { numBeams, instruction: flags.instruction });
          if (p.decoding?.fellBackReason && !warned.has(m.key)) {
            warned.add(m.key);
            console.error(`${m.key}: ${p.decoding.fellBackReason}`);
          }
          if (flags.maps && !warned.has(`${m.key} maps`)) {
            warned.add(`${m.key} maps`);
            console.error(`${m.key}: no ink_share: maps are drawn for image-to-text models only`);
          }
          return p;
        }
        const model = loaded.get(m.key);
        if (!model) throw new Error('model not loaded');
        const p = await recognize(tjs, model, img, { numBeams });
        if (p.decoding?.fellBackReason && !warned.has(m.key)) {
          warned.add(m.key);
          console.error(`${m.key}: ${p.decoding.fellBackReason}`);
        }
        if (!flags.maps) return p;
        // --maps: the step's attention (one more pass), or why there is none
        let stepMap: StepMap = { unavailable: NO_ATTENTION_REASON };
        if (attentionRows(model) !== null) {
          stepMap = p.sequence && p.tokens.length ? stepMapOf(await explainPrediction(tjs, model, p.modelInput, p.sequence, 'attention'), p.modelInput) : { unavailable: 'no tokens to map' };
        }
        if ('unavailable' in stepMap && !warned.has(`${m.key} maps`)) {
          warned.add(`${m.key} maps`);
          console.error(`${m.key}: no ink_share: ${stepMap.unavailable}`);
        }
        return { ...p, stepMap };
      },
    },
    new AbortController().signal,
    {
      onRow: (row) => {
        if (row.error) console.error(`step ${row.step}, ${row.model}: ${row.error}`);
        const ink = row.stepMap && 'map' in row.stepMap && Number.isFinite(row.stepMap.inkShare) ? Math.round(row.stepMap.inkShare * 10_000) / 10_000 : null;
        const answer = vlmIds.size ? `,${csvField(row.raw ?? null)},${csvField(row.instruction ?? null)}` : '';
        console.log(`${flags.maps ? `${csvRow(row)},${csvField(ink)}` : csvRow(row)}${answer}`);
      },
    },
  );
  process.exit(result.rows.some((r) => r.error) ? 1 : 0);
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));
