import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS, initialState, reducer, restoreState, type AppState, type InputImage } from '../../src/app/state.ts';
import { DEFAULT_PERTURB } from '../../src/perturb/types.ts';
import { presets, presetState } from '../../src/research/presets.ts';
import { MAX_PANES, MAX_REFERENCE_LENGTH } from '../../src/schema/limits.ts';

const image: InputImage = { id: 'x', name: 'x.png', origin: 'upload', raster: { width: 1, height: 1, data: new Uint8ClampedArray(4) } };

describe('restoreState: the one set of restore rules', () => {
  it('a hub model is never added by a restore: the built-in one takes its place and it becomes an offer', () => {
    const { state, notes } = restoreState(
      {
        panes: [
          { variant: 'original', modelKey: 'builtin:narrow', device: 'wasm' },
          { variant: 'perturbed', modelKey: 'hub:someone/latex-ocr', device: 'auto', numBeams: 3 },
        ],
        research: { variable: 'blur', from: 0, to: 2, steps: 3, models: ['hub:someone/latex-ocr', 'builtin:narrow'], device: 'auto' },
      },
      BUILTIN_MODELS,
    );
    expect(state.panes!.map((p) => p.modelKey)).toEqual(['builtin:narrow', 'builtin:augmented']);
    expect(state.panes![1].numBeams).toBe(3);
    expect(state.research!.models).toEqual(['builtin:augmented', 'builtin:narrow']);
    expect(state.hubOffers).toEqual([{ key: 'hub:someone/latex-ocr', id: 'someone/latex-ocr', panes: [2], research: ['hub:someone/latex-ocr', 'builtin:narrow'] }]);
    expect(notes).toEqual([]);

    // the reducer: the restore adds no model; only the visitor's consent does, and puts it back where it was named
    let s: AppState = reducer(initialState, { type: 'restore', state });
    expect(s.models.map((m) => m.key)).toEqual(BUILTIN_MODELS.map((m) => m.key));
    s = reducer(s, { type: 'acceptHubModel', key: 'hub:someone/latex-ocr' });
    expect(s.models.find((m) => m.key === 'hub:someone/latex-ocr')).toMatchObject({ source: { kind: 'hub', id: 'someone/latex-ocr' } });
    expect(s.panes.map((p) => p.modelKey)).toEqual(['builtin:narrow', 'hub:someone/latex-ocr']);
    expect(s.research.models).toEqual(['hub:someone/latex-ocr', 'builtin:narrow']);
    expect(s.hubOffers).toEqual([]);
  });

  it('an offer can be declined; a new restore replaces the old offers', () => {
    const { state } = restoreState({ panes: [{ variant: 'original', modelKey: 'hub:a/b', device: 'auto' }] }, BUILTIN_MODELS);
    const s = reducer(initialState, { type: 'restore', state });
    expect(reducer(s, { type: 'dismissHubOffer', key: 'hub:a/b' }).hubOffers).toEqual([]);
    expect(reducer(s, { type: 'restore', state: {} }).hubOffers).toEqual([]);
    // a hub model already loaded in this session is used as is
    const loaded = [...BUILTIN_MODELS, { key: 'hub:a/b', source: { kind: 'hub' as const, id: 'a/b' }, label: 'a/b' }];
    expect(restoreState({ panes: [{ variant: 'original', modelKey: 'hub:a/b', device: 'auto' }] }, loaded).state).toMatchObject({ hubOffers: [], panes: [{ modelKey: 'hub:a/b' }] });
  });

  it('models not loaded here (a folder from disk) are replaced and named', () => {
    const { state, notes } = restoreState({ panes: [{ variant: 'original', modelKey: 'user:mine', modelLabel: 'Mine (your folder)', device: 'auto' }] }, BUILTIN_MODELS);
    expect(state.panes![0].modelKey).toBe('builtin:augmented');
    expect(notes).toEqual(['Not loaded in this session: Mine (your folder) (Pane 1). Augmented (built-in) is used instead; load the model again to compare with it.']);
  });

  it('bounds what it restores: panes, reference, settings', () => {
    const { state, notes } = restoreState(
      {
        input: image,
        reference: 'x'.repeat(MAX_REFERENCE_LENGTH + 5),
        perturb: { blur: 1e6, ink: '#FFFFFF' },
        panes: Array.from({ length: 20 }, () => ({ variant: 'original' as const, modelKey: 'builtin:narrow', device: 'auto' as const })),
      },
      BUILTIN_MODELS,
    );
    expect(state.input).toBe(image);
    expect(state.reference).toHaveLength(MAX_REFERENCE_LENGTH);
    expect(state.perturb).toEqual({ ...DEFAULT_PERTURB, blur: 6, ink: '#ffffff' });
    expect(state.panes!.map((p) => p.id)).toEqual(Array.from({ length: MAX_PANES }, (_, i) => i + 1));
    expect(notes).toHaveLength(2);
  });

  it('presets open through the same rules', () => {
    const b = presets().find((p) => p.id === 'b')!;
    const { state } = presetState(b, image, ['builtin:augmented', 'builtin:narrow'], 'wasm', BUILTIN_MODELS);
    expect(state).toMatchObject({ mode: 'compare', reference: b.reference, perturb: b.perturb, hubOffers: [] });
    expect(state.panes!.map((p) => [p.id, p.variant, p.modelKey, p.device])).toEqual([
      [1, 'perturbed', 'builtin:augmented', 'wasm'],
      [2, 'perturbed', 'builtin:narrow', 'wasm'],
    ]);
    expect(presetState(b, image, ['builtin:narrow'], 'auto', BUILTIN_MODELS).state.panes!.map((p) => p.variant)).toEqual(['original', 'perturbed']);
  });
});
