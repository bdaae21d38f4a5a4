/**
 * All UI state, in one place: a reducer over plain data. Components read it through
 * useApp() (src/app/context.tsx) and change it only by dispatching these actions;
 * side effects (recognition, perturbation, persistence) live in hooks that watch it.
 */
import type { Raster } from '../image/raster.ts';
import type { Stroke } from '../draw/strokes.ts';
import { DEFAULT_PERTURB, type PerturbOptions } from '../perturb/types.ts';
import type { DeviceChoice, Dtype, LoadedModel, LoadProgress, ModelSource, Prediction } from '../worker-api/ocr.ts';
import { DEFAULT_RESEARCH, type ResearchConfig } from '../research/config.ts';

export type InputOrigin = 'upload' | 'paste' | 'drop' | 'drawing' | 'example' | 'history' | 'permalink';

export interface InputImage {
  /** Changes whenever the pixels change (drives re-recognition). */
  id: string;
  name: string;
  origin: InputOrigin;
  raster: Raster;
  /** The strokes, when the input is a drawing (kept so it can be redrawn at another width). */
  strokes?: Stroke[];
  exampleId?: string;
}

export interface ModelEntry {
  /** Stable key: `${source.kind}:${source.id}`. */
  key: string;
  source: ModelSource;
  label: string;
  /** Markdown model card, when the model has one. */
  card?: string;
}

export interface PaneConfig {
  id: number;
  variant: 'original' | 'perturbed';
  modelKey: string;
  device: DeviceChoice;
  dtype?: Dtype;
  /** Beam width; unset = DEFAULT_NUM_BEAMS (src/model/beam.ts). */
  numBeams?: number;
}

export interface PaneResult {
  status: 'idle' | 'loading' | 'running' | 'done' | 'error';
  /** What was recognised (input id + perturbation + model + device), to skip repeats. */
  jobKey?: string;
  prediction?: Prediction;
  loaded?: LoadedModel;
  error?: string;
  /** A note shown with the result, e.g. "the worker was restarted" or a device fallback. */
  note?: string;
  progress?: Record<string, LoadProgress>;
}

export interface Alert {
  id: number;
  message: string;
}

export interface AppState {
  input: InputImage | null;
  /** Reference LaTeX for the current input (from an example, or typed), '' = none. */
  reference: string;
  perturb: PerturbOptions;
  /** The perturbed image (computed off the main thread), null until ready. */
  perturbed: { inputId: string; optionsKey: string; raster: Raster } | null;
  panes: PaneConfig[];
  results: Record<number, PaneResult>;
  models: ModelEntry[];
  mode: 'compare' | 'research';
  /** Settings of the research sweep (src/research/). */
  research: ResearchConfig;
  alerts: Alert[];
  /**
   * The screen shows the first-visit demo (src/app/demo.ts) and its explanation. It ends
   * when the input changes, or with the explanation's own buttons.
   */
  demo: boolean;
}

/** What a restore (history, permalink, preset, the first screen) may set. */
export type RestoredState = Partial<Pick<AppState, 'input' | 'reference' | 'perturb' | 'panes' | 'mode' | 'research'>>;

export const BUILTIN_MODELS: ModelEntry[] = [
  { key: 'builtin:augmented', source: { kind: 'builtin', id: 'augmented' }, label: 'Augmented (built-in)' },
  { key: 'builtin:narrow', source: { kind: 'builtin', id: 'narrow' }, label: 'Narrow (built-in)' },
];

export const initialState: AppState = {
  input: null,
  reference: '',
  perturb: { ...DEFAULT_PERTURB },
  perturbed: null,
  panes: [
    { id: 1, variant: 'original', modelKey: 'builtin:augmented', device: 'auto' },
    { id: 2, variant: 'perturbed', modelKey: 'builtin:augmented', device: 'auto' },
  ],
  results: {},
  models: BUILTIN_MODELS,
  mode: 'compare',
  research: { ...DEFAULT_RESEARCH, models: [...DEFAULT_RESEARCH.models] },
  alerts: [],
  demo: false,
};

export type Action =
  | { type: 'setInput'; input: InputImage | null; reference?: string }
  | { type: 'setReference'; reference: string }
  | { type: 'setPerturb'; patch: Partial<PerturbOptions> }
  | { type: 'resetPerturb' }
  | { type: 'perturbed'; inputId: string; optionsKey: string; raster: Raster }
  | { type: 'addPane' }
  | { type: 'removePane'; id: number }
  | { type: 'updatePane'; id: number; patch: Partial<Omit<PaneConfig, 'id'>> }
  | { type: 'paneResult'; id: number; patch: Partial<PaneResult> }
  | { type: 'addModel'; model: ModelEntry }
  | { type: 'setMode'; mode: AppState['mode'] }
  | { type: 'setResearch'; patch: Partial<ResearchConfig> }
  | { type: 'alert'; message: string }
  | { type: 'dismissAlert'; id: number }
  | { type: 'restore'; state: RestoredState }
  /**
   * The first screen (src/app/useFirstScreen.ts): the last state or the demo. It arrives
   * after reading storage, so it applies only while no input has been given: what the
   * visitor did meanwhile wins.
   */
  | { type: 'open'; state: RestoredState; demo?: boolean }
  | { type: 'endDemo' };

let alertSeq = 0;

export function reducer(state: AppState, action: Action): AppState {
  switch (action.type) {
    case 'setInput':
      return { ...state, input: action.input, reference: action.reference ?? (action.input?.origin === 'example' ? state.reference : ''), perturbed: null, demo: false };
    case 'setReference':
      return { ...state, reference: action.reference };
    case 'setPerturb':
      return { ...state, perturb: { ...state.perturb, ...action.patch } };
    case 'resetPerturb':
      return { ...state, perturb: { ...DEFAULT_PERTURB } };
    case 'perturbed':
      return { ...state, perturbed: { inputId: action.inputId, optionsKey: action.optionsKey, raster: action.raster } };
    case 'addPane': {
      const id = Math.max(0, ...state.panes.map((p) => p.id)) + 1;
      const last = state.panes[state.panes.length - 1];
      return { ...state, panes: [...state.panes, { ...(last ?? initialState.panes[0]), id }] };
    }
    case 'removePane': {
      if (state.panes.length <= 1) return state;
      const results = { ...state.results };
      delete results[action.id];
      return { ...state, panes: state.panes.filter((p) => p.id !== action.id), results };
    }
    case 'updatePane':
      return { ...state, panes: state.panes.map((p) => (p.id === action.id ? { ...p, ...action.patch } : p)) };
    case 'paneResult':
      return { ...state, results: { ...state.results, [action.id]: { ...(state.results[action.id] ?? { status: 'idle' }), ...action.patch } } };
    case 'addModel':
      return { ...state, models: [...state.models.filter((m) => m.key !== action.model.key), action.model] };
    case 'setMode':
      return { ...state, mode: action.mode };
    case 'setResearch':
      return { ...state, research: { ...state.research, ...action.patch } };
    case 'alert':
      return { ...state, alerts: [...state.alerts.slice(-4), { id: ++alertSeq, message: action.message }] };
    case 'dismissAlert':
      return { ...state, alerts: state.alerts.filter((a) => a.id !== action.id) };
    case 'restore':
      return { ...state, ...action.state, perturbed: null, results: {}, demo: false };
    case 'open':
      if (state.input) return state;
      return { ...state, ...action.state, perturbed: null, results: {}, demo: !!action.demo };
    case 'endDemo':
      return { ...state, demo: false };
  }
}

/** A stable string for a perturbation setting (cache and job keys). */
export function optionsKey(o: PerturbOptions): string {
  return JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k as keyof PerturbOptions]]));
}
