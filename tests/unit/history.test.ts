import { describe, it, expect } from 'vitest';
import { HistoryStore, HistoryQuotaError, HistoryImportError, parseExport, sanitizePerturb, dataUrlToImageBlob, blobToDataUrl, EXPORT_FORMAT, type HistoryKV } from '../../src/history/store.ts';
import { requestPersistentStorage } from '../../src/history/persist.ts';
import { MAX_IMPORT_FILE_ENTRIES } from '../../src/schema/history.ts';
import { MAX_REFERENCE_LENGTH } from '../../src/schema/limits.ts';
import type { HistoryEntry } from '../../src/history/types.ts';
import { DEFAULT_PERTURB } from '../../src/perturb/types.ts';

/** An in-memory stand-in for IndexedDB; `failWith` makes set() throw (e.g. a quota error). */
class FakeKV implements HistoryKV {
  map = new Map<string, HistoryEntry>();
  failWith: unknown = null;
  async get(k: string) {
    return this.map.get(k);
  }
  async set(k: string, v: HistoryEntry) {
    if (this.failWith) throw this.failWith;
    this.map.set(k, structuredClone(v));
  }
  async del(k: string) {
    this.map.delete(k);
  }
  async values() {
    return [...this.map.values()];
  }
}

// 1x1 PNG
const PNG = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0));

function entry(id: string, t: number, extra: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id,
    createdAt: t,
    updatedAt: t,
    input: { name: `${id}.png`, origin: 'upload', width: 1, height: 1, image: new Blob([PNG], { type: 'image/png' }) },
    reference: 'a^2',
    perturb: { ...DEFAULT_PERTURB, ink: '#ffffff', paper: '#1e40af' },
    panes: [
      { id: 1, variant: 'original', modelKey: 'builtin:augmented', modelLabel: 'Augmented', device: 'auto', status: 'done', latex: 'a^{2}', ranOn: 'wasm', ms: 12 },
      { id: 2, variant: 'perturbed', modelKey: 'builtin:narrow', modelLabel: 'Narrow', device: 'wasm', status: 'error', error: 'boom' },
    ],
    ...extra,
  };
}

function quotaError() {
  // what IndexedDB throws when the origin's storage is full
  return new DOMException('The quota has been exceeded.', 'QuotaExceededError');
}

describe('HistoryStore', () => {
  it('lists newest first and notifies listeners on changes', async () => {
    const store = new HistoryStore(new FakeKV());
    let changes = 0;
    store.subscribe(() => changes++);
    await store.save(entry('a', 1));
    await store.save(entry('b', 3));
    await store.save(entry('c', 2));
    expect((await store.list()).map((e) => e.id)).toEqual(['b', 'c', 'a']);
    await store.remove('c');
    expect((await store.list()).map((e) => e.id)).toEqual(['b', 'a']);
    expect(changes).toBe(4);
  });

  it('a re-run on the same input updates its entry, keeping when it was made and where the input came from', async () => {
    const store = new HistoryStore(new FakeKV());
    await store.save(entry('a', 1));
    await store.save(entry('a', 5, { input: { ...entry('a', 5).input, origin: 'history' }, reference: 'b' }));
    const all = await store.list();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id: 'a', createdAt: 1, updatedAt: 5, reference: 'b' });
    expect(all[0].input.origin).toBe('upload');
  });

  it('keeps only the newest maxEntries', async () => {
    const store = new HistoryStore(new FakeKV(), { maxEntries: 3 });
    for (let i = 0; i < 5; i++) await store.save(entry(`e${i}`, i));
    expect((await store.list()).map((e) => e.id)).toEqual(['e4', 'e3', 'e2']);
  });

  it('turns a quota error into HistoryQuotaError and changes nothing', async () => {
    const kv = new FakeKV();
    const store = new HistoryStore(kv);
    await store.save(entry('a', 1));
    let changes = 0;
    store.subscribe(() => changes++);
    kv.failWith = quotaError();
    const err = await store.save(entry('b', 2)).catch((e) => e);
    expect(err).toBeInstanceOf(HistoryQuotaError);
    expect(err.message).toMatch(/Storage is full/);
    expect((await store.list()).map((e) => e.id)).toEqual(['a']);
    expect(changes).toBe(0);
    // other errors pass through unchanged
    kv.failWith = new Error('disk on fire');
    await expect(store.save(entry('c', 3))).rejects.toThrow('disk on fire');
  });

  it('clear() removes everything', async () => {
    const store = new HistoryStore(new FakeKV());
    await store.save(entry('a', 1));
    await store.save(entry('b', 2));
    await store.clear();
    expect(await store.list()).toEqual([]);
  });
});

describe('export and import', () => {
  it('round-trips entries, images included, through the JSON file', async () => {
    const src = new HistoryStore(new FakeKV());
    const strokes = [{ width: 3, points: [{ x: 1, y: 2, pressure: 0.5 }, { x: 3, y: 4, pressure: 0.5 }] }];
    await src.save(entry('a', 1, { input: { ...entry('a', 1).input, origin: 'drawing', strokes } }));
    await src.save(entry('b', 2));
    const json = await (await src.exportBlob()).text();
    const doc = JSON.parse(json);
    expect(doc.format).toBe(EXPORT_FORMAT);
    expect(doc.entries[0].input.image).toMatch(/^data:image\/png;base64,/);

    const dst = new HistoryStore(new FakeKV());
    expect(await dst.importJson(json)).toEqual({ added: 2, skipped: 0, noRoom: 0, invalid: 0 });
    const back = await dst.list();
    expect(back.map((e) => e.id)).toEqual(['b', 'a']);
    const a = back[1];
    expect(a.input.strokes).toEqual(strokes);
    expect(a.input.origin).toBe('drawing');
    expect(a.panes).toEqual(entry('a', 1).panes);
    expect(a.perturb).toEqual(entry('a', 1).perturb);
    expect(new Uint8Array(await a.input.image.arrayBuffer())).toEqual(PNG);
    expect(a.input.image.type).toBe('image/png');

    // importing again adds nothing
    expect(await dst.importJson(json)).toEqual({ added: 0, skipped: 2, noRoom: 0, invalid: 0 });
  });

  it('refuses files that are not history exports, with a message', () => {
    expect(() => parseExport('not json')).toThrow(HistoryImportError);
    expect(() => parseExport('{"format":"something else","version":1,"entries":[]}')).toThrow(/not a history export/);
    expect(() => parseExport(`{"format":"${EXPORT_FORMAT}","version":7,"entries":[]}`)).toThrow(/unsupported version/);
    expect(() => parseExport(`{"format":"${EXPORT_FORMAT}","version":1,"entries":[{"id":"x"}]}`)).toThrow(/incomplete/);
    expect(() => parseExport(`{"format":"${EXPORT_FORMAT}","version":1,"entries":{}}`)).toThrow(/no entries/);
  });

  it('refuses images that are not raster data URLs (an SVG can carry scripts)', () => {
    expect(() => dataUrlToImageBlob('data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=')).toThrow(HistoryImportError);
    expect(() => dataUrlToImageBlob('https://example.com/a.png')).toThrow(HistoryImportError);
    expect(dataUrlToImageBlob('data:image/png;base64,iVBORw0K').type).toBe('image/png');
  });

  it('an import that fills the storage reports the quota error; entries stored before stay', async () => {
    const src = new HistoryStore(new FakeKV());
    for (let i = 0; i < 3; i++) await src.save(entry(`e${i}`, i));
    const json = await (await src.exportBlob()).text();
    const kv = new FakeKV();
    const dst = new HistoryStore(kv);
    let n = 0;
    const set = kv.set.bind(kv);
    kv.set = async (k, v) => {
      if (++n > 1) throw quotaError();
      return set(k, v);
    };
    await expect(dst.importJson(json)).rejects.toBeInstanceOf(HistoryQuotaError);
    expect(await dst.list()).toHaveLength(1);
  });

  it('sanitizePerturb keeps known settings of the right type and defaults the rest', () => {
    expect(sanitizePerturb({ ink: '#ff0000', hue: 'x', blur: Infinity, evil: 1, scale: 2 })).toEqual({ ...DEFAULT_PERTURB, ink: '#ff0000', scale: 2 });
    expect(sanitizePerturb(null)).toEqual(DEFAULT_PERTURB);
  });

  /** An export file of these entries (images as data URLs), with `patch` applied to each entry. */
  async function file(list: HistoryEntry[], patch: (e: Record<string, unknown>, i: number) => void = () => {}, top: Record<string, unknown> = { version: 1 }) {
    const out = [];
    for (const [i, e] of list.entries()) {
      const raw: Record<string, unknown> = { ...e, input: { ...e.input, image: await blobToDataUrl(e.input.image) } };
      patch(raw, i);
      out.push(raw);
    }
    return JSON.stringify({ format: EXPORT_FORMAT, ...top, entries: out });
  }

  it('the export is versioned; a file without a version is read as version 1, a newer one refused', async () => {
    const src = new HistoryStore(new FakeKV());
    await src.save(entry('a', 1));
    expect(JSON.parse(await (await src.exportBlob()).text())).toMatchObject({ format: EXPORT_FORMAT, version: 1, count: 1 });
    expect(await new HistoryStore(new FakeKV()).importJson(await file([entry('a', 1)], undefined, {}))).toMatchObject({ added: 1 });
    await expect(new HistoryStore(new FakeKV()).importJson(await file([entry('a', 1)], undefined, { version: 2 }))).rejects.toThrow(/unsupported version 2/);
  });

  it('the export is a Blob built entry by entry; text that looks like the image placeholder survives', async () => {
    const src = new HistoryStore(new FakeKV());
    await src.save(entry('a', 1, { reference: '"@image@" \\frac{a}{b}' }));
    await src.save(entry('b', 2, { input: { ...entry('b', 2).input, name: '@image@' } }));
    const blob = await src.exportBlob();
    expect(blob).toBeInstanceOf(Blob);
    expect(blob.type).toBe('application/json');
    const dst = new HistoryStore(new FakeKV());
    expect(await dst.importJson(await blob.text())).toMatchObject({ added: 2, invalid: 0 });
    const back = await dst.list();
    expect(back.find((e) => e.id === 'a')!.reference).toBe('"@image@" \\frac{a}{b}');
    expect(back.find((e) => e.id === 'b')!.input.name).toBe('@image@');
    expect(new Uint8Array(await back[0].input.image.arrayBuffer())).toEqual(PNG);
  });

  it('dates from the future are clamped to now on import (they would stay on top for ever)', async () => {
    const now = 1_700_000_000_000;
    const dst = new HistoryStore(new FakeKV(), { now: () => now });
    await dst.importJson(await file([entry('future', now + 1e12)]));
    const [e] = await dst.list();
    expect(e.updatedAt).toBe(now);
    expect(e.createdAt).toBe(now);
  });

  it("an import never evicts the visitor's own entries: what does not fit is skipped and counted", async () => {
    const dst = new HistoryStore(new FakeKV(), { maxEntries: 3 });
    await dst.save(entry('mine1', 1));
    await dst.save(entry('mine2', 2));
    const theirs = Array.from({ length: 5 }, (_, i) => entry(`theirs${i}`, 100 + i));
    expect(await dst.importJson(await file(theirs))).toEqual({ added: 1, skipped: 0, noRoom: 4, invalid: 0 });
    const ids = (await dst.list()).map((e) => e.id);
    expect(ids).toContain('mine1');
    expect(ids).toContain('mine2');
    expect(ids).toHaveLength(3);
  });

  it('a file with too many entries is refused before any is read', async () => {
    const text = JSON.stringify({ format: EXPORT_FORMAT, version: 1, entries: Array.from({ length: MAX_IMPORT_FILE_ENTRIES + 1 }, () => ({})) });
    await expect(new HistoryStore(new FakeKV()).importJson(text)).rejects.toThrow(/more than 10000 entries/);
  });

  it('unreadable entries are skipped and counted; the readable ones are added; settings are clamped to their limits', async () => {
    const dst = new HistoryStore(new FakeKV());
    const text = await file([entry('ok', 1), entry('bad', 2), entry('huge', 3)], (e, i) => {
      if (i === 1) (e.input as Record<string, unknown>).width = 'wide';
      if (i === 2) e.perturb = { ...DEFAULT_PERTURB, blur: 1e6, scale: 10, margin: 2000 };
    });
    const r = await dst.importJson(text);
    expect(r).toMatchObject({ added: 2, invalid: 1 });
    expect(r.problem).toMatch(/input\.width/);
    const huge = (await dst.list()).find((e) => e.id === 'huge')!;
    expect(huge.perturb).toMatchObject({ blur: 6, scale: 3, margin: 200 });
  });

  it('bounds every string and list of an imported entry', async () => {
    const dst = new HistoryStore(new FakeKV());
    const text = await file([entry('long', 1), entry('panes', 2)], (e, i) => {
      if (i === 0) e.reference = 'x'.repeat(100_000);
      if (i === 1) e.panes = Array.from({ length: 50 }, (_, k) => ({ ...entry('panes', 2).panes[0], id: k + 1 }));
    });
    const r = await dst.importJson(text);
    expect(r).toMatchObject({ added: 1, invalid: 1 });
    expect(r.problem).toMatch(/^an entry is incomplete or not valid \(panes: /);
    expect((await dst.list())[0].reference).toHaveLength(MAX_REFERENCE_LENGTH);
    // a file none of whose entries can be read is refused as a whole, with the first problem
    await expect(dst.importJson(await file([entry('p2', 2)], (e) => (e.panes = 'none')))).rejects.toThrow(/^Cannot import this history file: no entry could be read \(an entry is incomplete or not valid \(panes: /);
  });
});

describe('stored records', () => {
  it('a bad stored record is skipped and counted, never breaks the list', async () => {
    const kv = new FakeKV();
    const store = new HistoryStore(kv);
    await store.save(entry('good', 1));
    kv.map.set('junk', { id: 'junk' } as unknown as HistoryEntry);
    kv.map.set('older', { ...entry('older', 2), createdAt: 'yesterday' } as unknown as HistoryEntry);
    kv.map.set('null', null as unknown as HistoryEntry);
    const { entries, unreadable } = await store.read();
    expect(entries.map((e) => e.id)).toEqual(['good']);
    expect(unreadable).toBe(3);
    expect((await store.list()).map((e) => e.id)).toEqual(['good']);
    // saving and trimming still work around them
    await store.save(entry('next', 3));
    expect((await store.list()).map((e) => e.id)).toEqual(['next', 'good']);
  });

  it('stored settings out of range (an old import) are clamped when read', async () => {
    const kv = new FakeKV();
    kv.map.set('old', entry('old', 1, { perturb: { ...DEFAULT_PERTURB, blur: 1e6 } }));
    const [e] = await new HistoryStore(kv).list();
    expect(e.perturb.blur).toBe(6);
  });
});

describe('persistent storage', () => {
  it('is asked for once, when the history is first written', async () => {
    let asked = 0;
    const store = new HistoryStore(new FakeKV(), { onFirstWrite: () => asked++ });
    expect(asked).toBe(0);
    await store.save(entry('a', 1));
    await store.save(entry('b', 2));
    expect(asked).toBe(1);
  });

  it('requestPersistentStorage copes with browsers without the API, refusals and errors', async () => {
    expect(await requestPersistentStorage(undefined)).toBe(false);
    expect(await requestPersistentStorage({})).toBe(false);
    let asked = 0;
    expect(await requestPersistentStorage({ persisted: async () => true, persist: async () => (asked++, true) })).toBe(true);
    expect(asked).toBe(0);
    expect(await requestPersistentStorage({ persisted: async () => false, persist: async () => (asked++, false) })).toBe(false);
    expect(asked).toBe(1);
    expect(await requestPersistentStorage({ persist: () => Promise.reject(new Error('no')) })).toBe(false);
  });
});
