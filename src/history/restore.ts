/**
 * A history entry back onto the screen: its input (a drawing as strokes, to edit further),
 * reference, perturbation and panes. Used by the history dialog's "Restore" and by the
 * first screen of a returning visitor (src/app/useFirstScreen.ts), which opens on the newest.
 */
import { BUILTIN_MODELS, type ModelEntry, type PaneConfig, type RestoredState } from '../app/state.ts';
import { imageToRaster, rememberPng } from './image.ts';
import { sanitizePerturb } from './store.ts';
import type { HistoryEntry } from './types.ts';

export interface EntryRestore {
  state: RestoredState;
  /** Panes whose model is not loaded in this session (a folder from disk), e.g. "x (Pane 2)". */
  gone: string[];
}

export async function entryState(entry: HistoryEntry, models: readonly ModelEntry[]): Promise<EntryRestore> {
  const raster = await imageToRaster(entry.input.image, entry.input.name);
  rememberPng(entry.id, entry.input.image);
  const gone: string[] = [];
  const panes: PaneConfig[] = entry.panes.map((p) => {
    const known = models.some((m) => m.key === p.modelKey);
    if (!known) gone.push(`${p.modelLabel} (Pane ${p.id})`);
    return { id: p.id, variant: p.variant, modelKey: known ? p.modelKey : BUILTIN_MODELS[0].key, device: p.device, dtype: p.dtype, numBeams: p.numBeams };
  });
  return {
    state: {
      // a drawing comes back as a drawing (its strokes can be edited further)
      input: { id: entry.id, name: entry.input.name, origin: entry.input.strokes?.length ? 'drawing' : 'history', raster, strokes: entry.input.strokes },
      reference: entry.reference,
      perturb: sanitizePerturb(entry.perturb),
      ...(panes.length ? { panes } : {}),
    },
    gone,
  };
}

/** What to tell the visitor about panes whose model had to be replaced. */
export function goneMessage(gone: string[]): string | null {
  return gone.length ? `Not loaded in this session: ${gone.join(', ')}. ${BUILTIN_MODELS[0].label} is used instead; load the model again to compare with it.` : null;
}
