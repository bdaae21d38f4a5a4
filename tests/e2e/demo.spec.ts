import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { FIXTURES, forbidExternalRequests, pane } from './helpers.ts';
import { DEMO_SEEN_KEY } from '../../src/app/demo.ts';
import { exampleById, presetExample } from '../../src/input/examples.ts';
import { WHITE_ON_BLUE } from '../../src/perturb/types.ts';

/**
 * The first screen (src/app/demo.ts, useFirstScreen.ts): a first visit opens on the demo, a
 * returning visitor on their last state, a permalink on what it links to. Every test here
 * starts in a truly fresh browser context (Playwright's default), never through openApp().
 */

// generous: three recognitions (one a long misreading) on a busy 2-core machine
const RUN_MS = 300_000;
test.describe.configure({ timeout: 900_000 });

const intro = (page: Page) => page.getByRole('region', { name: 'Same equation, only the colours changed' });
const panes = (page: Page) => page.getByRole('region', { name: /^Pane \d+$/ });
const status = (page: Page, n: number) => pane(page, n).getByRole('status');
/** The normalised edit distance of pane n's reading against the reference LaTeX. */
const nedVsReference = async (page: Page, n: number) => Number(await pane(page, n).getByRole('group', { name: 'vs reference' }).getByTestId('ned').textContent());

test('a first visit opens on the demo, computed at once; it stays out of the history and can be dismissed for good', async ({ page }) => {
  const net = forbidExternalRequests(page);
  const printed = presetExample('printed');
  await page.goto('/');
  await expect(intro(page)).toBeVisible();
  await expect(intro(page)).toContainText('narrow');
  await expect(intro(page)).toContainText('augmented');

  // the example, its reference, white on blue, and the three panes of the story
  await expect(page.getByRole('textbox', { name: 'Reference LaTeX' })).toHaveValue(printed.latex);
  await expect(page.getByLabel('Ink colour')).toHaveValue(WHITE_ON_BLUE.ink);
  await expect(page.getByLabel('Paper colour')).toHaveValue(WHITE_ON_BLUE.paper);
  await expect(panes(page)).toHaveCount(3);
  const expected = [
    ['original', 'builtin:narrow'],
    ['perturbed', 'builtin:narrow'],
    ['perturbed', 'builtin:augmented'],
  ];
  for (const [i, [variant, model]] of expected.entries()) {
    await expect(pane(page, i + 1).getByRole('combobox', { name: 'Image', exact: true })).toHaveValue(variant);
    await expect(pane(page, i + 1).getByRole('combobox', { name: 'Model', exact: true })).toHaveValue(model);
  }
  // the input panel invites the visitor's own equation
  await expect(page.getByRole('region', { name: 'Input' }).getByRole('button', { name: 'Upload', exact: true })).toHaveAttribute('aria-pressed', 'true');

  // predictions without any click
  for (const n of [1, 2, 3]) await expect(status(page, n)).toHaveText(/ms on/, { timeout: RUN_MS });
  // what the explanation says: only the narrow model on white on blue is far from the truth
  const [asGiven, narrowBlue, augmentedBlue] = [await nedVsReference(page, 1), await nedVsReference(page, 2), await nedVsReference(page, 3)];
  expect(narrowBlue, `narrow on white on blue (${narrowBlue}) reads worse than on the image as given (${asGiven})`).toBeGreaterThan(asGiven + 0.3);
  expect(narrowBlue, `narrow (${narrowBlue}) reads white on blue worse than augmented (${augmentedBlue})`).toBeGreaterThan(augmentedBlue + 0.3);
  // each reading is announced to screen readers
  const latex1 = (await pane(page, 1).getByLabel('Predicted LaTeX').textContent())!.trim();
  await expect(pane(page, 1).locator('[aria-live="polite"]').filter({ hasText: 'Pane 1 read:' })).toHaveText(`Pane 1 read: ${latex1}`);

  // the demo is not the visitor's run: a reload shows the demo again, not a "last state"
  await page.reload();
  await expect(intro(page)).toBeVisible();
  await expect(panes(page)).toHaveCount(3);
  await page.getByRole('button', { name: 'History', exact: true }).click();
  await expect(page.getByRole('dialog', { name: 'History' }).getByText('No recognitions yet.')).toBeVisible();
  await page.getByRole('button', { name: 'Close history' }).click();

  // dismissed for good: the explanation goes, the panes stay; no demo on the next visit
  await page.getByRole('button', { name: /^Don.t show this again$/ }).click();
  await expect(intro(page)).toHaveCount(0);
  await expect(panes(page)).toHaveCount(3);
  expect(await page.evaluate((k) => localStorage.getItem(k), DEMO_SEEN_KEY)).toBe('1');
  for (const n of [1, 2, 3]) await expect(status(page, n)).toHaveText(/ms on/, { timeout: RUN_MS });
  // no longer the demo: an ordinary run, kept in the history
  await page.getByRole('button', { name: 'History', exact: true }).click();
  await expect(page.getByRole('dialog', { name: 'History' }).getByRole('listitem').filter({ hasText: printed.title }).first()).toBeVisible();
  await page.getByRole('button', { name: 'Close history' }).click();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'LaTeX OCR Playground' })).toBeVisible();
  // the panes come back as the visitor left them (now their last state), without the explanation
  await expect(panes(page)).toHaveCount(3, { timeout: 30_000 });
  await expect(intro(page)).toHaveCount(0);
  expect(net.external).toEqual([]);
});

test('"Start with your own equation" clears the demo to the empty start', async ({ page }) => {
  await page.goto('/');
  await expect(intro(page)).toBeVisible();
  await page.getByRole('button', { name: 'Start with your own equation' }).click();
  await expect(intro(page)).toHaveCount(0);
  await expect(page.getByRole('img', { name: 'Input image (none)' })).toBeVisible();
  await expect(panes(page)).toHaveCount(2);
  await expect(status(page, 1)).toHaveText(/Give an equation/);
  await expect(page.getByRole('textbox', { name: 'Reference LaTeX' })).toHaveValue('');
  await expect(page.getByLabel('Paper colour')).toHaveValue('#ffffff');
  // keyboard focus goes to the input panel, where the next step is
  await expect(page.getByRole('region', { name: 'Input' })).toBeFocused();
  // and the demo does not come back
  await page.reload();
  await expect(page.getByRole('img', { name: 'Input image (none)' })).toBeVisible();
  await page.waitForTimeout(1500); // the first screen reads storage first: give a demo time to (wrongly) arrive
  await expect(intro(page)).toHaveCount(0);
  await expect(panes(page)).toHaveCount(2);
});

test('a returning visitor gets their last state, not the demo', async ({ page }) => {
  await page.goto('/');
  await expect(intro(page)).toBeVisible();
  // the visitor's own equation ends the demo (it is never dismissed here)
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'fraction.png'));
  await expect(intro(page)).toHaveCount(0);
  for (const n of [1, 2, 3]) await expect(status(page, n)).toHaveText(/ms on/, { timeout: RUN_MS });
  await page.getByRole('button', { name: 'History', exact: true }).click();
  await expect(page.getByRole('dialog', { name: 'History' }).getByRole('listitem').filter({ hasText: 'fraction.png' }).first()).toBeVisible();

  await page.reload();
  // the upload is back (and recognised again), with its panes; the demo is not
  await expect(page.getByRole('img', { name: 'Input image' })).toHaveAttribute('width', '125');
  await expect(panes(page)).toHaveCount(3);
  await expect(intro(page)).toHaveCount(0);
  await expect(page.getByRole('textbox', { name: 'Reference LaTeX' })).toHaveValue('');
  for (const n of [1, 2]) await expect(status(page, n)).toHaveText(/ms on WASM/, { timeout: RUN_MS });
});

test('a permalink opens what it links to, not the demo', async ({ page }) => {
  await page.goto('/#v=1&ex=fraction');
  await expect(page.getByRole('textbox', { name: 'Reference LaTeX' })).toHaveValue(exampleById('fraction')!.latex);
  await expect(page.getByRole('img', { name: 'Input image' })).toHaveAttribute('width', '125');
  await page.waitForTimeout(1500);
  await expect(intro(page)).toHaveCount(0);
  await expect(panes(page)).toHaveCount(2);
});
