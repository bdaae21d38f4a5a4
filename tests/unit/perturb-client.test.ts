/**
 * The perturbation worker's client (src/worker-api/perturb.ts) behind the shared worker bridge:
 * a crash or a hang of the worker gives a clear error instead of an image that never comes,
 * and the next perturbation gets a new worker. A fake worker runs the real perturbation code.
 */
import { describe, expect, it } from 'vitest';
import { PerturbClient, type PerturbApi } from '../../src/worker-api/perturb.ts';
import { WorkerFailure } from '../../src/worker-api/bridge.ts';
import { applyPerturbations } from '../../src/perturb/ops.ts';
import type { Raster } from '../../src/image/raster.ts';
import { fakeWorkers, sleep } from './fake-worker.ts';

const raster = (): Raster => ({ width: 4, height: 2, data: new Uint8ClampedArray(4 * 2 * 4).fill(200) });

/** What workers/perturb.worker.ts exposes, with a way to make its next call hang. */
function fakePerturbWorker(state: { hang: boolean }): PerturbApi {
  return {
    async apply(image, options) {
      if (state.hang) await new Promise(() => undefined);
      return applyPerturbations(image, options);
    },
  };
}

describe('PerturbClient', () => {
  it('perturbs an image in the worker', async () => {
    const workers = fakeWorkers(() => fakePerturbWorker({ hang: false }));
    const client = new PerturbClient({ createWorker: workers.createWorker });
    const out = await client.apply(raster(), {});
    expect(out).toMatchObject({ width: 4, height: 2 });
    client.dispose();
  });

  it('a crash rejects the pending call with a clear message; the next perturbation works in a new worker', async () => {
    const state = { hang: true };
    const workers = fakeWorkers(() => fakePerturbWorker(state));
    const client = new PerturbClient({ createWorker: workers.createWorker });
    const pending = client.apply(raster(), {});
    await sleep(20);
    workers.made[0].crash('RangeError: Invalid typed array length');
    const e = await pending.catch((x) => x);
    expect(e).toBeInstanceOf(WorkerFailure);
    expect(e.message).toBe('The perturbation worker crashed: RangeError: Invalid typed array length. It was restarted.');
    state.hang = false;
    expect((await client.apply(raster(), {})).width).toBe(4);
    expect(workers.made).toHaveLength(2);
    expect(client.restarts).toBe(1);
    client.dispose();
  });

  it('a hang ends at the time limit with a clear message; the worker is replaced and the next perturbation works', async () => {
    const state = { hang: true };
    const workers = fakeWorkers(() => fakePerturbWorker(state));
    const client = new PerturbClient({ createWorker: workers.createWorker, timeoutMs: 200 });
    const e = await client.apply(raster(), {}).catch((x) => x);
    expect(e).toBeInstanceOf(WorkerFailure);
    expect(e.message).toBe('The perturbation took longer than 200 ms; the worker was restarted.');
    expect(workers.made[0].terminated).toBe(true);
    state.hang = false;
    expect((await client.apply(raster(), {})).width).toBe(4);
    expect(client.restarts).toBe(1);
    client.dispose();
  });
});
