import { describe, it, expect } from 'vitest';
import { normalizeLatex, normalizeTokens, tokenize } from '../../src/latex/tokens.ts';
import { normalizedEditDistance, bleu4, tokenDiff, compareLatex } from '../../src/metrics/tokens.ts';

describe('canonical LaTeX tokens', () => {
  it('splits commands, keeps \\left( and environments whole', () => {
    expect(tokenize('\\frac{a}{b}\\left(x\\right)\\begin{array}{cc}')).toEqual(['\\frac', '{', 'a', '}', '{', 'b', '}', '\\left(', 'x', '\\right)', '\\begin{array}', '{', 'c', 'c', '}']);
    expect(tokenize('\\leftarrow\\rightarrow')).toEqual(['\\leftarrow', '\\rightarrow']);
  });
  it('braces script arguments, maps synonyms and primes, text to \\mathrm', () => {
    expect(normalizeLatex('x^2_i \\le y')).toBe('x ^ { 2 } _ { i } \\leq y');
    expect(normalizeLatex("f'(x)")).toBe('f ^ { \\prime } ( x )');
    expect(normalizeLatex('\\text{if } x')).toBe('\\mathrm { i f } x');
    expect(normalizeLatex('a \\label{eq:1} \\nonumber')).toBe('a');
  });
  it('is idempotent', () => {
    for (const s of ['\\frac12 x^2', "g''(t) \\to 0", '\\sum_{i=1}^n \\alpha_i \\text{for all } i', '\\left\\{ a \\right.']) {
      const once = normalizeLatex(s);
      expect(normalizeLatex(once)).toBe(once);
    }
  });
});

describe('canonical arguments and blank edges', () => {
  it('braces every argument, including a command with its own arguments as a script', () => {
    expect(normalizeLatex('\\sqrt x + \\sqrt[3]{y}')).toBe('\\sqrt { x } + \\sqrt [ 3 ] { y }');
    expect(normalizeLatex('T_\\mathrm{eff}')).toBe('T _ { \\mathrm { e f f } }');
    expect(normalizeLatex('x ^ \\frac 1 2 y')).toBe('x ^ { \\frac { 1 } { 2 } } y');
    expect(normalizeLatex('\\hat x \\mathrm d')).toBe('\\hat { x } \\mathrm { d }');
    expect(normalizeLatex('b _ \\mathrm { R }')).toBe(normalizeLatex('b_{\\mathrm{R}}'));
  });
  it('drops spacing at the edges and braces around the whole formula, nothing inside', () => {
    expect(normalizeLatex('e ^ { - n } \\!')).toBe('e ^ { - n }');
    expect(normalizeLatex('\\ x = \\beta')).toBe('x = \\beta');
    expect(normalizeLatex('{ \\sqrt { 5 0 } }')).toBe('\\sqrt { 5 0 }');
    expect(normalizeLatex('{ \\, { x + y } \\quad }')).toBe('x + y');
    expect(normalizeLatex('a \\, b \\; c')).toBe('a \\, b \\; c');
    expect(normalizeLatex('{ a } ^ { 2 }')).toBe('{ a } ^ { 2 }');
    expect(normalizeLatex('{ \\frac { 1 } { 2 } } x')).toBe('{ \\frac { 1 } { 2 } } x');
    expect(normalizeLatex('a \\\\ b \\\\')).toBe('a \\\\ b \\\\'); // a line break is not a space
  });
  it('leaves malformed input as it is from the fault on', () => {
    expect(normalizeLatex('x^{')).toBe('x ^ {');
    expect(normalizeLatex('\\sqrt')).toBe('\\sqrt');
    expect(normalizeLatex('{ a')).toBe('{ a');
    expect(normalizeLatex('x _ \\left( y \\right)')).toBe('x _ \\left( y \\right)');
  });
  it('survives nesting deeper than any formula (no stack overflow), bracing the outer levels', () => {
    const chain = normalizeTokens('\\sqrt '.repeat(20000) + 'x');
    expect(chain.slice(0, 4)).toEqual(['\\sqrt', '{', '\\sqrt', '{']);
    expect(chain.filter((t) => t === '\\sqrt')).toHaveLength(20000);
    const groups = normalizeTokens('x ^ ' + '{ '.repeat(30000) + 'a' + ' }'.repeat(30000));
    expect(groups).toHaveLength(60003);
  });
  it('stays idempotent on the new forms', () => {
    for (const s of ['{ \\sqrt x } \\!', 'T_\\mathrm{eff}^\\hat a', '\\ { \\, a \\frac 1 2 } ~', '\\sqrt[n]\\frac12']) {
      const once = normalizeLatex(s);
      expect(normalizeLatex(once)).toBe(once);
    }
  });
});

describe('metrics', () => {
  it('normalised edit distance over tokens', () => {
    expect(normalizedEditDistance(['a', 'b'], ['a', 'b'])).toBe(0);
    expect(normalizedEditDistance(['a', 'b', 'c', 'd'], ['a', 'x', 'c'])).toBe(2 / 4);
    expect(normalizedEditDistance([], [])).toBe(0);
    expect(normalizedEditDistance(['\\alpha'], [])).toBe(1);
  });
  it('BLEU-4 is 1 for identical corpora and 0 without 4-gram overlap', () => {
    const r = [normalizeTokens('a + b = c + d')];
    expect(bleu4(r, r)).toBeCloseTo(1);
    expect(bleu4([['x', 'y']], r)).toBe(0);
  });
  it('token diff marks insertions and deletions', () => {
    const ops = tokenDiff(['a', '+', 'b'], ['a', '-', 'b']);
    expect(ops.filter((o) => o.kind !== 'same').map((o) => [o.kind, o.tokens.join(' ')])).toEqual([
      ['removed', '+'],
      ['added', '-'],
    ]);
    expect(compareLatex('x^2', 'x ^ { 2 }').ned).toBe(0);
  });
});

describe('font switches', () => {
  it('turns old switches into the command with the same glyphs', () => {
    expect(normalizeLatex('{ \\bf C }')).toBe('\\mathbf { C }');
    expect(normalizeLatex('G ( { \\cal R } )')).toBe('G ( \\mathcal { R } )');
    expect(normalizeLatex('{ a \\it x y } z')).toBe('{ a \\mathit { x y } } z');
    expect(normalizeLatex('\\rm d x')).toBe('\\mathrm { d x }');
    expect(normalizeLatex('\\mathbf { C }')).toBe(normalizeLatex('{\\bf C}'));
  });
});
