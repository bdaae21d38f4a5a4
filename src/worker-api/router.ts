/**
 * The page's entry to recognition: one OcrClient (one worker) per onnxruntime-web build,
 * created on first use, and every call sent to the worker whose build suits its device.
 *
 * Why two builds: WebGPU needs a build that can suspend WebAssembly while the GPU works
 * (JSPI, or asyncify where the browser lacks JSPI), and asyncify slows every WASM function;
 * the plain build runs our models 1.4x faster on WASM (median, npm run bench). A worker loads one
 * build for its whole life, so a pane on WASM and a pane on WebGPU talk to different workers.
 *
 * "auto" is resolved here, with the same rule the worker's service uses (src/model/device.ts),
 * from the page's own look at the WebGPU adapter; the worker then gets a concrete device, and
 * the reason for the choice comes back as the result's fallbackReason.
 */
import { AbortedError, WorkerFailure, type OcrClient } from './client.ts';
import type { DeviceInfo, ExplainRequest, LoadProgress, LoadRequest, LoadedModel, Prediction, RecognizeRequest, UserModelInfo } from './ocr.ts';
import type { PredictionMaps } from '../explain/maps.ts';
import { chooseDevice, type GpuInfo } from '../model/device.ts';

export type OrtBuild = 'wasm' | 'webgpu';

/** A model failed to load (not a worker crash or time-out): the caller names the model. */
export class ModelLoadError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'ModelLoadError';
  }
}

export interface JobOptions {
  signal?: AbortSignal;
  /** Model download and load progress. */
  onProgress?: (p: LoadProgress) => void;
  /** The model is loaded; recognition starts. */
  onLoaded?: (m: LoadedModel) => void;
  /** A vision-language model's answer so far, after each generated token. */
  onToken?: (textSoFar: string) => void;
}

export interface JobResult {
  prediction: Prediction & { fallbackReason?: string };
  loaded: LoadedModel;
  /** Why the device or the decoding is not what was asked, if so (for the user). */
  note?: string;
}

export interface RouterOptions {
  createClient: (build: OrtBuild) => OcrClient;
  /** The WebGPU adapter, as the page sees it (asked once, lazily). */
  gpu: () => Promise<GpuInfo>;
}

type Client = Pick<OcrClient, 'load' | 'recognize' | 'explain' | 'registerUserFiles' | 'devices' | 'fault' | 'dispose' | 'restarts'>;

export class OcrRouter {
  private clients = new Map<OrtBuild, Client>();
  private userModels = new Map<string, { path: string; file: Blob }[]>();
  /** The worker used last: test hooks (fault) act on it. */
  private last: OrtBuild = 'wasm';

  constructor(private opts: RouterOptions) {}

  /** The client for a build, created (and given the user's model folders) on first use. */
  client(build: OrtBuild): Client {
    let c = this.clients.get(build);
    if (!c) {
      c = this.opts.createClient(build);
      this.clients.set(build, c);
      for (const [id, files] of this.userModels) void c.registerUserFiles(id, files).catch(() => undefined);
    }
    return c;
  }

  /** The concrete device for a request, the build that runs it, and why if it is not what was asked. */
  async route<R extends LoadRequest>(req: R): Promise<{ build: OrtBuild; req: R; note?: string }> {
    // WASM is decided without waiting for the adapter
    if (req.device === 'wasm') return { build: 'wasm', req };
    const { device, note } = chooseDevice(req.device, await this.opts.gpu(), 'wasm');
    const build: OrtBuild = device === 'webgpu' ? 'webgpu' : 'wasm';
    return { build, req: { ...req, device: build }, note };
  }

  async load(req: LoadRequest, onProgress?: (p: LoadProgress) => void, signal?: AbortSignal): Promise<LoadedModel> {
    const r = await this.route(req);
    this.last = r.build;
    const m = await this.client(r.build).load(r.req, onProgress, signal);
    return { ...m, fallbackReason: m.fallbackReason ?? r.note };
  }

  /**
   * The app's one recognition job (panes, sweeps, presets): the device is resolved once, the
   * model loaded if it is not (with progress, under the load time limit rather than the
   * recognition's), then the image recognised; aborting `signal` stops it in the worker too.
   * A failed load rejects with ModelLoadError; a crash or hang with WorkerFailure.
   */
  async job(req: RecognizeRequest, opts: JobOptions = {}): Promise<JobResult> {
    const r = await this.route(req);
    if (opts.signal?.aborted) throw new AbortedError();
    this.last = r.build;
    const client = this.client(r.build);
    let loaded: LoadedModel;
    try {
      loaded = await client.load({ source: r.req.source, device: r.req.device, dtype: r.req.dtype }, opts.onProgress, opts.signal);
    } catch (e) {
      throw e instanceof WorkerFailure || e instanceof AbortedError ? e : new ModelLoadError(e);
    }
    loaded = { ...loaded, fallbackReason: loaded.fallbackReason ?? r.note };
    opts.onLoaded?.(loaded);
    const p = await client.recognize(r.req, opts.signal, opts.onToken);
    const prediction = { ...p, fallbackReason: p.fallbackReason ?? r.note };
    const notes = [prediction.fallbackReason ?? loaded.fallbackReason, prediction.decoding?.fellBackReason].filter(Boolean);
    return { prediction, loaded, note: notes.length ? notes.join(' ') : undefined };
  }

  /**
   * "Where it looks" for a prediction, as job() recognises: the device resolved once, the model
   * loaded if it is not (a restarted worker), then the maps; `onProgress` per occlusion pass.
   */
  async explain(req: ExplainRequest, opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<PredictionMaps> {
    const r = await this.route(req);
    if (opts.signal?.aborted) throw new AbortedError();
    this.last = r.build;
    const client = this.client(r.build);
    try {
      await client.load({ source: r.req.source, device: r.req.device, dtype: r.req.dtype }, undefined, opts.signal);
    } catch (e) {
      throw e instanceof WorkerFailure || e instanceof AbortedError ? e : new ModelLoadError(e);
    }
    return client.explain(r.req, opts);
  }

  /** Registers a user's model folder with every worker, present and future. */
  async registerUserFiles(id: string, files: { path: string; file: Blob }[]): Promise<UserModelInfo> {
    if (this.clients.size === 0) this.client('wasm'); // someone has to check the folder
    this.userModels.set(id, files);
    return (await Promise.all([...this.clients.values()].map((c) => c.registerUserFiles(id, files))))[0];
  }

  /** A worker's view (threads, isolation, onnxruntime build) with the page's view of the adapter. */
  async devices(build: OrtBuild = 'wasm'): Promise<DeviceInfo> {
    const [d, g] = await Promise.all([this.client(build).devices(), this.opts.gpu()]);
    return { ...d, ...g };
  }

  /** Test hook: the worker used last crashes or hangs on its next recognition. */
  fault(kind: 'crash' | 'hang', timeoutMs?: number) {
    return this.client(this.last).fault(kind, timeoutMs);
  }

  /** Worker restarts so far, all builds together. */
  get restarts(): number {
    let n = 0;
    for (const c of this.clients.values()) n += c.restarts;
    return n;
  }

  dispose() {
    for (const c of this.clients.values()) c.dispose();
    this.clients.clear();
  }
}
