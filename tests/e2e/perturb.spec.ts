import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { FIXTURES, forbidExternalRequests, pane, openApp } from './helpers.ts';

/** Opens the app with both panes on WASM: headless Chromium's WebGPU is SwiftShader (software), far slower. */
async function open(page: Page) {
  await openApp(page);
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
}

/** Model loading is slow on a loaded 2-core machine: generous waits for real predictions. */
const PREDICT_TIMEOUT = 240_000;

async function predicted(page: Page, n: number) {
  await expect(pane(page, n).getByRole('status')).toHaveText(/ms on (WEBGPU|WASM)/, { timeout: PREDICT_TIMEOUT });
  await expect(pane(page, n).getByLabel('Predicted LaTeX')).toBeVisible();
}

/** A short fingerprint of the pixels a pane's model was given (its "Model input" canvas), or null. */
async function modelInput(page: Page, n: number): Promise<string | null> {
  return page.evaluate((label) => {
    const c = document.querySelector<HTMLCanvasElement>(`canvas[aria-label="${label}"]`);
    if (!c || !c.width) return null;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i], 16777619) >>> 0;
    return `${c.width}x${c.height}:${h.toString(16)}`;
  }, `Model input, Pane ${n}`);
}

/** Waits until pane n has recognised a new image (its model input differs from `before`). */
async function repredicted(page: Page, n: number, before: string | null): Promise<string> {
  await expect.poll(() => modelInput(page, n), { timeout: PREDICT_TIMEOUT }).not.toBe(before);
  await predicted(page, n);
  return (await modelInput(page, n))!;
}

async function start(page: Page) {
  await open(page);
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'pythagoras.png'));
  await predicted(page, 1);
  await predicted(page, 2);
  const one = await modelInput(page, 1);
  const two = await modelInput(page, 2);
  expect(one).not.toBeNull();
  expect(two).toBe(one); // no perturbation yet: both panes see the same pixels
  return { one: one!, two: two! };
}

const perturbation = (page: Page) => page.getByRole('region', { name: 'Perturbation' });

test('recolouring re-predicts Pane 2 only; invert and reset work', async ({ page }) => {
  test.setTimeout(600_000); // waits for model predictions
  const net = forbidExternalRequests(page);
  const { one, two } = await start(page);
  const panel = perturbation(page);
  const reset = panel.getByRole('button', { name: 'Reset perturbation' });
  await expect(reset).toBeDisabled();

  await panel.getByLabel('Ink colour').fill('#ff0000');
  await panel.getByLabel('Paper colour').fill('#1e40af');
  const recoloured = await repredicted(page, 2, two);
  expect(await modelInput(page, 1)).toBe(one);
  await expect(page.getByRole('img', { name: 'With perturbation' })).toBeVisible();
  await expect(reset).toBeEnabled();

  const invert = panel.getByRole('button', { name: 'Invert colours' });
  await invert.click();
  await expect(invert).toHaveAttribute('aria-pressed', 'true');
  const inverted = await repredicted(page, 2, recoloured);
  expect(inverted).not.toBe(two);
  expect(await modelInput(page, 1)).toBe(one);

  await reset.click();
  await expect(reset).toBeDisabled();
  await expect(invert).toHaveAttribute('aria-pressed', 'false');
  await expect(panel.getByLabel('Ink colour')).toHaveValue('#000000');
  // back to the original pixels: Pane 2 sees what Pane 1 sees
  await expect.poll(() => modelInput(page, 2), { timeout: PREDICT_TIMEOUT }).toBe(one);
  expect(net.external).toEqual([]);
});

test('every perturbation control has a name and shows its value; geometry and presets change Pane 2', async ({ page }) => {
  test.setTimeout(600_000); // waits for model predictions
  const { one, two } = await start(page);
  const panel = perturbation(page);
  const sliders = ['Hue rotation', 'Brightness', 'Contrast', 'Noise', 'Blur', 'Rotation', 'Scale', 'JPEG quality', 'Margin'];
  for (const name of sliders) await expect(panel.getByRole('slider', { name, exact: true })).toBeVisible();
  await expect(panel.getByRole('spinbutton', { name: 'Noise seed' })).toHaveValue('1');

  const rotation = panel.getByRole('slider', { name: 'Rotation', exact: true });
  await rotation.fill('15');
  await expect(rotation).toHaveAttribute('aria-valuetext', '15°');
  await expect(panel.getByText('15°', { exact: true })).toBeVisible();
  const rotated = await repredicted(page, 2, two);

  const noise = panel.getByRole('slider', { name: 'Noise', exact: true });
  await noise.fill('0.2');
  await expect(noise).toHaveAttribute('aria-valuetext', 'σ 20%');
  const noisy = await repredicted(page, 2, rotated);
  // another seed, other noise
  await panel.getByRole('spinbutton', { name: 'Noise seed' }).fill('7');
  await repredicted(page, 2, noisy);

  await panel.getByRole('button', { name: 'Reset perturbation' }).click();
  await expect.poll(() => modelInput(page, 2), { timeout: PREDICT_TIMEOUT }).toBe(one);
  const preset = panel.getByRole('button', { name: 'White on blue' });
  await preset.click();
  await expect(preset).toHaveAttribute('aria-pressed', 'true');
  await expect(panel.getByLabel('Ink colour')).toHaveValue('#ffffff');
  await expect(panel.getByLabel('Paper colour')).toHaveValue('#1e40af');
  await expect.poll(() => modelInput(page, 2), { timeout: PREDICT_TIMEOUT }).not.toBe(one);
  for (const name of ['Dark mode', 'Coloured ink on tinted paper']) {
    await panel.getByRole('button', { name }).click();
    await expect(panel.getByRole('button', { name })).toHaveAttribute('aria-pressed', 'true');
    await expect(preset).toHaveAttribute('aria-pressed', 'false');
  }
  expect(await modelInput(page, 1)).toBe(one);
});

test('JPEG quality runs jpeg-js in the perturbation worker', async ({ page }) => {
  test.setTimeout(600_000); // waits for model predictions
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const { two } = await start(page);
  const panel = perturbation(page);
  await panel.getByRole('slider', { name: 'JPEG quality' }).fill('5');
  await repredicted(page, 2, two);
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(errors).toEqual([]);
});
