/**
 * The history dialog: past recognition runs (newest first) with their input and
 * predictions; restore one onto the screen, delete one or all, export them all to a
 * JSON file or import such a file.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApp } from '../app/context.tsx';
import { DEFAULT_PERTURB, type PerturbOptions } from '../perturb/types.ts';
import { historyStore } from './idb.ts';
import { entryState, goneMessage } from './restore.ts';
import { DEFAULT_MAX_ENTRIES, HistoryImportError, HistoryQuotaError } from './store.ts';
import type { HistoryEntry } from './types.ts';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The settings that differ from the defaults, e.g. "ink #ffffff, paper #1e40af". */
function perturbSummary(p: PerturbOptions): string {
  const parts = (Object.keys(DEFAULT_PERTURB) as (keyof PerturbOptions)[])
    .filter((k) => k !== 'seed' && p[k] !== DEFAULT_PERTURB[k])
    .map((k) => `${k} ${p[k]}`);
  return parts.length ? parts.join(', ') : 'none';
}

function Thumb({ blob, alt }: { blob: Blob; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return url ? <img className="history-thumb" src={url} alt={alt} /> : <div className="history-thumb" />;
}

function EntryView({ entry, onRestore, onDelete }: { entry: HistoryEntry; onRestore: () => void; onDelete: () => void }) {
  const name = `${entry.input.name}, ${when(entry.updatedAt)}`;
  return (
    <li className="history-entry" aria-label={name}>
      <Thumb blob={entry.input.image} alt={`Input: ${entry.input.name}`} />
      <div className="history-body">
        <div className="history-title">
          <strong>{entry.input.name}</strong> <span className="hint">{when(entry.updatedAt)}</span>
        </div>
        {entry.reference && (
          <div className="hint">
            Reference: <code>{entry.reference}</code>
          </div>
        )}
        <div className="hint">Perturbation: {perturbSummary(entry.perturb)}</div>
        <ul className="history-panes">
          {entry.panes.map((p) => (
            <li key={p.id}>
              <span className="hint">
                Pane {p.id} · {p.modelLabel} · {p.variant === 'original' ? 'as given' : 'perturbed'}
                {p.ranOn ? ` · ${p.ranOn.toUpperCase()}` : ''}
                {p.numBeams && p.numBeams > 1 ? ` · beam width ${p.numBeams}` : ''}:
              </span>{' '}
              {p.status === 'done' ? <code>{p.latex || '(empty)'}</code> : <span className="bad">{p.error ?? 'failed'}</span>}
            </li>
          ))}
        </ul>
      </div>
      <div className="history-actions">
        <button type="button" aria-label={`Restore ${name}`} onClick={onRestore}>
          Restore
        </button>
        <button type="button" aria-label={`Delete ${name}`} onClick={onDelete}>
          Delete
        </button>
      </div>
    </li>
  );
}

export function HistoryPanel() {
  const { state, dispatch } = useApp();
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [entries, setEntries] = useState<HistoryEntry[] | null>(null);
  const [confirmClear, setConfirmClear] = useState(false);
  const [info, setInfo] = useState('');
  /** Errors are shown inside the dialog (the page behind a modal dialog is inert). */
  const [error, setError] = useState('');
  const alert = useCallback((msg: string) => {
    setInfo('');
    setError(msg);
  }, []);

  /** Stored records that could not be read (another version's, or damaged): skipped, and said. */
  const [unreadable, setUnreadable] = useState(0);

  const reload = useCallback(async () => {
    try {
      const { entries, unreadable } = await historyStore().read();
      setEntries(entries);
      setUnreadable(unreadable);
    } catch (e) {
      setEntries([]);
      alert(`The history could not be read: ${message(e)}`);
    }
  }, [alert]);

  useEffect(() => {
    if (!open) return;
    void reload();
    return historyStore().subscribe(() => void reload());
  }, [open, reload]);

  const show = () => {
    setOpen(true);
    setInfo('');
    setError('');
    dialog.current?.showModal();
  };
  const close = () => dialog.current?.close();

  const restore = async (entry: HistoryEntry) => {
    try {
      const { state: restored, gone } = await entryState(entry, state.models);
      dispatch({ type: 'setMode', mode: 'compare' });
      dispatch({ type: 'restore', state: restored });
      close();
      const note = goneMessage(gone);
      if (note) dispatch({ type: 'alert', message: note });
    } catch (e) {
      alert(`Could not restore "${entry.input.name}": ${message(e)}`);
    }
  };

  const remove = async (entry: HistoryEntry) => {
    try {
      await historyStore().remove(entry.id);
      setError('');
      setInfo(`Deleted "${entry.input.name}".`);
    } catch (e) {
      alert(`Could not delete the entry: ${message(e)}`);
    }
  };

  const exportAll = async () => {
    try {
      const url = URL.createObjectURL(await historyStore().exportBlob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `latex-ocr-history-${new Date().toISOString().slice(0, 10)}.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      alert(`Could not export the history: ${message(e)}`);
    }
  };

  const importFile = async (file: File) => {
    try {
      const r = await historyStore().importJson(await file.text());
      const entries = (n: number) => `${n} ${n === 1 ? 'entry' : 'entries'}`;
      const notAdded = [
        r.skipped ? `${entries(r.skipped)} already here` : '',
        r.noRoom ? `${entries(r.noRoom)} not imported: the history keeps at most ${DEFAULT_MAX_ENTRIES}, and your own entries are never replaced (delete some to make room)` : '',
        r.invalid ? `${entries(r.invalid)} could not be read (${r.problem ?? 'not valid'})` : '',
      ].filter(Boolean);
      setError('');
      setInfo(`Imported ${entries(r.added)}${notAdded.length ? `; ${notAdded.join('; ')}` : ''}.`);
    } catch (e) {
      alert(e instanceof HistoryImportError || e instanceof HistoryQuotaError ? e.message : `Could not import "${file.name}": ${message(e)}`);
    }
  };

  const clearAll = async () => {
    setConfirmClear(false);
    try {
      await historyStore().clear();
      setInfo('History cleared.');
    } catch (e) {
      alert(`Could not clear the history: ${message(e)}`);
    }
  };

  return (
    <>
      <button type="button" aria-haspopup="dialog" onClick={show}>
        History
      </button>
      <dialog ref={dialog} className="history-dialog" aria-labelledby="history-title" onClose={() => setOpen(false)}>
        {/* not a <header>: outside sectioning content that would be a second banner landmark */}
        <div className="history-head">
          <h2 id="history-title">History</h2>
          <button type="button" className="icon" aria-label="Close history" onClick={close}>
            ×
          </button>
        </div>
        <p className="hint">Kept in this browser only. Each input keeps its latest run; restoring one recognises it again.</p>
        <div className="history-tools">
          <button type="button" onClick={() => void exportAll()} disabled={!entries?.length}>
            Export history
          </button>
          <label className="button">
            Import history
            <input
              type="file"
              aria-label="Import history"
              accept="application/json,.json"
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) void importFile(f);
                e.target.value = '';
              }}
            />
          </label>
          {confirmClear ? (
            <span className="history-confirm">
              Delete all {entries?.length ?? 0} entries?{' '}
              <button type="button" onClick={() => void clearAll()}>
                Yes, delete all
              </button>{' '}
              <button type="button" onClick={() => setConfirmClear(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <button type="button" onClick={() => setConfirmClear(true)} disabled={!entries?.length}>
              Clear history
            </button>
          )}
        </div>
        <p role="status" className="hint">
          {info}
        </p>
        {unreadable > 0 && (
          <p className="hint">
            {unreadable} stored {unreadable === 1 ? 'entry' : 'entries'} could not be read (saved by another version of the app, or damaged) and {unreadable === 1 ? 'is' : 'are'} not shown.
          </p>
        )}
        {error && (
          <div className="alert" role="alert">
            <span>{error}</span>
            <button type="button" aria-label="Dismiss message" onClick={() => setError('')}>
              ×
            </button>
          </div>
        )}
        {entries === null ? (
          <p>Loading…</p>
        ) : entries.length === 0 ? (
          <p>No recognitions yet. Each one you make is kept here.</p>
        ) : (
          <ul className="history-list" aria-label="History entries">
            {entries.map((e) => (
              <EntryView key={e.id} entry={e} onRestore={() => void restore(e)} onDelete={() => void remove(e)} />
            ))}
          </ul>
        )}
      </dialog>
    </>
  );
}
