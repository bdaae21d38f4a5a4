import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, pane, predictedLatex, openApp } from './helpers.ts';

/**
 * Robustness: every failure shows up where it happened (an alert, or the pane's error),
 * and a good image still works afterwards.
 */

const BUILTIN = path.join(import.meta.dirname, '..', '..', 'models', 'augmented');

// generous: a busy 2-core CI box with the real models can take a minute per recognition
const RUN_MS = 300_000;
test.describe.configure({ timeout: 900_000 });

/** A copy of the built-in model folder, named `name`, changed by `edit`. */
function modelFolder(name: string, edit: (dir: string) => void = () => undefined): string {
  const dir = path.join(test.info().outputPath('models'), name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(BUILTIN, dir, { recursive: true, filter: (f) => !f.endsWith('.pt') });
  edit(dir);
  return dir;
}

const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
const writeJson = (f: string, v: unknown) => fs.writeFileSync(f, JSON.stringify(v));

/**
 * Rewrites the tokenizer so every token (special ones too) decodes to `text(id)`, and lets
 * generation run a few steps without an end token: whatever the weights predict, the
 * output is a few tokens of that text.
 */
function rewriteVocab(dir: string, text: (id: number) => string) {
  const tok = readJson(path.join(dir, 'tokenizer.json'));
  tok.model.vocab = Object.fromEntries(Object.values(tok.model.vocab as Record<string, number>).map((id) => [text(id), id]));
  tok.added_tokens = tok.added_tokens.map((t: { id: number }) => ({ ...t, content: text(t.id), special: false }));
  writeJson(path.join(dir, 'tokenizer.json'), tok);
  const tc = readJson(path.join(dir, 'tokenizer_config.json'));
  Object.assign(tc, { pad_token: text(0), bos_token: text(1), eos_token: text(2), unk_token: text(3) });
  writeJson(path.join(dir, 'tokenizer_config.json'), tc);
  const gen = readJson(path.join(dir, 'generation_config.json'));
  Object.assign(gen, { eos_token_id: 100_000, max_new_tokens: 4 });
  writeJson(path.join(dir, 'generation_config.json'), gen);
}

async function open(page: Page, query = '') {
  await openApp(page, `/${query}`);
  // WASM: the software WebGPU adapter of headless Chromium is very slow on small CI machines
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
}

async function loadFolder(page: Page, dir: string) {
  await page.getByLabel('Load model folder').setInputFiles(dir);
}

/** Waits for pane n to finish (prediction or error). */
async function settled(page: Page, n: number) {
  await expect(pane(page, n)).toHaveAttribute('aria-busy', 'false', { timeout: RUN_MS });
  await expect(pane(page, n).getByRole('status')).toHaveText(/ms on|Failed/, { timeout: RUN_MS });
}

/** Uploads a fixture and waits until it is the input (its width shows), so the panes' status is about it. */
async function upload(page: Page, file: string) {
  const png = fs.readFileSync(path.join(FIXTURES, file));
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, file));
  await expect(page.getByRole('img', { name: 'Input image' })).toHaveAttribute('width', String(png.readUInt32BE(16)));
}

/** A good image gives a prediction in every pane (the app recovered). */
async function stillWorks(page: Page, file = 'sum.png') {
  await upload(page, file);
  for (const n of [1, 2]) {
    await expect(pane(page, n).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
    await expect(pane(page, n).getByRole('img', { name: 'Rendered prediction' })).toBeVisible();
  }
}

test('a model folder with a missing file is refused with a message naming it', async ({ page }) => {
  await open(page);
  const dir = modelFolder('incomplete-model', (d) => fs.rmSync(path.join(d, 'tokenizer.json')));
  await loadFolder(page, dir);
  const alert = page.getByRole('alert').filter({ hasText: 'incomplete-model' });
  await expect(alert).toContainText('tokenizer.json');
  await expect(pane(page, 1).getByRole('combobox', { name: 'Model', exact: true }).locator('option', { hasText: 'incomplete-model' })).toHaveCount(0);
  await stillWorks(page);
});

test('a model folder with a corrupt .onnx fails in its pane with a clear error; the other pane works', async ({ page }) => {
  await open(page);
  const dir = modelFolder('corrupt-model', (d) => {
    for (const f of fs.readdirSync(path.join(d, 'onnx'))) fs.writeFileSync(path.join(d, 'onnx', f), Buffer.from('this is not an ONNX model '.repeat(40)));
  });
  await loadFolder(page, dir);
  await expect(page.getByRole('region', { name: 'Models' }).getByRole('status')).toContainText('Added "corrupt-model (your folder)"');
  await pane(page, 1).getByRole('combobox', { name: 'Model', exact: true }).selectOption({ label: 'corrupt-model (your folder)' });
  await upload(page, 'pythagoras.png');
  await settled(page, 1);
  await expect(pane(page, 1).getByRole('alert')).toContainText('Could not load the model "corrupt-model (your folder)"');
  await settled(page, 2);
  await expect(pane(page, 2).getByRole('status')).toHaveText(/ms on WASM/);

  await pane(page, 1).getByRole('combobox', { name: 'Model', exact: true }).selectOption({ label: 'Augmented (built-in)' });
  await stillWorks(page);
});

test('a prediction KaTeX cannot parse shows the parse error in place', async ({ page }) => {
  const errors: Error[] = [];
  page.on('pageerror', (e) => errors.push(e));
  await open(page);
  const dir = modelFolder('unparseable-model', (d) => rewriteVocab(d, (id) => `}${id}`));
  await loadFolder(page, dir);
  await expect(page.getByRole('region', { name: 'Models' }).getByRole('status')).toContainText('Added "unparseable-model (your folder)"');
  await pane(page, 1).getByRole('combobox', { name: 'Model', exact: true }).selectOption({ label: 'unparseable-model (your folder)' });
  await upload(page, 'pythagoras.png');
  await settled(page, 1);
  await expect(pane(page, 1).getByLabel('Predicted LaTeX')).toHaveText(/^\}\d+( \}\d+)*$/);
  const rendered = pane(page, 1).getByRole('img', { name: 'Rendered prediction' });
  await expect(rendered).toContainText('Cannot render');
  await expect(rendered.locator('.katex')).toHaveCount(0);
  await settled(page, 2);
  await expect(pane(page, 2).getByRole('status')).toHaveText(/ms on WASM/);
  expect(errors).toEqual([]);

  await pane(page, 1).getByRole('combobox', { name: 'Model', exact: true }).selectOption({ label: 'Augmented (built-in)' });
  await stillWorks(page);
});

for (const kind of ['crash', 'hang'] as const) {
  test(`worker ${kind}: the pane shows the error, the other pane and the UI keep working`, async ({ page }) => {
    // a hang is noticed by the recognition time limit: shortened for the test
    await open(page, kind === 'hang' ? '?recognizeTimeoutMs=5000' : '');
    await upload(page, 'pythagoras.png');
    for (const n of [1, 2]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
    const restarts = await page.evaluate(() => window.__ocrTest!.restarts());

    // the next recognition crashes (or hangs) the worker
    expect(await page.evaluate((k) => window.__ocrTest!.fault(k), kind), 'the fault is armed').toBeUndefined();
    await upload(page, 'fraction.png');
    for (const n of [1, 2]) await settled(page, n);
    const statuses = await Promise.all([1, 2].map((n) => pane(page, n).getByRole('status').textContent()));
    const failed = statuses.findIndex((s) => s === 'Failed') + 1;
    expect(failed, `one pane failed: ${statuses.join(' / ')}`).toBeGreaterThan(0);
    expect(statuses.filter((s) => /ms on WASM/.test(s ?? ''))).toHaveLength(1);
    await expect(pane(page, failed).getByRole('alert')).toContainText(kind === 'crash' ? /crashed/ : /took longer than 5 s/);
    await expect(pane(page, failed)).toContainText('The recognition worker was restarted.');
    expect(await page.evaluate(() => window.__ocrTest!.restarts())).toBe(restarts + 1);

    // the UI still responds, and the next image works in both panes
    await page.getByRole('button', { name: 'Add pane' }).click();
    await expect(pane(page, 3)).toBeVisible();
    await page.getByRole('button', { name: 'Remove Pane 3' }).click();
    await stillWorks(page);
  });
}

test('a WebGPU failure falls back to WASM and says so', async ({ page }) => {
  await openApp(page, '/?failWebGPU=1');
  await pane(page, 1).getByRole('combobox', { name: 'Device', exact: true }).selectOption('webgpu');
  await pane(page, 2).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
  await upload(page, 'pythagoras.png');
  await expect(pane(page, 1).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
  await expect(pane(page, 1)).toContainText(/ran on WASM instead/);
  const { webgpu } = await page.evaluate(() => window.__ocrTest!.devices());
  // with an adapter, the failure is the load on WebGPU itself (the test hook), not a missing adapter
  if (webgpu) await expect(pane(page, 1)).toContainText('WebGPU failed (WebGPU disabled by the failWebGPU test hook)');
  await expect(pane(page, 2).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
});

test('WebGPU chosen explicitly runs on the adapter, in its own worker with a WebGPU-capable onnxruntime build', async ({ page }) => {
  test.setTimeout(240_000);
  await openApp(page);
  const { webgpu } = await page.evaluate(() => window.__ocrTest!.devices());
  test.skip(!webgpu, 'this browser has no WebGPU adapter');
  await pane(page, 1).getByRole('combobox', { name: 'Device', exact: true }).selectOption('webgpu');
  await pane(page, 2).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
  await upload(page, 'pythagoras.png');
  // headless Chromium's adapter is SwiftShader (the CPU): seconds per formula, hence the long limit
  await expect(pane(page, 1).getByRole('status')).toHaveText(/ms on WEBGPU/, { timeout: 200_000 });
  await expect(pane(page, 2).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
  // fp32 on WebGPU (no shader-f16 here), q8 on WASM: both read the same formula
  expect(await predictedLatex(page, 1)).toMatch(/\^/);
  expect(await predictedLatex(page, 2)).toMatch(/\^/);
  const gpuWorker = await page.evaluate(() => window.__ocrTest!.devices('webgpu'));
  // JSPI where the browser has it (Chromium does), else asyncify
  expect(gpuWorker.runtime).toBe(await page.evaluate(() => ('Suspending' in WebAssembly ? 'jspi' : 'asyncify')));
  expect((await page.evaluate(() => window.__ocrTest!.devices('wasm'))).runtime).toBe('plain');
});

test('"auto" runs on WASM when the only WebGPU adapter is a software one, and says so', async ({ page }) => {
  await openApp(page);
  const { webgpu, software } = await page.evaluate(() => window.__ocrTest!.devices());
  test.skip(!webgpu || !software, 'this browser has no software-only WebGPU adapter');
  await upload(page, 'pythagoras.png');
  await expect(pane(page, 1).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
  await expect(pane(page, 1)).toContainText('The only WebGPU adapter is a software one');
});
