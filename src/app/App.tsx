import { useApp } from './context.tsx';
import { usePerturbedImage, useRecognition } from './effects.ts';
import { useFirstScreen } from './useFirstScreen.ts';
import { DemoIntro } from './DemoIntro.tsx';
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
  useFirstScreen();
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
      <DemoIntro />
      {/* the input panel is a grid item of its own: a drawing widens its column (styles.css) */}
      <main className="layout">
        <InputPanel />
        {/* not an <aside>: a complementary landmark inside <main> is one screen readers misplace */}
        <div className="side">
          <PerturbPanel />
          <ModelPanel />
        </div>
        <div className="compare" hidden={state.mode !== 'compare'}>
          <SplitView left={state.input?.raster ?? null} right={perturbed} leftLabel="Input as given" rightLabel="With perturbation" />
          <div className="panes" id="panes">
            {state.panes.map((pane, i) => (
              // each pane is compared with the one before it (the first with the second): with the
              // demo's three, pane 2 shows what the colours did, pane 3 what the training did
              <Pane key={pane.id} pane={pane} other={state.panes[i === 0 ? 1 : i - 1]} />
            ))}
          </div>
          <button type="button" className="add-pane" onClick={() => dispatch({ type: 'addPane' })}>
            Add pane
          </button>
        </div>
        {/* kept mounted while hidden, so a running sweep and its results survive a look at Compare */}
        <ResearchView hidden={state.mode !== 'research'} />
      </main>
    </div>
  );
}
