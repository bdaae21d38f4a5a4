/// <reference lib="webworker" />
/** Perturbations off the main thread (live preview while sliders move). */
import * as Comlink from 'comlink';
import { applyPerturbations } from '../src/perturb/ops.ts';
import type { PerturbApi } from '../src/worker-api/perturb.ts';

const api: PerturbApi = {
  async apply(image, options) {
    const out = applyPerturbations(image, options);
    return Comlink.transfer(out, [out.data.buffer]);
  },
};

Comlink.expose(api);
