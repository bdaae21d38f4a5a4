/**
 * Perturbation settings, and the one table that describes them (PERTURBATIONS): label,
 * default, allowed range, slider step, sweep range and pipeline stage of each. The
 * defaults, the perturbation panel's controls, the sweep variables (variables.ts), the
 * validation of permalinks, history files and presets (src/schema/perturb.ts) and the
 * order applyPerturbations runs the stages in (ops.ts) all come from it, so a limit
 * or an order is written once.
 *
 * The table is data only: the stages' functions live in ops.ts, keyed by stage name,
 * because that module pulls in the JPEG codec and runs in the perturbation worker, while
 * this table is needed by the page itself.
 */
import colourPresets from './colour-presets.json' with { type: 'json' };

/** Perturbation settings: each one variable, identity at its default. */
export interface PerturbOptions {
  /** Ink and paper colours of the luminance remap (black -> ink, white -> paper); black/white = off. */
  ink: string;
  paper: string;
  /** Blend towards the colour inverse: 0 = input, 1 = fully inverted. */
  invert: number;
  /** Hue rotation in degrees. */
  hue: number;
  /** Added to every channel, as a fraction of the range. */
  brightness: number;
  /** Contrast multiplier around mid-grey (1 = unchanged). */
  contrast: number;
  /** Gaussian noise standard deviation, as a fraction of the range (0 = none). */
  noise: number;
  /** Seed of the noise (same seed, same noise). */
  seed: number;
  /** Gaussian blur sigma in pixels. */
  blur: number;
  /** Rotation in degrees (counter-clockwise), paper-coloured corners. */
  rotate: number;
  /** Scale factor (1 = unchanged). */
  scale: number;
  /** JPEG quality 1..100; 100 = no JPEG round trip. */
  jpeg: number;
  /** Paper-coloured margin added on each side, in pixels. */
  margin: number;
}

/** The stages of applyPerturbations; they run in the order of their first setting in PERTURBATIONS. */
export type PerturbStage = 'recolour' | 'invert' | 'hue' | 'brightness' | 'contrast' | 'scale' | 'rotate' | 'margin' | 'blur' | 'noise' | 'jpeg';

export type ColourKey = 'ink' | 'paper';
export type NumericKey = Exclude<keyof PerturbOptions, ColourKey>;

export interface ColourSetting {
  key: ColourKey;
  kind: 'colour';
  label: string;
  stage: PerturbStage;
  /** '#rrggbb', lower case. */
  default: string;
}

export interface NumberSetting {
  key: NumericKey;
  kind: 'number';
  label: string;
  stage: PerturbStage;
  default: number;
  /**
   * The allowed range: the slider's ends, and what values from outside (a link, a history
   * file, a sweep's from/to) are clamped to. Chosen so the worst case stays cheap: at most
   * 3× the (4-megapixel) input, a σ-6 blur, a 200-px margin.
   */
  min: number;
  max: number;
  /** Slider (or number field) step. */
  step: number;
  /** Whole numbers only (values are rounded). */
  integer?: boolean;
  /** How the panel shows it: a slider, an on/off button (min/max), or a number field. */
  control: 'slider' | 'toggle' | 'number';
  /** Only qualifies its stage (the noise seed): not a perturbation on its own. */
  secondary?: boolean;
  /** The value as the panel reads it out. */
  format: (v: number) => string;
  /** Offered as a research sweep variable (id = key), from/to its defaults. */
  sweep?: { label?: string; unit?: string; from: number; to: number };
}

export type PerturbSetting = ColourSetting | NumberSetting;

const pct = (v: number) => `${Math.round(v * 100)}%`;

/** Every setting, in pipeline order: colour, then geometry, then degradations (as a camera would). */
export const PERTURBATIONS: readonly PerturbSetting[] = [
  { key: 'ink', kind: 'colour', label: 'Ink colour', stage: 'recolour', default: '#000000' },
  { key: 'paper', kind: 'colour', label: 'Paper colour', stage: 'recolour', default: '#ffffff' },
  { key: 'invert', kind: 'number', label: 'Invert colours', stage: 'invert', default: 0, min: 0, max: 1, step: 0.01, control: 'toggle', format: pct, sweep: { label: 'Inversion amount', from: 0, to: 1 } },
  { key: 'hue', kind: 'number', label: 'Hue rotation', stage: 'hue', default: 0, min: 0, max: 360, step: 1, control: 'slider', format: (v) => `${v}°`, sweep: { unit: '°', from: 0, to: 180 } },
  { key: 'brightness', kind: 'number', label: 'Brightness', stage: 'brightness', default: 0, min: -0.8, max: 0.8, step: 0.01, control: 'slider', format: (v) => `${v > 0 ? '+' : ''}${pct(v)}`, sweep: { from: 0, to: 0.8 } },
  { key: 'contrast', kind: 'number', label: 'Contrast', stage: 'contrast', default: 1, min: 0.1, max: 3, step: 0.05, control: 'slider', format: (v) => `${v.toFixed(2)}×`, sweep: { unit: '×', from: 1, to: 0.1 } },
  { key: 'scale', kind: 'number', label: 'Scale', stage: 'scale', default: 1, min: 0.1, max: 3, step: 0.05, control: 'slider', format: (v) => `${v.toFixed(2)}×`, sweep: { unit: '×', from: 1, to: 0.2 } },
  { key: 'rotate', kind: 'number', label: 'Rotation', stage: 'rotate', default: 0, min: -180, max: 180, step: 0.5, control: 'slider', format: (v) => `${v}°`, sweep: { unit: '°', from: 0, to: 20 } },
  { key: 'margin', kind: 'number', label: 'Margin', stage: 'margin', default: 0, min: 0, max: 200, step: 1, integer: true, control: 'slider', format: (v) => `${v} px`, sweep: { unit: 'px', from: 0, to: 200 } },
  { key: 'blur', kind: 'number', label: 'Blur', stage: 'blur', default: 0, min: 0, max: 6, step: 0.1, control: 'slider', format: (v) => `σ ${v.toFixed(1)} px`, sweep: { label: 'Blur σ', unit: 'px', from: 0, to: 4 } },
  { key: 'noise', kind: 'number', label: 'Noise', stage: 'noise', default: 0, min: 0, max: 0.5, step: 0.01, control: 'slider', format: (v) => `σ ${pct(v)}`, sweep: { label: 'Noise σ', from: 0, to: 0.5 } },
  { key: 'seed', kind: 'number', label: 'Noise seed', stage: 'noise', default: 1, min: 0, max: 2 ** 31 - 1, step: 1, integer: true, control: 'number', secondary: true, format: String },
  { key: 'jpeg', kind: 'number', label: 'JPEG quality', stage: 'jpeg', default: 100, min: 1, max: 100, step: 1, integer: true, control: 'slider', format: (v) => (v >= 100 ? 'off (100)' : String(v)), sweep: { from: 100, to: 5 } },
];

/** The table entry of a setting (every key of PerturbOptions has one). */
export function perturbSetting(key: keyof PerturbOptions): PerturbSetting {
  const s = PERTURBATIONS.find((p) => p.key === key);
  if (!s) throw new Error(`no perturbation setting "${key}"`);
  return s;
}

export const NUMBER_SETTINGS: readonly NumberSetting[] = PERTURBATIONS.filter((p): p is NumberSetting => p.kind === 'number');

/** The stages in the order they run. */
export const PERTURB_STAGES: readonly PerturbStage[] = [...new Set(PERTURBATIONS.map((p) => p.stage))];

/** A number brought into a setting's range (rounded when whole numbers only); NaN gives the default. */
export function clampSetting(s: NumberSetting, v: number): number {
  if (Number.isNaN(v)) return s.default;
  const c = Math.min(s.max, Math.max(s.min, v));
  return s.integer ? Math.round(c) : c;
}

export const DEFAULT_PERTURB: Readonly<PerturbOptions> = Object.freeze(Object.fromEntries(PERTURBATIONS.map((p) => [p.key, p.default])) as unknown as PerturbOptions);

export function isIdentity(o: PerturbOptions): boolean {
  return PERTURBATIONS.every((p) => (p.kind === 'number' && p.secondary) || o[p.key] === p.default);
}

/** A named colour preset (colour-presets.json: shared with the evaluation sets and training). */
export interface ColourPreset {
  id: string;
  label: string;
  /** The evaluation set recoloured with it is "im2latex-<evalSet>" (cli/eval-data.ts). */
  evalSet: string;
  ink: string;
  paper: string;
}

export const COLOUR_PRESETS: readonly ColourPreset[] = colourPresets.presets;

function colourPreset(id: string): { ink: string; paper: string } {
  const p = COLOUR_PRESETS.find((x) => x.id === id);
  if (!p) throw new Error(`colour-presets.json has no preset "${id}"`);
  return { ink: p.ink, paper: p.paper };
}

/**
 * The published shortcut-learning test's colours: white ink on blue paper. The quick
 * preset, the colour sweep, research preset (b), the first-visit demo (src/app/demo.ts),
 * the benchmark and training's validation all take them from colour-presets.json.
 */
export const WHITE_ON_BLUE: Readonly<{ ink: string; paper: string }> = Object.freeze(colourPreset('white-on-blue'));

/** Quick settings shown as buttons in the perturbation panel (on top of the defaults). */
export const PERTURB_PRESETS: { id: string; label: string; options: Partial<PerturbOptions> }[] = COLOUR_PRESETS.map((p) => ({ id: p.id, label: p.label, options: { ink: p.ink, paper: p.paper } }));
