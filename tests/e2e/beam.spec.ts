import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { FIXTURES, pane, predictedLatex, openApp } from './helpers.ts';

/** The per-pane beam width (src/model/beam.ts), on WASM and, where the browser has an adapter, WebGPU. */

// generous: a busy 2-core CI box with the real models can take a minute per recognition
const RUN_MS = 300_000;
test.describe.configure({ timeout: 600_000 });

const beamWidth = (page: Page, n: number) => pane(page, n).getByRole('combobox', { name: 'Beam width', exact: true });
const device = (page: Page, n: number) => pane(page, n).getByRole('combobox', { name: 'Device', exact: true });

async function upload(page: Page, file: string) {
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, file));
}

test('each pane has its own beam width, 1 (greedy) to 8, and says which one it used', async ({ page }) => {
  await openApp(page);
  for (const n of [1, 2]) await device(page, n).selectOption('wasm');
  await expect(beamWidth(page, 1).locator('option')).toHaveText(['1 (greedy)', '2', '3', '4', '5', '6', '7', '8']);
  await expect(beamWidth(page, 1)).toHaveValue('1');
  await beamWidth(page, 1).selectOption('4');
  await upload(page, 'pythagoras.png');
  await expect(pane(page, 1).getByRole('status')).toHaveText(/ms on WASM \(q8\), beam width 4$/, { timeout: RUN_MS });
  await expect(pane(page, 2).getByRole('status')).toHaveText(/ms on WASM \(q8\)$/, { timeout: RUN_MS });
  expect(await predictedLatex(page, 1)).toMatch(/\^/);
  await expect(beamWidth(page, 2)).toHaveValue('1');
});

test('beam search on WebGPU reads what it reads on WASM at the same precision', async ({ page }) => {
  test.setTimeout(600_000);
  await openApp(page);
  const { webgpu } = await page.evaluate(() => window.__ocrTest!.devices());
  test.skip(!webgpu, 'this browser has no WebGPU adapter');
  await device(page, 1).selectOption('webgpu');
  await device(page, 2).selectOption('wasm');
  // fp32 on both (no shader-f16 on the software adapter), so the two searches should agree
  for (const n of [1, 2]) {
    await pane(page, n).getByRole('combobox', { name: 'Precision', exact: true }).selectOption('fp32');
    await beamWidth(page, n).selectOption('3');
  }
  await upload(page, 'pythagoras.png');
  // headless Chromium's adapter is SwiftShader (the CPU): seconds per formula, hence the long limit
  await expect(pane(page, 1).getByRole('status')).toHaveText(/ms on WEBGPU \(fp32\), beam width 3$/, { timeout: 400_000 });
  await expect(pane(page, 2).getByRole('status')).toHaveText(/ms on WASM \(fp32\), beam width 3$/, { timeout: RUN_MS });
  const gpu = await predictedLatex(page, 1);
  expect(gpu).toMatch(/\^/);
  expect(gpu).toBe(await predictedLatex(page, 2));
});
