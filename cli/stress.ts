/**
 * npm run stress -- --model <id|folder> [--model <id2>] --vary <variable> [--from <a>] [--to <b>] [--steps <n>]
 *                   [--reference <latex>] [--device cpu] [--dtype fp32|q8|fp16] [--beams N] <image>
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
import { beamsFlag, openModel, readImage, parseArgs, tjs } from './common.ts';
import { recognize, type EngineModel } from '../src/model/engine.ts';
import { applyPerturbations } from '../src/perturb/ops.ts';
import { SWEEP_VARIABLES, sweepVariable } from '../src/perturb/variables.ts';
import { runSweep, type SweepModel } from '../src/research/sweep.ts';
import { CSV_HEADER, csvRow } from '../src/research/export.ts';
import { MAX_SWEEP_STEPS } from '../src/research/config.ts';
import { MAX_BEAMS, MIN_BEAMS } from '../src/model/beam.ts';
import type { Device, Dtype } from '../src/worker-api/ocr.ts';

const USAGE = `usage: npm run stress -- --model <id|folder> [--model <id2>] --vary <variable> [--from <a>] [--to <b>] [--steps <n>] [--reference <latex>] [--device cpu] [--dtype fp32|q8|fp16] [--beams ${MIN_BEAMS}-${MAX_BEAMS}] <image>
variables: ${SWEEP_VARIABLES.filter((v) => !v.drawingOnly)
  .map((v) => `${v.id} (${v.from}..${v.to})`)
  .join(', ')}`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

function numberFlag(flags: Record<string, string | string[]>, name: string, fallback: number): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n)) fail(`--${name} must be a number (got "${raw}")\n${USAGE}`);
  return n;
}

async function main() {
  const { flags, positional } = parseArgs(process.argv.slice(2), ['model']);
  const modelIds = (flags.model as string[] | undefined) ?? [];
  if (!modelIds.length || !flags.vary || positional.length !== 1) fail(USAGE);
  if (modelIds.length > 2) fail('at most two models (--model twice)');
  const variable = (() => {
    try {
      return sweepVariable(String(flags.vary));
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e));
    }
  })();
  if (variable.drawingOnly) fail(`--vary ${variable.id} needs a drawing (strokes), not an image file; use the app's research mode`);
  const from = numberFlag(flags, 'from', variable.from);
  const to = numberFlag(flags, 'to', variable.to);
  const steps = numberFlag(flags, 'steps', 5);
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_SWEEP_STEPS) fail(`--steps must be a whole number from 1 to ${MAX_SWEEP_STEPS}`);
  const reference = typeof flags.reference === 'string' && flags.reference !== 'true' ? flags.reference : '';
  const device = (flags.device as Device | undefined) ?? 'cpu';
  const dtype = flags.dtype as Dtype | undefined;
  const numBeams = beamsFlag(flags.beams, USAGE);

  const image = await readImage(positional[0]).catch((e) => fail(`${positional[0]}: ${e instanceof Error ? e.message : e}`, 1));
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
