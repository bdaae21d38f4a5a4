import { lazy, Suspense, useId, useMemo, useState, type ReactNode } from 'react';
import { useApp } from '../app/context.tsx';
import { SWEEP_VARIABLES, sweepVariable } from '../perturb/variables.ts';
import type { DeviceChoice } from '../worker-api/ocr.ts';
import { MAX_SWEEP_STEPS } from './config.ts';
import { exportFileName, sweepCsv, sweepJson } from './export.ts';
import { downloadBlob, downloadText } from './download.ts';
import { ladderPng } from './ladderPng.ts';
import { Ladder } from './Ladder.tsx';
import { PresetsPanel } from './PresetsPanel.tsx';
import { chartSeries } from './sweep.ts';
import { useSweep } from './useSweep.ts';
import { canSweepInstruction, DEFAULT_SWEEP_INSTRUCTIONS, MAX_INSTRUCTION_LIST_CHARS, parseInstructionList } from './instructions.ts';
import { paneInstructions } from './presets.ts';

// uPlot (a fifth of the page's own JS) loads with the first sweep result, not with the page
const SweepChart = lazy(() => import('./SweepChart.tsx').then((m) => ({ default: m.SweepChart })));

const DEVICES: { value: DeviceChoice; label: string }[] = [
  { value: 'auto', label: 'Auto (WebGPU on a GPU, else WASM)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'wasm', label: 'WASM (CPU)' },
];

/**
 * A label and its control side by side in the markup (label htmlFor, not wrapping):
 * a wrapping label's text would include every option of a select, and label queries
 * elsewhere ("Paper colour") would then match the variable list.
 */
function Field({ id, label, className, children }: { id: string; label: string; className?: string; children: ReactNode }) {
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
    </div>
  );
}

function axisLabel(v: { label: string; unit?: string }) {
  return v.unit ? `${v.label} (${v.unit})` : v.label;
}

/**
 * Research mode: one-variable stress tests. The current input is perturbed along
 * one variable in n steps and read by one or two models; a ladder shows every step,
 * a chart the score against the variable; the sweep exports as CSV, JSON and PNG.
 */
export function ResearchView({ hidden }: { hidden?: boolean }) {
  const { state, dispatch } = useApp();
  const cfg = state.research;
  const sweep = useSweep();
  const [pngBusy, setPngBusy] = useState(false);
  // "Where it looks": each step's attention map beside its prediction (one more pass per step)
  const [maps, setMaps] = useState(false);
  const uid = useId();
  const input = state.input;
  const isDrawing = !!input?.strokes?.length;
  const variable = SWEEP_VARIABLES.find((v) => v.id === cfg.variable) ?? SWEEP_VARIABLES[0];
  const set = (patch: Partial<typeof cfg>) => dispatch({ type: 'setResearch', patch });
  const models = cfg.models.filter((k) => state.models.some((m) => m.key === k));
  // the instruction is a variable only when every swept model is a vision-language model
  const vlmSweep = canSweepInstruction(models.map((k) => state.models.find((m) => m.key === k)));
  const instructionText = cfg.instructions ?? DEFAULT_SWEEP_INSTRUCTIONS;
  const wordings = parseInstructionList(instructionText);
  const stepsOk = Number.isInteger(cfg.steps) && cfg.steps >= 1 && cfg.steps <= MAX_SWEEP_STEPS;
  const rangeOk = Number.isFinite(cfg.from) && Number.isFinite(cfg.to);
  const problem = !input
    ? 'Give an equation first (upload, paste, drop, draw or pick an example).'
    : variable.drawingOnly && !isDrawing
      ? 'Stroke width can only be varied on a drawing: draw the equation first.'
      : !models.length
        ? 'Pick a model.'
        : variable.vlmOnly && !vlmSweep
          ? 'The instruction can only be varied with vision-language models: pick only such models, or another variable.'
          : variable.vlmOnly
            ? wordings.problem
            : !stepsOk
          ? `Steps must be a whole number from 1 to ${MAX_SWEEP_STEPS}.`
          : !rangeOk
            ? 'From and To must be numbers.'
            : null;

  const result = sweep.result;
  const shown = result ? sweepVariable(result.spec.variable.id) : variable;
  const chart = useMemo(() => {
    if (!result) return null;
    const c = chartSeries(result);
    return { x: c.x, series: c.series.map((s) => ({ label: s.model.label, scores: s.scores })) };
  }, [result]);

  const run = () => {
    if (problem || !input) return;
    const entries = state.models.filter((m) => models.includes(m.key));
    sweep.start(
      {
        variable,
        from: cfg.from,
        to: cfg.to,
        steps: cfg.steps,
        models: models.map((k) => ({ key: k, label: entries.find((m) => m.key === k)!.label })),
        reference: state.reference,
        // the instruction variable: one step per wording, the same image
        ...(variable.vlmOnly ? { instructions: wordings.instructions, steps: wordings.instructions.length, from: 0, to: wordings.instructions.length - 1 } : {}),
      },
      input,
      entries,
      cfg.device,
      { maps, instructions: paneInstructions(state.panes) },
    );
  };

  const meta = () => ({
    image: sweep.input ? { name: sweep.input.name, width: sweep.input.raster.width, height: sweep.input.raster.height, origin: sweep.input.origin, exampleId: sweep.input.exampleId } : undefined,
    device: cfg.device,
  });

  const modelSelect = (index: number, label: string) => (
    <Field id={`${uid}-model${index}`} label={label}>
      <select
        id={`${uid}-model${index}`}
        value={models[index] ?? ''}
        onChange={(e) => {
          const v = e.target.value;
          const next: (string | undefined)[] = [...models];
          if (!v) next.splice(index, 1);
          else {
            // picking the model the other select has swaps them
            const j = next.indexOf(v);
            if (j >= 0 && j !== index) next[j] = next[index];
            next[index] = v;
          }
          set({ models: [...new Set(next.filter((k): k is string => !!k))] });
        }}
      >
        {index > 0 && <option value="">(none)</option>}
        {state.models.map((m) => (
          <option key={m.key} value={m.key}>
            {m.label}
          </option>
        ))}
      </select>
    </Field>
  );

  return (
    <section className="research" aria-label="Research" hidden={hidden}>
      <div className="panel">
        <h2>One-variable stress test</h2>
        <p className="hint">
          The current input is changed along one variable, everything else fixed, and read by one or two models at each step. Scores are 1 − normalised token edit distance to{' '}
          {state.reference.trim() ? 'the reference LaTeX' : "each model's own step-0 prediction (set a reference LaTeX to score against the truth)"}.
        </p>
        <form
          className="sweep-form"
          onSubmit={(e) => {
            e.preventDefault();
            run();
          }}
        >
          {modelSelect(0, 'First model')}
          {modelSelect(1, 'Second model')}
          <Field id={`${uid}-device`} label="Sweep device">
            <select id={`${uid}-device`} value={cfg.device} onChange={(e) => set({ device: e.target.value as DeviceChoice })}>
              {DEVICES.map((d) => (
                <option key={d.value} value={d.value}>
                  {d.label}
                </option>
              ))}
            </select>
          </Field>
          <Field id={`${uid}-variable`} label="Variable" className="sweep-variable">
            <select
              id={`${uid}-variable`}
              value={variable.id}
              onChange={(e) => {
                const v = sweepVariable(e.target.value);
                set({ variable: v.id, from: v.from, to: v.to });
              }}
            >
              {SWEEP_VARIABLES.filter((v) => !v.vlmOnly || vlmSweep || v.id === variable.id).map((v) => (
                <option key={v.id} value={v.id} disabled={(v.drawingOnly && !isDrawing) || (v.vlmOnly && !vlmSweep)}>
                  {axisLabel(v)}
                  {v.drawingOnly && !isDrawing ? ' — needs a drawing' : ''}
                </option>
              ))}
            </select>
          </Field>
          {variable.vlmOnly ? (
            <Field id={`${uid}-instructions`} label="Instructions, one per line" className="sweep-instructions">
              <textarea
                id={`${uid}-instructions`}
                rows={4}
                value={instructionText}
                maxLength={MAX_INSTRUCTION_LIST_CHARS}
                spellCheck={false}
                onChange={(e) => set({ instructions: e.target.value })}
              />
            </Field>
          ) : (
            <>
              <Field id={`${uid}-from`} label="From">
                <input id={`${uid}-from`} type="number" step="any" value={Number.isFinite(cfg.from) ? cfg.from : ''} onChange={(e) => set({ from: e.target.value === '' ? NaN : Number(e.target.value) })} />
              </Field>
              <Field id={`${uid}-to`} label="To">
                <input id={`${uid}-to`} type="number" step="any" value={Number.isFinite(cfg.to) ? cfg.to : ''} onChange={(e) => set({ to: e.target.value === '' ? NaN : Number(e.target.value) })} />
              </Field>
              <Field id={`${uid}-steps`} label="Steps">
                <input id={`${uid}-steps`} type="number" min={1} max={MAX_SWEEP_STEPS} step={1} value={Number.isFinite(cfg.steps) ? cfg.steps : ''} onChange={(e) => set({ steps: e.target.value === '' ? NaN : Number(e.target.value) })} />
              </Field>
            </>
          )}
          <div className="sweep-actions">
            <button type="submit" disabled={!!problem || sweep.running}>
              Run sweep
            </button>
            <button type="button" disabled={!sweep.running} onClick={sweep.cancel}>
              Cancel sweep
            </button>
            <button type="button" aria-pressed={maps} onClick={() => setMaps((v) => !v)} title="Each step's attention map and ink share beside its prediction (models with attention; applies to the next sweep)">
              Where it looks
            </button>
          </div>
        </form>
        {problem && !sweep.running && <p className="hint">{problem}</p>}
        {sweep.progress && (
          <div className="progress">
            <progress aria-label="Sweep progress" max={sweep.progress.total} value={sweep.progress.done} />
            <span>
              {sweep.progress.done}/{sweep.progress.total} · {sweep.progress.phase}
            </span>
          </div>
        )}
        <div role="status" className="sweep-status" aria-label="Sweep status">
          {sweep.running
            ? 'Sweep running…'
            : result
              ? `${result.complete ? 'Sweep finished' : 'Sweep cancelled'}: ${result.rows.length} of ${result.plan.length * result.spec.models.length} recognitions${
                  result.rows.some((r) => r.error) ? `, ${result.rows.filter((r) => r.error).length} failed` : ''
                }.`
              : ''}
        </div>
        {sweep.error && (
          <div className="pane-error" role="alert">
            The sweep stopped: {sweep.error}
          </div>
        )}
      </div>

      {result && chart && (
        <div className="panel sweep-results">
          <Suspense fallback={<p className="chart-loading">Loading the chart…</p>}>
            <SweepChart x={chart.x} series={chart.series} xLabel={axisLabel(shown)} />
          </Suspense>
          <div className="sweep-exports">
            <button type="button" disabled={sweep.running || !result.rows.length} onClick={() => downloadText(sweepCsv(result.rows), exportFileName(result.spec.variable.id, 'csv'), 'text/csv;charset=utf-8')}>
              Download CSV
            </button>
            <button type="button" disabled={sweep.running || !result.rows.length} onClick={() => downloadText(sweepJson(result, meta()), exportFileName(result.spec.variable.id, 'json'), 'application/json')}>
              Download JSON
            </button>
            <button
              type="button"
              disabled={sweep.running || !result.rows.length || pngBusy}
              onClick={async () => {
                setPngBusy(true);
                try {
                  downloadBlob(await ladderPng(result, { imageName: sweep.input?.name }), exportFileName(result.spec.variable.id, 'png'));
                } catch (e) {
                  dispatch({ type: 'alert', message: `Could not make the PNG: ${e instanceof Error ? e.message : e}` });
                } finally {
                  setPngBusy(false);
                }
              }}
            >
              Download PNG
            </button>
          </div>
          <Ladder result={result} xLabel={axisLabel(shown)} maps={maps} />
        </div>
      )}

      <PresetsPanel />
    </section>
  );
}
