/**
 * A pane's instruction (vision-language models, issue 13) through the app's state: part of the
 * pane's job key, kept by permalinks, history records and restoreState (bounded), carried by the
 * three-step presets; and the model-config schema's latex_ocr_instruction.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS, initialState, restoreState, type AppState, type InputImage, type ModelEntry } from '../../src/app/state.ts';
import { paneJob } from '../../src/app/selectors.ts';
import { decodePermalink, encodePermalink } from '../../src/research/permalink.ts';
import { paneInstructions, presets, presetState, runPresetTest } from '../../src/research/presets.ts';
import { parseExportEntry } from '../../src/history/store.ts';
import { checkModelConfig } from '../../src/schema/model-config.ts';
import { MAX_INSTRUCTION_CHARS } from '../../src/schema/limits.ts';
import { paneVlm, VlmOutput } from '../../src/compare/VlmPane.tsx';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { DEFAULT_INSTRUCTION } from '../../src/model/vlm.ts';
import { DEFAULT_PERTURB } from '../../src/perturb/types.ts';
import { createRaster } from '../../src/image/raster.ts';
import { planSweep, runSweep } from '../../src/research/sweep.ts';
import { sweepVariable } from '../../src/perturb/variables.ts';
import { canSweepInstruction, parseInstructionList } from '../../src/research/instructions.ts';
import { MAX_SWEEP_INSTRUCTIONS } from '../../src/schema/limits.ts';

const image: InputImage = { id: 'in1', name: 'x.png', origin: 'upload', raster: createRaster(4, 4) };
const VLM: ModelEntry = { key: 'user:tiny-vlm', source: { kind: 'user', id: 'tiny-vlm' }, label: 'tiny-vlm (your folder)', vlm: { modelType: 'llava', trainingInstruction: null, dtype: 'fp32' } };
const MODELS = [...BUILTIN_MODELS, VLM];

describe('the instruction is part of a pane’s job', () => {
  const state: AppState = { ...initialState, input: image, models: MODELS };
  const pane = { id: 1, variant: 'original' as const, modelKey: VLM.key, device: 'wasm' as const };
  it('another wording is another job; no instruction keeps the key of before (built-in panes unchanged)', () => {
    const plain = paneJob(state, pane)!.key;
    const a = paneJob(state, { ...pane, instruction: 'Convert this image to LaTeX notation.' })!.key;
    const b = paneJob(state, { ...pane, instruction: 'Transcribe the formula.' })!.key;
    expect(new Set([plain, a, b]).size).toBe(3);
    expect(paneJob(state, { ...pane, modelKey: 'builtin:augmented' })!.key).toBe('in1|original|builtin:augmented|wasm|default|beams 1');
  });

  it('paneVlm: the pane’s instruction, else the training one, else the default; null for OCR models', () => {
    expect(paneVlm(pane, VLM, undefined)).toEqual({ trainingInstruction: null, instruction: DEFAULT_INSTRUCTION });
    const trained = { ...VLM, vlm: { ...VLM.vlm!, trainingInstruction: 'Transcribe.' } };
    expect(paneVlm(pane, trained, undefined)).toEqual({ trainingInstruction: 'Transcribe.', instruction: 'Transcribe.' });
    expect(paneVlm({ ...pane, instruction: 'Mine' }, trained, undefined)?.instruction).toBe('Mine');
    expect(paneVlm(pane, BUILTIN_MODELS[0], undefined)).toBeNull();
    // a hub model is known to be a VLM once loaded
    const hub: ModelEntry = { key: 'hub:a/b', source: { kind: 'hub', id: 'a/b' }, label: 'a/b' };
    const loaded = { key: 'k', device: 'wasm' as const, dtype: 'fp32' as const, loadMs: 1, prepare: null, kind: 'vlm' as const, instruction: 'Hub says', trainingInstruction: 'Hub says' };
    expect(paneVlm(pane, hub, { status: 'done', loaded })).toEqual({ trainingInstruction: 'Hub says', instruction: 'Hub says' });
  });
});

describe('permalinks, history and restores keep the instruction, within bounds', () => {
  it('a permalink carries each pane’s instruction, any characters included', () => {
    const wording = 'Write ~ this & that = LaTeX?\nno $ please';
    const hash = encodePermalink({ panes: [{ variant: 'original', modelKey: 'builtin:augmented', device: 'auto' }, { variant: 'perturbed', modelKey: VLM.key, device: 'wasm', instruction: wording }] });
    const { state, errors } = decodePermalink(hash);
    expect(errors).toEqual([]);
    expect(state.panes![0].instruction).toBeUndefined();
    expect(state.panes![1].instruction).toBe(wording);
  });

  it('a permalink’s over-long or orphan instruction is left out with a message', () => {
    const hash = encodePermalink({ panes: [{ variant: 'original', modelKey: VLM.key, device: 'auto', instruction: 'x'.repeat(MAX_INSTRUCTION_CHARS + 1) }] });
    const long = decodePermalink(hash);
    expect(long.state.panes![0].instruction).toBeUndefined();
    expect(long.errors.join(' ')).toMatch(/too long/);
    const orphan = decodePermalink(`${encodePermalink({ panes: [{ variant: 'original', modelKey: VLM.key, device: 'auto' }] })}&instr=7~hello`);
    expect(orphan.state.panes![0].instruction).toBeUndefined();
    expect(orphan.errors.join(' ')).toMatch(/names no pane/);
  });

  it('restoreState keeps an instruction and cuts one that is too long', () => {
    const { state } = restoreState(
      { panes: [{ variant: 'original', modelKey: VLM.key, device: 'auto', instruction: 'Transcribe.' }, { variant: 'original', modelKey: VLM.key, device: 'auto', instruction: 'y'.repeat(5000) }] },
      MODELS,
    );
    expect(state.panes![0].instruction).toBe('Transcribe.');
    expect(state.panes![1].instruction).toHaveLength(MAX_INSTRUCTION_CHARS);
    // a VLM folder not loaded in this session: the built-in model takes its place, without the instruction
    const gone = restoreState({ panes: [{ variant: 'original', modelKey: 'user:other-vlm', device: 'auto', instruction: 'Transcribe.' }] }, MODELS).state.panes![0];
    expect(gone.modelKey).toBe('builtin:augmented');
    expect(gone.instruction).toBeUndefined();
  });

  it('a history record keeps the instruction and the raw answer; an over-long instruction is dropped', () => {
    const record = (instruction: string) => ({
      id: 'e1',
      createdAt: 1,
      input: { name: 'x.png', origin: 'upload', width: 1, height: 1, image: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==' },
      reference: '',
      perturb: DEFAULT_PERTURB,
      panes: [{ id: 1, variant: 'original', modelKey: VLM.key, device: 'auto', status: 'done', latex: 'a', raw: '$a$', instruction }],
    });
    expect(parseExportEntry(record('Transcribe.')).panes[0]).toMatchObject({ instruction: 'Transcribe.', raw: '$a$', latex: 'a' });
    expect(parseExportEntry(record('z'.repeat(MAX_INSTRUCTION_CHARS + 1))).panes[0].instruction).toBeUndefined();
  });
});

describe('the three-step test with a VLM pane', () => {
  it('uses the instruction of the pane holding the model, and keeps it when a preset opens in Compare', () => {
    const panes = [
      { id: 1, variant: 'original' as const, modelKey: 'builtin:augmented', device: 'auto' as const },
      { id: 2, variant: 'original' as const, modelKey: VLM.key, device: 'auto' as const, instruction: 'Transcribe.' },
    ];
    const instructions = paneInstructions(panes);
    expect(instructions).toEqual({ [VLM.key]: 'Transcribe.' });
    const { state } = presetState(presets()[1], image, ['builtin:augmented', VLM.key], 'wasm', MODELS, instructions);
    expect(state.panes!.map((p) => p.instruction)).toEqual([undefined, 'Transcribe.']);
  });

  it('a VLM cell keeps its raw answer and instruction beside the extracted LaTeX', async () => {
    const cells = await runPresetTest(
      presets().slice(0, 1),
      [{ key: VLM.key, label: 'V' }],
      {
        image: async () => createRaster(2, 2),
        recognize: async () => ({ latex: 'a^2', raw: 'Sure: $a^2$', instruction: 'Transcribe.', tokens: [], truncated: false }),
      },
      new AbortController().signal,
    );
    expect(cells[0]).toMatchObject({ latex: 'a^2', raw: 'Sure: $a^2$', instruction: 'Transcribe.' });
  });
});

describe('model-config schema: latex_ocr_instruction', () => {
  it('accepts bounded text and reports it; refuses other values naming the field', () => {
    expect(checkModelConfig({ 'config.json': { latex_ocr_instruction: 'Transcribe.' } }).instruction).toBe('Transcribe.');
    expect(checkModelConfig({ 'config.json': {} }).instruction).toBeUndefined();
    expect(() => checkModelConfig({ 'config.json': { latex_ocr_instruction: 3 } })).toThrow(/config\.json: latex_ocr_instruction must be text/);
    expect(() => checkModelConfig({ 'config.json': { latex_ocr_instruction: '  ' } })).toThrow(/latex_ocr_instruction must not be empty/);
    expect(() => checkModelConfig({ 'config.json': { latex_ocr_instruction: 'x'.repeat(MAX_INSTRUCTION_CHARS + 1) } })).toThrow(/at most 2000 characters/);
  });
});

describe('sweeping the instruction (vision-language models)', () => {
  const variable = sweepVariable('instruction');
  it('one step per wording, the same image (no perturbation), the wording on the step', () => {
    const plan = planSweep(variable, 0, 0, 2, ['First wording.', 'Second wording.']);
    expect(plan.map((s) => [s.index, s.value, s.instruction])).toEqual([
      [0, 0, 'First wording.'],
      [1, 1, 'Second wording.'],
    ]);
    for (const s of plan) expect(s.settings).toEqual(DEFAULT_PERTURB);
    expect(() => planSweep(variable, 0, 0, 1, [])).toThrow(/at least one instruction/);
  });

  it('runSweep gives each step its wording; rows keep the raw answer and the instruction', async () => {
    const asked: (string | undefined)[] = [];
    const result = await runSweep(
      { variable, from: 0, to: 1, steps: 2, models: [{ key: VLM.key, label: 'V' }], reference: 'a', instructions: ['One.', 'Two.'] },
      {
        image: async () => createRaster(2, 2),
        recognize: async (_m, _img, _signal, step) => {
          asked.push(step?.instruction);
          return { latex: 'a', raw: `$a$ (${step?.instruction})`, instruction: step?.instruction, tokens: [], ms: 1, truncated: false };
        },
      },
      new AbortController().signal,
    );
    expect(asked).toEqual(['One.', 'Two.']);
    expect(result.rows.map((r) => [r.instruction, r.raw])).toEqual([
      ['One.', '$a$ (One.)'],
      ['Two.', '$a$ (Two.)'],
    ]);
  });

  it('the list is typed one per line, bounded; offered only when every swept model is a VLM', () => {
    expect(parseInstructionList(' One. \n\n Two.\n')).toEqual({ instructions: ['One.', 'Two.'], problem: null });
    expect(parseInstructionList('  \n').problem).toMatch(/at least one/);
    expect(parseInstructionList(Array.from({ length: MAX_SWEEP_INSTRUCTIONS + 1 }, (_, i) => `w${i}`).join('\n')).problem).toMatch(/At most/);
    expect(parseInstructionList('x'.repeat(MAX_INSTRUCTION_CHARS + 1)).problem).toMatch(/at most 2000 characters/);
    expect(canSweepInstruction([VLM])).toBe(true);
    expect(canSweepInstruction([VLM, BUILTIN_MODELS[0]])).toBe(false);
    expect(canSweepInstruction([])).toBe(false);
  });

  it('a permalink keeps the sweep’s wordings', () => {
    const research = { variable: 'instruction', from: 0, to: 1, steps: 2, models: [VLM.key], device: 'wasm' as const, instructions: 'One & two.\nThree ~ four.' };
    const { state, errors } = decodePermalink(encodePermalink({ research }), { variables: ['instruction'] });
    expect(errors).toEqual([]);
    expect(state.research).toEqual(research);
  });
});

describe('a VLM pane’s output', () => {
  const prediction = { latex: 'a^2', raw: 'Here: $$a^2$$', instruction: 'Transcribe.', repairs: ['removed the $$ … $$ delimiters'], tokens: [], ms: 1, device: 'wasm' as const, dtype: 'fp32' as const, truncated: false, modelInput: createRaster(1, 1) };
  it('while generating: the raw text so far, no repairs yet', () => {
    const html = renderToStaticMarkup(createElement(VlmOutput, { prediction, streamed: 'Here: $$a', name: 'Pane 2' }));
    expect(html).toContain('Raw output (generating…)');
    expect(html).toContain('aria-label="Raw output, Pane 2" tabindex="0">Here: $$a</pre>');
    expect(html).not.toContain('Repairs, Pane 2');
  });
  it('when done: the raw answer exactly, the instruction it answers, and each repair', () => {
    const html = renderToStaticMarkup(createElement(VlmOutput, { prediction, name: 'Pane 2' }));
    expect(html).toContain('>Here: $$a^2$$</pre>');
    expect(html).toContain('aria-label="Instruction used, Pane 2">Transcribe.</q>');
    expect(html).toContain('<ul class="repairs" aria-label="Repairs, Pane 2"><li>removed the $$ … $$ delimiters</li></ul>');
    expect(renderToStaticMarkup(createElement(VlmOutput, { prediction: { ...prediction, repairs: [] }, name: 'Pane 2' }))).toContain('<li>none: the answer was used as it is</li>');
  });
});
