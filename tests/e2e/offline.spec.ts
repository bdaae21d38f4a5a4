import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, SERVED_DIR, forbidExternalRequests, pane, openApp } from './helpers.ts';

/**
 * Offline PWA: the app shell comes from the service worker's precache, built-in model
 * files from the model cache the OCR worker fills on first use (or "Make available
 * offline" fills at once). Finished runs are read from the history (IndexedDB): a
 * precise signal that every pane finished on a *new* input.
 */

interface Run {
  name: string;
  origin: string;
  panes: { status: string; ranOn?: string; error?: string }[];
}

/** The history's runs, read straight from IndexedDB (never creating the database). */
function runs(page: Page): Promise<Run[]> {
  return page.evaluate(
    () =>
      new Promise<Run[]>((resolve) => {
        const req = indexedDB.open('latex-ocr-history');
        req.onupgradeneeded = () => req.transaction!.abort(); // not created yet: leave it to the app
        req.onerror = () => resolve([]);
        req.onsuccess = () => {
          const db = req.result;
          if (!db.objectStoreNames.contains('runs')) return resolve([]);
          const all = db.transaction('runs').objectStore('runs').getAll();
          all.onsuccess = () => {
            resolve(all.result.map((e) => ({ name: e.input.name, origin: e.input.origin, panes: e.panes })));
            db.close();
          };
          all.onerror = () => resolve([]);
        };
      }),
  );
}

/** Waits until n runs are recorded, and returns the newest. */
async function nthRun(page: Page, n: number, name?: RegExp): Promise<Run> {
  await expect.poll(async () => (await runs(page)).length, { timeout: RUN_MS }).toBe(n);
  const all = await runs(page);
  const run = name ? all.find((r) => name.test(r.name)) : all[all.length - 1];
  expect(run, `a run for ${name}`).toBeTruthy();
  return run!;
}

/** WASM in every pane: headless Chromium's software WebGPU takes 10+ s a recognition on a busy CI box. */
async function useWasm(page: Page) {
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
}

async function serviceWorkerReady(page: Page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
}

async function draw(page: Page) {
  await page.getByRole('button', { name: 'Draw', exact: true }).click();
  const canvas = page.getByRole('img', { name: 'Drawing canvas' });
  await expect(canvas).toBeVisible();
  const box = (await canvas.boundingBox())!;
  // "x^2": an x, then a small 2 up and to the right
  const strokes = [
    [[0.2, 0.35], [0.35, 0.7]],
    [[0.35, 0.35], [0.2, 0.7]],
    [[0.42, 0.2], [0.48, 0.15], [0.52, 0.25], [0.42, 0.38], [0.54, 0.38]],
  ];
  for (const s of strokes) {
    await page.mouse.move(box.x + s[0][0] * box.width, box.y + s[0][1] * box.height);
    await page.mouse.down();
    for (const [x, y] of s.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 8 });
    await page.mouse.up();
  }
}

const allDone = (r: Run) => r.panes.length >= 2 && r.panes.every((p) => p.status === 'done');

// generous: a busy 2-core CI box with the real models can take a minute per recognition
const RUN_MS = 300_000;
test.describe.configure({ timeout: 900_000 });

test('works offline after one online visit: an upload and a drawing are recognised with the network off', async ({ page, context }) => {
  const net = forbidExternalRequests(page);
  await openApp(page);
  await serviceWorkerReady(page);
  await useWasm(page);
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'pythagoras.png'));
  expect(allDone(await nthRun(page, 1))).toBe(true);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'LaTeX OCR Playground' })).toBeVisible();
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  await useWasm(page);

  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'sum.png'));
  const upload = await nthRun(page, 2, /sum\.png/);
  expect(upload.panes.map((p) => p.error ?? p.status)).toEqual(['done', 'done']);
  for (const n of [1, 2]) {
    await expect(pane(page, n).getByRole('status')).toContainText(/ms on WASM/);
    await expect(pane(page, n).getByRole('img', { name: 'Rendered prediction' })).toBeVisible();
  }

  await draw(page);
  await expect.poll(async () => (await runs(page)).some((r) => r.origin === 'drawing'), { timeout: RUN_MS }).toBe(true);
  const drawing = (await runs(page)).find((r) => r.origin === 'drawing')!;
  expect(drawing.panes.map((p) => p.error ?? p.status)).toEqual(['done', 'done']);
  expect(net.external).toEqual([]);
});

test('a first visit downloads each model file it uses once (transformers.js asks twice: a size probe, then the load)', async ({ page }) => {
  const asked = new Map<string, number>();
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (/^\/models\/[^/]+\/onnx\/[^/]+\.onnx$/.test(u.pathname)) asked.set(u.pathname, (asked.get(u.pathname) ?? 0) + 1);
  });
  await openApp(page);
  await useWasm(page);
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'pythagoras.png'));
  expect(allDone(await nthRun(page, 1))).toBe(true);
  // both panes ran the default WASM model: its q8 encoder and decoder, each sent once
  expect([...asked.keys()]).toEqual(expect.arrayContaining(['/models/augmented/onnx/encoder_model_quantized.onnx', '/models/augmented/onnx/decoder_model_merged_quantized.onnx']));
  expect(Object.fromEntries(asked)).toEqual(Object.fromEntries([...asked.keys()].map((k) => [k, 1])));
});

test('"Make available offline" stores every built-in model file, with progress; a model never used before then runs offline', async ({ page, context }) => {
  const net = forbidExternalRequests(page);
  await openApp(page);
  const index = await (await page.request.get('/models/index.json')).json();
  const files = index.models.reduce((n: number, m: { files: unknown[] }) => n + m.files.length, 0);
  expect(files).toBeGreaterThan(0);
  await serviceWorkerReady(page);

  await page.getByRole('button', { name: 'Make available offline' }).click();
  const status = page.getByRole('status', { name: 'Offline availability' });
  await expect(status).toContainText(`Built-in models available offline (${files} files`, { timeout: RUN_MS });
  const cached = await page.evaluate(async () => (await (await caches.open('latex-ocr-models-v1')).keys()).map((r) => new URL(r.url).pathname));
  for (const m of index.models) for (const f of m.files) expect(cached).toContain(`/models/${m.id}/${f.path}`);

  await context.setOffline(true);
  await page.reload();
  await expect(status).toContainText('Offline.');
  await useWasm(page);
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Model', exact: true }).selectOption({ label: 'Narrow (built-in)' });
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'fraction.png'));
  const run = await nthRun(page, 1);
  expect(run.panes.map((p) => p.error ?? p.status)).toEqual(['done', 'done']);
  expect(net.external).toEqual([]);
});

test("WASM's onnxruntime build is precached; a WebGPU build is cached when first used, then runs offline", async ({ page, context }) => {
  const net = forbidExternalRequests(page);
  await openApp(page);
  await serviceWorkerReady(page);
  await page.reload(); // now the service worker controls the page: its runtime cache applies
  const cachedWasm = () =>
    page.evaluate(async () => {
      const out: string[] = [];
      for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) if (/\.wasm$/.test(new URL(r.url).pathname)) out.push(`${name} ${new URL(r.url).pathname.split('/').pop()}`);
      return out;
    });
  const before = await cachedWasm();
  expect(before.filter((e) => /^workbox-precache.* ort-wasm-simd-threaded-[\w-]+\.wasm$/.test(e)), 'the plain WASM build is precached').toHaveLength(1);
  expect(before.filter((e) => /jspi|asyncify/.test(e)), 'no WebGPU build before WebGPU is used').toEqual([]);

  const { webgpu } = await page.evaluate(() => window.__ocrTest!.devices());
  test.skip(!webgpu, 'this browser has no WebGPU adapter');
  const gpuRun = async (file: string) => {
    await pane(page, 1).getByRole('combobox', { name: 'Device', exact: true }).selectOption('webgpu');
    await pane(page, 2).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
    await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, file));
    // SwiftShader (the CPU) in headless Chromium: seconds per formula
    await expect(pane(page, 1).getByRole('status')).toHaveText(/ms on WEBGPU/, { timeout: RUN_MS });
    await expect(pane(page, 2).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
  };
  await gpuRun('sum.png');
  const build = await page.evaluate(() => ('Suspending' in WebAssembly ? 'jspi' : 'asyncify'));
  expect((await cachedWasm()).filter((e) => e.startsWith('latex-ocr-webgpu-runtime ')).map((e) => e.split('.')[1].split('-')[0])).toEqual([build]);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'LaTeX OCR Playground' })).toBeVisible();
  await gpuRun('pythagoras.png');
  expect(net.external).toEqual([]);
});

test('a new version shows "Update available"; Reload switches to it and the history survives', async ({ page }) => {
  await openApp(page);
  await serviceWorkerReady(page);
  await page.reload();
  expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  await useWasm(page);
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, 'pythagoras.png'));
  await nthRun(page, 1);

  // deploy a "new version": same service worker with one changed byte (restored afterwards)
  const sw = path.join(SERVED_DIR, 'sw.js');
  const original = fs.readFileSync(sw, 'utf8');
  try {
    fs.writeFileSync(sw, `${original}\n// e2e update ${Date.now()}\n`);
    await page.evaluate(async () => {
      await (await navigator.serviceWorker.getRegistration())!.update();
    });
    await expect(page.getByText('Update available')).toBeVisible({ timeout: 30_000 });
  } finally {
    fs.writeFileSync(sw, original);
  }
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Reload', exact: true }).click()]);
  await expect(page.getByText('Update available')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'LaTeX OCR Playground' })).toBeVisible();
  await page.getByRole('button', { name: 'History' }).click();
  await expect(page.getByRole('dialog', { name: 'History' }).getByRole('listitem').filter({ hasText: 'pythagoras.png' }).first()).toBeVisible();
});
