/** One recognition run, as kept in the history (IndexedDB) and in exported files. */
import type { InputOrigin, PaneConfig } from '../app/state.ts';
import type { Stroke } from '../draw/strokes.ts';
import type { PerturbOptions } from '../perturb/types.ts';
import type { Device, DeviceChoice, Dtype } from '../worker-api/ocr.ts';

export interface HistoryPane {
  id: number;
  variant: PaneConfig['variant'];
  modelKey: string;
  /** The model's name when the run was made (the model itself may be gone later). */
  modelLabel: string;
  device: DeviceChoice;
  dtype?: Dtype;
  /** Beam width chosen; absent = the default (and in entries made before beam search). */
  numBeams?: number;
  status: 'done' | 'error';
  latex?: string;
  error?: string;
  /** Where it actually ran, and how long the recognition took. */
  ranOn?: Device;
  ranDtype?: Dtype;
  ms?: number;
  note?: string;
  /** Vision-language models: the pane's instruction (absent = the model's own) and the answer as generated. */
  instruction?: string;
  raw?: string;
}

export interface HistoryInput {
  name: string;
  origin: InputOrigin;
  width: number;
  height: number;
  /** The input image as PNG (lossless: restoring gives the same pixels). */
  image: Blob;
  /** The strokes, when the input was drawn. */
  strokes?: Stroke[];
}

export interface HistoryEntry {
  /** The input's id: re-runs on the same input (other settings) update one entry. */
  id: string;
  createdAt: number;
  updatedAt: number;
  input: HistoryInput;
  reference: string;
  perturb: PerturbOptions;
  panes: HistoryPane[];
}
