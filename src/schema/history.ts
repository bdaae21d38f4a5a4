/**
 * History entries from outside: records read back from IndexedDB (another version of
 * the app, or a damaged database, may have written them) and entries of an imported
 * history file. One schema for both; only the image differs (a Blob in the database,
 * a data URL in a file). Every string and list is bounded, dates are clamped to "now"
 * (an entry from the future would sit at the top of the history for ever), settings
 * are checked against their tables.
 */
import * as v from 'valibot';
import { BEAM_WIDTHS } from '../model/beam.ts';
import type { HistoryEntry, HistoryPane } from '../history/types.ts';
import { perturbSchema } from './perturb.ts';
import { strokesSchema } from './strokes.ts';
import { MAX_ID_LENGTH, MAX_IMAGE_SIDE, MAX_INSTRUCTION_CHARS, MAX_NAME_LENGTH, MAX_PANES, MAX_REFERENCE_LENGTH, MAX_TEXT_LENGTH } from './limits.ts';

export const EXPORT_FORMAT = 'latex-ocr-playground-history';
/** The export file's version: 1 (files without one are read as 1). */
export const EXPORT_VERSION = 1;
/** Files with more entries than this are refused before any is read. */
export const MAX_IMPORT_FILE_ENTRIES = 10_000;

export const ORIGINS = ['upload', 'paste', 'drop', 'drawing', 'example', 'history', 'permalink'] as const;
export const DEVICE_CHOICES = ['auto', 'webgpu', 'wasm'] as const;
export const DEVICES = ['webgpu', 'wasm', 'cpu'] as const;
export const DTYPES = ['fp32', 'fp16', 'q8'] as const;

const finite = v.pipe(v.number(), v.finite());
/** A string cut to `max` characters (long text is kept, shortened, rather than losing the entry). */
const text = (max: number) => v.pipe(v.string(), v.transform((s) => (s.length > max ? s.slice(0, max) : s)));
/** Optional fields that older versions wrote differently: a bad value reads as absent. */
const lenient = <T extends v.GenericSchema>(schema: T) => v.fallback(v.optional(schema), undefined);

const paneSchema = v.pipe(
  v.object({
    id: v.pipe(finite, v.integer(), v.minValue(1), v.maxValue(1_000_000)),
    variant: v.picklist(['original', 'perturbed']),
    modelKey: v.pipe(v.string(), v.nonEmpty(), v.maxLength(MAX_NAME_LENGTH)),
    modelLabel: lenient(text(MAX_NAME_LENGTH)),
    device: v.picklist(DEVICE_CHOICES),
    dtype: lenient(v.picklist(DTYPES)),
    numBeams: lenient(v.picklist(BEAM_WIDTHS as number[])),
    status: v.picklist(['done', 'error']),
    latex: lenient(text(MAX_TEXT_LENGTH)),
    error: lenient(text(MAX_TEXT_LENGTH)),
    ranOn: lenient(v.picklist(DEVICES)),
    ranDtype: lenient(v.picklist(DTYPES)),
    ms: lenient(v.pipe(finite, v.minValue(0))),
    note: lenient(text(MAX_TEXT_LENGTH)),
    // vision-language models: the instruction (an over-long one is refused, not cut: a cut wording is another input) and the raw answer
    instruction: lenient(v.pipe(v.string(), v.maxLength(MAX_INSTRUCTION_CHARS))),
    raw: lenient(text(MAX_TEXT_LENGTH)),
  }),
  v.transform((p): HistoryPane => {
    const out: HistoryPane = { id: p.id, variant: p.variant, modelKey: p.modelKey, modelLabel: p.modelLabel ?? p.modelKey, device: p.device, status: p.status };
    for (const k of ['dtype', 'numBeams', 'latex', 'error', 'ranOn', 'ranDtype', 'ms', 'note', 'instruction', 'raw'] as const) if (p[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = p[k];
    return out;
  }),
);

/** The entry schema, with the image as `image` reads it, dates clamped to `now`. */
export function historyEntrySchema(image: v.GenericSchema<unknown, Blob>, now: number) {
  const date = v.pipe(finite, v.transform((t) => Math.min(now, Math.max(0, t))));
  return v.pipe(
    v.object({
      id: v.pipe(v.string(), v.nonEmpty(), v.maxLength(MAX_ID_LENGTH)),
      createdAt: date,
      updatedAt: v.optional(date),
      input: v.object({
        name: text(MAX_NAME_LENGTH),
        origin: v.fallback(v.picklist(ORIGINS), 'upload'),
        width: v.pipe(finite, v.integer(), v.minValue(1), v.maxValue(MAX_IMAGE_SIDE)),
        height: v.pipe(finite, v.integer(), v.minValue(1), v.maxValue(MAX_IMAGE_SIDE)),
        image,
        strokes: v.optional(strokesSchema),
      }),
      reference: v.fallback(text(MAX_REFERENCE_LENGTH), ''),
      perturb: perturbSchema,
      panes: v.pipe(v.array(paneSchema), v.maxLength(MAX_PANES)),
    }),
    v.transform(
      (e): HistoryEntry => ({
        id: e.id,
        createdAt: e.createdAt,
        updatedAt: e.updatedAt ?? e.createdAt,
        input: { name: e.input.name, origin: e.input.origin, width: e.input.width, height: e.input.height, image: e.input.image, ...(e.input.strokes ? { strokes: e.input.strokes } : {}) },
        reference: e.reference,
        perturb: e.perturb,
        panes: e.panes,
      }),
    ),
  );
}

/** A record as kept in IndexedDB (the image a Blob). */
export const storedImageSchema = v.instance(Blob);

/** The export file around its entries (each entry is read on its own, see parseExportEntry in src/history/store.ts). */
export const exportFileSchema = v.object({
  format: v.literal(EXPORT_FORMAT),
  version: v.optional(finite, EXPORT_VERSION),
  entries: v.pipe(v.array(v.unknown()), v.maxLength(MAX_IMPORT_FILE_ENTRIES)),
});

/** The first problem of a failed parse, as "input.name: Invalid type ...". */
export function firstIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const i = issues[0];
  const path = v.getDotPath(i);
  return path ? `${path}: ${i.message}` : i.message;
}
