/**
 * The app's side of permalinks: the link of the current state, and restoring a
 * state from the URL hash on load (and when the hash changes, e.g. a link pasted
 * into the address bar of an open tab).
 */
import { useEffect, useRef } from 'react';
import { useApp } from '../app/context.tsx';
import { restoreState, type Action, type AppState, type InputImage } from '../app/state.ts';
import { DRAW_HEIGHT, DRAW_WIDTH, rasteriseStrokes } from '../draw/strokes.ts';
import { exampleById } from '../input/examples.ts';
import { loadExampleRaster } from '../input/loadExample.ts';
import { newInputId } from '../input/useImageInput.ts';
import { DEFAULT_PERTURB, type PerturbOptions } from '../perturb/types.ts';
import { SWEEP_VARIABLES } from '../perturb/variables.ts';
import { decodePermalink, encodePermalink, type PermalinkState } from './permalink.ts';

/** The permalink state of the app, and what it cannot carry. */
export function permalinkOf(state: AppState): { link: PermalinkState; notes: string[] } {
  const notes: string[] = [];
  const link: PermalinkState = {};
  const input = state.input;
  if (input?.strokes?.length) link.image = { kind: 'strokes', strokes: input.strokes };
  else if (input?.exampleId) link.image = { kind: 'example', id: input.exampleId };
  else if (input) notes.push('The image itself is not in the link (only examples and drawings can be): open the link, then give the same image.');
  if (state.reference) link.reference = state.reference;
  const perturb: Partial<PerturbOptions> = {};
  for (const k of Object.keys(DEFAULT_PERTURB) as (keyof PerturbOptions)[]) {
    if (state.perturb[k] !== DEFAULT_PERTURB[k]) (perturb as Record<string, unknown>)[k] = state.perturb[k];
  }
  if (Object.keys(perturb).length) link.perturb = perturb;
  link.panes = state.panes.map((p) => ({ variant: p.variant, modelKey: p.modelKey, device: p.device, ...(p.dtype ? { dtype: p.dtype } : {}), ...(p.numBeams !== undefined ? { numBeams: p.numBeams } : {}), ...(p.instruction !== undefined ? { instruction: p.instruction } : {}) }));
  if (state.panes.some((p) => p.modelKey.startsWith('user:')) || state.research.models.some((m) => m.startsWith('user:'))) {
    notes.push('Models opened from your own files are not in the link; the built-in model is used in their place.');
  }
  link.mode = state.mode;
  link.research = state.research;
  return { link, notes };
}

/** The full URL of a state: this page with the permalink as its hash. */
export function permalinkUrl(state: AppState, base: string = location.href): { url: string; notes: string[] } {
  const { link, notes } = permalinkOf(state);
  const u = new URL(base);
  u.hash = encodePermalink(link);
  return { url: u.toString(), notes };
}

export function usePermalinkRestore() {
  const { state, dispatch } = useApp();
  // read when a link is restored (on load, or when the hash changes later on)
  const models = useRef(state.models);
  models.current = state.models;

  useEffect(() => {
    let cancelled = false;
    const abort = new AbortController();
    const restore = async () => {
      const { state: link, errors, empty } = decodePermalink(location.hash, { variables: SWEEP_VARIABLES.map((v) => v.id) });
      if (empty) return;
      const messages = [...errors];
      let input: InputImage | undefined;
      let reference = link.reference;
      if (link.image?.kind === 'example') {
        const ex = exampleById(link.image.id);
        if (!ex) messages.push(`The example "${link.image.id}" in the link does not exist in this version of the app.`);
        else {
          try {
            const raster = await loadExampleRaster(ex, abort.signal);
            input = { id: newInputId('example'), name: ex.title, origin: 'example', raster, exampleId: ex.id };
            reference = link.reference ?? ex.latex;
          } catch (e) {
            if (abort.signal.aborted) return;
            messages.push(e instanceof Error ? e.message : String(e));
          }
        }
      } else if (link.image?.kind === 'strokes') {
        try {
          const raster = rasteriseStrokes(link.image.strokes, DRAW_WIDTH, DRAW_HEIGHT);
          input = { id: newInputId('drawing'), name: 'drawing (from a link)', origin: 'drawing', raster, strokes: link.image.strokes };
        } catch (e) {
          messages.push(`The drawing in the link could not be drawn: ${e instanceof Error ? e.message : e}`);
        }
      }
      // the app's one set of restore rules: models not here (or hub models, not downloaded
      // without consent) are replaced by the built-in one and said
      const { state: restoredState, notes } = restoreState(
        {
          ...(input ? { input } : {}),
          ...(reference !== undefined ? { reference } : {}),
          perturb: link.perturb,
          ...(link.panes ? { panes: link.panes } : {}),
          ...(link.mode ? { mode: link.mode } : {}),
          ...(link.research ? { research: link.research } : {}),
        },
        models.current,
      );
      messages.push(...notes);
      const restored: Extract<Action, { type: 'restore' }> = { type: 'restore', state: restoredState };
      if (cancelled) return;
      dispatch(restored);
      for (const m of messages) dispatch({ type: 'alert', message: `Permalink: ${m}` });
    };
    void restore();
    const onHash = () => void restore();
    window.addEventListener('hashchange', onHash);
    return () => {
      cancelled = true;
      abort.abort();
      window.removeEventListener('hashchange', onHash);
    };
  }, [dispatch]);
}
