/**
 * The variables a research sweep (and `npm run stress`) can vary, one at a time: the
 * colour blend, every setting of the table (types.ts) that has a sweep range, and the
 * stroke width of drawings. Each maps a number to perturbation settings, clamped to the
 * setting's allowed range; `from`/`to` are sensible defaults.
 */
import { DEFAULT_PERTURB, NUMBER_SETTINGS, WHITE_ON_BLUE, clampSetting, type PerturbOptions } from './types.ts';
import { MAX_STROKE_WIDTH, MIN_STROKE_WIDTH } from '../draw/strokes.ts';
import { MAX_SWEEP_INSTRUCTIONS } from '../schema/limits.ts';

export { WHITE_ON_BLUE };

export interface SweepVariable {
  id: string;
  label: string;
  unit?: string;
  from: number;
  to: number;
  /** The values allowed (a sweep's ends are clamped to them). */
  min: number;
  max: number;
  /** Settings for this value (on top of the defaults: one variable at a time). */
  apply: (value: number) => Partial<PerturbOptions>;
  /** Only meaningful for drawings (re-rasterised strokes), not pixel perturbations. */
  drawingOnly?: boolean;
  /**
   * Vision-language models only: the value is the index of an instruction in the sweep's list
   * (src/research/instructions.ts), the image stays as given.
   */
  vlmOnly?: boolean;
}

function hex(c: [number, number, number]): string {
  return '#' + c.map((v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, '0')).join('');
}
const lerp = (a: number, b: number, t: number) => a + (b - a) * t;
const rgb = (c: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as [number, number, number];
/** Each channel from `a` (t = 0) to `b` (t = 1). */
const blend = (a: string, b: string, t: number) => hex(rgb(a).map((v, i) => lerp(v, rgb(b)[i], t)) as [number, number, number]);

const clamp01 = (t: number) => Math.min(1, Math.max(0, t));

export const SWEEP_VARIABLES: SweepVariable[] = [
  {
    id: 'colour',
    label: 'Ink/paper colour: black on white → white on blue',
    from: 0,
    to: 1,
    min: 0,
    max: 1,
    // from the default black on white (0) to the test's white on blue (1)
    apply: (t) => ({ ink: blend(DEFAULT_PERTURB.ink, WHITE_ON_BLUE.ink, clamp01(t)), paper: blend(DEFAULT_PERTURB.paper, WHITE_ON_BLUE.paper, clamp01(t)) }),
  },
  ...NUMBER_SETTINGS.filter((s) => s.sweep).map(
    (s): SweepVariable => ({
      id: s.key,
      label: s.sweep!.label ?? s.label,
      ...(s.sweep!.unit ? { unit: s.sweep!.unit } : {}),
      from: s.sweep!.from,
      to: s.sweep!.to,
      min: s.min,
      max: s.max,
      apply: (v) => ({ [s.key]: clampSetting(s, v) }),
    }),
  ),
  // the value is the stroke width itself (useSweep re-rasterises the drawing): no perturbation
  { id: 'strokeWidth', label: 'Stroke width (drawings)', unit: 'px', from: 2, to: 16, min: MIN_STROKE_WIDTH, max: MAX_STROKE_WIDTH, apply: () => ({}), drawingOnly: true },
  // the value is the instruction's number in the sweep's list (one wording per step): no perturbation
  { id: 'instruction', label: 'Instruction wording (vision-language models)', unit: '#', from: 0, to: 0, min: 0, max: MAX_SWEEP_INSTRUCTIONS - 1, apply: () => ({}), vlmOnly: true },
];

export function sweepVariable(id: string): SweepVariable {
  const v = SWEEP_VARIABLES.find((x) => x.id === id);
  if (!v) throw new Error(`unknown variable "${id}" (${SWEEP_VARIABLES.map((x) => x.id).join(', ')})`);
  return v;
}

/** The values of an n-step sweep from `from` to `to` (inclusive). */
export function sweepValues(from: number, to: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError('steps must be a positive integer');
  if (steps === 1) return [from];
  return Array.from({ length: steps }, (_, i) => from + ((to - from) * i) / (steps - 1));
}

export function settingsFor(variable: SweepVariable, value: number): PerturbOptions {
  return { ...DEFAULT_PERTURB, ...variable.apply(value) };
}
