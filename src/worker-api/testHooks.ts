/// <reference types="vite/client" />
/**
 * The test switches (tests/e2e): ?recognizeTimeoutMs=N shortens the time limit of one
 * recognition (to exercise a hung worker), ?failWebGPU=1 makes WebGPU model loading fail in
 * the worker (to exercise the WASM fallback), and window.__ocrTest crashes or hangs the
 * worker and reads its state. A visitor must not be able to do any of that, so they exist only
 * in builds made with VITE_TEST_HOOKS=1 (npm run test:e2e); elsewhere TEST_HOOKS is the
 * constant false and the bundler drops the code behind it.
 */

/** Whether a build with these environment variables has the test switches. */
export function testHooksEnabled(env: { VITE_TEST_HOOKS?: unknown } | undefined): boolean {
  return env?.VITE_TEST_HOOKS === '1';
}

// written out (not testHooksEnabled(import.meta.env)) so that Vite replaces it with a literal
export const TEST_HOOKS: boolean = import.meta.env.VITE_TEST_HOOKS === '1';

export interface TestSwitches {
  /** Time limit of one recognition, 100 ms to 10 min. */
  recognizeTimeoutMs?: number;
  /** Make WebGPU model loading fail in the worker. */
  failWebGPU?: boolean;
}

/**
 * What the test switches in a page's query string ask for. Call it only where TEST_HOOKS
 * (`TEST_HOOKS ? testSwitchesOf(search) : {}`), so that production builds drop it.
 */
export function testSwitchesOf(search: string): TestSwitches {
  const params = new URLSearchParams(search);
  const ms = Number(params.get('recognizeTimeoutMs'));
  return {
    recognizeTimeoutMs: params.has('recognizeTimeoutMs') && Number.isFinite(ms) && ms >= 100 ? Math.min(ms, 600_000) : undefined,
    failWebGPU: params.get('failWebGPU') === '1',
  };
}
