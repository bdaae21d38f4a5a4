/**
 * What a pane computes for a huge prediction stays bounded (src/compare/limits.ts), and the
 * token edit distance takes long token lists (src/metrics/tokens.ts).
 */
import { describe, it, expect } from 'vitest';
import { comparePredictions, healthInput, DIFF_WORK, MAX_DIFF_CHARS, MAX_DIFF_TOKENS, REPETITION_TAIL_CHARS } from '../../src/compare/limits.ts';
import { compareLatex, tokenLevenshtein } from '../../src/metrics/tokens.ts';
import { predictionHealth } from '../../src/research/confidence.ts';

/** Milliseconds `fn` takes, and its result. */
function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
}

describe('token edit distance of long lists', () => {
  it('200,000 tokens neither overflow the call stack nor take long', () => {
    const long = Array.from({ length: 200_000 }, (_, i) => `t${i % 7}`);
    const [d, ms] = timed(() => tokenLevenshtein(long, ['t0', 't1', 'x']));
    expect(d).toBe(200_000 - 2);
    expect(ms).toBeLessThan(2000);
    expect(tokenLevenshtein(['t0', 't1'], long.slice(0, 100_000))).toBe(100_000 - 2);
  });
});

describe('comparePredictions (a pane\'s diff)', () => {
  it('gives what compareLatex gives for ordinary predictions', () => {
    const a = '\\frac { a } { b } + x ^ { 2 }';
    const b = '\\frac { a } { c } + x ^ { 3 } - 1';
    const { ned, ops } = compareLatex(a, b);
    expect(comparePredictions(a, b, 'the reference')).toEqual({ ned, ops });
  });

  it('does not read a prediction of 200,000 tokens: says so at once', () => {
    const huge = Array.from({ length: 200_000 }, (_, i) => `x_${i % 10}`).join(' ');
    comparePredictions('a', 'b', 'r'); // warm up (number formatting)
    const other = huge.replace(/x/g, 'y');
    const [c, ms] = timed(() => comparePredictions(huge, other, 'the reference'));
    expect(huge.length).toBe(799_999);
    expect(c).toEqual({ ned: null, ops: null, note: `Not compared: the reference has 799,999 characters and this prediction 799,999; a pane compares up to ${MAX_DIFF_CHARS.toLocaleString('en')}.` });
    expect(ms).toBeLessThan(50);
  });

  it('does not compare more than MAX_DIFF_TOKENS tokens even within the character limit', () => {
    const many = Array(MAX_DIFF_TOKENS + 1).fill('x').join('');
    expect(many.length).toBeLessThanOrEqual(MAX_DIFF_CHARS);
    const c = comparePredictions(many, 'x', 'Pane 1');
    expect(c.ned).toBeNull();
    expect(c.ops).toBeNull();
    expect(c).toMatchObject({ note: expect.stringContaining('Pane 1 has 5,001 tokens') });
  });

  it('two very different lists of 4,800 tokens: the distance, and a note instead of an unbounded diff', () => {
    const list = (p: string) => Array.from({ length: 1600 }, (_, i) => `${p}${i % 9} +`).join(' '); // a 0 + a 1 + ...
    const [c, ms] = timed(() => comparePredictions(list('a'), list('b'), 'the reference'));
    expect(c.ned).toBeCloseTo(1 / 3, 3);
    expect(c.ops).toBeNull();
    expect(c).toMatchObject({ note: `The token diff is not shown: the two differ in more than ${Math.floor(DIFF_WORK / 9600)} places.` });
    expect(ms).toBeLessThan(1000); // 100-300 ms on a busy 2-core machine; unbounded, the diff took 30 s
  });

  it('two similar long lists still get their diff', () => {
    const a = Array.from({ length: 2000 }, (_, i) => `a${i % 9}`).join(' ');
    const b = a.replace('a3', 'b3');
    const c = comparePredictions(a, b, 'the reference');
    expect(c.ops?.filter((op) => op.kind !== 'same')).toEqual([
      { kind: 'removed', tokens: ['a'] },
      { kind: 'added', tokens: ['b'] },
    ]);
  });
});

describe('healthInput (repetition check of a huge prediction)', () => {
  it('reads only the end, and still finds the loop there', () => {
    const looping = `\\frac { a } { b } ${'x + '.repeat(100_000)}x`;
    const input = healthInput({ latex: looping, tokens: [], truncated: true });
    expect(input.latex).toHaveLength(REPETITION_TAIL_CHARS);
    expect(looping.endsWith(input.latex)).toBe(true);
    const [health, ms] = timed(() => predictionHealth(input));
    expect(health.repetition?.gram).toEqual(['+', 'x']);
    expect(ms).toBeLessThan(500);
    const short = { latex: 'a + b', tokens: [], truncated: false };
    expect(healthInput(short)).toBe(short);
  });
});
