/**
 * Derived state: what the views and effects read from the app state without storing it twice.
 * Pure functions of the state, so each rule lives here once (the pane's job key decides both when
 * a pane re-recognises and when its shown result is stale).
 */
import { optionsKey, type AppState, type PaneConfig } from './state.ts';
import type { Raster } from '../image/raster.ts';
import { DEFAULT_NUM_BEAMS } from '../model/beam.ts';

/** The image a pane recognises, and the key of that job; null while not ready. */
export function paneJob(state: AppState, pane: PaneConfig): { image: Raster; key: string } | null {
  const { input } = state;
  if (!input) return null;
  // a VLM's instruction is part of its input: another wording is another job (unset: the model's own)
  const instruction = pane.instruction !== undefined ? `|instruction ${JSON.stringify(pane.instruction)}` : '';
  const model = `${pane.modelKey}|${pane.device}|${pane.dtype ?? 'default'}|beams ${pane.numBeams ?? DEFAULT_NUM_BEAMS}${instruction}`;
  if (pane.variant === 'original') return { image: input.raster, key: `${input.id}|original|${model}` };
  const k = optionsKey(state.perturb);
  const p = state.perturbed;
  if (!p || p.inputId !== input.id || p.optionsKey !== k) return null;
  return { image: p.raster, key: `${input.id}|${k}|${model}` };
}

/** A pane's result is stale when it was made for another job than the pane's current one. */
export function isStale(state: AppState, pane: PaneConfig): boolean {
  const result = state.results[pane.id];
  return !!result?.jobKey && paneJob(state, pane)?.key !== result.jobKey;
}
