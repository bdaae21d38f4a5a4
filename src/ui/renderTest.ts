/// <reference types="vite/client" />
/**
 * Test switches for what the page renders (tests/e2e), in builds made with VITE_TEST_HOOKS=1
 * only, like the worker's (src/worker-api/testHooks.ts); elsewhere the gate is the constant
 * false, both hooks below do nothing, and the bundler drops the rest.
 * - window.__renderTest.fail('Pane 2', true) makes that part's render throw (ErrorBoundary's
 *   failure path, src/ui/ErrorBoundary.tsx); fail('Pane 2', false) lets it render again.
 * - window.__renderTest.predict(2, prediction) shows that prediction in Pane 2 instead of its own
 *   (null: its own again), to measure how a pane copes with a huge one without a model making it.
 */
import { useSyncExternalStore } from 'react';
import type { Prediction } from '../worker-api/ocr.ts';

const ENABLED: boolean = import.meta.env.VITE_TEST_HOOKS === '1';

const failing = new Set<string>();
const predictions = new Map<number, Prediction>();
const listeners = new Set<() => void>();
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => void listeners.delete(l);
};
const changed = () => listeners.forEach((l) => l());

declare global {
  interface Window {
    __renderTest?: {
      fail: (part: string, on: boolean) => void;
      predict: (paneId: number, prediction: Prediction | null) => void;
    };
  }
}

if (ENABLED && typeof window !== 'undefined') {
  window.__renderTest = {
    fail(part, on) {
      if (on) failing.add(part);
      else failing.delete(part);
      changed();
    },
    predict(paneId, prediction) {
      if (prediction) predictions.set(paneId, prediction);
      else predictions.delete(paneId);
      changed();
    },
  };
}

/** Throws while the test switch for `part` is on (never in a normal build). */
export const useRenderFault: (part: string) => void = ENABLED
  ? (part) => {
      if (useSyncExternalStore(subscribe, () => failing.has(part))) throw new Error(`deliberate render failure in ${part} (test hook)`);
    }
  : () => undefined;

/** The prediction a test put in place of a pane's own, if any (never in a normal build). */
export const useTestPrediction: (paneId: number) => Prediction | undefined = ENABLED
  ? (paneId) => useSyncExternalStore(subscribe, () => predictions.get(paneId))
  : () => undefined;
