import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_CARD_CHARS, TRUNCATED_NOTE, renderMarkdown } from '../../src/model-picker/renderMarkdown.ts';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function timed(src: string): { html: string; ms: number } {
  const t0 = performance.now();
  const html = renderMarkdown(src);
  return { html, ms: performance.now() - t0 };
}

/**
 * The best of up to 3 runs: another process on a shared core can stall any one run, but not
 * make a slow parser fast (a run over 10× the limit ends the tries).
 */
function bestOf3(src: string, limitMs: number): { html: string; ms: number } {
  let best = timed(src);
  for (let i = 1; i < 3 && best.ms >= limitMs && best.ms < 10 * limitMs; i++) {
    const next = timed(src);
    if (next.ms < best.ms) best = next;
  }
  return best;
}

describe('renderMarkdown (model cards)', () => {
  // The regex renderer this replaced backtracked: on this machine "[a](" x1000 took 4.4 s,
  // x2000 (8 KB) 34 s, a heading with 5,000 spaces inside 40 s. markdown-it: well under 100 ms.
  // The bound is loose on purpose (a busy 2-core box); seconds would still fail it.
  it.each([
    ['"[a](" 1,000 times', '[a]('.repeat(1000)],
    ['"[a](" 2,000 times (8 KB)', '[a]('.repeat(2000)],
    ['a heading with 5,000 spaces inside', `# x${' '.repeat(5000)}y`],
  ])('renders %s in well under a second', (_name, src) => {
    renderMarkdown('# warm up'); // the first call pays for loading markdown-it's tables
    const { html, ms } = bestOf3(src, 500);
    expect(ms).toBeLessThan(500);
    expect(html.length).toBeGreaterThan(src.length / 2); // it did render the text
  });

  it('bounds the time of any card by rendering at most MAX_CARD_CHARS of it', () => {
    // markdown-it is not fast on everything: brackets mixed with emphasis markers take about
    // 0.4 s for 64 KB on this machine, and 8 s for this 1 MB uncut
    const { html, ms } = bestOf3('a*[_'.repeat(256 * 1024), 3000);
    expect(ms).toBeLessThan(3000);
    expect(html).toContain(TRUNCATED_NOTE);
  });

  it('renders the pathological inputs as what they are (text, a heading)', () => {
    expect(renderMarkdown('[a]('.repeat(3))).toBe('<p>[a]([a]([a](</p>\n');
    expect(renderMarkdown(`# x${' '.repeat(5000)}y`)).toBe(`<h3>x${' '.repeat(5000)}y</h3>\n`);
  });

  it('shows raw HTML as text, never as markup', () => {
    const html = renderMarkdown(
      ['<script>window.__xss = 1</script>', '', 'Inline <img src=x onerror="window.__xss = 2"> and <a href="javascript:alert(1)">a</a>.', '', '<iframe src="https://example.org"></iframe>'].join('\n'),
    );
    expect(html).not.toMatch(/<(script|img|iframe|a)\b/i);
    expect(html).toContain('&lt;script&gt;window.__xss = 1&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=&quot;window.__xss = 2&quot;&gt;');
    expect(html).toContain('&lt;iframe');
  });

  it('makes links only of http(s) and relative URLs; javascript:, data: and the like stay text', () => {
    for (const bad of [
      '[x](javascript:alert(1))',
      '[x](JavaScript:alert(1))',
      '[x](jav&#x61;script:alert(1))',
      '[x](<javascript:alert(1)>)',
      '<javascript:alert(1)>',
      '[x](vbscript:msgbox(1))',
      '[x](data:text/html,<script>alert(1)</script>)',
      '[x](data:image/png;base64,AAAA)',
      '[x](file:///etc/passwd)',
      '[x][r]\n\n[r]: javascript:alert(1)',
    ]) {
      expect(renderMarkdown(bad), bad).not.toMatch(/<a\b/);
    }
    // absolute links open in a new tab that cannot reach this page; relative ones stay put
    expect(renderMarkdown('[paper](https://example.org/paper "The paper")')).toBe(
      '<p><a href="https://example.org/paper" title="The paper" target="_blank" rel="noopener noreferrer">paper</a></p>\n',
    );
    expect(renderMarkdown('<http://example.org/a>')).toContain('<a href="http://example.org/a" target="_blank" rel="noopener noreferrer">');
    expect(renderMarkdown('[other](//example.org/x)')).toContain('<a href="//example.org/x" target="_blank" rel="noopener noreferrer">');
    expect(renderMarkdown('[data](training/README.md) [top](#top)')).toBe(
      '<p><a href="training/README.md" rel="noopener noreferrer">data</a> <a href="#top" rel="noopener noreferrer">top</a></p>\n',
    );
    // no linkify: a bare address is text
    expect(renderMarkdown('see https://example.org')).toBe('<p>see https://example.org</p>\n');
  });

  it('shows images as their alt text and fetches nothing', () => {
    expect(renderMarkdown('![a <b> chart](https://example.org/x.png) ![](y.png)')).toBe(
      '<p><span class="md-image">[image: a &lt;b&gt; chart]</span> <span class="md-image">[image]</span></p>\n',
    );
  });

  it('renders GFM tables (model cards use them), wrapped so they scroll', () => {
    const html = renderMarkdown('| metric | value |\n|---|---:|\n| BLEU | 0.9 |\n| `a\\|b` | **x** |');
    expect(html).toContain('<div class="md-table"><table>');
    expect(html).toMatch(/<\/table>\s*<\/div>/);
    expect(html).toContain('<td><code>a|b</code></td>');
    expect(html).toMatch(/<th>metric<\/th>\s*<th style="text-align:right">value<\/th>/);
    expect(html).toMatch(/<td>BLEU<\/td>\s*<td style="text-align:right">0.9<\/td>/);
    expect(html).toContain('<strong>x</strong>');
  });

  it('renders the built-in model cards, tables included', () => {
    for (const id of fs.readdirSync(path.join(ROOT, 'models'))) {
      const file = path.join(ROOT, 'models', id, 'README.md');
      if (!fs.existsSync(file)) continue;
      const src = fs.readFileSync(file, 'utf8');
      const html = renderMarkdown(src);
      const tables = src.split('\n').filter((l) => /^\|(\s*:?-+:?\s*\|)+\s*$/.test(l)).length;
      expect(tables, id).toBeGreaterThan(0);
      expect(html.match(/<table>/g)?.length, id).toBe(tables);
      expect(html, id).toMatch(/^<h3>/);
      expect(html, id).not.toMatch(/<(script|img|iframe)\b/i);
    }
  });

  it('keeps what the old renderer did: headings below the panel h2, lists, quotes, code, front matter', () => {
    expect(renderMarkdown('# One\n\n###### Six')).toBe('<h3>One</h3>\n<h6>Six</h6>\n');
    expect(renderMarkdown('Trained with **colour** augmentation and `<invert>`.')).toBe(
      '<p>Trained with <strong>colour</strong> augmentation and <code>&lt;invert&gt;</code>.</p>\n',
    );
    expect(renderMarkdown('- item one\n- item two')).toBe('<ul>\n<li>item one</li>\n<li>item two</li>\n</ul>\n');
    expect(renderMarkdown('> quoted')).toBe('<blockquote>\n<p>quoted</p>\n</blockquote>\n');
    expect(renderMarkdown('```\n<b>&\n```')).toBe('<pre><code>&lt;b&gt;&amp;\n</code></pre>\n');
    // underscores inside words are not emphasis
    expect(renderMarkdown('window.__x = 1 and __y')).toBe('<p>window.__x = 1 and __y</p>\n');
    expect(renderMarkdown('---\nlicense: mit\ntags: [<ocr>]\n---\n# Card')).toBe(
      '<details class="md-meta"><summary>Metadata</summary><pre>license: mit\ntags: [&lt;ocr&gt;]</pre></details>\n<h3>Card</h3>\n',
    );
    expect(renderMarkdown('---\nno end')).toBe('<hr>\n<p>no end</p>\n');
  });

  it('renders at most MAX_CARD_CHARS and says when it cut the card', () => {
    const line = 'A line of a long model card.\n\n';
    const long = line.repeat(Math.ceil((MAX_CARD_CHARS * 2) / line.length)) + 'THE END';
    const { html, ms } = bestOf3(long, 2000);
    expect(ms).toBeLessThan(2000);
    expect(html).toContain(TRUNCATED_NOTE);
    expect(html).not.toContain('THE END');
    expect(html.match(/<p>A line of a long model card.<\/p>/g)?.length).toBe(Math.floor(MAX_CARD_CHARS / line.length));
    // at the limit nothing is cut
    const exact = 'x'.repeat(MAX_CARD_CHARS - 3) + 'END';
    expect(renderMarkdown(exact)).toBe(`<p>${exact}</p>\n`);
    // the cut never splits a character outside the BMP in half
    const emoji = renderMarkdown('x'.repeat(MAX_CARD_CHARS - 1) + '😀😀');
    expect(emoji).toContain(TRUNCATED_NOTE);
    expect(emoji).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});
