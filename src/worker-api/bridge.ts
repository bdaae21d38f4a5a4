/**
 * The page's side of a worker, shared by the OCR and the perturbation workers: calls are
 * queued one at a time, each raced against a time limit, an AbortSignal and the worker's
 * death, and the worker is restarted when it crashed or hung. (Comlink never rejects a
 * pending call when the worker dies, so without this a crash would leave the UI waiting
 * forever.)
 */
import * as Comlink from 'comlink';

export class WorkerFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'crash' | 'timeout',
  ) {
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

export interface BridgeOptions<Api> {
  createWorker: () => Worker;
  /** The worker as named in error messages: "recognition", "perturbation". */
  name: string;
  /** Called with each new worker before any call reaches it (messages keep their order). */
  onStart?: (remote: Comlink.Remote<Api>) => void;
  /** Called after the worker was restarted (it crashed or hung), with the reason. */
  onRestart?: (reason: 'crash' | 'timeout') => void;
}

export interface CallOptions<Api> {
  timeoutMs: number;
  signal?: AbortSignal;
  /** What took too long, for the time-out message ("Recognition"). */
  what: string;
  /**
   * Called when `signal` aborts while the call is on the worker: tell the worker to stop
   * (cooperative cancel). The call itself is rejected at once and the next one is sent.
   */
  onAbort?: (remote: Comlink.Remote<Api>) => void;
  /**
   * An error the worker answered with that leaves it unusable: the worker is ended (not counted
   * as a restart) before the next call starts, and that call gets a new one.
   */
  retireOn?: (error: unknown) => boolean;
}

interface Live<Api> {
  worker: Worker;
  remote: Comlink.Remote<Api>;
  died: Promise<never>;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** Rejects with AbortedError as soon as `signal` aborts (also when it is still waiting its turn). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class WorkerBridge<Api> {
  private live: Live<Api> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Workers restarted after a crash or a time-out. */
  restarts = 0;

  constructor(private opts: BridgeOptions<Api>) {}

  private start(): Live<Api> {
    if (this.live) return this.live;
    const worker = this.opts.createWorker();
    const remote = Comlink.wrap<Api>(worker);
    const name = this.opts.name;
    const died = new Promise<never>((_, reject) => {
      worker.addEventListener('error', (e) => {
        e.preventDefault();
        reject(new WorkerFailure(`The ${name} worker crashed${e.message ? `: ${e.message}` : ''}. It was restarted.`, 'crash'));
      });
      worker.addEventListener('messageerror', () => reject(new WorkerFailure(`The ${name} worker sent an unreadable message. It was restarted.`, 'crash')));
    });
    const live: Live<Api> = { worker, remote, died };
    died.catch(() => this.kill(live, 'crash'));
    this.live = live;
    this.opts.onStart?.(remote);
    return live;
  }

  /** Ends a crashed or hung worker (only if it is still the current one); the next call starts a new one. */
  private kill(live: Live<Api>, reason: 'crash' | 'timeout') {
    if (this.live !== live) return;
    live.remote[Comlink.releaseProxy]();
    live.worker.terminate();
    this.live = null;
    this.restarts++;
    this.opts.onRestart?.(reason);
  }

  /** Run one call on the worker, after the previous ones. */
  call<T>(fn: (api: Comlink.Remote<Api>) => Promise<T>, opts: CallOptions<Api>): Promise<T> {
    const { signal } = opts;
    const run = async (): Promise<T> => {
      if (signal?.aborted) throw new AbortedError(); // aborted while waiting: never sent
      const live = this.start();
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onAbort: (() => void) | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          this.kill(live, 'timeout');
          reject(new WorkerFailure(`${opts.what} took longer than ${seconds(opts.timeoutMs)}; the worker was restarted.`, 'timeout'));
        }, opts.timeoutMs);
      });
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => {
          if (this.live === live) opts.onAbort?.(live.remote);
          reject(new AbortedError());
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      try {
        return await Promise.race([fn(live.remote), live.died, timeout, aborted]);
      } catch (e) {
        // here, not in a caller's handler: this runs before the queue lets the next call start
        if (!(e instanceof WorkerFailure) && !(e instanceof AbortedError) && opts.retireOn?.(e) && this.live === live) this.dispose();
        throw e;
      } finally {
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return raceAbort(p, signal);
  }

  /** Ends the worker (not counted as a restart); the next call starts a new one. */
  dispose() {
    if (!this.live) return;
    this.live.remote[Comlink.releaseProxy]();
    this.live.worker.terminate();
    this.live = null;
  }
}
