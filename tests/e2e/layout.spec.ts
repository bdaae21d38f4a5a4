import { test, expect, type Locator, type Page, type TestInfo } from '@playwright/test';
import { pane } from './helpers.ts';
import { runSweep } from './sweep.ts';

/**
 * Layout on a phone (390×844) and a desktop (1440×900): nothing overlaps and nothing is
 * wider than the window, checked on the elements' boxes. Screenshots of each view are
 * attached to the test's results (test-results/, not the repository).
 */

const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1440, height: 900 },
] as const;

// a sweep of two models on a busy 2-core machine
const RUN_MS = 300_000;
test.describe.configure({ timeout: 900_000 });

type Box = { x: number; y: number; width: number; height: number };

async function box(l: Locator): Promise<Box> {
  const b = await l.boundingBox();
  expect(b, 'the element is laid out').not.toBeNull();
  expect(b!.width, 'the element has a width').toBeGreaterThan(0);
  return b!;
}

/** Two boxes share an area (touching edges do not count). */
function intersect(a: Box, b: Box): boolean {
  const eps = 0.5;
  return a.x + a.width - eps > b.x && b.x + b.width - eps > a.x && a.y + a.height - eps > b.y && b.y + b.height - eps > a.y;
}

async function expectApart(locators: Locator[], what: string) {
  const boxes = await Promise.all(locators.map(box));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) expect(intersect(boxes[i], boxes[j]), `${what} ${i + 1} and ${j + 1} overlap: ${JSON.stringify([boxes[i], boxes[j]])}`).toBe(false);
  }
}

/** Nothing makes the page wider than the window (the page would scroll sideways). */
async function expectNoSidewaysScroll(page: Page) {
  const { scrollWidth, innerWidth, widest } = await page.evaluate(() => {
    // the widest element sticking out on the right, to name the culprit when this fails
    let widest = '';
    let right = window.innerWidth;
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const r = el.getBoundingClientRect();
      if (r.right > right + 0.5 && getComputedStyle(el).position !== 'fixed') {
        // inside a box that scrolls sideways is fine: the page itself does not widen
        let clipped = false;
        for (let p = el.parentElement; p && p !== document.body && !clipped; p = p.parentElement) {
          const o = getComputedStyle(p).overflowX;
          if (o !== 'visible') clipped = p.getBoundingClientRect().right <= window.innerWidth + 0.5;
        }
        if (!clipped) {
          right = r.right;
          widest = `${el.tagName.toLowerCase()}.${Array.from(el.classList).join('.')} (right edge ${Math.round(r.right)})`;
        }
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, widest };
  });
  expect(widest, 'no element sticks out of the window').toBe('');
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

/** A full-page screenshot, written to the test's output folder (test-results/, ignored by git) and attached to its report. */
async function attach(page: Page, testInfo: TestInfo, name: string) {
  const file = testInfo.outputPath(name);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

test('compare view (the first-visit demo, three panes): nothing overlaps, nothing is wider than the window', async ({ page }, testInfo) => {
  // a fresh context: the first screen itself, with its explanation and three panes
  await page.setViewportSize(VIEWPORTS[1]);
  await page.goto('/');
  for (const n of [1, 2, 3]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on/, { timeout: RUN_MS });
  for (const vp of VIEWPORTS) {
    await page.setViewportSize(vp);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await expectNoSidewaysScroll(page);
    await expectApart([1, 2, 3].map((n) => pane(page, n)), 'panes');
    await expectApart(
      [page.getByRole('region', { name: 'Same equation, only the colours changed' }), page.getByRole('region', { name: 'Input' }), page.getByRole('region', { name: 'Perturbation' }), page.getByRole('region', { name: 'Models' }), page.locator('.compare')],
      'explanation, input, perturbation, models and compare',
    );
    // long LaTeX (the narrow model's misreading) wraps inside its pane
    const latex = await box(pane(page, 2).getByLabel('Predicted LaTeX'));
    const p2 = await box(pane(page, 2));
    expect(latex.x + latex.width).toBeLessThanOrEqual(p2.x + p2.width + 0.5);
    await attach(page, testInfo, `compare-${vp.width}x${vp.height}.png`);
  }
});

test('research view with two ladders: the tables never overlap, nothing is wider than the window', async ({ page }, testInfo) => {
  await page.setViewportSize(VIEWPORTS[1]);
  await page.goto('/');
  await expect(page.getByRole('img', { name: 'Input image' })).toBeVisible(); // the demo's example
  const r = await runSweep(page, { device: 'wasm', first: { label: 'Narrow (built-in)' }, second: { label: 'Augmented (built-in)' }, variable: 'colour', steps: 3 });
  await expect(r.getByRole('status', { name: 'Sweep status' })).toContainText('Sweep finished: 6 of 6', { timeout: RUN_MS });
  const ladders = [r.getByRole('table', { name: 'Ladder: Narrow (built-in)' }), r.getByRole('table', { name: 'Ladder: Augmented (built-in)' })];
  for (const vp of VIEWPORTS) {
    await page.setViewportSize(vp);
    await page.evaluate(() => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res))));
    await expectNoSidewaysScroll(page);
    await expectApart(ladders, 'ladder tables');
    await expectApart([page.getByRole('region', { name: 'Input' }), r], 'input and research');
    // every prediction stays in its own column (long LaTeX wraps)
    for (const ladder of ladders) {
      for (const row of await ladder.locator('tbody tr').all()) {
        const cells = await Promise.all((await row.locator(':scope > *').all()).map(box));
        for (let i = 1; i < cells.length; i++) expect(cells[i - 1].x + cells[i - 1].width).toBeLessThanOrEqual(cells[i].x + 0.5);
        const pred = await box(row.getByLabel('Predicted LaTeX'));
        expect(pred.x + pred.width, 'the prediction stays in its cell').toBeLessThanOrEqual(cells[2].x + cells[2].width + 0.5);
      }
    }
    await attach(page, testInfo, `research-${vp.width}x${vp.height}.png`);
  }
});
