import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, forbidExternalRequests, pane, openApp } from './helpers.ts';
import { DRAW_HEIGHT, DRAW_WIDTH } from '../../src/draw/strokes.ts';

/** Opens the app with both panes on WASM: headless Chromium's WebGPU is SwiftShader (software), far slower. */
async function open(page: Page) {
  await openApp(page);
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
}

const inputPanel = (page: Page) => page.getByRole('region', { name: 'Input' });
const b64 = (file: string) => fs.readFileSync(path.join(FIXTURES, file)).toString('base64');

/** Dark pixels in a canvas named `label` (null when absent): proves ink reached the image. */
async function darkPixels(page: Page, label: string): Promise<number | null> {
  return page.evaluate((l) => {
    const c = document.querySelector<HTMLCanvasElement>(`canvas[aria-label="${l}"]`);
    if (!c || !c.width) return null;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 3 * 100) n++;
    return n;
  }, label);
}

/** Model loading is slow on a loaded 2-core machine: generous waits for real predictions. */
const PREDICT_TIMEOUT = 240_000;

/** The input reached the panes: they are loading, recognising or done (not waiting for an equation). */
async function panesStart(page: Page) {
  for (const n of [1, 2]) await expect(pane(page, n).getByRole('status')).not.toHaveText(/Give an equation/);
}

/** Panes finished a prediction, with ink in what the model saw. */
async function panesPredict(page: Page, panes = [1, 2]) {
  for (const n of panes) {
    await expect(pane(page, n).getByRole('status')).toHaveText(/ms on (WEBGPU|WASM)/, { timeout: PREDICT_TIMEOUT });
    await expect(pane(page, n).getByLabel('Predicted LaTeX')).toBeVisible();
  }
  expect(await darkPixels(page, 'Model input, Pane 1')).toBeGreaterThan(20);
}

/** A 24-bit BMP (bottom-up rows) with a black bar on white. */
function bmp(w: number, h: number): Buffer {
  const row = Math.ceil((w * 3) / 4) * 4;
  const buf = Buffer.alloc(54 + row * h, 0);
  buf.write('BM', 0, 'ascii');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(w, 18);
  buf.writeInt32LE(h, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const ink = y > h / 3 && y < (2 * h) / 3 && x > w / 5 && x < (4 * w) / 5;
      buf.fill(ink ? 0 : 255, 54 + y * row + x * 3, 54 + y * row + x * 3 + 3);
    }
  }
  return buf;
}

test('upload: WebP, BMP and JPEG decode into the input', async ({ page }) => {
  const net = forbidExternalRequests(page);
  await open(page);
  const upload = page.getByLabel('Upload image');
  const inputWidth = () => page.evaluate(() => document.querySelector<HTMLCanvasElement>('canvas[aria-label="Input image"]')?.width ?? 0);
  // each file has another width than the one before, so each step proves a new decode
  await upload.setInputFiles(path.join(FIXTURES, 'pythagoras.webp'));
  await expect.poll(inputWidth).toBe(213);
  expect(await darkPixels(page, 'Input image')).toBeGreaterThan(50);
  await upload.setInputFiles({ name: 'bar.bmp', mimeType: 'image/bmp', buffer: bmp(120, 40) });
  await expect.poll(inputWidth).toBe(120);
  expect(await darkPixels(page, 'Input image')).toBeGreaterThan(500);
  await upload.setInputFiles(path.join(FIXTURES, 'pythagoras.jpg'));
  await expect.poll(inputWidth).toBe(213);
  expect(await darkPixels(page, 'Input image')).toBeGreaterThan(50);
  await panesStart(page);
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(net.external).toEqual([]);
});

test('paste an image from the clipboard, anywhere on the page', async ({ page }) => {
  await open(page);
  await expect(page.getByRole('img', { name: 'Input image (none)' })).toBeVisible();
  await page.evaluate((data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'clip.png', { type: 'image/png' }));
    document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, b64('fraction.png'));
  await expect(page.getByRole('img', { name: 'Input image', exact: true })).toBeVisible();
  await panesStart(page);
});

test('text pasted into the reference field stays text', async ({ page }) => {
  await open(page);
  const ref = inputPanel(page).getByRole('textbox', { name: 'Reference LaTeX' });
  await ref.focus();
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.setData('text/plain', 'x ^ { 2 }');
    document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  await expect(page.getByRole('img', { name: 'Input image (none)' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('drop an image file onto the page', async ({ page }) => {
  await open(page);
  const accepted = await page.evaluate((data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
    const target = document.querySelector('main') ?? document.body;
    const over = new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true });
    target.dispatchEvent(over);
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    return over.defaultPrevented; // the page accepts the drag (the browser would not open the file)
  }, b64('sum.png'));
  expect(accepted).toBe(true);
  await expect(page.getByRole('img', { name: 'Input image', exact: true })).toBeVisible();
  await panesStart(page);
});

test('draw with the mouse: panes predict; Undo, Redo, keyboard and Clear work', async ({ page }) => {
  test.setTimeout(600_000); // waits for model predictions
  await open(page);
  const panel = inputPanel(page);
  const drawToggle = panel.getByRole('button', { name: 'Draw', exact: true });
  await drawToggle.click();
  await expect(drawToggle).toHaveAttribute('aria-pressed', 'true');
  const canvas = panel.getByRole('img', { name: 'Drawing canvas' });
  await expect(canvas).toBeVisible();
  const box = (await canvas.boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  const stroke = async (from: readonly [number, number], to: readonly [number, number]) => {
    await page.mouse.move(...from);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(from[0] + ((to[0] - from[0]) * i) / 12, from[1] + ((to[1] - from[1]) * i) / 12);
    await page.mouse.up();
  };
  // "x + 1": two crossing strokes, a plus, a one
  await stroke(at(0.15, 0.3), at(0.3, 0.7));
  await stroke(at(0.3, 0.3), at(0.15, 0.7));
  await stroke(at(0.4, 0.5), at(0.55, 0.5));
  await stroke(at(0.475, 0.35), at(0.475, 0.65));
  await stroke(at(0.7, 0.3), at(0.7, 0.7));
  await expect(panel.getByText('5 strokes')).toBeVisible();
  // the canvas is drawn at its shown size: ink counts are per area of the drawing's own 800×300 units
  const perArea = (await canvas.evaluate((c) => (c as HTMLCanvasElement).width * (c as HTMLCanvasElement).height)) / (DRAW_WIDTH * DRAW_HEIGHT);
  expect(await darkPixels(page, 'Drawing canvas')).toBeGreaterThan(200 * perArea);
  await panesPredict(page, [1, 2]);

  const undo = panel.getByRole('button', { name: 'Undo' });
  const redo = panel.getByRole('button', { name: 'Redo' });
  await expect(redo).toBeDisabled();
  await undo.click();
  await expect(panel.getByText('4 strokes')).toBeVisible();
  await redo.click();
  await expect(panel.getByText('5 strokes')).toBeVisible();
  await canvas.focus();
  await page.keyboard.press('Control+z');
  await expect(panel.getByText('4 strokes')).toBeVisible();
  await page.keyboard.press('Control+Shift+Z');
  await expect(panel.getByText('5 strokes')).toBeVisible();
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+y');
  await expect(panel.getByText('5 strokes')).toBeVisible();

  // a wider stroke width draws more ink
  const before = (await darkPixels(page, 'Drawing canvas'))!;
  await panel.getByRole('slider', { name: 'Stroke width' }).fill('20');
  await stroke(at(0.8, 0.5), at(0.95, 0.5));
  await expect(panel.getByText('6 strokes')).toBeVisible();
  expect((await darkPixels(page, 'Drawing canvas'))! - before).toBeGreaterThan(1000 * perArea);

  await panel.getByRole('button', { name: 'Clear' }).click();
  await expect(panel.getByText('0 strokes')).toBeVisible();
  expect(await darkPixels(page, 'Drawing canvas')).toBe(0);
  await expect(pane(page, 1).getByRole('status')).toHaveText(/Give an equation/);
  // clearing is undoable
  await undo.click();
  await expect(panel.getByText('6 strokes')).toBeVisible();
  await expect(pane(page, 1).getByRole('status')).not.toHaveText(/Give an equation/);
});

test('examples: choosing one sets the input and the reference LaTeX', async ({ page }) => {
  test.setTimeout(600_000); // waits for model predictions
  const net = forbidExternalRequests(page);
  await open(page);
  const panel = inputPanel(page);
  await panel.getByRole('button', { name: 'Examples', exact: true }).click();
  const pyth = panel.getByRole('button', { name: /Pythagoras/ });
  await pyth.click();
  await expect(pyth).toHaveAttribute('aria-pressed', 'true');
  await expect(panel.getByLabel('Reference LaTeX')).toHaveValue('a ^ { 2 } + b ^ { 2 } = c ^ { 2 }');
  await panesPredict(page, [1]);
  // with a reference, each pane compares its prediction to it
  await expect(pane(page, 1).getByText(/vs reference/)).toBeVisible();

  const hand = panel.getByRole('button', { name: /Square roots \(handwritten\)/ });
  await hand.click();
  await expect(hand).toHaveAttribute('aria-pressed', 'true');
  await expect(pyth).toHaveAttribute('aria-pressed', 'false');
  await expect(panel.getByLabel('Reference LaTeX')).toHaveValue('\\sqrt { a b } = \\sqrt { a } \\sqrt { b }');
  await expect(panel.getByText(/CROHME 2014/)).toBeVisible();
  await expect
    .poll(() => page.evaluate(() => document.querySelector<HTMLCanvasElement>('canvas[aria-label="Input image"]')?.width))
    .toBe(256);

  // an upload afterwards clears the example's reference and shows the upload mode
  await panel.getByRole('button', { name: 'Upload', exact: true }).click();
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'greek.png'));
  await expect(panel.getByLabel('Reference LaTeX')).toHaveValue('');
  expect(net.external).toEqual([]);
});
