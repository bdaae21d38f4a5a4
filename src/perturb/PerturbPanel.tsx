import { useApp } from '../app/context.tsx';
import { DEFAULT_PERTURB, PERTURB_PRESETS, isIdentity, type PerturbOptions } from './types.ts';

type NumericKey = Exclude<keyof PerturbOptions, 'ink' | 'paper' | 'invert' | 'seed'>;

/** One slider per numeric option: its accessible name, range and how its value reads. */
const SLIDERS: { key: NumericKey; label: string; min: number; max: number; step: number; format: (v: number) => string }[] = [
  { key: 'hue', label: 'Hue rotation', min: 0, max: 360, step: 1, format: (v) => `${v}°` },
  { key: 'brightness', label: 'Brightness', min: -0.8, max: 0.8, step: 0.01, format: (v) => `${v > 0 ? '+' : ''}${Math.round(v * 100)}%` },
  { key: 'contrast', label: 'Contrast', min: 0.1, max: 3, step: 0.05, format: (v) => `${v.toFixed(2)}×` },
  { key: 'noise', label: 'Noise', min: 0, max: 0.5, step: 0.01, format: (v) => `σ ${Math.round(v * 100)}%` },
  { key: 'blur', label: 'Blur', min: 0, max: 6, step: 0.1, format: (v) => `σ ${v.toFixed(1)} px` },
  { key: 'rotate', label: 'Rotation', min: -180, max: 180, step: 0.5, format: (v) => `${v}°` },
  { key: 'scale', label: 'Scale', min: 0.1, max: 3, step: 0.05, format: (v) => `${v.toFixed(2)}×` },
  { key: 'jpeg', label: 'JPEG quality', min: 1, max: 100, step: 1, format: (v) => (v >= 100 ? 'off (100)' : String(v)) },
  { key: 'margin', label: 'Margin', min: 0, max: 200, step: 1, format: (v) => `${v} px` },
];

const matches = (o: PerturbOptions, patch: Partial<PerturbOptions>) =>
  (Object.keys(patch) as (keyof PerturbOptions)[]).every((k) => String(o[k]).toLowerCase() === String(patch[k]).toLowerCase());

/** Recolour and perturb: each control one variable, applied to the image of "perturbed" panes. */
export function PerturbPanel() {
  const { state, dispatch } = useApp();
  const o = state.perturb;
  const set = (patch: Partial<PerturbOptions>) => dispatch({ type: 'setPerturb', patch });
  return (
    <section className="panel perturb-panel" aria-label="Perturbation">
      <h2>Recolour and perturb</h2>
      <div className="perturb-presets" role="group" aria-label="Quick presets">
        {PERTURB_PRESETS.map((p) => {
          const active = matches(o, p.options);
          return (
            <button key={p.id} type="button" aria-pressed={active} onClick={() => set(active ? { ink: DEFAULT_PERTURB.ink, paper: DEFAULT_PERTURB.paper } : p.options)}>
              {p.label}
            </button>
          );
        })}
      </div>
      <div className="perturb-grid">
        <label>
          Ink colour
          <input type="color" aria-label="Ink colour" value={o.ink} onChange={(e) => set({ ink: e.target.value.toLowerCase() })} />
        </label>
        <label>
          Paper colour
          <input type="color" aria-label="Paper colour" value={o.paper} onChange={(e) => set({ paper: e.target.value.toLowerCase() })} />
        </label>
        <button type="button" className="perturb-wide" aria-pressed={o.invert === 1} onClick={() => set({ invert: o.invert === 1 ? 0 : 1 })}>
          Invert colours
        </button>
        {SLIDERS.map((s) => {
          const v = o[s.key];
          const id = `perturb-${s.key}`;
          return (
            <div key={s.key} className={`perturb-slider${v !== DEFAULT_PERTURB[s.key] ? ' changed' : ''}`}>
              <span className="perturb-slider-head">
                <label htmlFor={id}>{s.label}</label>
                <output htmlFor={id} aria-hidden="true">
                  {s.format(v)}
                </output>
              </span>
              <input
                id={id}
                type="range"
                aria-label={s.label}
                aria-valuetext={s.format(v)}
                min={s.min}
                max={s.max}
                step={s.step}
                value={v}
                onChange={(e) => set({ [s.key]: Number(e.target.value) })}
                onDoubleClick={() => set({ [s.key]: DEFAULT_PERTURB[s.key] })}
              />
            </div>
          );
        })}
        <label>
          Noise seed
          <input
            type="number"
            aria-label="Noise seed"
            min={0}
            max={2 ** 31 - 1}
            step={1}
            value={o.seed}
            onChange={(e) => {
              const n = Math.trunc(Number(e.target.value));
              if (Number.isFinite(n) && n >= 0) set({ seed: Math.min(n, 2 ** 31 - 1) });
            }}
          />
        </label>
      </div>
      <button type="button" disabled={isIdentity(o)} onClick={() => dispatch({ type: 'resetPerturb' })}>
        Reset perturbation
      </button>
    </section>
  );
}
