import { useApp } from '../app/context.tsx';
import { DEFAULT_PERTURB, NUMBER_SETTINGS, PERTURB_PRESETS, clampSetting, isIdentity, perturbSetting, type NumberSetting, type PerturbOptions } from './types.ts';

/** One slider per numeric setting the table (types.ts) shows as one: its accessible name, range and how its value reads. */
const SLIDERS = NUMBER_SETTINGS.filter((s) => s.control === 'slider');
const INVERT = perturbSetting('invert') as NumberSetting;
const SEED = perturbSetting('seed') as NumberSetting;

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
        {(['ink', 'paper'] as const).map((k) => {
          const { label } = perturbSetting(k);
          return (
            <label key={k}>
              {label}
              <input type="color" aria-label={label} value={o[k]} onChange={(e) => set({ [k]: e.target.value.toLowerCase() })} />
            </label>
          );
        })}
        <button type="button" className="perturb-wide" aria-pressed={o.invert === INVERT.max} onClick={() => set({ invert: o.invert === INVERT.max ? INVERT.min : INVERT.max })}>
          {INVERT.label}
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
          {SEED.label}
          <input
            type="number"
            aria-label={SEED.label}
            min={SEED.min}
            max={SEED.max}
            step={SEED.step}
            value={o.seed}
            onChange={(e) => {
              const n = Math.trunc(Number(e.target.value));
              if (Number.isFinite(n) && n >= SEED.min) set({ seed: clampSetting(SEED, n) });
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
