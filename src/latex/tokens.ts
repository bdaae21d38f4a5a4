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
  return withoutBlankEdges(braceArguments(primed));
}

/** Mandatory arguments of the commands in TAKES_ARGS that take two (the others take one). */
const TWO_ARGS = new Set(['\\frac', '\\dfrac', '\\tfrac', '\\binom', '\\stackrel', '\\overset', '\\underset']);

/**
 * Every argument braced: `x ^ 2` -> `x ^ { 2 }`, `\\sqrt x` -> `\\sqrt { x }`, `\\frac 1 2` ->
 * `\\frac { 1 } { 2 }`, and a script whose argument is a command with its own arguments
 * `T _ \\mathrm { eff }` -> `T _ { \\mathrm { eff } }` (the same formula in LaTeX). Malformed input
 * (an unclosed group, a missing argument) is left as it is from that point, and so is what is
 * nested deeper than MAX_NESTING (the recursion stays far from the stack's limit on any input).
 */
function braceArguments(t: readonly string[], depth = 0): string[] {
  if (depth > MAX_NESTING) return t.slice();
  const out: string[] = [];
  for (let i = 0; i < t.length; ) i = pushCommand(t, i, out, depth);
  return out;
}

/** Deeper groups and argument chains than any formula has are left as they are. */
const MAX_NESTING = 200;

/** Appends the token at `i` with its arguments (braced) to `out`; returns the index after them. */
function pushCommand(t: readonly string[], i: number, out: string[], depth: number): number {
  const tok = t[i++];
  out.push(tok);
  const n = tok === '^' || tok === '_' ? 1 : TAKES_ARGS.has(tok) ? (TWO_ARGS.has(tok) ? 2 : 1) : 0;
  if (tok === '\\sqrt' && t[i] === '[') {
    const close = bracketEnd(t, i);
    if (close > 0) {
      out.push('[', ...braceArguments(t.slice(i + 1, close - 1), depth + 1), ']');
      i = close;
    }
  }
  for (let k = 0; k < n && i < t.length; k++) {
    const next = t[i];
    if (next === '{') {
      const end = groupEnd(t, i);
      if (end < 0) break;
      out.push('{', ...braceArguments(t.slice(i + 1, end - 1), depth + 1), '}');
      i = end;
    } else if (isAtom(next)) {
      out.push('{', next, '}');
      i++;
    } else if (TAKES_ARGS.has(next) && depth < MAX_NESTING) {
      out.push('{');
      i = pushCommand(t, i, out, depth + 1);
      out.push('}');
    } else break;
  }
  return i;
}

/** Index just past the `]` closing the optional argument that opens at `i`, or -1. */
function bracketEnd(t: readonly string[], i: number): number {
  let depth = 0;
  for (let j = i + 1; j < t.length; j++) {
    if (t[j] === '{') depth++;
    else if (t[j] === '}') depth--;
    else if (t[j] === ']' && depth === 0) return j + 1;
  }
  return -1;
}

/** Spacing commands: they move ink but draw none. */
const SPACES = new Set(['\\,', '\\:', '\\>', '\\;', '\\!', '~', '\\', '\\quad', '\\qquad', '\\enspace', '\\thinspace', '\\medspace', '\\thickspace', '\\negthinspace']);

/**
 * Without what leaves no ink at the formula's edges: spacing commands at its start or end, and
 * braces around the whole formula (`{ x + y }` draws `x + y`). CROHME's ground truth has both
 * (`\\!` ends 31 of its 986 2014 test expressions, 15 are braced whole); predictions need neither.
 */
function withoutBlankEdges(t: string[]): string[] {
  let a = 0;
  let b = t.length;
  for (;;) {
    const from = [a, b];
    while (a < b && SPACES.has(t[a])) a++;
    while (b > a && SPACES.has(t[b - 1])) b--;
    if (b - a >= 2 && t[a] === '{' && groupEnd(t.slice(0, b), a) === b) {
      a++;
      b--;
    }
    if (from[0] === a && from[1] === b) return a === 0 && b === t.length ? t : t.slice(a, b);
  }
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
