/**
 * A prediction in the forms people paste it as: bare LaTeX, inline math `$…$`, display
 * math `\[…\]`, and MathML (KaTeX's, with the same safe options as the rendering, see
 * katex.ts) for word processors and the web.
 */
import { MAX_KATEX_CHARS, renderMathml, tooLongToRender } from './katex.ts';

export type CopyFormat = 'latex' | 'inline' | 'display' | 'mathml';

/** Each format with its short label (shown) and its button's accessible name. */
export const COPY_FORMATS: readonly { id: CopyFormat; label: string; name: string }[] = [
  { id: 'latex', label: 'LaTeX', name: 'Copy LaTeX' },
  { id: 'inline', label: '$…$', name: 'Copy $…$' },
  { id: 'display', label: '\\[…\\]', name: 'Copy \\[…\\]' },
  { id: 'mathml', label: 'MathML', name: 'Copy MathML' },
];

/**
 * The text to copy, or null when the format cannot be made: MathML of LaTeX that KaTeX
 * cannot parse (the rendering shows that error in place) or that is over MAX_KATEX_CHARS
 * (katex.ts: the conversion would hold the page as long as rendering it would).
 */
export function copyText(latex: string, format: CopyFormat): string | null {
  const tex = latex.trim();
  switch (format) {
    case 'latex':
      return latex;
    case 'inline':
      return `$${tex}$`;
    case 'display':
      return `\\[${tex}\\]`;
    case 'mathml': {
      if (!tex) return null;
      // KaTeX wraps the <math> element in a <span class="katex">: only the MathML is wanted
      const html = renderMathml(tex);
      return html ? (/<math[\s>][\s\S]*<\/math>/.exec(html)?.[0] ?? null) : null;
    }
  }
}

/** Why there is no MathML for `latex` (when copyText gave null): the Copy MathML button's title. */
export function noMathmlReason(latex: string): string {
  if (tooLongToRender(latex.trim())) return `Over ${MAX_KATEX_CHARS.toLocaleString('en')} characters: too long to convert to MathML`;
  return 'KaTeX cannot read this LaTeX, so there is no MathML for it';
}
