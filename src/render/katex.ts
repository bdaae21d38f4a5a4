/**
 * Rendering predicted LaTeX safely. Model output is untrusted text: KaTeX runs with
 * trust: false (no \href, \url, \includegraphics, \htmlClass...), bounded macro
 * expansion and sizes, and a parse error is returned, never thrown. The HTML KaTeX
 * produces is built from its own node tree; the predicted text itself is never
 * inserted as HTML.
 */
import katex from 'katex';

export const KATEX_OPTIONS = {
  throwOnError: true,
  trust: false,
  strict: 'ignore' as const,
  maxExpand: 500,
  maxSize: 50,
  output: 'htmlAndMathml' as const,
};

export type RenderResult = { ok: true; html: string } | { ok: false; error: string };

export function renderLatex(latex: string, displayMode = true): RenderResult {
  if (!latex.trim()) return { ok: false, error: 'Empty prediction' };
  try {
    return { ok: true, html: katex.renderToString(latex, { ...KATEX_OPTIONS, displayMode }) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { ok: false, error: msg.replace(/^KaTeX parse error: /, '') };
  }
}

/** MathML of a formula (KaTeX's), to compare renderings: "render equality" in npm run eval. */
export function renderMathml(latex: string): string | null {
  try {
    return katex.renderToString(latex, { ...KATEX_OPTIONS, output: 'mathml', displayMode: true });
  } catch {
    return null;
  }
}
