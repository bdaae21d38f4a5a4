/**
 * The evaluation's scoring (cli/eval.ts `score`): the numbers the model tables and the targets
 * are built from, over the canonical tokens of src/latex/tokens.ts.
 */
import { describe, it, expect } from 'vitest';
import { score } from '../../cli/eval.ts';

describe('score', () => {
  it('counts a formula exact when only what leaves no ink differs, and not when a glyph does', () => {
    const r = score([
      { id: 'a', prediction: 'p ^ { \\alpha - 1 }', reference: 'p ^ { \\alpha - 1 } \\!' },
      { id: 'b', prediction: '\\sqrt { 5 0 }', reference: '{ \\sqrt { 5 0 } }' },
      { id: 'c', prediction: 'b _ { R }', reference: 'b _ \\mathrm { R }' },
      { id: 'd', prediction: 'x + 1', reference: 'x + 2' },
    ]);
    expect(r.n).toBe(4);
    expect(r.exact).toBe(0.5);
    expect(r.samples!.map((s) => s.ned === 0)).toEqual([true, true, false, false]);
    expect(r.samples![2].reference).toBe('b _ { \\mathrm { R } }');
    expect(r.ned).toBeCloseTo((0 + 0 + 3 / 8 + 1 / 3) / 4, 4); // b _ { R } lacks 3 of 8 tokens
    expect(r.similarity).toBeCloseTo(1 - r.ned, 4);
    expect(r.renderEqual).toBe(0.5);
  });
  it('refuses an empty set instead of reporting 0/0', () => {
    expect(() => score([])).toThrow(/no predictions/);
  });
});
