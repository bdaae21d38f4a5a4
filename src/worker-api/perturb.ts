/**
 * The perturbation worker's API (workers/perturb.worker.ts), shared by both sides, and the
 * page's client for it: behind the same bridge as the OCR worker (src/worker-api/bridge.ts),
 * so a crash or a hang gives an error instead of an image that never comes, and the next
 * perturbation gets a new worker.
 */
import type { Raster } from '../image/raster.ts';
import type { PerturbOptions } from '../perturb/types.ts';
import { WorkerBridge } from './bridge.ts';

export interface PerturbApi {
  apply(image: Raster, options: Partial<PerturbOptions>): Promise<Raster>;
}

/** Perturbations take milliseconds to a second on the largest images; this much means the worker hangs. */
export const PERTURB_TIMEOUT_MS = 30_000;

export interface PerturbClientOptions {
  createWorker: () => Worker;
  timeoutMs?: number;
}

export class PerturbClient {
  private bridge: WorkerBridge<PerturbApi>;

  constructor(private opts: PerturbClientOptions) {
    this.bridge = new WorkerBridge<PerturbApi>({ createWorker: opts.createWorker, name: 'perturbation' });
  }

  /** The perturbed image; rejects with WorkerFailure when the worker crashed or hung (it is restarted). */
  apply(image: Raster, options: Partial<PerturbOptions>, signal?: AbortSignal): Promise<Raster> {
    return this.bridge.call((api) => api.apply(image, options), { timeoutMs: this.opts.timeoutMs ?? PERTURB_TIMEOUT_MS, what: 'The perturbation', signal });
  }

  get restarts(): number {
    return this.bridge.restarts;
  }

  dispose() {
    this.bridge.dispose();
  }
}

let client: PerturbClient | null = null;

/** The page's handle on the perturbation worker (created on first use). */
export function perturbWorker(): PerturbClient {
  client ??= new PerturbClient({
    createWorker: () => new Worker(new URL('../../workers/perturb.worker.ts', import.meta.url), { type: 'module', name: 'perturb' }),
  });
  return client;
}
