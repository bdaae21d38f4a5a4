/**
 * Asks the browser to keep this origin's storage (the history, the offline models) when
 * it runs short of space: without it, IndexedDB is "best effort" and may be evicted.
 * Asked when the history is first written in a session, not on load: a browser that
 * shows a prompt (Firefox) shows it when there is something worth keeping. Browsers
 * without the Storage API, or that refuse, simply keep best-effort storage.
 */
type PersistApi = Partial<Pick<StorageManager, 'persist' | 'persisted'>>;

export async function requestPersistentStorage(storage: PersistApi | undefined = globalThis.navigator?.storage): Promise<boolean> {
  try {
    if (!storage?.persist) return false;
    if (storage.persisted && (await storage.persisted())) return true;
    return await storage.persist();
  } catch {
    return false;
  }
}
