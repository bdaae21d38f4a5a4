/**
 * The shipped models, loaded with transformers.js in Node exactly as the app and the CLI
 * load them, on formulas rendered by KaTeX (tests/fixtures/generate.ts). Checks real
 * predictions, the shortcut the app demonstrates (narrow fails when only the colours
 * change, augmented does not), the agreement of the quantised files, and the predict CLI.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { ROOT, tjs, openModel, readImage } from '../../cli/common.ts';
import { recognize, type EngineModel } from '../../src/model/engine.ts';
import { MAX_NEW_TOKENS_CAP } from '../../src/schema/model-config.ts';
import { BUILTIN_PREPARE } from '../../src/image/prepare.ts';
import { recolour } from '../../src/perturb/ops.ts';
import { normalizeTokens } from '../../src/latex/tokens.ts';
import { normalizedEditDistance } from '../../src/metrics/tokens.ts';
import { renderLatex } from '../../src/render/katex.ts';
import { FIXTURE_DIR, FORMULAS, generateFixtures } from '../fixtures/generate.ts';
import type { Raster } from '../../src/image/raster.ts';

const WHITE_ON_BLUE = ['#ffffff', '#1e40af'] as const;
const images: Record<string, Raster> = {};
const models: Record<string, EngineModel> = {};

beforeAll(async () => {
  await generateFixtures();
  for (const f of FORMULAS) images[f.name] = await readImage(path.join(FIXTURE_DIR, `${f.name}.png`));
  for (const id of ['narrow', 'augmented']) models[id] = await openModel(id, 'cpu', 'fp32');
  models['augmented-q8'] = await openModel('augmented', 'cpu', 'q8');
}, 300_000);

async function meanNed(model: string, transform?: (r: Raster) => Raster): Promise<{ ned: number; preds: string[] }> {
  const preds: string[] = [];
  let sum = 0;
  for (const f of FORMULAS) {
    const img = transform ? transform(images[f.name]) : images[f.name];
    const p = await recognize(tjs, models[model], img);
    preds.push(p.latex);
    sum += normalizedEditDistance(normalizeTokens(p.latex), normalizeTokens(f.latex));
  }
  return { ned: sum / FORMULAS.length, preds };
}

describe('shipped models', () => {
  it('augmented reads clean printed formulas', async () => {
    const { ned, preds } = await meanNed('augmented');
    expect(ned).toBeLessThan(0.25);
    // the simplest one is read exactly, and predictions render
    expect(normalizeTokens(preds[0]).join(' ')).toBe(FORMULAS[0].latex);
    expect(preds.filter((p) => renderLatex(p).ok).length).toBeGreaterThanOrEqual(FORMULAS.length - 1);
  });

  it('narrow reads the training-style image but breaks when only the colours change', async () => {
    const clean = await meanNed('narrow');
    const blue = await meanNed('narrow', (r) => recolour(r, ...WHITE_ON_BLUE));
    expect(clean.ned).toBeLessThan(0.3);
    expect(blue.ned).toBeGreaterThan(clean.ned + 0.3);
  });

  it('augmented keeps its accuracy under the same colour change', async () => {
    const clean = await meanNed('augmented');
    const blue = await meanNed('augmented', (r) => recolour(r, ...WHITE_ON_BLUE));
    expect(blue.ned).toBeLessThan(clean.ned + 0.1);
  });

  it('the q8 model agrees with fp32 on most formulas', async () => {
    const a = await meanNed('augmented');
    const q = await meanNed('augmented-q8');
    const same = a.preds.filter((p, i) => p === q.preds[i]).length;
    expect(same).toBeGreaterThanOrEqual(FORMULAS.length - 2);
    expect(q.ned).toBeLessThan(a.ned + 0.05);
  });

  it('reports per-token confidences and the model input it used', async () => {
    const p = await recognize(tjs, models.augmented, images.pythagoras);
    expect(p.tokens.length).toBe(normalizeTokens(p.latex).length);
    const mean = p.tokens.reduce((s, t) => s + t.prob, 0) / p.tokens.length;
    expect(mean).toBeGreaterThan(0.5);
    for (const t of p.tokens) expect(t.alternatives.length).toBeGreaterThan(0);
    expect(p.modelInput.height).toBe(64);
    expect(p.truncated).toBe(false);
  });
});

/** A copy of the augmented model (fp32 files) in a fresh folder, with some config fields changed. */
function modelCopy(name: string, patch: Partial<Record<'generation_config.json' | 'preprocessor_config.json', (cfg: Record<string, unknown>) => void>>): string {
  const src = path.join(ROOT, 'models', 'augmented');
  const dir = path.join(ROOT, '.cache', 'model-config-tests', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx']) {
    fs.copyFileSync(path.join(src, f), path.join(dir, f));
  }
  for (const [file, change] of Object.entries(patch)) {
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    change(cfg);
    fs.writeFileSync(path.join(dir, file), JSON.stringify(cfg));
  }
  return dir;
}

describe('model configs from outside are checked (src/schema/model-config.ts)', () => {
  it('the built-in models load with their own preparation spec', () => {
    for (const id of ['narrow', 'augmented', 'augmented-q8']) expect(models[id].prepare).toEqual(BUILTIN_PREPARE);
  });

  it('a generation_config asking for 10^9 new tokens is capped, and the model still reads as before', async () => {
    const m = await openModel(modelCopy('greedy-tokens', { 'generation_config.json': (g) => (g.max_new_tokens = 1_000_000_000) }), 'cpu', 'fp32');
    const asked: number[] = [];
    const generate = m.pipe.model.generate.bind(m.pipe.model);
    m.pipe.model.generate = (args: { max_new_tokens: number }) => {
      asked.push(args.max_new_tokens);
      return generate(args);
    };
    const p = await recognize(tjs, m, images.pythagoras);
    expect(asked).toEqual([MAX_NEW_TOKENS_CAP]);
    expect(p.latex).toBe((await recognize(tjs, models.augmented, images.pythagoras)).latex);
    await m.pipe.dispose();
  });

  for (const [field, value] of [
    ['height', 0],
    ['height', 16000],
    ['max_width', 'NaN'],
    ['min_width', -1],
  ] as const) {
    it(`a latex_ocr_prepare ${field} of ${JSON.stringify(value)} is refused with an error naming the field`, async () => {
      const dir = modelCopy(`prepare-${field}`, { 'preprocessor_config.json': (c) => ((c.latex_ocr_prepare as Record<string, unknown>)[field] = value) });
      await expect(openModel(dir, 'cpu', 'fp32')).rejects.toThrow(new RegExp(`preprocessor_config\\.json: latex_ocr_prepare\\.${field} must be`));
    });
  }
});

describe('model cards', () => {
  for (const id of ['narrow', 'augmented']) {
    it(`${id} ships a model card that matches its files`, () => {
      const card = fs.readFileSync(path.join(ROOT, 'models', id, 'README.md'), 'utf8');
      const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', id, 'config.json'), 'utf8'));
      expect(card).toContain('## Input it expects');
      expect(card).toContain('no instruction');
      expect(card).toContain(`**Checkpoint chosen:** step ${cfg.latex_ocr.step}`);
      const q8 = ['encoder_model', 'decoder_model_merged'].reduce((a, b) => a + fs.statSync(path.join(ROOT, 'models', id, 'onnx', `${b}_quantized.onnx`)).size, 0);
      expect(card).toContain(`${(q8 / 1e6).toFixed(2)} MB`);
    });
  }
});

describe('npm run predict', () => {
  it('prints one JSON line per image, an error line for a bad file, and exits 1', () => {
    const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['cli/predict.ts', '--model', 'augmented', path.join(FIXTURE_DIR, 'pythagoras.png'), path.join(FIXTURE_DIR, 'text.png'), path.join(FIXTURE_DIR, 'greek.png')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ file: expect.stringContaining('pythagoras.png'), latex: expect.any(String), ms: expect.any(Number) });
    expect(lines[1]).toMatchObject({ file: expect.stringContaining('text.png'), error: expect.stringMatching(/not an image/) });
    expect(lines[2].latex).toEqual(expect.any(String));
    expect(r.status).toBe(1);
  });

  it('exits 0 when every image succeeds, and reads a folder', () => {
    const dir = fs.mkdtempSync(path.join(ROOT, '.cache', 'predict-'));
    fs.copyFileSync(path.join(FIXTURE_DIR, 'sqrt.png'), path.join(dir, 'a.png'));
    fs.copyFileSync(path.join(FIXTURE_DIR, 'pythagoras.jpg'), path.join(dir, 'b.jpg'));
    const out = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['cli/predict.ts', '--model', 'narrow', '--dtype', 'q8', dir], { cwd: ROOT, encoding: 'utf8' });
    expect(out.trim().split('\n')).toHaveLength(2);
    fs.rmSync(dir, { recursive: true });
  });
});
