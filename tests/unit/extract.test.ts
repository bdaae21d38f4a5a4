/**
 * extract() (src/latex/extract.ts): LaTeX out of a vision-language model's raw answer, with each
 * change reported. Clean LaTeX must come back untouched with no repairs; every kind of wrapper,
 * chatter and stray delimiter a chat-tuned model produces must be removed and said.
 */
import { describe, it, expect } from 'vitest';
import { extract, looksLikeProse, MAX_EXTRACT_CHARS } from '../../src/latex/extract.ts';

describe('extract: clean input', () => {
  const clean = [
    '\\frac{a}{b}',
    'x^2 + y^2 = z^2',
    '\\text{for all } x \\in A',
    '\\begin{pmatrix} a & b \\\\[2pt] c & d \\end{pmatrix}', // \\[ is a line break, not \[
    '\\left( x \\right) \\cdot \\left[ y \\right]', // \left( is not \(
    'a \\$ 5 + \\$10', // escaped dollars are text
    '\\begin{aligned} f(x) &= x^2 \\\\ g(x) &= \\sin x \\end{aligned}',
    '\\textcolor{blue}{\\text{hello world}} + 1',
    'f : A \\to B',
    '\\operatorname{sin} x + \\cos y',
    'x',
  ];
  it.each(clean)('%s: unchanged, no repairs', (src) => {
    expect(extract(src)).toEqual({ latex: src, repairs: [] });
  });

  it('trims surrounding whitespace without calling it a repair', () => {
    expect(extract('  \n x + 1 \n\n')).toEqual({ latex: 'x + 1', repairs: [] });
  });

  it('empty output is empty LaTeX, no repairs', () => {
    expect(extract('')).toEqual({ latex: '', repairs: [] });
    expect(extract(' \n\t ')).toEqual({ latex: '', repairs: [] });
  });

  it('keeps a multi-line formula', () => {
    const src = '\\begin{cases}\n x & x > 0 \\\\\n -x & \\text{otherwise}\n\\end{cases}';
    expect(extract(src)).toEqual({ latex: src, repairs: [] });
  });
});

describe('extract: math delimiters around the formula', () => {
  it.each([
    ['$x^2$', 'x^2', '$ … $'],
    ['$$\\frac{a}{b}$$', '\\frac{a}{b}', '$$ … $$'],
    ['\\[ \\int_0^1 f(x)\\,dx \\]', '\\int_0^1 f(x)\\,dx', '\\[ … \\]'],
    ['\\(a+b\\)', 'a+b', '\\( … \\)'],
    ['$$\n\\sum_i i\n$$', '\\sum_i i', '$$ … $$'],
  ])('%s', (raw, latex, wrapper) => {
    expect(extract(raw)).toEqual({ latex, repairs: [`removed the ${wrapper} around the formula`] });
  });

  it('keeps escaped dollars inside a span', () => {
    expect(extract('$\\$5 + \\$3$').latex).toBe('\\$5 + \\$3');
  });

  it('a display environment around the whole formula', () => {
    expect(extract('\\begin{equation}E=mc^2\\end{equation}')).toEqual({
      latex: 'E=mc^2',
      repairs: ['removed the \\begin{equation} … \\end{equation} around the formula'],
    });
    expect(extract('\\begin{equation*} a \\end{equation*}').latex).toBe('a');
  });
});

describe('extract: stray $ (the seed failure)', () => {
  it('a stray pair after a colour change', () => {
    expect(extract('\\color{red}{x}$+y$')).toEqual({ latex: '\\color{red}{x}+y', repairs: ['removed 2 stray $'] });
  });

  it('a single stray $ after a colour group', () => {
    expect(extract('{\\color{red} a}$ + b = c')).toEqual({ latex: '{\\color{red} a} + b = c', repairs: ['removed 1 stray $'] });
  });

  it('\\textcolor with stray dollars in the middle', () => {
    expect(extract('\\textcolor{blue}{x^2}$ + \\frac{1}{2}$$')).toEqual({
      latex: '\\textcolor{blue}{x^2} + \\frac{1}{2}',
      repairs: ['removed 3 stray $'],
    });
  });

  it('an unbalanced opening $', () => {
    expect(extract('$x + y')).toEqual({ latex: 'x + y', repairs: ['removed 1 stray $'] });
  });

  it('an unbalanced closing $', () => {
    expect(extract('x + y$')).toEqual({ latex: 'x + y', repairs: ['removed 1 stray $'] });
  });

  it('dollars splitting one formula in two', () => {
    expect(extract('$a$ = $b$')).toEqual({ latex: 'a = b', repairs: ['removed 4 stray $'] });
  });

  it('a stray \\] with no opener', () => {
    expect(extract('x + 1 \\]')).toEqual({ latex: 'x + 1', repairs: ['removed 1 stray \\]'] });
  });

  it('\\$ is never stray; \\\\ followed by $ is', () => {
    expect(extract('a \\$ b')).toEqual({ latex: 'a \\$ b', repairs: [] });
    expect(extract('a \\\\$ b')).toEqual({ latex: 'a \\\\ b', repairs: ['removed 1 stray $'] });
  });
});

describe('extract: code fences', () => {
  it('a ```latex fence', () => {
    expect(extract('```latex\n\\sum_{i=1}^n i\n```')).toEqual({ latex: '\\sum_{i=1}^n i', repairs: ['removed a ```latex code fence'] });
  });

  it('a bare ``` fence and a ```tex fence', () => {
    expect(extract('```\nx\n```')).toEqual({ latex: 'x', repairs: ['removed a ``` code fence'] });
    expect(extract('```tex\nx\n```').repairs).toEqual(['removed a ```tex code fence']);
  });

  it('an unclosed fence (generation stopped at the token limit)', () => {
    expect(extract('```latex\n\\frac{a}{b} + \\frac{c}{')).toEqual({
      latex: '\\frac{a}{b} + \\frac{c}{',
      repairs: ['removed an unclosed ```latex code fence'],
    });
  });

  it('a fence with $$ inside, and chatter on both sides', () => {
    const raw = 'Sure! Here is the LaTeX code for the formula in the image:\n\n```latex\n$$\\alpha + \\beta$$\n```\n\nLet me know if you need anything else!';
    expect(extract(raw)).toEqual({
      latex: '\\alpha + \\beta',
      repairs: [
        'removed 58 characters of text before the formula: “Sure! Here is the LaTeX code for the fo…”',
        'removed a ```latex code fence',
        'removed the $$ … $$ around the formula',
        'removed 38 characters of text after the formula: “Let me know if you need anything else!”',
      ],
    });
  });
});

describe('extract: chatter and explanations', () => {
  it('"Here is the LaTeX:" on the formula line', () => {
    expect(extract('Here is the LaTeX: \\frac{a}{b}')).toEqual({
      latex: '\\frac{a}{b}',
      repairs: ['removed 18 characters of text before the formula: “Here is the LaTeX:”'],
    });
  });

  it('a lead-in line, a display span and an explanation', () => {
    expect(extract('Here is the LaTeX:\n$$\\frac{a}{b}$$\nThis represents a fraction.')).toEqual({
      latex: '\\frac{a}{b}',
      repairs: [
        'removed 18 characters of text before the formula: “Here is the LaTeX:”',
        'removed the $$ … $$ around the formula',
        'removed 27 characters of text after the formula: “This represents a fraction.”',
      ],
    });
  });

  it('a sentence around an inline formula', () => {
    expect(extract('The answer is $x^2$.')).toEqual({
      latex: 'x^2',
      repairs: [
        'removed 13 characters of text before the formula: “The answer is”',
        'removed the $ … $ around the formula',
        'removed 1 character of text after the formula: “.”',
      ],
    });
  });

  it('an explanation after an undelimited formula, quoting math', () => {
    expect(extract('x_i + y\n\nwhere $x_i$ is the i-th input and y the bias.')).toEqual({
      latex: 'x_i + y',
      repairs: ['removed 45 characters of text after the formula: “where $x_i$ is the i-th input and y the…”'],
    });
  });

  it('a trailing explanation without delimiters', () => {
    expect(extract('E = mc^2\nThis is the mass-energy equivalence.')).toEqual({
      latex: 'E = mc^2',
      repairs: ['removed 36 characters of text after the formula: “This is the mass-energy equivalence.”'],
    });
  });

  it('a "latex" label line left from a fence without backticks', () => {
    expect(extract('latex\n\\frac12')).toEqual({ latex: '\\frac12', repairs: ['removed a “latex” label line'] });
  });

  it('an end-of-turn marker spelled out', () => {
    expect(extract('E = mc^2<end_of_turn>')).toEqual({ latex: 'E = mc^2', repairs: ['removed the end marker <end_of_turn>'] });
    expect(extract('x</s>\n<|im_end|>')).toEqual({ latex: 'x', repairs: ['removed the end markers </s> <|im_end|>'] });
  });

  it('invisible characters and Windows line ends', () => {
    expect(extract('\u200bx\ufeff')).toEqual({ latex: 'x', repairs: ['removed 2 invisible characters (zero-width space or byte-order mark)'] });
    expect(extract('a \\\\\r\nb')).toEqual({ latex: 'a \\\\\nb', repairs: [] });
  });

  it('never removes the whole answer as prose', () => {
    const prose = 'I cannot read this image, sorry.';
    expect(extract(prose)).toEqual({ latex: prose, repairs: [] });
  });

  it('does not cut a formula that starts with a short word and a colon', () => {
    expect(extract('f: A \\to B').repairs).toEqual([]);
    expect(extract('Let f: x').repairs).toEqual([]);
  });
});

describe('looksLikeProse', () => {
  it.each([
    ['Here is the LaTeX:', true],
    ['Sure!', true],
    ['This represents a fraction.', true],
    ['where x_i is the i-th input term', true],
    ['\\text{for all } x', false],
    ['sin x + cos y', false],
    ['\\color{red}{x}', false],
    ['x + y', false],
    ['\\frac{numerator}{denominator}', false],
  ])('%s → %s', (text, expected) => {
    expect(looksLikeProse(text)).toBe(expected);
  });
});

describe('extract: bounded, linear', () => {
  it('caps the input and says so', () => {
    const raw = 'x'.repeat(MAX_EXTRACT_CHARS + 5000);
    const { latex, repairs } = extract(raw);
    expect(latex).toHaveLength(MAX_EXTRACT_CHARS);
    expect(repairs).toEqual([`kept the first 20,000 of 25,000 characters: the output is too long to check in full`]);
  });

  it.each([
    ['dollars', '$'.repeat(MAX_EXTRACT_CHARS)],
    ['backslashes', '\\'.repeat(MAX_EXTRACT_CHARS)],
    ['openers', '\\['.repeat(MAX_EXTRACT_CHARS / 2)],
    ['prose lines', 'Here is the text again\n'.repeat(MAX_EXTRACT_CHARS / 23)],
    ['fences', '```'.repeat(MAX_EXTRACT_CHARS / 3)],
    ['alternating', '$a'.repeat(MAX_EXTRACT_CHARS / 2)],
    ['colons', 'word: '.repeat(MAX_EXTRACT_CHARS / 6)],
  ])('adversarial input (%s) at the cap runs in linear time', (_, raw) => {
    const t0 = performance.now();
    const out = extract(raw);
    const ms = performance.now() - t0;
    expect(out.latex.length).toBeLessThanOrEqual(raw.length);
    expect(ms).toBeLessThan(250); // quadratic behaviour on 20k characters would take seconds
  });

  it('the same input gives the same output (pure)', () => {
    const raw = 'Here: $$\\color{red}{x}$+y$$ ok';
    expect(extract(raw)).toEqual(extract(raw));
  });
});
