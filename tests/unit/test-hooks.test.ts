/** The gate of the test switches (src/worker-api/testHooks.ts); tests/node/test-hooks-build.test.ts checks real builds. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testHooksEnabled, testSwitchesOf } from '../../src/worker-api/testHooks.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('test hooks gate', () => {
  it('is on only with VITE_TEST_HOOKS=1', () => {
    expect(testHooksEnabled({ VITE_TEST_HOOKS: '1' })).toBe(true);
    for (const v of [undefined, '', '0', 'true', 1]) expect(testHooksEnabled({ VITE_TEST_HOOKS: v })).toBe(false);
    expect(testHooksEnabled(undefined)).toBe(false);
  });

  it('TEST_HOOKS follows the build environment', async () => {
    vi.stubEnv('VITE_TEST_HOOKS', '');
    expect((await import('../../src/worker-api/testHooks.ts')).TEST_HOOKS).toBe(false);
    vi.resetModules();
    vi.stubEnv('VITE_TEST_HOOKS', '1');
    expect((await import('../../src/worker-api/testHooks.ts')).TEST_HOOKS).toBe(true);
  });
});

describe('testSwitchesOf (read only in test builds)', () => {
  it('reads the time limit and the WebGPU failure', () => {
    expect(testSwitchesOf('?recognizeTimeoutMs=5000&failWebGPU=1')).toEqual({ recognizeTimeoutMs: 5000, failWebGPU: true });
  });
  it('ignores limits out of range or not numbers, caps at 10 minutes', () => {
    expect(testSwitchesOf('?recognizeTimeoutMs=50').recognizeTimeoutMs).toBeUndefined();
    expect(testSwitchesOf('?recognizeTimeoutMs=soon').recognizeTimeoutMs).toBeUndefined();
    expect(testSwitchesOf('?recognizeTimeoutMs=').recognizeTimeoutMs).toBeUndefined();
    expect(testSwitchesOf('?recognizeTimeoutMs=99999999').recognizeTimeoutMs).toBe(600_000);
    expect(testSwitchesOf('').failWebGPU).toBe(false);
  });
});
