/**
 * Saves each finished recognition run to the history: once every pane has a result
 * (prediction or error) for the current input and settings (not the first-visit demo's).
 * Runs on the same input update its entry. A full storage is reported once (role
 * "alert"); the work on screen is untouched.
 */
import { useEffect, useRef } from 'react';
import { useApp } from '../app/context.tsx';
import { paneJob } from '../app/selectors.ts';
import { historyStore } from './idb.ts';
import { inputPng } from './image.ts';
import { HistoryQuotaError } from './store.ts';
import type { HistoryPane } from './types.ts';
import type { Stroke } from '../draw/strokes.ts';

const sameStroke = (a: Stroke, b: Stroke) => a === b || (a.points.length === b.points.length && a.points[0]?.x === b.points[0]?.x && a.points[0]?.y === b.points[0]?.y);

/** One drawing growing (or undone) stroke by stroke: the shorter is a prefix of the longer. */
function sameDrawing(a: Stroke[], b: Stroke[]): boolean {
  const n = Math.min(a.length, b.length);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) if (!sameStroke(a[i], b[i])) return false;
  return true;
}

export function useHistoryRecorder() {
  const { state, dispatch } = useApp();
  const lastRun = useRef('');
  const failing = useRef(false);
  /** The drawing being made: its runs update one entry instead of adding one per stroke. */
  const drawing = useRef<{ entryId: string; strokes: Stroke[] } | null>(null);

  useEffect(() => {
    const { input } = state;
    // the first-visit demo is the app's showcase, not the visitor's run: kept out of the
    // history, a reload shows the demo again instead of "restoring" it as their last state
    if (!input || state.demo) return;
    const jobs = state.panes.map((p) => paneJob(state, p));
    const settled = state.panes.every((p, i) => {
      const r = state.results[p.id];
      return !!jobs[i] && !!r && r.jobKey === jobs[i].key && (r.status === 'done' || r.status === 'error');
    });
    if (!settled) return;
    const runKey = `${jobs.map((j) => j!.key).join('\n')}\n${state.reference}`;
    if (runKey === lastRun.current) return;
    lastRun.current = runKey;

    const panes: HistoryPane[] = state.panes.map((p) => {
      const r = state.results[p.id]!;
      const model = state.models.find((m) => m.key === p.modelKey);
      return {
        id: p.id,
        variant: p.variant,
        modelKey: p.modelKey,
        modelLabel: model?.label ?? p.modelKey,
        device: p.device,
        dtype: p.dtype,
        numBeams: p.numBeams,
        status: r.status === 'done' ? 'done' : 'error',
        latex: r.status === 'done' ? r.prediction?.latex : undefined,
        error: r.status === 'error' ? r.error : undefined,
        ranOn: r.prediction?.device,
        ranDtype: r.prediction?.dtype,
        ms: r.prediction ? Math.round(r.prediction.ms) : undefined,
        note: r.note,
        ...(p.instruction !== undefined ? { instruction: p.instruction } : {}),
        ...(r.status === 'done' && r.prediction?.raw !== undefined ? { raw: r.prediction.raw } : {}),
      };
    });
    const { reference, perturb } = state;
    let entryId = input.id;
    if (input.origin === 'drawing' && input.strokes?.length) {
      if (drawing.current && sameDrawing(drawing.current.strokes, input.strokes)) entryId = drawing.current.entryId;
      drawing.current = { entryId, strokes: input.strokes };
    }
    void (async () => {
      try {
        const image = await inputPng(input.id, input.raster);
        const now = Date.now();
        await historyStore().save({
          id: entryId,
          createdAt: now,
          updatedAt: now,
          input: { name: input.name, origin: input.origin, width: input.raster.width, height: input.raster.height, image, strokes: input.strokes },
          reference,
          perturb: { ...perturb },
          panes,
        });
        failing.current = false;
      } catch (e) {
        if (failing.current) return; // said once; more runs fail the same way
        failing.current = true;
        dispatch({
          type: 'alert',
          message: e instanceof HistoryQuotaError ? e.message : `This run was not saved to the history: ${e instanceof Error ? e.message : String(e)}`,
        });
      }
    })();
  }, [state, dispatch]);
}
