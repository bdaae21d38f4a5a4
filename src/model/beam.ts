/**
 * Beam search, independent of any model: the caller supplies a batched step function
 * (prefixes + opaque per-row state -> log-probabilities over the vocabulary and new
 * state) and a reorder function that gathers that state for the beams kept (for a
 * decoder, its KV cache). src/model/engine.ts plugs the built-in models' ONNX decoder
 * into it; tests/unit/beam.test.ts checks it against exhaustive search on toy models.
 * transformers.js v4 has no beam search of its own (its generate() is greedy only).
 *
 * Also the one place for the allowed beam widths: the UI, the command-line tools and
 * the worker all derive their range, default and validation from the constants here.
 */

/** Smallest and largest beam width offered (UI select, CLI --beams, worker validation). */
export const MIN_BEAMS = 1;
export const MAX_BEAMS = 8;
/**
 * Default beam width everywhere (UI, CLI, worker). 1 = greedy through transformers.js'
 * generate(), the path that is benchmarked; the maintainer picks the default from a
 * measured accuracy/latency table (npm run eval -- --beams N).
 */
export const DEFAULT_NUM_BEAMS = 1;
/**
 * Length penalty alpha: a hypothesis scores sum(log p) / length^alpha, length counting the
 * generated tokens including the end token. 1.0 is Hugging Face's default (score = mean
 * log-probability per token): without it (alpha = 0) the sum favours short outputs, since
 * every token adds a negative log-probability, and a formula cut short is a wrong formula.
 */
export const DEFAULT_LENGTH_PENALTY = 1.0;

/** The beam widths offered, MIN_BEAMS..MAX_BEAMS. */
export const BEAM_WIDTHS: readonly number[] = Array.from({ length: MAX_BEAMS - MIN_BEAMS + 1 }, (_, i) => MIN_BEAMS + i);

/** A beam width from untrusted input (a request, a command-line flag), or an error saying what is allowed. */
export function checkNumBeams(value: unknown): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < MIN_BEAMS || n > MAX_BEAMS) {
    throw new RangeError(`beam width must be a whole number from ${MIN_BEAMS} to ${MAX_BEAMS} (got ${JSON.stringify(value)})`);
  }
  return n;
}

/** What one step returns: a row of log-probabilities (length = vocabulary) per prefix, and the new state. */
export interface StepOutput<S> {
  logProbs: ArrayLike<number>[];
  state: S;
}

export interface BeamSearchOptions<S> {
  /**
   * Run the model on `prefixes` (each = start + tokens generated so far). `state` is null on
   * the first call (one row: the start prefix); afterwards it is what `reorder` returned, row
   * i belonging to prefixes[i].
   */
  step: (prefixes: readonly number[][], state: S | null) => Promise<StepOutput<S>> | StepOutput<S>;
  /**
   * The state for the next step: row i of the result is row parents[i] of `state` (rows may
   * repeat: a beam with two good continuations is copied). Called only when the search goes on.
   */
  reorder: (state: S, parents: readonly number[]) => Promise<S> | S;
  /** Called once with the last state when the search ends (release GPU buffers and the like). */
  release?: (state: S) => Promise<void> | void;
  /** Tokens every hypothesis starts with (e.g. the decoder start token); not counted as generated. */
  start: readonly number[];
  numBeams: number;
  /** End-of-sequence token ids. */
  eos: readonly number[];
  /** The most tokens generated, the end token included (like generate()'s max_new_tokens). */
  maxNewTokens: number;
  /** alpha in sum(log p) / length^alpha; default DEFAULT_LENGTH_PENALTY. */
  lengthPenalty?: number;
  /**
   * When to stop before maxNewTokens once numBeams hypotheses have finished:
   * - 'heuristic' (default; Hugging Face's early_stopping=False): when the worst finished one
   *   scores at least the best candidate of this step as if it ended now, sum / n^alpha. With
   *   alpha > 0 a live beam could still overtake it later (a longer length divides a negative
   *   sum by more), but rarely does, and waiting for that would run most searches to
   *   maxNewTokens.
   * - 'exact': only when no live beam can beat the worst finished one at any future length.
   *   With alpha = 0 both are the same.
   */
  stopping?: 'heuristic' | 'exact';
  /** How many alternatives to record per step (besides the token chosen); default 3. */
  topK?: number;
}

/** One generated token of a hypothesis: its probability and the most likely tokens at that step. */
export interface BeamStep {
  token: number;
  prob: number;
  /** The topK + 1 most likely tokens at this step (the chosen one may be among them), most likely first. */
  top: { ids: number[]; probs: number[] };
}

export interface Hypothesis {
  /** Generated tokens (the start prefix excluded), ending with an end token when `finished`. */
  tokens: number[];
  /** sum(log p) / length^alpha. */
  score: number;
  logProb: number;
  /** Ended with an end token (else it was cut at maxNewTokens). */
  finished: boolean;
}

export interface BeamResult extends Hypothesis {
  /** Per generated token of the best hypothesis. */
  steps: BeamStep[];
  /** The kept hypotheses (at most numBeams), best first; [0] is the result. */
  hypotheses: Hypothesis[];
  /** How many times step() ran. */
  modelSteps: number;
}

/** Score of a hypothesis: sum of log-probabilities over length^alpha (length includes the end token). */
export function sequenceScore(logProb: number, length: number, alpha: number): number {
  return logProb / Math.pow(length, alpha);
}

/** Log-softmax of one row of logits, in float64 (so ranks of distinct float32 logits survive). */
export function logSoftmax(row: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let j = 0; j < row.length; j++) if (row[j] > max) max = row[j];
  let sum = 0;
  for (let j = 0; j < row.length; j++) sum += Math.exp(row[j] - max);
  const shift = max + Math.log(sum);
  const out = new Float64Array(row.length);
  for (let j = 0; j < row.length; j++) out[j] = row[j] - shift;
  return out;
}

/**
 * The m largest entries of a row, largest first; equal values keep the lower index first
 * (as an argmax that takes the first maximum, i.e. transformers.js' greedy decoding).
 */
export function topIndices(row: ArrayLike<number>, m: number): number[] {
  const ids: number[] = [];
  const vals: number[] = [];
  for (let j = 0; j < row.length; j++) {
    const v = row[j];
    if (ids.length === m && !(v > vals[m - 1])) continue;
    let at = ids.length === m ? m - 1 : ids.length;
    while (at > 0 && vals[at - 1] < v) at--;
    ids.splice(at, 0, j);
    vals.splice(at, 0, v);
    if (ids.length > m) {
      ids.pop();
      vals.pop();
    }
  }
  return ids;
}

/** A node of the hypothesis tree: beams share their common prefix. */
interface Node {
  parent: Node | null;
  token: number;
  logp: number;
  /** Sum of log-probabilities from the root to here. */
  sum: number;
  depth: number;
  /** The distribution this token was chosen from (shared by the siblings). */
  top: BeamStep['top'];
}

interface Kept {
  node: Node;
  score: number;
  finished: boolean;
}

function path(node: Node): Node[] {
  const out: Node[] = [];
  for (let n: Node | null = node; n; n = n.parent) out.push(n);
  return out.reverse();
}

/**
 * Beam search as Hugging Face's (BeamSearchScorer, early_stopping=False), on one input:
 * - each step, every live beam's continuations are ranked together by their summed
 *   log-probability; the best numBeams that do not end the sequence become the next beams;
 * - a continuation that ends it (an eos token) is offered to the finished hypotheses if it is
 *   among the numBeams best of the step (Hugging Face's rule; it is what makes width 1 exactly
 *   greedy), scored with the length penalty; the numBeams best finished ones are kept;
 * - the search stops when numBeams have finished and none of the live beams can beat the worst
 *   of them (see `stopping`), when no beam is left, or at maxNewTokens, where the live beams are
 *   kept as unfinished (truncated) hypotheses.
 * The first step runs one row (the start prefix); later steps run one row per live beam.
 */
export async function beamSearch<S>(opts: BeamSearchOptions<S>): Promise<BeamResult> {
  const k = opts.numBeams;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`numBeams must be a whole number >= 1 (got ${k})`);
  if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 1) throw new RangeError(`maxNewTokens must be >= 1 (got ${opts.maxNewTokens})`);
  const alpha = opts.lengthPenalty ?? DEFAULT_LENGTH_PENALTY;
  const topK = opts.topK ?? 3;
  const eos = new Set(opts.eos);
  // per beam, the walk below can use at most its k best non-end tokens and its end tokens
  const perBeam = k + eos.size;

  const kept: Kept[] = []; // best first, at most k
  const offer = (node: Node, finished: boolean) => {
    const score = sequenceScore(node.sum, node.depth, alpha);
    if (kept.length === k && !(score > kept[k - 1].score)) return;
    let at = kept.length;
    while (at > 0 && kept[at - 1].score < score) at--; // equal scores: the earlier one stays first
    kept.splice(at, 0, { node, score, finished });
    if (kept.length > k) kept.pop();
  };

  let live: (Node | null)[] = [null]; // null = the root (the start prefix alone)
  let state: S | null = null;
  let modelSteps = 0;
  try {
    for (let n = 1; n <= opts.maxNewTokens; n++) {
      const prefixes = live.map((node) => [...opts.start, ...(node ? path(node).map((x) => x.token) : [])]);
      const out = await opts.step(prefixes, state);
      state = out.state;
      modelSteps++;
      if (out.logProbs.length !== live.length) throw new Error(`step returned ${out.logProbs.length} rows for ${live.length} beams`);

      const cands: { beam: number; token: number; logp: number; sum: number; top: BeamStep['top'] }[] = [];
      live.forEach((node, beam) => {
        const row = out.logProbs[beam];
        const shown = topIndices(row, topK + 1);
        const top = { ids: shown, probs: shown.map((id) => Math.exp(row[id])) };
        const base = node ? node.sum : 0;
        for (const token of topIndices(row, perBeam)) cands.push({ beam, token, logp: row[token], sum: base + row[token], top });
      });
      // best first; ties in beam order, then token order (per beam, topIndices' order)
      cands.sort((a, b) => b.sum - a.sum || a.beam - b.beam);

      const next: Node[] = [];
      const parents: number[] = [];
      for (let r = 0; r < cands.length && next.length < k; r++) {
        const c = cands[r];
        const node: Node = { parent: live[c.beam], token: c.token, logp: c.logp, sum: c.sum, depth: n, top: c.top };
        if (eos.has(c.token)) {
          if (r < k) offer(node, true);
          continue;
        }
        next.push(node);
        parents.push(c.beam);
      }

      if (next.length === 0) break;
      if (n === opts.maxNewTokens) {
        for (const node of next) offer(node, false);
        break;
      }
      if (kept.length === k && cands.length) {
        const bestLive = next[0].sum; // next is in candidate order: best first
        const bound =
          (opts.stopping ?? 'heuristic') === 'heuristic'
            ? sequenceScore(cands[0].sum, n, alpha)
            : sequenceScore(bestLive, alpha > 0 ? opts.maxNewTokens : n + 1, alpha);
        if (kept[k - 1].score >= bound) break;
      }
      state = await opts.reorder(state, parents);
      live = next;
    }
  } finally {
    if (state !== null) await opts.release?.(state);
  }

  if (kept.length === 0) throw new Error('beam search kept no hypothesis'); // cannot happen with maxNewTokens >= 1
  const hypotheses = kept.map(({ node, score, finished }) => ({ tokens: path(node).map((x) => x.token), score, logProb: node.sum, finished }));
  const best = path(kept[0].node);
  return {
    ...hypotheses[0],
    steps: best.map((x) => ({ token: x.token, prob: Math.exp(x.logp), top: x.top })),
    hypotheses,
    modelSteps,
  };
}
