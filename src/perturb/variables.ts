/**
 * The variables a research sweep (and `npm run stress`) can vary, one at a time.
 * Each maps a number to perturbation settings; `from`/`to` are sensible defaults.
 */
import { DEFAULT_PERTURB, WHITE_ON_BLUE, type PerturbOptions } from './types.ts';

export { WHITE_ON_BLUE };

export interface SweepVariable {
  id: string;
  label: string;
  unit?: string;
  from: number;
  to: number;
  /** Settings for this value (on top of the defaults: one variable at a time). */
  apply: (value: number) => Partial<PerturbOptions>;
  /** Only meaningful for drawings (re-rasterised strokes), not pixel perturbations. */
  drawingOnly?: boolean;
}

function hex(c: [number, number, number]): string {
  return '#' + c.map((v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, '0')).join('');
}
const lerp = (a: number, b: number, t: number) => a + (b - a) * t;
const rgb = (c: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as [number, number, number];
/** Each channel from `a` (t = 0) to `b` (t = 1). */
const blend = (a: string, b: string, t: number) => hex(rgb(a).map((v, i) => lerp(v, rgb(b)[i], t)) as [number, number, number]);

export const SWEEP_VARIABLES: SweepVariable[] = [
  {
    id: 'colour',
    label: 'Ink/paper colour: black on white → white on blue',
    from: 0,
    to: 1,
    // from the default black on white (0) to the test's white on blue (1)
    apply: (t) => ({ ink: blend(DEFAULT_PERTURB.ink, WHITE_ON_BLUE.ink, t), paper: blend(DEFAULT_PERTURB.paper, WHITE_ON_BLUE.paper, t) }),
  },
  { id: 'invert', label: 'Inversion amount', from: 0, to: 1, apply: (v) => ({ invert: v }) },
  { id: 'hue', label: 'Hue rotation', unit: '°', from: 0, to: 180, apply: (v) => ({ hue: v }) },
  { id: 'contrast', label: 'Contrast', unit: '×', from: 1, to: 0.1, apply: (v) => ({ contrast: v }) },
  { id: 'brightness', label: 'Brightness', from: 0, to: 0.8, apply: (v) => ({ brightness: v }) },
  { id: 'noise', label: 'Noise σ', from: 0, to: 0.5, apply: (v) => ({ noise: v }) },
  { id: 'blur', label: 'Blur σ', unit: 'px', from: 0, to: 4, apply: (v) => ({ blur: v }) },
  { id: 'rotate', label: 'Rotation', unit: '°', from: 0, to: 20, apply: (v) => ({ rotate: v }) },
  { id: 'scale', label: 'Scale', unit: '×', from: 1, to: 0.2, apply: (v) => ({ scale: v }) },
  { id: 'jpeg', label: 'JPEG quality', from: 100, to: 5, apply: (v) => ({ jpeg: Math.round(v) }) },
  { id: 'margin', label: 'Margin', unit: 'px', from: 0, to: 200, apply: (v) => ({ margin: Math.round(v) }) },
  { id: 'strokeWidth', label: 'Stroke width (drawings)', unit: 'px', from: 2, to: 16, apply: () => ({}), drawingOnly: true },
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
