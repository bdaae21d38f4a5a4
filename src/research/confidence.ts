/**
 * Token confidence: summary statistics of the per-token probabilities a model
 * reported, and the warning signs of a failed decode (a repetition loop at the
 * end, or output cut at the length limit). Pure functions, shared by the
 * Compare panes, the research ladder, the exports and the stress CLI.
 */
import type { Prediction, TokenInfo } from '../worker-api/ocr.ts';
import { normalizeTokens } from '../latex/tokens.ts';

export interface ConfidenceStats {
  /** Arithmetic mean of the token probabilities. */
  mean: number;
  /** The lowest token probability, and where it is. */
  min: number;
  minIndex: number;
  /** Geometric mean (exp of the mean log-probability): 1 / perplexity. */
  geometric: number;
  count: number;
}

/** Stats over the token probabilities; null when there are no tokens (empty output). */
export function confidenceStats(tokens: readonly Pick<TokenInfo, 'prob'>[]): ConfidenceStats | null {
  if (tokens.length === 0) return null;
  let sum = 0;
  let logSum = 0;
  let min = Infinity;
  let minIndex = -1;
  for (let i = 0; i < tokens.length; i++) {
    const p = Number.isFinite(tokens[i].prob) ? Math.min(1, Math.max(0, tokens[i].prob)) : 0;
    sum += p;
    // a probability of exactly 0 would send the geometric mean to 0 anyway; keep it finite
    logSum += Math.log(Math.max(p, 1e-12));
    if (p < min) {
      min = p;
      minIndex = i;
    }
  }
  return { mean: sum / tokens.length, min, minIndex, geometric: Math.exp(logSum / tokens.length), count: tokens.length };
}

export interface Repetition {
  /** The repeated n-gram. */
  gram: string[];
  /** How many times in a row it ends the sequence. */
  repeats: number;
  /** Index of the first token of the repeated run. */
  start: number;
}

export interface RepetitionOptions {
  /** The n-gram must end the sequence at least this many times in a row (default 4). */
  minRepeats?: number;
  /** Longest n-gram considered (default 8). */
  maxN?: number;
  /**
   * The repeated run must cover at least this many tokens (default 6), so that
   * short legitimate runs (`} } } }` closing nested groups) are not flagged.
   */
  minSpan?: number;
}

/**
 * Does the sequence end in the same n-gram repeated `minRepeats` or more times?
 * That is what a decoder stuck in a loop produces (`x x x x ...`, `+ 1 + 1 + 1 ...`).
 * The shortest such n-gram is reported; for it, the run is counted as far back as it goes.
 */
export function detectRepetition(tokens: readonly string[], opts: RepetitionOptions = {}): Repetition | null {
  const minRepeats = opts.minRepeats ?? 4;
  const maxN = opts.maxN ?? 8;
  const minSpan = opts.minSpan ?? 6;
  const len = tokens.length;
  for (let n = 1; n <= maxN && n * minRepeats <= len; n++) {
    let repeats = 1;
    // compare each earlier block of n with the final one
    for (let start = len - 2 * n; start >= 0; start -= n) {
      let same = true;
      for (let k = 0; k < n; k++) {
        if (tokens[start + k] !== tokens[len - n + k]) {
          same = false;
          break;
        }
      }
      if (!same) break;
      repeats++;
    }
    if (repeats >= minRepeats && repeats * n >= minSpan) {
      const gram = tokens.slice(len - n);
      // a gram that is itself a repetition of a shorter one was already tried as that shorter one
      return { gram, repeats, start: len - repeats * n };
    }
  }
  return null;
}

export interface PredictionHealth {
  stats: ConfidenceStats | null;
  repetition: Repetition | null;
  truncated: boolean;
  /** Human-readable warnings (empty when the output looks healthy). */
  warnings: string[];
}

/** Stats and warnings for one prediction (repetition is checked on canonical LaTeX tokens). */
export function predictionHealth(p: Pick<Prediction, 'latex' | 'tokens' | 'truncated'>): PredictionHealth {
  const stats = confidenceStats(p.tokens);
  const repetition = detectRepetition(normalizeTokens(p.latex));
  const warnings: string[] = [];
  if (repetition) {
    warnings.push(`The output ends in a repetition loop: “${repetition.gram.join(' ')}” ×${repetition.repeats}.`);
  }
  if (p.truncated) warnings.push('The output was cut at the length limit (no end token).');
  return { stats, repetition, truncated: p.truncated, warnings };
}

/** A background colour for a probability: red (unsure) through amber to green (sure), light enough for dark text. */
export function probabilityColour(prob: number): string {
  const p = Math.min(1, Math.max(0, Number.isFinite(prob) ? prob : 0));
  const hue = Math.round(120 * p);
  return `hsl(${hue} 75% 85%)`;
}

/** "93%" style, for labels. */
export function percent(prob: number): string {
  return `${(Math.min(1, Math.max(0, prob)) * 100).toFixed(prob >= 0.995 || prob < 0.005 ? 0 : 1).replace(/\.0$/, '')}%`;
}
