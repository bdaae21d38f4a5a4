import { useApp } from './context.tsx';
import { usePerturbedImage, useRecognition } from './effects.ts';
import { InputPanel } from '../input/InputPanel.tsx';
import { useGlobalDropAndPaste } from '../input/useImageInput.ts';
import { PerturbPanel } from '../perturb/PerturbPanel.tsx';
import { Pane } from '../compare/Pane.tsx';
import { SplitView } from '../compare/SplitView.tsx';
import { ResearchView } from '../research/ResearchView.tsx';
import { PermalinkButton } from '../research/PermalinkButton.tsx';
import { usePermalinkRestore } from '../research/usePermalink.ts';
import { HistoryPanel } from '../history/HistoryPanel.tsx';
import { useHistoryRecorder } from '../history/useHistoryRecorder.ts';
import { ModelPanel } from '../models/ModelPanel.tsx';
import { OfflineControl } from '../pwa/OfflineControl.tsx';

function Alerts() {
  const { state, dispatch } = useApp();
  return (
    <div className="alerts">
      {state.alerts.map((a) => (
        <div key={a.id} className="alert" role="alert">
          <span>{a.message}</span>
          <button type="button" aria-label="Dismiss message" onClick={() => dispatch({ type: 'dismissAlert', id: a.id })}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

export function App() {
  const { state, dispatch } = useApp();
  usePerturbedImage();
  useRecognition();
  useGlobalDropAndPaste();
  usePermalinkRestore();
  useHistoryRecorder();
  const perturbed = state.perturbed && state.input && state.perturbed.inputId === state.input.id ? state.perturbed.raster : null;
  return (
    <div className="app">
      <header className="app-head">
        <h1>LaTeX OCR Playground</h1>
        <p className="tagline">Picture of an equation in, LaTeX out — in your browser, offline. Change the colours and watch what breaks.</p>
        <nav className="tabs" aria-label="Mode">
          {(['compare', 'research'] as const).map((m) => (
            <button key={m} type="button" aria-pressed={state.mode === m} onClick={() => dispatch({ type: 'setMode', mode: m })}>
              {m === 'compare' ? 'Compare' : 'Research'}
            </button>
          ))}
        </nav>
        <PermalinkButton />
        <HistoryPanel />
        <OfflineControl />
      </header>
      <Alerts />
      <main className="layout">
        <aside className="side">
          <InputPanel />
          <PerturbPanel />
          <ModelPanel />
        </aside>
        <div className="compare" hidden={state.mode !== 'compare'}>
          <SplitView left={state.input?.raster ?? null} right={perturbed} leftLabel="Input as given" rightLabel="With perturbation" />
          <div className="panes">
            {state.panes.map((pane, i) => (
              <Pane key={pane.id} pane={pane} other={state.panes[i === 0 ? 1 : 0]} />
            ))}
          </div>
          <button type="button" onClick={() => dispatch({ type: 'addPane' })}>
            Add pane
          </button>
        </div>
        {/* kept mounted while hidden, so a running sweep and its results survive a look at Compare */}
        <ResearchView hidden={state.mode !== 'research'} />
      </main>
    </div>
  );
}
