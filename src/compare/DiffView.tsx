import { useMemo } from 'react';
import { compareLatex } from '../metrics/tokens.ts';

/** Token-level diff from `from` (e.g. the reference) to `to` (this prediction), with the normalised edit distance. */
export function DiffView({ from, to, label, fromName }: { from: string; to: string; label: string; fromName: string }) {
  const c = useMemo(() => compareLatex(from, to), [from, to]);
  return (
    <div className="diff" role="group" aria-label={label}>
      <div className="diff-head">
        {label}: <strong data-testid="ned">{c.ned.toFixed(3)}</strong> normalised edit distance{c.ned === 0 ? ' (identical)' : ''}
      </div>
      <div className="diff-tokens">
        {c.ops.map((op, i) => (
          <span key={i} className={`tok tok-${op.kind}`} title={op.kind === 'added' ? `not in ${fromName}` : op.kind === 'removed' ? `in ${fromName}, missing here` : undefined}>
            {op.kind === 'added' ? '+' : op.kind === 'removed' ? '−' : ''}
            {op.tokens.join(' ')}
          </span>
        ))}
      </div>
    </div>
  );
}
