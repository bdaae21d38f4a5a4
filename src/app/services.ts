/** The app's long-lived workers (one of each), created lazily. */
import { OcrClient } from '../worker-api/client.ts';

let ocr: OcrClient | null = null;
const restartListeners = new Set<(reason: string) => void>();

export function ocrClient(): OcrClient {
  ocr ??= new OcrClient({
    createWorker: () => new Worker(new URL('../../workers/ocr.worker.ts', import.meta.url), { type: 'module', name: 'ocr' }),
    recognizeTimeoutMs: 60_000,
    loadTimeoutMs: 300_000,
    onRestart: (reason) => restartListeners.forEach((l) => l(reason)),
  });
  return ocr;
}

export function onWorkerRestart(listener: (reason: string) => void): () => void {
  restartListeners.add(listener);
  return () => restartListeners.delete(listener);
}

// test hooks for the end-to-end tests (fault injection), only in the page itself
declare global {
  interface Window {
    __ocrTest?: { fault: (kind: 'crash' | 'hang') => Promise<unknown>; restarts: () => number };
  }
}
if (typeof window !== 'undefined') {
  window.__ocrTest = {
    fault: (kind) => ocrClient().fault(kind).catch((e) => String(e)),
    restarts: () => ocrClient().restarts,
  };
}
