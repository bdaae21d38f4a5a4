/**
 * The history store: recognition runs kept in a key-value store (IndexedDB through
 * idb-keyval in the app, see idb.ts; a Map in the unit tests), newest first, capped
 * in size. Also the export/import file format (JSON, images as data URLs). Records
 * read back and imported files are untrusted: both go through one schema
 * (src/schema/history.ts); a bad record is skipped, never the whole history.
 */
import * as v from 'valibot';
import type { HistoryEntry } from './types.ts';
import { base64ToBytes, bytesToBase64 } from '../util/base64.ts';
import { EXPORT_FORMAT, EXPORT_VERSION, exportFileSchema, firstIssue, historyEntrySchema, storedImageSchema } from '../schema/history.ts';
import { MAX_IMPORT_IMAGE_BYTES } from '../schema/limits.ts';

export { EXPORT_FORMAT, EXPORT_VERSION };
export { sanitizePerturb } from '../schema/perturb.ts';

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
  constructor(readonly detail: string) {
    super(`Cannot import this history file: ${detail}`);
    this.name = 'HistoryImportError';
  }
}

export const DEFAULT_MAX_ENTRIES = 200;

/** What an import did: `skipped` were already here, `noRoom` did not fit, `invalid` could not be read. */
export interface ImportReport {
  added: number;
  skipped: number;
  noRoom: number;
  invalid: number;
  /** The first unreadable entry's problem, when some were. */
  problem?: string;
}

export function isQuotaExceeded(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const err = e as { name?: string; code?: number; inner?: unknown };
  return err.name === 'QuotaExceededError' || err.code === 22;
}

export class HistoryStore {
  private listeners = new Set<() => void>();
  private wrote = false;

  constructor(
    private kv: HistoryKV,
    private opts: {
      maxEntries?: number;
      /** Called once, after the first entry this session is stored (the app asks for persistent storage then). */
      onFirstWrite?: () => void;
      now?: () => number;
    } = {},
  ) {}

  private get max() {
    return this.opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  private now() {
    return this.opts.now?.() ?? Date.now();
  }

  /** Called after every change (save, delete, import). */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed() {
    for (const l of this.listeners) l();
  }

  /**
   * All readable entries, newest first, and how many stored records could not be read
   * (written by another version, or damaged): those are skipped, not deleted.
   */
  async read(): Promise<{ entries: HistoryEntry[]; unreadable: number }> {
    const schema = historyEntrySchema(storedImageSchema, this.now());
    const entries: HistoryEntry[] = [];
    let unreadable = 0;
    for (const raw of await this.kv.values()) {
      const r = v.safeParse(schema, raw);
      if (r.success) entries.push(r.output);
      else unreadable++;
    }
    entries.sort((a, b) => b.updatedAt - a.updatedAt || b.createdAt - a.createdAt);
    return { entries, unreadable };
  }

  /** All readable entries, newest first. */
  async list(): Promise<HistoryEntry[]> {
    return (await this.read()).entries;
  }

  /**
   * Saves a run. A run on an input already in the history updates that entry (keeping
   * when it was first made and where the input came from). Throws HistoryQuotaError
   * when storage is full; nothing else changes then.
   */
  async save(entry: HistoryEntry): Promise<void> {
    const old = await this.kv.get(entry.id);
    const oldOrigin = typeof old?.input?.origin === 'string' ? old.input.origin : entry.input.origin;
    const value: HistoryEntry =
      old && typeof old.createdAt === 'number' && Number.isFinite(old.createdAt)
        ? { ...entry, createdAt: old.createdAt, input: { ...entry.input, origin: entry.input.origin === 'history' ? oldOrigin : entry.input.origin } }
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
    if (!this.wrote) {
      this.wrote = true;
      this.opts.onFirstWrite?.();
    }
  }

  /** Keeps the newest maxEntries (after the visitor's own runs: an import never evicts, see importJson). */
  private async trim() {
    const all = await this.list();
    for (const e of all.slice(this.max)) await this.kv.del(e.id);
  }

  async remove(id: string): Promise<void> {
    await this.kv.del(id);
    this.changed();
  }

  async clear(): Promise<void> {
    for (const e of await this.kv.values()) if (e && typeof e.id === 'string') await this.kv.del(e.id);
    this.changed();
  }

  /**
   * The whole history as an export file (images as PNG data URLs), built as a Blob
   * from one part per entry: no single string holds the whole file (browsers cap
   * strings at about 512 MB), and each entry's text can be released once in the Blob.
   */
  async exportBlob(): Promise<Blob> {
    const entries = await this.list();
    const head = `{"format":${JSON.stringify(EXPORT_FORMAT)},"version":${EXPORT_VERSION},"exportedAt":${JSON.stringify(new Date(this.now()).toISOString())},"count":${entries.length},"entries":[\n`;
    const parts: BlobPart[] = [head];
    for (const [i, e] of entries.entries()) parts.push(await entryPart(e, i === entries.length - 1 ? '\n' : ',\n'));
    parts.push(']}\n');
    return new Blob(parts, { type: 'application/json' });
  }

  /**
   * Adds the entries of an exported file. Entries already present (same id) are
   * skipped; the visitor's own entries are never evicted: only as many are added as
   * there is room for (maxEntries), the rest counted in `noRoom`. Unreadable entries
   * are skipped and counted. Throws HistoryImportError for a file that is not a valid
   * export (or has no readable entry), and HistoryQuotaError when storage fills up
   * (the entries stored before stay).
   */
  async importJson(text: string): Promise<ImportReport> {
    const raws = readExportFile(text);
    const have = await this.read();
    const ids = new Set(have.entries.map((e) => e.id));
    let room = Math.max(0, this.max - have.entries.length);
    const report: ImportReport = { added: 0, skipped: 0, noRoom: 0, invalid: 0 };
    const now = this.now();
    try {
      for (const raw of raws) {
        const id = (raw as { id?: unknown } | null)?.id;
        if (typeof id === 'string' && ids.has(id)) {
          report.skipped++;
          continue;
        }
        if (room <= 0) {
          report.noRoom++;
          continue;
        }
        let e: HistoryEntry;
        try {
          e = parseExportEntry(raw, now);
        } catch (err) {
          report.invalid++;
          report.problem ??= err instanceof HistoryImportError ? err.detail : String(err);
          continue;
        }
        // an id the store holds as an unreadable record is not overwritten either
        if (ids.has(e.id) || (await this.kv.get(e.id))) {
          report.skipped++;
          continue;
        }
        await this.put(e);
        ids.add(e.id);
        room--;
        report.added++;
      }
    } finally {
      if (report.added) this.changed();
    }
    if (raws.length && report.invalid === raws.length) throw new HistoryImportError(`no entry could be read (${report.problem}).`);
    return report;
  }
}

/** One entry of the export file, with its separator, as a Blob (the image's base64 goes in as its own part). */
async function entryPart(e: HistoryEntry, sep: string): Promise<Blob> {
  const { image, ...input } = e.input;
  // the image is the last value written: its placeholder is found with lastIndexOf, whatever the text before holds
  const placeholder = '@image@';
  const marker = JSON.stringify(placeholder);
  const json = JSON.stringify({ id: e.id, createdAt: e.createdAt, updatedAt: e.updatedAt, reference: e.reference, perturb: e.perturb, panes: e.panes, input: { ...input, image: placeholder } });
  const at = json.lastIndexOf(marker);
  const type = image.type || 'application/octet-stream';
  return new Blob([json.slice(0, at), `"data:${type};base64,`, bytesToBase64(new Uint8Array(await image.arrayBuffer())), '"', json.slice(at + marker.length), sep]);
}

// --- export format -------------------------------------------------------------

export async function blobToDataUrl(blob: Blob): Promise<string> {
  return `data:${blob.type || 'application/octet-stream'};base64,${bytesToBase64(new Uint8Array(await blob.arrayBuffer()))}`;
}

/** A data URL of an image (PNG, JPEG, WebP or GIF only: never SVG, which can hold scripts). */
export function dataUrlToImageBlob(url: string): Blob {
  const m = /^data:(image\/(?:png|jpeg|webp|gif));base64,([A-Za-z0-9+/=\s]*)$/.exec(url);
  if (!m) throw new HistoryImportError('an entry image is not a PNG, JPEG, WebP or GIF data URL.');
  if ((m[2].length * 3) / 4 > MAX_IMPORT_IMAGE_BYTES) throw new HistoryImportError('an entry image is too large.');
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = base64ToBytes(m[2]);
  } catch {
    throw new HistoryImportError('an entry image is not valid base64.');
  }
  return new Blob([bytes], { type: m[1] });
}

/** The image of an exported entry: a raster data URL, as a Blob. */
const dataUrlImageSchema = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return dataUrlToImageBlob(dataset.value);
    } catch (e) {
      addIssue({ message: e instanceof HistoryImportError ? e.detail : String(e) });
      return NEVER;
    }
  }),
);

/** The entries of an export file, unread (each is read by parseExportEntry). */
export function readExportFile(text: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new HistoryImportError('it is not JSON.');
  }
  if (!doc || typeof doc !== 'object' || (doc as { format?: unknown }).format !== EXPORT_FORMAT) throw new HistoryImportError(`it is not a history export (format "${EXPORT_FORMAT}").`);
  const version = (doc as { version?: unknown }).version;
  if (version !== undefined && version !== EXPORT_VERSION) throw new HistoryImportError(`unsupported version ${String(version)} (this app reads version ${EXPORT_VERSION}).`);
  const r = v.safeParse(exportFileSchema, doc);
  if (!r.success) throw new HistoryImportError(r.issues[0].type === 'max_length' ? `it has more than ${r.issues[0].requirement} entries.` : `it has no entries (${firstIssue(r.issues)}).`);
  return r.output.entries;
}

/** One entry of an export file, checked (dates clamped to `now`, image decoded); throws HistoryImportError. */
export function parseExportEntry(raw: unknown, now = Date.now()): HistoryEntry {
  const r = v.safeParse(historyEntrySchema(dataUrlImageSchema, now), raw);
  if (!r.success) throw new HistoryImportError(`an entry is incomplete or not valid (${firstIssue(r.issues)}).`);
  return r.output;
}

/** Validates a whole export file and turns it back into entries (images as Blobs); throws at the first bad entry. */
export function parseExport(text: string, now = Date.now()): HistoryEntry[] {
  return readExportFile(text).map((e) => parseExportEntry(e, now));
}
