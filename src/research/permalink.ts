/**
 * Permalinks: a comparison (image, perturbation, panes, mode, sweep settings) in the
 * URL hash, and back. The image travels by reference (an example id) or as the
 * drawn strokes in a compact binary form (quantised, delta and varint coded,
 * base64url); an uploaded image cannot travel and is left out.
 *
 * Decoding reads untrusted text: every field is checked against the app's schemas
 * (src/schema/: settings, model keys, drawings, sizes), bad fields are dropped with a
 * message. Pure code (no DOM), tested in Node.
 */
import type { Stroke } from '../draw/strokes.ts';
import { DEFAULT_PERTURB, type PerturbOptions } from '../perturb/types.ts';
import type { DeviceChoice, Dtype } from '../worker-api/ocr.ts';
import { MAX_SWEEP_MODELS, MAX_SWEEP_STEPS, type ResearchConfig } from './config.ts';
import { checkNumBeams } from '../model/beam.ts';
import { fromBase64Url, toBase64Url } from '../util/base64.ts';
import { readPerturb } from '../schema/perturb.ts';
import { checkStrokes } from '../schema/strokes.ts';
import { MODEL_KEY_RE } from '../schema/model-key.ts';
import { MAX_INSTRUCTION_CHARS, MAX_PANES, MAX_POINTS, MAX_REFERENCE_LENGTH, MAX_STROKES } from '../schema/limits.ts';
import { DEVICE_CHOICES, DTYPES } from '../schema/history.ts';
import { MAX_INSTRUCTION_LIST_CHARS } from './instructions.ts';

export const PERMALINK_VERSION = 1;

export interface PermalinkPane {
  variant: 'original' | 'perturbed';
  modelKey: string;
  device: DeviceChoice;
  dtype?: Dtype;
  numBeams?: number;
  /** A vision-language model's instruction (free text: its own `instr` parameter, "<pane number>~<text>"). */
  instruction?: string;
}

export interface PermalinkState {
  image?: { kind: 'example'; id: string } | { kind: 'strokes'; strokes: Stroke[] };
  reference?: string;
  /** Only the settings that differ from the defaults are encoded. */
  perturb?: Partial<PerturbOptions>;
  panes?: PermalinkPane[];
  mode?: 'compare' | 'research';
  research?: ResearchConfig;
}

const DEVICES: readonly DeviceChoice[] = DEVICE_CHOICES;
/** Longer hashes are not read at all (a drawing at the point limit is well under this). */
export const MAX_HASH_LENGTH = 1_000_000;
/** Coordinates are kept to this fraction of a pixel; widths to a quarter pixel. */
const XY_SCALE = 2;
const WIDTH_SCALE = 4;
/** Mice report this pressure; strokes where every point has it store no pressure bytes. */
const DEFAULT_PRESSURE = 0.5;

const EXAMPLE_ID_RE = /^[\w.-]{1,100}$/;

// ---------------------------------------------------------------- strokes

/** Unsigned LEB128 varint. */
function pushVarint(out: number[], v: number) {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`varint out of range: ${v}`);
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}
const zigzag = (v: number) => (v < 0 ? -2 * v - 1 : 2 * v);
const unzigzag = (v: number) => (v % 2 ? -(v + 1) / 2 : v / 2);

class Reader {
  i = 0;
  constructor(private b: Uint8Array) {}
  byte(): number {
    if (this.i >= this.b.length) throw new Error('drawing data ends too early');
    return this.b[this.i++];
  }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 6; k++) {
      const c = this.byte();
      v += (c & 0x7f) * mul;
      if (!(c & 0x80)) return v;
      mul *= 0x80;
    }
    throw new Error('drawing data has a bad number');
  }
  get done() {
    return this.i >= this.b.length;
  }
}

/**
 * Strokes to bytes: version, stroke count, then per stroke its width, a flags byte
 * (1 = real pressure, 2 = pressure bytes follow), point count and the points as
 * zigzag varint deltas of half-pixel coordinates (continuing from the previous
 * stroke's last point), each followed by its pressure byte when stored.
 */
export function encodeStrokes(strokes: readonly Stroke[]): string {
  const out: number[] = [1];
  pushVarint(out, strokes.length);
  let px = 0;
  let py = 0;
  for (const s of strokes) {
    pushVarint(out, Math.max(0, Math.round(s.width * WIDTH_SCALE)));
    const withPressure = s.points.some((p) => p.pressure !== DEFAULT_PRESSURE);
    out.push((s.realPressure ? 1 : 0) | (withPressure ? 2 : 0));
    pushVarint(out, s.points.length);
    for (const p of s.points) {
      const x = Math.round(p.x * XY_SCALE);
      const y = Math.round(p.y * XY_SCALE);
      pushVarint(out, zigzag(x - px));
      pushVarint(out, zigzag(y - py));
      px = x;
      py = y;
      if (withPressure) out.push(Math.round(Math.min(1, Math.max(0, p.pressure)) * 255));
    }
  }
  return toBase64Url(Uint8Array.from(out));
}

export function decodeStrokes(text: string): Stroke[] {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(text);
  } catch {
    throw new Error('drawing data is not base64url');
  }
  const r = new Reader(bytes);
  const version = r.byte();
  if (version !== 1) throw new Error(`unknown drawing format ${version}`);
  const n = r.varint();
  if (n > MAX_STROKES) throw new Error(`too many strokes (${n})`);
  const strokes: Stroke[] = [];
  let px = 0;
  let py = 0;
  let total = 0;
  for (let s = 0; s < n; s++) {
    const width = r.varint() / WIDTH_SCALE;
    const flags = r.byte();
    const count = r.varint();
    total += count;
    if (total > MAX_POINTS) throw new Error('too many points in the drawing');
    const points: Stroke['points'] = [];
    for (let k = 0; k < count; k++) {
      px += unzigzag(r.varint());
      py += unzigzag(r.varint());
      const pressure = flags & 2 ? r.byte() / 255 : DEFAULT_PRESSURE;
      points.push({ x: px / XY_SCALE, y: py / XY_SCALE, pressure });
    }
    const stroke: Stroke = { points, width };
    if (flags & 1) stroke.realPressure = true;
    strokes.push(stroke);
  }
  if (!r.done) throw new Error('drawing data has trailing bytes');
  // stroke widths into the drawing panel's range, coordinates near the drawing
  return checkStrokes(strokes);
}

// ---------------------------------------------------------------- settings

function encodeValue(v: unknown): string {
  if (typeof v === 'number') return String(Number(v.toPrecision(8)));
  return String(v);
}

/** The hash (without '#') for a state. Keys: v, ex | draw, ref, p.<setting>, pane, mode, r.* */
export function encodePermalink(s: PermalinkState): string {
  const q = new URLSearchParams();
  q.set('v', String(PERMALINK_VERSION));
  if (s.image?.kind === 'example') q.set('ex', s.image.id);
  else if (s.image?.kind === 'strokes') q.set('draw', encodeStrokes(s.image.strokes));
  if (s.reference) q.set('ref', s.reference);
  if (s.perturb) {
    for (const k of Object.keys(DEFAULT_PERTURB) as (keyof PerturbOptions)[]) {
      const v = s.perturb[k];
      if (v !== undefined && v !== DEFAULT_PERTURB[k]) q.set(`p.${k}`, encodeValue(v));
    }
  }
  // a fifth field, the beam width, only when set (links made before it existed have four)
  for (const p of s.panes ?? []) q.append('pane', [p.variant, p.modelKey, p.device, p.dtype ?? '', ...(p.numBeams !== undefined ? [p.numBeams] : [])].join('~'));
  // an instruction may hold any character ("~" too): it goes in a parameter of its own, after its pane's number
  (s.panes ?? []).forEach((p, i) => p.instruction !== undefined && q.append('instr', `${i + 1}~${p.instruction}`));
  if (s.mode) q.set('mode', s.mode);
  if (s.research) {
    const r = s.research;
    q.set('r.var', r.variable);
    q.set('r.from', encodeValue(r.from));
    q.set('r.to', encodeValue(r.to));
    q.set('r.steps', String(r.steps));
    q.set('r.models', r.models.join(','));
    q.set('r.dev', r.device);
    if (r.instructions !== undefined) q.set('r.instr', r.instructions);
  }
  return q.toString();
}

function num(s: string | null): number | null {
  if (s === null || s.trim() === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/**
 * Read a hash (with or without '#'). Returns what could be read and a message per
 * field that could not; `empty` is true when the hash is not a permalink at all.
 */
export function decodePermalink(hash: string, opts: { variables?: readonly string[] } = {}): { state: PermalinkState; errors: string[]; empty: boolean } {
  const text = hash.replace(/^#/, '');
  const errors: string[] = [];
  const state: PermalinkState = {};
  if (text.length > MAX_HASH_LENGTH) {
    const probe = new URLSearchParams(text.slice(0, 100));
    return probe.has('v') ? { state, errors: [`The link is too long to read (${text.length} characters; at most ${MAX_HASH_LENGTH}).`], empty: false } : { state, errors, empty: true };
  }
  const q = new URLSearchParams(text);
  if (!q.has('v')) return { state, errors, empty: true };
  if (q.get('v') !== String(PERMALINK_VERSION)) errors.push(`This link was made by another version of the app (v=${q.get('v')}); reading what it can.`);

  const ex = q.get('ex');
  const draw = q.get('draw');
  if (ex !== null) {
    if (EXAMPLE_ID_RE.test(ex)) state.image = { kind: 'example', id: ex };
    else errors.push('The link names an example image that is not valid.');
  } else if (draw !== null) {
    try {
      state.image = { kind: 'strokes', strokes: decodeStrokes(draw) };
    } catch (e) {
      errors.push(`The drawing in the link could not be read: ${e instanceof Error ? e.message : e}.`);
    }
  }

  const ref = q.get('ref');
  if (ref !== null) {
    if (ref.length <= MAX_REFERENCE_LENGTH) state.reference = ref;
    else errors.push('The reference LaTeX in the link is too long.');
  }

  const raw: Record<string, string> = {};
  for (const [key, value] of q) if (key.startsWith('p.')) raw[key.slice(2)] = value;
  const { perturb, errors: perturbErrors } = readPerturb(raw, { text: true });
  errors.push(...perturbErrors);
  if (Object.keys(perturb).length) state.perturb = perturb;

  const panes: PermalinkPane[] = [];
  const paneTexts = q.getAll('pane');
  if (paneTexts.length > MAX_PANES) errors.push(`The link has ${paneTexts.length} panes; the first ${MAX_PANES} are shown.`);
  const paneAt = new Map<number, PermalinkPane>();
  for (const [i, raw] of paneTexts.slice(0, MAX_PANES).entries()) {
    const [variant, modelKey, device, dtype, beams] = raw.split('~');
    let numBeams: number | undefined;
    try {
      numBeams = beams === undefined ? undefined : checkNumBeams(beams);
    } catch {
      numBeams = NaN;
    }
    if (
      (variant === 'original' || variant === 'perturbed') &&
      MODEL_KEY_RE.test(modelKey ?? '') &&
      DEVICES.includes(device as DeviceChoice) &&
      (!dtype || DTYPES.includes(dtype as Dtype)) &&
      !Number.isNaN(numBeams)
    ) {
      const pane: PermalinkPane = { variant, modelKey, device: device as DeviceChoice, ...(dtype ? { dtype: dtype as Dtype } : {}), ...(numBeams !== undefined ? { numBeams } : {}) };
      panes.push(pane);
      paneAt.set(i + 1, pane);
    } else errors.push('A pane in the link is not valid and was left out.');
  }
  // instructions name their pane by its number in the link (a pane left out above takes its instruction with it)
  for (const raw of q.getAll('instr').slice(0, MAX_PANES)) {
    const cut = raw.indexOf('~');
    const n = Number(raw.slice(0, Math.max(0, cut)));
    const text = raw.slice(cut + 1);
    const pane = cut > 0 && Number.isInteger(n) ? paneAt.get(n) : undefined;
    if (pane && text.length <= MAX_INSTRUCTION_CHARS && pane.instruction === undefined) pane.instruction = text;
    else errors.push(text.length > MAX_INSTRUCTION_CHARS ? `An instruction in the link is too long (at most ${MAX_INSTRUCTION_CHARS} characters) and was left out.` : 'An instruction in the link names no pane and was left out.');
  }
  if (panes.length) state.panes = panes;

  const mode = q.get('mode');
  if (mode === 'compare' || mode === 'research') state.mode = mode;
  else if (mode !== null) errors.push(`Unknown mode "${mode}".`);

  if (q.has('r.var')) {
    const variable = q.get('r.var') ?? '';
    const from = num(q.get('r.from'));
    const to = num(q.get('r.to'));
    const steps = num(q.get('r.steps'));
    const models = (q.get('r.models') ?? '').split(',').filter(Boolean);
    const device = q.get('r.dev') as DeviceChoice;
    const okVar = opts.variables ? opts.variables.includes(variable) : /^\w{1,40}$/.test(variable);
    if (
      okVar &&
      from !== null &&
      to !== null &&
      steps !== null &&
      Number.isInteger(steps) &&
      steps >= 1 &&
      steps <= MAX_SWEEP_STEPS &&
      models.length >= 1 &&
      models.length <= MAX_SWEEP_MODELS &&
      models.every((m) => MODEL_KEY_RE.test(m)) &&
      DEVICES.includes(device)
    ) {
      state.research = { variable, from, to, steps, models, device };
      // the instruction variable's wordings, one per line (src/research/instructions.ts)
      const instr = q.get('r.instr');
      if (instr !== null && instr.length <= MAX_INSTRUCTION_LIST_CHARS) state.research.instructions = instr;
      else if (instr !== null) errors.push('The sweep instructions in the link are too long and were left out.');
    } else errors.push('The sweep settings in the link are not valid.');
  }
  return { state, errors, empty: false };
}
