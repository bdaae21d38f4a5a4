/**
 * A history entry back onto the screen: its input (a drawing as strokes, to edit further),
 * reference, perturbation and panes, through the app's one set of restore rules
 * (restoreState in src/app/state.ts). Used by the history dialog's "Restore" and by the
 * first screen of a returning visitor (src/app/useFirstScreen.ts), which opens on the newest.
 */
import { restoreState, type ModelEntry, type RestoredState } from '../app/state.ts';
import { imageToRaster, rememberPng } from './image.ts';
import type { HistoryEntry } from './types.ts';

export interface EntryRestore {
  state: RestoredState;
  /** What the restore changed, e.g. a model not loaded in this session replaced by the built-in one. */
  gone: string[];
}

export async function entryState(entry: HistoryEntry, models: readonly ModelEntry[]): Promise<EntryRestore> {
  const raster = await imageToRaster(entry.input.image, entry.input.name);
  rememberPng(entry.id, entry.input.image);
  const { state, notes } = restoreState(
    {
      // a drawing comes back as a drawing (its strokes can be edited further)
      input: { id: entry.id, name: entry.input.name, origin: entry.input.strokes?.length ? 'drawing' : 'history', raster, strokes: entry.input.strokes },
      reference: entry.reference,
      perturb: entry.perturb,
      panes: entry.panes,
    },
    models,
  );
  return { state, gone: notes };
}

/** What to tell the visitor about what the restore had to change (models replaced), or null. */
export function goneMessage(gone: string[]): string | null {
  return gone.length ? gone.join(' ') : null;
}
