import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, SERVED_DIR, forbidExternalRequests, openApp, pane } from './helpers.ts';

/**
 * Security: strict CSP (header in preview, meta tag in the build, public/_headers for static
 * hosts), no framing by other sites, cross-origin isolation (WASM threads), nothing leaves the
 * origin with the built-in models, and model output is never HTML.
 */

const ROOT = path.join(import.meta.dirname, '..', '..');

// generous: a busy 2-core CI box with the real models can take a minute per recognition
const RUN_MS = 300_000;
test.describe.configure({ timeout: 900_000 });

async function recognise(page: Page, file: string) {
  const png = fs.readFileSync(path.join(FIXTURES, file));
  await page.getByLabel('Upload image').setInputFiles(path.join(FIXTURES, file));
  await expect(page.getByRole('img', { name: 'Input image' })).toHaveAttribute('width', String(png.readUInt32BE(16)));
  for (const n of [1, 2]) await expect(pane(page, n).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
}

async function wasmPanes(page: Page) {
  for (const n of [1, 2]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
}

/** CSP violations reported in the page (recorded from before the app starts). */
async function watchCsp(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const consoleCsp: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) consoleCsp.push(m.text());
  });
  return async () => [...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)), ...consoleCsp];
}

test('a strict CSP is sent and set in the page, and the app runs under it (workers, WASM)', async ({ page }) => {
  const violations = await watchCsp(page);
  const res = (await openApp(page, '/'))!;
  const csp = res.headers()['content-security-policy'];
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-eval'/);
  // style sheets only from files; inline style attributes (KaTeX's layout) only
  expect(csp).toMatch(/(^|; )style-src 'self'(;|$)/);
  expect(csp).toContain("style-src-attr 'unsafe-inline'");
  // no framing by any site (clickjacking)
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res.headers()['x-frame-options']).toBe('DENY');
  // the meta tag is the same policy but frame-ancestors, which a meta tag cannot carry (the
  // browser would ignore it with a CSP console error)
  await expect(page.locator('meta[http-equiv="Content-Security-Policy"]')).toHaveAttribute('content', csp.replace("; frame-ancestors 'none'", ''));
  // no inline scripts in the built page
  expect(await page.locator('script:not([src])').count()).toBe(0);

  await wasmPanes(page);
  await recognise(page, 'pythagoras.png');
  const rendered = pane(page, 1).getByRole('img', { name: 'Rendered prediction' });
  await expect(rendered).toBeVisible();
  // KaTeX's layout (style attributes) was applied: its struts have a height
  await expect(rendered.locator('.katex-html .katex-strut').first()).toHaveAttribute('style', /height/);
  expect(await rendered.locator('.katex-html .katex-strut').first().evaluate((e) => e.getBoundingClientRect().height)).toBeGreaterThan(0);
  // a model card (markdown-it's HTML, with a table) renders under the same policy
  await page.getByRole('button', { name: 'Model card, Augmented (built-in)' }).click();
  await expect(page.getByRole('region', { name: 'Model card of Augmented (built-in)' }).getByRole('table').first()).toBeVisible();
  // nothing added <style> elements at run time (style-src 'self' would block them)
  expect(await page.locator('style').count()).toBe(0);
  expect(await violations()).toEqual([]);
});

test('no other site can show the app in a frame (clickjacking)', async ({ page, baseURL }) => {
  await page.setContent(`<iframe src="${baseURL}/" width="600" height="400"></iframe>`);
  await expect.poll(() => page.frames().length).toBe(2);
  const child = page.frames()[1];
  await child.waitForLoadState('load');
  // Chromium replaces a refused frame with its error page
  await expect.poll(() => child.url()).toMatch(/^chrome-error:/);
  expect(await child.locator('#root').count()).toBe(0);
});

test('the page is cross-origin isolated and onnxruntime can use more than one thread', async ({ page }) => {
  // two threads asked for (the default is half the cores: one on a 2-core machine)
  const res = (await openApp(page, '/?threads=2'))!;
  expect(res.headers()['cross-origin-opener-policy']).toBe('same-origin');
  expect(res.headers()['cross-origin-embedder-policy']).toBe('require-corp');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await wasmPanes(page);
  await recognise(page, 'sum.png');
  // read after a model ran: onnxruntime lowers numThreads to 1 when it cannot use threads
  const devices = await page.evaluate(() => window.__ocrTest!.devices());
  expect(devices.crossOriginIsolated).toBe(true);
  expect(devices.threads).toBe(2);
  // WASM runs onnxruntime's plain build, not the slower asyncify one that WebGPU needs
  expect(devices.runtime).toBe('plain');
});

test('?threads=1 (the one-thread rows of npm run bench) reaches the worker', async ({ page }) => {
  await openApp(page, '/?threads=1');
  await wasmPanes(page);
  await recognise(page, 'sum.png');
  expect((await page.evaluate(() => window.__ocrTest!.devices())).threads).toBe(1);
});

test('public/_headers (static hosting) sends the same isolation headers, CSP and X-Frame-Options as the preview server', async ({ page }) => {
  const res = (await openApp(page, '/'))!;
  const text = fs.readFileSync(path.join(ROOT, 'public', '_headers'), 'utf8');
  const header = (name: string) => new RegExp(`^\\s+${name}:\\s*(.+)$`, 'mi').exec(text)?.[1].trim();
  expect(header('Content-Security-Policy')).toBe(res.headers()['content-security-policy']);
  expect(header('Cross-Origin-Opener-Policy')).toBe('same-origin');
  expect(header('Cross-Origin-Embedder-Policy')).toBe('require-corp');
  expect(header('X-Frame-Options')).toBe(res.headers()['x-frame-options']);
  expect(header('X-Frame-Options')).toBe('DENY');
  expect(fs.existsSync(path.join(SERVED_DIR, '_headers'))).toBe(true);
});

test('with the built-in models no request leaves the origin', async ({ page }) => {
  const net = forbidExternalRequests(page);
  await openApp(page, '/');
  await wasmPanes(page);
  await recognise(page, 'pythagoras.png');
  await pane(page, 1).getByRole('combobox', { name: 'Model', exact: true }).selectOption({ label: 'Narrow (built-in)' });
  await expect(pane(page, 1).getByRole('status')).toHaveText(/ms on WASM/, { timeout: RUN_MS });
  for (const label of ['Augmented (built-in)', 'Narrow (built-in)']) {
    await page.getByRole('button', { name: `Model card, ${label}` }).click();
    await expect(page.getByRole('region', { name: `Model card of ${label}` })).not.toContainText('Loading…');
  }
  await page.getByRole('button', { name: 'Make available offline' }).click();
  await expect(page.getByRole('status', { name: 'Offline availability' })).toContainText('Built-in models available offline', { timeout: RUN_MS });
  await page.getByRole('button', { name: 'History', exact: true }).click();
  await expect(page.getByRole('dialog', { name: 'History' }).getByRole('listitem').first()).toBeVisible();
  expect(net.external).toEqual([]);
});

test('predicted text is never inserted as HTML (a model that "predicts" markup and javascript: links)', async ({ page }) => {
  // a copy of the built-in model whose every token is hostile text
  const dir = path.join(test.info().outputPath('models'), 'hostile-model');
  fs.cpSync(path.join(ROOT, 'models', 'augmented'), dir, { recursive: true, filter: (f) => !f.endsWith('.pt') && !f.endsWith('README.md') });
  const hostile = (id: number) => (id % 2 ? `<img src=x onerror=window.__xss=${id}>` : `\\href{javascript:window.__xss=${id}}{x${id}}`);
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  const write = (f: string, v: unknown) => fs.writeFileSync(path.join(dir, f), JSON.stringify(v));
  const tok = read('tokenizer.json');
  tok.model.vocab = Object.fromEntries(Object.values(tok.model.vocab as Record<string, number>).map((id) => [hostile(id), id]));
  tok.added_tokens = tok.added_tokens.map((t: { id: number }) => ({ ...t, content: hostile(t.id), special: false }));
  write('tokenizer.json', tok);
  write('tokenizer_config.json', { ...read('tokenizer_config.json'), pad_token: hostile(0), bos_token: hostile(1), eos_token: hostile(2), unk_token: hostile(3) });
  write('generation_config.json', { ...read('generation_config.json'), eos_token_id: 100_000, max_new_tokens: 4 });

  const errors: Error[] = [];
  page.on('pageerror', (e) => errors.push(e));
  page.on('dialog', (d) => void d.dismiss());
  await openApp(page, '/');
  await wasmPanes(page);
  await page.getByLabel('Load model folder').setInputFiles(dir);
  await expect(page.getByRole('region', { name: 'Models' }).getByRole('status')).toContainText('Added "hostile-model (your folder)"');
  await pane(page, 1).getByRole('combobox', { name: 'Model', exact: true }).selectOption({ label: 'hostile-model (your folder)' });
  await recognise(page, 'pythagoras.png');

  const latex = pane(page, 1).getByLabel('Predicted LaTeX');
  await expect(latex).toContainText(/<img src=x onerror=|\\href\{javascript:/);
  await expect(pane(page, 1).getByRole('img', { name: 'Rendered prediction' })).toBeVisible();
  await page.getByRole('button', { name: 'History', exact: true }).click();
  await expect(page.getByRole('dialog', { name: 'History' })).toContainText(/<img src=x onerror=|\\href\{javascript:/);

  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
  expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
  expect(errors).toEqual([]);
});

test('a permalink naming a Hugging Face model downloads nothing until the visitor agrees', async ({ page }) => {
  const net = forbidExternalRequests(page);
  // no example image: the panes have nothing to recognise, the test is about the model alone
  await openApp(page, '/#v=1&pane=original~builtin:narrow~wasm~&pane=perturbed~hub:someone/latex-ocr~wasm~&r.var=blur&r.from=0&r.to=2&r.steps=3&r.models=hub:someone/latex-ocr&r.dev=wasm');
  const prompt = page.getByRole('region', { name: 'Download someone/latex-ocr from Hugging Face?' });
  await expect(prompt).toContainText('Nothing has been downloaded');
  // restored with the built-in model in its place; the hub model is not in any menu yet
  await expect(pane(page, 2).getByRole('combobox', { name: 'Model', exact: true })).toHaveValue('builtin:augmented');
  await expect(pane(page, 2).getByRole('option', { name: /someone\/latex-ocr/ })).toHaveCount(0);
  await page.waitForTimeout(1000);
  expect(net.external).toEqual([]);

  // consent: the button names the model; the pane and the sweep get it back (its download would start now)
  await page.route('https://huggingface.co/**', (r) => r.abort());
  await prompt.getByRole('button', { name: 'Download someone/latex-ocr from Hugging Face' }).click();
  await expect(prompt).toHaveCount(0);
  await expect(pane(page, 2).getByRole('combobox', { name: 'Model', exact: true })).toHaveValue('hub:someone/latex-ocr');
  await expect(pane(page, 1).getByRole('combobox', { name: 'Model', exact: true })).toHaveValue('builtin:narrow');
});

test('a permalink offer can be declined: the built-in model stays and nothing is downloaded', async ({ page }) => {
  const net = forbidExternalRequests(page);
  await openApp(page, '/#v=1&pane=original~hub:someone/latex-ocr~wasm~');
  const prompt = page.getByRole('region', { name: 'Download someone/latex-ocr from Hugging Face?' });
  await prompt.getByRole('button', { name: 'Keep the built-in model' }).click();
  await expect(prompt).toHaveCount(0);
  await expect(pane(page, 1).getByRole('combobox', { name: 'Model', exact: true })).toHaveValue('builtin:augmented');
  expect(net.external).toEqual([]);
});
