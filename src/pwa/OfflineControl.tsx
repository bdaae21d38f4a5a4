/**
 * "Make available offline": downloads every file of the built-in models (listed in
 * models/index.json) into the model cache, with progress in files and bytes. On start
 * (online) it also drops cached files of models that were retrained since.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApp } from '../app/context.tsx';
import {
  fillModelCache,
  formatBytes,
  isQuotaError,
  loadModelIndex,
  modelCacheStatus,
  modelsRoot,
  pruneStaleModelFiles,
  type FillProgress,
  type ModelIndex,
  type OfflineStatus,
} from './modelCache.ts';

const ROOT = modelsRoot(import.meta.env.BASE_URL, location.origin);

export function OfflineControl() {
  const { state, dispatch } = useApp();
  const [index, setIndex] = useState<ModelIndex | null>(null);
  const [status, setStatus] = useState<OfflineStatus | null>(null);
  const [progress, setProgress] = useState<FillProgress | null>(null);
  const [online, setOnline] = useState(navigator.onLine);
  const abort = useRef<AbortController | null>(null);

  const refresh = useCallback(async () => {
    const got = await loadModelIndex(ROOT);
    if (!got) return null;
    if (got.fresh) {
      const dropped = await pruneStaleModelFiles(ROOT, got.index).catch(() => []);
      if (dropped.length) console.info(`Dropped ${dropped.length} outdated model file(s) from the offline cache.`);
    }
    setIndex(got.index);
    setStatus(await modelCacheStatus(ROOT, got.index));
    return got.index;
  }, []);

  useEffect(() => {
    void refresh().catch(() => undefined);
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
      abort.current?.abort();
    };
  }, [refresh]);

  // the worker stores model files as it loads them: recount after recognitions
  useEffect(() => {
    if (!index || progress) return;
    const t = setTimeout(() => void modelCacheStatus(ROOT, index).then(setStatus, () => undefined), 500);
    return () => clearTimeout(t);
  }, [state.results, index, progress]);

  const run = async () => {
    const ctl = new AbortController();
    abort.current = ctl;
    try {
      const idx = (await refresh()) ?? index;
      if (!idx) throw new Error('The list of built-in models (models/index.json) could not be loaded.');
      // ask the browser not to evict the models under storage pressure (it may say no)
      await navigator.storage?.persist?.().catch(() => false);
      setProgress({ files: 0, bytes: 0, cachedFiles: 0, cachedBytes: 0 });
      const done = await fillModelCache(ROOT, idx, setProgress, ctl.signal);
      setStatus(done);
    } catch (e) {
      if (ctl.signal.aborted) return;
      const why = e instanceof Error ? e.message : String(e);
      dispatch({
        type: 'alert',
        message: isQuotaError(e)
          ? 'Not enough storage space to keep the models offline. Free some space (or delete old history) and try again; what was downloaded so far is kept.'
          : `Could not make the models available offline: ${why}`,
      });
      if (index) setStatus(await modelCacheStatus(ROOT, index).catch(() => null));
    } finally {
      setProgress(null);
      abort.current = null;
    }
  };

  const complete = !!status && status.files > 0 && status.cachedFiles === status.files;
  return (
    <div className="offline-control">
      {progress ? (
        <>
          <progress
            aria-label="Downloading models for offline use"
            max={progress.bytes || 1}
            value={progress.cachedBytes}
          />
          <span role="status" className="offline-status">
            {progress.cachedFiles} / {progress.files} files, {formatBytes(progress.cachedBytes)} / {formatBytes(progress.bytes)}
          </span>
          <button type="button" onClick={() => abort.current?.abort()}>
            Cancel download
          </button>
        </>
      ) : (
        <>
          <button type="button" onClick={() => void run()} disabled={!online && !complete} title={online ? undefined : 'Needs a network connection'}>
            Make available offline
          </button>
          <span role="status" className="offline-status" aria-label="Offline availability">
            {!online ? 'Offline. ' : ''}
            {status
              ? complete
                ? `Built-in models available offline (${status.files} files, ${formatBytes(status.bytes)}).`
                : `${status.cachedFiles} of ${status.files} model files stored offline (${formatBytes(status.cachedBytes)} of ${formatBytes(status.bytes)}).`
              : ''}
          </span>
        </>
      )}
    </div>
  );
}
