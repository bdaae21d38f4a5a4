import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { FIXTURES, pane, openApp } from './helpers.ts';

/** Opens the app with both panes on WASM: headless Chromium's WebGPU is SwiftShader (software), far slower. */
async function open(page: Page) {
  await openApp(page);
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
}

const fixture = (f: string) => path.join(FIXTURES, f);

/** Mean grey level of a canvas named `label` (null when absent). */
async function meanGrey(page: Page, label: string): Promise<number | null> {
  return page.evaluate((l) => {
    const c = document.querySelector<HTMLCanvasElement>(`canvas[aria-label="${l}"]`);
    if (!c || !c.width) return null;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let s = 0;
    for (let i = 0; i < d.length; i += 4) s += (d[i] + d[i + 1] + d[i + 2]) / 3;
    return s / (d.length / 4);
  }, label);
}

/** Model loading is slow on a loaded 2-core machine: generous waits for real predictions. */
async function predicted(page: Page, n: number) {
  await expect(pane(page, n).getByRole('status')).toHaveText(/ms on (WEBGPU|WASM)/, { timeout: 240_000 });
}

/** The input reached the panes: they are loading, recognising or done. */
async function started(page: Page) {
  await expect(pane(page, 1).getByRole('status')).not.toHaveText(/Give an equation/);
}

async function dismissAlerts(page: Page) {
  const dismiss = page.getByRole('button', { name: 'Dismiss message' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
  await expect(page.getByRole('alert')).toHaveCount(0);
}

test('bad files each give a clear alert, keep the current input, and a good image works afterwards', async ({ page }) => {
  const crashes: string[] = [];
  page.on('crash', () => crashes.push('page crashed'));
  page.on('pageerror', (e) => crashes.push(String(e)));
  await open(page);
  const upload = page.getByLabel('Upload image');
  const cases: [string, RegExp][] = [
    ['empty.png', /empty \(0 bytes\)/],
    ['text.png', /not an image this app can read/],
    ['truncated.png', /truncated/],
    ['huge.png', /20000×20000 pixels: too large/],
  ];
  for (const [file, message] of cases) {
    await upload.setInputFiles(fixture(file));
    await expect(page.getByRole('alert').filter({ hasText: message })).toBeVisible();
    await expect(page.getByRole('alert').filter({ hasText: file })).toBeVisible();
    await expect(page.getByRole('img', { name: 'Input image (none)' })).toBeVisible();
    await dismissAlerts(page);
  }
  // the app still works
  await upload.setInputFiles(fixture('pythagoras.png'));
  await expect(page.getByRole('img', { name: 'Input image', exact: true })).toBeVisible();
  await started(page);
  // and a bad file after a good one leaves the good one in place
  await upload.setInputFiles(fixture('text.png'));
  await expect(page.getByRole('alert')).toHaveCount(1);
  await expect(page.getByRole('img', { name: 'Input image', exact: true })).toBeVisible();
  await started(page);
  expect(crashes).toEqual([]);
});

// one test (a fresh context) per file: a second visit in the same context would open on the first
// file's run, the returning visitor's last state (src/app/useFirstScreen.ts)
for (const file of ['transparent.png', 'grey-alpha.png']) {
  test(`${file} (transparent pixels) is flattened onto white: the model input is not black`, async ({ page }) => {
    test.setTimeout(600_000); // waits for model predictions
    await open(page);
    await page.getByLabel('Upload image').setInputFiles(fixture(file));
    await predicted(page, 1);
    await expect.poll(() => meanGrey(page, 'Model input, Pane 1'), { timeout: 60_000 }).toBeGreaterThan(180);
    // a recolouring reaches the transparent background too (white on blue: dark paper)
    const panel = page.getByRole('region', { name: 'Perturbation' });
    await panel.getByRole('button', { name: 'White on blue' }).click();
    await expect.poll(() => meanGrey(page, 'With perturbation'), { timeout: 60_000 }).toBeLessThan(140);
    await panel.getByRole('button', { name: 'Reset perturbation' }).click();
    await expect(page.getByRole('alert')).toHaveCount(0);
  });
}

test('an animated GIF uses its first frame, with an info alert', async ({ page }) => {
  await open(page);
  await page.getByLabel('Upload image').setInputFiles(fixture('animated.gif'));
  await expect(page.getByRole('alert').filter({ hasText: /animated: only its first frame/ })).toBeVisible();
  // frame 1 is the formula (frame 2 is blank)
  await expect.poll(() => meanGrey(page, 'Input image')).toBeLessThan(250);
  await started(page);
});

test('an SVG with a script is rasterised and the script never runs', async ({ page }) => {
  await open(page);
  await page.getByLabel('Upload image').setInputFiles(fixture('script.svg'));
  await expect(page.getByRole('img', { name: 'Input image', exact: true })).toBeVisible();
  const size = await page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('canvas[aria-label="Input image"]')!;
    return [c.width, c.height];
  });
  expect(size).toEqual([240, 80]);
  expect(await meanGrey(page, 'Input image')).toBeLessThan(254); // the text was drawn
  await started(page);
  expect(await page.evaluate(() => (window as { __svgScriptRan?: boolean }).__svgScriptRan)).toBeUndefined();
  await expect(page.getByRole('alert')).toHaveCount(0);
});
