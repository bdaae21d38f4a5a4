import { DiffView } from '../compare/DiffView.tsx';
import { TokenConfidence } from '../compare/TokenConfidence.tsx';
import { Katex } from '../render/Katex.tsx';
import { RasterView } from '../ui/RasterView.tsx';
import { formatNumber } from './export.ts';
import type { SweepResult } from './sweep.ts';
import { StepMapView } from '../explain/StepMapView.tsx';

/**
 * The ladder: one table per model, one row per finished step: the image as
 * perturbed, the predicted LaTeX and its rendering, the token diff and normalised
 * edit distance against the basis (reference or step 0), and token confidence.
 */
export function Ladder({ result, xLabel, maps = false }: { result: SweepResult; xLabel: string; /** "Where it looks" is on: each step's attention map. */ maps?: boolean }) {
  const { spec } = result;
  const withMaps = maps && result.rows.some((r) => r.stepMap);
  return (
    <div className="ladders">
      {maps && !withMaps && result.rows.length > 0 && <p className="hint">This sweep ran without “Where it looks”: run it again to see each step’s map.</p>}
      {spec.models.map((model) => {
        const rows = result.rows.filter((r) => r.model === model.key);
        return (
          // the box scrolls a ladder sideways where it cannot fit (a phone), so the page never does
          <div key={model.key} className="ladder-box">
            <table className="ladder" aria-label={`Ladder: ${model.label}`}>
              <caption>{model.label}</caption>
              {/* fixed shares of the width (styles.css): a long prediction wraps in its column instead of widening the table */}
              <colgroup>
                <col className="ladder-col-x" />
                <col className="ladder-col-image" />
                {withMaps && <col className="ladder-col-image" />}
                <col className="ladder-col-prediction" />
                <col className="ladder-col-diff" />
                <col className="ladder-col-confidence" />
              </colgroup>
              <thead>
                <tr>
                  <th scope="col">{xLabel}</th>
                  <th scope="col">Image</th>
                  {withMaps && <th scope="col">Where it looks</th>}
                  <th scope="col">Prediction</th>
                  <th scope="col">{spec.reference.trim() ? 'vs reference' : 'vs step 0'}</th>
                  <th scope="col">Confidence</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.step} data-step={r.step}>
                    <th scope="row">
                      <span className="ladder-step">#{r.step}</span> {formatNumber(r.value, 4)}
                      {/* the instruction variable: the step's wording itself */}
                      {spec.variable.vlmOnly && r.instruction !== undefined && <div className="hint ladder-instruction">“{r.instruction}”</div>}
                    </th>
                    <td>
                      <RasterView raster={result.images[r.step]} label={`Step ${r.step} image`} className="ladder-img" />
                    </td>
                    {withMaps && (
                      <td>
                        <StepMapView stepMap={r.stepMap} step={r.step} />
                      </td>
                    )}
                    <td className="ladder-pred">
                      {r.error ? (
                        <p className="pane-error">{r.error}</p>
                      ) : (
                        <>
                          {/* focusable: a long prediction scrolls inside it, and that scroll must be reachable by keyboard */}
                          <code className="latex" aria-label="Predicted LaTeX" tabIndex={0}>
                            {r.latex || '(empty)'}
                          </code>
                          <Katex latex={r.latex} label="Rendered prediction" />
                        </>
                      )}
                    </td>
                    <td>
                      {r.error ? (
                        '—'
                      ) : r.basis === 'step0' && r.step === 0 ? (
                        <span className="hint">the basis of this column</span>
                      ) : (
                        <DiffView from={r.basisLatex} to={r.latex} label={r.basis === 'reference' ? 'vs reference' : 'vs step 0'} fromName={r.basis === 'reference' ? 'the reference' : 'step 0'} />
                      )}
                      {r.score !== null && (
                        <div className="ladder-score">
                          score <strong>{r.score.toFixed(3)}</strong>
                        </div>
                      )}
                    </td>
                    <td>
                      {!r.error && <TokenConfidence prediction={r} compact label={`Token confidence, step ${r.step}`} />}
                      {!r.error && <div className="hint">{r.ms.toFixed(0)} ms</div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      })}
    </div>
  );
}
