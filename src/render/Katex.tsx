import { useMemo } from 'react';
import { renderLatex } from './katex.ts';

/** Rendered math, or the parse error shown in place (never thrown). */
export function Katex({ latex, label, display = true }: { latex: string; label: string; display?: boolean }) {
  const r = useMemo(() => renderLatex(latex, display), [latex, display]);
  if (!r.ok) {
    return (
      <div className="katex-error" role="img" aria-label={label}>
        <span className="katex-error-title">Cannot render:</span> <code>{r.error}</code>
      </div>
    );
  }
  // html is KaTeX's output for untrusted input rendered with trust: false (see katex.ts)
  return <div className="katex-out" role="img" aria-label={label} dangerouslySetInnerHTML={{ __html: r.html }} />;
}
