/**
 * The page's side of one OCR worker: calls go through the shared worker bridge
 * (src/worker-api/bridge.ts: one at a time, each raced against a time limit, an AbortSignal
 * and the worker's death, the worker restarted when it crashed or hung), and a cancelled
 * recognition is also stopped in the worker (cooperative cancel, JobTicket in ./ocr.ts).
 */
import * as Comlink from 'comlink';
import { AbortedError, WorkerBridge, WorkerFailure } from './bridge.ts';
import type { OcrApi, LoadRequest, LoadedModel, LoadProgress, Prediction, RecognizeRequest, ExplainRequest } from './ocr.ts';
import type { PredictionMaps } from '../explain/maps.ts';

export { AbortedError, WorkerFailure };

export interface ClientOptions {
  createWorker: () => Worker;
  /** Limit for one recognition. */
  recognizeTimeoutMs?: number;
  /** Limit for an occlusion map (one pass per patch, up to MAX_OCCLUSION_PASSES); an attention map has the recognition's. */
  occlusionTimeoutMs?: number;
  /** Limit for loading a model (downloads included). */
  loadTimeoutMs?: number;
  /** Called after the worker was restarted, with the reason. */
  onRestart?: (reason: string) => void;
}

/** A cell shared with the worker for cooperative cancel, where the page may share memory (cross-origin isolated). */
function sharedCell(): Int32Array | undefined {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated ?? true; // Node: no such notion
  return typeof SharedArrayBuffer === 'function' && isolated ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
}

export class OcrClient {
  private bridge: WorkerBridge<OcrApi>;
  /** User model folders, re-registered in a restarted worker. */
  private userModels = new Map<string, { path: string; file: Blob }[]>();
  /** The current worker's cancel cell (JobTicket.cancelled). */
  private cancelCell: Int32Array | undefined;
  private lastJob = 0;

  constructor(private opts: ClientOptions) {
    this.bridge = new WorkerBridge<OcrApi>({
      createWorker: opts.createWorker,
      name: 'recognition',
      onRestart: opts.onRestart,
      onStart: (remote) => {
        this.cancelCell = sharedCell();
        // messages are handled in order, so these land before any call queued after start()
        for (const [id, files] of this.userModels) void remote.registerUserFiles(id, files).catch(() => undefined);
      },
    });
  }

  /** Workers restarted after a crash or a time-out. */
  get restarts(): number {
    return this.bridge.restarts;
  }

  /**
   * Load (or reuse) a model. After a model fails to load (a corrupt .onnx, say), the next call
   * gets a new worker: transformers.js 4.3 chains every browser session creation on one promise
   * (`webInitChain = webInitChain.then(load)` in src/backends/onnx.js) and never clears a
   * rejection, so one failed load would fail every later load in that worker, built-in models
   * included (same issue as huggingface/transformers.js#1767 reports for Node). User model
   * folders are registered again in the new worker.
   */
  load(req: LoadRequest, onProgress?: (p: LoadProgress) => void, signal?: AbortSignal): Promise<LoadedModel> {
    return this.bridge.call((api) => api.load(req, onProgress ? Comlink.proxy(onProgress) : undefined), {
      timeoutMs: this.opts.loadTimeoutMs ?? 300_000,
      what: 'Loading the model',
      signal,
      retireOn: () => true,
    });
  }

  /**
   * Recognise one image; aborting `signal` also stops the work in the worker within one decode step.
   * A vision-language model streams its answer so far to `onToken` (through a Comlink proxy).
   */
  recognize(req: RecognizeRequest, signal?: AbortSignal, onToken?: (textSoFar: string) => void): Promise<Prediction & { fallbackReason?: string }> {
    const id = ++this.lastJob;
    return this.bridge.call((api) => api.recognize(req, { id, cancelled: this.cancelCell }, onToken ? Comlink.proxy(onToken) : undefined), {
      timeoutMs: this.opts.recognizeTimeoutMs ?? 60_000,
      what: 'Recognition',
      signal,
      onAbort: (api) => this.stopInWorker(api, id),
    });
  }

  /** Cooperative cancel of job `id`, which is on the worker now. */
  private stopInWorker(api: Comlink.Remote<OcrApi>, id: number) {
    // every earlier job is settled or cancelled already (calls go one at a time), so "up to id" is exact
    if (this.cancelCell) Atomics.store(this.cancelCell, 0, Math.max(Atomics.load(this.cancelCell, 0), id));
    // not queued: it must pass the job it stops
    void api.cancel(id).catch(() => undefined);
  }

  /**
   * "Where it looks" for a prediction (ExplainRequest); cancelled like recognize(). The image
   * goes over as a copy whose buffer is transferred (the page keeps showing its own).
   */
  explain(req: ExplainRequest, opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<PredictionMaps> {
    const id = ++this.lastJob;
    const data = new Uint8ClampedArray(req.modelInput.data);
    const sent = { ...req, modelInput: { ...req.modelInput, data } };
    return this.bridge.call((api) => api.explain(Comlink.transfer(sent, [data.buffer]), { id, cancelled: this.cancelCell }, opts.onProgress ? Comlink.proxy(opts.onProgress) : undefined), {
      timeoutMs: req.kind === 'occlusion' ? (this.opts.occlusionTimeoutMs ?? 600_000) : (this.opts.recognizeTimeoutMs ?? 60_000),
      what: req.kind === 'occlusion' ? 'The occlusion map' : 'The attention map',
      signal: opts.signal,
      onAbort: (api) => this.stopInWorker(api, id),
    });
  }

  registerUserFiles(id: string, files: { path: string; file: Blob }[]) {
    const p = this.bridge.call((api) => api.registerUserFiles(id, files), { timeoutMs: 30_000, what: 'Reading the model folder' });
    // remembered once registered (a worker started for this very call would otherwise get it twice)
    return p.then((r) => (this.userModels.set(id, files), r));
  }

  devices() {
    return this.bridge.call((api) => api.devices(), { timeoutMs: 30_000, what: 'Asking the worker for its devices' });
  }

  /** Test hook (tests/e2e): make the worker crash or hang. */
  fault(kind: 'crash' | 'hang', timeoutMs = 3_000) {
    return this.bridge.call((api) => api.fault(kind), { timeoutMs, what: 'Arming the fault' });
  }

  /** Ends the worker; the next call starts a new one. */
  dispose() {
    this.bridge.dispose();
  }
}
