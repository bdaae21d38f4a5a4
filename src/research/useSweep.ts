/**
 * Running a sweep in the page: each step's image comes from the perturbation worker
 * (or, for the stroke-width variable, from re-rasterising the drawing's strokes), each
 * recognition is one job of the app's job layer (recognise(): queued with the panes' work,
 * one at a time). Cancelling aborts the pending call at once and stops it in the worker.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { InputImage, ModelEntry } from '../app/state.ts';
import { explainMaps, ocrClient, recognise } from '../app/services.ts';
import { NO_ATTENTION_REASON, stepMapOf, type StepMap } from '../explain/maps.ts';
import { perturbWorker } from '../worker-api/perturb.ts';
import { rasteriseStrokes } from '../draw/strokes.ts';
import { isIdentity } from '../perturb/types.ts';
import { cloneRaster, type Raster } from '../image/raster.ts';
import type { DeviceChoice } from '../worker-api/ocr.ts';
import { planSweep, runSweep, type SweepResult, type SweepSpec } from './sweep.ts';

export interface SweepProgress {
  done: number;
  total: number;
  /** What is happening now, for the status line. */
  phase: string;
}

export interface SweepRun {
  result: SweepResult | null;
  progress: SweepProgress | null;
  running: boolean;
  /** The input the last sweep ran on (for export metadata). */
  input: InputImage | null;
  error: string | null;
  /** `maps`: each step also gets its attention map ("Where it looks": one more pass per step). */
  /** `instructions`: a vision-language model's instruction (its pane's), by model key, for sweeps of other variables. */
  start: (spec: SweepSpec, input: InputImage, models: ModelEntry[], device: DeviceChoice, opts?: { maps?: boolean; instructions?: Readonly<Record<string, string>> }) => void;
  cancel: () => void;
}

/** The image of one step: strokes redrawn at a width, then the pixel perturbation (if any). */
async function stepImage(input: InputImage, settings: SweepResult['plan'][number], signal: AbortSignal): Promise<Raster> {
  let base = input.raster;
  if (settings.strokeWidth !== undefined) {
    if (!input.strokes?.length) throw new Error('Stroke width can only be varied on a drawing.');
    base = rasteriseStrokes(input.strokes, input.raster.width, input.raster.height, settings.strokeWidth);
  }
  if (isIdentity(settings.settings)) return base === input.raster ? cloneRaster(base) : base;
  return perturbWorker().apply(base, settings.settings, signal);
}

export function useSweep(): SweepRun {
  const [result, setResult] = useState<SweepResult | null>(null);
  const [progress, setProgress] = useState<SweepProgress | null>(null);
  const [input, setInput] = useState<InputImage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => () => abort.current?.abort(), []);

  const cancel = useCallback(() => abort.current?.abort(), []);

  const start = useCallback((spec: SweepSpec, inp: InputImage, models: ModelEntry[], device: DeviceChoice, opts: { maps?: boolean; instructions?: Readonly<Record<string, string>> } = {}) => {
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    const byKey = new Map(models.map((m) => [m.key, m]));
    const request = (key: string) => {
      const m = byKey.get(key);
      if (!m) throw new Error(`unknown model ${key}`);
      return { source: m.source, device };
    };
    // the rows and images so far, shown while the sweep runs
    const live: SweepResult = { spec, plan: planSweep(spec.variable, spec.from, spec.to, spec.steps, spec.instructions), images: [], rows: [], complete: false };
    const publish = () => {
      if (abort.current === ctl) setResult({ ...live, rows: [...live.rows], images: [...live.images] });
    };
    setInput(inp);
    setError(null);
    setResult(null);
    setProgress({ done: 0, total: spec.steps * spec.models.length, phase: 'Starting…' });
    void (async () => {
      try {
        const res = await runSweep(
          spec,
          {
            image: (step, signal) => stepImage(inp, step, signal),
            // before a model's first step: its progress line, and a failed load fails its rows once
            // (each recognise() below then finds it loaded)
            load: async (m, signal) => {
              await ocrClient().load(request(m.key), undefined, signal);
            },
            recognize: async (m, image, signal, step) => {
              // a VLM: the step's wording (instruction sweeps), else its pane's instruction, else its own
              const instruction = step?.instruction ?? opts.instructions?.[m.key];
              const { prediction: p } = await recognise({ ...request(m.key), image, ...(instruction !== undefined ? { instruction } : {}) }, { signal });
              if (!opts.maps) return p;
              // the step's attention map, from the model, device and precision that read it
              let stepMap: StepMap;
              if (!p.attentionAvailable) stepMap = { unavailable: NO_ATTENTION_REASON };
              else if (!p.sequence || !p.tokens.length) stepMap = { unavailable: 'no tokens to map' };
              else {
                const { source } = request(m.key);
                const req = { source, device: p.device === 'webgpu' ? ('webgpu' as const) : ('wasm' as const), dtype: p.dtype, modelInput: p.modelInput, sequence: p.sequence, kind: 'attention' as const };
                stepMap = await explainMaps(req, { signal }).then(
                  (maps) => stepMapOf(maps, p.modelInput),
                  (e) => {
                    if (signal.aborted) throw e;
                    return { unavailable: `the map failed: ${e instanceof Error ? e.message : String(e)}` };
                  },
                );
              }
              return { ...p, stepMap };
            },
          },
          ctl.signal,
          {
            onImage: (step, image) => {
              live.images[step] = image;
              publish();
            },
            onRow: (row) => {
              live.rows.push(row);
              publish();
            },
            onProgress: (p) => {
              if (abort.current !== ctl) return;
              setProgress({
                done: p.done,
                total: p.total,
                phase: p.loading ? `Loading ${p.model.label}…` : p.done === p.total ? 'Finishing…' : `${p.model.label}: step ${p.step + 1} of ${spec.steps}`,
              });
            },
          },
        );
        if (abort.current === ctl) setResult(res);
      } catch (e) {
        if (abort.current === ctl) {
          setError(e instanceof Error ? e.message : String(e));
          publish();
        }
      } finally {
        if (abort.current === ctl) {
          setProgress(null);
          abort.current = null;
        }
      }
    })();
  }, []);

  return { result, progress, running: progress !== null, input, error, start, cancel };
}
