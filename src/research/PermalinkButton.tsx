import { useState } from 'react';
import { useApp } from '../app/context.tsx';
import { permalinkUrl } from './usePermalink.ts';

/**
 * "Copy permalink": the current comparison as a URL (also put in the address bar,
 * without reloading, and shown in a box to copy by hand where the clipboard is refused).
 */
export function PermalinkButton() {
  const { state } = useApp();
  const [shown, setShown] = useState<{ url: string; notes: string[]; copied: boolean } | null>(null);
  return (
    <div className="permalink">
      <button
        type="button"
        onClick={async () => {
          const { url, notes } = permalinkUrl(state);
          // replaceState does not fire hashchange: the page is not "restored" onto itself
          history.replaceState(history.state, '', url);
          let copied = false;
          try {
            await navigator.clipboard.writeText(url);
            copied = true;
          } catch {
            // no clipboard permission (or an insecure context): the box below has the link
          }
          setShown({ url, notes, copied });
        }}
      >
        Copy permalink
      </button>
      {shown && (
        <div className="permalink-out" role="status">
          <input type="text" readOnly aria-label="Permalink" value={shown.url} onFocus={(e) => e.currentTarget.select()} />
          <span className="hint">{shown.copied ? 'Copied to the clipboard.' : 'Copy the link from the box.'}</span>
          {shown.notes.map((n) => (
            <span key={n} className="hint">
              {n}
            </span>
          ))}
          <button type="button" aria-label="Close permalink" className="icon" onClick={() => setShown(null)}>
            ×
          </button>
        </div>
      )}
    </div>
  );
}
