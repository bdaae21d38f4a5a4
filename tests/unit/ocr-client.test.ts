/**
 * OcrClient (src/worker-api/client.ts) and the worker bridge under it (src/worker-api/bridge.ts),
 * against a fake worker: call order, time limits, aborts, restarts after a crash, and
 * cooperative cancel reaching the worker. No models.
 */
import { describe, expect, it } from 'vitest';
import { AbortedError, OcrClient, WorkerFailure } from '../../src/worker-api/client.ts';
import type { JobTicket, LoadRequest, RecognizeRequest } from '../../src/worker-api/ocr.ts';
import { fakeWorkers, sleep } from './fake-worker.ts';

const image = { width: 1, height: 1, data: new Uint8ClampedArray(4) };
const req = (id: string, steps = 3): RecognizeRequest => ({ source: { kind: 'builtin', id }, device: 'wasm', image, maxNewTokens: steps });

interface FakeOptions {
  /** Which cancel signals the fake worker reads (the real one reads both). */
  read?: { cell?: boolean; message?: boolean };
  stepMs?: number;
  /** recognize() of this model never answers. */
  hangOn?: string;
}

/**
 * A fake OCR worker: like src/model/service.ts, one call at a time; a recognition is
 * `maxNewTokens` decode steps of `stepMs`, checking the job's cancel state between steps.
 */
function fakeOcr(log: string[], opts: FakeOptions = {}) {
  const read = { cell: true, message: true, ...opts.read };
  const stepMs = opts.stepMs ?? 5;
  let chain: Promise<unknown> = Promise.resolve();
  let cancelledUpTo = 0;
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  };
  const abort = () => Object.assign(new Error('cancelled'), { name: 'AbortError' });
  return {
    steps: 0,
    /** The step the running job had reached when the cancel message arrived. */
    stepsAtCancelMessage: -1,
    async load(r: LoadRequest) {
      log.push(`load ${r.source.id}`);
      if (r.source.id === 'corrupt') throw new Error('protobuf parsing failed');
      return { key: r.source.id, device: 'wasm', dtype: 'q8', loadMs: 1, prepare: null };
    },
    recognize(r: RecognizeRequest, job?: JobTicket) {
      const name = r.source.id;
      const cancelled = () => !!job && ((read.message && job.id <= cancelledUpTo) || (read.cell && !!job.cancelled && job.id <= Atomics.load(job.cancelled, 0)));
      return serial(async () => {
        if (cancelled()) {
          log.push(`skip ${name}`);
          throw abort();
        }
        log.push(`start ${name}`);
        if (name === opts.hangOn) await new Promise(() => undefined);
        for (let i = 1; i <= (r.maxNewTokens ?? 3); i++) {
          await sleep(stepMs);
          this.steps = i;
          if (cancelled()) {
            log.push(`stop ${name} after ${i}`);
            throw abort();
          }
        }
        log.push(`end ${name}`);
        return { latex: name, tokens: [], ms: 1, device: 'wasm', dtype: 'q8', truncated: false, modelInput: r.image };
      });
    },
    async cancel(upTo: number) {
      log.push(`cancel ${upTo}`);
      this.stepsAtCancelMessage = this.steps;
      cancelledUpTo = Math.max(cancelledUpTo, upTo);
    },
    async registerUserFiles(id: string) {
      log.push(`register ${id}`);
      return { missing: [] };
    },
    async devices() {
      return { webgpu: false, shaderF16: false, threads: 1, crossOriginIsolated: false, runtime: 'plain' };
    },
    async fault() {},
  };
}

function setup(opts: FakeOptions & { recognizeTimeoutMs?: number } = {}) {
  const log: string[] = [];
  const apis: ReturnType<typeof fakeOcr>[] = [];
  const workers = fakeWorkers(() => {
    const api = fakeOcr(log, opts);
    apis.push(api);
    return api;
  });
  const restarts: string[] = [];
  const client = new OcrClient({ createWorker: workers.createWorker, recognizeTimeoutMs: opts.recognizeTimeoutMs ?? 5_000, onRestart: (r) => restarts.push(r) });
  return { client, log, apis, workers, restarts };
}

describe('OcrClient: one call at a time', () => {
  it('runs calls in the order they were made, never two at once', async () => {
    const { client, log } = setup();
    const results = await Promise.all([client.recognize(req('a')), client.recognize(req('b')), client.recognize(req('c'))]);
    expect(results.map((p) => p.latex)).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    client.dispose();
  });
});

describe('OcrClient: time limit', () => {
  it('a hung recognition fails with a time-out naming the limit; the worker is restarted and the next call works', async () => {
    const { client, log, workers, restarts } = setup({ recognizeTimeoutMs: 400, hangOn: 'stuck' });
    const e = await client.recognize(req('stuck')).catch((x) => x);
    expect(e).toBeInstanceOf(WorkerFailure);
    expect(e.kind).toBe('timeout');
    expect(e.message).toBe('Recognition took longer than 400 ms; the worker was restarted.');
    expect(workers.made[0].terminated).toBe(true);
    expect(client.restarts).toBe(1);
    expect(restarts).toEqual(['timeout']);
    expect((await client.recognize(req('next'))).latex).toBe('next');
    expect(workers.made).toHaveLength(2);
    expect(log.at(-1)).toBe('end next');
    client.dispose();
  });
});

describe('OcrClient: crash', () => {
  it('a crash fails the pending call with the reason, restarts the worker, re-registers user folders, and the next call works', async () => {
    const { client, log, workers, restarts } = setup({ hangOn: 'doomed' });
    await client.registerUserFiles('mine', []);
    const pending = client.recognize(req('doomed'));
    await sleep(20);
    workers.made[0].crash('out of memory');
    const e = await pending.catch((x) => x);
    expect(e).toBeInstanceOf(WorkerFailure);
    expect(e.kind).toBe('crash');
    expect(e.message).toBe('The recognition worker crashed: out of memory. It was restarted.');
    expect(client.restarts).toBe(1);
    expect(restarts).toEqual(['crash']);
    expect((await client.recognize(req('after'))).latex).toBe('after');
    expect(workers.made).toHaveLength(2);
    expect(log).toEqual(['register mine', 'start doomed', 'register mine', 'start after', 'end after']);
    client.dispose();
  });

  it('a model that fails to load gets the next call a fresh worker (not counted as a restart)', async () => {
    const { client, workers } = setup();
    await expect(client.load({ source: { kind: 'user', id: 'corrupt' }, device: 'wasm' })).rejects.toThrow('protobuf parsing failed');
    expect(workers.made[0].terminated).toBe(true);
    expect((await client.load({ source: { kind: 'builtin', id: 'good' }, device: 'wasm' })).key).toBe('good');
    expect(workers.made).toHaveLength(2);
    expect(client.restarts).toBe(0);
    client.dispose();
  });
});

describe('OcrClient: abort', () => {
  it('an aborted call rejects at once, also while it waits behind another, and a waiting one never reaches the worker', async () => {
    const { client, log } = setup({ stepMs: 10 });
    const first = client.recognize(req('first', 20));
    const ctl = new AbortController();
    const second = client.recognize(req('second'), ctl.signal);
    await sleep(15);
    ctl.abort();
    await expect(second).rejects.toBeInstanceOf(AbortedError);
    expect(log, 'rejected before the call ahead of it ended').toEqual(['start first']);
    expect((await first).latex).toBe('first');
    expect((await client.recognize(req('third'))).latex).toBe('third');
    expect(log).toEqual(['start first', 'end first', 'start third', 'end third']);
    client.dispose();
  });

  it('a signal aborted before the call is never sent', async () => {
    const { client, log, workers } = setup();
    const ctl = new AbortController();
    ctl.abort();
    await expect(client.recognize(req('x'), ctl.signal)).rejects.toBeInstanceOf(AbortedError);
    expect(log).toEqual([]);
    expect(workers.made).toHaveLength(0);
  });
});

describe('OcrClient: cooperative cancel', () => {
  for (const [how, read] of [
    ['the shared cell alone', { cell: true, message: false }],
    ['the cancel message alone', { cell: false, message: true }],
  ] as const) {
    it(`an aborted recognition stops in the worker within one decode step, through ${how}, and the next call starts then`, async () => {
      const { client, log, apis } = setup({ read, stepMs: 10 });
      const ctl = new AbortController();
      const stale = client.recognize(req('stale', 100), ctl.signal); // 1 s if nothing stops it
      await sleep(45);
      const stepsAtAbort = apis[0].steps;
      ctl.abort();
      await expect(stale).rejects.toBeInstanceOf(AbortedError);
      expect((await client.recognize(req('next', 2))).latex).toBe('next');
      // the worker sees the shared cell at once, the message when its event loop gets to it
      const seenAt = read.cell ? stepsAtAbort : apis[0].stepsAtCancelMessage;
      expect(seenAt).toBeGreaterThanOrEqual(0);
      const stop = log.find((l) => l.startsWith('stop stale'));
      expect(stop, log.join(', ')).toBeDefined();
      expect(Number(stop!.split(' ').at(-1))).toBeLessThanOrEqual(seenAt + 1);
      expect(Number(stop!.split(' ').at(-1))).toBeLessThan(20);
      expect(log.filter((l) => !l.startsWith('cancel'))).toEqual(['start stale', stop, 'start next', 'end next']);
      client.dispose();
    });
  }

  it('cancels name the aborted job: earlier and later jobs are not touched', async () => {
    const { client, log } = setup();
    expect((await client.recognize(req('one'))).latex).toBe('one');
    const ctl = new AbortController();
    const two = client.recognize(req('two', 50), ctl.signal);
    await sleep(12);
    ctl.abort();
    await expect(two).rejects.toBeInstanceOf(AbortedError);
    expect((await client.recognize(req('three'))).latex).toBe('three');
    expect(log).toContain('cancel 2');
    expect(log.at(-1)).toBe('end three');
    client.dispose();
  });
});
