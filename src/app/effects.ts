/**
 * Side effects that follow the state: the perturbed image is recomputed (off the main
 * thread) when the input or the settings change, and each pane re-recognises when its
 * image, model or device changes, through the app's one job layer (recognise(): load if
 * needed, then recognise). Stale work is aborted, and a stale recognition also stops in the
 * worker; calls are queued one at a time by the workers' clients.
 */
import { useEffect, useRef } from 'react';
import { useApp } from './context.tsx';
import { optionsKey } from './state.ts';
import { paneJob } from './selectors.ts';
import { recognise } from './services.ts';
import { markPredictionShown } from './bench.ts';
import { perturbWorker } from '../worker-api/perturb.ts';
import { WorkerFailure } from '../worker-api/client.ts';
import { ModelLoadError } from '../worker-api/router.ts';
import type { LoadProgress } from '../worker-api/ocr.ts';

const PERTURB_DEBOUNCE_MS = 80;

export function usePerturbedImage() {
  const { state, dispatch } = useApp();
  const { input, perturb } = state;
  useEffect(() => {
    if (!input) return;
    const key = optionsKey(perturb);
    const abort = new AbortController();
    const t = setTimeout(async () => {
      try {
        // a stale call still waiting for the worker is dropped; a crash or hang rejects (src/worker-api/bridge.ts)
        const raster = await perturbWorker().apply(input.raster, perturb, abort.signal);
        if (!abort.signal.aborted) dispatch({ type: 'perturbed', inputId: input.id, optionsKey: key, raster });
      } catch (e) {
        if (!abort.signal.aborted) dispatch({ type: 'alert', message: `Could not apply the perturbation: ${e instanceof Error ? e.message : e}` });
      }
    }, PERTURB_DEBOUNCE_MS);
    return () => {
      abort.abort();
      clearTimeout(t);
    };
  }, [input, perturb, dispatch]);
}

export function useRecognition() {
  const { state, dispatch } = useApp();
  /** Each pane's latest job; `finished` once its result (or error) has been dispatched. */
  const running = useRef(new Map<number, { key: string; abort: AbortController; finished?: boolean }>());

  useEffect(() => {
    // the panes are hidden in research mode: their work would only queue ahead of the sweep
    // (recognition is one call at a time); they catch up when Compare is shown again
    if (state.mode !== 'compare') return;
    for (const pane of state.panes) {
      const job = paneJob(state, pane);
      const current = running.current.get(pane.id);
      const done = state.results[pane.id]?.jobKey;
      if (!job || job.key === done) continue;
      if (current?.key === job.key) {
        if (!current.finished) continue; // still running
        // finished, and its result is dispatched but not rendered yet (this render's state
        // still shows it loading or running): starting it again would repeat the work and
        // hide its outcome (a crash, say) behind a second run
        const status = state.results[pane.id]?.status;
        if (status === 'loading' || status === 'running') continue;
      }
      current?.abort.abort();
      const abort = new AbortController();
      running.current.set(pane.id, { key: job.key, abort });
      const model = state.models.find((m) => m.key === pane.modelKey);
      if (!model) continue;
      void (async () => {
        let settled = false;
        try {
          dispatch({ type: 'paneResult', id: pane.id, patch: { status: 'loading', error: undefined, note: undefined, progress: {} } });
          const { prediction, loaded, note } = await recognise(
            { source: model.source, device: pane.device, dtype: pane.dtype, image: job.image, numBeams: pane.numBeams, ...(pane.instruction !== undefined ? { instruction: pane.instruction } : {}) },
            {
              signal: abort.signal,
              onProgress: (p) => {
                if (p.file) dispatch({ type: 'paneResult', id: pane.id, patch: { progress: { ...(lastProgress[pane.id] = { ...lastProgress[pane.id], [p.file]: p }) } } });
              },
              onLoaded: (loaded) => dispatch({ type: 'paneResult', id: pane.id, patch: { status: 'running', loaded, progress: undefined, streamed: undefined } }),
              // a VLM's answer grows in the pane as it is generated (a stale job's tokens are dropped)
              onToken: (text) => {
                if (!abort.signal.aborted && !settled) dispatch({ type: 'paneResult', id: pane.id, patch: { streamed: text } });
              },
            },
          );
          settled = true; // a token message still on its way must not follow the result
          dispatch({ type: 'paneResult', id: pane.id, patch: { status: 'done', jobKey: job.key, prediction, loaded, note, streamed: undefined } });
          markPredictionShown();
        } catch (e) {
          if (abort.signal.aborted) return;
          const why = e instanceof Error ? e.message : String(e);
          // a corrupt or incomplete model folder fails here: name the model, not just onnxruntime's words
          const message = e instanceof ModelLoadError ? `Could not load the model "${model.label}": ${why}` : why;
          dispatch({
            type: 'paneResult',
            id: pane.id,
            patch: { status: 'error', jobKey: job.key, error: message, note: e instanceof WorkerFailure ? 'The recognition worker was restarted.' : undefined },
          });
        } finally {
          const mine = running.current.get(pane.id);
          if (mine?.abort === abort) mine.finished = true;
          delete lastProgress[pane.id];
        }
      })();
    }
  }, [state, dispatch]);
}

const lastProgress: Record<number, Record<string, LoadProgress>> = {};
