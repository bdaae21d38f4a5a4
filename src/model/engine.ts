/**
 * Model loading and recognition with transformers.js: the one implementation
 * used by the web worker (workers/ocr.worker.ts) and by the Node command-line
 * tools (cli/). The caller passes the transformers.js module it imported (the
 * web or the Node build), so this file has no environment-specific imports.
 */
import type * as TJS from '@huggingface/transformers';
import type { Raster } from '../image/raster.ts';
import { type PrepareSpec, prepareForModel } from '../image/prepare.ts';
import type { Device, Dtype, LoadProgress, Prediction, TokenInfo } from '../worker-api/ocr.ts';

export type Transformers = typeof TJS;
// The pipeline object: typed loosely on purpose (transformers.js' own types for it are a large union).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OcrPipeline = any;

export interface EngineModel {
  pipe: OcrPipeline;
  device: Device;
  dtype: Dtype;
  prepare: PrepareSpec | null;
  loadMs: number;
}

/** Max tokens generated when the model's generation_config says nothing (ours say 200). */
export const DEFAULT_MAX_NEW_TOKENS = 200;

/** dtype to use when the caller did not choose one. */
export function defaultDtype(device: Device, shaderF16: boolean): Dtype {
  if (device === 'webgpu') return shaderF16 ? 'fp16' : 'fp32';
  if (device === 'wasm') return 'q8';
  return 'fp32';
}

/** Files every transformers.js image-to-text model folder needs (relative paths). */
export function requiredFiles(dtype: Dtype): string[] {
  const suffix = dtype === 'fp32' ? '' : dtype === 'fp16' ? '_fp16' : '_quantized';
  return [
    'config.json',
    'preprocessor_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    `onnx/encoder_model${suffix}.onnx`,
    `onnx/decoder_model_merged${suffix}.onnx`,
  ];
}

/** The built-in preparation spec a model declares in its preprocessor_config.json, if any. */
export function prepareSpecOf(preprocessorConfig: Record<string, unknown> | undefined): PrepareSpec | null {
  const p = preprocessorConfig?.latex_ocr_prepare as PrepareSpec | undefined;
  if (!p || typeof p !== 'object') return null;
  return { grey: !!p.grey, trim: !!p.trim, height: Number(p.height), max_width: Number(p.max_width), min_width: Number(p.min_width) };
}

export async function loadModel(
  tjs: Transformers,
  modelId: string,
  opts: { device: Device; dtype: Dtype; onProgress?: (p: LoadProgress) => void },
): Promise<EngineModel> {
  const t0 = performance.now();
  const pipe = await tjs.pipeline('image-to-text', modelId, {
    device: opts.device,
    dtype: opts.dtype,
    // onnxruntime-node: one thread. The decoder's ops are tiny, and a thread pool's hand-offs
    // (spinning on 2 cores) cost more than they share: 0.53 ms a token with one thread against
    // 0.62 with onnxruntime's default, 1.0 with two (60 formulas, this 2-core machine)
    ...(opts.device === 'cpu' ? { session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 } } : {}),
    progress_callback: opts.onProgress
      ? (p: Record<string, unknown>) =>
          opts.onProgress!({
            file: String(p.file ?? p.name ?? ''),
            status: p.status as LoadProgress['status'],
            loaded: typeof p.loaded === 'number' ? p.loaded : undefined,
            total: typeof p.total === 'number' ? p.total : undefined,
          })
      : undefined,
  });
  const prepare = prepareSpecOf(pipe.processor?.image_processor?.config);
  return { pipe, device: opts.device, dtype: opts.dtype, prepare, loadMs: performance.now() - t0 };
}

/** The k most likely entries of one step's logits, with their softmax probabilities (one pass, no sort of the vocabulary). */
export function topKSoftmax(row: ArrayLike<number>, k: number): { ids: number[]; probs: number[] } {
  let max = -Infinity;
  for (let j = 0; j < row.length; j++) if (row[j] > max) max = row[j];
  let sum = 0;
  const ids: number[] = [];
  const vals: number[] = [];
  for (let j = 0; j < row.length; j++) {
    const e = Math.exp(row[j] - max);
    sum += e;
    if (ids.length === k && e <= vals[k - 1]) continue;
    let at = ids.length === k ? k - 1 : ids.length;
    while (at > 0 && vals[at - 1] < e) at--;
    ids.splice(at, 0, j);
    vals.splice(at, 0, e);
    if (ids.length > k) {
      ids.pop();
      vals.pop();
    }
  }
  return { ids, probs: vals.map((v) => v / sum) };
}

/** Records, for each generated token, its probability and the top alternatives. */
function confidenceRecorder(topK: number) {
  const steps: { ids: number[]; probs: number[] }[] = [];
  const processor = (_inputIds: bigint[][], logits: TJS.Tensor) => {
    // logits: [batch, vocab] for the current step; batch is 1 here
    const vocab = logits.dims.at(-1)!;
    steps.push(topKSoftmax((logits.data as Float32Array).subarray(0, vocab), topK + 1));
    return logits;
  };
  return { processor, steps };
}

/** Recognise one image with a loaded model: prepare, generate, decode, report confidences. */
export async function recognize(
  tjs: Transformers,
  model: EngineModel,
  image: Raster,
  opts: { maxNewTokens?: number; topK?: number } = {},
): Promise<Prediction> {
  const modelInput = prepareForModel(image, model.prepare);
  const raw = new tjs.RawImage(new Uint8ClampedArray(modelInput.data), modelInput.width, modelInput.height, 4);
  const rec = confidenceRecorder(opts.topK ?? 3);
  const maxNew = opts.maxNewTokens ?? model.pipe.model?.generation_config?.max_new_tokens ?? DEFAULT_MAX_NEW_TOKENS;
  const t0 = performance.now();
  const inputs = await model.pipe.processor(raw);
  const ids = (await model.pipe.model.generate({ ...inputs, max_new_tokens: maxNew, logits_processor: [rec.processor] })) as TJS.Tensor;
  const ms = performance.now() - t0;
  const tokenizer = model.pipe.tokenizer;
  const seq = (ids.tolist() as bigint[][])[0].map(Number);
  const eos = normaliseIds(model.pipe.model?.generation_config?.eos_token_id);
  const special = new Set<number>(tokenizer.all_special_ids ?? []);
  const tokens: TokenInfo[] = [];
  // seq[0] is the decoder start token; step k produced seq[k + 1]
  for (let k = 0; k < rec.steps.length && k + 1 < seq.length; k++) {
    const id = seq[k + 1];
    if (special.has(id) || eos.includes(id)) continue;
    const step = rec.steps[k];
    const pos = step.ids.indexOf(id);
    tokens.push({
      text: tokenizer.decode([id], { skip_special_tokens: true }),
      prob: pos >= 0 ? step.probs[pos] : 0,
      alternatives: step.ids
        .map((alt, j) => ({ id: alt, prob: step.probs[j] }))
        .filter((a) => a.id !== id)
        .slice(0, opts.topK ?? 3)
        .map((a) => ({ text: tokenizer.decode([a.id], { skip_special_tokens: false }), prob: a.prob })),
    });
  }
  const latex = (tokenizer.decode(seq, { skip_special_tokens: true }) as string).trim();
  const generated = seq.length - 1;
  const truncated = generated >= maxNew && !eos.includes(seq[seq.length - 1]);
  return { latex, tokens, ms, device: model.device, dtype: model.dtype, truncated, modelInput };
}

function normaliseIds(v: unknown): number[] {
  if (Array.isArray(v)) return v.map(Number);
  if (v === undefined || v === null) return [];
  return [Number(v)];
}
