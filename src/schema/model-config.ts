/**
 * The configuration files of a model from outside the app (a user's model folder, a Hugging
 * Face model id), checked with one valibot schema before their numbers are used. A model
 * config is input like any other: a generation_config asking for 10^9 new tokens would keep
 * the worker decoding until its time limit, and a `latex_ocr_prepare` height of 0 or 16000
 * would make an empty or an enormous model input. Only the fields the app reads are checked
 * (other fields are transformers.js' business, and hub models carry many); a number out of
 * range is refused with an error that names the file and the field, except max_new_tokens,
 * which is clamped to MAX_NEW_TOKENS_CAP (a long but finite output is still an answer).
 *
 * Applied by the OCR service to a user folder's files when they are registered and to every
 * JSON file a hub model downloads (size bounds, src/model/service.ts), and by the engine to
 * what transformers.js parsed (src/model/engine.ts, which the Node tools use too).
 */
import * as v from 'valibot';
import type { PrepareSpec } from '../image/prepare.ts';
import { MAX_INSTRUCTION_CHARS } from './limits.ts';

/**
 * The most tokens one recognition generates, whatever a model's generation_config or a caller
 * asks. The built-in models ask for 200 (their decoder has 256 positions); 1024 leaves room for
 * other models' long formulas while bounding the decode (about 1 s of WASM time per 100 tokens
 * for a small model on a slow machine, within the page's recognition time limit).
 */
export const MAX_NEW_TOKENS_CAP = 1024;

/** The largest config file accepted (config.json, generation_config.json, preprocessor_config.json, ...): ours are under 2 kB. */
export const MAX_CONFIG_JSON_BYTES = 1024 * 1024;
/** The largest tokenizer.json accepted: large-vocabulary tokenizers are a few MB (ours is 12 kB). */
export const MAX_TOKENIZER_JSON_BYTES = 32 * 1024 * 1024;

/** The byte limit for one JSON file of a model, by its name. */
export function maxJsonBytes(file: string): number {
  const name = file.split('/').pop() ?? file;
  return name === 'tokenizer.json' || name === 'vocab.json' ? MAX_TOKENIZER_JSON_BYTES : MAX_CONFIG_JSON_BYTES;
}

/** Bounds of the `latex_ocr_prepare` numbers (src/image/prepare.ts); the built-in models use 64, 1024 and 64. */
export const PREPARE_LIMITS = {
  height: { min: 8, max: 512 },
  max_width: { min: 8, max: 4096 },
  min_width: { min: 1, max: 4096 },
} as const;

/** The largest image side a processor config may ask for (`size`): 16 megapixels at most. */
export const MAX_IMAGE_SIDE = 4096;

/** Config files the schema reads, relative to the model folder. Other *.json files are only size-bounded. */
export const CONFIG_FILES = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer_config.json'] as const;
export type ConfigFile = (typeof CONFIG_FILES)[number];

/** A refused model config: the message names the file and the field. */
export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

/** A byte count as people read it ("1 MiB"). */
function bytesText(n: number): string {
  return n >= 1024 * 1024 ? `${+(n / 1024 / 1024).toFixed(1)} MiB` : `${+(n / 1024).toFixed(1)} KiB`;
}

/** Throws when a JSON file of a model is larger than its limit (checked before it is read or parsed). */
export function checkJsonSize(file: string, bytes: number): void {
  const limit = maxJsonBytes(file);
  if (bytes > limit) throw new ModelConfigError(`${file} is too large (${bytes.toLocaleString('en')} bytes): a model's ${file.split('/').pop()} may be at most ${bytesText(limit)}.`);
}

const int = (min: number, max: number) =>
  v.pipe(
    v.number('must be a number'),
    v.integer(`must be a whole number from ${min} to ${max}`),
    v.minValue(min, `must be a whole number from ${min} to ${max}`),
    v.maxValue(max, `must be a whole number from ${min} to ${max}`),
  );

const TokenId = v.pipe(v.number('must be a token id (a whole number)'), v.integer('must be a token id (a whole number)'), v.minValue(0, 'must be a token id (0 or more)'));
const TokenIdOrNull = v.nullish(TokenId);
const TokenIds = v.nullish(v.union([TokenId, v.array(TokenId)], 'must be a token id or a list of token ids'));

/** Token ids the engine reads (src/model/engine.ts generationSettings), wherever they are set. */
const tokenFields = {
  decoder_start_token_id: TokenIdOrNull,
  bos_token_id: TokenIdOrNull,
  eos_token_id: TokenIds,
};

/** Clamp a token budget to 1..MAX_NEW_TOKENS_CAP (a fraction is rounded down). */
export function capMaxNewTokens(n: number): number {
  return Math.min(MAX_NEW_TOKENS_CAP, Math.max(1, Math.floor(n)));
}

const ConfigJson = v.looseObject(
  {
    ...tokenFields,
    is_encoder_decoder: v.optional(v.boolean('must be true or false')),
    decoder: v.optional(v.looseObject(tokenFields, 'must be an object')),
    // a vision-language model's training instruction (src/model/vlm.ts): shown on the page and sent to the model
    latex_ocr_instruction: v.optional(
      v.pipe(
        v.string('must be text'),
        v.check((s) => s.trim() !== '', 'must not be empty'),
        v.maxLength(MAX_INSTRUCTION_CHARS, `must be at most ${MAX_INSTRUCTION_CHARS} characters`),
      ),
    ),
  },
  'must be a JSON object',
);

const GenerationConfigJson = v.looseObject(
  {
    ...tokenFields,
    // clamped, not refused: a model that asks for a long output still works, within the cap
    max_new_tokens: v.nullish(
      v.pipe(v.number('must be a number'), v.integer('must be a whole number of 1 or more'), v.minValue(1, 'must be a whole number of 1 or more'), v.transform(capMaxNewTokens)),
    ),
  },
  'must be a JSON object',
);

const Side = int(1, MAX_IMAGE_SIDE);

/** `latex_ocr_prepare` (src/image/prepare.ts PrepareSpec): every field is required, unknown ones are dropped. */
export const PrepareSpecSchema = v.pipe(
  v.object(
    {
      grey: v.boolean('must be true or false'),
      trim: v.boolean('must be true or false'),
      height: int(PREPARE_LIMITS.height.min, PREPARE_LIMITS.height.max),
      max_width: int(PREPARE_LIMITS.max_width.min, PREPARE_LIMITS.max_width.max),
      min_width: int(PREPARE_LIMITS.min_width.min, PREPARE_LIMITS.min_width.max),
    },
    'must be an object',
  ),
  v.forward(
    v.check((p) => p.min_width <= p.max_width, 'must not be larger than max_width'),
    ['min_width'],
  ),
);

const PreprocessorConfigJson = v.looseObject(
  {
    size: v.optional(
      v.union(
        [Side, v.looseObject({ height: v.optional(Side), width: v.optional(Side), shortest_edge: v.optional(Side), longest_edge: v.optional(Side) })],
        `must be a side length or {height, width} from 1 to ${MAX_IMAGE_SIDE}`,
      ),
    ),
    latex_ocr_prepare: v.optional(PrepareSpecSchema),
  },
  'must be a JSON object',
);

const JsonObject = v.looseObject({}, 'must be a JSON object');

/** The one schema: each config file a model may provide, by its name in the model folder. */
export const ModelConfigSchema = v.object({
  'config.json': v.optional(ConfigJson),
  'generation_config.json': v.optional(GenerationConfigJson),
  'preprocessor_config.json': v.optional(PreprocessorConfigJson),
  'tokenizer_config.json': v.optional(JsonObject),
});

export type ModelConfigFiles = Partial<Record<ConfigFile, unknown>>;

/** What the app takes from a model's configs once they are checked. */
export interface ModelConfig {
  /** `latex_ocr_prepare` of preprocessor_config.json; null when the model has none (its processor decides). */
  prepare: PrepareSpec | null;
  /** generation_config.json's max_new_tokens, clamped to MAX_NEW_TOKENS_CAP; undefined when it sets none. */
  maxNewTokens?: number;
  /** config.json's latex_ocr_instruction (a vision-language model's training instruction); undefined when it declares none. */
  instruction?: string;
}

/** Say "got …" only for short values: the point is the field, not an echo of a big object. */
function got(issue: v.BaseIssue<unknown>): string {
  const r = issue.received;
  return r && r.length <= 40 && r !== 'Object' && r !== 'Array' ? ` (got ${r})` : '';
}

/** Check a model's config files (parsed JSON, by file name); throws ModelConfigError naming the file and field. */
export function checkModelConfig(files: ModelConfigFiles): ModelConfig {
  // one issue per field: the first check a value fails says what is wrong with it
  const r = v.safeParse(ModelConfigSchema, files, { abortPipeEarly: true });
  if (!r.success) {
    const lines = r.issues.slice(0, 3).map((issue) => {
      const [file, ...field] = (issue.path ?? []).map((p) => String(p.key));
      return `${file}: ${field.length ? `${field.join('.')} ` : ''}${issue.message}${got(issue)}`;
    });
    throw new ModelConfigError(`The model's configuration is refused: ${lines.join('; ')}.`);
  }
  const out = r.output;
  return {
    prepare: out['preprocessor_config.json']?.latex_ocr_prepare ?? null,
    maxNewTokens: out['generation_config.json']?.max_new_tokens ?? undefined,
    ...(out['config.json']?.latex_ocr_instruction !== undefined ? { instruction: out['config.json'].latex_ocr_instruction } : {}),
  };
}

/** Parse one config file's text (size-bounded first); throws ModelConfigError for bad JSON. */
export function parseConfigJson(file: string, text: string, bytes = text.length): unknown {
  checkJsonSize(file, bytes);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelConfigError(`${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * A PrepareSpec checked against PREPARE_LIMITS, for specs that did not come through
 * checkModelConfig (src/image/prepare.ts asks before using one); throws ModelConfigError.
 */
export function checkPrepareSpec(spec: unknown): PrepareSpec {
  const r = v.safeParse(PrepareSpecSchema, spec, { abortPipeEarly: true });
  if (r.success) return r.output;
  const issue = r.issues[0];
  const field = (issue.path ?? []).map((p) => String(p.key)).join('.');
  throw new ModelConfigError(`latex_ocr_prepare${field ? `.${field}` : ''} ${issue.message}${got(issue)}.`);
}
