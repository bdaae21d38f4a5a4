/**
 * The first screen of a first visit tells the project's story at once: one printed built-in
 * example (the one research mode calls "a training-style image") read three ways, with no
 * click needed. Pane 1: the narrow model on the image as given (black on white, like all its
 * training data). Pane 2: the same model on the same image with only the colours changed
 * (white on blue). Pane 3: the augmented model on that recoloured image.
 *
 * Pure data and the one stored flag; src/app/useFirstScreen.ts decides when the demo opens,
 * src/app/DemoIntro.tsx explains it.
 */
import { presetExample, type Example } from '../input/examples.ts';
import { DEFAULT_PERTURB, WHITE_ON_BLUE } from '../perturb/types.ts';
import { BUILTIN_MODELS, type InputImage, type PaneConfig, type RestoredState } from './state.ts';

/**
 * localStorage key, "1" once the visitor dismissed the demo for good (or chose to start with
 * their own equation). The end-to-end tests set it before the app starts (tests/e2e/helpers.ts).
 */
export const DEMO_SEEN_KEY = 'latex-ocr-playground:demo-seen';

export function demoExample(): Example {
  return presetExample('printed');
}

const builtin = (id: 'narrow' | 'augmented') => BUILTIN_MODELS.find((m) => m.source.kind === 'builtin' && m.source.id === id)!.key;

/** The demo's panes (device "auto": WebGPU on a real GPU, else WASM). */
export function demoPanes(): PaneConfig[] {
  return [
    { id: 1, variant: 'original', modelKey: builtin('narrow'), device: 'auto' },
    { id: 2, variant: 'perturbed', modelKey: builtin('narrow'), device: 'auto' },
    { id: 3, variant: 'perturbed', modelKey: builtin('augmented'), device: 'auto' },
  ];
}

/** The demo on screen, given the example's decoded image (made into an input by the caller). */
export function demoState(input: InputImage): RestoredState {
  return {
    input,
    // the reference makes every pane show how far its reading is from the truth
    reference: demoExample().latex,
    perturb: { ...DEFAULT_PERTURB, ...WHITE_ON_BLUE },
    panes: demoPanes(),
    mode: 'compare',
  };
}

type Store = Pick<Storage, 'getItem' | 'setItem'>;

/** Whether the demo was dismissed in this browser; storage that cannot be read (blocked) counts as no. */
export function demoSeen(storage: Store | undefined): boolean {
  try {
    return storage?.getItem(DEMO_SEEN_KEY) === '1';
  } catch {
    return false;
  }
}

export function markDemoSeen(storage: Store | undefined): void {
  try {
    storage?.setItem(DEMO_SEEN_KEY, '1');
  } catch {
    // storage blocked: the demo comes back on the next visit, which is all that is lost
  }
}

/** The page's localStorage, or undefined where reading the property itself throws (sandboxed frames). */
export function pageStorage(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}
