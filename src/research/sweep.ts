/**
 * One-variable sweeps: the plan (one perturbation setting per step), the runner
 * (each model on each step, in order, cancellable) and the scoring (normalised
 * edit distance to the reference, or to the model's own step-0 prediction).
 *
 * The runner takes its image and recognition functions as arguments, so the same
 * code drives the app (perturbation and OCR workers) and `npm run stress` (Node).
 */
import type { Raster } from '../image/raster.ts';
import { compareLatex } from '../metrics/tokens.ts';
import { settingsFor, sweepValues, type SweepVariable } from '../perturb/variables.ts';
import type { PerturbOptions } from '../perturb/types.ts';
import type { Device, Dtype, Prediction, TokenInfo } from '../worker-api/ocr.ts';
import { confidenceStats, predictionHealth } from './confidence.ts';
import type { StepMap } from '../explain/maps.ts';

export interface SweepStep {
  index: number;
  value: number;
  /** Pixel perturbation settings of this step (defaults for drawing-only variables). */
  settings: PerturbOptions;
  /** For drawing-only variables (stroke width): the stroke width to re-rasterise with. */
  strokeWidth?: number;
  /** For the instruction variable (vision-language models): this step's wording. */
  instruction?: string;
}

/** The steps of a sweep; the instruction variable takes one step per wording of `instructions` (its value the wording's index). */
export function planSweep(variable: SweepVariable, from: number, to: number, steps: number, instructions?: readonly string[]): SweepStep[] {
  if (variable.vlmOnly) {
    if (!instructions?.length) throw new RangeError('give at least one instruction to sweep');
    return instructions.map((instruction, index) => ({ index, value: index, settings: settingsFor(variable, index), instruction }));
  }
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new RangeError('from and to must be numbers');
  return sweepValues(from, to, steps).map((value, index) =>
    variable.drawingOnly
      ? // the variable's own limits (the stroke schema's), whatever the sweep's from/to say
        { index, value, settings: settingsFor(variable, value), strokeWidth: Math.min(variable.max, Math.max(variable.min, value)) }
      : { index, value, settings: settingsFor(variable, value) },
  );
}

export interface SweepModel {
  /** ModelEntry.key in the app; the id or folder given on the command line. */
  key: string;
  label: string;
}

export type ScoreBasis = 'reference' | 'step0';

export interface SweepRow {
  step: number;
  value: number;
  model: string;
  modelLabel: string;
  latex: string;
  /** Normalised token edit distance to the basis; null when recognition failed. */
  ned: number | null;
  /** 1 − ned (what the chart plots); null when recognition failed. */
  score: number | null;
  basis: ScoreBasis;
  /** The LaTeX this row was scored against. */
  basisLatex: string;
  meanConfidence: number | null;
  minConfidence: number | null;
  tokens: TokenInfo[];
  ms: number;
  truncated: boolean;
  repetition: boolean;
  device?: Device;
  dtype?: Dtype;
  error?: string;
  /** "Where it looks" of this step, when the sweep asked for maps (SweepDeps.recognize returned one). */
  stepMap?: StepMap;
  /** Vision-language models: the answer as generated (`latex` was extracted from it) and the instruction given. */
  raw?: string;
  instruction?: string;
}

export interface SweepSpec {
  variable: SweepVariable;
  from: number;
  to: number;
  steps: number;
  models: SweepModel[];
  /** Reference LaTeX; '' = score against each model's step-0 prediction. */
  reference: string;
  /** The wordings, when the variable is the instruction (one step each). */
  instructions?: string[];
}

export interface SweepResult {
  spec: SweepSpec;
  plan: SweepStep[];
  /** The image of each step (as perturbed), filled in as the sweep goes. */
  images: (Raster | undefined)[];
  rows: SweepRow[];
  /** False when cancelled (or stopped by an error) before the end. */
  complete: boolean;
}

export interface SweepDeps {
  /** The image of one step (perturbed, or re-rasterised strokes). */
  image: (step: SweepStep, signal: AbortSignal) => Promise<Raster>;
  /** Load a model before its first step (optional: progress, errors early). */
  load?: (model: SweepModel, signal: AbortSignal) => Promise<void>;
  recognize: (
    model: SweepModel,
    image: Raster,
    signal: AbortSignal,
    /** The step being read (its instruction, for the instruction variable); runSweep always gives it. */
    step?: SweepStep,
  ) => Promise<Pick<Prediction, 'latex' | 'tokens' | 'ms' | 'truncated'> & Partial<Pick<Prediction, 'device' | 'dtype' | 'raw' | 'instruction'>> & { stepMap?: StepMap }>;
}

export interface SweepHooks {
  onImage?: (step: number, image: Raster) => void;
  onRow?: (row: SweepRow) => void;
  /** done/total counts recognitions; `model` is loading when `loading` is true. */
  onProgress?: (p: { done: number; total: number; model: SweepModel; step: number; loading: boolean }) => void;
}

export class SweepCancelled extends Error {
  constructor() {
    super('Sweep cancelled');
    this.name = 'AbortError';
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Score one prediction against its basis. */
export function scoreRow(latex: string, basisLatex: string): { ned: number; score: number } {
  const ned = compareLatex(basisLatex, latex).ned;
  return { ned, score: 1 - ned };
}

/**
 * Run every model on every step, models one after the other (so each loads once).
 * A failed recognition becomes a row with `error` and the sweep goes on; a failed
 * model load fails that model's rows. Cancelling (signal) stops at once and
 * resolves with the rows so far (complete: false).
 */
export async function runSweep(spec: SweepSpec, deps: SweepDeps, signal: AbortSignal, hooks: SweepHooks = {}): Promise<SweepResult> {
  const plan = planSweep(spec.variable, spec.from, spec.to, spec.steps, spec.instructions);
  const result: SweepResult = { spec, plan, images: plan.map(() => undefined), rows: [], complete: false };
  const total = plan.length * spec.models.length;
  const basis: ScoreBasis = spec.reference.trim() ? 'reference' : 'step0';
  let done = 0;
  const check = () => {
    if (signal.aborted) throw new SweepCancelled();
  };
  try {
    for (const model of spec.models) {
      check();
      let loadError: string | undefined;
      if (deps.load) {
        hooks.onProgress?.({ done, total, model, step: 0, loading: true });
        try {
          await deps.load(model, signal);
        } catch (e) {
          check();
          loadError = `Could not load the model: ${errorMessage(e)}`;
        }
      }
      let step0Latex: string | null = null;
      for (const step of plan) {
        check();
        hooks.onProgress?.({ done, total, model, step: step.index, loading: false });
        let image = result.images[step.index];
        if (!image) {
          image = await deps.image(step, signal);
          check();
          result.images[step.index] = image;
          hooks.onImage?.(step.index, image);
        }
        let row: SweepRow;
        const basisLatex = basis === 'reference' ? spec.reference : (step0Latex ?? '');
        const base = { step: step.index, value: step.value, model: model.key, modelLabel: model.label, basis };
        try {
          if (loadError) throw new Error(loadError);
          const p = await deps.recognize(model, image, signal, step);
          check();
          const bl = basis === 'reference' ? spec.reference : (step0Latex ?? p.latex);
          if (step.index === 0) step0Latex = p.latex;
          const health = predictionHealth(p);
          const stats = confidenceStats(p.tokens);
          row = {
            ...base,
            latex: p.latex,
            ...scoreRow(p.latex, bl),
            basisLatex: bl,
            meanConfidence: stats?.mean ?? null,
            minConfidence: stats?.min ?? null,
            tokens: p.tokens,
            ms: p.ms,
            truncated: p.truncated,
            repetition: !!health.repetition,
            device: p.device,
            dtype: p.dtype,
            ...(p.stepMap ? { stepMap: p.stepMap } : {}),
            ...(p.raw !== undefined ? { raw: p.raw, instruction: p.instruction } : {}),
          };
        } catch (e) {
          check();
          if (step.index === 0) step0Latex = '';
          row = {
            ...base,
            latex: '',
            ned: null,
            score: null,
            basisLatex,
            meanConfidence: null,
            minConfidence: null,
            tokens: [],
            ms: 0,
            truncated: false,
            repetition: false,
            error: errorMessage(e),
          };
        }
        result.rows.push(row);
        done++;
        hooks.onRow?.(row);
        hooks.onProgress?.({ done, total, model, step: step.index, loading: false });
      }
    }
    result.complete = true;
  } catch (e) {
    if (!(e instanceof SweepCancelled) && !signal.aborted) throw e;
  }
  return result;
}

/** The chart's data: x = the step values, one score series per model (null = no result). */
export function chartSeries(result: Pick<SweepResult, 'plan' | 'rows' | 'spec'>): { x: number[]; series: { model: SweepModel; scores: (number | null)[] }[] } {
  const x = result.plan.map((s) => s.value);
  const series = result.spec.models.map((model) => ({
    model,
    scores: result.plan.map((s) => result.rows.find((r) => r.model === model.key && r.step === s.index)?.score ?? null),
  }));
  return { x, series };
}
