import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { openApp, pane } from './helpers.ts';
import { runSweep } from './sweep.ts';

/**
 * Accessibility: axe-core finds no serious or critical violation in Compare (the first
 * screen, and drawing), Research (with ladders), the history dialog and the model panel;
 * every control is reached with Tab, the app can be used from the keyboard alone, and
 * finished predictions are announced politely to screen readers.
 */

// generous: a busy 2-core CI box with the real models can take a minute per recognition
const RUN_MS = 300_000;
test.describe.configure({ timeout: 900_000 });

/** Serious and critical violations, one line each (rule, what, where), for a readable failure. */
async function serious(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  for (const v of violations.filter((x) => x.impact !== 'serious' && x.impact !== 'critical')) console.log(`axe (${v.impact}): ${v.id}: ${v.nodes.length} node(s)`);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

test('Compare: the first screen with its predictions, and drawing', async ({ page }) => {
  await page.goto('/'); // a first visit: the demo, three panes
  for (const n of [1, 2, 3]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on/, { timeout: RUN_MS });
  expect(await serious(page)).toEqual([]);
  await page.getByRole('region', { name: 'Input' }).getByRole('button', { name: 'Draw', exact: true }).click();
  await expect(page.getByRole('img', { name: 'Drawing canvas' })).toBeVisible();
  expect(await serious(page)).toEqual([]);
});

test('Research with two ladders, the history dialog and the model panel', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('img', { name: 'Input image' })).toBeVisible(); // the demo's example
  await page.getByRole('button', { name: /^Don.t show this again$/ }).click(); // its run then goes to the history
  for (const n of [1, 2, 3]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on/, { timeout: RUN_MS });

  const r = await runSweep(page, { device: 'wasm', steps: 2 });
  await expect(r.getByRole('status', { name: 'Sweep status' })).toContainText('Sweep finished: 4 of 4', { timeout: RUN_MS });
  await expect(r.getByRole('table', { name: /^Ladder/ })).toHaveCount(2);
  expect(await serious(page)).toEqual([]);

  await page.getByRole('button', { name: 'History', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'History' });
  await expect(dialog.getByRole('list', { name: 'History entries' }).locator(':scope > li')).toHaveCount(1);
  expect(await serious(page)).toEqual([]);
  await dialog.getByRole('button', { name: 'Close history' }).click();

  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  for (const label of ['Augmented (built-in)', 'Narrow (built-in)']) {
    await page.getByRole('button', { name: `Model card, ${label}` }).click();
    await expect(page.getByRole('region', { name: `Model card of ${label}` })).not.toContainText('Loading…');
  }
  expect(await serious(page)).toEqual([]);
});

test('keyboard: every control is reached with Tab; an example is chosen, a pane set up and a result copied without a pointer', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openApp(page);
  // the controls a pointer could use (visible, enabled), tagged so Tab's stops can be matched to them
  const count = await page.evaluate(() => {
    const sel = 'button, select, input, textarea, a[href], [tabindex]:not([tabindex="-1"])';
    const els = Array.from(document.querySelectorAll<HTMLElement>(sel)).filter((e) => {
      const r = e.getBoundingClientRect();
      return !(e as HTMLButtonElement).disabled && r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden' && !e.closest('[inert], dialog:not([open])');
    });
    els.forEach((e, i) => (e.dataset.kb = String(i)));
    return els.length;
  });
  expect(count).toBeGreaterThan(20);
  const reached = new Set<string>();
  await page.locator('body').focus();
  for (let i = 0; i < count + 20; i++) {
    await page.keyboard.press('Tab');
    const kb = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.kb);
    if (kb !== undefined) reached.add(kb);
  }
  const missed = await page.evaluate(
    (seen) => Array.from(document.querySelectorAll<HTMLElement>('[data-kb]')).filter((e) => !seen.includes(e.dataset.kb!)).map((e) => e.outerHTML.slice(0, 120)),
    [...reached],
  );
  expect(missed, 'controls Tab never reaches').toEqual([]);

  // keyboard only: an example, a pane on WASM, a prediction, copied as inline math
  const input = page.getByRole('region', { name: 'Input' });
  await input.getByRole('button', { name: 'Examples', exact: true }).focus();
  await page.keyboard.press('Enter');
  await input.getByRole('button', { name: /Fraction\b/ }).first().focus();
  await page.keyboard.press('Enter');
  for (const n of [1, 2]) {
    await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).focus();
    await page.keyboard.press('End'); // the last option: WASM
    await expect(pane(page, n).getByRole('combobox', { name: 'Device', exact: true })).toHaveValue('wasm');
  }
  for (const n of [1, 2]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
  const latex = (await pane(page, 1).getByLabel('Predicted LaTeX').textContent())!.trim();
  // the finished reading is announced politely (not only the time it took)
  await expect(pane(page, 1).locator('[aria-live="polite"]').filter({ hasText: 'Pane 1 read:' })).toHaveText(`Pane 1 read: ${latex || 'nothing'}`);
  await pane(page, 1).getByRole('button', { name: 'Copy $…$' }).focus();
  await page.keyboard.press('Enter');
  await expect(pane(page, 1).getByText('Copied $…$.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`$${latex}$`);
});
