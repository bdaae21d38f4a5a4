import { test, expect } from '@playwright/test';
import path from 'node:path';
import { FIXTURES, forbidExternalRequests, pane, predictedLatex, openApp } from './helpers.ts';

test('upload an image: both panes predict, render and report the device', async ({ page }) => {
  const net = forbidExternalRequests(page);
  await openApp(page);
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'pythagoras.png'));
  for (const n of [1, 2]) {
    const latex = await predictedLatex(page, n);
    expect(latex).toBe('a ^ { 2 } + b ^ { 2 } = c ^ { 2 }');
    await expect(pane(page, n).getByRole('img', { name: 'Rendered prediction' })).toBeVisible();
    await expect(pane(page, n).getByRole('status')).toContainText(/ms on (WEBGPU|WASM)/);
  }
  expect(net.external).toEqual([]);
});
