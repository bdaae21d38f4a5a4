import { useEffect, useState } from 'react';
import { useApp } from '../app/context.tsx';
import type { InputOrigin } from '../app/state.ts';
import { DrawPanel } from '../draw/DrawPanel.tsx';
import { RasterView } from '../ui/RasterView.tsx';
import { EXAMPLES, type Example } from './examples.ts';
import { exampleUrl, fetchExample } from './loadExample.ts';
import { useImageInput } from './useImageInput.ts';
import { MAX_REFERENCE_LENGTH } from '../schema/limits.ts';

type Mode = 'upload' | 'draw' | 'examples';
const MODES: { id: Mode; label: string }[] = [
  { id: 'upload', label: 'Upload' },
  { id: 'draw', label: 'Draw' },
  { id: 'examples', label: 'Examples' },
];

/** The mode that shows where an input came from; the first-visit demo's next step is the visitor's own equation. */
function modeFor(origin: InputOrigin, demo: boolean): Mode {
  if (demo) return 'upload';
  return origin === 'drawing' ? 'draw' : origin === 'example' ? 'examples' : 'upload';
}

/** The panel's element id: "Start with your own equation" moves keyboard focus here. */
export const INPUT_PANEL_ID = 'input-panel';

const ACCEPT = 'image/png,image/jpeg,image/webp,image/gif,image/bmp,image/svg+xml,.png,.jpg,.jpeg,.webp,.gif,.bmp,.svg';

function UploadMode() {
  const take = useImageInput();
  return (
    <div className="input-actions">
      <label className="button">
        Upload image
        <input
          type="file"
          aria-label="Upload image"
          accept={ACCEPT}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void take(f, f.name, 'upload');
            e.target.value = ''; // choosing the same file again still fires
          }}
        />
      </label>
      <span className="hint">or drop or paste an image anywhere (PNG, JPEG, WebP, GIF, BMP, SVG)</span>
    </div>
  );
}

function ExamplesMode() {
  const { state, dispatch } = useApp();
  const take = useImageInput();
  const [busy, setBusy] = useState<string | null>(null);
  const choose = async (ex: Example) => {
    setBusy(ex.id);
    try {
      await take(await fetchExample(ex), ex.title, 'example', { reference: ex.latex, exampleId: ex.id });
    } catch (e) {
      dispatch({ type: 'alert', message: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(null);
    }
  };
  return (
    <ul className="examples" aria-label="Examples">
      {EXAMPLES.map((ex) => {
        const chosen = state.input?.exampleId === ex.id;
        return (
          <li key={ex.id}>
            <button type="button" className="example" aria-pressed={chosen} aria-busy={busy === ex.id} onClick={() => void choose(ex)} title={ex.source}>
              <img src={exampleUrl(ex)} alt="" loading="lazy" decoding="async" />
              <span>{ex.title}</span>
              <span className="example-kind">{ex.kind}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** Where an equation comes in: upload (and, app-wide, drop and paste), drawing, or a built-in example. */
export function InputPanel() {
  const { state, dispatch } = useApp();
  const [mode, setMode] = useState<Mode>(() => (state.input ? modeFor(state.input.origin, state.demo) : 'upload'));
  // a new input from elsewhere (paste, drop, history) shows the matching mode; only a new
  // input does (the demo ending leaves the mode as it is)
  const inputId = state.input?.id;
  const origin = state.input?.origin;
  const demo = state.demo;
  useEffect(() => {
    if (inputId && origin) setMode(modeFor(origin, demo));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [inputId, origin]);
  const example = state.input?.exampleId ? EXAMPLES.find((e) => e.id === state.input?.exampleId) : undefined;

  return (
    <section id={INPUT_PANEL_ID} tabIndex={-1} className="panel input-panel" aria-label="Input" data-mode={mode}>
      <h2>Equation</h2>
      <div className="input-modes" role="group" aria-label="Input mode">
        {MODES.map((m) => (
          <button key={m.id} type="button" aria-pressed={mode === m.id} onClick={() => setMode(m.id)}>
            {m.label}
          </button>
        ))}
      </div>
      {mode === 'upload' && <UploadMode />}
      {mode === 'draw' && <DrawPanel />}
      {mode === 'examples' && <ExamplesMode />}
      {mode !== 'draw' && <RasterView raster={state.input?.raster} label="Input image" className="input-preview" />}
      {example && mode === 'examples' && <p className="hint example-source">{example.source}</p>}
      <label className="reference">
        Reference LaTeX
        <input
          type="text"
          aria-label="Reference LaTeX"
          placeholder="optional: the correct LaTeX, to score predictions"
          maxLength={MAX_REFERENCE_LENGTH}
          value={state.reference}
          onChange={(e) => dispatch({ type: 'setReference', reference: e.target.value })}
          spellCheck={false}
        />
      </label>
    </section>
  );
}
