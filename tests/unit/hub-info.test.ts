/**
 * What a Hugging Face model needs, said before its weights are downloaded (src/model-picker/hubInfo.ts):
 * the size of the files the app would load, a VLM's kind, WebGPU for weights too large for WASM,
 * and this device's verdict.
 */
import { describe, expect, it } from 'vitest';
import { explainLoadFailure } from '../../src/model/vlmService.ts';
import { fetchHubModel, hubApiUrl, hubRequirements, requirementsText, WASM_WEIGHTS_LIMIT } from '../../src/model-picker/hubInfo.ts';

const GEMMA = { model_type: 'gemma3', architectures: ['Gemma3ForConditionalGeneration'], 'transformers.js_config': { dtype: 'q4f16' }, latex_ocr_instruction: 'Convert this image to LaTeX notation.' };
const gemmaFiles = [
  { path: 'config.json', size: 2_000 },
  { path: 'preprocessor_config.json', size: 500 },
  { path: 'tokenizer.json', size: 30_000_000 },
  { path: 'tokenizer_config.json', size: 1_000_000 },
  { path: 'onnx/embed_tokens_q4f16.onnx', size: 700_000_000 },
  { path: 'onnx/vision_encoder_q4f16.onnx', size: 400_000_000 },
  { path: 'onnx/decoder_model_merged_q4f16.onnx', size: 1_000_000 },
  { path: 'onnx/decoder_model_merged_q4f16.onnx_data', size: 1_500_000_000 },
  // other precisions are not downloaded
  { path: 'onnx/decoder_model_merged.onnx_data', size: 8_000_000_000 },
  { path: 'README.md', size: 9_000 },
];

describe('hubRequirements', () => {
  it('a VLM: the files of its config dtype (external data included), WebGPU above the WASM limit', () => {
    const r = hubRequirements(gemmaFiles, GEMMA);
    expect(r.vlm).toEqual({ modelType: 'gemma3', trainingInstruction: 'Convert this image to LaTeX notation.' });
    expect(r.dtype).toBe('q4f16');
    expect(r.missing).toEqual([]);
    expect(r.downloadBytes).toBe(2_000 + 500 + 30_000_000 + 1_000_000 + 700_000_000 + 400_000_000 + 1_000_000 + 1_500_000_000);
    expect(r.needsWebGPU).toBe(r.downloadBytes! > WASM_WEIGHTS_LIMIT);
    expect(r.needsWebGPU).toBe(true);
  });

  it('says what is missing, and an image-to-text model is counted in q8', () => {
    expect(hubRequirements(gemmaFiles.filter((f) => !f.path.startsWith('onnx/vision')), GEMMA).missing).toEqual(['onnx/vision_encoder_q4f16.onnx']);
    const ocr = hubRequirements(
      ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/encoder_model_quantized.onnx', 'onnx/decoder_model_merged_quantized.onnx'].map((path) => ({ path, size: 1000 })),
      { model_type: 'vision-encoder-decoder' },
    );
    expect(ocr).toMatchObject({ vlm: null, dtype: 'q8', missing: [], downloadBytes: 6000, needsWebGPU: false });
  });

  it('the device verdict: no WebGPU, or only a software adapter, cannot run a model that needs it', () => {
    const r = hubRequirements(gemmaFiles, GEMMA);
    expect(requirementsText(r, { webgpu: false, shaderF16: false })).toMatch(/^Download: about 2\.5 GB \(q4f16 weights\).*vision-language model \(gemma3\).*needs at least about 2\.5 GB of memory and WebGPU.*This device cannot run it: it has no WebGPU\.$/);
    expect(requirementsText(r, { webgpu: true, shaderF16: true, software: true })).toMatch(/cannot run it: it has only a software WebGPU adapter/);
    expect(requirementsText(r, { webgpu: true, shaderF16: true, software: false })).not.toMatch(/cannot run/);
    expect(requirementsText(r, { webgpu: true, shaderF16: true }, 2)).toMatch(/reports about 2 GB of memory/);
  });

  it('asks the hub API for the file list and reads config.json', async () => {
    const asked: string[] = [];
    const fake = (async (url: string) => {
      asked.push(url);
      return url.includes('/api/') ? new Response(JSON.stringify({ siblings: gemmaFiles.map((f) => ({ rfilename: f.path, size: f.size })) })) : new Response(JSON.stringify(GEMMA));
    }) as typeof fetch;
    const got = await fetchHubModel('someone/gemma-latex', fake);
    expect(asked).toEqual([hubApiUrl('someone/gemma-latex'), 'https://huggingface.co/someone/gemma-latex/resolve/main/config.json']);
    expect(got.files).toHaveLength(gemmaFiles.length);
    expect(got.config).toEqual(GEMMA);
    await expect(fetchHubModel('someone/none', (async () => new Response('', { status: 404 })) as typeof fetch)).rejects.toThrow(/no public model "someone\/none"/);
  });
});

describe('a VLM that does not fit the device', () => {
  it('an out-of-memory load failure says so plainly; other errors pass unchanged', () => {
    const oom = explainLoadFailure(new RangeError('Array buffer allocation failed'), 'wasm') as Error;
    expect(oom.message).toMatch(/^This device cannot run the model: it ran out of memory while loading it \(WASM memory ends at 4 GB.*needs WebGPU on a GPU/);
    expect((explainLoadFailure(new Error('std::bad_alloc'), 'webgpu') as Error).message).toMatch(/the GPU has too little memory/);
    const other = new Error('404 config.json');
    expect(explainLoadFailure(other, 'wasm')).toBe(other);
  });
});
