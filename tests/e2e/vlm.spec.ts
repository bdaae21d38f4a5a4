import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, forbidExternalRequests, pane, predictedLatex, openApp } from './helpers.ts';

/**
 * Bring your own vision-language model (issue 13): the tiny random-weight LLaVA fixture
 * (tests/fixtures/tiny-vlm, fp32 only) opened as a model folder, in a pane beside a built-in
 * pane: an instruction field, the raw answer beside the extracted LaTeX and its repairs, the
 * three-step test run with the pane's instruction; the built-in pane works as before, and no
 * request leaves the origin. The weights are random: the checks are on structure, not content.
 */

const TINY_VLM = path.join(import.meta.dirname, '..', 'fixtures', 'tiny-vlm');
const LABEL = 'tiny-vlm (your folder)';
const DEFAULT_INSTRUCTION = 'Convert this image to LaTeX notation.';

test.describe.configure({ timeout: 600_000 });
// page.route() must see the app's own requests, not answers from the service worker
test.use({ serviceWorkers: 'block' });

const models = (page: Page) => page.getByRole('region', { name: 'Models' });
const modelSelect = (page: Page, n: number) => pane(page, n).getByRole('combobox', { name: 'Model', exact: true });
const instruction = (page: Page, n: number) => pane(page, n).getByRole('textbox', { name: `Instruction, Pane ${n}` });

/** Opens the app with both panes on WASM and loads a model folder. */
async function openWithFolder(page: Page, folder: string, label: string) {
  await openApp(page);
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
  await page.getByLabel('Load model folder').setInputFiles(folder);
  await expect(models(page).getByRole('status')).toContainText(`Added "${label}"`);
  await expect(models(page).getByRole('status')).toContainText('a vision-language model (llava) that takes an instruction');
}

async function upload(page: Page, file: string) {
  const png = fs.readFileSync(path.join(FIXTURES, file));
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, file));
  await expect(page.getByRole('img', { name: 'Input image' })).toHaveAttribute('width', String(png.readUInt32BE(16)));
}

test('a VLM folder in a pane beside a built-in one: instruction, raw and extracted output, the three-step test', async ({ page }) => {
  const { external } = forbidExternalRequests(page);
  await openWithFolder(page, TINY_VLM, LABEL);
  await upload(page, 'pythagoras.png');
  await modelSelect(page, 2).selectOption({ label: LABEL });

  // the VLM pane has an instruction field with the default wording; its default precision is the model's own (fp32), not WASM's q8
  await expect(instruction(page, 2)).toHaveValue(DEFAULT_INSTRUCTION);
  await expect(pane(page, 2).getByRole('combobox', { name: 'Precision' }).locator('option[value=""]')).toHaveText('Default precision (fp32, from the model)');
  // the built-in pane is as before: no instruction, no raw output
  await expect(instruction(page, 1)).toHaveCount(0);

  const builtin = await predictedLatex(page, 1);
  expect(builtin.trim()).not.toBe('');
  await predictedLatex(page, 2);
  await expect(pane(page, 2).getByRole('status', { name: 'Pane 2 status' })).toContainText('on WASM (fp32)');
  await expect(pane(page, 2).getByLabel('Raw output, Pane 2')).toBeVisible();
  await expect(pane(page, 2).getByLabel('Instruction used, Pane 2')).toHaveText(DEFAULT_INSTRUCTION);
  await expect(pane(page, 2).getByRole('list', { name: 'Repairs, Pane 2' }).getByRole('listitem').first()).toBeVisible();
  await expect(pane(page, 1).getByLabel('Raw output, Pane 1')).toHaveCount(0);
  await expect(pane(page, 1).getByLabel('Instruction used, Pane 1')).toHaveCount(0);

  // a new wording re-runs the pane with it: the raw text is the answer to that instruction
  const wording = 'Write the formula in LaTeX.';
  await instruction(page, 2).fill(wording);
  await instruction(page, 2).blur();
  await expect(pane(page, 2).getByLabel('Instruction used, Pane 2')).toHaveText(wording, { timeout: 120_000 });
  const raw = (await pane(page, 2).getByLabel('Raw output, Pane 2').textContent()) ?? '';
  const latex = await predictedLatex(page, 2);
  expect(raw.length).toBeGreaterThan(0);
  // the extracted LaTeX comes from the raw answer (the repairs say what changed; here the fixture's gibberish)
  expect(typeof latex).toBe('string');
  // the built-in pane kept its prediction (its job does not depend on another pane's instruction)
  expect(await predictedLatex(page, 1)).toBe(builtin);
  // the VLM pane's controls and output are as accessible as the rest (no serious or critical axe violation)
  const { violations } = await new AxeBuilder({ page }).include('section[aria-label="Pane 2"]').analyze();
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([]);

  // the three-step test with the VLM: it is given the pane's instruction
  await page.getByRole('button', { name: 'Research', exact: true }).click();
  const r = page.getByRole('region', { name: 'Research' });
  await r.getByRole('combobox', { name: 'Sweep device' }).selectOption('wasm');
  await r.getByRole('combobox', { name: 'First model' }).selectOption({ label: 'Augmented (built-in)' });
  await r.getByRole('combobox', { name: 'Second model' }).selectOption({ label: LABEL });
  await page.getByRole('button', { name: 'Run the three-step test' }).click();
  const table = page.getByRole('table', { name: 'Three-step test results' });
  for (const title of ['(a) Training-style image', '(b) Only the colours changed', '(c) Handwritten']) {
    await expect(table.getByLabel(`Raw output, ${title}, ${LABEL}`)).toBeVisible({ timeout: 180_000 });
    await expect(table.getByLabel(`Extracted LaTeX, ${title}, ${LABEL}`)).toBeAttached();
    await expect(table.getByLabel(`Instruction used, ${title}, ${LABEL}`)).toHaveText(wording);
  }
  // the built-in model's cells are as before: no raw output
  await expect(table.getByLabel(/^Raw output, .*Augmented/)).toHaveCount(0);
  await expect(page.getByRole('progressbar', { name: 'Three-step test progress' })).toHaveCount(0, { timeout: 180_000 });

  // the instruction as a sweep variable (one wording a step, the same image): offered only when every swept model is a VLM
  const variableSelect = r.getByRole('combobox', { name: 'Variable' });
  await expect(variableSelect.locator('option[value="instruction"]')).toHaveCount(0);
  await r.getByRole('combobox', { name: 'First model' }).selectOption({ label: LABEL });
  await r.getByRole('combobox', { name: 'Second model' }).selectOption({ label: '(none)' });
  await variableSelect.selectOption('instruction');
  await r.getByLabel('Instructions, one per line').fill('First wording.\nSecond wording.');
  await r.getByRole('button', { name: 'Run sweep' }).click();
  await expect(r.getByRole('status', { name: 'Sweep status' })).toContainText('Sweep finished: 2 of 2 recognitions', { timeout: 180_000 });
  await expect(r.getByText('“First wording.”')).toBeVisible();
  await expect(r.getByText('“Second wording.”')).toBeVisible();

  // a preset opened in Compare keeps the VLM pane's instruction
  await page.getByRole('button', { name: 'Open in Compare: preset (b) Only the colours changed' }).click();
  await expect(modelSelect(page, 2)).toHaveValue('user:tiny-vlm');
  await expect(instruction(page, 2)).toHaveValue(wording);
  await expect(pane(page, 2).getByLabel('Instruction used, Pane 2')).toHaveText(wording, { timeout: 120_000 });

  expect(external).toEqual([]);
});

test("a model's declared training instruction is shown, and a different one is flagged", async ({ page }) => {
  const { external } = forbidExternalRequests(page);
  const dir = path.join(test.info().outputPath('models'), 'trained-vlm');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(TINY_VLM, dir, { recursive: true, filter: (f) => !f.endsWith('.py') });
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  config.latex_ocr_instruction = 'Transcribe the equation.';
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));

  await openWithFolder(page, dir, 'trained-vlm (your folder)');
  await upload(page, 'pythagoras.png');
  await modelSelect(page, 2).selectOption({ label: 'trained-vlm (your folder)' });
  await expect(instruction(page, 2)).toHaveValue('Transcribe the equation.');
  await expect(pane(page, 2)).toContainText('Trained with: “Transcribe the equation.”');
  const warning = pane(page, 2).getByRole('note', { name: 'Instruction warning, Pane 2' });
  await expect(warning).toHaveCount(0);
  await expect(pane(page, 2).getByLabel('Instruction used, Pane 2')).toHaveText('Transcribe the equation.', { timeout: 120_000 });

  await instruction(page, 2).fill('Convert this image to LaTeX notation.');
  await expect(warning).toHaveText(/^Instruction differs from the one this model was trained with: “Transcribe the equation.”/);
  await expect(pane(page, 2).getByLabel('Instruction used, Pane 2')).toHaveText('Convert this image to LaTeX notation.', { timeout: 120_000 });
  expect(external).toEqual([]);
});

test('a VLM folder that lacks a session file is refused, naming the file', async ({ page }) => {
  const dir = path.join(test.info().outputPath('models'), 'broken-vlm');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(TINY_VLM, dir, { recursive: true, filter: (f) => !f.endsWith('vision_encoder.onnx') });
  await openApp(page);
  await page.getByLabel('Load model folder').setInputFiles(dir);
  await expect(page.getByRole('alert').filter({ hasText: 'broken-vlm' })).toContainText(
    'The vision-language model folder "broken-vlm" (llava) cannot be used: it is missing onnx/vision_encoder.onnx.',
  );
});

test('a Hugging Face VLM: its size and needs are asked only once it is added, and a device without WebGPU is told it cannot run it', async ({ page, context }) => {
  const hub: string[] = [];
  const GEMMA = { model_type: 'gemma3', architectures: ['Gemma3ForConditionalGeneration'], 'transformers.js_config': { dtype: 'q4f16' } };
  const files = [
    ['config.json', 2_000],
    ['preprocessor_config.json', 500],
    ['tokenizer.json', 30_000_000],
    ['tokenizer_config.json', 1_000_000],
    ['onnx/embed_tokens_q4f16.onnx', 700_000_000],
    ['onnx/vision_encoder_q4f16.onnx', 400_000_000],
    ['onnx/decoder_model_merged_q4f16.onnx', 1_000_000],
    ['onnx/decoder_model_merged_q4f16.onnx_data', 1_500_000_000],
  ] as const;
  // a stand-in for the hub: its API and config.json answer, anything else (weights) fails
  await context.route(/^https:\/\/([a-z0-9-]+\.)*(huggingface\.co|hf\.co)\//, (r) => {
    const url = r.request().url();
    hub.push(url);
    if (url.includes('/api/models/someone/gemma-latex')) return r.fulfill({ json: { siblings: files.map(([rfilename, size]) => ({ rfilename, size })) } });
    if (url.endsWith('/someone/gemma-latex/resolve/main/config.json')) return r.fulfill({ json: GEMMA });
    return r.abort('internetdisconnected');
  });
  await openApp(page);
  await page.getByLabel('Hugging Face model id').fill('someone/gemma-latex');
  await page.waitForTimeout(500);
  expect(hub).toEqual([]); // typing an id sends nothing
  await models(page).getByRole('button', { name: 'Add model' }).click();
  const needs = models(page).getByLabel('Requirements, someone/gemma-latex (Hugging Face)');
  await expect(needs).toContainText('Download: about 2.5 GB (q4f16 weights), fetched from huggingface.co when a pane first uses it.');
  await expect(needs).toContainText('A vision-language model (gemma3): it takes an instruction.');
  await expect(needs).toContainText('needs at least about 2.5 GB of memory and WebGPU (too large for WASM)');
  // headless Chromium has no GPU: no WebGPU, or only SwiftShader's software adapter
  await expect(needs).toContainText(/This device cannot run it: it has (no WebGPU|only a software WebGPU adapter \(no GPU\))\./);
  // only the file list and config.json were asked for, no weights
  expect(hub.every((u) => u.includes('/api/models/') || u.endsWith('/config.json'))).toBe(true);
  // known to be a VLM before any download: a pane holding it has its instruction field, and the model's precision as default
  await pane(page, 1).getByRole('combobox', { name: 'Model', exact: true }).selectOption({ label: 'someone/gemma-latex (Hugging Face)' });
  await expect(instruction(page, 1)).toHaveValue(DEFAULT_INSTRUCTION);
});
