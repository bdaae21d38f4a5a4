import { describe, it, expect } from 'vitest';
import { HistoryStore, HistoryQuotaError, HistoryImportError, parseExport, sanitizePerturb, dataUrlToImageBlob, EXPORT_FORMAT, type HistoryKV } from '../../src/history/store.ts';
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
    const json = await src.exportJson();
    const doc = JSON.parse(json);
    expect(doc.format).toBe(EXPORT_FORMAT);
    expect(doc.entries[0].input.image).toMatch(/^data:image\/png;base64,/);

    const dst = new HistoryStore(new FakeKV());
    expect(await dst.importJson(json)).toEqual({ added: 2, skipped: 0 });
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
    expect(await dst.importJson(json)).toEqual({ added: 0, skipped: 2 });
  });

  it('refuses files that are not history exports, with a message', () => {
    expect(() => parseExport('not json')).toThrow(HistoryImportError);
    expect(() => parseExport('{"format":"something else","version":1,"entries":[]}')).toThrow(/not a history export/);
    expect(() => parseExport(`{"format":"${EXPORT_FORMAT}","version":7,"entries":[]}`)).toThrow(/unsupported version/);
    expect(() => parseExport(`{"format":"${EXPORT_FORMAT}","version":1,"entries":[{"id":"x"}]}`)).toThrow(/incomplete/);
  });

  it('refuses images that are not raster data URLs (an SVG can carry scripts)', () => {
    expect(() => dataUrlToImageBlob('data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=')).toThrow(HistoryImportError);
    expect(() => dataUrlToImageBlob('https://example.com/a.png')).toThrow(HistoryImportError);
    expect(dataUrlToImageBlob('data:image/png;base64,iVBORw0K').type).toBe('image/png');
  });

  it('an import that fills the storage reports the quota error; entries stored before stay', async () => {
    const src = new HistoryStore(new FakeKV());
    for (let i = 0; i < 3; i++) await src.save(entry(`e${i}`, i));
    const json = await src.exportJson();
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
});
