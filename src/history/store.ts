/**
 * The history store: recognition runs kept in a key-value store (IndexedDB through
 * idb-keyval in the app, see idb.ts; a Map in the unit tests), newest first, capped
 * in size. Also the export/import file format (JSON, images as data URLs) and its
 * validation: an imported file is untrusted input.
 */
import { DEFAULT_PERTURB, type PerturbOptions } from '../perturb/types.ts';
import type { HistoryEntry, HistoryPane } from './types.ts';
import type { Stroke } from '../draw/strokes.ts';
import { BEAM_WIDTHS } from '../model/beam.ts';

/** The storage the history lives in (values are structured-cloned, Blobs included). */
export interface HistoryKV {
  get(key: string): Promise<HistoryEntry | undefined>;
  set(key: string, value: HistoryEntry): Promise<void>;
  del(key: string): Promise<void>;
  values(): Promise<HistoryEntry[]>;
}

/** The browser refused to store more ("QuotaExceededError"). */
export class HistoryQuotaError extends Error {
  constructor() {
    super('Storage is full: this run was not saved to the history. Delete old history entries (or export them first) to save new ones.');
    this.name = 'HistoryQuotaError';
  }
}

export class HistoryImportError extends Error {
  constructor(message: string) {
    super(`Cannot import this history file: ${message}`);
    this.name = 'HistoryImportError';
  }
}

export const EXPORT_FORMAT = 'latex-ocr-playground-history';
export const DEFAULT_MAX_ENTRIES = 200;
/** Images in an imported file larger than this are refused (data URLs of decoded PNGs). */
const MAX_IMPORT_IMAGE_BYTES = 20 * 1024 * 1024;

export function isQuotaExceeded(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const err = e as { name?: string; code?: number; inner?: unknown };
  return err.name === 'QuotaExceededError' || err.code === 22;
}

export class HistoryStore {
  private listeners = new Set<() => void>();

  constructor(
    private kv: HistoryKV,
    private opts: { maxEntries?: number } = {},
  ) {}

  /** Called after every change (save, delete, import). */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed() {
    for (const l of this.listeners) l();
  }

  /** All entries, newest first. */
  async list(): Promise<HistoryEntry[]> {
    const all = await this.kv.values();
    return all.filter(Boolean).sort((a, b) => b.updatedAt - a.updatedAt || b.createdAt - a.createdAt);
  }

  /**
   * Saves a run. A run on an input already in the history updates that entry (keeping
   * when it was first made and where the input came from). Throws HistoryQuotaError
   * when storage is full; nothing else changes then.
   */
  async save(entry: HistoryEntry): Promise<void> {
    const old = await this.kv.get(entry.id);
    const value: HistoryEntry = old
      ? { ...entry, createdAt: old.createdAt, input: { ...entry.input, origin: entry.input.origin === 'history' ? old.input.origin : entry.input.origin } }
      : entry;
    await this.put(value);
    await this.trim();
    this.changed();
  }

  private async put(value: HistoryEntry) {
    try {
      await this.kv.set(value.id, value);
    } catch (e) {
      if (isQuotaExceeded(e)) throw new HistoryQuotaError();
      throw e;
    }
  }

  /** Keeps the newest maxEntries. */
  private async trim() {
    const max = this.opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    const all = await this.list();
    for (const e of all.slice(max)) await this.kv.del(e.id);
  }

  async remove(id: string): Promise<void> {
    await this.kv.del(id);
    this.changed();
  }

  async clear(): Promise<void> {
    for (const e of await this.kv.values()) await this.kv.del(e.id);
    this.changed();
  }

  /** The whole history as a JSON document (images as PNG data URLs). */
  async exportJson(): Promise<string> {
    const entries = await this.list();
    const out = [];
    for (const e of entries) out.push({ ...e, input: { ...e.input, image: await blobToDataUrl(e.input.image) } });
    return JSON.stringify({ format: EXPORT_FORMAT, version: 1, exportedAt: new Date().toISOString(), entries: out }, null, 1);
  }

  /**
   * Adds the entries of an exported file. Entries already present (same id) are
   * skipped. Throws HistoryImportError for a file that is not a valid export, and
   * HistoryQuotaError when storage fills up (the entries stored before stay).
   */
  async importJson(text: string): Promise<{ added: number; skipped: number }> {
    const entries = parseExport(text);
    let added = 0;
    let skipped = 0;
    try {
      for (const e of entries) {
        if (await this.kv.get(e.id)) {
          skipped++;
          continue;
        }
        await this.put(e);
        added++;
      }
    } finally {
      if (added) {
        await this.trim();
        this.changed();
      }
    }
    return { added, skipped };
  }
}

// --- export format -------------------------------------------------------------

export async function blobToDataUrl(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${blob.type || 'application/octet-stream'};base64,${btoa(bin)}`;
}

/** A data URL of an image (PNG, JPEG, WebP or GIF only: never SVG, which can hold scripts). */
export function dataUrlToImageBlob(url: string): Blob {
  const m = /^data:(image\/(?:png|jpeg|webp|gif));base64,([A-Za-z0-9+/=\s]*)$/.exec(url);
  if (!m) throw new HistoryImportError('an entry image is not a PNG, JPEG, WebP or GIF data URL.');
  if ((m[2].length * 3) / 4 > MAX_IMPORT_IMAGE_BYTES) throw new HistoryImportError('an entry image is too large.');
  const bin = atob(m[2].replace(/\s/g, ''));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type: m[1] });
}

const ORIGINS = new Set(['upload', 'paste', 'drop', 'drawing', 'example', 'history', 'permalink']);
const DEVICE_CHOICES = new Set(['auto', 'webgpu', 'wasm']);
const DEVICES = new Set(['webgpu', 'wasm', 'cpu']);
const DTYPES = new Set(['fp32', 'fp16', 'q8']);

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optional = <T>(v: unknown, ok: (v: unknown) => v is T): T | undefined => (ok(v) ? v : undefined);

/** Known perturbation settings of the right type, defaults for the rest (files from older versions). */
export function sanitizePerturb(p: unknown): PerturbOptions {
  const out: PerturbOptions = { ...DEFAULT_PERTURB };
  if (!p || typeof p !== 'object') return out;
  for (const k of Object.keys(DEFAULT_PERTURB) as (keyof PerturbOptions)[]) {
    const v = (p as Record<string, unknown>)[k];
    if (typeof v === typeof DEFAULT_PERTURB[k] && (typeof v !== 'number' || Number.isFinite(v))) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}

function parseStrokes(v: unknown): Stroke[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new HistoryImportError('bad strokes.');
  return v.map((s) => {
    if (!s || !Array.isArray(s.points) || !isNum(s.width)) throw new HistoryImportError('bad stroke.');
    return {
      width: s.width,
      realPressure: s.realPressure === true ? true : undefined,
      points: s.points.map((p: unknown) => {
        const q = p as Record<string, unknown>;
        if (!q || !isNum(q.x) || !isNum(q.y) || !isNum(q.pressure)) throw new HistoryImportError('bad stroke point.');
        return { x: q.x, y: q.y, pressure: q.pressure };
      }),
    };
  });
}

function parsePane(v: unknown): HistoryPane {
  const p = v as Record<string, unknown>;
  if (!p || !isNum(p.id) || !isStr(p.modelKey) || !DEVICE_CHOICES.has(p.device as string) || (p.variant !== 'original' && p.variant !== 'perturbed')) {
    throw new HistoryImportError('bad pane.');
  }
  if (p.status !== 'done' && p.status !== 'error') throw new HistoryImportError('bad pane status.');
  return {
    id: p.id,
    variant: p.variant,
    modelKey: p.modelKey,
    modelLabel: isStr(p.modelLabel) ? p.modelLabel : p.modelKey,
    device: p.device as HistoryPane['device'],
    dtype: DTYPES.has(p.dtype as string) ? (p.dtype as HistoryPane['dtype']) : undefined,
    numBeams: BEAM_WIDTHS.includes(p.numBeams as number) ? (p.numBeams as number) : undefined,
    status: p.status,
    latex: optional(p.latex, isStr),
    error: optional(p.error, isStr),
    ranOn: DEVICES.has(p.ranOn as string) ? (p.ranOn as HistoryPane['ranOn']) : undefined,
    ranDtype: DTYPES.has(p.ranDtype as string) ? (p.ranDtype as HistoryPane['ranDtype']) : undefined,
    ms: optional(p.ms, isNum),
    note: optional(p.note, isStr),
  };
}

/** Validates an exported file and turns it back into entries (images as Blobs). */
export function parseExport(text: string): HistoryEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new HistoryImportError('it is not JSON.');
  }
  const d = doc as Record<string, unknown>;
  if (!d || d.format !== EXPORT_FORMAT) throw new HistoryImportError(`it is not a history export (format "${EXPORT_FORMAT}").`);
  if (d.version !== 1) throw new HistoryImportError(`unsupported version ${String(d.version)}.`);
  if (!Array.isArray(d.entries)) throw new HistoryImportError('it has no entries.');
  return d.entries.map((raw): HistoryEntry => {
    const e = raw as Record<string, unknown>;
    const input = e?.input as Record<string, unknown> | undefined;
    if (!e || !isStr(e.id) || !e.id || !isNum(e.createdAt) || !input || !isStr(input.name) || !isStr(input.image)) {
      throw new HistoryImportError('an entry is incomplete.');
    }
    if (!isNum(input.width) || !isNum(input.height)) throw new HistoryImportError('an entry has no image size.');
    if (!Array.isArray(e.panes)) throw new HistoryImportError('an entry has no panes.');
    return {
      id: e.id,
      createdAt: e.createdAt,
      updatedAt: isNum(e.updatedAt) ? e.updatedAt : e.createdAt,
      input: {
        name: input.name,
        origin: (ORIGINS.has(input.origin as string) ? input.origin : 'upload') as HistoryEntry['input']['origin'],
        width: input.width,
        height: input.height,
        image: dataUrlToImageBlob(input.image),
        strokes: parseStrokes(input.strokes),
      },
      reference: isStr(e.reference) ? e.reference : '',
      perturb: sanitizePerturb(e.perturb),
      panes: e.panes.map(parsePane),
    };
  });
}
