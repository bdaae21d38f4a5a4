/**
 * The page's side of the OCR worker: a bridge that queues calls, races each one
 * against a time limit, an AbortSignal and the worker's death, and restarts the
 * worker when it crashed or hung. (Comlink never rejects a pending call when the
 * worker dies, so without this a crash would leave the UI waiting forever.)
 */
import * as Comlink from 'comlink';
import type { OcrApi, LoadRequest, LoadedModel, LoadProgress, Prediction, RecognizeRequest } from './ocr.ts';

export class WorkerFailure extends Error {
  constructor(message: string, readonly kind: 'crash' | 'timeout') {
    super(message);
    this.name = 'WorkerFailure';
  }
}

export class AbortedError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'AbortError';
  }
}

export interface ClientOptions {
  createWorker: () => Worker;
  /** Limit for one recognition. */
  recognizeTimeoutMs?: number;
  /** Limit for loading a model (downloads included). */
  loadTimeoutMs?: number;
  /** Called after the worker was restarted, with the reason. */
  onRestart?: (reason: string) => void;
}

interface Live {
  worker: Worker;
  remote: Comlink.Remote<OcrApi>;
  died: Promise<never>;
}

export class OcrClient {
  private live: Live | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** User model folders, re-registered in a restarted worker. */
  private userModels = new Map<string, { path: string; file: Blob }[]>();
  restarts = 0;

  constructor(private opts: ClientOptions) {}

  private start(): Live {
    if (this.live) return this.live;
    const worker = this.opts.createWorker();
    const remote = Comlink.wrap<OcrApi>(worker);
    const died = new Promise<never>((_, reject) => {
      worker.addEventListener('error', (e) => {
        e.preventDefault();
        reject(new WorkerFailure(`The recognition worker crashed${e.message ? `: ${e.message}` : ''}. It was restarted.`, 'crash'));
      });
      worker.addEventListener('messageerror', () => reject(new WorkerFailure('The recognition worker sent an unreadable message. It was restarted.', 'crash')));
    });
    died.catch(() => this.kill('crash'));
    this.live = { worker, remote, died };
    // messages are handled in order, so these land before any call queued after start()
    for (const [id, files] of this.userModels) void remote.registerUserFiles(id, files).catch(() => undefined);
    return this.live;
  }

  private kill(reason: string) {
    if (!this.live) return;
    this.live.remote[Comlink.releaseProxy]();
    this.live.worker.terminate();
    this.live = null;
    this.restarts++;
    this.opts.onRestart?.(reason);
  }

  /** Run one call on the worker, after the previous ones. */
  private call<T>(fn: (api: Comlink.Remote<OcrApi>) => Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    const run = async (): Promise<T> => {
      if (signal?.aborted) throw new AbortedError();
      const live = this.start();
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onAbort: (() => void) | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          this.kill('timeout');
          reject(new WorkerFailure(`Recognition took longer than ${Math.round(timeoutMs / 1000)} s; the worker was restarted.`, 'timeout'));
        }, timeoutMs);
      });
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new AbortedError());
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      try {
        return await Promise.race([fn(live.remote), live.died, timeout, aborted]);
      } finally {
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  load(req: LoadRequest, onProgress?: (p: LoadProgress) => void, signal?: AbortSignal): Promise<LoadedModel> {
    return this.call((api) => api.load(req, onProgress ? Comlink.proxy(onProgress) : undefined), this.opts.loadTimeoutMs ?? 300_000, signal);
  }

  recognize(req: RecognizeRequest, signal?: AbortSignal): Promise<Prediction & { fallbackReason?: string }> {
    return this.call((api) => api.recognize(req), this.opts.recognizeTimeoutMs ?? 60_000, signal);
  }

  registerUserFiles(id: string, files: { path: string; file: Blob }[]) {
    this.userModels.set(id, files);
    return this.call((api) => api.registerUserFiles(id, files), 30_000);
  }

  devices() {
    return this.call((api) => api.devices(), 30_000);
  }

  /** Test hook (tests/e2e): make the worker crash or hang. */
  fault(kind: 'crash' | 'hang', timeoutMs = 3_000) {
    return this.call((api) => api.fault(kind), timeoutMs);
  }

  dispose() {
    if (this.live) {
      this.live.worker.terminate();
      this.live = null;
    }
  }
}
