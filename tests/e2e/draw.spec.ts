import { test, expect, type Locator, type Page } from '@playwright/test';
import { openApp, pane } from './helpers.ts';
import { RECOGNISE_AFTER_MS } from '../../src/draw/strokes.ts';

/**
 * The drawing surface (src/draw/DrawPanel.tsx): as wide as its place, strokes kept through a
 * resize, recognised a moment after the last stroke, and drawn with a mouse or a finger.
 */

// generous: a busy 2-core CI box with the real models can take a minute per recognition
const RUN_MS = 300_000;
test.describe.configure({ timeout: 600_000 });

type Pt = readonly [number, number];
/** A fraction "1 over 2" in fractions of the canvas: the digit above, the bar, the digit below. */
const FRACTION: Pt[][] = [
  [
    [0.5, 0.08],
    [0.5, 0.38],
  ],
  [
    [0.36, 0.5],
    [0.64, 0.5],
  ],
  [
    [0.44, 0.68],
    [0.5, 0.61],
    [0.56, 0.68],
    [0.45, 0.92],
    [0.58, 0.92],
  ],
];

/** Points along a polyline, `steps` per segment (a pointer reports many points per stroke). */
function along(stroke: Pt[], steps = 8): Pt[] {
  const out: Pt[] = [stroke[0]];
  for (let i = 1; i < stroke.length; i++) {
    const [a, b] = [stroke[i - 1], stroke[i]];
    for (let s = 1; s <= steps; s++) out.push([a[0] + ((b[0] - a[0]) * s) / steps, a[1] + ((b[1] - a[1]) * s) / steps]);
  }
  return out;
}

const inputPanel = (page: Page) => page.getByRole('region', { name: 'Input' });
const canvasOf = (page: Page) => inputPanel(page).getByRole('img', { name: 'Drawing canvas' });

async function startDrawing(page: Page): Promise<Locator> {
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
  await inputPanel(page).getByRole('button', { name: 'Draw', exact: true }).click();
  const canvas = canvasOf(page);
  await expect(canvas).toBeVisible();
  return canvas;
}

/** Ink pixels in the canvas's backing store, and its size. */
function ink(canvas: Locator) {
  return canvas.evaluate((c) => {
    const el = c as HTMLCanvasElement;
    const d = el.getContext('2d')!.getImageData(0, 0, el.width, el.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 3 * 100) n++;
    return { n, width: el.width, height: el.height, cssWidth: el.clientWidth, cssHeight: el.clientHeight, dpr: Math.min(3, Math.max(1, devicePixelRatio)) };
  });
}

async function mouseStroke(page: Page, canvas: Locator, stroke: Pt[], opts: { up?: boolean } = {}) {
  const b = (await canvas.boundingBox())!;
  const pts = along(stroke).map(([fx, fy]) => [b.x + fx * b.width, b.y + fy * b.height] as const);
  await page.mouse.move(...pts[0]);
  await page.mouse.down();
  for (const p of pts.slice(1)) await page.mouse.move(...p);
  if (opts.up !== false) await page.mouse.up();
}

const giveAnEquation = (page: Page) => expect(pane(page, 1).getByRole('status')).toHaveText(/Give an equation/);

test('mouse: the canvas uses the width it has, recognises a moment after the last stroke, and keeps its strokes when resized', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  // a controllable clock: "a moment after the last stroke" is checked in the page's own time
  await page.clock.install();
  await openApp(page);
  const canvas = await startDrawing(page);

  // on a desktop the drawing gets a wider column: at least as wide as a pane, which stays in view beside it
  const wide = (await canvas.boundingBox())!;
  const pane1 = (await pane(page, 1).boundingBox())!;
  expect(wide.width).toBeGreaterThanOrEqual(pane1.width);
  expect(pane1.x).toBeGreaterThanOrEqual(wide.x + wide.width);
  expect(pane1.y).toBeLessThan(900);
  expect(wide.width / wide.height).toBeCloseTo(800 / 300, 1);

  await page.clock.pauseAt(Date.now() + 1000);
  await mouseStroke(page, canvas, FRACTION[0]);
  // a new stroke begun before the moment is up: nothing is recognised while it is drawn
  await page.clock.runFor(RECOGNISE_AFTER_MS - 200);
  await mouseStroke(page, canvas, FRACTION[1], { up: false });
  await page.clock.runFor(RECOGNISE_AFTER_MS);
  await page.waitForTimeout(300); // a render, had the input been set
  await giveAnEquation(page);
  await page.mouse.up();
  await mouseStroke(page, canvas, FRACTION[2]);
  await expect(inputPanel(page).getByText('3 strokes')).toBeVisible();
  // the pause after the last stroke: not yet just before the moment, then recognised
  await page.clock.runFor(RECOGNISE_AFTER_MS - 50);
  await page.waitForTimeout(300);
  await giveAnEquation(page);
  await page.clock.runFor(100);
  await expect(pane(page, 1).getByRole('status')).not.toHaveText(/Give an equation/);
  await page.clock.resume();
  for (const n of [1, 2]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
  await expect(pane(page, 1).getByLabel('Predicted LaTeX')).toBeVisible();

  // drawn at the screen's resolution, from the strokes
  const before = await ink(canvas);
  expect(before.width).toBe(Math.round(before.cssWidth * before.dpr));
  expect(before.n).toBeGreaterThan(300);
  const inputBefore = await pane(page, 1).getByRole('img', { name: 'Model input, Pane 1' }).evaluate((c) => (c as HTMLCanvasElement).toDataURL());

  // a phone-sized window: the canvas shrinks to fit, redrawn with the same strokes
  await page.setViewportSize({ width: 390, height: 844 });
  await expect.poll(async () => (await ink(canvas)).cssWidth).toBeLessThan(before.cssWidth);
  const small = await ink(canvas);
  const box = (await canvas.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  expect(small.width).toBe(Math.round(small.cssWidth * small.dpr));
  // the same drawing at a smaller scale: ink in proportion to the area (strokes scale with it)
  const scale = (small.width * small.height) / (before.width * before.height);
  expect(small.n).toBeGreaterThan(before.n * scale * 0.5);
  expect(small.n).toBeLessThan(before.n * scale * 2);
  await expect(inputPanel(page).getByText('3 strokes')).toBeVisible();
  // the strokes live in the drawing's coordinates: the input (and so the prediction) did not change
  await page.waitForTimeout(RECOGNISE_AFTER_MS + 300);
  expect(await pane(page, 1).getByRole('img', { name: 'Model input, Pane 1' }).evaluate((c) => (c as HTMLCanvasElement).toDataURL())).toBe(inputBefore);
  await expect(pane(page, 1).getByRole('status')).toHaveText(/ms on WASM/);

  // and back: the full width again, the same strokes
  await page.setViewportSize({ width: 1440, height: 900 });
  await expect.poll(async () => (await ink(canvas)).cssWidth).toBe(before.cssWidth);
  const again = await ink(canvas);
  expect(Math.abs(again.n - before.n)).toBeLessThan(before.n * 0.02);
});

test('touch: a fraction drawn with a finger is recognised, and the page does not scroll under the finger', async ({ browser }) => {
  const context = await browser.newContext({ hasTouch: true, viewport: { width: 390, height: 844 } });
  try {
    const page = await context.newPage();
    await openApp(page);
    const canvas = await startDrawing(page);
    // the page is longer than the window, so a finger dragging down could scroll it
    expect(await page.evaluate(() => document.documentElement.scrollHeight > innerHeight)).toBe(true);
    await canvas.scrollIntoViewIfNeeded();
    await page.evaluate(() => {
      const w = window as unknown as { __pointerTypes: string[] };
      w.__pointerTypes = [];
      document.querySelector('canvas[aria-label="Drawing canvas"]')!.addEventListener('pointerdown', (e) => w.__pointerTypes.push((e as PointerEvent).pointerType));
    });
    const scrollBefore = await page.evaluate(() => scrollY);
    const b = (await canvas.boundingBox())!;
    const cdp = await context.newCDPSession(page);
    for (const stroke of FRACTION) {
      const pts = along(stroke).map(([fx, fy]) => ({ x: b.x + fx * b.width, y: b.y + fy * b.height }));
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [pts[0]] });
      for (const p of pts.slice(1)) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [p] });
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    }
    expect(await page.evaluate(() => (window as unknown as { __pointerTypes: string[] }).__pointerTypes)).toEqual(['touch', 'touch', 'touch']);
    await expect(inputPanel(page).getByText('3 strokes')).toBeVisible();
    expect(await page.evaluate(() => scrollY)).toBe(scrollBefore);
    expect((await ink(canvas)).n).toBeGreaterThan(100);
    for (const n of [1, 2]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
    await expect(pane(page, 1).getByLabel('Predicted LaTeX')).toBeVisible();
  } finally {
    await context.close();
  }
});
