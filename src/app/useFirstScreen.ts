/**
 * What the app opens on, when the URL carries no permalink (usePermalinkRestore handles
 * those): a returning visitor gets their last state (the newest history entry, recognised
 * again), a first visit gets the demo (src/app/demo.ts) until it is dismissed for good.
 * Both arrive after reading storage, as an "open" action that applies only while no input
 * has been given: an upload made in the meantime is never replaced.
 */
import { useEffect } from 'react';
import { useApp } from './context.tsx';
import { benchEnabled } from './bench.ts';
import { demoExample, demoSeen, demoState, pageStorage } from './demo.ts';
import { historyStore } from '../history/idb.ts';
import { entryState, goneMessage } from '../history/restore.ts';
import { loadExampleRaster } from '../input/loadExample.ts';
import { newInputId } from '../input/useImageInput.ts';
import { decodePermalink } from '../research/permalink.ts';

export function useFirstScreen() {
  const { state, dispatch } = useApp();
  const models = state.models;

  useEffect(() => {
    // npm run bench times the model alone: no demo recognitions competing with it
    if (benchEnabled() || !decodePermalink(location.hash).empty) return;
    let live = true;
    const abort = new AbortController();
    void (async () => {
      // history that cannot be read (IndexedDB blocked) counts as none
      const last = (await historyStore().list().catch(() => []))[0];
      if (!live) return;
      if (last) {
        const { state: restored, gone } = await entryState(last, models);
        if (!live) return;
        dispatch({ type: 'open', state: restored });
        const note = goneMessage(gone);
        if (note) dispatch({ type: 'alert', message: note });
        return;
      }
      if (demoSeen(pageStorage())) return;
      const ex = demoExample();
      const raster = await loadExampleRaster(ex, abort.signal);
      if (!live) return;
      dispatch({ type: 'open', state: demoState({ id: newInputId('example'), name: ex.title, origin: 'example', raster, exampleId: ex.id }), demo: true });
    })().catch((e) => {
      // the empty start is a working screen: a demo (or last state) that cannot be read only costs the head start
      if (live) console.warn('The first screen could not be prepared:', e);
    });
    return () => {
      live = false;
      abort.abort();
    };
    // once per page load; `models` is read at that moment (the built-in ones, before any is added)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dispatch]);
}
