/**
 * Metrics over canonical LaTeX tokens, shared by the app (pane diffs), `npm run eval`
 * and `npm run stress`. training/ocr/metrics.py computes the same edit distance.
 */
import { distance } from 'fastest-levenshtein';
import { diffArrays } from 'diff';
import { normalizeTokens } from '../latex/tokens.ts';

/**
 * Levenshtein distance over token sequences. fastest-levenshtein (a well-kept, very
 * fast Myers bit-vector implementation) works on strings, so each distinct token is
 * mapped to one character from a private-use range first.
 */
export function tokenLevenshtein(a: readonly string[], b: readonly string[]): number {
  const ids = new Map<string, number>();
  const enc = (toks: readonly string[]) => toks.map((t) => ids.get(t) ?? ids.set(t, ids.size).get(t)!);
  const ea = enc(a);
  const eb = enc(b);
  // one UTF-16 code unit per token: the BMP private use area has 6,400 of them
  if (ids.size > 6400) return levenshteinArrays(ea, eb);
  // one code unit at a time: fromCharCode(...xs) passes every token as an argument, which
  // overflows the call stack on long lists (about 120,000 tokens in V8)
  const str = (xs: number[]) => xs.reduce((s, x) => s + String.fromCharCode(0xe000 + x), '');
  return distance(str(ea), str(eb));
}

function levenshteinArrays(a: readonly number[], b: readonly number[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length];
}

/** Normalised token edit distance in [0, 1]: distance / max(len). 0 when both are empty. */
export function normalizedEditDistance(pred: readonly string[], ref: readonly string[]): number {
  const n = Math.max(pred.length, ref.length);
  return n === 0 ? 0 : tokenLevenshtein(pred, ref) / n;
}

/** Corpus BLEU-4 (uniform weights, brevity penalty), as in pix2tex and im2latex reports. */
export function bleu4(preds: readonly (readonly string[])[], refs: readonly (readonly string[])[]): number {
  const match = [0, 0, 0, 0];
  const total = [0, 0, 0, 0];
  let predLen = 0;
  let refLen = 0;
  preds.forEach((p, k) => {
    const r = refs[k];
    predLen += p.length;
    refLen += r.length;
    for (let n = 1; n <= 4; n++) {
      const counts = new Map<string, number>();
      for (let i = 0; i + n <= r.length; i++) {
        const g = r.slice(i, i + n).join('\u0001');
        counts.set(g, (counts.get(g) ?? 0) + 1);
      }
      for (let i = 0; i + n <= p.length; i++) {
        const g = p.slice(i, i + n).join('\u0001');
        const c = counts.get(g) ?? 0;
        if (c > 0) {
          match[n - 1]++;
          counts.set(g, c - 1);
        }
      }
      total[n - 1] += Math.max(0, p.length - n + 1);
    }
  });
  if (predLen === 0) return 0;
  let logSum = 0;
  for (let n = 0; n < 4; n++) {
    if (match[n] === 0) return 0;
    logSum += Math.log(match[n] / total[n]) / 4;
  }
  const bp = predLen > refLen ? 1 : Math.exp(1 - refLen / predLen);
  return bp * Math.exp(logSum);
}

export type DiffOp = { kind: 'same' | 'added' | 'removed'; tokens: string[] };

/** Token-level diff from `a` to `b` (jsdiff's array diff): what a pane shows. */
export function tokenDiff(a: readonly string[], b: readonly string[]): DiffOp[] {
  return diffArrays(a as string[], b as string[]).map((c) => ({
    kind: c.added ? 'added' : c.removed ? 'removed' : 'same',
    tokens: c.value,
  }));
}

/** Compare two LaTeX strings after normalisation: tokens, diff and normalised edit distance. */
export function compareLatex(a: string, b: string): { ned: number; ops: DiffOp[]; a: string[]; b: string[] } {
  const ta = normalizeTokens(a);
  const tb = normalizeTokens(b);
  return { ned: normalizedEditDistance(ta, tb), ops: tokenDiff(ta, tb), a: ta, b: tb };
}
