import { expect, type Page, type Request } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '.cache', 'fixtures');

/** Fails the test if any request leaves the app's origin (offline-first, privacy). */
export function forbidExternalRequests(page: Page): { external: string[] } {
  const external: string[] = [];
  page.on('request', (r: Request) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) external.push(r.url());
  });
  return { external };
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
