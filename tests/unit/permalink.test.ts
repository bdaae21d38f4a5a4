import { describe, expect, it } from 'vitest';
import { decodePermalink, decodeStrokes, encodePermalink, encodeStrokes, type PermalinkState } from '../../src/research/permalink.ts';
import { base64ToBytes, bytesToBase64, fromBase64Url, toBase64Url } from '../../src/util/base64.ts';
import type { Stroke } from '../../src/draw/strokes.ts';
import { mulberry32 } from '../../src/util/random.ts';
import { HUB_ID_RE, MODEL_KEY_RE } from '../../src/schema/model-key.ts';
import { MAX_STROKE_WIDTH, MIN_STROKE_WIDTH } from '../../src/draw/strokes.ts';

describe('stroke encoding', () => {
  const strokes: Stroke[] = [
    {
      width: 4.25,
      points: [
        { x: 10, y: 20, pressure: 0.5 },
        { x: 10.5, y: 19.5, pressure: 0.5 },
        { x: 300, y: -2, pressure: 0.5 },
      ],
    },
    {
      width: 6,
      realPressure: true,
      points: [
        { x: 0, y: 0, pressure: 0 },
        { x: 1000.5, y: 700, pressure: 1 },
        { x: 999, y: 701, pressure: 128 / 255 },
      ],
    },
    { width: 3, points: [] },
  ];

  it('round-trips exactly at half-pixel / quarter-pixel-width / 1/255-pressure precision', () => {
    expect(decodeStrokes(encodeStrokes(strokes))).toEqual(strokes);
    expect(decodeStrokes(encodeStrokes([]))).toEqual([]);
  });

  it('round-trips arbitrary strokes within the quantisation', () => {
    const rnd = mulberry32(7);
    const many: Stroke[] = Array.from({ length: 30 }, () => ({
      width: 1 + rnd() * 20,
      realPressure: rnd() < 0.5,
      points: Array.from({ length: 1 + Math.floor(rnd() * 80) }, () => ({ x: rnd() * 2000 - 100, y: rnd() * 1000, pressure: rnd() })),
    }));
    const back = decodeStrokes(encodeStrokes(many));
    expect(back).toHaveLength(many.length);
    back.forEach((s, i) => {
      expect(Math.abs(s.width - many[i].width)).toBeLessThanOrEqual(0.125);
      expect(!!s.realPressure).toBe(many[i].realPressure);
      expect(s.points).toHaveLength(many[i].points.length);
      s.points.forEach((p, k) => {
        const q = many[i].points[k];
        expect(Math.abs(p.x - q.x)).toBeLessThanOrEqual(0.25 + 1e-9);
        expect(Math.abs(p.y - q.y)).toBeLessThanOrEqual(0.25 + 1e-9);
        expect(Math.abs(p.pressure - q.pressure)).toBeLessThanOrEqual(0.5 / 255 + 1e-9);
      });
    });
  });

  it('is compact: deltas of nearby points take about two bytes per point', () => {
    const line: Stroke = { width: 4, points: Array.from({ length: 200 }, (_, i) => ({ x: 100 + i, y: 50 + Math.round(Math.sin(i / 10) * 20), pressure: 0.5 })) };
    const bytes = fromBase64Url(encodeStrokes([line])).length;
    expect(bytes).toBeLessThan(200 * 2 + 16);
  });

  it('refuses malformed data with a message', () => {
    expect(() => decodeStrokes('not base64!')).toThrow(/base64url/);
    expect(() => decodeStrokes(toBase64Url(Uint8Array.from([2, 0])))).toThrow(/unknown drawing format/);
    expect(() => decodeStrokes(toBase64Url(Uint8Array.from([1, 1, 8, 0, 5, 0])))).toThrow(/ends too early/);
    expect(() => decodeStrokes(toBase64Url(Uint8Array.from([1, 0, 9])))).toThrow(/trailing/);
    expect(() => decodeStrokes(toBase64Url(Uint8Array.from([1, 0xff, 0xff, 0x7f])))).toThrow(/too many strokes/);
  });

  it('base64url round trip of every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const s = toBase64Url(all);
    expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(fromBase64Url(s)).toEqual(all);
    // the one helper's standard alphabet (history data URLs, bench images): same bytes, padding kept
    expect(base64ToBytes(bytesToBase64(all))).toEqual(all);
    expect(bytesToBase64(Uint8Array.from([0xfb, 0xff]))).toBe('+/8=');
    expect(base64ToBytes(' +/8=\n')).toEqual(Uint8Array.from([0xfb, 0xff]));
    expect(() => base64ToBytes('a-b_')).toThrow(/not base64/);
    expect(() => fromBase64Url('+/8')).toThrow(/not base64url/);
  });
});

describe('permalink', () => {
  const full: PermalinkState = {
    image: { kind: 'example', id: 'crohme-2014-RIT_2014_251' },
    reference: '\\frac { a } { b } & = c , "d"',
    perturb: { ink: '#ffffff', paper: '#1e40af', invert: 0.25 },
    panes: [
      { variant: 'original', modelKey: 'builtin:narrow', device: 'wasm' },
      { variant: 'perturbed', modelKey: 'hub:someone/latex-ocr.v2', device: 'auto', dtype: 'q8', numBeams: 3 },
    ],
    mode: 'research',
    research: { variable: 'colour', from: 0, to: 1, steps: 7, models: ['builtin:augmented', 'builtin:narrow'], device: 'webgpu' },
  };

  it('round-trips a full state', () => {
    const hash = encodePermalink(full);
    const { state, errors, empty } = decodePermalink('#' + hash);
    expect(errors).toEqual([]);
    expect(empty).toBe(false);
    expect(state).toEqual(full);
  });

  it('round-trips a drawing, and an empty state', () => {
    const s: PermalinkState = { image: { kind: 'strokes', strokes: [{ width: 5, points: [{ x: 1, y: 2, pressure: 0.5 }] }] }, mode: 'compare' };
    expect(decodePermalink(encodePermalink(s)).state).toEqual(s);
    expect(decodePermalink(encodePermalink({}))).toEqual({ state: {}, errors: [], empty: false });
  });

  it('encodes only the settings that differ from the defaults', () => {
    const hash = encodePermalink({ perturb: { ink: '#000000', paper: '#ffffff', invert: 1, scale: 1 } });
    expect(hash).toBe('v=1&p.invert=1');
    expect(decodePermalink(hash).state.perturb).toEqual({ invert: 1 });
  });

  it('a hash that is not a permalink is empty', () => {
    expect(decodePermalink('').empty).toBe(true);
    expect(decodePermalink('#section-2').empty).toBe(true);
  });

  it('drops invalid fields with a message and keeps the rest', () => {
    const { state, errors } = decodePermalink(
      'v=1&ex=../../etc&p.invert=5&p.ink=red&p.bogus=1&p.hue=abc&pane=original~builtin:narrow~wasm~&pane=sideways~x~y&pane=perturbed~javascript:alert(1)~auto&mode=fun&r.var=colour&r.from=0&r.to=1&r.steps=9999&r.models=builtin:narrow&r.dev=auto',
      { variables: ['colour'] },
    );
    expect(state.image).toBeUndefined();
    expect(state.perturb).toEqual({ invert: 1 }); // clamped to its range
    expect(state.panes).toEqual([{ variant: 'original', modelKey: 'builtin:narrow', device: 'wasm' }]);
    expect(state.mode).toBeUndefined();
    expect(state.research).toBeUndefined();
    expect(errors.join('\n')).toMatch(/example image/);
    expect(errors.join('\n')).toMatch(/"bogus"/);
    expect(errors.join('\n')).toMatch(/"ink" has a bad value/);
    expect(errors.join('\n')).toMatch(/"hue" has a bad value/);
    expect(errors.filter((e) => /pane/.test(e))).toHaveLength(2);
    expect(errors.join('\n')).toMatch(/mode/);
    expect(errors.join('\n')).toMatch(/sweep settings/);
  });

  it('a pane keeps its beam width; links without one still read; a width out of range drops the pane', () => {
    expect(encodePermalink({ panes: [{ variant: 'original', modelKey: 'builtin:narrow', device: 'wasm', numBeams: 5 }] })).toContain('pane=original%7Ebuiltin%3Anarrow%7Ewasm%7E%7E5');
    const { state, errors } = decodePermalink('v=1&pane=original~builtin:narrow~wasm~&pane=original~builtin:narrow~wasm~q8~8&pane=original~builtin:narrow~wasm~~9&pane=original~builtin:narrow~wasm~~two');
    expect(state.panes).toEqual([
      { variant: 'original', modelKey: 'builtin:narrow', device: 'wasm' },
      { variant: 'original', modelKey: 'builtin:narrow', device: 'wasm', dtype: 'q8', numBeams: 8 },
    ]);
    expect(errors.filter((e) => /pane/.test(e))).toHaveLength(2);
  });

    it('checks the sweep variable against the known ones when given', () => {
    const hash = encodePermalink({ research: { variable: 'nope', from: 0, to: 1, steps: 3, models: ['builtin:narrow'], device: 'auto' } });
    expect(decodePermalink(hash, { variables: ['colour'] }).state.research).toBeUndefined();
    expect(decodePermalink(hash).state.research?.variable).toBe('nope');
  });

  it('a broken drawing is reported, not thrown', () => {
    const { state, errors } = decodePermalink('v=1&draw=AQ');
    expect(state.image).toBeUndefined();
    expect(errors[0]).toMatch(/drawing/);
  });

  it('a link from another version is read with a warning', () => {
    const { state, errors } = decodePermalink('v=2&mode=research');
    expect(state.mode).toBe('research');
    expect(errors[0]).toMatch(/another version/);
  });

  it('clamps perturbation settings to the registry limits, and says so (a link cannot ask for minutes of work)', () => {
    const { state, errors } = decodePermalink('v=1&p.scale=10&p.margin=2000&p.blur=50&p.jpeg=0&p.rotate=7.5&p.seed=1e12');
    expect(state.perturb).toEqual({ scale: 3, margin: 200, blur: 6, jpeg: 1, rotate: 7.5, seed: 2 ** 31 - 1 });
    for (const k of ['scale', 'margin', 'blur', 'jpeg', 'seed']) expect(errors.join('\n')).toMatch(new RegExp(`"${k}" .* is outside`));
    expect(errors.join('\n')).not.toMatch(/"rotate"/);
  });

  it('model keys: one rule, with no ".." (the same regex the model panel uses for hub ids)', () => {
    for (const bad of ['hub:a/../../x', 'hub:../x', 'hub:a..b/c', 'hub:a/b/c', 'builtin:../narrow', 'user:a/b', 'hub:', 'hub:/a', 'ftp:a']) expect(MODEL_KEY_RE.test(bad), bad).toBe(false);
    for (const good of ['builtin:augmented', 'user:my-model.v2', 'hub:someone/latex-ocr.v2', 'hub:Xenova_ok/model-1']) expect(MODEL_KEY_RE.test(good), good).toBe(true);
    expect(HUB_ID_RE.test('owner/model')).toBe(true);
    expect(HUB_ID_RE.test('owner/mo..del')).toBe(false);
    const { state, errors } = decodePermalink('v=1&pane=original~hub:a/../../x~auto~&r.var=colour&r.from=0&r.to=1&r.steps=2&r.models=hub:..%2Fx&r.dev=auto');
    expect(state.panes).toBeUndefined();
    expect(state.research).toBeUndefined();
    expect(errors).toHaveLength(2);
  });

  it('stroke widths in a link are clamped to the drawing panel\'s limits; far-off points are refused', () => {
    const wide: Stroke[] = [{ width: 500, points: [{ x: 1, y: 1, pressure: 0.5 }] }, { width: 0, points: [{ x: 2, y: 2, pressure: 0.5 }] }];
    expect(decodeStrokes(encodeStrokes(wide)).map((s) => s.width)).toEqual([MAX_STROKE_WIDTH, MIN_STROKE_WIDTH]);
    const far: Stroke[] = [{ width: 4, points: [{ x: 1e7, y: 1, pressure: 0.5 }] }];
    expect(() => decodeStrokes(encodeStrokes(far))).toThrow(/100000/);
    const { state, errors } = decodePermalink(encodePermalink({ image: { kind: 'strokes', strokes: far } }));
    expect(state.image).toBeUndefined();
    expect(errors[0]).toMatch(/drawing/);
  });

  it('a hash too long to be a link is reported, not read', () => {
    const { state, errors, empty } = decodePermalink('v=1&ref=' + 'x'.repeat(2_000_000));
    expect(empty).toBe(false);
    expect(state).toEqual({});
    expect(errors[0]).toMatch(/too long/);
  });
});
