/** The app's history store, in IndexedDB (database "latex-ocr-history") through idb-keyval. */
import { createStore, del, get, set, values } from 'idb-keyval';
import { HistoryStore, type HistoryKV } from './store.ts';
import { requestPersistentStorage } from './persist.ts';
import type { HistoryEntry } from './types.ts';

let store: HistoryStore | null = null;

export function historyStore(): HistoryStore {
  if (!store) {
    const db = createStore('latex-ocr-history', 'runs');
    const kv: HistoryKV = {
      get: (key) => get<HistoryEntry>(key, db),
      set: (key, value) => set(key, value, db),
      del: (key) => del(key, db),
      values: () => values<HistoryEntry>(db),
    };
    store = new HistoryStore(kv, { onFirstWrite: () => void requestPersistentStorage() });
  }
  return store;
}
