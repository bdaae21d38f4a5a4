/**
 * npm run stress -- --model <id|folder> [--model <id2>] --vary <variable> [--from <a>] [--to <b>] [--steps <n>]
 *                   [--reference <latex>] [--device cpu|webgpu] [--dtype fp32|q8|fp16] [--beams N] <image>
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
 * with beam width N (src/model/beam.ts) instead of greedily.
 */
import { beamsFlag, cliArgs, deviceFlag, dtypeFlag, intFlag, numberFlag, openModel, readImage, resolveModel, tjs, usageError } from './common.ts';
import { recognize, type EngineModel } from '../src/model/engine.ts';
import { applyPerturbations } from '../src/perturb/ops.ts';
import { SWEEP_VARIABLES, sweepVariable } from '../src/perturb/variables.ts';
import { runSweep, type SweepModel } from '../src/research/sweep.ts';
import { CSV_HEADER, csvRow } from '../src/research/export.ts';
import { MAX_SWEEP_STEPS } from '../src/research/config.ts';
import { MAX_BEAMS, MIN_BEAMS } from '../src/model/beam.ts';

const USAGE = `usage: npm run stress -- --model <id|folder> [--model <id2>] --vary <variable> [--from <a>] [--to <b>] [--steps <n>] [--reference <latex>] [--device cpu|webgpu] [--dtype fp32|q8|fp16] [--beams ${MIN_BEAMS}-${MAX_BEAMS}] <image>
variables: ${SWEEP_VARIABLES.filter((v) => !v.drawingOnly)
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
  const from = numberFlag('from', flags.from, USAGE, variable.from);
  const to = numberFlag('to', flags.to, USAGE, variable.to);
  const steps = intFlag('steps', flags.steps, USAGE, { min: 1, max: MAX_SWEEP_STEPS, fallback: 5 });
  const reference = flags.reference ?? '';
  const device = deviceFlag(flags.device, USAGE);
  const dtype = dtypeFlag(flags.dtype, USAGE);
  const numBeams = beamsFlag(flags.beams, USAGE);
  for (const id of modelIds) {
    try {
      resolveModel(id);
    } catch (e) {
      usageError(e instanceof Error ? e.message : String(e), USAGE);
    }
  }

  const image = await readImage(positionals[0]).catch((e) => fail(`${positionals[0]}: ${e instanceof Error ? e.message : e}`, 1));
  const models: SweepModel[] = modelIds.map((id) => ({ key: id, label: id }));
  const loaded = new Map<string, EngineModel>();
  const warned = new Set<string>(); // models that fell back to greedy (said once)

  console.log(CSV_HEADER.join(','));
  const result = await runSweep(
    { variable, from, to, steps, models, reference },
    {
      image: async (step) => applyPerturbations(image, step.settings),
      // a model that fails to load fails its rows (reported on stderr), the other still runs
      load: async (m) => {
        loaded.set(m.key, await openModel(m.key, device, dtype));
      },
      recognize: async (m, img) => {
        const model = loaded.get(m.key);
        if (!model) throw new Error('model not loaded');
        const p = await recognize(tjs, model, img, { numBeams });
        if (p.decoding?.fellBackReason && !warned.has(m.key)) {
          warned.add(m.key);
          console.error(`${m.key}: ${p.decoding.fellBackReason}`);
        }
        return p;
      },
    },
    new AbortController().signal,
    {
      onRow: (row) => {
        if (row.error) console.error(`step ${row.step}, ${row.model}: ${row.error}`);
        console.log(csvRow(row));
      },
    },
  );
  process.exit(result.rows.some((r) => r.error) ? 1 : 0);
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));
