/**
 * The implementation of OcrApi (src/worker-api/ocr.ts), independent of where it runs:
 * workers/ocr.worker.ts exposes it with comlink in the browser; tests/node drive the
 * same object over a MessageChannel in Node. All model work goes through one promise
 * chain: onnxruntime sessions must not run concurrently.
 */
import { loadModel, recognize, defaultDtype, DecodeCancelled, requiredFiles, type EngineModel, type Transformers } from './engine.ts';
import { chooseDevice, NO_GPU, type GpuInfo } from './device.ts';
import { LoadedModels, loadWithCpuFallback, warmUpImage, withHubAccess } from './loading.ts';
import { explainPrediction } from './explain.ts';
import { createVlmService, registerVlmFolder } from './vlmService.ts';
import { CONFIG_FILES, checkJsonSize, checkModelConfig, maxJsonBytes, parseConfigJson, type ModelConfigFiles } from '../schema/model-config.ts';
import type { OcrApi, OrtRuntime, LoadRequest, LoadedModel, Device, Dtype, LoadProgress, RecognizeRequest, ModelSource, Prediction, JobTicket } from '../worker-api/ocr.ts';

export const USER_PREFIX = '/__user_model__/';
const MAX_LOADED = 4;

export interface ServiceHost {
  /** The WebGPU adapter, if any (src/model/device.ts); asked only when WebGPU might be used. */
  gpu: () => Promise<GpuInfo>;
  /** The device used when WebGPU is not chosen ('wasm' in browsers, 'cpu' in Node). */
  cpuDevice: Device;
  /** Base URL against which user-model URLs are resolved (the worker's location). */
  baseUrl: string;
  crossOriginIsolated: boolean;
  /** The onnxruntime-web build in use (browser workers; workers/ocr.worker.ts), reported by devices(). */
  runtime?: OrtRuntime;
  /** Test hook: make WebGPU model loading fail, to exercise the fallback. */
  failWebGPU?: boolean;
  /**
   * Where transformers.js loads user folders from; default USER_PREFIX (served by env.fetch below).
   * Node tests give a folder on disk holding the same files: transformers.js for Node reads model
   * files from the disk (onnxruntime-node takes a path), never through env.fetch.
   */
  userModelRoot?: string;
}

export type OcrService = OcrApi & {
  /** recognize() plus the device fallback note (what the worker returns). */
  recognize(req: RecognizeRequest, job?: JobTicket, onToken?: (textSoFar: string) => void): Promise<Prediction & { fallbackReason?: string }>;
};

export function createOcrService(tjs: Transformers, host: ServiceHost): OcrService {
  // user-picked model folders, served to transformers.js through env.fetch (real 404s for missing files)
  const userFiles = new Map<string, Map<string, Blob>>();
  const baseFetch = tjs.env.fetch;
  tjs.env.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const raw = String(input instanceof Request ? input.url : input);
    const pathname = new URL(raw, host.baseUrl).pathname;
    if (pathname.startsWith(USER_PREFIX)) return serveUser(pathname);
    const res = await baseFetch(input as never, init);
    // a hub model's JSON files are read whole and parsed by transformers.js: bound them first
    return pathname.endsWith('.json') ? boundedJson(res, pathname.split('/').pop()!) : res;
  }) as typeof tjs.env.fetch;

  /** A JSON response read up to its size limit (src/schema/model-config.ts); larger ones throw. */
  async function boundedJson(res: Response, file: string): Promise<Response> {
    if (!res.ok || !res.body) return res;
    const declared = res.headers.get('content-length');
    if (declared !== null) checkJsonSize(file, Number(declared));
    // the header may be absent (compressed) or wrong: count what arrives too
    const reader = res.body.getReader();
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxJsonBytes(file)) {
        void reader.cancel().catch(() => undefined);
        checkJsonSize(file, size); // throws
      }
      parts.push(value);
    }
    return new Response(new Blob(parts as BlobPart[]), { status: res.status, statusText: res.statusText, headers: res.headers });
  }

  function serveUser(pathname: string): Response {
    const rest = decodeURIComponent(pathname.slice(USER_PREFIX.length));
    const slash = rest.indexOf('/');
    const file = userFiles.get(rest.slice(0, slash))?.get(rest.slice(slash + 1));
    return file
      ? new Response(file, { headers: { 'content-length': String(file.size) } })
      : new Response(null, { status: 404, statusText: 'Not Found' });
  }

  function modelPath(source: ModelSource): string {
    return source.kind === 'user' ? `${host.userModelRoot ?? USER_PREFIX}${source.id}` : source.id;
  }

  /**
   * A picked folder's JSON files, bounded in size, and its config files checked with the
   * model-config schema before the folder is accepted: a refused folder is never registered,
   * and the page says why (ModelConfigError names the file and the field).
   */
  async function checkUserConfigs(map: Map<string, Blob>): Promise<void> {
    const configs: ModelConfigFiles = {};
    for (const [path, blob] of map) {
      if (!path.endsWith('.json')) continue;
      checkJsonSize(path, blob.size);
      if ((CONFIG_FILES as readonly string[]).includes(path)) configs[path as keyof ModelConfigFiles] = parseConfigJson(path, await blob.text(), blob.size);
    }
    checkModelConfig(configs);
  }

  const loaded = new LoadedModels<EngineModel & { fallbackReason?: string }>(MAX_LOADED, (m) => m.pipe.dispose?.());
  // vision-language models (config.json says so) are loaded and run by their own half (src/model/vlmService.ts)
  const vlms = createVlmService(tjs, { host, userFiles, modelPath });
  let chain: Promise<unknown> = Promise.resolve();
  /** Run model work one call at a time. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  }

  async function chooseDtype(source: ModelSource, device: Device, requested?: Dtype): Promise<Dtype> {
    const { shaderF16 } = device === 'webgpu' ? await host.gpu() : NO_GPU;
    if (device === 'webgpu' && requested === 'fp16' && !shaderF16) throw new Error('fp16 needs a WebGPU adapter with shader-f16');
    const want = requested ?? defaultDtype(device, shaderF16);
    if (source.kind !== 'user') return want;
    // a user folder may hold only some dtypes: use the wanted one if present, else fp32, else any
    const files = userFiles.get(source.id);
    if (!files) throw new Error(`model folder "${source.id}" is not registered`);
    const has = (d: Dtype) => requiredFiles(d).every((f) => files.has(f));
    for (const d of [want, 'fp32', 'q8', 'fp16'] as Dtype[]) if (has(d) && (d !== 'fp16' || device === 'webgpu')) return d;
    return want;
  }

  async function getModel(req: LoadRequest, onProgress?: (p: LoadProgress) => void) {
    // a CPU request never waits for the WebGPU adapter (the page's router sends concrete devices)
    const gpu = req.device === 'wasm' || req.device === host.cpuDevice ? NO_GPU : await host.gpu();
    const chosen = chooseDevice(req.device, gpu, host.cpuDevice);
    const dtype = await chooseDtype(req.source, chosen.device, req.dtype);
    const key = `${req.source.kind}:${req.source.id}|${chosen.device}|${dtype}`;
    const m = await loaded.get(key, async () => {
      const { model, fallbackReason } = await loadWithCpuFallback(
        chosen.device,
        host.cpuDevice,
        async (d) => {
          // on the CPU after a WebGPU failure: the dtype that device wants (fp16 is WebGPU's)
          const t = d === chosen.device ? dtype : await chooseDtype(req.source, d, req.dtype === 'fp16' ? undefined : req.dtype);
          return withHubAccess(tjs, req.source, () => loadModel(tjs, modelPath(req.source), { device: d, dtype: t, onProgress }));
        },
        host.failWebGPU,
      );
      return { ...model, fallbackReason: fallbackReason ?? chosen.note };
    });
    return { key: `${req.source.kind}:${req.source.id}|${m.device}|${m.dtype}`, model: m };
  }

  /** One recognition right after loading: compiles WebGPU shaders, allocates buffers. */
  async function warmUp(m: EngineModel) {
    await recognize(tjs, m, warmUpImage(), { maxNewTokens: 4 });
  }
  const warmed = new WeakSet<object>();
  /** Jobs up to this id were cancelled by a cancel() message (JobTicket). */
  let cancelledUpTo = 0;

  return {
    load(req, onProgress) {
      return serial(async (): Promise<LoadedModel> => {
        if (await vlms.isVlm(req.source)) return vlms.load(req, onProgress);
        const { key, model } = await getModel(req, onProgress);
        if (!warmed.has(model)) {
          await warmUp(model);
          warmed.add(model);
        }
        return { key, device: model.device, dtype: model.dtype, fallbackReason: model.fallbackReason, loadMs: model.loadMs, prepare: model.prepare };
      });
    },
    recognize(req, job, onToken) {
      const cancelled = () => !!job && (job.id <= cancelledUpTo || (!!job.cancelled && job.id <= Atomics.load(job.cancelled, 0)));
      return serial(async () => {
        // cancelled while waiting its turn: never starts; while decoding: stops at the next step (src/model/engine.ts)
        if (cancelled()) throw new DecodeCancelled();
        if (await vlms.isVlm(req.source)) return vlms.recognize(req, cancelled, onToken);
        const { model } = await getModel(req);
        const p = await recognize(tjs, model, req.image, { maxNewTokens: req.maxNewTokens, numBeams: req.numBeams, cancelled });
        return { ...p, fallbackReason: model.fallbackReason };
      });
    },
    explain(req, job, onProgress) {
      const cancelled = () => !!job && (job.id <= cancelledUpTo || (!!job.cancelled && job.id <= Atomics.load(job.cancelled, 0)));
      return serial(async () => {
        if (cancelled()) throw new DecodeCancelled();
        const { model } = await getModel(req);
        // the occlusion loop stops on an AbortSignal between passes: asked after each pass
        const abort = new AbortController();
        return explainPrediction(tjs, model, req.modelInput, req.sequence, req.kind, {
          signal: abort.signal,
          onProgress: (done, total) => {
            if (cancelled()) abort.abort(new DecodeCancelled());
            else onProgress?.(done, total);
          },
        });
      });
    },
    async cancel(upTo) {
      cancelledUpTo = Math.max(cancelledUpTo, upTo);
    },
    async registerUserFiles(id, files) {
      const map = new Map<string, Blob>();
      for (const { path, file } of files) map.set(path.replace(/^\.?\/+/, ''), file);
      await checkUserConfigs(map);
      userFiles.set(id, map);
      loaded.forget(`user:${id}|`);
      vlms.forget(id);
      // a vision-language model's folder has its own files (src/model/vlm.ts vlmRequiredFiles)
      const vlm = await registerVlmFolder(map);
      if (vlm) return vlm;
      const basics = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];
      const missing = basics.filter((f) => !map.has(f));
      const complete = (['fp32', 'q8', 'fp16'] as Dtype[]).filter((d) => requiredFiles(d).every((f) => map.has(f)));
      if (complete.length === 0) {
        for (const f of ['onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx']) if (!map.has(f)) missing.push(f);
      }
      return { missing };
    },
    async devices() {
      const g = await host.gpu();
      return { ...g, threads: tjs.env.backends.onnx.wasm?.numThreads ?? 1, crossOriginIsolated: host.crossOriginIsolated, runtime: host.runtime ?? 'node' };
    },
    async fault(kind) {
      if (kind === 'crash') {
        setTimeout(() => {
          throw new Error('deliberate worker crash (test hook)');
        });
        return;
      }
      const end = Date.now() + 10 * 60_000;
      while (Date.now() < end) {
        // deliberately unresponsive (test hook)
      }
    },
  };
}
