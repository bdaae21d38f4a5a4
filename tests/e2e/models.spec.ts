import crypto from 'node:crypto';
import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, forbidExternalRequests, pane, openApp } from './helpers.ts';

/** The model picker: model cards, model folders from disk, Hugging Face ids. */

const BUILTIN = path.join(import.meta.dirname, '..', '..', 'models', 'augmented');

// generous: a busy 2-core CI box with the real models can take a minute per recognition
const RUN_MS = 300_000;
test.describe.configure({ timeout: 900_000 });
// page.route() must see the app's own requests, not answers from the service worker
test.use({ serviceWorkers: 'block' });

function modelFolder(name: string, readme?: string): string {
  const dir = path.join(test.info().outputPath('models'), name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(BUILTIN, dir, { recursive: true, filter: (f) => !f.endsWith('.pt') && !f.endsWith('README.md') });
  if (readme !== undefined) fs.writeFileSync(path.join(dir, 'README.md'), readme);
  return dir;
}

async function open(page: Page) {
  await openApp(page);
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
}

const models = (page: Page) => page.getByRole('region', { name: 'Models' });
const modelSelect = (page: Page, n: number) => pane(page, n).getByRole('combobox', { name: 'Model', exact: true });

async function recognise(page: Page, file: string) {
  const png = fs.readFileSync(path.join(FIXTURES, file));
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, file));
  await expect(page.getByRole('img', { name: 'Input image' })).toHaveAttribute('width', String(png.readUInt32BE(16)));
}

const CARD = [
  '---',
  'license: mit',
  '---',
  '# Augmented model',
  '',
  'Trained with **colour** augmentation and `invert`.',
  '',
  '- item one',
  '- item two',
  '',
  '| metric | value |',
  '|---|---|',
  '| BLEU | 0.9 |',
  '',
  '<img src=x onerror="window.__xss = 1"> <script>window.__xss = 2</script>',
  '',
  '[bad link](javascript:window.__xss=3) and [good link](https://example.org/paper)',
].join('\n');

test('model cards are shown as formatted text, never as HTML', async ({ page }) => {
  await page.route('**/models/augmented/README.md', (r) => r.fulfill({ status: 200, contentType: 'text/markdown', body: CARD }));
  // built-in model files are checked against models/index.json before use (src/pwa/modelCache.ts):
  // the index names this card's hash, as it would for a card shipped with the model
  await page.route('**/models/index.json', async (r) => {
    const index = (await (await r.fetch()).json()) as { models: { id: string; files: { path: string; size: number; sha256: string }[] }[] };
    const file = index.models.find((m) => m.id === 'augmented')!.files.find((f) => f.path === 'README.md')!;
    Object.assign(file, { size: Buffer.byteLength(CARD), sha256: crypto.createHash('sha256').update(CARD).digest('hex') });
    await r.fulfill({ json: index });
  });
  await open(page);
  await models(page).getByRole('button', { name: 'Model card, Augmented (built-in)' }).click();
  const card = models(page).getByRole('region', { name: 'Model card of Augmented (built-in)' });
  await expect(card.getByRole('heading', { name: 'Augmented model' })).toBeVisible();
  await expect(card.locator('strong')).toHaveText('colour');
  await expect(card.getByRole('listitem')).toHaveText(['item one', 'item two']);
  await expect(card.getByRole('cell', { name: '0.9' })).toBeVisible();
  // raw HTML is text; only http(s) links are links
  await expect(card).toContainText('<img src=x onerror="window.__xss = 1">');
  await expect(card.locator('img, script')).toHaveCount(0);
  await expect(card.getByRole('link')).toHaveCount(1);
  await expect(card.getByRole('link', { name: 'good link' })).toHaveAttribute('href', 'https://example.org/paper');
  await expect(card.getByRole('link', { name: 'good link' })).toHaveAttribute('rel', /noopener/);
  expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
  // the front matter is tucked away
  await expect(card.getByText('Metadata')).toBeVisible();
  await models(page).getByRole('button', { name: 'Model card, Augmented (built-in)' }).click();
  await expect(card).toBeHidden();

  // a model without a card says so
  await page.route('**/models/narrow/README.md', (r) => r.fulfill({ status: 404, body: 'not found' }));
  await models(page).getByRole('button', { name: 'Model card, Narrow (built-in)' }).click();
  await expect(models(page).getByRole('region', { name: 'Model card of Narrow (built-in)' })).toContainText('has no model card');
});

test('a model folder (directory picker) becomes selectable in the panes, with its card', async ({ page }) => {
  const net = forbidExternalRequests(page);
  await open(page);
  await page.getByLabel('Load model folder').setInputFiles(modelFolder('my-model', '# My model\n\nA copy of the augmented model.'));
  await expect(models(page).getByRole('status')).toContainText('Added "my-model (your folder)"');
  await expect(models(page).getByRole('listitem').filter({ hasText: 'my-model (your folder)' })).toContainText('from your folder');
  await models(page).getByRole('button', { name: 'Model card, my-model (your folder)' }).click();
  await expect(models(page).getByRole('region', { name: 'Model card of my-model (your folder)' }).getByRole('heading', { name: 'My model' })).toBeVisible();

  for (const n of [1, 2]) await expect(modelSelect(page, n).locator('option', { hasText: 'my-model (your folder)' })).toHaveCount(1);
  await modelSelect(page, 1).selectOption({ label: 'my-model (your folder)' });
  await recognise(page, 'pythagoras.png');
  for (const n of [1, 2]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
  await expect(pane(page, 1).getByLabel('Predicted LaTeX')).toBeVisible();
  expect(net.external).toEqual([]);
});

test('a model folder with absurd config numbers is refused, naming the file and the field', async ({ page }) => {
  await open(page);
  const dir = modelFolder('absurd');
  const file = path.join(dir, 'preprocessor_config.json');
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  cfg.latex_ocr_prepare.height = 16000;
  fs.writeFileSync(file, JSON.stringify(cfg));
  await page.getByLabel('Load model folder').setInputFiles(dir);
  await expect(page.getByRole('alert').filter({ hasText: 'Could not load the model folder "absurd"' })).toContainText(
    'preprocessor_config.json: latex_ocr_prepare.height must be a whole number from 8 to 512 (got 16000)',
  );
  await expect(models(page).getByRole('status')).not.toContainText('Added "absurd');
  for (const n of [1, 2]) await expect(modelSelect(page, n).locator('option', { hasText: 'absurd (your folder)' })).toHaveCount(0);
});

test('model files picked one by one (multi-file input) are laid out as a model folder', async ({ page }) => {
  await open(page);
  const dir = modelFolder('flat');
  const files = [
    ...['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'].map((f) => path.join(dir, f)),
    ...['encoder_model_quantized.onnx', 'decoder_model_merged_quantized.onnx'].map((f) => path.join(dir, 'onnx', f)),
  ];
  await page.getByLabel('Load model files').setInputFiles(files);
  await expect(models(page).getByRole('status')).toContainText('Added "picked files (your folder)" (7 files)');
  await modelSelect(page, 2).selectOption({ label: 'picked files (your folder)' });
  await recognise(page, 'sum.png');
  for (const n of [1, 2]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on WASM \(q8\)/, { timeout: RUN_MS });
});

test('a Hugging Face model id is checked, refused offline, added online; a failed download shows in its pane', async ({ page, context }) => {
  // this test never reaches the real hub: every request to it fails here
  await context.route(/^https:\/\/([a-z0-9-]+\.)*(huggingface\.co|hf\.co)\//, (r) => r.abort('internetdisconnected'));
  await open(page);
  const id = page.getByLabel('Hugging Face model id');
  const add = models(page).getByRole('button', { name: 'Add model' });

  await id.fill('not a model id!');
  await add.click();
  await expect(page.getByRole('alert').filter({ hasText: 'is not a Hugging Face model id' })).toBeVisible();

  await context.setOffline(true);
  await id.fill('someone/latex-ocr-onnx');
  await add.click();
  await expect(page.getByRole('alert').filter({ hasText: 'needs a network connection' })).toBeVisible();
  await expect(modelSelect(page, 1).locator('option', { hasText: 'someone/latex-ocr-onnx' })).toHaveCount(0);

  await context.setOffline(false);
  await add.click();
  await expect(models(page).getByRole('status')).toContainText('Added "someone/latex-ocr-onnx"');
  await modelSelect(page, 1).selectOption({ label: 'someone/latex-ocr-onnx (Hugging Face)' });
  await recognise(page, 'pythagoras.png');
  await expect(pane(page, 1).getByRole('alert')).toContainText('Could not load the model "someone/latex-ocr-onnx (Hugging Face)"', { timeout: RUN_MS });
  await expect(pane(page, 2).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
});
