/**
 * "Where it looks" on the shipped models (issue 15): the cross-attention the built-in decoders
 * return, read by one teacher-forced pass over their own prediction, and occlusion maps from the
 * same pass, on the KaTeX-rendered Pythagoras fixture.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { openModel, readImage, tjs } from '../../cli/common.ts';
import { greedyDecode, modelInputs, type EngineModel } from '../../src/model/engine.ts';
import { attentionRows, forcedPass, forcedScorer } from '../../src/model/explain.ts';
import { centroid, inkMask, inkPerCell, inkShare, INK_CELL_SHARE } from '../../src/explain/maps.ts';
import { occlusionMap, occlusionScores, patches } from '../../src/explain/occlusion.ts';
import { applyPerturbations } from '../../src/perturb/ops.ts';
import { WHITE_ON_BLUE } from '../../src/perturb/types.ts';
import type { Raster } from '../../src/image/raster.ts';
import { FIXTURE_DIR, generateFixtures } from '../fixtures/generate.ts';

let pythagoras: Raster;
const models: Record<string, EngineModel> = {};

beforeAll(async () => {
  await generateFixtures();
  pythagoras = await readImage(path.join(FIXTURE_DIR, 'pythagoras.png'));
  for (const id of ['narrow', 'augmented']) models[id] = await openModel(id, 'cpu', 'q8');
}, 300_000);

async function explain(model: EngineModel, image: Raster) {
  const { modelInput, inputs } = await modelInputs(tjs, model, image);
  const d = await greedyDecode(model, inputs, { maxNewTokens: 60 });
  const eos = d.ids.at(-1) === 2 ? 1 : 0;
  const ids = d.ids.slice(0, d.ids.length - eos);
  const tokens = ids.map((id) => String(model.pipe.tokenizer.decode([id])));
  const pass = await forcedPass(tjs, model, inputs, d.start, ids);
  return { modelInput, d, ids, tokens, pass };
}

/** Mean over tokens of the share of attention on ink cells, and the share of the grid's cells that hold ink. */
function meanInkShare(modelInput: Raster, maps: NonNullable<Awaited<ReturnType<typeof forcedPass>>['attention']>) {
  const mask = inkMask(modelInput);
  const shares = maps.map((m) => inkShare(m, modelInput, mask));
  const cells = inkPerCell(modelInput, maps[0].rows, maps[0].cols, mask);
  return { share: shares.reduce((s, v) => s + v, 0) / shares.length, inkCells: cells.filter((v) => v >= INK_CELL_SHARE).length / cells.length };
}

describe('attention maps of the built-in models', () => {
  it('both built-in models return their cross-attention on a 4-row grid', () => {
    expect(attentionRows(models.narrow)).toBe(4);
    expect(attentionRows(models.augmented)).toBe(4);
  });

  it('the teacher-forced pass gives the probabilities the decoding saw, and one map per token', async () => {
    const { d, ids, tokens, pass } = await explain(models.augmented, pythagoras);
    expect(tokens.join(' ')).toBe('a ^ { 2 } + b ^ { 2 } = c ^ { 2 }');
    expect(pass.attention).toHaveLength(ids.length);
    ids.forEach((id, k) => {
      const step = d.steps[k];
      expect(pass.logProbs[k]).toBeCloseTo(Math.log(step.probs[step.ids.indexOf(id)]), 1);
      const sum = pass.attention![k].values.reduce((s, v) => s + v, 0);
      expect(sum).toBeCloseTo(1, 3); // a softmax over the cells
    });
  });

  it('reads left to right: the first a is looked at left of the last 2', async () => {
    const { tokens, pass } = await explain(models.augmented, pythagoras);
    const a = centroid(pass.attention![tokens.indexOf('a')])!;
    const two = centroid(pass.attention![tokens.lastIndexOf('2')])!;
    expect(a.x).toBeLessThan(0.35);
    expect(two.x).toBeGreaterThan(0.6);
    expect(a.x).toBeLessThan(two.x);
  });

  it('on white on blue, the augmented model still looks at the ink; the narrow one spreads its gaze', async () => {
    const wob = applyPerturbations(pythagoras, { ...WHITE_ON_BLUE });
    const aug = await explain(models.augmented, wob);
    const narrow = await explain(models.narrow, wob);
    const a = meanInkShare(aug.modelInput, aug.pass.attention!);
    const n = meanInkShare(narrow.modelInput, narrow.pass.attention!);
    // a uniform gaze would put inkCells (0.44 here) of the weight on ink
    expect(a.share).toBeGreaterThan(0.5);
    expect(a.share).toBeGreaterThan(a.inkCells + 0.1);
    expect(n.share).toBeLessThan(a.share - 0.05);
  });
});

describe('occlusion maps', () => {
  it('hiding a blank margin costs far less log-probability than hiding a symbol', async () => {
    const model = models.augmented;
    const { modelInput, d, ids } = await explain(model, pythagoras);
    const r = await occlusionScores(modelInput, forcedScorer(tjs, model, d.start, ids));
    expect(r.scores).toHaveLength(patches(modelInput.width, modelInput.height, r.grid).length);
    const total = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
    const base = total(r.base);
    const mask = inkMask(modelInput);
    const drops = patches(modelInput.width, modelInput.height, r.grid).map((p, k) => {
      let ink = 0;
      for (let y = p.y0; y < p.y1; y++) for (let x = p.x0; x < p.x1; x++) ink += mask[y * modelInput.width + x];
      return { ink, drop: base - total(r.scores[k]) };
    });
    const blank = drops.filter((x) => x.ink === 0);
    const inked = drops.filter((x) => x.ink > 20);
    expect(blank.length).toBeGreaterThan(0);
    expect(inked.length).toBeGreaterThan(0);
    const maxBlank = Math.max(...blank.map((x) => Math.abs(x.drop)));
    const maxInked = Math.max(...inked.map((x) => x.drop));
    expect(maxInked).toBeGreaterThan(2);
    expect(maxBlank * 10).toBeLessThan(maxInked);
    expect(inkShare(occlusionMap(r), modelInput, mask)).toBeGreaterThan(0.8);
  });
});
