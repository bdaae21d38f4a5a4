import { useId, useMemo, type KeyboardEvent } from 'react';
import type { Prediction } from '../worker-api/ocr.ts';
import { percent, predictionHealth, probabilityColour } from '../research/confidence.ts';
import { healthInput, MAX_CONFIDENCE_TOKENS } from './limits.ts';

/** Below this probability a token is also underlined (colour is not the only cue). */
const LOW = 0.5;

function showToken(text: string): string {
  // BPE pieces can be spaces or empty: show something visible and focusable
  if (text === '') return '∅';
  return text.replace(/ /g, '·');
}

/**
 * The tokens of a prediction coloured by probability, each focusable, with its top
 * alternatives in a tooltip (hover or keyboard focus); mean and minimum confidence;
 * a warning when the output looks like a repetition loop or was cut at the length limit.
 * `compact` shows only the numbers and the warnings (the research ladder). The statistics cover
 * every token; at most MAX_CONFIDENCE_TOKENS are shown (src/compare/limits.ts), with a note.
 */
export function TokenConfidence({
  prediction,
  label = 'Token confidence',
  compact = false,
  selected,
  onSelect,
}: {
  prediction: Pick<Prediction, 'latex' | 'tokens' | 'truncated'>;
  label?: string;
  compact?: boolean;
  /** With onSelect: the tokens are buttons (click, Enter or Space) that pick token i ("Where it looks"); `selected` is pressed. */
  selected?: number | null;
  onSelect?: (i: number) => void;
}) {
  const id = useId();
  const health = useMemo(() => predictionHealth(healthInput(prediction)), [prediction]);
  const { stats } = health;
  return (
    <div className="confidence" role="group" aria-label={label}>
      <div className="confidence-stats">
        {stats ? (
          <>
            <span>
              Mean confidence <strong data-testid="mean-confidence">{percent(stats.mean)}</strong>
            </span>
            <span>
              minimum <strong data-testid="min-confidence">{percent(stats.min)}</strong>
              {!compact && prediction.tokens[stats.minIndex] && <> (“{showToken(prediction.tokens[stats.minIndex].text)}”)</>}
            </span>
          </>
        ) : (
          <span>No tokens</span>
        )}
      </div>
      {!compact && prediction.tokens.length > 0 && (
        <div className="confidence-tokens">
          {prediction.tokens.slice(0, MAX_CONFIDENCE_TOKENS).map((t, i) => {
            const tip = `${id}-t${i}`;
            return (
              <span
                key={i}
                className={`conf-tok${t.prob < LOW ? ' conf-low' : ''}`}
                style={{ background: probabilityColour(t.prob) }}
                tabIndex={0}
                aria-describedby={tip}
                {...(onSelect && {
                  role: 'button',
                  'aria-pressed': selected === i,
                  onClick: () => onSelect(i),
                  onKeyDown: (e: KeyboardEvent) => {
                    if (e.key !== 'Enter' && e.key !== ' ') return;
                    e.preventDefault();
                    onSelect(i);
                  },
                })}
              >
                {showToken(t.text)}
                <span role="tooltip" id={tip} className="conf-tip">
                  “{showToken(t.text)}” {percent(t.prob)}
                  {t.alternatives.length > 0 && (
                    <>
                      {'; alternatives: '}
                      {t.alternatives.map((a) => `“${showToken(a.text)}” ${percent(a.prob)}`).join(', ')}
                    </>
                  )}
                </span>
              </span>
            );
          })}
        </div>
      )}
      {!compact && prediction.tokens.length > MAX_CONFIDENCE_TOKENS && (
        <p className="confidence-more" data-testid="confidence-more">
          The first {MAX_CONFIDENCE_TOKENS.toLocaleString('en')} of {prediction.tokens.length.toLocaleString('en')} tokens are shown.
        </p>
      )}
      {health.warnings.map((w) => (
        <p key={w} className="warn" data-testid="confidence-warning">
          ⚠ {w}
        </p>
      ))}
    </div>
  );
}
