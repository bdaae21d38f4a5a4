/**
 * The model picker: the models the panes can use, each with its model card, and
 * ways to add one - a model folder from disk (directory picker or several files),
 * or a Hugging Face model id (online only). Added models appear in every pane's
 * Model menu.
 */
import { lazy, Suspense, useEffect, useId, useState, type ComponentType, type FormEvent } from 'react';
import { useApp } from '../app/context.tsx';
import type { ModelEntry } from '../app/state.ts';
import { ocrClient } from '../app/services.ts';
import { cachedModelFetch, fileUrl, modelsRoot } from '../pwa/modelCache.ts';
import { pickedModel } from './folder.ts';
import { HUB_ID_RE } from '../schema/model-key.ts';
import { probeGpu } from '../model/device.ts';
import type { VlmInfo } from '../worker-api/ocr.ts';

// markdown-it (47 kB gzipped) loads when a card is first opened, not with the app; if
// that fails (offline before the app was cached) the card says so instead of unmounting the app
const Markdown = lazy<ComponentType<{ source: string }>>(() =>
  import('./Markdown.tsx').then(
    (m) => ({ default: m.Markdown }),
    () => ({ default: () => <p className="hint">The model card could not be shown: its viewer did not load (offline?).</p> }),
  ),
);

const ROOT = modelsRoot(import.meta.env.BASE_URL, location.origin);
const MAX_CARD_BYTES = 256 * 1024;

const KIND: Record<ModelEntry['source']['kind'], string> = {
  builtin: 'built into the app',
  user: 'from your folder',
  hub: 'Hugging Face (needs the network)',
};

async function fetchCard(model: ModelEntry): Promise<string | null> {
  const { source } = model;
  if (model.card !== undefined) return model.card;
  if (source.kind === 'user') return null;
  const url =
    source.kind === 'builtin'
      ? fileUrl(ROOT, source.id, 'README.md')
      : `https://huggingface.co/${source.id.split('/').map(encodeURIComponent).join('/')}/resolve/main/README.md`;
  const res = source.kind === 'builtin' ? await cachedModelFetch(url, () => fetch(url), ROOT) : await fetch(url);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.text()).slice(0, MAX_CARD_BYTES);
}

function ModelCard({ model }: { model: ModelEntry }) {
  const [open, setOpen] = useState(false);
  const [card, setCard] = useState<{ text: string | null; error?: string } | null>(null);
  const id = useId();
  useEffect(() => {
    if (!open || card) return;
    let live = true;
    fetchCard(model).then(
      (text) => live && setCard({ text }),
      (e) => live && setCard({ text: null, error: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      live = false;
    };
  }, [open, card, model]);
  return (
    <>
      <button type="button" className="link-button" aria-expanded={open} aria-controls={id} aria-label={`Model card, ${model.label}`} onClick={() => setOpen(!open)}>
        Model card
      </button>
      {open && (
        // focusable: a long card scrolls in this box, and the keyboard must be able to scroll it
        <div id={id} className="model-card" role="region" aria-label={`Model card of ${model.label}`} tabIndex={0}>
          {!card ? (
            <p className="hint">Loading…</p>
          ) : card.error ? (
            <p className="hint">The model card could not be loaded ({card.error}).</p>
          ) : card.text === null ? (
            <p className="hint">This model has no model card (README.md).</p>
          ) : (
            <Suspense fallback={<p className="hint">Loading…</p>}>
              <Markdown source={card.text} />
            </Suspense>
          )}
        </div>
      )}
    </>
  );
}

/**
 * What a hub model needs (download size, WebGPU, memory) and whether this device can run it,
 * asked from huggingface.co once the visitor has added it (src/model-picker/hubInfo.ts, loaded then).
 */
async function hubRequirementsText(id: string): Promise<{ text: string; vlm: VlmInfo | null }> {
  const [{ fetchHubModel, hubRequirements, requirementsText }, gpu] = await Promise.all([import('./hubInfo.ts'), probeGpu(navigator)]);
  const { files, config } = await fetchHubModel(id);
  const memory = (navigator as { deviceMemory?: number }).deviceMemory;
  const r = hubRequirements(files, config);
  return { text: requirementsText(r, gpu, memory), vlm: r.vlm };
}

export function ModelPanel() {
  const { state, dispatch } = useApp();
  const [hubId, setHubId] = useState('');
  /** Per hub model key: what it needs, as asked from the hub after it was added. */
  const [needs, setNeeds] = useState<Record<string, string>>({});
  const [info, setInfo] = useState('');
  const [busy, setBusy] = useState(false);
  const alert = (message: string) => dispatch({ type: 'alert', message });

  const loadFiles = async (list: FileList | null) => {
    const picked = list && pickedModel(list);
    if (!picked) {
      alert('No files were picked: choose a model folder (with config.json, tokenizer files and onnx/).');
      return;
    }
    setBusy(true);
    setInfo(`Checking "${picked.name}"…`);
    try {
      const { missing, vlm } = await ocrClient().registerUserFiles(picked.id, picked.files);
      if (missing.length) {
        setInfo('');
        const what = vlm ? `vision-language model folder "${picked.name}" (${vlm.modelType})` : `model folder "${picked.name}"`;
        alert(`The ${what} cannot be used: it is missing ${missing.join(', ')}.`);
        return;
      }
      const card = picked.readme && picked.readme.size <= MAX_CARD_BYTES ? await picked.readme.text() : undefined;
      const model: ModelEntry = {
        key: `user:${picked.id}`,
        source: { kind: 'user', id: picked.id },
        label: `${picked.name} (your folder)`,
        ...(card !== undefined ? { card } : {}),
        ...(vlm ? { vlm } : {}),
      };
      dispatch({ type: 'addModel', model });
      // a reloaded folder: panes that use it recognise again with the new files
      for (const p of state.panes) if (p.modelKey === model.key) dispatch({ type: 'paneResult', id: p.id, patch: { jobKey: undefined } });
      const kind = vlm ? `, a vision-language model (${vlm.modelType}) that takes an instruction${vlm.trainingInstruction !== null ? ' (it declares the one it was trained with)' : ''}` : '';
      setInfo(`Added "${model.label}" (${picked.files.length} files${kind}). Choose it in a pane's Model menu.`);
    } catch (e) {
      setInfo('');
      alert(`Could not load the model folder "${picked.name}": ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(false);
    }
  };

  const addHub = (e: FormEvent) => {
    e.preventDefault();
    const id = hubId.trim();
    if (!HUB_ID_RE.test(id)) {
      alert(`"${id}" is not a Hugging Face model id (like "owner/model-name").`);
      return;
    }
    if (!navigator.onLine) {
      alert('Loading a Hugging Face model needs a network connection; you are offline.');
      return;
    }
    const key = `hub:${id}`;
    const model: ModelEntry = { key, source: { kind: 'hub', id }, label: `${id} (Hugging Face)` };
    dispatch({ type: 'addModel', model });
    setHubId('');
    setInfo(`Added "${id}". Choose it in a pane's Model menu; it is downloaded from Hugging Face when first used.`);
    // added = the visitor agreed to use huggingface.co: its size and needs are asked now, before any weights are fetched
    setNeeds((n) => ({ ...n, [key]: 'Asking Hugging Face for its size and requirements…' }));
    void hubRequirementsText(id).then(
      ({ text, vlm }) => {
        setNeeds((n) => ({ ...n, [key]: text }));
        // a VLM's panes get their instruction field (and its training instruction) before it loads
        if (vlm) dispatch({ type: 'addModel', model: { ...model, vlm } });
      },
      (e) => setNeeds((n) => ({ ...n, [key]: `Its size and requirements could not be read from Hugging Face (${e instanceof Error ? e.message : String(e)}).` })),
    );
  };

  return (
    <section className="panel model-panel" aria-label="Models">
      <h2>Models</h2>
      <ul className="model-list">
        {state.models.map((m) => (
          <li key={m.key}>
            <div>
              <strong>{m.label}</strong> <span className="hint">{KIND[m.source.kind]}</span>
            </div>
            {needs[m.key] && (
              <p className="hint" aria-label={`Requirements, ${m.label}`}>
                {needs[m.key]}
              </p>
            )}
            <ModelCard model={m} />
          </li>
        ))}
      </ul>
      <div className="input-actions model-load">
        <label className="button">
          Load model folder
          <input
            type="file"
            aria-label="Load model folder"
            multiple
            disabled={busy}
            {...{ webkitdirectory: '', directory: '' }}
            onChange={(e) => {
              void loadFiles(e.target.files);
              e.target.value = '';
            }}
          />
        </label>
        <label className="button">
          Load model files
          <input
            type="file"
            aria-label="Load model files"
            multiple
            disabled={busy}
            accept=".json,.onnx,.md,.txt,application/json"
            onChange={(e) => {
              void loadFiles(e.target.files);
              e.target.value = '';
            }}
          />
        </label>
      </div>
      <form className="hub-form" onSubmit={addHub}>
        <label>
          Hugging Face model id
          <input
            type="text"
            aria-label="Hugging Face model id"
            placeholder="owner/model-name (transformers.js ONNX)"
            value={hubId}
            onChange={(e) => setHubId(e.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
        </label>
        <button type="submit" disabled={!hubId.trim()}>
          Add model
        </button>
      </form>
      <p className="hint" role="status">
        {info}
      </p>
    </section>
  );
}
