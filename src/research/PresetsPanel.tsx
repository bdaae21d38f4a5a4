import { useEffect, useRef, useState } from 'react';
import { useApp } from '../app/context.tsx';
import type { ModelEntry } from '../app/state.ts';
import { recognise } from '../app/services.ts';
import { loadExampleRaster } from '../input/loadExample.ts';
import { newInputId } from '../input/useImageInput.ts';
import type { Raster } from '../image/raster.ts';
import { isIdentity } from '../perturb/types.ts';
import { perturbWorker } from '../worker-api/perturb.ts';
import { Katex } from '../render/Katex.tsx';
import { percent } from './confidence.ts';
import { paneInstructions, presets, presetState, runPresetTest, type Preset, type PresetCell } from './presets.ts';

const exampleCache = new Map<string, Promise<Raster>>();
function exampleRaster(p: Preset): Promise<Raster> {
  let r = exampleCache.get(p.example.id);
  if (!r) {
    r = loadExampleRaster(p.example);
    r.catch(() => exampleCache.delete(p.example.id));
    exampleCache.set(p.example.id, r);
  }
  return r;
}

/**
 * The three-step test as presets: each can be opened in Compare (both models side
 * by side on it), or all three run at once here against their reference LaTeX.
 */
export function PresetsPanel() {
  const { state, dispatch } = useApp();
  const list = presets();
  const models = state.research.models.map((k) => state.models.find((m) => m.key === k)).filter((m): m is ModelEntry => !!m);
  const [cells, setCells] = useState<PresetCell[] | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  // a vision-language model is given the instruction of its pane in Compare
  const instructions = paneInstructions(state.panes);

  const open = async (p: Preset) => {
    try {
      const raster = await exampleRaster(p);
      const keys = models.length ? models.map((m) => m.key) : [state.panes[0]?.modelKey ?? 'builtin:augmented'];
      const input = { id: newInputId('example'), name: p.example.title, origin: 'example' as const, raster, exampleId: p.example.id };
      const { state: restored, notes } = presetState(p, input, keys, state.research.device, state.models, instructions);
      dispatch({ type: 'restore', state: restored });
      for (const message of notes) dispatch({ type: 'alert', message });
    } catch (e) {
      dispatch({ type: 'alert', message: e instanceof Error ? e.message : String(e) });
    }
  };

  const runAll = async () => {
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    const found: PresetCell[] = [];
    setCells([]);
    setProgress({ done: 0, total: list.length * models.length });
    const device = state.research.device;
    try {
      await runPresetTest(
        list,
        models.map((m) => ({ key: m.key, label: m.label })),
        {
          image: async (p) => {
            const raster = await exampleRaster(p);
            return isIdentity(p.perturb) ? raster : perturbWorker().apply(raster, p.perturb);
          },
          recognize: async (m, image, signal) => {
            const source = models.find((x) => x.key === m.key)!.source;
            const instruction = instructions[m.key];
            return (await recognise({ source, device, image, ...(instruction !== undefined ? { instruction } : {}) }, { signal })).prediction;
          },
        },
        ctl.signal,
        (c, done, total) => {
          found.push(c);
          if (abort.current !== ctl) return;
          setCells([...found]);
          setProgress({ done, total });
        },
      );
    } finally {
      if (abort.current === ctl) {
        setProgress(null);
        abort.current = null;
      }
    }
  };

  return (
    <section className="panel presets" aria-label="Three-step test">
      <h2>The three-step test</h2>
      <p className="hint">Does a model read the formula, or the colours it was trained on? The same formula, then only its colours changed, then handwriting.</p>
      <ol className="preset-list">
        {list.map((p) => (
          <li key={p.id} className="preset">
            <strong>{p.title}</strong>
            <span>{p.explanation}</span>
            <code className="preset-ref" aria-label={`Preset ${p.id}: reference`}>
              {p.reference}
            </code>
            {/* the name starts with the visible words (what speech input users say to press it) */}
            <button type="button" onClick={() => void open(p)} aria-label={`Open in Compare: preset ${p.title}`}>
              Open in Compare
            </button>
          </li>
        ))}
      </ol>
      <div className="sweep-actions">
        <button type="button" disabled={!!progress || !models.length} onClick={() => void runAll()}>
          Run the three-step test
        </button>
        <button type="button" disabled={!progress} onClick={() => abort.current?.abort()}>
          Cancel the three-step test
        </button>
      </div>
      {progress && <progress aria-label="Three-step test progress" max={progress.total} value={progress.done} />}
      {cells && (
        <table className="preset-results" aria-label="Three-step test results">
          <thead>
            <tr>
              <th scope="col">Preset</th>
              {models.map((m) => (
                <th key={m.key} scope="col">
                  {m.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {list.map((p) => (
              <tr key={p.id}>
                <th scope="row">{p.title}</th>
                {models.map((m) => {
                  const c = cells.find((x) => x.preset === p.id && x.model === m.key);
                  return (
                    <td key={m.key}>
                      {!c ? (
                        <span className="hint">…</span>
                      ) : c.error ? (
                        <span className="pane-error">{c.error}</span>
                      ) : (
                        <>
                          {c.raw !== undefined && (
                            // a vision-language model: its answer as generated, then the LaTeX extracted from it
                            <>
                              <pre className="latex raw-output" aria-label={`Raw output, ${p.title}, ${m.label}`}>
                                {c.raw}
                              </pre>
                              <code className="preset-ref" aria-label={`Extracted LaTeX, ${p.title}, ${m.label}`}>
                                {c.latex}
                              </code>
                              {c.instruction !== undefined && (
                                <div className="hint">
                                  Answer to: <q aria-label={`Instruction used, ${p.title}, ${m.label}`}>{c.instruction}</q>
                                </div>
                              )}
                            </>
                          )}
                          <Katex latex={c.latex} label="Rendered prediction" />
                          <div className="hint">
                            score <strong>{(1 - (c.ned ?? 1)).toFixed(2)}</strong>
                            {c.meanConfidence !== null && <> · mean confidence {percent(c.meanConfidence)}</>}
                            {c.truncated && ' · cut at the length limit'}
                          </div>
                        </>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
