/**
 * The OCR worker's API: one typed interface, implemented by workers/ocr.worker.ts
 * and called from the page through comlink (src/worker-api/client.ts). Everything
 * here crosses a thread boundary, so it is plain data (structured-cloneable).
 */
import type { Raster } from '../image/raster.ts';

/** Where a model comes from. */
export type ModelSource =
  | { kind: 'builtin'; id: string } // folder under /models/
  | { kind: 'user'; id: string } // files registered with registerUserFiles()
  | { kind: 'hub'; id: string }; // a Hugging Face model id (needs the network)

/** What the user picks; 'auto' = WebGPU on a hardware adapter, else WASM (src/model/device.ts). */
export type DeviceChoice = 'auto' | 'webgpu' | 'wasm';
export type Device = 'webgpu' | 'wasm' | 'cpu';
export type Dtype = 'fp32' | 'fp16' | 'q8';

export interface LoadRequest {
  source: ModelSource;
  device: DeviceChoice;
  /** Default: q8 on WASM, fp16 on WebGPU with shader-f16, else fp32 (built-in models ship all three). */
  dtype?: Dtype;
}

export interface LoadProgress {
  file: string;
  status: 'initiate' | 'download' | 'progress' | 'done' | 'ready';
  loaded?: number;
  total?: number;
}

export interface LoadedModel {
  key: string; // source + device + dtype
  device: Device;
  dtype: Dtype;
  /** Set when the requested device failed and another one was used instead. */
  fallbackReason?: string;
  loadMs: number;
  /** Built-in models: how their images are prepared (grey, trim, fit); null = model's own processor. */
  prepare: import('../image/prepare.ts').PrepareSpec | null;
  /** 'vlm': a vision-language model prompted with an instruction (src/model/vlm.ts); absent = 'ocr'. */
  kind?: 'ocr' | 'vlm';
  /** VLM only: the instruction it is given when none is asked for (its training instruction, else DEFAULT_INSTRUCTION). */
  instruction?: string;
  /** VLM only: the instruction its config.json declares it was trained with (latex_ocr_instruction), null when none. */
  trainingInstruction?: string | null;
}

export interface TokenInfo {
  text: string;
  prob: number;
  /** The most likely other tokens at this step. */
  alternatives: { text: string; prob: number }[];
}

export interface Prediction {
  latex: string;
  tokens: TokenInfo[];
  /** Recognition time of this image alone (model already loaded). */
  ms: number;
  device: Device;
  dtype: Dtype;
  /** Generation hit max_new_tokens without an end token. */
  truncated: boolean;
  /** The image actually fed to the model (after preparation). */
  modelInput: Raster;
  /** How the tokens were chosen (src/model/engine.ts); absent in predictions made before beam search existed. */
  decoding?: Decoding;
  /**
   * The decoded sequence: the start token and every id after it, as decoded (end token
   * included). "Where it looks" re-scores exactly this (src/model/explain.ts); absent in
   * predictions made before it existed (history).
   */
  sequence?: { start: number; ids: number[] };
  /** The model's decoder returns its cross-attention, so attention maps can be drawn (else only occlusion maps). */
  attentionAvailable?: boolean;
  /** VLM only: the answer exactly as generated, from which `latex` was extracted (src/latex/extract.ts). */
  raw?: string;
  /** VLM only: the instruction the model was given. */
  instruction?: string;
  /** VLM only: what extraction changed to get `latex` from `raw` ("removed 2 stray $"); empty when nothing. */
  repairs?: string[];
}

export interface Decoding {
  /** The beam width actually used: 1 = greedy. */
  numBeams: number;
  /** alpha of the beam score sum(log p) / length^alpha (beam search only). */
  lengthPenalty?: number;
  /** Set when a wider beam was asked for but the model cannot be beam-searched: why, and that greedy was used. */
  fellBackReason?: string;
}

export interface RecognizeRequest extends LoadRequest {
  image: Raster;
  maxNewTokens?: number;
  /** Beam width, MIN_BEAMS..MAX_BEAMS (src/model/beam.ts); default DEFAULT_NUM_BEAMS. */
  numBeams?: number;
  /** VLM only (OCR models ignore it): the instruction; default the model's own (LoadedModel.instruction). */
  instruction?: string;
}

/**
 * "Where it looks" for a prediction already made (src/model/explain.ts): the model that made it,
 * the image it was given (Prediction.modelInput) and the sequence it decoded (Prediction.sequence).
 */
export interface ExplainRequest extends LoadRequest {
  modelInput: Raster;
  sequence: { start: number; ids: number[] };
  /** 'attention': one pass (models that return their cross-attention); 'occlusion': one pass per patch (any encoder-decoder). */
  kind: import('../explain/maps.ts').MapKind;
}

/**
 * A recognition's identity for cooperative cancel (src/worker-api/client.ts): the page numbers
 * its calls, and the worker stops a cancelled one between two decode steps, so stale work does
 * not delay (and eat into the time limit of) the call after it.
 */
export interface JobTicket {
  /** Increasing per client; a cancel names the highest cancelled id (every earlier job is settled or cancelled too). */
  id: number;
  /**
   * Shared with the page when SharedArrayBuffer is available (cross-origin isolated): cell 0
   * holds the highest cancelled id. Read between decode steps, it works even while a decode
   * never yields to the worker's event loop (onnxruntime-web's plain WASM build runs
   * synchronously), where the cancel() message would wait until the decode ended.
   */
  cancelled?: Int32Array;
}

/** The onnxruntime build a worker runs: 'plain' WASM, 'jspi' or 'asyncify' (both WebGPU-capable), or 'node'. */
export type OrtRuntime = 'plain' | 'jspi' | 'asyncify' | 'node';

export interface DeviceInfo {
  webgpu: boolean;
  shaderF16: boolean;
  /** The adapter emulates WebGPU on the CPU (SwiftShader). */
  software?: boolean;
  threads: number;
  crossOriginIsolated: boolean;
  runtime: OrtRuntime;
}

/** What registering a model folder found: the files it lacks, and, for a vision-language model, what it is. */
export interface UserModelInfo {
  missing: string[];
  /** Set when config.json describes a vision-language model (src/model/vlm.ts). */
  vlm?: VlmInfo;
}

/** A vision-language model as the page shows it before loading it. */
export interface VlmInfo {
  /** config.json's model_type ("llava", "gemma3", ...). */
  modelType: string;
  /** config.json's latex_ocr_instruction, null when it declares none. */
  trainingInstruction: string | null;
  /** config.json's transformers.js_config.dtype when it is one the panes offer: the pane's default precision. */
  dtype?: Dtype;
}

export interface OcrApi {
  /** Load (or reuse) a model; progress events are reported through the callback. */
  load(req: LoadRequest, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel>;
  /**
   * Recognise one image. Calls are serialised inside the worker. With a ticket the call can be
   * cancelled (cancel(), or the ticket's shared cell): it then rejects with an AbortError,
   * without starting if it had not started, else within one decode step. A VLM streams its
   * answer so far through `onToken` (a Comlink proxy from the page) after every token.
   */
  recognize(req: RecognizeRequest, job?: JobTicket, onToken?: (textSoFar: string) => void): Promise<Prediction>;
  /**
   * Per-token and overall maps of a prediction (ExplainRequest), serialised with recognize() and
   * cancelled the same way (between passes); `onProgress(done, total)` after each occlusion pass.
   */
  explain(req: ExplainRequest, job?: JobTicket, onProgress?: (done: number, total: number) => void): Promise<import('../explain/maps.ts').PredictionMaps>;
  /** Cancels every job with id <= upTo (see JobTicket). */
  cancel(upTo: number): Promise<void>;
  /** Make user-picked files available as model `id` (paths relative to the model folder). */
  registerUserFiles(id: string, files: { path: string; file: Blob }[]): Promise<UserModelInfo>;
  /** Which devices this worker can use (WebGPU needs an adapter). */
  devices(): Promise<DeviceInfo>;
  /** Test hook: make the worker crash or hang, to exercise the page's restart logic. */
  fault(kind: 'crash' | 'hang'): Promise<void>;
}
