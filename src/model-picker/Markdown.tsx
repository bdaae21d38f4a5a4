/**
 * A model card, rendered by markdown-it (renderMarkdown.ts): headings, paragraphs, lists,
 * block quotes, code, tables, links. Raw HTML in a card is shown as text, images as their
 * alt text (nothing is fetched), and only http(s) and relative links become links.
 */
import { useMemo } from 'react';
import { renderMarkdown } from './renderMarkdown.ts';

export function Markdown({ source, label }: { source: string; label?: string }) {
  // rendered once per card text, not on every re-render of the panel around it
  const html = useMemo(() => renderMarkdown(source), [source]);
  // safe to insert: markdown-it's own output with raw HTML off, every character of the card
  // escaped (renderMarkdown.ts says why); never any other string
  return <div className="markdown" aria-label={label} role={label ? 'document' : undefined} dangerouslySetInnerHTML={{ __html: html }} />;
}
