/**
 * A small, safe Markdown renderer for model cards: headings, paragraphs, lists,
 * block quotes, code blocks, tables, and inline code / bold / italic / links. It
 * builds React elements from text - never HTML - so raw HTML in a card is shown as
 * text, images are shown as their alt text (nothing is fetched), and only http(s)
 * links become links.
 */
import type { ReactNode } from 'react';

type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'para'; text: string }
  | { kind: 'list'; ordered: boolean; items: string[] }
  | { kind: 'quote'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'table'; rows: string[][] }
  | { kind: 'meta'; text: string }
  | { kind: 'rule' };

const LIST_RE = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/;
const TABLE_SEP_RE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

function splitRow(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
}

export function parseMarkdown(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  // YAML front matter of Hugging Face model cards
  if (lines[0]?.trim() === '---') {
    const end = lines.indexOf('---', 1);
    if (end > 0) {
      blocks.push({ kind: 'meta', text: lines.slice(1, end).join('\n') });
      i = end + 1;
    }
  }
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      blocks.push({ kind: 'code', text: body.join('\n') });
      continue;
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      blocks.push({ kind: 'heading', level: h[1].length, text: h[2] });
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      blocks.push({ kind: 'rule' });
      i++;
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_SEP_RE.test(lines[i + 1])) {
      const rows = [splitRow(line)];
      i += 2;
      while (i < lines.length && lines[i].includes('|') && lines[i].trim()) rows.push(splitRow(lines[i++]));
      blocks.push({ kind: 'table', rows });
      continue;
    }
    if (/^\s*>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) body.push(lines[i++].replace(/^\s*>\s?/, ''));
      blocks.push({ kind: 'quote', text: body.join(' ') });
      continue;
    }
    const li = LIST_RE.exec(line);
    if (li) {
      const ordered = !!li[2];
      const items: string[] = [];
      while (i < lines.length) {
        const m = LIST_RE.exec(lines[i]);
        if (m && !!m[2] === ordered) items.push(m[3]);
        else if (lines[i].trim() && /^\s{2,}/.test(lines[i]) && items.length) items[items.length - 1] += ` ${lines[i].trim()}`;
        else break;
        i++;
      }
      blocks.push({ kind: 'list', ordered, items });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|\s*```|\s*~~~|\s*>)/.test(lines[i]) && !LIST_RE.test(lines[i])) para.push(lines[i++].trim());
    blocks.push({ kind: 'para', text: para.join(' ') });
  }
  return blocks;
}

// emphasis markers only count at word edges (so "window.__x = 1 ... __y" stays plain text)
const INLINE_RE =
  /(`[^`]+`)|(!\[([^\]]*)\]\(([^)\s]*)[^)]*\))|(\[([^\]]+)\]\(([^)\s]+)[^)]*\))|((?<!\w)\*\*(?!\s)([^*]+?)\*\*(?!\w)|(?<!\w)__(?!\s)([^_]+?)__(?!\w))|((?<![\w*])\*(?![\s*])([^*]+?)\*(?![\w*])|(?<!\w)_(?![\s_])([^_]+?)_(?!\w))/g;

export function safeHref(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

function inline(text: string, key = 'i'): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let n = 0;
  for (const m of text.matchAll(INLINE_RE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const k = `${key}-${n++}`;
    if (m[1]) out.push(<code key={k}>{m[1].slice(1, -1)}</code>);
    else if (m[2]) out.push(<span key={k} className="md-image">[image{m[3] ? `: ${m[3]}` : ''}]</span>);
    else if (m[5]) {
      const href = safeHref(m[7]);
      out.push(
        href ? (
          <a key={k} href={href} target="_blank" rel="noopener noreferrer">
            {inline(m[6], k)}
          </a>
        ) : (
          <span key={k}>{inline(m[6], k)}</span>
        ),
      );
    } else if (m[8]) out.push(<strong key={k}>{inline(m[9] ?? m[10], k)}</strong>);
    else if (m[11]) out.push(<em key={k}>{inline(m[12] ?? m[13], k)}</em>);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function Markdown({ source, label }: { source: string; label?: string }) {
  const blocks = parseMarkdown(source);
  return (
    <div className="markdown" aria-label={label} role={label ? 'document' : undefined}>
      {blocks.map((b, i) => {
        switch (b.kind) {
          case 'heading': {
            // model-card headings sit below the panel's own h2
            const Tag = `h${Math.min(6, b.level + 2)}` as 'h3';
            return <Tag key={i}>{inline(b.text)}</Tag>;
          }
          case 'para':
            return <p key={i}>{inline(b.text)}</p>;
          case 'quote':
            return <blockquote key={i}>{inline(b.text)}</blockquote>;
          case 'code':
            return (
              <pre key={i}>
                <code>{b.text}</code>
              </pre>
            );
          case 'meta':
            return (
              <details key={i} className="md-meta">
                <summary>Metadata</summary>
                <pre>{b.text}</pre>
              </details>
            );
          case 'rule':
            return <hr key={i} />;
          case 'list': {
            const items = b.items.map((t, j) => <li key={j}>{inline(t)}</li>);
            return b.ordered ? <ol key={i}>{items}</ol> : <ul key={i}>{items}</ul>;
          }
          case 'table':
            return (
              <div key={i} className="md-table">
                <table>
                  <thead>
                    <tr>
                      {b.rows[0].map((c, j) => (
                        <th key={j}>{inline(c)}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {b.rows.slice(1).map((r, j) => (
                      <tr key={j}>
                        {r.map((c, k) => (
                          <td key={k}>{inline(c)}</td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            );
        }
      })}
    </div>
  );
}
