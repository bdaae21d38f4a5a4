/**
 * LaTeX out of a vision-language model's raw answer, with every change said out loud.
 *
 * An image-to-text OCR model emits LaTeX tokens and nothing else; an instruction-following VLM
 * answers in text, and a fine-tune still leaks the habits of its chat base: `$$ … $$` or `\[ … \]`
 * around the formula, a ```latex code fence, "Here is the LaTeX: …", an explanation after it, a
 * stray `$` in the middle (the seed's failure: `\color{red}{x}$ + y`), an end-of-turn marker.
 * extract() takes the text exactly as generated and returns the LaTeX with a list of repairs, one
 * human-readable line each ("removed 2 stray $", "removed a ```latex code fence"), so the page can
 * show what was changed instead of hiding that the model did not answer with plain LaTeX.
 * Clean input (plain LaTeX) comes back trimmed, with no repairs.
 *
 * Pure and linear in the input: every step is one pass (no regex that can backtrack over the
 * input), and the input is capped at MAX_EXTRACT_CHARS (said in a repair when it applies). The
 * prose detection is a heuristic that errs on keeping text: a formula that merely contains words
 * (`\text{for all } x`) is never cut; an explanation it fails to spot stays visible in the output.
 */

/** The longest raw answer examined, in UTF-16 units: 1024 tokens (MAX_NEW_TOKENS_CAP) of long tokens fit with room to spare. */
export const MAX_EXTRACT_CHARS = 20_000;

export interface Extracted {
  latex: string;
  /** What was changed, in order, one human-readable line each; empty when the input was clean LaTeX. */
  repairs: string[];
}

const INVISIBLE = new Set([0x200b, 0x200c, 0x200d, 0x2060, 0xfeff]);

/** End-of-turn markers some chat models spell out as text (special tokens are normally skipped when decoding). */
const END_MARKERS = ['<end_of_turn>', '<|im_end|>', '<|endoftext|>', '<|eot_id|>', '<|end|>', '<eos>', '</s>', '<|end_of_text|>', '<｜end▁of▁sentence｜>'];

/** Wrapping environments that only say "display this": removed when they enclose the whole answer. */
const WRAP_ENVS = ['equation', 'equation*', 'displaymath', 'math'];

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** A short quote of removed text for a repair line. */
function quote(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 40 ? `“${flat.slice(0, 39)}…”` : `“${flat}”`;
}

const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;

/**
 * Whether a piece of text reads as sentence rather than formula: words of two or more letters
 * (not control words such as `\frac`) make up most of it, at least one of them has four
 * letters, and there are two of them, or one followed by `:`, `!` or `.` ("Sure!", "LaTeX:").
 * With LaTeX markers (`\ ^ _ { }`) in it, three words and a higher share are needed, so that
 * `\text{for all } x` stays a formula while "where x_i is the i-th term" is an explanation.
 * `$` signs are ignored (an explanation may quote math: "where $x$ is real").
 */
export function looksLikeProse(text: string): boolean {
  let words = 0;
  let longWord = false;
  let letters = 0;
  let visible = 0;
  let markers = false;
  let punctuatedWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      markers = true;
      visible++;
      i++;
      // a control word is not a word of prose
      while (i < text.length && isLetter(text.charCodeAt(i))) {
        visible++;
        i++;
      }
      continue;
    }
    if (isLetter(c)) {
      const start = i;
      while (i < text.length && isLetter(text.charCodeAt(i))) i++;
      const n = i - start;
      visible += n;
      if (n >= 2) {
        words++;
        letters += n;
        if (n >= 4) longWord = true;
        const next = text.charCodeAt(i);
        if (n >= 4 && (next === 58 || next === 33 || next === 46)) punctuatedWord = true;
      }
      continue;
    }
    if (c === 94 || c === 95 || c === 123 || c === 125) markers = true; // ^ _ { }
    if (c !== 36 /* $ */ && !isSpace(c)) visible++;
    i++;
  }
  if (visible === 0 || !longWord) return false;
  const share = letters / visible;
  if (markers) return words >= 3 && share >= 0.6;
  return (words >= 2 || punctuatedWord) && share >= 0.5;
}

/** Whether text has any LaTeX marker at all (a backslash, ^, _, braces or $). */
function hasLatexMarkers(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 || c === 94 || c === 95 || c === 123 || c === 125 || c === 36) return true;
  }
  return false;
}

type DelimKind = '$' | '$$' | '\\[' | '\\]' | '\\(' | '\\)';
interface Delim {
  kind: DelimKind;
  at: number;
  len: number;
}

/**
 * The math delimiters of a text, in order, in one pass. A backslash takes the next character
 * with it, so `\$` is a dollar sign, `\\[2pt]` a line break with a spacing, and `\left(` no `\(`.
 */
function scanDelims(s: string): Delim[] {
  const out: Delim[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') {
      const d = s[i + 1];
      if (d === '[' || d === ']' || d === '(' || d === ')') out.push({ kind: `\\${d}` as DelimKind, at: i, len: 2 });
      i += 2;
    } else if (c === '$') {
      if (s[i + 1] === '$') {
        out.push({ kind: '$$', at: i, len: 2 });
        i += 2;
      } else {
        out.push({ kind: '$', at: i, len: 1 });
        i++;
      }
    } else i++;
  }
  return out;
}

const CLOSER: Partial<Record<DelimKind, DelimKind>> = { $: '$', $$: '$$', '\\[': '\\]', '\\(': '\\)' };
const WRAPPER_TEXT: Partial<Record<DelimKind, string>> = { $: '$ … $', $$: '$$ … $$', '\\[': '\\[ … \\]', '\\(': '\\( … \\)' };

/** Line starts and ends (exclusive, without the newline) of a text. */
function lines(s: string): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || s.charCodeAt(i) === 10) {
      out.push([start, i]);
      start = i + 1;
    }
  }
  return out;
}

/** A label line a model writes when it drops the backticks of a fence ("latex"). */
function isLabelLine(line: string): boolean {
  const t = line.trim().toLowerCase();
  return t === 'latex' || t === 'tex' || t === 'math' || t === 'latex:';
}

/** Removed text before and after the formula, summed over the steps, reported once each. */
interface Cut {
  chars: number;
  first: string;
}
function addCut(cut: Cut, text: string) {
  const t = text.trim();
  if (!t) return;
  cut.chars += t.length;
  if (!cut.first) cut.first = t;
}

/** Extract the LaTeX from a VLM's raw output; every change is listed in `repairs`. */
export function extract(raw: string): Extracted {
  const repairs: string[] = [];
  const before: Cut = { chars: 0, first: '' };
  const after: Cut = { chars: 0, first: '' };
  const late: string[] = []; // repairs listed after the "text before" line
  let s = raw;

  if (s.length > MAX_EXTRACT_CHARS) {
    repairs.push(`kept the first ${MAX_EXTRACT_CHARS.toLocaleString('en')} of ${s.length.toLocaleString('en')} characters: the output is too long to check in full`);
    s = s.slice(0, MAX_EXTRACT_CHARS);
  }

  // invisible characters and Windows line ends, in one pass
  let invisible = 0;
  {
    let out = '';
    let from = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (INVISIBLE.has(c) || (c === 13 && s.charCodeAt(i + 1) === 10)) {
        if (c !== 13) invisible++;
        out += s.slice(from, i);
        from = i + 1;
      } else if (c === 13) {
        out += s.slice(from, i) + '\n';
        from = i + 1;
      }
    }
    s = out + s.slice(from);
  }
  if (invisible) repairs.push(`removed ${plural(invisible, 'invisible character')} (zero-width space or byte-order mark)`);

  // end-of-turn markers spelled out at the end (a bounded number of endsWith checks)
  s = s.trim();
  const markers: string[] = [];
  for (let round = 0; round < 4; round++) {
    const m = END_MARKERS.find((x) => s.endsWith(x));
    if (!m) break;
    markers.push(m);
    s = s.slice(0, s.length - m.length).trimEnd();
  }
  if (markers.length) repairs.push(`removed the end ${markers.length === 1 ? 'marker' : 'markers'} ${markers.reverse().join(' ')}`);

  // a code fence: keep its content, drop the text around it
  const fence = s.indexOf('```');
  if (fence >= 0) {
    let p = fence + 3;
    let lang = '';
    while (p < s.length && isLetter(s.charCodeAt(p))) lang += s[p++];
    const close = s.indexOf('```', p);
    addCut(before, s.slice(0, fence));
    if (close >= 0) {
      addCut(after, s.slice(close + 3));
      s = s.slice(p, close);
      late.push(`removed a \`\`\`${lang} code fence`);
    } else {
      s = s.slice(p);
      late.push(`removed an unclosed \`\`\`${lang} code fence`);
    }
    s = s.trim();
  }

  // leading chatter: whole lines of prose ("Sure! Here is the LaTeX for the image:"), a "latex"
  // label line, then a prose lead-in ending with a colon on the formula's own line
  {
    const ls = lines(s);
    let k = 0;
    let labels = 0;
    while (k < ls.length - 1) {
      const line = s.slice(ls[k][0], ls[k][1]);
      if (isLabelLine(line)) labels++;
      else if (line.trim() !== '' && (hasLatexMarkers(line) || !looksLikeProse(line))) break;
      else addCut(before, line);
      k++;
    }
    if (labels) late.push(`removed ${labels === 1 ? 'a “latex” label line' : `${labels} “latex” label lines`}`);
    if (k > 0) s = s.slice(ls[k][0]);
    const colon = s.indexOf(':');
    const eol = s.indexOf('\n');
    if (colon > 0 && (eol < 0 || colon < eol)) {
      const lead = s.slice(0, colon + 1);
      if (!hasLatexMarkers(lead) && looksLikeProse(lead) && s.slice(colon + 1).trim() !== '') {
        addCut(before, lead);
        s = s.slice(colon + 1).trim();
      }
    }
  }

  // math delimiters: one span that holds the formula, with at most prose around it
  let wrapped = false;
  const delims = scanDelims(s);
  const open = delims.find((d) => CLOSER[d.kind] !== undefined);
  if (open) {
    const closeKind = CLOSER[open.kind]!;
    const close = delims.find((d) => d.at > open.at && d.kind === closeKind);
    if (close) {
      const prefix = s.slice(0, open.at);
      const suffix = s.slice(close.at + close.len);
      const prefixOk = prefix.trim() === '' || looksLikeProse(prefix);
      const suffixTrim = suffix.trim();
      const suffixOk = suffixTrim === '' || /^[.,;]$/.test(suffixTrim) || looksLikeProse(suffix);
      const inner = s.slice(open.at + open.len, close.at);
      // the span must hold the formula itself: no further delimiters inside it
      if (prefixOk && suffixOk && inner.trim() !== '' && !scanDelims(inner).length) {
        addCut(before, prefix);
        addCut(after, suffix);
        late.push(`removed the ${WRAPPER_TEXT[open.kind]} around the formula`);
        s = inner.trim();
        wrapped = true;
      }
    }
  }

  // trailing explanation: prose lines after the formula ("This is the quadratic formula.")
  if (!wrapped) {
    const ls = lines(s);
    let k = ls.length;
    while (k > 1) {
      const line = s.slice(ls[k - 1][0], ls[k - 1][1]);
      if (line.trim() === '' || looksLikeProse(line)) k--;
      else break;
    }
    if (k < ls.length) {
      addCut(after, s.slice(ls[k - 1][1]));
      s = s.slice(0, ls[k - 1][1]).trim();
    }
  }

  // any delimiter left is stray (`\color{red}{x}$ + y`, an unclosed `$x`, a `$` in mid-formula);
  // looked for after the explanation is cut, since an explanation may quote math
  if (!wrapped) {
    const left = scanDelims(s);
    const counts = new Map<DelimKind, number>();
    let out = '';
    let from = 0;
    for (const d of left) {
      counts.set(d.kind, (counts.get(d.kind) ?? 0) + (d.kind === '$$' ? 2 : 1));
      out += s.slice(from, d.at);
      from = d.at + d.len;
    }
    s = (out + s.slice(from)).trim();
    const dollars = (counts.get('$') ?? 0) + (counts.get('$$') ?? 0);
    if (dollars) late.push(`removed ${dollars} stray $`);
    for (const kind of ['\\[', '\\]', '\\(', '\\)'] as const) {
      const n = counts.get(kind);
      if (n) late.push(`removed ${n} stray ${kind}`);
    }
  }

  // a display environment around the whole formula
  for (const env of WRAP_ENVS) {
    const b = `\\begin{${env}}`;
    const e = `\\end{${env}}`;
    if (s.startsWith(b) && s.endsWith(e) && s.length >= b.length + e.length) {
      const inner = s.slice(b.length, s.length - e.length);
      if (!inner.includes(b)) {
        late.push(`removed the \\begin{${env}} … \\end{${env}} around the formula`);
        s = inner.trim();
      }
      break;
    }
  }

  if (before.chars) repairs.push(`removed ${plural(before.chars, 'character')} of text before the formula: ${quote(before.first)}`);
  repairs.push(...late);
  if (after.chars) repairs.push(`removed ${plural(after.chars, 'character')} of text after the formula: ${quote(after.first)}`);
  return { latex: s.trim(), repairs };
}
