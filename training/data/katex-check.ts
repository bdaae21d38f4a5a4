import katex from 'katex';

/** True when KaTeX renders the formula without error (the app's renderer decides what is valid). */
export function katexParses(latex: string): boolean {
  try {
    katex.renderToString(latex, { throwOnError: true, strict: false, displayMode: true, trust: false, maxExpand: 200 });
    return true;
  } catch {
    return false;
  }
}
