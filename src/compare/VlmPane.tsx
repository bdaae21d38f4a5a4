/**
 * A pane holding a vision-language model (src/model/vlm.ts): the instruction is part of the
 * model's input, so the pane has an Instruction field (kept in PaneConfig, part of the pane's
 * job key: a change re-runs it, and aborts the run it replaces); it shows the instruction the
 * model was trained with when its config.json declares one, and says when the field differs
 * from it. The output is the raw answer exactly as generated (growing while tokens stream in),
 * the LaTeX extracted from it (the pane's usual "Predicted LaTeX") and the repairs extraction made.
 * Panes with an image-to-text model show none of this.
 */
import { useEffect, useRef, useState } from 'react';
import type { ModelEntry, PaneConfig, PaneResult } from '../app/state.ts';
import { DEFAULT_INSTRUCTION, MAX_INSTRUCTION_CHARS } from '../schema/limits.ts';
import type { Prediction } from '../worker-api/ocr.ts';

/** How long typing pauses before the instruction is used (each use is a new recognition). */
const INSTRUCTION_DEBOUNCE_MS = 600;

export interface PaneVlm {
  /** The instruction the model's config.json declares it was trained with, null when none (or not known yet). */
  trainingInstruction: string | null;
  /** The instruction the pane sends: the pane's own, else the model's (its training instruction, else DEFAULT_INSTRUCTION). */
  instruction: string;
}

/**
 * Whether a pane's model is a VLM, and its instructions: from the model entry (a folder's
 * config.json, read when it was added) or, for a model known only once loaded (a hub id),
 * from the pane's last load. null for image-to-text models.
 */
export function paneVlm(pane: PaneConfig, model: ModelEntry | undefined, result: PaneResult | undefined): PaneVlm | null {
  const loaded = result?.loaded?.kind === 'vlm' ? result.loaded : undefined;
  if (!model?.vlm && !loaded) return null;
  const trainingInstruction = model?.vlm ? model.vlm.trainingInstruction : (loaded?.trainingInstruction ?? null);
  return { trainingInstruction, instruction: pane.instruction ?? trainingInstruction ?? loaded?.instruction ?? DEFAULT_INSTRUCTION };
}

/** The instruction field, its training instruction and the mismatch warning. */
export function InstructionField({ vlm, name, onChange }: { vlm: PaneVlm; name: string; onChange: (instruction: string) => void }) {
  // the draft follows typing; the pane's instruction (and so a new run) follows once typing pauses or the field is left
  const [draft, setDraft] = useState(vlm.instruction);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => setDraft(vlm.instruction), [vlm.instruction]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const commit = (text: string) => {
    clearTimeout(timer.current);
    if (text !== vlm.instruction) onChange(text);
  };
  const trained = vlm.trainingInstruction;
  const differs = trained !== null && draft !== trained;
  return (
    <div className="instruction">
      <label>
        Instruction
        <textarea
          aria-label={`Instruction, ${name}`}
          value={draft}
          rows={2}
          maxLength={MAX_INSTRUCTION_CHARS}
          spellCheck={false}
          onChange={(e) => {
            const text = e.target.value;
            setDraft(text);
            clearTimeout(timer.current);
            timer.current = setTimeout(() => commit(text), INSTRUCTION_DEBOUNCE_MS);
          }}
          onBlur={() => commit(draft)}
        />
      </label>
      {trained !== null && (
        <p className="hint">
          Trained with: “{trained}”
        </p>
      )}
      {differs && (
        <p className="pane-note" role="note" aria-label={`Instruction warning, ${name}`}>
          Instruction differs from the one this model was trained with: “{trained}”. A fine-tune usually answers well only to its own wording.
        </p>
      )}
    </div>
  );
}

/** The raw answer (streamed while generating) and the repairs that turned it into the LaTeX shown below. */
export function VlmOutput({ prediction, streamed, name }: { prediction?: Prediction; streamed?: string; name: string }) {
  const raw = streamed ?? prediction?.raw;
  if (raw === undefined) return null;
  const repairs = streamed === undefined ? prediction?.repairs : undefined;
  return (
    <div className="vlm-output">
      <h3 className="vlm-output-title">Raw output{streamed !== undefined ? ' (generating…)' : ''}</h3>
      {streamed === undefined && prediction?.instruction !== undefined && (
        <p className="hint">
          Answer to: <q aria-label={`Instruction used, ${name}`}>{prediction.instruction}</q>
        </p>
      )}
      <pre className="latex raw-output" aria-label={`Raw output, ${name}`} tabIndex={0}>
        {raw}
      </pre>
      {repairs && (
        <>
          <h3 className="vlm-output-title">Repairs to get the LaTeX</h3>
          <ul className="repairs" aria-label={`Repairs, ${name}`}>
            {repairs.length ? repairs.map((r, i) => <li key={i}>{r}</li>) : <li>none: the answer was used as it is</li>}
          </ul>
        </>
      )}
    </div>
  );
}
