/**
 * The published three-step shortcut-learning test, as presets:
 *   (a) a training-style image: a printed formula, black on white;
 *   (b) the same image with only its colours changed: white on blue;
 *   (c) a handwritten formula.
 * A model that learned "black strokes on white" as a shortcut reads (a), fails (b)
 * although nothing but the colours changed, and (c) tells whether it learned the
 * symbols at all. The images are the examples marked as presets in src/input/examples.ts.
 */
import { presetExample, type Example } from '../input/examples.ts';
import { restoreState, type InputImage, type ModelEntry, type PaneConfig, type RestorePane, type RestoredState } from '../app/state.ts';
import type { DeviceChoice } from '../worker-api/ocr.ts';
import { DEFAULT_PERTURB, WHITE_ON_BLUE, type PerturbOptions } from '../perturb/types.ts';
import type { Raster } from '../image/raster.ts';
import type { Prediction } from '../worker-api/ocr.ts';
import { confidenceStats } from './confidence.ts';
import { scoreRow, type SweepModel } from './sweep.ts';

export interface Preset {
  id: 'a' | 'b' | 'c';
  title: string;
  /** One line: what this step tests. */
  explanation: string;
  example: Example;
  /** Reference LaTeX (the example's). */
  reference: string;
  perturb: PerturbOptions;
}

export function presets(): Preset[] {
  const printed = presetExample('printed');
  const hand = presetExample('handwritten');
  return [
    {
      id: 'a',
      title: '(a) Training-style image',
      explanation: 'A printed formula, black on white, rendered like the training data: both models should read it.',
      example: printed,
      reference: printed.latex,
      perturb: { ...DEFAULT_PERTURB },
    },
    {
      id: 'b',
      title: '(b) Only the colours changed',
      explanation: 'The same image, white on blue: same shapes, new colours. A model that learned a colour shortcut fails here.',
      example: printed,
      reference: printed.latex,
      perturb: { ...DEFAULT_PERTURB, ...WHITE_ON_BLUE },
    },
    {
      id: 'c',
      title: '(c) Handwritten',
      explanation: 'A handwritten formula (CROHME): different strokes altogether, a test of what the model learned beyond fonts.',
      example: hand,
      reference: hand.latex,
      perturb: { ...DEFAULT_PERTURB },
    },
  ];
}

/**
 * The state that opens a preset in Compare, through the app's one set of restore rules:
 * a pane per model (one model: the image as given and perturbed, side by side). A
 * vision-language model keeps the instruction its pane had (`instructions`, by model key).
 */
export function presetState(
  preset: Preset,
  input: InputImage,
  modelKeys: readonly string[],
  device: DeviceChoice,
  models: readonly ModelEntry[],
  instructions: Readonly<Record<string, string>> = {},
): { state: RestoredState; notes: string[] } {
  const keys = modelKeys.length ? modelKeys : [models[0]?.key ?? 'builtin:augmented'];
  const panes: RestorePane[] = (keys.length === 1 ? [keys[0], keys[0]] : keys).map((modelKey, i) => ({
    variant: keys.length === 1 && i === 0 ? 'original' : 'perturbed',
    modelKey,
    device,
    ...(instructions[modelKey] !== undefined ? { instruction: instructions[modelKey] } : {}),
  }));
  return restoreState({ input, reference: preset.reference, perturb: preset.perturb, panes, mode: 'compare' }, models);
}

export interface PresetCell {
  preset: Preset['id'];
  model: string;
  latex: string;
  ned: number | null;
  meanConfidence: number | null;
  truncated: boolean;
  error?: string;
  /** Vision-language models: the answer as generated (the LaTeX was extracted from it), and the instruction given. */
  raw?: string;
  instruction?: string;
}

/**
 * The instruction each vision-language model in the test is given: the one of the first pane
 * holding it (what the visitor set up in Compare), by model key; models in no pane get their own.
 */
export function paneInstructions(panes: readonly Pick<PaneConfig, 'modelKey' | 'instruction'>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of panes) if (p.instruction !== undefined && out[p.modelKey] === undefined) out[p.modelKey] = p.instruction;
  return out;
}

export interface PresetTestDeps {
  /** The image of a preset (the example, perturbed). */
  image: (preset: Preset, signal: AbortSignal) => Promise<Raster>;
  recognize: (model: SweepModel, image: Raster, signal: AbortSignal) => Promise<Pick<Prediction, 'latex' | 'tokens' | 'truncated'> & Partial<Pick<Prediction, 'raw' | 'instruction'>>>;
}

/**
 * Every model on every preset, scored against the preset's reference. Failures become
 * cells with an error; cancelling stops and returns the cells so far.
 */
export async function runPresetTest(list: Preset[], models: SweepModel[], deps: PresetTestDeps, signal: AbortSignal, onCell?: (c: PresetCell, done: number, total: number) => void): Promise<PresetCell[]> {
  const cells: PresetCell[] = [];
  const total = list.length * models.length;
  for (const preset of list) {
    if (signal.aborted) return cells;
    let image: Raster | null = null;
    let imageError: string | undefined;
    try {
      image = await deps.image(preset, signal);
    } catch (e) {
      imageError = e instanceof Error ? e.message : String(e);
    }
    for (const model of models) {
      if (signal.aborted) return cells;
      let cell: PresetCell;
      try {
        if (!image) throw new Error(imageError ?? 'no image');
        const p = await deps.recognize(model, image, signal);
        if (signal.aborted) return cells; // a result that lands after "cancel" is dropped, as in runSweep
        cell = {
          preset: preset.id,
          model: model.key,
          latex: p.latex,
          ned: scoreRow(p.latex, preset.reference).ned,
          meanConfidence: confidenceStats(p.tokens)?.mean ?? null,
          truncated: p.truncated,
          ...(p.raw !== undefined ? { raw: p.raw, instruction: p.instruction } : {}),
        };
      } catch (e) {
        if (signal.aborted) return cells;
        cell = { preset: preset.id, model: model.key, latex: '', ned: null, meanConfidence: null, truncated: false, error: e instanceof Error ? e.message : String(e) };
      }
      cells.push(cell);
      onCell?.(cell, cells.length, total);
    }
  }
  return cells;
}
