import { useApp } from '../app/context.tsx';
import { isIdentity } from './types.ts';

/** Recolour and perturb: each control one variable, applied to the image of "perturbed" panes. */
export function PerturbPanel() {
  const { state, dispatch } = useApp();
  const o = state.perturb;
  const set = (patch: Partial<typeof o>) => dispatch({ type: 'setPerturb', patch });
  return (
    <section className="panel perturb-panel" aria-label="Perturbation">
      <h2>Recolour and perturb</h2>
      <div className="perturb-grid">
        <label>
          Ink colour
          <input type="color" aria-label="Ink colour" value={o.ink} onChange={(e) => set({ ink: e.target.value })} />
        </label>
        <label>
          Paper colour
          <input type="color" aria-label="Paper colour" value={o.paper} onChange={(e) => set({ paper: e.target.value })} />
        </label>
        <button type="button" aria-pressed={o.invert === 1} onClick={() => set({ invert: o.invert === 1 ? 0 : 1 })}>
          Invert colours
        </button>
        <button type="button" onClick={() => set({ ink: '#ffffff', paper: '#1e40af' })}>
          White on blue
        </button>
      </div>
      <button type="button" disabled={isIdentity(o)} onClick={() => dispatch({ type: 'resetPerturb' })}>
        Reset perturbation
      </button>
    </section>
  );
}
