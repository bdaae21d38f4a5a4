import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, forbidExternalRequests, pane, predictedLatex, openApp } from './helpers.ts';
import { fillSweep } from './sweep.ts';

/** "Where it looks" (issue 15): attention maps of a built-in model, occlusion maps of a model folder, the research ladder's maps. */

const BUILTIN = path.join(import.meta.dirname, '..', '..', 'models', 'augmented');
// a busy 2-core box: recognitions and an occlusion map (one model pass per patch) take a while
const RUN_MS = 300_000;
test.describe.configure({ timeout: 900_000 });

/** Serious and critical axe violations (as tests/e2e/a11y.spec.ts counts them). */
async function serious(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

/** A user model folder: a copy of the built-in augmented model (one precision, to keep the upload small). */
function modelFolder(name: string): string {
  const dir = path.join(test.info().outputPath('models'), name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(BUILTIN, dir, { recursive: true, filter: (f) => !f.endsWith('.pt') && !f.endsWith('README.md') && !/_fp16\.onnx$|model(_merged)?\.onnx$/.test(path.basename(f)) });
  return dir;
}

async function upload(page: Page, file: string) {
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, file));
  await expect(page.getByRole('img', { name: 'Input image' })).toBeVisible();
}

const confidenceTokens = (page: Page, n: number) => pane(page, n).getByRole('group', { name: `Token confidence, Pane ${n}` }).locator('.conf-tok');

test('attention maps for a built-in model: one per predicted token, an ink share, token selection', async ({ page }) => {
  const net = forbidExternalRequests(page);
  await openApp(page);
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
  await upload(page, 'pythagoras.png');
  await predictedLatex(page, 1);
  const p1 = pane(page, 1);
  const toggle = p1.getByRole('button', { name: 'Where it looks', exact: true });
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');

  const tokens = await confidenceTokens(page, 1).count();
  expect(tokens).toBeGreaterThan(3);
  const maps = p1.getByRole('img', { name: /^Attention map, token \d+: / });
  await expect(maps).toHaveCount(tokens, { timeout: RUN_MS });
  await expect(p1.getByTestId('ink-share')).toHaveText(/^\d{1,3}%$/);
  await expect(p1.getByText(/^Ink share/)).toBeVisible();
  // a built-in model has attention: no "only occlusion" sentence
  await expect(p1.getByText('does not return its cross-attention')).toHaveCount(0);

  // the whole prediction's map first; a token of the confidence row selects its map (click, then keyboard)
  const main = p1.getByRole('img', { name: /^(Selected attention map, token \d+: |Attention map, whole prediction)/ });
  await expect(main).toHaveAttribute('aria-label', 'Attention map, whole prediction');
  const tok = confidenceTokens(page, 1);
  await expect(tok.first()).toHaveAttribute('role', 'button');
  await tok.nth(2).click();
  await expect(tok.nth(2)).toHaveAttribute('aria-pressed', 'true');
  await expect(main).toHaveAttribute('aria-label', /^Selected attention map, token 3: /);
  await tok.nth(0).focus();
  await page.keyboard.press('Enter');
  await expect(main).toHaveAttribute('aria-label', /^Selected attention map, token 1: /);
  await expect(tok.nth(2)).toHaveAttribute('aria-pressed', 'false');
  expect(await serious(page)).toEqual([]);

  // a new prediction (another image) replaces the maps: the toggle stays on, and the new
  // prediction's maps come by themselves, one per new token, none of the old ones left
  const names = () => maps.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  const old = await names();
  const oldLatex = await p1.getByLabel('Predicted LaTeX').textContent();
  await upload(page, 'fraction.png');
  await expect(p1.getByLabel('Predicted LaTeX')).not.toHaveText(oldLatex!, { timeout: RUN_MS });
  await predictedLatex(page, 1);
  const newTokens = await confidenceTokens(page, 1).count();
  expect(newTokens).not.toBe(tokens);
  await expect(maps).toHaveCount(newTokens, { timeout: RUN_MS });
  expect(await names()).not.toEqual(old);
  expect(net.external).toEqual([]);
});

test('occlusion maps for a model folder, with progress; cancel leaves the app working', async ({ page }) => {
  const net = forbidExternalRequests(page);
  await openApp(page);
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
  await page.getByLabel('Load model folder').setInputFiles(modelFolder('my-model'));
  await expect(page.getByRole('region', { name: 'Models' }).getByRole('status')).toContainText('Added "my-model (your folder)"');
  const p2 = pane(page, 2);
  await p2.getByRole('combobox', { name: 'Model', exact: true }).selectOption({ label: 'my-model (your folder)' });
  await p2.getByRole('combobox', { name: 'Image', exact: true }).selectOption('original');
  await upload(page, 'pythagoras.png');
  await predictedLatex(page, 2);
  await p2.getByRole('button', { name: 'Where it looks', exact: true }).click();

  // cancel: the progress goes, no maps, and the pane still works
  const occlusion = p2.getByRole('button', { name: 'Occlusion map', exact: true });
  const progress = p2.getByRole('progressbar', { name: 'Occlusion progress, Pane 2' });
  await occlusion.click();
  await expect(progress).toBeVisible();
  await p2.getByRole('button', { name: 'Cancel occlusion' }).click();
  await expect(progress).toHaveCount(0);
  await expect(p2.getByRole('img', { name: /^Occlusion map, token \d+: / })).toHaveCount(0);
  await expect(occlusion).toBeEnabled();

  // then the whole map: progress to the end, one occlusion map per token
  await occlusion.click();
  await expect(progress).toBeVisible();
  await expect(async () => {
    const max = Number(await progress.getAttribute('max'));
    expect(max).toBeGreaterThan(1);
  }).toPass({ timeout: RUN_MS });
  await expect(progress).toHaveCount(0, { timeout: RUN_MS });
  const tokens = await confidenceTokens(page, 2).count();
  await expect(p2.getByRole('img', { name: /^Occlusion map, token \d+: / })).toHaveCount(tokens);
  await expect(p2.getByTestId('ink-share')).toHaveText(/^\d{1,3}%$/);
  await expect(p2.getByRole('alert')).toHaveCount(0);
  expect(await serious(page)).toEqual([]);

  // the app still recognises after all that
  await upload(page, 'fraction.png');
  expect((await predictedLatex(page, 2)).length).toBeGreaterThan(0);
  expect(net.external).toEqual([]);
});

test('research: a 2-step colour sweep with "Where it looks" on shows each step\'s attention map and ink share, also in the PNG', async ({ page }) => {
  const net = forbidExternalRequests(page);
  await openApp(page);
  await upload(page, 'pythagoras.png');
  const r = await fillSweep(page, { device: 'wasm', first: { label: 'Augmented (built-in)' }, second: { label: 'Narrow (built-in)' }, variable: 'colour', steps: 2 });
  const toggle = r.getByRole('button', { name: 'Where it looks', exact: true });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await r.getByRole('button', { name: 'Run sweep' }).click();
  await expect(page.getByRole('status', { name: 'Sweep status' })).toContainText('Sweep finished: 4 of 4 recognitions', { timeout: RUN_MS });

  for (const name of ['Ladder: Augmented (built-in)', 'Ladder: Narrow (built-in)']) {
    const ladder = page.getByRole('table', { name });
    await expect(ladder.getByRole('columnheader', { name: 'Where it looks' })).toBeVisible();
    await expect(ladder.getByRole('img', { name: /^Step \d attention map$/ })).toHaveCount(2);
    await expect(ladder.getByTestId('step-ink-share')).toHaveText([/^\d{1,3}%$/, /^\d{1,3}%$/]);
  }
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download PNG' }).click()]);
  expect(fs.readFileSync((await png.path())!).subarray(1, 4).toString()).toBe('PNG');

  // off: the ladder drops the column
  await toggle.click();
  await expect(page.getByRole('img', { name: /^Step \d attention map$/ })).toHaveCount(0);
  expect(net.external).toEqual([]);
});
