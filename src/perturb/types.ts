/** Perturbation settings: each one variable, identity at its default. */
export interface PerturbOptions {
  /** Ink and paper colours of the luminance remap (black -> ink, white -> paper); black/white = off. */
  ink: string;
  paper: string;
  /** Blend towards the colour inverse: 0 = input, 1 = fully inverted. */
  invert: number;
  /** Hue rotation in degrees. */
  hue: number;
  /** Added to every channel, as a fraction of the range (-1..1). */
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

export const DEFAULT_PERTURB: Readonly<PerturbOptions> = {
  ink: '#000000',
  paper: '#ffffff',
  invert: 0,
  hue: 0,
  brightness: 0,
  contrast: 1,
  noise: 0,
  seed: 1,
  blur: 0,
  rotate: 0,
  scale: 1,
  jpeg: 100,
  margin: 0,
};

export function isIdentity(o: PerturbOptions): boolean {
  return (Object.keys(DEFAULT_PERTURB) as (keyof PerturbOptions)[]).every((k) => k === 'seed' || o[k] === DEFAULT_PERTURB[k]);
}

/**
 * The published shortcut-learning test's colours: white ink on blue paper. The one place
 * they are written: the quick preset, the colour sweep, research preset (b) and the
 * first-visit demo (src/app/demo.ts) all take them from here.
 */
export const WHITE_ON_BLUE = { ink: '#ffffff', paper: '#1e40af' } as const;

/** Quick settings shown as buttons in the perturbation panel (on top of the defaults). */
export const PERTURB_PRESETS: { id: string; label: string; options: Partial<PerturbOptions> }[] = [
  { id: 'white-on-blue', label: 'White on blue', options: { ...WHITE_ON_BLUE } },
  { id: 'dark-mode', label: 'Dark mode', options: { ink: '#e5e7eb', paper: '#111827' } },
  { id: 'tinted', label: 'Coloured ink on tinted paper', options: { ink: '#b91c1c', paper: '#fef3c7' } },
];
