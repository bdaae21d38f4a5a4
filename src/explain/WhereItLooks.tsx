/**
 * "Where it looks" in a compare pane: the toggle, the requests to the worker (attention maps
 * at once for a model that returns its cross-attention, an occlusion map on request, with
 * progress and cancel), and the token selection shared with the pane's confidence row. The
 * maps belong to one prediction: a new one (a new job) drops them and stops their work.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { explainMaps } from '../app/services.ts';
import { AbortedError } from '../worker-api/client.ts';
import type { LoadRequest, Prediction } from '../worker-api/ocr.ts';
import { NO_ATTENTION_REASON, type MapKind, type PredictionMaps } from './maps.ts';
import { MapsView } from './MapsView.tsx';

/** Why a model without attention gets only occlusion maps (said in the pane). */
export const NO_ATTENTION = `No attention maps: ${NO_ATTENTION_REASON}. An occlusion map can still show where it looks: it hides one patch of the image at a time and measures how much each token’s probability drops.`;

type Explained = Pick<Prediction, 'modelInput' | 'sequence' | 'attentionAvailable' | 'tokens'>;

interface ForPrediction {
  prediction: Explained | undefined;
  maps: Partial<Record<MapKind, PredictionMaps>>;
  /** Which maps are shown (the latest computed, or the user's pick). */
  view: MapKind | null;
  selected: number | null;
  running: Partial<Record<MapKind, { done: number; total: number }>>;
  error: string | null;
}

const fresh = (prediction: Explained | undefined): ForPrediction => ({ prediction, maps: {}, view: null, selected: null, running: {}, error: null });

export interface WhereItLooksState {
  on: boolean;
  toggle: () => void;
  /** A prediction the maps can be made for (finished, with its decoded sequence). */
  available: boolean;
  prediction: Explained | undefined;
  st: ForPrediction;
  /** Token i's map (null: the whole prediction's). */
  select: (i: number | null) => void;
  /** The token selected for the confidence row, when maps are shown. */
  selectedToken: number | null | undefined;
  run: (kind: MapKind) => void;
  cancel: (kind: MapKind) => void;
  setView: (kind: MapKind) => void;
}

/**
 * The pane's "Where it looks" state. `prediction`: the pane's finished prediction (undefined
 * while none or stale); `model`: the model, device and precision that made it.
 */
export function useWhereItLooks(prediction: Explained | undefined, model: LoadRequest | null): WhereItLooksState {
  const [on, setOn] = useState(false);
  const [stored, setStored] = useState<ForPrediction>(() => fresh(prediction));
  const st = stored.prediction === prediction ? stored : fresh(prediction);
  const controllers = useRef<Partial<Record<MapKind, AbortController>>>({});
  const requested = useRef<Explained | undefined>(undefined);
  // the model as of the last render (a new object each render; read when a request starts),
  // and the prediction shown: late answers for an earlier one are dropped
  const modelRef = useRef(model);
  const shownRef = useRef(prediction);
  useEffect(() => {
    modelRef.current = model;
    shownRef.current = prediction;
  });
  const available = !!prediction?.sequence && prediction.tokens.length > 0 && !!model;

  /** Updates the state of `p` (ignored once the pane shows another prediction). */
  const patch = useCallback((p: Explained | undefined, f: (s: ForPrediction) => Partial<ForPrediction>) => {
    if (p !== shownRef.current) return;
    setStored((s) => {
      const cur = s.prediction === p ? s : fresh(p);
      return { ...cur, ...f(cur) };
    });
  }, []);

  // a new prediction: its predecessor's maps are dropped (above) and their work stopped
  useEffect(
    () => () => {
      for (const c of Object.values(controllers.current)) c?.abort();
      controllers.current = {};
    },
    [prediction],
  );

  const run = useCallback(
    (kind: MapKind) => {
      const m = modelRef.current;
      if (!prediction?.sequence || !m) return;
      controllers.current[kind]?.abort();
      const ctl = new AbortController();
      controllers.current[kind] = ctl;
      patch(prediction, (s) => ({ running: { ...s.running, [kind]: { done: 0, total: 0 } }, error: null }));
      explainMaps(
        { source: m.source, device: m.device, dtype: m.dtype, modelInput: prediction.modelInput, sequence: prediction.sequence, kind },
        { signal: ctl.signal, onProgress: (done, total) => !ctl.signal.aborted && patch(prediction, (s) => ({ running: { ...s.running, [kind]: { done, total } } })) },
      ).then(
        (maps) => {
          if (ctl.signal.aborted) return;
          patch(prediction, (s) => ({ maps: { ...s.maps, [kind]: maps }, view: kind, running: { ...s.running, [kind]: undefined } }));
        },
        (e) => {
          const cancelled = e instanceof AbortedError || (e as Error)?.name === 'AbortError';
          // a cancel by the user ends the progress; a newer prediction has its own state already
          patch(prediction, (s) => ({
            running: { ...s.running, [kind]: undefined },
            error: cancelled ? s.error : `Could not compute the ${kind} map: ${e instanceof Error ? e.message : String(e)}`,
          }));
        },
      ).finally(() => {
        if (controllers.current[kind] === ctl) delete controllers.current[kind];
      });
    },
    [prediction, patch],
  );

  // attention maps are one pass: asked for as soon as the toggle is on (once per prediction)
  useEffect(() => {
    if (!on || !available || !prediction?.attentionAvailable || requested.current === prediction) return;
    requested.current = prediction;
    run('attention');
  }, [on, available, prediction, run]);

  const cancel = useCallback((kind: MapKind) => controllers.current[kind]?.abort(), []);
  const select = useCallback((i: number | null) => patch(prediction, () => ({ selected: i })), [prediction, patch]);
  const setView = useCallback((kind: MapKind) => patch(prediction, () => ({ view: kind })), [prediction, patch]);
  // switching off and on again retries attention maps that failed
  const toggle = useCallback(() => {
    if (on && !st.maps.attention) requested.current = undefined;
    setOn(!on);
  }, [on, st.maps.attention]);
  const shown = on && st.view !== null && !!st.maps[st.view];
  return { on, toggle, available, prediction, st, select, selectedToken: shown ? st.selected : undefined, run, cancel, setView };
}

const KIND_LABEL: Record<MapKind, string> = { attention: 'Attention', occlusion: 'Occlusion' };

/** The pane's "Where it looks" toggle and, when on, its maps and controls. */
export function WhereItLooks({ looks, paneName }: { looks: WhereItLooksState; paneName: string }) {
  const { on, toggle, available, prediction, st, run, cancel, setView, select } = looks;
  const occ = st.running.occlusion;
  const view = st.view && st.maps[st.view] ? st.maps[st.view]! : null;
  const kinds = (Object.keys(st.maps) as MapKind[]).filter((k) => st.maps[k]);
  return (
    <div className="where-it-looks">
      <button
        type="button"
        aria-pressed={on}
        disabled={!available}
        title={available ? 'Maps of where the model looked for each token' : 'Needs a finished prediction of this session'}
        onClick={toggle}
      >
        Where it looks
      </button>
      {on && available && prediction && (
        <>
          {!prediction.attentionAvailable && <p className="hint">{NO_ATTENTION}</p>}
          {st.running.attention && <p className="hint">Computing the attention maps…</p>}
          <div className="maps-actions">
            {!st.maps.occlusion && (
              <button type="button" disabled={!!occ} onClick={() => run('occlusion')} title="Hide one patch at a time and measure the drop in each token's probability (one model pass per patch)">
                Occlusion map
              </button>
            )}
            {occ && (
              <>
                <progress aria-label={`Occlusion progress, ${paneName}`} max={occ.total || 1} value={occ.done} />
                <span className="hint">{occ.total ? `${occ.done} of ${occ.total} patches` : 'Starting…'}</span>
                <button type="button" onClick={() => cancel('occlusion')}>
                  Cancel occlusion
                </button>
              </>
            )}
            {kinds.length > 1 &&
              kinds.map((k) => (
                <button key={k} type="button" aria-pressed={st.view === k} onClick={() => setView(k)}>
                  Show {KIND_LABEL[k].toLowerCase()}
                </button>
              ))}
          </div>
          {st.error && (
            <p className="pane-error" role="alert">
              {st.error}
            </p>
          )}
          {view && <MapsView maps={view} image={prediction.modelInput} paneName={paneName} selected={st.selected} onSelect={select} />}
        </>
      )}
    </div>
  );
}
