import { describe, expect, it } from 'vitest';
import { COPY_FORMATS, copyText, noMathmlReason } from '../../src/render/copyFormats.ts';
import { MAX_KATEX_CHARS, renderLatex, renderMathml } from '../../src/render/katex.ts';

describe('copy as', () => {
  const latex = '\\frac { x + 1 } { y - 2 }';

  it('LaTeX as predicted, inline $…$ and display \\[…\\] around the trimmed LaTeX', () => {
    expect(copyText(latex, 'latex')).toBe(latex);
    expect(copyText(latex, 'inline')).toBe('$\\frac { x + 1 } { y - 2 }$');
    expect(copyText(latex, 'display')).toBe('\\[\\frac { x + 1 } { y - 2 }\\]');
    expect(copyText('  a ^ { 2 } \n', 'inline')).toBe('$a ^ { 2 }$');
    expect(copyText('  a ^ { 2 } \n', 'display')).toBe('\\[a ^ { 2 }\\]');
  });

  it('MathML: one display <math> element (no KaTeX wrapper) with the structure and the TeX source', () => {
    const m = copyText(latex, 'mathml')!;
    expect(m).toMatch(/^<math xmlns="http:\/\/www\.w3\.org\/1998\/Math\/MathML" display="block">/);
    expect(m).toMatch(/<\/math>$/);
    expect(m).not.toContain('class="katex"');
    expect(m).toContain('<mfrac>');
    expect(m).toContain('<mi>x</mi>');
    expect(m).toContain('<mn>2</mn>');
    expect(m).toContain('<annotation encoding="application/x-tex">\\frac { x + 1 } { y - 2 }</annotation>');
    expect(m.match(/<math[\s>]/g)).toHaveLength(1);
  });

  it('no MathML for LaTeX KaTeX cannot read, nor for an empty prediction; the other formats still work', () => {
    const broken = '\\boldsymbol { \\theta \\boldsymbol {';
    expect(copyText(broken, 'mathml')).toBeNull();
    expect(copyText('', 'mathml')).toBeNull();
    expect(copyText(broken, 'inline')).toBe(`$${broken}$`);
    expect(copyText('', 'latex')).toBe('');
  });

  it('model output stays text: markup in a prediction is escaped in the MathML, never passed through', () => {
    const m = copyText('\\text{<img src=x onerror=alert(1)>}', 'mathml')!;
    expect(m).not.toContain('<img');
    expect(m).toContain('&lt;img');
  });

  it('every format has a button name starting with "Copy"', () => {
    expect(COPY_FORMATS.map((f) => f.name)).toEqual(['Copy LaTeX', 'Copy $…$', 'Copy \\[…\\]', 'Copy MathML']);
    for (const f of COPY_FORMATS) expect(copyText('a', f.id)).not.toBeNull();
  });
});

describe('long predictions are not handed to KaTeX (MAX_KATEX_CHARS)', () => {
  // 120,000 characters of fractions: 2 s and 14 MB of HTML if KaTeX rendered it
  const huge = '\\frac { a _ { 1 } } { b ^ { 2 } } + '.repeat(3300) + 'c';

  it('renderLatex says it is too long, with the length, without rendering; MathML is not made either', () => {
    expect(huge.length).toBeGreaterThan(100_000);
    const t0 = performance.now();
    const r = renderLatex(huge);
    const m = copyText(huge, 'mathml');
    expect(performance.now() - t0).toBeLessThan(50);
    expect(r).toEqual({ ok: false, tooLong: true, error: `${huge.length.toLocaleString('en')} characters, over the 3,000 that are rendered` });
    expect(m).toBeNull();
    expect(renderMathml(huge)).toBeNull();
    expect(noMathmlReason(huge)).toBe('Over 3,000 characters: too long to convert to MathML');
    // the text formats still copy all of it
    expect(copyText(huge, 'latex')).toBe(huge);
  });

  it('LaTeX up to the limit still renders and converts', () => {
    const unit = 'x ^ { 2 } + ';
    const atLimit = unit.repeat(Math.floor((MAX_KATEX_CHARS - 1) / unit.length)) + 'y';
    expect(atLimit.length).toBeLessThanOrEqual(MAX_KATEX_CHARS);
    expect(renderLatex(atLimit).ok).toBe(true);
    expect(copyText(atLimit, 'mathml')).toMatch(/^<math/);
    expect(renderLatex(atLimit + ' + z'.repeat(10)).ok).toBe(false);
    expect(noMathmlReason('\\frac {')).toMatch(/KaTeX cannot read/);
  });
});
