/**
 * The first-visit demo's explanation (src/app/demo.ts): what to look at, a way into the
 * app with one's own equation, and a way to never see the demo again. Shown above the
 * layout (in Compare), so on a phone it is on the first screen too.
 */
import { useApp } from './context.tsx';
import { initialState } from './state.ts';
import { markDemoSeen, pageStorage } from './demo.ts';
import { INPUT_PANEL_ID } from '../input/InputPanel.tsx';

export function DemoIntro() {
  const { state, dispatch } = useApp();
  // it explains the panes: not shown over research mode
  if (!state.demo || state.mode !== 'compare') return null;

  const startOwn = () => {
    markDemoSeen(pageStorage());
    // the normal empty start: no input, no perturbation, the default two panes
    dispatch({ type: 'restore', state: { input: null, reference: initialState.reference, perturb: { ...initialState.perturb }, panes: initialState.panes } });
    // the explanation (and the button that had focus) is gone: keyboard focus goes where the next step is
    document.getElementById(INPUT_PANEL_ID)?.focus();
  };
  const dismiss = () => {
    markDemoSeen(pageStorage());
    dispatch({ type: 'endDemo' });
  };

  return (
    <section className="demo-intro" aria-labelledby="demo-intro-title">
      <h2 id="demo-intro-title">Same equation, only the colours changed</h2>
      <p>
        Pane 1: the <strong>narrow</strong> model, trained on black-on-white images only, reads the equation as given. Pane 2: the same model on the
        same image in white on blue misreads it. Pane 3: the <strong>augmented</strong> model, trained with colour changes, reads the white-on-blue
        image correctly. Each pane compares its reading with the true LaTeX.
      </p>
      <div className="demo-actions">
        <button type="button" className="primary" onClick={startOwn}>
          Start with your own equation
        </button>
        <a href="#panes">See the three readings</a>
        <button type="button" onClick={dismiss}>
          Don’t show this again
        </button>
      </div>
    </section>
  );
}
