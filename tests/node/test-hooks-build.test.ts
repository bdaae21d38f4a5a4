/**
 * The test switches (src/worker-api/testHooks.ts: ?recognizeTimeoutMs, ?failWebGPU,
 * window.__ocrTest) must not exist in a production build: the app is built in memory without
 * and with VITE_TEST_HOOKS=1, and the JavaScript it ships (page and workers) is searched for
 * the code that reads them. The build with the flag proves the search finds it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, type Rollup } from 'vite';
import { ROOT } from '../../cli/common.ts';

/** Code that reads a test switch: the page's window hook, a query parameter read in the page or the worker. */
const HOOK_CODE = /__ocrTest|\.get\([`'"](?:recognizeTimeoutMs|failWebGPU)[`'"]\)/;

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latex-ocr-hooks-')); // the PWA plugin writes its service worker there
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

/** The JavaScript files of a build (in memory) whose code reads a test switch. */
async function filesWithHooks(flag: string | undefined): Promise<{ files: number; hooked: string[] }> {
  const before = process.env.VITE_TEST_HOOKS;
  if (flag === undefined) delete process.env.VITE_TEST_HOOKS;
  else process.env.VITE_TEST_HOOKS = flag;
  try {
    const out = await build({ root: ROOT, configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'silent', build: { write: false, outDir, emptyOutDir: true } });
    const outputs = (Array.isArray(out) ? out : [out]) as Rollup.RollupOutput[];
    const js = outputs.flatMap((o) => o.output).filter((f) => /\.m?js$/.test(f.fileName));
    const code = (f: (typeof js)[number]) => (f.type === 'chunk' ? f.code : typeof f.source === 'string' ? f.source : Buffer.from(f.source).toString('latin1'));
    return { files: js.length, hooked: js.filter((f) => HOOK_CODE.test(code(f))).map((f) => f.fileName.replace(/-[\w-]{8}\.js$/, '.js')).sort() };
  } finally {
    if (before === undefined) delete process.env.VITE_TEST_HOOKS;
    else process.env.VITE_TEST_HOOKS = before;
  }
}

describe('test switches and production builds', () => {
  it('a build without VITE_TEST_HOOKS=1 has no code that reads them', async () => {
    const { files, hooked } = await filesWithHooks(undefined);
    expect(files).toBeGreaterThan(3);
    expect(hooked).toEqual([]);
  });

  it('a build with VITE_TEST_HOOKS=1 (npm run test:e2e) has them, in the page and the OCR worker', async () => {
    const { hooked } = await filesWithHooks('1');
    expect(hooked).toEqual(['assets/index.js', 'assets/ocr.worker.js']);
  });
});
