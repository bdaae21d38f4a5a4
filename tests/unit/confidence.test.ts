import { describe, expect, it } from 'vitest';
import { topKSoftmax } from '../../src/model/engine.ts';

/** The obvious version: softmax of everything, stable sort, first k. */
function reference(row: number[], k: number) {
  const max = Math.max(...row);
  const e = row.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  const ids = [...row.keys()].sort((a, b) => e[b] - e[a]).slice(0, k);
  return { ids, probs: ids.map((i) => e[i] / sum) };
}

describe('topKSoftmax (token confidences, once per generated token)', () => {
  it('matches a full softmax and sort on random logits', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 20 - 10;
    for (let t = 0; t < 50; t++) {
      const row = Array.from({ length: 522 }, rand);
      const got = topKSoftmax(Float32Array.from(row), 4);
      const want = reference(Array.from(Float32Array.from(row)), 4);
      expect(got.ids).toEqual(want.ids);
      got.probs.forEach((p, i) => expect(p).toBeCloseTo(want.probs[i], 6));
    }
  });
  it('ties keep the lower id first; k larger than the vocabulary returns it all; huge logits do not overflow', () => {
    expect(topKSoftmax([1, 3, 3, 0], 2).ids).toEqual([1, 2]);
    const all = topKSoftmax([0, 1], 5);
    expect(all.ids).toEqual([1, 0]);
    expect(all.probs[0] + all.probs[1]).toBeCloseTo(1, 9);
    const big = topKSoftmax([1000, 999, -1000], 1);
    expect(big.ids).toEqual([0]);
    expect(big.probs[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 9);
  });
});
