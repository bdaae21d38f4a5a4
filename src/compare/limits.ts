/**
 * How much of a prediction a pane works through on the main thread. A prediction can be
 * huge (a model from outside, a looping decode, a restored entry): the pane must stay
 * responsive, so the token diff and the token-confidence rows are bounded, each measured
 * so that the main thread never freezes (tests/e2e/bad-input.spec.ts: two 120,000-character
 * predictions make a longest task of 120-350 ms on a quiet 2-core machine, varying run to run). What is left out is said, never dropped silently.
 */
import { diffArrays } from 'diff';
import { normalizeTokens } from '../latex/tokens.ts';
import { normalizedEditDistance, type DiffOp } from '../metrics/tokens.ts';

/**
 * Longest token lists a pane compares. The edit distance of two lists of n tokens costs about
 * n²/32 steps (fastest-levenshtein's bit-parallel Myers): 5,000 tokens is under 1 M steps,
 * milliseconds, while 200,000 would take seconds. The built-in models stop at 200 tokens.
 */
export const MAX_DIFF_TOKENS = 5000;

/**
 * Longest LaTeX a pane tokenises for a comparison: tokenising costs up to 1.6 µs a character
 * on a slow machine (30 ms here), so a string of a million characters is not read at all (the
 * token limit alone would only apply after that second and a half).
 */
export const MAX_DIFF_CHARS = 20_000;

/**
 * Work allowed for the token diff shown: jsdiff's Myers diff costs about (n + m) × d for d
 * edits, so d is capped at DIFF_WORK / (n + m). Two 5,000-token lists then get 200 edits
 * (80 ms measured); two 200-token predictions get every edit there can be.
 */
export const DIFF_WORK = 2_000_000;

/**
 * Token-confidence rows rendered per prediction (each is a focusable token with a tooltip).
 * The built-in models stop at 200 new tokens, so only other models' runaway outputs are cut;
 * 500 rows in each of two panes made 265-372 ms tasks on a loaded 2-core machine.
 */
export const MAX_CONFIDENCE_TOKENS = 256;

/**
 * Characters of a prediction's LaTeX laid out in its pane: laying out 120,000 characters took
 * most of a 270 ms task (style and layout, not script). "Copy LaTeX" still copies all of it.
 */
export const MAX_SHOWN_LATEX_CHARS = 20_000;

/**
 * How much of the end of a prediction the repetition-loop check reads (TokenConfidence): a loop
 * is at the end, and tokenising the whole of a huge prediction would take seconds.
 */
export const REPETITION_TAIL_CHARS = 20_000;

/** The prediction's end, for predictionHealth (src/research/confidence.ts): at most REPETITION_TAIL_CHARS. */
export function healthInput<P extends { latex: string }>(p: P): P {
  return p.latex.length > REPETITION_TAIL_CHARS ? { ...p, latex: p.latex.slice(-REPETITION_TAIL_CHARS) } : p;
}

export type PaneComparison =
  /** The normalised edit distance and the token diff. */
  | { ned: number; ops: DiffOp[] }
  /** The distance only: the lists differ in more places than the diff is allowed to trace. */
  | { ned: number; ops: null; note: string }
  /** Neither: a text is over MAX_DIFF_CHARS or its tokens over MAX_DIFF_TOKENS. */
  | { ned: null; ops: null; note: string };

const count = (n: number) => n.toLocaleString('en');

/** Compare two LaTeX strings for a pane (DiffView), within the limits above. */
export function comparePredictions(from: string, to: string, fromName: string): PaneComparison {
  if (from.length > MAX_DIFF_CHARS || to.length > MAX_DIFF_CHARS) {
    return {
      ned: null,
      ops: null,
      note: `Not compared: ${fromName} has ${count(from.length)} characters and this prediction ${count(to.length)}; a pane compares up to ${count(MAX_DIFF_CHARS)}.`,
    };
  }
  const a = normalizeTokens(from);
  const b = normalizeTokens(to);
  if (a.length > MAX_DIFF_TOKENS || b.length > MAX_DIFF_TOKENS) {
    return {
      ned: null,
      ops: null,
      note: `Not compared: ${fromName} has ${count(a.length)} tokens and this prediction ${count(b.length)}; a pane compares up to ${count(MAX_DIFF_TOKENS)}.`,
    };
  }
  const ned = normalizedEditDistance(a, b);
  const maxEditLength = Math.max(1, Math.floor(DIFF_WORK / Math.max(1, a.length + b.length)));
  const changes = diffArrays(a, b, { maxEditLength });
  if (!changes) return { ned, ops: null, note: `The token diff is not shown: the two differ in more than ${count(maxEditLength)} places.` };
  return { ned, ops: changes.map((c) => ({ kind: c.added ? 'added' : c.removed ? 'removed' : 'same', tokens: c.value })) };
}
