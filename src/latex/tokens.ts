/**
 * The canonical token form of LaTeX used everywhere in the project: training
 * targets, model output, metrics and diffs.
 *
 * It follows the im2latex-100k normalisation (the benchmark we report on):
 * tokens separated by single spaces, `\left(` and `\begin{array}` kept as one
 * token, sub/superscript arguments always braced. Visual synonyms (`\le` and
 * `\leq`) are mapped to one spelling, since no image can tell them apart.
 */

// \begin{name} / \end{name}, \left / \right + delimiter, \operatorname*, any
// other control word, a control symbol, or a single non-space character.
const TOKEN_RE =
  /\\(?:begin|end)\s*\{[a-zA-Z*]+\}|\\(?:left|right)(?![a-zA-Z])\s*(?:\\[a-zA-Z]+|\\.|[^\s\\])|\\operatorname\*|\\[a-zA-Z]+|\\.|\S/g;

/** Split LaTeX source into tokens (no normalisation beyond splitting). */
export function tokenize(src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(TOKEN_RE)) out.push(m[0].replace(/\s+/g, ''));
  return out;
}

/** Spellings mapped to one canonical token (same glyph, different name). */
export const SYNONYMS: Readonly<Record<string, string>> = {
  '\\le': '\\leq',
  '\\ge': '\\geq',
  '\\ne': '\\neq',
  '\\lt': '<',
  '\\gt': '>',
  '\\to': '\\rightarrow',
  '\\gets': '\\leftarrow',
  '\\lbrack': '[',
  '\\rbrack': ']',
  '\\lbrace': '\\{',
  '\\rbrace': '\\}',
  '\\vert': '|',
  '\\Vert': '\\|',
  '\\dag': '\\dagger',
  '\\land': '\\wedge',
  '\\lor': '\\vee',
  '\\lnot': '\\neg',
  '\\sp': '^',
  '\\sb': '_',
  '\\bigtriangleup': '\\triangle',
  '\\left\\lbrack': '\\left[',
  '\\right\\rbrack': '\\right]',
  '\\left\\lbrace': '\\left\\{',
  '\\right\\rbrace': '\\right\\}',
  '\\left\\vert': '\\left|',
  '\\right\\vert': '\\right|',
  '\\left\\Vert': '\\left\\|',
  '\\right\\Vert': '\\right\\|',
};

/** Tokens that only change layout or numbering and are dropped. */
const DROPPED = new Set(['\\nonumber', '\\notag', '\\displaystyle', '\\textstyle', '\\limits', '\\nolimits']);
/** Commands whose braced argument is dropped with them. */
const DROPPED_WITH_ARG = new Set(['\\label', '\\tag', '\\ref']);
/** Old font switches (im2latex-100k uses them: `{ \\bf C }`) and the command with the same glyphs. */
const FONT_SWITCHES: Readonly<Record<string, string>> = {
  '\\bf': '\\mathbf',
  '\\cal': '\\mathcal',
  '\\rm': '\\mathrm',
  '\\it': '\\mathit',
  '\\sf': '\\mathsf',
  '\\tt': '\\mathtt',
};

/** `{ \\bf x y }` -> `\\mathbf { x y }`; a switch mid-group applies to the rest of the group. */
function fontSwitches(toks: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const cmd = FONT_SWITCHES[toks[i]];
    if (!cmd) {
      out.push(toks[i]);
      continue;
    }
    // the rest of the enclosing group (or of the formula)
    let depth = 0;
    let j = i + 1;
    for (; j < toks.length; j++) {
      if (toks[j] === '{') depth++;
      else if (toks[j] === '}') {
        if (depth === 0) break;
        depth--;
      }
    }
    const body = fontSwitches(toks.slice(i + 1, j));
    const wholeGroup = out[out.length - 1] === '{' && toks[j] === '}';
    if (wholeGroup) out.pop(); // { \\bf C } -> \\mathbf { C }
    out.push(cmd, '{', ...body, '}');
    i = wholeGroup ? j : j - 1;
  }
  return out;
}
/** Text-mode commands become their math-mode twin (same glyphs), with spaces as `~`:
 * in text mode the spaces between canonical tokens would be rendered. */
const TEXT_TO_MATH: Readonly<Record<string, string>> = {
  '\\text': '\\mathrm', '\\textrm': '\\mathrm', '\\textnormal': '\\mathrm', '\\mbox': '\\mathrm', '\\hbox': '\\mathrm',
  '\\textup': '\\mathrm', '\\textit': '\\mathit', '\\textbf': '\\mathbf', '\\textsf': '\\mathsf', '\\texttt': '\\mathtt',
};

/** Index just past the group that opens at `i` (tokens[i] === '{'), or -1. */
export function groupEnd(tokens: readonly string[], i: number): number {
  if (tokens[i] !== '{') return -1;
  let depth = 0;
  for (let j = i; j < tokens.length; j++) {
    if (tokens[j] === '{') depth++;
    else if (tokens[j] === '}' && --depth === 0) return j + 1;
  }
  return -1;
}

/** Replace spaces inside \text{...} arguments by `~` so they survive tokenisation. */
function protectTextSpaces(src: string): string {
  let out = '';
  let i = 0;
  const re = /\\(text|textrm|textit|textbf|textsf|texttt|textnormal|textup|mbox|hbox)\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    const open = m.index + m[0].length - 1;
    let depth = 0;
    let j = open;
    for (; j < src.length; j++) {
      const c = src[j];
      if (c === '\\') { j++; continue; }
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
    }
    if (j >= src.length) break;
    const inner = src.slice(open + 1, j).trim().replace(/\s+/g, '~');
    out += src.slice(i, open + 1) + inner + '}';
    i = j + 1;
    re.lastIndex = i;
  }
  return out + src.slice(i);
}

/**
 * Normalise LaTeX to the canonical token sequence.
 * Idempotent: normalize(normalize(x).join(' ')) equals normalize(x).
 */
export function normalizeTokens(src: string): string[] {
  let toks = tokenize(protectTextSpaces(src)).map((t) => SYNONYMS[t] ?? TEXT_TO_MATH[t] ?? t);
  // drop layout-only tokens and \label{..}-style commands with their argument
  const kept: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (DROPPED.has(t)) continue;
    if (DROPPED_WITH_ARG.has(t)) {
      const end = groupEnd(toks, i + 1);
      if (end > 0) { i = end - 1; continue; }
    }
    kept.push(t);
  }
  toks = fontSwitches(kept);
  // primes: x ' '  ->  x ^ { \prime \prime }  (unless a superscript follows)
  const primed: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    if (toks[i] === "'" && primed.length > 0) {
      let n = 0;
      while (toks[i + n] === "'") n++;
      if (toks[i + n] !== '^') {
        primed.push('^', '{', ...Array<string>(n).fill('\\prime'), '}');
        i += n - 1;
        continue;
      }
    }
    primed.push(toks[i]);
  }
  toks = primed;
  // brace single-token script arguments: x ^ 2 -> x ^ { 2 }
  const out: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    out.push(t);
    if ((t === '^' || t === '_') && i + 1 < toks.length) {
      const next = toks[i + 1];
      if (next !== '{' && isAtom(next)) {
        out.push('{', next, '}');
        i++;
      }
    }
  }
  return out;
}

/** A token that is a complete argument by itself (not a command taking arguments). */
function isAtom(t: string): boolean {
  if (!t.startsWith('\\')) return t !== '}' && t !== '^' && t !== '_' && t !== '&';
  return !TAKES_ARGS.has(t) && !t.startsWith('\\begin') && !t.startsWith('\\end') && !t.startsWith('\\left') && !t.startsWith('\\right');
}

const TAKES_ARGS = new Set([
  '\\frac', '\\dfrac', '\\tfrac', '\\sqrt', '\\mathrm', '\\mathbf', '\\mathit', '\\mathcal', '\\mathbb', '\\mathfrak',
  '\\mathsf', '\\mathtt', '\\boldsymbol', '\\bm', '\\hat', '\\bar', '\\tilde', '\\vec', '\\dot', '\\ddot', '\\overline',
  '\\underline', '\\widehat', '\\widetilde', '\\overrightarrow', '\\overleftarrow', '\\text', '\\operatorname',
  '\\binom', '\\stackrel', '\\overset', '\\underset', '\\check', '\\breve', '\\acute', '\\grave', '\\mathring',
  ...Object.keys(TEXT_TO_MATH),
]);

/** The canonical string: tokens joined by single spaces. */
export function normalizeLatex(src: string): string {
  return normalizeTokens(src).join(' ');
}

/** A key for comparing formulas regardless of spacing (dedup against eval sets). */
export function dedupKey(src: string): string {
  return normalizeTokens(src).join('');
}
