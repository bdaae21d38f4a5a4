/** The perturbation worker's API (workers/perturb.worker.ts), shared by both sides. */
import * as Comlink from 'comlink';
import type { Raster } from '../image/raster.ts';
import type { PerturbOptions } from '../perturb/types.ts';

export interface PerturbApi {
  apply(image: Raster, options: Partial<PerturbOptions>): Promise<Raster>;
}

let remote: Comlink.Remote<PerturbApi> | null = null;

/** The page's handle on the perturbation worker (created on first use). */
export function perturbWorker(): Comlink.Remote<PerturbApi> {
  remote ??= Comlink.wrap<PerturbApi>(new Worker(new URL('../../workers/perturb.worker.ts', import.meta.url), { type: 'module', name: 'perturb' }));
  return remote;
}
