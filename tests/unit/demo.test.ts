import { describe, expect, it } from 'vitest';
import { DEMO_SEEN_KEY, demoPanes, demoSeen, demoState, markDemoSeen } from '../../src/app/demo.ts';
import { initialState, reducer, type AppState, type InputImage } from '../../src/app/state.ts';
import { presetExample } from '../../src/input/examples.ts';
import { DEFAULT_PERTURB, PERTURB_PRESETS, WHITE_ON_BLUE } from '../../src/perturb/types.ts';
import { settingsFor, sweepVariable } from '../../src/perturb/variables.ts';
import { presets } from '../../src/research/presets.ts';

const image = (id: string): InputImage => ({ id, name: id, origin: 'upload', raster: { width: 1, height: 1, data: new Uint8ClampedArray(4) } });

function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

describe('the first-visit demo', () => {
  it('is the printed example, white on blue, read by narrow (as given and recoloured) and augmented (recoloured)', () => {
    const ex = presetExample('printed');
    const s = demoState({ ...image('demo'), origin: 'example', exampleId: ex.id });
    expect(s.reference).toBe(ex.latex);
    expect(s.perturb).toEqual({ ...DEFAULT_PERTURB, ...WHITE_ON_BLUE });
    expect(s.mode).toBe('compare');
    expect(s.panes!.map((p) => [p.id, p.variant, p.modelKey])).toEqual([
      [1, 'original', 'builtin:narrow'],
      [2, 'perturbed', 'builtin:narrow'],
      [3, 'perturbed', 'builtin:augmented'],
    ]);
    // every model key is a model the app has
    for (const p of demoPanes()) expect(initialState.models.map((m) => m.key)).toContain(p.modelKey);
  });

  it('takes its colours from the one definition the preset button, the sweep and research preset (b) use', () => {
    expect(PERTURB_PRESETS.find((p) => p.id === 'white-on-blue')!.options).toEqual(WHITE_ON_BLUE);
    const colour = sweepVariable('colour');
    expect(settingsFor(colour, 1)).toMatchObject(WHITE_ON_BLUE);
    expect(settingsFor(colour, 0)).toMatchObject({ ink: DEFAULT_PERTURB.ink, paper: DEFAULT_PERTURB.paper });
    expect(presets().find((p) => p.id === 'b')!.perturb).toMatchObject(WHITE_ON_BLUE);
  });

  it('opens only while no input was given; the input changing ends it', () => {
    const demo = demoState({ ...image('demo'), origin: 'example' });
    let s: AppState = reducer(initialState, { type: 'open', state: demo, demo: true });
    expect(s.demo).toBe(true);
    expect(s.panes).toHaveLength(3);
    // a late first screen never replaces what the visitor gave meanwhile
    const mine = reducer(initialState, { type: 'setInput', input: image('mine') });
    expect(reducer(mine, { type: 'open', state: demo, demo: true })).toBe(mine);
    // the visitor's own input, or any restore, ends the demo (its panes and colours stay)
    s = reducer(s, { type: 'setInput', input: image('upload') });
    expect(s.demo).toBe(false);
    expect(s.panes).toHaveLength(3);
    expect(reducer(reducer(initialState, { type: 'open', state: demo, demo: true }), { type: 'restore', state: {} }).demo).toBe(false);
    expect(reducer(reducer(initialState, { type: 'open', state: demo, demo: true }), { type: 'endDemo' }).demo).toBe(false);
    // a returning visitor's last state is not the demo
    expect(reducer(initialState, { type: 'open', state: { input: image('last') } }).demo).toBe(false);
  });

  it('remembers a dismissal; storage that throws counts as not dismissed and is never fatal', () => {
    const store = memoryStorage();
    expect(demoSeen(store)).toBe(false);
    markDemoSeen(store);
    expect(store.m.get(DEMO_SEEN_KEY)).toBe('1');
    expect(demoSeen(store)).toBe(true);
    const blocked = {
      getItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      setItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
    };
    expect(demoSeen(blocked)).toBe(false);
    expect(() => markDemoSeen(blocked)).not.toThrow();
    expect(demoSeen(undefined)).toBe(false);
  });
});
