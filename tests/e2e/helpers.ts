import { expect, type Page, type Request } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_SEEN_KEY } from '../../src/app/demo.ts';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '.cache', 'fixtures');

/** The build the tests are served: dist/, or the folder playwright.config.ts serves (E2E_OUT_DIR, as `npm run test:e2e` sets it). */
export const SERVED_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', process.env.E2E_OUT_DIR ?? 'dist');

/** Fails the test if any request leaves the app's origin (offline-first, privacy). */
export function forbidExternalRequests(page: Page): { external: string[] } {
  const external: string[] = [];
  page.on('request', (r: Request) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) external.push(r.url());
  });
  return { external };
}

/**
 * Opens the app (`path`: a query, a permalink hash) as a visitor who has dismissed the
 * first-visit demo (src/app/demo.ts): the empty start the specs build on. Set for the whole
 * context, so pages it opens later (a permalink in a new tab) start the same way. The demo's
 * own test (demo.spec.ts) opens a truly fresh context instead.
 */
export async function openApp(page: Page, path = '/') {
  await page.context().addInitScript((key) => {
    try {
      localStorage.setItem(key, '1');
    } catch {
      // about:blank and other opaque origins have no storage: only the app's pages matter
    }
  }, DEMO_SEEN_KEY);
  return page.goto(path);
}

export function pane(page: Page, n: number) {
  return page.getByRole('region', { name: `Pane ${n}` });
}

/** Waits until pane n shows a finished prediction and returns its LaTeX. */
export async function predictedLatex(page: Page, n: number): Promise<string> {
  const p = pane(page, n);
  await expect(p.getByLabel('Predicted LaTeX')).toBeVisible({ timeout: 90_000 });
  await expect(p).toHaveAttribute('aria-busy', 'false', { timeout: 90_000 });
  return (await p.getByLabel('Predicted LaTeX').textContent()) ?? '';
}
