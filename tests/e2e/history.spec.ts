import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, pane, openApp } from './helpers.ts';

/** History: every finished run is kept in IndexedDB; list, restore, delete, export, import. */

// generous: a busy 2-core CI box with the real models can take a minute per recognition
const RUN_MS = 300_000;
test.describe.configure({ timeout: 900_000 });

async function open(page: Page) {
  await openApp(page);
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
}

/** Uploads a fixture and waits until both panes finished recognising it. */
async function recognise(page: Page, file: string) {
  const png = fs.readFileSync(path.join(FIXTURES, file));
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, file));
  await expect(page.getByRole('img', { name: 'Input image' })).toHaveAttribute('width', String(png.readUInt32BE(16)));
  for (const n of [1, 2]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
}

async function openHistory(page: Page) {
  await page.getByRole('button', { name: 'History', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'History' });
  await expect(dialog).toBeVisible();
  return dialog;
}

const entries = (dialog: ReturnType<Page['getByRole']>) => dialog.getByRole('list', { name: 'History entries' }).locator(':scope > li');

test('runs are listed, survive a reload, and can be restored and deleted', async ({ page }) => {
  await open(page);
  await recognise(page, 'pythagoras.png');
  // a re-run on the same input (new reference, recoloured) updates its entry
  await page.getByLabel('Reference LaTeX').fill('a^2+b^2=c^2');
  await page.getByRole('button', { name: 'White on blue' }).click();
  await expect(pane(page, 2).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
  await recognise(page, 'sum.png');

  let dialog = await openHistory(page);
  await expect(entries(dialog)).toHaveCount(2, { timeout: 10_000 });
  await expect(entries(dialog).first()).toContainText('sum.png'); // newest first
  const pyth = entries(dialog).filter({ hasText: 'pythagoras.png' });
  await expect(pyth).toContainText('Reference: a^2+b^2=c^2');
  await expect(pyth).toContainText('ink #ffffff');
  await expect(pyth).toContainText('Pane 1 · Augmented (built-in)');
  await expect(pyth.getByRole('img', { name: 'Input: pythagoras.png' })).toBeVisible();

  await page.reload();
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
  dialog = await openHistory(page);
  await expect(entries(dialog)).toHaveCount(2);

  // restore: input, reference and perturbation come back, and the panes recognise again
  await entries(dialog).filter({ hasText: 'pythagoras.png' }).getByRole('button', { name: /^Restore pythagoras\.png/ }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByLabel('Reference LaTeX')).toHaveValue('a^2+b^2=c^2');
  await expect(page.getByRole('button', { name: 'Reset perturbation' })).toBeEnabled();
  await expect(page.getByRole('img', { name: 'Input image' })).toHaveAttribute('width', '213');
  for (const n of [1, 2]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on/, { timeout: RUN_MS });

  // delete
  dialog = await openHistory(page);
  await entries(dialog).filter({ hasText: 'sum.png' }).getByRole('button', { name: /^Delete sum\.png/ }).click();
  await expect(entries(dialog)).toHaveCount(1);
  await expect(dialog.getByRole('status')).toContainText('Deleted "sum.png"');
  await dialog.getByRole('button', { name: 'Close history' }).click();
  await page.reload();
  dialog = await openHistory(page);
  await expect(entries(dialog)).toHaveCount(1);
  await expect(entries(dialog).first()).toContainText('pythagoras.png');
});

test('export to a JSON file, clear, import it back; a bad file is refused with an alert', async ({ page }) => {
  await open(page);
  await recognise(page, 'pythagoras.png');
  await recognise(page, 'fraction.png');
  const dialog = await openHistory(page);
  await expect(entries(dialog)).toHaveCount(2, { timeout: 10_000 });

  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Export history' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^latex-ocr-history-\d{4}-\d{2}-\d{2}\.json$/);
  const file = test.info().outputPath('history.json');
  await download.saveAs(file);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(doc.format).toBe('latex-ocr-playground-history');
  expect(doc.entries).toHaveLength(2);
  expect(doc.entries.map((e: { input: { name: string } }) => e.input.name).sort()).toEqual(['fraction.png', 'pythagoras.png']);
  expect(doc.entries[0].input.image).toMatch(/^data:image\/png;base64,/);
  expect(doc.entries[0].panes).toHaveLength(2);

  await dialog.getByRole('button', { name: 'Clear history' }).click();
  await dialog.getByRole('button', { name: 'Yes, delete all' }).click();
  await expect(dialog.getByText('No recognitions yet.')).toBeVisible();

  // not a history file
  const bad = test.info().outputPath('bad.json');
  fs.writeFileSync(bad, JSON.stringify({ hello: 'world' }));
  await dialog.getByLabel('Import history').setInputFiles(bad);
  await expect(dialog.getByRole('alert')).toContainText('Cannot import this history file');
  await expect(dialog.getByText('No recognitions yet.')).toBeVisible();

  await dialog.getByLabel('Import history').setInputFiles(file);
  await expect(dialog.getByRole('status')).toContainText('Imported 2 entries');
  await expect(entries(dialog)).toHaveCount(2);
  await expect(dialog.getByRole('alert')).toHaveCount(0);

  // an imported entry restores like any other
  await entries(dialog).filter({ hasText: 'fraction.png' }).getByRole('button', { name: /^Restore fraction\.png/ }).click();
  await expect(page.getByRole('img', { name: 'Input image' })).toHaveAttribute('width', '125');
  for (const n of [1, 2]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on/, { timeout: RUN_MS });
});

test('a full storage (QuotaExceededError) is reported with an alert; the work stays on screen', async ({ page }) => {
  // make IndexedDB writes fail as they do when the origin's quota is used up
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<typeof put>) {
      if (this.name === 'runs') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
  });
  await open(page);
  await recognise(page, 'pythagoras.png');
  await expect(page.getByRole('alert').filter({ hasText: 'Storage is full' })).toBeVisible();
  // the input and both predictions are still there
  await expect(page.getByRole('img', { name: 'Input image' })).toHaveAttribute('width', '213');
  for (const n of [1, 2]) {
    await expect(pane(page, n).getByLabel('Predicted LaTeX')).toBeVisible();
    await expect(pane(page, n).getByRole('img', { name: 'Rendered prediction' })).toBeVisible();
  }
  // and the app keeps working
  await recognise(page, 'sum.png');
});
