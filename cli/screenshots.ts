/**
 * npm run screenshots: the README's screenshots (docs/screenshots/*.png), taken from the
 * built app in Debian's Chromium with the shipped models, so they show real predictions.
 *
 *   compare.png   the Pythagoras example; Pane 2 recoloured white on blue; both panes on
 *                 the narrow model (the shortcut), a third pane on the augmented one
 *   research.png  research mode: the colour sweep from black-on-white to white-on-blue,
 *                 both models, ladder and chart
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { chromium, type Page } from 'playwright-core';
import { ROOT } from './common.ts';
import { runSweep } from '../tests/e2e/sweep.ts';

const PORT = 4391;
const OUT = path.join(ROOT, 'docs', 'screenshots');
const ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function waitFor(url: string, ms = 60_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not come up`);
}

const pane = (page: Page, n: number) => page.getByRole('region', { name: `Pane ${n}` });

async function settled(page: Page, n: number) {
  await pane(page, n).getByRole('status').filter({ hasText: /ms on|Failed/ }).waitFor({ timeout: 180_000 });
}

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.html'))) throw new Error('build the app first (npx vite build)');
  fs.mkdirSync(OUT, { recursive: true });
  const server = spawn(path.join(ROOT, 'node_modules', '.bin', 'vite'), ['preview', '--port', String(PORT), '--strictPort', '--host', '127.0.0.1'], { cwd: ROOT, stdio: 'ignore' });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ARGS });
  try {
    const base = `http://127.0.0.1:${PORT}`;
    await waitFor(base);
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
    await page.goto(base + '/');
    // a first visit opens on the demo (src/app/demo.ts): the printed example, narrow as given,
    // narrow on white on blue, augmented on white on blue
    await pane(page, 3).waitFor({ timeout: 60_000 });
    for (const n of [1, 2, 3]) await pane(page, n).getByRole('combobox', { name: 'Device', exact: true }).selectOption('wasm');
    for (const n of [1, 2, 3]) await settled(page, n);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(OUT, 'compare.png'), fullPage: false });

    const r = await runSweep(page, { device: 'wasm', first: { label: 'Narrow (built-in)' }, second: { label: 'Augmented (built-in)' }, variable: 'colour', steps: 6 });
    await r.getByRole('status', { name: 'Sweep status' }).filter({ hasText: 'Sweep finished' }).waitFor({ timeout: 300_000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(OUT, 'research.png'), fullPage: false });
    for (const f of ['compare.png', 'research.png']) console.log(path.join(OUT, f), fs.statSync(path.join(OUT, f)).size, 'bytes');
  } finally {
    await browser.close();
    server.kill();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
