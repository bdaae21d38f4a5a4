/** Derived state (src/app/selectors.ts): a pane's job and whether its shown result is stale. */
import { describe, expect, it } from 'vitest';
import { initialState, optionsKey, type AppState, type InputImage } from '../../src/app/state.ts';
import { isStale, paneJob } from '../../src/app/selectors.ts';
import { createRaster } from '../../src/image/raster.ts';

const image: InputImage = { id: 'in1', name: 'x.png', origin: 'upload', raster: createRaster(4, 4) };
const pane = { id: 1, variant: 'perturbed' as const, modelKey: 'builtin:augmented', device: 'wasm' as const };

describe('selectors', () => {
  it('a perturbed pane has no job until the perturbed image of the current settings is there', () => {
    const state: AppState = { ...initialState, input: image, panes: [pane] };
    expect(paneJob(state, pane)).toBeNull();
    const ready = { ...state, perturbed: { inputId: 'in1', optionsKey: optionsKey(state.perturb), raster: createRaster(2, 2) } };
    expect(paneJob(ready, pane)?.image.width).toBe(2);
    // the image of other settings is not this job's
    expect(paneJob({ ...ready, perturb: { ...ready.perturb, blur: 2 } }, pane)).toBeNull();
  });

  it('a result is stale once the pane asks for another job, and not before', () => {
    const base: AppState = { ...initialState, input: image, panes: [{ ...pane, variant: 'original' }] };
    const p = base.panes[0];
    const key = paneJob(base, p)!.key;
    const state = { ...base, results: { [p.id]: { status: 'done', jobKey: key } } } as unknown as AppState;
    expect(isStale(state, p)).toBe(false);
    expect(isStale(state, { ...p, numBeams: 3 })).toBe(true);
    expect(isStale({ ...state, input: { ...image, id: 'in2' } }, p)).toBe(true);
  });
});
