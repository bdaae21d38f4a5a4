/**
 * All UI state, in one place: a reducer over plain data. Components read it through
 * useApp() (src/app/context.tsx) and change it only by dispatching these actions;
 * side effects (recognition, perturbation, persistence) live in hooks that watch it.
 */
import type { Raster } from '../image/raster.ts';
import type { Stroke } from '../draw/strokes.ts';
import { DEFAULT_PERTURB, type PerturbOptions } from '../perturb/types.ts';
import type { DeviceChoice, Dtype, LoadedModel, LoadProgress, ModelSource, Prediction, VlmInfo } from '../worker-api/ocr.ts';
import { DEFAULT_RESEARCH, MAX_SWEEP_MODELS, type ResearchConfig } from '../research/config.ts';
import { sanitizePerturb } from '../schema/perturb.ts';
import { hubIdOf } from '../schema/model-key.ts';
import { MAX_INSTRUCTION_CHARS, MAX_PANES, MAX_REFERENCE_LENGTH } from '../schema/limits.ts';

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
  /** A vision-language model (prompted with an instruction), as its folder's config.json describes it. */
  vlm?: VlmInfo;
}

export interface PaneConfig {
  id: number;
  variant: 'original' | 'perturbed';
  modelKey: string;
  device: DeviceChoice;
  dtype?: Dtype;
  /** Beam width; unset = DEFAULT_NUM_BEAMS (src/model/beam.ts). */
  numBeams?: number;
  /** Vision-language models only: the instruction; unset = the model's own (src/compare/VlmPane.tsx). */
  instruction?: string;
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
  /** A vision-language model's answer so far, while it generates (its tokens stream in). */
  streamed?: string;
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
  /**
   * Hugging Face models a restored state (a permalink, a history entry) named: never
   * downloaded without the visitor's consent, they are restored with the built-in model
   * in their place and offered here (src/research/HubConsent.tsx).
   */
  hubOffers: HubOffer[];
}

/** A hub model waiting for the visitor's consent, and where it would go back in. */
export interface HubOffer {
  key: string;
  id: string;
  /** Panes (ids) that named it. */
  panes: number[];
  /** The research sweep's models as the source named them, when it named this one. */
  research?: string[];
}

/** What a restore (history, permalink, preset, the first screen) may set. */
export type RestoredState = Partial<Pick<AppState, 'input' | 'reference' | 'perturb' | 'panes' | 'mode' | 'research' | 'hubOffers'>>;

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
  hubOffers: [],
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
  | { type: 'endDemo' }
  /** The visitor agreed to download a hub model a restore offered: it goes back where it was named. */
  | { type: 'acceptHubModel'; key: string }
  | { type: 'dismissHubOffer'; key: string };

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
      return { ...state, ...action.state, hubOffers: action.state.hubOffers ?? [], perturbed: null, results: {}, demo: false };
    case 'open':
      if (state.input) return state;
      return { ...state, ...action.state, hubOffers: action.state.hubOffers ?? [], perturbed: null, results: {}, demo: !!action.demo };
    case 'endDemo':
      return { ...state, demo: false };
    case 'acceptHubModel': {
      const offer = state.hubOffers.find((o) => o.key === action.key);
      if (!offer) return state;
      const model: ModelEntry = { key: offer.key, source: { kind: 'hub', id: offer.id }, label: `${offer.id} (Hugging Face)` };
      const models = [...state.models.filter((m) => m.key !== model.key), model];
      const panes = state.panes.map((p) => (offer.panes.includes(p.id) && p.modelKey === FALLBACK_MODEL.key ? { ...p, modelKey: offer.key } : p));
      // the sweep's models as named, those still not allowed (or loaded) in the built-in one's place
      const available = new Set(models.map((m) => m.key));
      const research = offer.research ? { ...state.research, models: [...new Set(offer.research.map((k) => (available.has(k) ? k : FALLBACK_MODEL.key)))] } : state.research;
      return { ...state, models, panes, research, hubOffers: state.hubOffers.filter((o) => o !== offer) };
    }
    case 'dismissHubOffer':
      return { ...state, hubOffers: state.hubOffers.filter((o) => o.key !== action.key) };
  }
}

/** A stable string for a perturbation setting (cache and job keys). */
export function optionsKey(o: PerturbOptions): string {
  return JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k as keyof PerturbOptions]]));
}

// ---------------------------------------------------------------- restore

/** What takes the place of a model that is not available (or not yet allowed to download). */
export const FALLBACK_MODEL = BUILTIN_MODELS[0];

/** A pane as a restore source gives it; its model may not exist in this session. */
export interface RestorePane {
  variant: PaneConfig['variant'];
  modelKey: string;
  device: DeviceChoice;
  dtype?: Dtype;
  numBeams?: number;
  /** A vision-language model's instruction (bounded here: MAX_INSTRUCTION_CHARS). */
  instruction?: string;
  /** The model's name when known (a history entry keeps it), for messages. */
  modelLabel?: string;
}

/** A state to restore, as a permalink, a history entry or a preset gives it (already read through src/schema/). */
export interface RestoreRequest {
  input?: InputImage | null;
  reference?: string;
  perturb?: Partial<PerturbOptions>;
  panes?: readonly RestorePane[];
  mode?: AppState['mode'];
  research?: ResearchConfig;
}

/**
 * The one set of rules for putting a state back on screen, whatever it came from
 * (a permalink, a history entry, a preset, the first screen): settings complete and
 * in range, at most MAX_PANES panes numbered from 1, the reference bounded, and every
 * model either loaded here or replaced by the built-in one. A Hugging Face model is
 * never added (and so never downloaded) by a restore: its panes get the built-in model
 * and it becomes an offer the visitor can accept (hubOffers). `notes` say what changed.
 */
export function restoreState(req: RestoreRequest, models: readonly ModelEntry[]): { state: RestoredState; notes: string[] } {
  const notes: string[] = [];
  const known = new Set(models.map((m) => m.key));
  const offers = new Map<string, HubOffer>();
  const gone = new Map<string, string[]>();
  const researchModels = req.research?.models.slice(0, MAX_SWEEP_MODELS);
  const modelFor = (key: string, where: { pane?: number; research?: boolean }, label?: string): string => {
    if (known.has(key)) return key;
    const hub = hubIdOf(key);
    if (hub !== null) {
      const offer: HubOffer = offers.get(key) ?? { key, id: hub, panes: [] };
      if (where.pane !== undefined) offer.panes.push(where.pane);
      if (where.research) offer.research = researchModels;
      offers.set(key, offer);
    } else {
      const name = label ?? key;
      gone.set(name, [...(gone.get(name) ?? []), where.pane !== undefined ? `Pane ${where.pane}` : 'the sweep']);
    }
    return FALLBACK_MODEL.key;
  };
  const state: RestoredState = {};
  if (req.input !== undefined) state.input = req.input;
  if (req.reference !== undefined) {
    state.reference = req.reference.slice(0, MAX_REFERENCE_LENGTH);
    if (req.reference.length > MAX_REFERENCE_LENGTH) notes.push(`The reference LaTeX was cut to ${MAX_REFERENCE_LENGTH} characters.`);
  }
  state.perturb = sanitizePerturb(req.perturb ?? {});
  if (req.panes?.length) {
    if (req.panes.length > MAX_PANES) notes.push(`Only the first ${MAX_PANES} panes are shown.`);
    state.panes = req.panes.slice(0, MAX_PANES).map((p, i): PaneConfig => {
      const modelKey = modelFor(p.modelKey, { pane: i + 1 }, p.modelLabel);
      return {
        id: i + 1,
        variant: p.variant,
        modelKey,
        device: p.device,
        ...(p.dtype ? { dtype: p.dtype } : {}),
        ...(p.numBeams !== undefined ? { numBeams: p.numBeams } : {}),
        // a VLM's instruction stays with its model (the built-in one put in its place takes none)
        ...(typeof p.instruction === 'string' && modelKey === p.modelKey ? { instruction: p.instruction.slice(0, MAX_INSTRUCTION_CHARS) } : {}),
      };
    });
  }
  if (req.mode) state.mode = req.mode;
  if (req.research && researchModels) state.research = { ...req.research, models: [...new Set(researchModels.map((k) => modelFor(k, { research: true })))] };
  if (gone.size) {
    const list = [...gone].map(([name, where]) => `${name} (${where.join(', ')})`).join(', ');
    notes.push(`Not loaded in this session: ${list}. ${FALLBACK_MODEL.label} is used instead; load the model again to compare with it.`);
  }
  state.hubOffers = [...offers.values()];
  return { state, notes };
}
