/**
 * The OCR service's side for vision-language models (src/model/vlm.ts): which sources are
 * VLMs, what a VLM folder lacks, loading one (device fallback, dtype from its config), warm-up,
 * and recognition with an instruction, streamed tokens and the job's cooperative cancel.
 * src/model/service.ts hands a request here when its model is a VLM and keeps everything else
 * (image-to-text models, the user-folder file server, the one promise chain) to itself.
 */
import { chooseDevice, NO_GPU } from './device.ts';
import { LoadedModels, loadWithCpuFallback, warmUpImage, withHubAccess } from './loading.ts';
import { defaultDtype, type Transformers } from './engine.ts';
import { DEFAULT_INSTRUCTION, disposeVlm, loadVlm, readTrainingInstruction, recognizeVlm, vlmConfigSupport, vlmRequiredFiles, type VlmDtype, type VlmModel, type VlmPrediction } from './vlm.ts';
import { checkModelConfig, parseConfigJson } from '../schema/model-config.ts';
import type { ServiceHost } from './service.ts';
import type { Device, Dtype, LoadedModel, LoadProgress, LoadRequest, ModelSource, Prediction, RecognizeRequest, UserModelInfo, VlmInfo } from '../worker-api/ocr.ts';

/** The dtypes a pane offers (src/worker-api/ocr.ts Dtype). */
const OFFERED: readonly Dtype[] = ['fp32', 'q8', 'fp16'];

/** At most this many VLMs stay loaded (each is hundreds of MB to GBs); the oldest is freed. */
const MAX_LOADED_VLMS = 1;

/** The reason a wider beam is not used on a VLM, said with the prediction (Decoding.fellBackReason). */
export const VLM_GREEDY_REASON = 'Beam search is not offered for vision-language models: decoded greedily (beam width 1).';

/** config.json's transformers.js_config.dtype: one word, a per-session map, or undefined. */
export function configDtype(config: unknown): VlmDtype | undefined {
  const d = (config as { 'transformers.js_config'?: { dtype?: unknown } } | null)?.['transformers.js_config']?.dtype;
  if (typeof d === 'string') return d;
  if (d && typeof d === 'object' && Object.values(d).every((x) => typeof x === 'string')) return d as Record<string, string>;
  return undefined;
}

/** What the page shows about a VLM before loading it: model_type, training instruction, default precision. */
export function vlmInfo(config: unknown): VlmInfo | null {
  const support = vlmConfigSupport(config);
  if (!support.supported) return null;
  const d = configDtype(config);
  return { modelType: support.modelType!, trainingInstruction: readTrainingInstruction(config), ...(typeof d === 'string' && (OFFERED as string[]).includes(d) ? { dtype: d as Dtype } : {}) };
}

/** A picked folder's config.json, parsed (size-bounded), or null when it has none or it is not JSON. */
export async function folderConfig(files: Map<string, Blob>): Promise<unknown> {
  const blob = files.get('config.json');
  if (!blob) return null;
  try {
    return parseConfigJson('config.json', await blob.text(), blob.size);
  } catch {
    return null; // checkUserConfigs (src/model/service.ts) already says why
  }
}

/**
 * What a VLM folder lacks: the files for its config's dtype when it names one, else for any
 * dtype it is complete for; when it is complete for none, the fp32 set is named (the one to export).
 */
export function vlmMissing(files: Map<string, Blob>, config: unknown, modelType: string): string[] {
  const wanted = configDtype(config);
  const candidates: VlmDtype[] = wanted !== undefined ? [wanted] : ['fp32', 'q8', 'fp16', 'q4', 'q4f16'];
  for (const d of candidates) if (vlmRequiredFiles(modelType, d).every((f) => files.has(f))) return [];
  return vlmRequiredFiles(modelType, candidates[0]).filter((f) => !files.has(f));
}

/** registerUserFiles() for a folder whose config.json describes a VLM; null when it does not. */
export async function registerVlmFolder(files: Map<string, Blob>): Promise<UserModelInfo | null> {
  const config = await folderConfig(files);
  const info = vlmInfo(config);
  if (!info) return null;
  return { missing: vlmMissing(files, config, info.modelType), vlm: info };
}

/** A VLM's answer as the app's Prediction (the worker's, the CLIs'): a wider beam than 1 says it was decoded greedily. */
export function vlmPrediction(p: VlmPrediction, numBeams = 1): Prediction {
  return {
    latex: p.latex,
    tokens: p.tokens,
    ms: p.ms,
    device: p.device,
    // a VLM's sessions may use a dtype the panes do not offer (q4f16, or one per session): said as transformers.js names it
    dtype: p.dtype as Dtype,
    truncated: p.truncated,
    modelInput: p.modelInput,
    decoding: { numBeams: 1, ...(numBeams > 1 ? { fellBackReason: VLM_GREEDY_REASON } : {}) },
    raw: p.raw,
    instruction: p.instruction,
    repairs: p.repairs,
  };
}

/** onnxruntime's and the browser's words for running out of memory while creating sessions. */
const OUT_OF_MEMORY = /out of memory|bad_alloc|allocation failed|Array buffer allocation|Cannot allocate|memory access out of bounds|OrtRun.*memory/i;

/**
 * A failed load said plainly when the device ran out of memory: VLMs are large, and WebAssembly
 * memory ends at 4 GB (about 2 GB of weights in practice). Other errors pass unchanged.
 */
export function explainLoadFailure(e: unknown, device: Device): unknown {
  const message = e instanceof Error ? e.message : String(e);
  if (!OUT_OF_MEMORY.test(message)) return e;
  const advice = device === 'webgpu' ? 'the GPU has too little memory for it; try a smaller (q4) export' : 'WASM memory ends at 4 GB (about 2 GB of weights): it needs WebGPU on a GPU, or a smaller (q4) export';
  return new Error(`This device cannot run the model: it ran out of memory while loading it (${advice}). (${message})`, { cause: e });
}

export interface VlmServiceDeps {
  host: ServiceHost;
  /** The user folders registered with the service (path → file). */
  userFiles: Map<string, Map<string, Blob>>;
  /** The path transformers.js loads a source from. */
  modelPath: (source: ModelSource) => string;
}

type Loaded = VlmModel & { fallbackReason?: string };

/**
 * The VLM half of the service. `isVlm` is asked first for every request; the other methods
 * only for VLM sources, inside the service's one promise chain.
 */
export function createVlmService(tjs: Transformers, deps: VlmServiceDeps) {
  const { host, userFiles } = deps;
  /** A hub model's config.json, by source key (fetched once; a failure is forgotten, to be asked again). */
  const kinds = new Map<string, Promise<unknown>>();
  const loaded = new LoadedModels<Loaded>(MAX_LOADED_VLMS, (m) => disposeVlm(m));
  const warmed = new WeakSet<object>();
  const sourceKey = (s: ModelSource) => `${s.kind}:${s.id}`;

  /** The source's config.json (null for the built-in models: they are image-to-text). */
  function configOf(source: ModelSource): Promise<unknown> {
    if (source.kind === 'builtin') return Promise.resolve(null);
    if (source.kind === 'user') {
      const files = userFiles.get(source.id);
      return files ? folderConfig(files) : Promise.resolve(null);
    }
    const key = sourceKey(source);
    let p = kinds.get(key);
    if (!p) {
      p = (async () => {
        tjs.env.allowRemoteModels = true;
        try {
          return await tjs.AutoConfig.from_pretrained(deps.modelPath(source));
        } finally {
          tjs.env.allowRemoteModels = false;
        }
      })();
      p.catch(() => kinds.delete(key)); // offline now, maybe not later: the image-to-text path says why
      kinds.set(key, p);
    }
    return p.catch(() => null);
  }

  async function isVlm(source: ModelSource): Promise<boolean> {
    return vlmConfigSupport(await configOf(source)).supported;
  }

  /** The dtype to load: the caller's, else the config's transformers.js_config.dtype, else one the folder has files for. */
  async function chooseDtype(source: ModelSource, device: Device, config: unknown, requested?: Dtype): Promise<VlmDtype | undefined> {
    const { shaderF16 } = device === 'webgpu' ? await host.gpu() : NO_GPU;
    if (device === 'webgpu' && requested === 'fp16' && !shaderF16) throw new Error('fp16 needs a WebGPU adapter with shader-f16');
    const files = source.kind === 'user' ? userFiles.get(source.id) : undefined;
    const modelType = vlmConfigSupport(config).modelType!;
    if (requested) {
      const lacking = files ? vlmRequiredFiles(modelType, requested).filter((f) => !files.has(f)) : [];
      if (lacking.length) throw new Error(`this model folder has no ${requested} weights (missing ${lacking.join(', ')})`);
      return requested;
    }
    const fromConfig = configDtype(config);
    if (fromConfig !== undefined || !files) return fromConfig;
    for (const d of [defaultDtype(device, shaderF16), 'fp32', 'q8', 'fp16', 'q4', 'q4f16'])
      if (vlmRequiredFiles(modelType, d).every((f) => files.has(f)) && (d !== 'fp16' || device === 'webgpu')) return d;
    return undefined;
  }

  async function getModel(req: LoadRequest, onProgress?: (p: LoadProgress) => void): Promise<Loaded> {
    const config = await configOf(req.source);
    const gpu = req.device === 'wasm' || req.device === host.cpuDevice ? NO_GPU : await host.gpu();
    const chosen = chooseDevice(req.device, gpu, host.cpuDevice);
    const dtype = await chooseDtype(req.source, chosen.device, config, req.dtype);
    const key = `${sourceKey(req.source)}|${chosen.device}|${JSON.stringify(dtype ?? 'config')}`;
    return loaded.get(key, async () => {
      const { model, fallbackReason } = await loadWithCpuFallback(
        chosen.device,
        host.cpuDevice,
        async (d) => {
          const t = d === chosen.device ? dtype : await chooseDtype(req.source, d, config, req.dtype === 'fp16' ? undefined : req.dtype);
          const m = await withHubAccess(tjs, req.source, () => loadVlm(tjs, deps.modelPath(req.source), { device: d, dtype: t, onProgress })).catch((e) => {
            throw explainLoadFailure(e, d);
          });
          try {
            checkModelConfig({ 'config.json': m.config, ...(m.model.generation_config ? { 'generation_config.json': m.model.generation_config } : {}) });
          } catch (e) {
            await disposeVlm(m).catch(() => undefined);
            throw e;
          }
          return m;
        },
        host.failWebGPU,
      );
      return { ...model, fallbackReason: fallbackReason ?? chosen.note };
    });
  }

  /** One short generation right after loading (compiles WebGPU shaders, allocates buffers), as for the OCR models. */
  async function warmUp(m: VlmModel) {
    await recognizeVlm(tjs, m, warmUpImage(), { maxNewTokens: 1 });
  }

  function describe(source: ModelSource, m: Loaded): LoadedModel {
    return {
      key: `${sourceKey(source)}|${m.device}|${m.dtype}`,
      device: m.device,
      dtype: m.dtype as Dtype, // as in vlmPrediction
      fallbackReason: m.fallbackReason,
      loadMs: m.loadMs,
      prepare: null,
      kind: 'vlm',
      instruction: m.trainingInstruction ?? DEFAULT_INSTRUCTION,
      trainingInstruction: m.trainingInstruction,
    };
  }

  return {
    isVlm,
    async load(req: LoadRequest, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel> {
      const m = await getModel(req, onProgress);
      if (!warmed.has(m)) {
        await warmUp(m);
        warmed.add(m);
      }
      return describe(req.source, m);
    },
    async recognize(req: RecognizeRequest, cancelled: () => boolean, onToken?: (textSoFar: string) => void): Promise<Prediction & { fallbackReason?: string }> {
      const m = await getModel(req);
      const p = await recognizeVlm(tjs, m, req.image, { instruction: req.instruction, maxNewTokens: req.maxNewTokens, cancelled, onToken });
      return { ...vlmPrediction(p, req.numBeams), fallbackReason: m.fallbackReason };
    },
    /** A folder registered again: its loaded models are dropped (the next call loads the new files). */
    forget(id: string) {
      loaded.forget(`user:${id}|`, true);
    },
  };
}
