/**
 * Model cards (a model's README.md, possibly from the Hugging Face hub, i.e. anyone's text)
 * rendered to an HTML string by markdown-it. Pure (no DOM): tested in Node.
 *
 * Why markdown-it and not our own parser: the hand-written regex renderer this replaces
 * backtracked, so a hostile card froze the page ("[a](" 2,000 times, 8 KB: 34 s; a heading
 * with 5,000 spaces: 40 s). markdown-it is a maintained CommonMark parser whose rules scan
 * forward, hardened against such inputs (those two: 30 ms and 1 ms); MAX_CARD_CHARS bounds
 * what is left.
 *
 * Why the HTML is safe to insert (Markdown.tsx uses dangerouslySetInnerHTML on it):
 * - `html: false`: raw HTML in the card is escaped and shown as text, never parsed;
 * - links only for http(s) and relative URLs (validateLink); `javascript:`, `data:` and the
 *   like stay text; absolute links open in a new tab without access to this page (rel);
 * - images are shown as their alt text: nothing is fetched (the app sends no request a card
 *   did not need, and a tracking pixel gets nothing);
 * - no linkify, no typographer: the text is what the author wrote.
 */
import MarkdownIt from 'markdown-it';

/**
 * Longest card rendered (UTF-16 code units, about 64 KB of text): no real card is near it, and
 * it bounds markdown-it's time on hostile text too (its slowest inputs we found, brackets mixed
 * with emphasis markers, take about 0.4 s at this size on a slow machine, 8 s at 1 MB).
 */
export const MAX_CARD_CHARS = 64 * 1024;

/** The note after a card cut at MAX_CARD_CHARS. */
export const TRUNCATED_NOTE = 'Model card truncated: it is longer than 64 KB, only its beginning is shown.';

// 'default' preset: CommonMark plus GFM tables and strikethrough (model cards use tables)
const md = new MarkdownIt('default', { html: false, linkify: false, typographer: false });

const SCHEME_RE = /^([a-z][a-z0-9+.-]*):/i;
/** http(s) or no scheme at all (relative, #fragment). Checked after markdown-it has decoded
 * entities and percent-encoded control characters, so "jav&#x61;script:" is seen as javascript:. */
md.validateLink = (url: string) => {
  const scheme = SCHEME_RE.exec(url.trim())?.[1].toLowerCase();
  return scheme === undefined || scheme === 'http' || scheme === 'https';
};

const isAbsolute = (href: string) => /^(https?:)?\/\//i.test(href.trim());

md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  const token = tokens[idx];
  // another site in a new tab, which gets no handle on this page (window.opener) nor a Referer
  if (isAbsolute(token.attrGet('href') ?? '')) token.attrSet('target', '_blank');
  token.attrSet('rel', 'noopener noreferrer');
  return self.renderToken(tokens, idx, options);
};

// the card's headings sit below the model panel's own h2: "#" becomes h3
const shiftHeading: NonNullable<typeof md.renderer.rules.heading_open> = (tokens, idx, options, _env, self) => {
  const token = tokens[idx];
  token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + 2)}`;
  return self.renderToken(tokens, idx, options);
};
md.renderer.rules.heading_open = shiftHeading;
md.renderer.rules.heading_close = shiftHeading;

// images as their alt text: an <img> would fetch whatever the card points at
md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const alt = self.renderInlineAsText(tokens[idx].children ?? [], options, env).trim();
  return `<span class="md-image">[image${alt ? `: ${md.utils.escapeHtml(alt)}` : ''}]</span>`;
};

// wide tables scroll inside the card instead of widening the panel
md.renderer.rules.table_open = (tokens, idx, options, _env, self) => `<div class="md-table">${self.renderToken(tokens, idx, options)}`;
md.renderer.rules.table_close = (tokens, idx, options, _env, self) => `${self.renderToken(tokens, idx, options)}</div>`;

/**
 * YAML front matter of Hugging Face model cards ("---" lines around it at the very start):
 * [metadata, rest], or null. A plain line scan, no regex over the whole text.
 */
function splitFrontMatter(src: string): [string, string] | null {
  const firstEnd = src.indexOf('\n');
  if (firstEnd < 0 || src.slice(0, firstEnd).trim() !== '---') return null;
  for (let start = firstEnd + 1; start < src.length; ) {
    const nl = src.indexOf('\n', start);
    const end = nl < 0 ? src.length : nl;
    if (src.slice(start, end) === '---') return [src.slice(firstEnd + 1, start).replace(/\n$/, ''), src.slice(end + 1)];
    start = end + 1;
  }
  return null;
}

/** A model card as HTML (see above for why it is safe to insert), at most MAX_CARD_CHARS of it. */
export function renderMarkdown(source: string): string {
  let src = source.replace(/\r\n?/g, '\n');
  const truncated = src.length > MAX_CARD_CHARS;
  if (truncated) {
    let cut = MAX_CARD_CHARS;
    const c = src.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut--; // never half of a surrogate pair
    src = src.slice(0, cut);
  }
  let html = '';
  const front = splitFrontMatter(src);
  if (front) {
    html += `<details class="md-meta"><summary>Metadata</summary><pre>${md.utils.escapeHtml(front[0])}</pre></details>\n`;
    src = front[1];
  }
  html += md.render(src);
  if (truncated) html += `<p class="hint md-truncated" role="note">${md.utils.escapeHtml(TRUNCATED_NOTE)}</p>\n`;
  return html;
}
