/**
 * The tiny random-weight vision-language model fixture (tests/fixtures/tiny-vlm, built by its
 * build.py): a LLaVA-layout image-text-to-text model that transformers.js 4.3.2 loads from disk with
 * AutoProcessor + AutoModelForImageTextToText, prompted through the processor's chat template with
 * an instruction, generating greedily. Its weights are random, so these tests check structure
 * (files, prompt, token counts, determinism, agreement with the PyTorch reference decode, the same
 * files under onnxruntime-web), never content.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tjs from '@huggingface/transformers';
import * as ortWeb from 'onnxruntime-web';

// the same Node settings as cli/common.ts: local files only, never the Hub
tjs.env.allowRemoteModels = false;
tjs.env.allowLocalModels = true;
tjs.env.useFSCache = false;

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tiny-vlm');
const INSTRUCTION = 'Convert this image to LaTeX notation.';
const MAX_NEW = 20;

interface Reference {
  instruction: string;
  input_ids: number[];
  max_new_tokens: number;
  output_ids: number[];
}
const ref: Reference = JSON.parse(fs.readFileSync(path.join(DIR, 'reference.json'), 'utf8'));
const config = JSON.parse(fs.readFileSync(path.join(DIR, 'config.json'), 'utf8'));
const IMAGE_ID: number = config.image_token_index;
const EOS_ID: number = config.eos_token_id;
const N_IMAGE_TOKENS: number = config.tiny_vlm.num_image_tokens;

// the processor and model are typed loosely: AutoProcessor/AutoModel return base classes
let processor: any;
let model: any;

function messages(instruction: string) {
  return [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: instruction }] }];
}

/** A white RGBA image with a few dark bars, like a short formula; not the model's input size. */
function formulaLike(width: number, height: number, bars: [number, number, number, number][]): tjs.RawImage {
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  for (const [x0, y0, x1, y1] of bars)
    for (let y = y0; y < y1; y++)
      for (let x = x0; x < x1; x++) data.fill(20, (y * width + x) * 4, (y * width + x) * 4 + 3);
  return new tjs.RawImage(data, width, height, 4);
}
const IMAGE_A = formulaLike(180, 60, [[10, 25, 40, 30], [50, 10, 56, 50], [70, 28, 170, 32]]);
const IMAGE_B = formulaLike(180, 60, [[20, 5, 160, 12], [80, 40, 100, 58]]);

/** pixel_values of reference.json, [1,3,32,96]: ((7x + 13y + 29c) mod 17) / 8 - 1 */
function referencePixels(): tjs.Tensor {
  const [h, w] = [32, 96];
  const px = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px[(c * h + y) * w + x] = ((7 * x + 13 * y + 29 * c) % 17) / 8 - 1;
  return new tjs.Tensor('float32', px, [1, 3, h, w]);
}

const ids = (t: tjs.Tensor): number[] => (t.tolist() as bigint[][])[0].map(Number);
const int64 = (xs: number[]) => new tjs.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, xs.length]);

async function prepare(image: tjs.RawImage, instruction: string) {
  const prompt: string = processor.apply_chat_template(messages(instruction), { add_generation_prompt: true });
  // NOTE: LlavaProcessor takes (images, text), the reverse of Idefics3/SmolVLM/Qwen2-VL's (text, images)
  return { prompt, inputs: await processor(image, prompt) };
}

async function generate(inputs: Record<string, tjs.Tensor>): Promise<{ all: number[]; fresh: number[] }> {
  const out = (await model.generate({ ...inputs, max_new_tokens: MAX_NEW, do_sample: false, num_beams: 1 })) as tjs.Tensor;
  const all = ids(out);
  return { all, fresh: all.slice(inputs.input_ids.dims[1]) };
}

beforeAll(async () => {
  processor = await tjs.AutoProcessor.from_pretrained(DIR);
  model = await tjs.AutoModelForImageTextToText.from_pretrained(DIR, { device: 'cpu' });
}, 120_000);

describe('tiny VLM fixture', () => {
  it('is small, and loads as a LLaVA processor + image-text-to-text model with three ONNX sessions', () => {
    const files = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'processor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/vision_encoder.onnx', 'onnx/embed_tokens.onnx', 'onnx/decoder_model_merged.onnx'];
    const total = files.reduce((s, f) => s + fs.statSync(path.join(DIR, f)).size, 0);
    expect(total).toBeLessThan(1_000_000);
    expect(processor.constructor.name).toBe('LlavaProcessor');
    expect(model.constructor.name).toBe('LlavaForConditionalGeneration');
    expect(Object.keys(model.sessions).sort()).toEqual(['decoder_model_merged', 'embed_tokens', 'vision_encoder']);
    expect(model.sessions.decoder_model_merged.inputNames).toEqual(
      expect.arrayContaining(['inputs_embeds', 'attention_mask', 'position_ids', 'past_key_values.0.key', 'past_key_values.1.value']),
    );
  });

  it('builds the prompt from the chat template with the instruction, and expands the image token', async () => {
    const { prompt, inputs } = await prepare(IMAGE_A, INSTRUCTION);
    expect(prompt).toBe(`<s>USER: <image>\n${INSTRUCTION}\nASSISTANT:`);
    expect(inputs.pixel_values.dims).toEqual([1, 3, 32, 96]);
    const inputIds = ids(inputs.input_ids);
    expect(inputIds.filter((t) => t === IMAGE_ID)).toHaveLength(N_IMAGE_TOKENS);
    expect(inputIds).toEqual(ref.input_ids); // the same ids build.py wrote by hand
    expect(ids(inputs.attention_mask).every((m) => m === 1)).toBe(true);
    expect(processor.decode(inputIds, { skip_special_tokens: true })).toBe(`USER: \n${INSTRUCTION}\nASSISTANT:`);
  });

  it('puts the instruction in the model input: another instruction gives other input_ids', async () => {
    const a = ids((await prepare(IMAGE_A, INSTRUCTION)).inputs.input_ids);
    const b = ids((await prepare(IMAGE_A, 'Transcribe the formula.')).inputs.input_ids);
    expect(b).not.toEqual(a);
    const prefix = 1 + 'USER: '.length + N_IMAGE_TOKENS; // <s>, role, image: unchanged
    expect(b.slice(0, prefix)).toEqual(a.slice(0, prefix));
    expect(processor.decode(b.slice(prefix), { skip_special_tokens: true })).toBe('\nTranscribe the formula.\nASSISTANT:');
  });

  it('generates up to the token limit (or stops at EOS), the same tokens twice', async () => {
    const { inputs } = await prepare(IMAGE_A, INSTRUCTION);
    const first = await generate(inputs);
    expect(first.all.slice(0, ref.input_ids.length)).toEqual(ref.input_ids);
    if (first.fresh.length < MAX_NEW) expect(first.fresh.at(-1)).toBe(EOS_ID);
    else expect(first.fresh).toHaveLength(MAX_NEW);
    expect(first.fresh.every((t) => Number.isInteger(t) && t >= 0 && t < config.text_config.vocab_size)).toBe(true);
    expect(typeof processor.decode(first.fresh, { skip_special_tokens: true })).toBe('string');
    const again = await generate((await prepare(IMAGE_A, INSTRUCTION)).inputs);
    expect(again.all).toEqual(first.all);
  });

  it('reads the image: another image changes the first-step logits', async () => {
    const logitsFor = async (image: tjs.RawImage) => {
      const { inputs } = await prepare(image, INSTRUCTION);
      const out = await model({ ...inputs });
      return Array.from(out.logits.data as Float32Array).slice(-config.text_config.vocab_size);
    };
    const a = await logitsFor(IMAGE_A);
    const b = await logitsFor(IMAGE_B);
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i])))).toBeGreaterThan(1e-3);
  });

  it("decodes with the KV cache exactly as PyTorch's full recomputation (reference.json)", async () => {
    const input_ids = int64(ref.input_ids);
    const out = (await model.generate({
      input_ids,
      attention_mask: tjs.ones_like(input_ids),
      pixel_values: referencePixels(),
      max_new_tokens: ref.max_new_tokens,
      do_sample: false,
    })) as tjs.Tensor;
    expect(ids(out)).toEqual(ref.output_ids);
  });

  it('runs the same files in onnxruntime-web (wasm), with a hand-driven cache, to the same tokens', async () => {
    ortWeb.env.wasm.numThreads = 1;
    const open = (name: string) =>
      ortWeb.InferenceSession.create(fs.readFileSync(path.join(DIR, 'onnx', `${name}.onnx`)), { executionProviders: ['wasm'] });
    const [vision, embed, decoder] = await Promise.all([open('vision_encoder'), open('embed_tokens'), open('decoder_model_merged')]);
    const web = (t: tjs.Tensor) => new ortWeb.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
    const i64 = (xs: number[]) => new ortWeb.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, xs.length]);
    const { image_features } = await vision.run({ pixel_values: web(referencePixels()) });
    const d = image_features.dims.at(-1)!;
    const features = image_features.data as Float32Array;

    const { text_config: tc } = config;
    let past: Record<string, ortWeb.Tensor> = {};
    for (let i = 0; i < tc.num_hidden_layers; i++)
      for (const kv of ['key', 'value']) past[`past_key_values.${i}.${kv}`] = new ortWeb.Tensor('float32', new Float32Array(0), [1, tc.num_key_value_heads, 0, tc.head_dim]);
    const seq = [...ref.input_ids];
    let step = [...ref.input_ids];
    while (seq.length < ref.output_ids.length) {
      const { inputs_embeds } = await embed.run({ input_ids: i64(step) });
      const emb = new Float32Array(inputs_embeds.data as Float32Array);
      if (step.length > 1) {
        let k = 0; // the image features replace the <image> embeddings, in order
        step.forEach((t, j) => t === IMAGE_ID && emb.set(features.subarray(k * d, ++k * d), j * d));
      }
      const start = seq.length - step.length;
      const out = await decoder.run({
        inputs_embeds: new ortWeb.Tensor('float32', emb, inputs_embeds.dims),
        attention_mask: i64(Array(seq.length).fill(1)),
        position_ids: i64(step.map((_, j) => start + j)),
        ...past,
      });
      const logits = out.logits.data as Float32Array;
      const last = logits.subarray(logits.length - tc.vocab_size);
      const next = last.indexOf(Math.max(...last));
      seq.push(next);
      step = [next];
      past = Object.fromEntries(Object.entries(out).filter(([n]) => n.startsWith('present.')).map(([n, t]) => [n.replace('present.', 'past_key_values.'), t]));
      if (next === EOS_ID) break;
    }
    expect(seq).toEqual(ref.output_ids);
  });
});
