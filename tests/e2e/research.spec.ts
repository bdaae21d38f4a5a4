import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, forbidExternalRequests, pane, predictedLatex, openApp } from './helpers.ts';
import { parseCsv } from '../../src/research/export.ts';
import { presetExample } from '../../src/input/examples.ts';
import { runSweep } from './sweep.ts';

const LADDERS = ['Ladder: Augmented (built-in)', 'Ladder: Narrow (built-in)'];

async function openResearch(page: Page) {
  await page.getByRole('button', { name: 'Research', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Research' })).toBeVisible();
}

async function setSweep(page: Page, opts: { variable?: string; steps: number; from?: number; to?: number }) {
  const r = page.getByRole('region', { name: 'Research' });
  // WASM: headless Chromium's WebGPU is SwiftShader (software), far slower
  await r.getByRole('combobox', { name: 'Sweep device' }).selectOption('wasm');
  await r.getByRole('combobox', { name: 'First model' }).selectOption({ label: 'Augmented (built-in)' });
  await r.getByRole('combobox', { name: 'Second model' }).selectOption({ label: 'Narrow (built-in)' });
  if (opts.variable) await r.getByRole('combobox', { name: 'Variable' }).selectOption(opts.variable);
  if (opts.from !== undefined) await r.getByRole('spinbutton', { name: 'From', exact: true }).fill(String(opts.from));
  if (opts.to !== undefined) await r.getByRole('spinbutton', { name: 'To', exact: true }).fill(String(opts.to));
  await r.getByRole('spinbutton', { name: 'Steps' }).fill(String(opts.steps));
}

test('a 5-step sweep with two models: ladder, chart, CSV, JSON and PNG exports', async ({ page }) => {
  const net = forbidExternalRequests(page);
  // two models × 5 steps plus two model loads, on a 2-core machine
  test.setTimeout(300_000);
  await openApp(page);
  // research first: the (hidden) Compare panes then do not recognise the upload ahead of the sweep
  await openResearch(page);
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'pythagoras.png'));
  await expect(page.getByRole('img', { name: 'Input image' })).toBeVisible();
  await setSweep(page, { variable: 'colour', steps: 5 });
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(page.getByRole('progressbar', { name: 'Sweep progress' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Sweep status' })).toContainText('Sweep finished: 10 of 10 recognitions', { timeout: 240_000 });
  await expect(page.getByRole('progressbar', { name: 'Sweep progress' })).toHaveCount(0);

  for (const name of LADDERS) {
    const ladder = page.getByRole('table', { name });
    await expect(ladder.locator('tbody tr')).toHaveCount(5);
    // each row: the step image, and a prediction (rendered or its error in place) or the recognition error
    await expect(ladder.getByRole('img', { name: /^Step \d image$/ })).toHaveCount(5);
    for (const row of await ladder.locator('tbody tr').all()) {
      await expect(row.getByLabel('Predicted LaTeX').or(row.locator('.pane-error'))).toBeVisible();
    }
  }
  const chart = page.getByRole('figure', { name: 'Sweep chart' });
  await expect(chart.locator('canvas')).toHaveCount(1);
  const box = await chart.locator('canvas').boundingBox();
  expect(box!.width).toBeGreaterThan(200);
  await expect(chart).toContainText('Augmented (built-in)');
  await expect(chart).toContainText('Narrow (built-in)');

  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  expect(csvDl.suggestedFilename()).toMatch(/^latex-ocr-sweep-colour-.*\.csv$/);
  const csv = parseCsv(fs.readFileSync((await csvDl.path())!, 'utf8'));
  expect(csv[0]).toEqual(['step', 'value', 'model', 'latex', 'edit_distance', 'mean_confidence', 'ms']);
  expect(csv).toHaveLength(11);
  expect(csv.slice(1).every((r) => r.length === 7)).toBe(true);
  expect(csv.slice(1).map((r) => r[1])).toEqual(['0', '0.25', '0.5', '0.75', '1', '0', '0.25', '0.5', '0.75', '1']);
  expect(new Set(csv.slice(1).map((r) => r[2]))).toEqual(new Set(['builtin:augmented', 'builtin:narrow']));

  const [jsonDl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download JSON' }).click()]);
  const doc = JSON.parse(fs.readFileSync((await jsonDl.path())!, 'utf8'));
  expect(doc).toMatchObject({ kind: 'latex-ocr-sweep', variable: { id: 'colour' }, steps: 5, complete: true, image: { name: 'pythagoras.png' } });
  expect(doc.rows).toHaveLength(10);
  expect(doc.plan[4].settings).toMatchObject({ ink: '#ffffff', paper: '#1e40af' });

  const [pngDl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download PNG' }).click()]);
  const png = fs.readFileSync((await pngDl.path())!);
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  expect(png.readUInt32BE(16)).toBe(1200); // IHDR width
  expect(png.readUInt32BE(20)).toBeGreaterThan(10 * 64); // ten rows at least

  expect(net.external).toEqual([]);
});

test('a sweep can be cancelled and keeps the rows so far', async ({ page }) => {
  test.setTimeout(240_000);
  await openApp(page);
  await openResearch(page);
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'fraction.png'));
  await setSweep(page, { variable: 'invert', steps: 50 });
  await page.getByRole('button', { name: 'Run sweep' }).click();
  const bar = page.getByRole('progressbar', { name: 'Sweep progress' });
  await expect(bar).toBeVisible();
  // polled often: an unloaded machine reads one step in tens of milliseconds
  await expect.poll(async () => Number(await bar.getAttribute('value')), { timeout: 180_000, intervals: [50] }).toBeGreaterThanOrEqual(2);
  await page.getByRole('button', { name: 'Cancel sweep' }).click();
  const status = page.getByRole('status', { name: 'Sweep status' });
  await expect(status).toContainText(/Sweep cancelled: \d+ of 100 recognitions/);
  await expect(bar).toHaveCount(0);
  // the rows so far (the first model's steps, then the second's), and no more
  const done = Number(/cancelled: (\d+) of/.exec((await status.textContent()) ?? '')![1]);
  let rows = 0;
  for (const name of LADDERS) rows += await page.getByRole('table', { name }).locator('tbody tr').count();
  expect(rows).toBe(done);
  expect(done).toBeGreaterThanOrEqual(2);
  expect(done).toBeLessThan(100);
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeEnabled();
});

test('permalink round trip: example, colours, panes, mode and sweep settings restored in a new page', async ({ page, context }) => {
  const net = forbidExternalRequests(page);
  const printed = presetExample('printed');
  await openApp(page);
  await openResearch(page);
  // preset (b): the printed example, white on blue, both models, opened in Compare
  await page.getByRole('button', { name: 'Open in Compare: preset (b) Only the colours changed' }).click();
  await expect(page.getByRole('button', { name: 'Compare', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('textbox', { name: 'Reference LaTeX' })).toHaveValue(printed.latex);
  await expect(pane(page, 1).getByRole('combobox', { name: /^Model/ })).toHaveValue('builtin:augmented');
  await expect(pane(page, 2).getByRole('combobox', { name: /^Model/ })).toHaveValue('builtin:narrow');
  await pane(page, 2).getByRole('combobox', { name: /^Device/ }).selectOption('wasm');
  await openResearch(page);
  await setSweep(page, { variable: 'blur', steps: 7, from: 0.5, to: 3 });
  await page.getByRole('button', { name: 'Copy permalink' }).click();
  const url = await page.getByRole('textbox', { name: 'Permalink' }).inputValue();
  expect(url).toContain('#v=1');
  expect(new URL(url).hash).toContain(`ex=${printed.id}`);

  const other = await context.newPage();
  const net2 = forbidExternalRequests(other);
  await other.goto(url);
  await expect(other.getByRole('button', { name: 'Research', exact: true })).toHaveAttribute('aria-pressed', 'true');
  const r = other.getByRole('region', { name: 'Research' });
  await expect(r.getByRole('combobox', { name: 'Variable' })).toHaveValue('blur');
  await expect(r.getByRole('spinbutton', { name: 'Steps' })).toHaveValue('7');
  await expect(r.getByRole('spinbutton', { name: 'From', exact: true })).toHaveValue('0.5');
  await expect(r.getByRole('spinbutton', { name: 'To', exact: true })).toHaveValue('3');
  await expect(r.getByRole('combobox', { name: 'First model' })).toHaveValue('builtin:augmented');
  await expect(r.getByRole('combobox', { name: 'Second model' })).toHaveValue('builtin:narrow');
  await expect(r.getByRole('combobox', { name: 'Sweep device' })).toHaveValue('wasm');
  await expect(other.getByRole('textbox', { name: 'Reference LaTeX' })).toHaveValue(printed.latex);
  await expect(other.getByRole('img', { name: 'Input image' })).toBeVisible();
  await expect(other.getByLabel('Ink colour')).toHaveValue('#ffffff');
  await expect(other.getByLabel('Paper colour')).toHaveValue('#1e40af');
  await other.getByRole('button', { name: 'Compare', exact: true }).click();
  await expect(pane(other, 1).getByRole('combobox', { name: /^Model/ })).toHaveValue('builtin:augmented');
  await expect(pane(other, 2).getByRole('combobox', { name: /^Model/ })).toHaveValue('builtin:narrow');
  await expect(pane(other, 2).getByRole('combobox', { name: /^Device/ })).toHaveValue('wasm');
  await expect(pane(other, 2).getByRole('combobox', { name: /^Image/ })).toHaveValue('perturbed');
  await expect(other.getByRole('alert')).toHaveCount(0);
  expect(net.external).toEqual([]);
  expect(net2.external).toEqual([]);
});

test('a broken permalink shows an alert and the app keeps working', async ({ page }) => {
  await openApp(page, '/#v=1&ex=no-such-example&p.invert=oops&mode=research');
  await expect(page.getByRole('alert').first()).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: 'no-such-example' })).toHaveCount(1);
  await expect(page.getByRole('alert').filter({ hasText: '"invert" has a bad value' })).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Research', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'pythagoras.png'));
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeEnabled();
});

test('token confidence in a pane: tokens with probabilities, mean and minimum', async ({ page }) => {
  test.setTimeout(240_000);
  await openApp(page);
  // WASM: quicker to load here than the software WebGPU adapter of headless Chromium
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: /^Device/ }).selectOption('wasm');
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'pythagoras.png'));
  const conf = pane(page, 1).getByRole('group', { name: 'Token confidence, Pane 1' });
  await expect(conf).toBeVisible({ timeout: 200_000 });
  // placeholder models often predict nothing: then it must say "No tokens"; otherwise the numbers and focusable tokens
  const latex = await predictedLatex(page, 1);
  if (latex.trim() === '' && ((await conf.textContent()) ?? '').includes('No tokens')) {
    await expect(conf.locator('.conf-tok')).toHaveCount(0);
    return;
  }
  await expect(conf.getByTestId('mean-confidence')).toHaveText(/^\d+(\.\d)?%$/);
  await expect(conf.getByTestId('min-confidence')).toHaveText(/^\d+(\.\d)?%$/);
  const first = conf.locator('.conf-tok').first();
  await first.focus();
  await expect(conf.getByRole('tooltip').first()).toBeVisible();
  await expect(conf.getByRole('tooltip').first()).toContainText('%');
});

/** Dark pixels of a canvas found by its accessible name (inside `scope` when given). */
async function darkPixels(page: Page, name: string): Promise<number> {
  return page.getByRole('img', { name, exact: true }).first().evaluate((c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 3 * 128) n++;
    return n;
  });
}

test('a drawing: stroke-width sweep re-rasterises the strokes; its permalink carries the strokes', async ({ page, context }) => {
  test.setTimeout(300_000);
  await openApp(page);
  await openResearch(page);
  const input = page.getByRole('region', { name: 'Input' });
  await input.getByRole('button', { name: 'Draw', exact: true }).click();
  const canvas = input.getByRole('img', { name: 'Drawing canvas' });
  const box = (await canvas.boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  const stroke = async (from: readonly [number, number], to: readonly [number, number]) => {
    await page.mouse.move(...from);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(from[0] + ((to[0] - from[0]) * i) / 10, from[1] + ((to[1] - from[1]) * i) / 10);
    await page.mouse.up();
  };
  await stroke(at(0.2, 0.5), at(0.4, 0.5));
  await stroke(at(0.3, 0.3), at(0.3, 0.7));
  await stroke(at(0.6, 0.3), at(0.6, 0.7));
  await expect(input.getByText('3 strokes')).toBeVisible();

  const r = page.getByRole('region', { name: 'Research' });
  await runSweep(page, { device: 'wasm', first: 'builtin:narrow', second: '', variable: 'strokeWidth', from: 2, to: 16, steps: 3 });
  await expect(r.getByRole('status', { name: 'Sweep status' })).toContainText('Sweep finished: 3 of 3 recognitions', { timeout: 240_000 });
  await expect(r.getByRole('table', { name: 'Ladder: Narrow (built-in)' }).locator('tbody tr')).toHaveCount(3);
  await expect(r.getByRole('table', { name: /^Ladder/ })).toHaveCount(1); // one model, one ladder
  const thin = await darkPixels(page, 'Step 0 image');
  const mid = await darkPixels(page, 'Step 1 image');
  const thick = await darkPixels(page, 'Step 2 image');
  expect(thin).toBeGreaterThan(50);
  expect(mid).toBeGreaterThan(thin * 1.5);
  expect(thick).toBeGreaterThan(mid * 1.3);

  await page.getByRole('button', { name: 'Copy permalink' }).click();
  const url = await page.getByRole('textbox', { name: 'Permalink' }).inputValue();
  expect(new URL(url).hash).toMatch(/[#&]draw=[A-Za-z0-9_-]+/);
  const other = await context.newPage();
  await other.goto(url);
  const input2 = other.getByRole('region', { name: 'Input' });
  // a drawing comes back as strokes, shown in Draw mode
  await expect(input2.getByRole('button', { name: 'Draw', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await expect(input2.getByText('3 strokes')).toBeVisible();
  const r2 = other.getByRole('region', { name: 'Research' });
  await expect(r2.getByRole('combobox', { name: 'Variable' })).toHaveValue('strokeWidth');
  await expect(r2.getByRole('combobox', { name: 'First model' })).toHaveValue('builtin:narrow');
  await expect(r2.getByRole('combobox', { name: 'Second model' })).toHaveValue('');
  // the strokes came back: the stroke-width sweep can run on them
  await expect(r2.getByRole('button', { name: 'Run sweep' })).toBeEnabled();
  await expect(other.getByRole('alert')).toHaveCount(0);
});
