import { useMemo } from 'react';
import { comparePredictions } from './limits.ts';

/**
 * Token-level diff from `from` (e.g. the reference) to `to` (this prediction), with the normalised
 * edit distance; bounded for long predictions (src/compare/limits.ts), with a note saying what is not shown.
 */
export function DiffView({ from, to, label, fromName }: { from: string; to: string; label: string; fromName: string }) {
  const c = useMemo(() => comparePredictions(from, to, fromName), [from, to, fromName]);
  return (
    <div className="diff" role="group" aria-label={label}>
      <div className="diff-head">
        {c.ned === null ? (
          <>{label}</>
        ) : (
          <>
            {label}: <strong data-testid="ned">{c.ned.toFixed(3)}</strong> normalised edit distance{c.ned === 0 ? ' (identical)' : ''}
          </>
        )}
      </div>
      {c.ops ? (
        <div className="diff-tokens">
          {c.ops.map((op, i) => (
            <span key={i} className={`tok tok-${op.kind}`} title={op.kind === 'added' ? `not in ${fromName}` : op.kind === 'removed' ? `in ${fromName}, missing here` : undefined}>
              {op.kind === 'added' ? '+' : op.kind === 'removed' ? '−' : ''}
              {op.tokens.join(' ')}
            </span>
          ))}
        </div>
      ) : (
        <p className="diff-note" data-testid="diff-note">
          {c.note}
        </p>
      )}
    </div>
  );
}
