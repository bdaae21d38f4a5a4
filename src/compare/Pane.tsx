import { useEffect, useMemo, useRef, useState } from 'react';
import { useApp } from '../app/context.tsx';
import type { PaneConfig } from '../app/state.ts';
import { isStale } from '../app/selectors.ts';
import { Katex } from '../render/Katex.tsx';
import { RasterView } from '../ui/RasterView.tsx';
import { DiffView } from './DiffView.tsx';
import { MAX_SHOWN_LATEX_CHARS } from './limits.ts';
import { LoadProgressBar } from './LoadProgressBar.tsx';
import { TokenConfidence } from './TokenConfidence.tsx';
import type { DeviceChoice, Dtype } from '../worker-api/ocr.ts';
import { BEAM_WIDTHS, DEFAULT_NUM_BEAMS } from '../model/beam.ts';
import { COPY_FORMATS, copyText, noMathmlReason, type CopyFormat } from '../render/copyFormats.ts';
import { useRenderFault, useTestPrediction } from '../ui/renderTest.ts';
import { InstructionField, paneVlm, VlmOutput } from './VlmPane.tsx';
import { useWhereItLooks, WhereItLooks } from '../explain/WhereItLooks.tsx';

/** The most of a prediction read out when a pane finishes (a screen reader would read all of it). */
const ANNOUNCE_CHARS = 300;

/** "Copy as": one button per format; what happened is said in a polite live region. */
function CopyAs({ latex, pane }: { latex: string; pane: string }) {
  const [said, setSaid] = useState('');
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  // MathML needs a parse: done once per prediction, also to know whether it can be offered
  const mathml = useMemo(() => copyText(latex, 'mathml'), [latex]);
  const copy = async (format: CopyFormat, label: string) => {
    const text = format === 'mathml' ? mathml : copyText(latex, format);
    if (text === null) return;
    let ok = true;
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
    } catch {
      ok = false; // refused (no permission, an insecure page): the LaTeX above can be selected by hand
    }
    setSaid(ok ? `Copied ${label}.` : `Could not copy ${label}: select the LaTeX and copy it by hand.`);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setSaid(''), 4000);
  };
  return (
    <div className="copy-as" role="group" aria-label={`Copy as, ${pane}`}>
      <span className="copy-as-label" aria-hidden="true">
        Copy as
      </span>
      {COPY_FORMATS.map((f) => {
        const unavailable = f.id === 'mathml' && mathml === null;
        return (
          <button
            key={f.id}
            type="button"
            aria-label={f.name}
            disabled={unavailable}
            title={unavailable ? noMathmlReason(latex) : undefined}
            onClick={() => void copy(f.id, f.label)}
          >
            {f.label}
          </button>
        );
      })}
      <span className="copy-said" aria-live="polite">
        {said}
      </span>
    </div>
  );
}

const DEVICES: { value: DeviceChoice; label: string }[] = [
  { value: 'auto', label: 'Auto (WebGPU on a GPU, else WASM)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'wasm', label: 'WASM (CPU)' },
];
const DTYPES: { value: Dtype | ''; label: string }[] = [
  { value: '', label: 'Default precision' },
  { value: 'fp32', label: 'fp32' },
  { value: 'q8', label: 'q8 (int8)' },
  { value: 'fp16', label: 'fp16 (WebGPU)' },
];

export function Pane({ pane, other }: { pane: PaneConfig; other?: PaneConfig }) {
  const { state, dispatch } = useApp();
  const result = state.results[pane.id];
  const otherResult = other ? state.results[other.id] : undefined;
  const name = `Pane ${pane.id}`;
  useRenderFault(name);
  // test builds only: a prediction put in place of this pane's (and the other pane's) own
  const testPrediction = useTestPrediction(pane.id);
  const otherTestPrediction = useTestPrediction(other?.id ?? -1);
  const p = testPrediction ?? result?.prediction;
  const otherPrediction = otherTestPrediction ?? otherResult?.prediction;
  const stale = isStale(state, pane);
  // what a screen reader hears when this pane finishes (the status line only says how long it took)
  const said = p ? p.latex.trim() : '';
  const announcement =
    result?.status === 'done' && p && !stale
      ? `${name} read: ${said.length > ANNOUNCE_CHARS ? `${said.slice(0, ANNOUNCE_CHARS)}… (${said.length.toLocaleString('en')} characters in all)` : said || 'nothing'}`
      : '';
  const update = (patch: Partial<PaneConfig>) => dispatch({ type: 'updatePane', id: pane.id, patch });
  // a vision-language model: an instruction field and its raw output (src/compare/VlmPane.tsx); null for OCR models
  const paneModel = state.models.find((m) => m.key === pane.modelKey);
  const vlm = paneVlm(pane, paneModel, result);
  // "Where it looks" (src/explain/): for the finished prediction, with the model, device and precision that made it
  const looksModel = state.models.find((m) => m.key === pane.modelKey);
  const finished = result?.status === 'done' && !stale && !testPrediction ? result.prediction : undefined;
  const looks = useWhereItLooks(
    finished,
    looksModel && finished ? { source: looksModel.source, device: finished.device === 'webgpu' ? 'webgpu' : 'wasm', dtype: finished.dtype } : null,
  );

  return (
    <section className="pane" aria-label={name} aria-busy={result?.status === 'loading' || result?.status === 'running'}>
      <header className="pane-head">
        <h2>{name}</h2>
        {state.panes.length > 1 && (
          <button type="button" className="icon" aria-label={`Remove ${name}`} onClick={() => dispatch({ type: 'removePane', id: pane.id })}>
            ×
          </button>
        )}
      </header>
      <div className="pane-controls">
        <label>
          Image
          <select value={pane.variant} onChange={(e) => update({ variant: e.target.value as PaneConfig['variant'] })}>
            <option value="original">Input as given</option>
            <option value="perturbed">Input with perturbation</option>
          </select>
        </label>
        <label>
          Model
          <select value={pane.modelKey} onChange={(e) => update({ modelKey: e.target.value, instruction: undefined })}>
            {state.models.map((m) => (
              <option key={m.key} value={m.key}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Device
          <select value={pane.device} onChange={(e) => update({ device: e.target.value as DeviceChoice })}>
            {DEVICES.map((d) => (
              <option key={d.value} value={d.value}>
                {d.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Precision
          <select value={pane.dtype ?? ''} onChange={(e) => update({ dtype: (e.target.value || undefined) as Dtype | undefined })}>
            {DTYPES.map((d) => (
              <option key={d.value} value={d.value}>
                {/* a VLM's default is its config's (transformers.js_config.dtype), not the device's */}
                {d.value === '' && paneModel?.vlm?.dtype ? `${d.label} (${paneModel.vlm.dtype}, from the model)` : d.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Beam width
          <select value={pane.numBeams ?? DEFAULT_NUM_BEAMS} onChange={(e) => update({ numBeams: Number(e.target.value) })}>
            {BEAM_WIDTHS.map((w) => (
              <option key={w} value={w}>
                {w === 1 ? '1 (greedy)' : w}
              </option>
            ))}
          </select>
        </label>
      </div>

      {vlm && <InstructionField vlm={vlm} name={name} onChange={(instruction) => update({ instruction })} />}

      {result?.status === 'loading' && <LoadProgressBar progress={result.progress} />}
      <div className="pane-status" role="status" aria-label={`${name} status`}>
        {!state.input
          ? 'Give an equation: upload, paste, drop or draw one.'
          : result?.status === 'loading'
            ? 'Loading model…'
            : result?.status === 'running' || stale || !result
              ? 'Recognising…'
              : result.status === 'error'
                ? 'Failed'
                : `${p!.ms.toFixed(0)} ms on ${p!.device.toUpperCase()} (${p!.dtype})${(p!.decoding?.numBeams ?? 1) > 1 ? `, beam width ${p!.decoding!.numBeams}` : ''}`}
      </div>
      <p className="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </p>
      {result?.note && <p className="pane-note">{result.note}</p>}
      {result?.status === 'error' && (
        <div className="pane-error" role="alert">
          {result.error}
        </div>
      )}

      <figure className="model-input">
        <RasterView raster={p?.modelInput} label={`Model input, ${name}`} />
        <figcaption>What the model sees</figcaption>
      </figure>
      <WhereItLooks looks={looks} paneName={name} />

      {vlm && <VlmOutput prediction={p} streamed={result?.status === 'running' ? result.streamed : undefined} name={name} />}
      {p && (
        <>
          <pre className="latex" aria-label="Predicted LaTeX" tabIndex={0}>
            {p.latex.length > MAX_SHOWN_LATEX_CHARS ? p.latex.slice(0, MAX_SHOWN_LATEX_CHARS) : p.latex}
          </pre>
          {p.latex.length > MAX_SHOWN_LATEX_CHARS && (
            <p className="pane-note" data-testid="latex-more">
              The first {MAX_SHOWN_LATEX_CHARS.toLocaleString('en')} of {p.latex.length.toLocaleString('en')} characters are shown; Copy LaTeX copies all of them.
            </p>
          )}
          <CopyAs latex={p.latex} pane={name} />
          <TokenConfidence prediction={p} label={`Token confidence, ${name}`} selected={looks.selectedToken} onSelect={looks.selectedToken !== undefined ? looks.select : undefined} />
          <Katex latex={p.latex} label="Rendered prediction" textAbove />
          {state.reference && <DiffView from={state.reference} to={p.latex} label="vs reference" fromName="the reference" />}
          {other && otherPrediction && <DiffView from={otherPrediction.latex} to={p.latex} label={`vs Pane ${other.id}`} fromName={`Pane ${other.id}`} />}
        </>
      )}
    </section>
  );
}
