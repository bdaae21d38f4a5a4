import { useMemo } from 'react';
import { renderLatex } from './katex.ts';

/**
 * Rendered math, or the parse error shown in place (never thrown). LaTeX over MAX_KATEX_CHARS
 * (katex.ts) is not rendered: it is shown as text, with a note that says why; `textAbove` says
 * the caller already shows that text just above (a pane), so it is not laid out twice.
 */
export function Katex({ latex, label, display = true, textAbove = false }: { latex: string; label: string; display?: boolean; textAbove?: boolean }) {
  const r = useMemo(() => renderLatex(latex, display), [latex, display]);
  if (!r.ok && r.tooLong) {
    return (
      <div className="katex-too-long" role="group" aria-label={label}>
        <p className="katex-error">
          <span className="katex-error-title">Not rendered:</span> {r.error}. The LaTeX is shown as text{textAbove ? ' above' : ''}.
        </p>
        {!textAbove && <pre className="latex katex-raw">{latex}</pre>}
      </div>
    );
  }
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
