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

/**
 * The longest LaTeX handed to KaTeX. KaTeX runs on the main thread and its time and output
 * grow with the input: about 0.1 ms and 100 bytes of HTML a character for fraction-heavy
 * LaTeX on a slow machine (120,000 characters took 2 s and made 14 MB of HTML), while the
 * built-in models' longest output (200 tokens) is about 1,000 characters. Longer text is shown
 * as text, with a note (src/render/Katex.tsx), and gets no MathML (copyFormats.ts).
 */
export const MAX_KATEX_CHARS = 3000;

export type RenderResult = { ok: true; html: string } | { ok: false; error: string; tooLong?: true };

/** Whether `latex` is over MAX_KATEX_CHARS, so that it is not rendered. */
export function tooLongToRender(latex: string): boolean {
  return latex.length > MAX_KATEX_CHARS;
}

export function renderLatex(latex: string, displayMode = true): RenderResult {
  if (!latex.trim()) return { ok: false, error: 'Empty prediction' };
  if (tooLongToRender(latex)) {
    return { ok: false, tooLong: true, error: `${latex.length.toLocaleString('en')} characters, over the ${MAX_KATEX_CHARS.toLocaleString('en')} that are rendered` };
  }
  try {
    return { ok: true, html: katex.renderToString(latex, { ...KATEX_OPTIONS, displayMode }) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { ok: false, error: msg.replace(/^KaTeX parse error: /, '') };
  }
}

/** MathML of a formula (KaTeX's), to compare renderings: "render equality" in npm run eval; null when KaTeX cannot read it or it is over MAX_KATEX_CHARS. */
export function renderMathml(latex: string): string | null {
  if (tooLongToRender(latex)) return null;
  try {
    return katex.renderToString(latex, { ...KATEX_OPTIONS, output: 'mathml', displayMode: true });
  } catch {
    return null;
  }
}
