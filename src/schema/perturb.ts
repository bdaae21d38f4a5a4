/**
 * Perturbation settings from outside (a permalink, a history file or record, a preset
 * file), checked against the settings table (src/perturb/types.ts): known keys only,
 * colours as "#rrggbb", numbers finite and clamped to the setting's range.
 */
import * as v from 'valibot';
import { COLOUR_PRESETS, DEFAULT_PERTURB, PERTURBATIONS, clampSetting, type PerturbOptions } from '../perturb/types.ts';

export const HEX_COLOUR_RE = /^#[0-9a-f]{6}$/i;

export const colourSchema = v.pipe(v.string(), v.maxLength(7), v.regex(HEX_COLOUR_RE, 'not a #rrggbb colour'), v.toLowerCase());
const numberSchema = v.pipe(v.number(), v.finite());
/** A number written as text (a permalink's values). */
const numberTextSchema = v.pipe(v.string(), v.maxLength(40), v.trim(), v.nonEmpty(), v.toNumber(), v.finite());

/** More keys than there are settings means a file that is not settings at all. */
const MAX_KEYS = 64;

/**
 * Reads settings: each valid one is kept (clamped into its range), each bad or unknown
 * one gives a message. `text`: values may be numbers written as strings (permalinks).
 */
export function readPerturb(raw: unknown, opts: { text?: boolean } = {}): { perturb: Partial<PerturbOptions>; errors: string[] } {
  const perturb: Partial<PerturbOptions> = {};
  const errors: string[] = [];
  if (raw === undefined || raw === null) return { perturb, errors };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { perturb, errors: ['The perturbation settings are not a set of settings.'] };
  const keys = Object.keys(raw);
  if (keys.length > MAX_KEYS) return { perturb, errors: [`The perturbation settings have ${keys.length} entries; at most ${MAX_KEYS} are read.`] };
  for (const key of keys) {
    const setting = PERTURBATIONS.find((p) => p.key === key);
    const value = (raw as Record<string, unknown>)[key];
    if (!setting) {
      errors.push(`Unknown perturbation setting "${key.slice(0, 40)}" ignored.`);
      continue;
    }
    if (setting.kind === 'colour') {
      const r = v.safeParse(colourSchema, value);
      if (r.success) (perturb as Record<string, unknown>)[key] = r.output;
      else errors.push(`Perturbation setting "${key}" has a bad value.`);
      continue;
    }
    const r = v.safeParse(opts.text && typeof value === 'string' ? numberTextSchema : numberSchema, value);
    if (!r.success) {
      errors.push(`Perturbation setting "${key}" has a bad value.`);
      continue;
    }
    const c = clampSetting(setting, r.output);
    if (r.output < setting.min || r.output > setting.max) errors.push(`Perturbation setting "${key}" (${r.output}) is outside ${setting.min}..${setting.max}; ${c} is used.`);
    (perturb as Record<string, unknown>)[key] = c;
  }
  return { perturb, errors };
}

/** Complete settings: the valid ones given, defaults for the rest (records from older versions, bad values). */
export function sanitizePerturb(raw: unknown): PerturbOptions {
  return { ...DEFAULT_PERTURB, ...readPerturb(raw).perturb };
}

/** In an object schema: any value in, complete and valid settings out. */
export const perturbSchema = v.pipe(v.unknown(), v.transform(sanitizePerturb));

/** The named colour presets' file (src/perturb/colour-presets.json), shared with the CLIs and training. */
export const colourPresetsSchema = v.object({
  presets: v.pipe(
    v.array(
      v.strictObject({
        id: v.pipe(v.string(), v.regex(/^[a-z0-9-]{1,40}$/)),
        label: v.pipe(v.string(), v.nonEmpty(), v.maxLength(80)),
        evalSet: v.pipe(v.string(), v.regex(/^[a-z0-9-]{1,40}$/)),
        ink: colourSchema,
        paper: colourSchema,
      }),
    ),
    v.minLength(1),
    v.maxLength(20),
  ),
});

/** Throws with the first problem when the shipped presets file is not valid (tested in tests/unit/perturb.test.ts). */
export function checkColourPresets(doc: unknown = { presets: COLOUR_PRESETS }): void {
  const r = v.safeParse(colourPresetsSchema, doc);
  if (!r.success) throw new Error(`colour-presets.json: ${v.summarize(r.issues)}`);
}
