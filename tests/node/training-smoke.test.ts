/**
 * The training pipeline end to end, small: render a few hundred formulas, train a tiny
 * model for a few steps (Debian's python3-torch), export to the transformers.js layout,
 * quantise, load it with transformers.js in Node and check that its greedy decodes equal
 * PyTorch's (fp32) and that the q8 and fp16 files load and run. ~2-4 minutes on 2 cores.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT, tjs } from '../../cli/common.ts';
import { loadModel, recognize } from '../../src/model/engine.ts';
import { readImage } from '../../cli/common.ts';

const PY = process.env.PYTHON ?? '/usr/bin/python3';
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const CACHE = process.env.CACHE_DIR ?? path.join(ROOT, '.cache');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocr-smoke-'));
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });

describe('training smoke test', () => {
  let trainLog = '';
  beforeAll(() => {
    if (!fs.existsSync(path.join(CACHE, 'formulas', 'train.jsonl'))) run(TSX, ['training/data/prepare.ts']);
    if (!fs.existsSync(path.join(CACHE, 'renders', 'smoke', 'index.jsonl'))) run(TSX, ['training/data/build-sets.ts', 'smoke']);
    trainLog = run(PY, ['training/ocr/train.py', '--config', 'training/configs/smoke.json', '--run', path.join(work, 'run')]);
    run(PY, ['training/ocr/export.py', path.join(work, 'run', 'last.pt'), path.join(work, 'model'), '--name', 'smoke']);
    run(PY, ['training/ocr/quantize.py', path.join(work, 'model')]);
    run(PY, ['training/ocr/reference.py', path.join(work, 'run', 'last.pt'), 'smoke', '4', path.join(work, 'ref'), '--min-new', '8']);
  }, 600_000);

  it('trains without non-finite gradients and logs a curve', () => {
    expect(trainLog).not.toMatch(/non-finite/);
    const log = fs.readFileSync(path.join(work, 'run', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const losses = log.filter((e) => 'nll' in e).map((e) => e.nll as number);
    expect(losses.length).toBeGreaterThan(0);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    expect(log.some((e) => 'val' in e)).toBe(true);
  });

  it('resumes exactly where it stopped: no duplicate log steps, and a better best.pt is never overwritten', () => {
    // a copy of the run as if last.pt had been saved before best.pt improved: last.pt remembers
    // no best yet (-1), best.pt holds a score no 60-step model reaches. Trusting last.pt's copy
    // of the score would let the next validation overwrite best.pt.
    const dir = path.join(work, 'resume');
    fs.cpSync(path.join(work, 'run'), dir, { recursive: true });
    const setBest = (file: string, score: number) =>
      run(PY, ['-c', `import torch; p=${JSON.stringify(path.join(dir, file))}; ck=torch.load(p); ck['state']['best']=${score}; ck['state']['best_step']=7; torch.save(ck, p)`]);
    setBest('best.pt', 0.99);
    setBest('last.pt', -1);
    const bestBefore = fs.readFileSync(path.join(dir, 'best.pt'));
    const out = run(PY, ['training/ocr/train.py', '--config', 'training/configs/smoke.json', '--run', dir, '--steps', '60']);
    expect(out).toMatch(/resumed at step 40/);
    expect(out).not.toMatch(/non-finite/);
    const log = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const trainSteps = log.filter((e) => 'nll' in e).map((e) => e.step as number);
    expect(trainSteps).toEqual([10, 20, 30, 40, 50, 60]);
    expect(log.filter((e) => 'val' in e).map((e) => e.step)).toEqual([40, 60]);
    expect(fs.readFileSync(path.join(dir, 'best.pt')).equals(bestBefore)).toBe(true);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg.started_at_step).toBe(40);
    expect(cfg.torch).toMatch(/^1\./);
    expect(cfg.git_commit).toMatch(/^[0-9a-f]{40}$/);
    expect(fs.readFileSync(path.join(dir, 'command.txt'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('scores best.pt again when the config changes the validation sets, so the next validation compares fairly', () => {
    const dir = path.join(work, 'rescore');
    fs.cpSync(path.join(work, 'run'), dir, { recursive: true });
    // a score from other validation sets that no 50-step model reaches on these ones
    run(PY, ['-c', `import torch; p=${JSON.stringify(path.join(dir, 'best.pt'))}; ck=torch.load(p); ck['state']['best']=0.99; torch.save(ck, p)`]);
    const out = run(PY, ['training/ocr/train.py', '--config', 'training/configs/smoke.json', '--run', dir, '--steps', '50', '--set', 'val.n=16']);
    expect(out).toMatch(/RESCORED/);
    const log = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const rescored = log.find((e) => 'rescored_best' in e)?.rescored_best;
    expect(rescored.old_score).toBe(0.99);
    expect(rescored.val.clean.n).toBe(16);
    const best = JSON.parse(run(PY, ['-c', `import torch, json; s=torch.load(${JSON.stringify(path.join(dir, 'best.pt'))})['state']; print(json.dumps([s['best'], s['val_key']]))`]));
    // best.pt now holds either its rescored score or a better checkpoint validated after it
    expect(best[0]).toBeLessThan(0.99);
    expect(best[0]).toBeGreaterThanOrEqual(rescored.score);
    expect(best[1]).toEqual([['clean'], 16, 60]);
  });

  it('grows the model on resume (more residual blocks and decoder layers) without changing what it computes', () => {
    const dir = path.join(work, 'grow');
    fs.cpSync(path.join(work, 'run'), dir, { recursive: true });
    fs.copyFileSync(path.join(dir, 'last.pt'), path.join(work, 'before-growth.pt'));
    const grow = ['--set', 'model.res_blocks=2', '--set', 'model.n_layers=2'];
    // --steps 40: resume, grow and save, no training step; the grown model must equal the old one
    const out = run(PY, ['training/ocr/train.py', '--config', 'training/configs/smoke.json', '--run', dir, '--steps', '40', ...grow]);
    expect(out).toMatch(/grown: /);
    const check = `
import sys, json, torch
sys.path.insert(0, 'training/ocr')
from model import ModelConfig, OCRModel
def load(p):
    ck = torch.load(p)
    m = OCRModel(ModelConfig(**{**ck['config'], 'channels': tuple(ck['config']['channels'])}))
    m.load_state_dict(ck['model'])
    return ck, m.eval()
a, ma = load(${JSON.stringify(path.join(work, 'before-growth.pt'))})
b, mb = load(${JSON.stringify(path.join(dir, 'last.pt'))})
torch.manual_seed(0)
x, y = torch.rand(2, 1, 64, 200) * 2 - 1, torch.randint(0, len(a['vocab']), (2, 12))
with torch.no_grad():
    diff = (ma(x, y) - mb(x, y)).abs().max().item()
na, nb = [n for n, _ in ma.named_parameters()], [n for n, _ in mb.named_parameters()]
from train import dequantize_moments
# (8-bit moments, quantised again on save: equal up to rounding; a mismatched parameter is far off)
same = lambda p, q: all(torch.allclose(x, y, rtol=1e-3, atol=0) for x, y in zip(dequantize_moments(p), dequantize_moments(q)))
moved = all(same(a['opt']['state'][i]['moments'], b['opt']['state'][nb.index(n)]['moments']) for i, n in enumerate(na))
print(json.dumps({'diff': diff, 'moved': moved, 'params': [len(na), len(nb)], 'cfg': [b['config']['res_blocks'], b['config']['n_layers']]}))`;
    const r = JSON.parse(run(PY, ['-c', check]));
    expect(r.cfg).toEqual([2, 2]);
    expect(r.params[1]).toBeGreaterThan(r.params[0]);
    expect(r.diff).toBe(0);
    expect(r.moved).toBe(true); // AdamW moments follow their parameters by name, not by index
    const log = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.find((e) => 'grown' in e)?.grown).toMatchObject({ from: { res_blocks: 1, n_layers: 1 }, to: { res_blocks: 2, n_layers: 2 } });
    // and the grown model trains on
    const more = run(PY, ['training/ocr/train.py', '--config', 'training/configs/smoke.json', '--run', dir, '--steps', '50', ...grow]);
    expect(more).toMatch(/resumed at step 40/);
    expect(more).not.toMatch(/non-finite|grown: /);
    // shrinking is refused
    expect(() => run(PY, ['training/ocr/train.py', '--config', 'training/configs/smoke.json', '--run', dir, '--steps', '50'])).toThrow(/can only grow/);
  });

  it('keeps AdamW\'s moments in 8 bits, and a resumed optimizer steps as the full-precision one would', () => {
    // last.pt must stay under ~20 MB as the model grows: 4 bytes per weight, 1 per moment. The
    // check: from one optimizer state, 10 more steps with the exact moments and 10 with the
    // 8-bit round trip must move the weights alike.
    const check = `
import sys, json, torch
sys.path.insert(0, 'training/ocr')
from model import ModelConfig, OCRModel
from train import compact_opt_state, restore_opt_state
ck = torch.load(${JSON.stringify(path.join(work, 'run', 'last.pt'))})
stored = [t for e in ck['opt']['state'].values() for t in e['moments'].values() if torch.is_tensor(t)]
n_params = sum(t.numel() for t in ck['model'].values())
moment_bytes = sum(t.numel() * t.element_size() for t in stored)
kinds = sorted({str(t.dtype) for t in stored})
cfg = ModelConfig(**{**ck['config'], 'channels': tuple(ck['config']['channels'])})
torch.manual_seed(0)
x, y = torch.rand(4, 1, 64, 200) * 2 - 1, torch.randint(4, len(ck['vocab']), (4, 12))
def make():
    m = OCRModel(cfg); m.load_state_dict(ck['model']); m.eval()
    return m, torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.01)
def steps(m, o, n):
    for _ in range(n):
        o.zero_grad()
        logits = m(x, y[:, :-1])
        torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[:, 1:].reshape(-1)).backward()
        o.step()
m, o = make(); steps(m, o, 20)
snap_w, snap_o = {k: v.clone() for k, v in m.state_dict().items()}, o.state_dict()
import copy; snap_o = copy.deepcopy(snap_o)
def resume(restore):
    m2, o2 = make(); m2.load_state_dict(snap_w); restore(o2); steps(m2, o2, 10)
    return torch.cat([(p - snap_w[n]).reshape(-1) for n, p in m2.named_parameters()])
exact = resume(lambda o2: o2.load_state_dict(copy.deepcopy(snap_o)))
o.load_state_dict(copy.deepcopy(snap_o))
q8 = resume(lambda o2: restore_opt_state(o2, compact_opt_state(o)))
print(json.dumps({'bytes_per_param': moment_bytes / n_params, 'kinds': kinds,
                  'rel': ((q8 - exact).norm() / exact.norm()).item(), 'moved': exact.norm().item()}))`;
    const r = JSON.parse(run(PY, ['-c', check]));
    expect(r.kinds).toEqual(['torch.float32', 'torch.int8', 'torch.uint8']); // codes, and a range per block
    expect(r.bytes_per_param).toBeLessThan(2.1);
    expect(r.moved).toBeGreaterThan(0);
    expect(r.rel).toBeLessThan(0.02);
  });

  it('cleans handwriting labels as its examples say (training/ocr/labels.py)', () => {
    expect(run(PY, ['training/ocr/labels.py'])).toMatch(/labels\.py: \d+ examples pass/);
  });

  it('exports the transformers.js layout with every dtype', () => {
    for (const f of ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      expect(fs.existsSync(path.join(work, 'model', f))).toBe(true);
    }
    for (const base of ['encoder_model', 'decoder_model_merged']) {
      for (const s of ['', '_quantized', '_fp16']) expect(fs.existsSync(path.join(work, 'model', 'onnx', `${base}${s}.onnx`))).toBe(true);
    }
  });

  it('exports a lean decoder graph: constant reshape shapes and LayerNormalization, no shape chains per call', () => {
    // onnxruntime-web runs the decoder once per token: a Shape -> Gather -> Concat chain in
    // front of each head split would run every step (training/ocr/model.py keep_reshape)
    const script = [
      'import onnx, sys, collections',
      'g = onnx.load(sys.argv[1]).graph',
      'const = {o for n in g.node if n.op_type == "Constant" for o in n.output} | {i.name for i in g.initializer}',
      'ops = collections.Counter(n.op_type for n in g.node)',
      'print(sum(n.input[1] not in const for n in g.node if n.op_type == "Reshape"), ops["LayerNormalization"], ops["Shape"])',
    ].join('\n');
    const [dynamicReshapes, layerNorms, shapes] = run(PY, ['-c', script, path.join(work, 'model', 'onnx', 'decoder_model_merged.onnx')]).trim().split(' ').map(Number);
    expect(dynamicReshapes).toBe(0);
    expect(layerNorms).toBeGreaterThanOrEqual(3); // one per decoder layer at least
    expect(shapes).toBeLessThanOrEqual(6); // the past length for positions and the mask, not one per reshape
  });

  it("reads the cross-attention keys and values without moving them: one Split, no Transpose on the encoder output's path", () => {
    // the encoder lays them out per layer and head ([B, 2LH, S, Dh], training/ocr/export.py);
    // a Transpose downstream of encoder_hidden_states would copy S x 2LD values every step. The
    // keys' last-two-axes Transpose into a MatMul is allowed: onnxruntime fuses it (transB)
    const script = [
      'import onnx, sys',
      'g = onnx.load(sys.argv[1]).graph',
      'reach, changed = {"encoder_hidden_states"}, True',
      'while changed:',
      '    changed = False',
      '    for n in g.node:',
      '        if n.op_type in ("Split", "Slice", "Reshape", "Transpose", "Gather") and n.input[0] in reach and not set(n.output) <= reach:',
      '            reach |= set(n.output); changed = True',
      'fused = {n.input[1] for n in g.node if n.op_type == "MatMul"}',
      'perm = lambda n: [list(a.ints) for a in n.attribute if a.name == "perm"][0]',
      'ops = [n.op_type for n in g.node if n.input and n.input[0] in reach and not (n.op_type == "Transpose" and n.output[0] in fused and perm(n) == [0, 1, 3, 2])]',
      'print(ops.count("Split"), ops.count("Transpose"), ops.count("Slice") + ops.count("Gather"))',
    ].join('\n');
    const [splits, transposes, slices] = run(PY, ['-c', script, path.join(work, 'model', 'onnx', 'decoder_model_merged.onnx')]).trim().split(' ').map(Number);
    expect(splits).toBe(1);
    expect(transposes).toBe(0);
    expect(slices).toBe(0);
  });

  it('runs every q8 convolution on 8-bit integers (ConvInteger), none as float Conv', () => {
    const script = 'import onnx, sys, collections; c = collections.Counter(n.op_type for n in onnx.load(sys.argv[1]).graph.node); print(c["Conv"], c["ConvInteger"], c["DequantizeLinear"])';
    const [conv, convInteger, dequant] = run(PY, ['-c', script, path.join(work, 'model', 'onnx', 'encoder_model_quantized.onnx')]).trim().split(' ').map(Number);
    expect(conv).toBe(0);
    expect(convInteger).toBeGreaterThanOrEqual(5); // the encoder's five conv stages at least
    expect(dequant).toBe(0);
  });

  it('transformers.js (fp32) reproduces the PyTorch greedy decodes exactly', async () => {
    const refs = JSON.parse(fs.readFileSync(path.join(work, 'ref', 'reference.json'), 'utf8')) as { file: string; text: string }[];
    const m = await loadModel(tjs, path.join(work, 'model'), { device: 'cpu', dtype: 'fp32' });
    for (const r of refs) {
      const image = await readImage(r.file);
      const inputs = await m.pipe.processor(new tjs.RawImage(new Uint8ClampedArray(image.data), image.width, image.height, 4));
      const out = await m.pipe.model.generate({ ...inputs, max_new_tokens: 60, min_new_tokens: 8 });
      const text = m.pipe.tokenizer.decode(out.tolist()[0], { skip_special_tokens: true }).trim();
      expect(text).toBe(r.text);
      expect(text.split(' ').length).toBeGreaterThanOrEqual(8);
    }
  });

  it('the q8 and fp16 exports load and recognise a rendered formula', async () => {
    const refs = JSON.parse(fs.readFileSync(path.join(work, 'ref', 'reference.json'), 'utf8')) as { file: string }[];
    for (const dtype of ['q8', 'fp16'] as const) {
      const m = await loadModel(tjs, path.join(work, 'model'), { device: 'cpu', dtype });
      const p = await recognize(tjs, m, await readImage(refs[0].file));
      // one shown token per word of the LaTeX (WordLevel tokens, joined by spaces)
      expect(p.latex.split(' ').filter(Boolean)).toEqual(p.tokens.map((t) => t.text));
      expect(p.modelInput.height).toBe(64);
    }
  });
});
