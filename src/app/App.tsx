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
import { HubConsent } from '../research/HubConsent.tsx';
import { usePermalinkRestore } from '../research/usePermalink.ts';
import { HistoryPanel } from '../history/HistoryPanel.tsx';
import { useHistoryRecorder } from '../history/useHistoryRecorder.ts';
import { ModelPanel } from '../model-picker/ModelPanel.tsx';
import { OfflineControl } from '../pwa/OfflineControl.tsx';
import { ErrorBoundary } from '../ui/ErrorBoundary.tsx';

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
        <ErrorBoundary name="History">
          <HistoryPanel />
        </ErrorBoundary>
        <OfflineControl />
      </header>
      <Alerts />
      <HubConsent />
      <DemoIntro />
      {/* the input panel is a grid item of its own: a drawing widens its column (styles.css) */}
      <main className="layout">
        {/* each part has its own error boundary: one that fails to render shows a message and a
            retry button in its place, and the rest of the app keeps working (src/ui/ErrorBoundary.tsx) */}
        <ErrorBoundary name="Input panel" resetKey={state.input?.id}>
          <InputPanel />
        </ErrorBoundary>
        {/* not an <aside>: a complementary landmark inside <main> is one screen readers misplace */}
        <div className="side">
          <ErrorBoundary name="Perturbation panel">
            <PerturbPanel />
          </ErrorBoundary>
          <ErrorBoundary name="Models panel">
            <ModelPanel />
          </ErrorBoundary>
        </div>
        <div className="compare" hidden={state.mode !== 'compare'}>
          <ErrorBoundary name="Compare view">
            <SplitView left={state.input?.raster ?? null} right={perturbed} leftLabel="Input as given" rightLabel="With perturbation" />
            <div className="panes" id="panes">
              {state.panes.map((pane, i) => (
                // each pane is compared with the one before it (the first with the second): with the
                // demo's three, pane 2 shows what the colours did, pane 3 what the training did.
                // A new result for the pane gives a failed one another try.
                <ErrorBoundary key={pane.id} name={`Pane ${pane.id}`} className="pane" resetKey={state.results[pane.id]?.jobKey}>
                  <Pane pane={pane} other={state.panes[i === 0 ? 1 : i - 1]} />
                </ErrorBoundary>
              ))}
            </div>
            <button type="button" className="add-pane" onClick={() => dispatch({ type: 'addPane' })}>
              Add pane
            </button>
          </ErrorBoundary>
        </div>
        {/* kept mounted while hidden, so a running sweep and its results survive a look at Compare */}
        <ErrorBoundary name="Research view" hidden={state.mode !== 'research'}>
          <ResearchView hidden={state.mode !== 'research'} />
        </ErrorBoundary>
      </main>
    </div>
  );
}
