/**
 * The model side of "Where it looks" (src/explain/): one teacher-forced pass of an
 * encoder-decoder over a prediction it already made. The decoder is fed the start token and the
 * predicted tokens all at once (no generation, no cache), which gives, for every predicted token,
 * its log-probability (what an occlusion map measures the drop of) and, for models that export
 * them (the built-in ones: training/ocr/export.py), each layer's cross-attention over the
 * encoder's grid of image cells. Exact for any decoding, greedy or beam.
 */
import type * as TJS from '@huggingface/transformers';
import type { Raster } from '../image/raster.ts';
import { attentionGrid, meanMap, predictionMaps, type GridMap, type MapKind, type PredictionMaps } from '../explain/maps.ts';
import { occlusionMap, occlusionScores, type SequenceScorer } from '../explain/occlusion.ts';
import { logSoftmax } from './beam.ts';
import { modelInputs, type EngineModel, type Transformers } from './engine.ts';

const CROSS_ATTENTION = /^cross_attentions\.(\d+)$/;

export interface ForcedPass {
  /** Log-probability of each token of the sequence scored. */
  logProbs: Float32Array;
  /** Per token, its attention map (layers averaged); null when the model does not return cross-attention. */
  attention: GridMap[] | null;
}

/** Why the model cannot be scored by teacher forcing, or null if it can. */
export function forcedUnsupported(model: EngineModel): string | null {
  const m = model.pipe.model;
  if (!m?.config?.is_encoder_decoder) return 'the model is not an encoder-decoder';
  if (!m.sessions?.model || !m.sessions?.decoder_model_merged) return 'the model has no encoder_model and decoder_model_merged pair';
  return null;
}

/** Rows of the model's attention grid (config.encoder.attention_grid.rows), when its decoder returns cross_attentions.N. */
export function attentionRows(model: EngineModel): number | null {
  const m = model.pipe.model;
  const outputs: string[] = m?.sessions?.decoder_model_merged?.outputNames ?? [];
  const rows = Number(m?.config?.encoder?.attention_grid?.rows);
  if (!outputs.some((n) => CROSS_ATTENTION.test(n))) return null;
  return Number.isInteger(rows) && rows >= 1 && rows <= 64 ? rows : null;
}

/** The encoder's output for the processor's inputs (run once per image). */
async function encode(model: EngineModel, inputs: Record<string, TJS.Tensor>): Promise<TJS.Tensor> {
  const m = model.pipe.model;
  const { encoder_outputs } = await m._prepare_encoder_decoder_kwargs_for_generation({
    inputs_tensor: inputs.pixel_values,
    model_inputs: { ...inputs },
    model_input_name: m.main_input_name,
    generation_config: { guidance_scale: null },
  });
  return encoder_outputs;
}

/**
 * One teacher-forced pass: the decoder reads [start, ...ids[0..n-2]] and predicts ids[0..n-1].
 * `withAttention` also reads the cross-attention outputs (when the model has them).
 */
export async function forcedPass(
  tjs: Transformers,
  model: EngineModel,
  inputs: Record<string, TJS.Tensor>,
  start: number,
  ids: readonly number[],
  withAttention = true,
): Promise<ForcedPass> {
  const why = forcedUnsupported(model);
  if (why) throw new Error(`cannot score this model's prediction: ${why}`);
  if (!ids.length) return { logProbs: new Float32Array(0), attention: withAttention && attentionRows(model) ? [] : null };
  const m = model.pipe.model;
  const encoded = await encode(model, inputs);
  const feed = [start, ...ids.slice(0, -1)];
  const input = new tjs.Tensor('int64', BigInt64Array.from(feed, BigInt), [1, feed.length]);
  const out = await m.forward({ encoder_outputs: encoded, decoder_input_ids: input, past_key_values: null });
  try {
    const logits: TJS.Tensor = out.logits.type === 'float32' ? out.logits : out.logits.to('float32');
    const [, steps, vocab] = logits.dims;
    if (steps !== ids.length) throw new Error(`the decoder returned ${steps} steps for ${ids.length} tokens`);
    const data = logits.data as Float32Array;
    const logProbs = new Float32Array(ids.length);
    for (let k = 0; k < ids.length; k++) logProbs[k] = logSoftmax(data.subarray(k * vocab, (k + 1) * vocab))[ids[k]];

    const rows = withAttention ? attentionRows(model) : null;
    let attention: GridMap[] | null = null;
    if (rows) {
      const layers = Object.keys(out)
        .filter((n) => CROSS_ATTENTION.test(n))
        .sort((a, b) => Number(CROSS_ATTENTION.exec(a)![1]) - Number(CROSS_ATTENTION.exec(b)![1]))
        .map((n) => out[n] as TJS.Tensor);
      const S = layers[0].dims.at(-1)!;
      const per = await Promise.all(layers.map(async (t) => (t.type === 'float32' ? t : t.to('float32')).data as Float32Array));
      attention = ids.map((_, k) => attentionGrid(per.map((d) => d.subarray(k * S, (k + 1) * S)), rows));
    }
    return { logProbs, attention };
  } finally {
    for (const t of Object.values(out) as TJS.Tensor[]) if (t?.location === 'gpu-buffer') t.dispose();
  }
}

/** A scorer for occlusion maps (src/explain/occlusion.ts): the log-probability of each of `ids` on an image. */
export function forcedScorer(tjs: Transformers, model: EngineModel, start: number, ids: readonly number[]): SequenceScorer {
  return async (image: Raster) => {
    // the image is already the model's input (prepared): re-preparing it would trim an occluded edge
    const raw = new tjs.RawImage(new Uint8ClampedArray(image.data), image.width, image.height, 4);
    const inputs = await model.pipe.processor(raw);
    return (await forcedPass(tjs, model, inputs, start, ids, false)).logProbs;
  };
}

/** A decoded sequence, as recognize() reports it (Prediction.sequence): the start token and every id after it. */
export interface DecodedSequence {
  start: number;
  ids: number[];
}

/**
 * The ids of a sequence that the prediction shows as tokens (its confidence row): not special,
 * not an end token. recognize() and the maps both use this, so map k belongs to token k.
 */
export function shownTokenIndices(model: EngineModel, ids: readonly number[]): number[] {
  const tokenizer = model.pipe.tokenizer;
  const g = { ...model.pipe.model?.config, ...model.pipe.model?.config?.decoder, ...model.pipe.model?.generation_config };
  const eos = new Set<number>([g.eos_token_id].flat().filter((v) => v !== undefined && v !== null).map(Number));
  const special = new Set<number>(tokenizer.all_special_ids ?? []);
  return ids.flatMap((id, k) => (special.has(id) || eos.has(id) ? [] : [k]));
}

/**
 * "Where it looks" for one prediction: attention maps (one teacher-forced pass; built-in models)
 * or occlusion maps (one pass per patch; any encoder-decoder), per shown token and overall, over
 * the model's input image `modelInput` (Prediction.modelInput).
 */
export async function explainPrediction(
  tjs: Transformers,
  model: EngineModel,
  modelInput: Raster,
  seq: DecodedSequence,
  kind: MapKind,
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<PredictionMaps> {
  const t0 = performance.now();
  const shown = shownTokenIndices(model, seq.ids);
  const text = (k: number) => String(model.pipe.tokenizer.decode([seq.ids[k]], { skip_special_tokens: true }));
  if (!shown.length) throw new Error('the prediction has no tokens to map');
  if (kind === 'attention') {
    if (!attentionRows(model)) throw new Error('this model does not return its cross-attention: use an occlusion map');
    const raw = new tjs.RawImage(new Uint8ClampedArray(modelInput.data), modelInput.width, modelInput.height, 4);
    const inputs = await model.pipe.processor(raw);
    const pass = await forcedPass(tjs, model, inputs, seq.start, seq.ids);
    const tokens = shown.map((k, i) => ({ token: i, text: text(k), map: pass.attention![k] }));
    return predictionMaps('attention', modelInput, tokens, meanMap(tokens.map((t) => t.map)), 1, performance.now() - t0);
  }
  const r = await occlusionScores(modelInput, forcedScorer(tjs, model, seq.start, seq.ids), opts);
  const tokens = shown.map((k, i) => ({ token: i, text: text(k), map: occlusionMap(r, k) }));
  return predictionMaps('occlusion', modelInput, tokens, occlusionMap(r), r.scores.length + 1, performance.now() - t0);
}

export { modelInputs };
