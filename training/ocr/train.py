"""Train (or continue) an image-to-LaTeX model from a run config; resumable exactly.

  /usr/bin/python3 training/ocr/train.py --config training/configs/augmented.json \
      --run training/campaign/augmented [--minutes 120] [--steps N]

Every hyper-parameter lives in the config (training/configs/*.json). The run folder holds:
  config.json   the config in force, with the git commit and torch version (rewritten at each start)
  last.pt       the resumable checkpoint: weights, AdamW moments (8 bits each, to stay under ~20 MB), step,
                RNG states, best score; written every `save_every_s`, at each validation and at the end
  best.pt       the weights with the best validation score, and that score (weights only)
  log.jsonl     the curve: training NLL every `log_every` steps, validation every `val.every`
  command.txt   every command line that ran on this folder, with the step it started at
Re-running the same command resumes from last.pt; log lines past the resumed step are dropped
(no duplicate steps); the best score is read from best.pt itself, so a resumed run never
overwrites a better best.pt. Batches are a pure function of (seed, step): a resumed run trains on
exactly the batches an uninterrupted one would have.

Selection score: the mean token similarity over the config's validation sets (narrow: im2latex
val clean; augmented: also white-on-blue and handwriting). When the config changes the validation
sets (or the data's label form changes: src/latex/tokens.ts), best.pt is scored again on the new
ones at start (a "rescored_best" log line), so the comparison stays fair.
"""
import argparse
import collections
import json
import math
import multiprocessing as mp
import os
import random
import re
import signal
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from data import (BOS, CACHE, EOS, PAD, Batcher, Sample, Vocab, build_vocab, read_crohme, read_pack, to_input)  # noqa: E402
from imageops import prepare, HEIGHT  # noqa: E402
from labels import clean as clean_label  # noqa: E402
from metrics import token_edit_distance  # noqa: E402
from model import ModelConfig, OCRModel, count_params, grow, GROWABLE  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# torch 1.13 (Debian): oneDNN's conv backward sometimes returns NaN weight gradients
# for the 1-channel first convolution (shared/docs/training-notes.md). That layer runs as
# unfold + matmul in training (model.StemConv); oneDNN stays on for the rest (3x faster
# backward than without it, measured here). Steps with non-finite gradients are skipped.


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True, help="training/configs/<name>.json")
    p.add_argument("--run", required=True, help="run folder (created, or resumed from its last.pt)")
    p.add_argument("--minutes", type=float, default=0, help="stop (resumably) after this much wall time")
    p.add_argument("--steps", type=int, help="override the config's total steps (the schedule's length)")
    p.add_argument("--validate-at-stop", action="store_true",
                   help="when stopped early (--minutes, SIGTERM), validate the last step too, so best.pt can be it")
    p.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                   help="override one config value, e.g. --set precision='\"fp32\"' --set optim.lr=5e-4")
    return p.parse_args()


def load_config(a):
    cfg = json.load(open(a.config))
    for kv in a.set:
        key, val = kv.split("=", 1)
        node = cfg
        *path, last = key.split(".")
        for k in path:
            node = node[k]
        node[last] = json.loads(val)
    if a.steps:
        cfg["steps"] = a.steps
    return cfg


def lr_at(step, c):
    """Linear warm-up, then cosine down to lr_floor x peak, per cycle. `optim.cycles` (optional)
    lists the campaign's cycles [{"start", "steps", "lr", "warmup"}, ...]: one cosine per
    session's budget, each ending annealed (a checkpoint worth shipping), the next restarting
    from it (SGDR-style warm restarts). Without it: one cycle over `steps` from optim.lr."""
    o = c["optim"]
    cycles = o.get("cycles") or [{"start": 0, "steps": c["steps"], "lr": o["lr"], "warmup": o["warmup"]}]
    cyc = [k for k in cycles if k["start"] <= step][-1]
    s, n = step - cyc["start"], cyc["steps"] - cyc["start"]
    if s < cyc["warmup"]:
        return cyc["lr"] * (s + 1) / cyc["warmup"]
    t = min(1.0, (s - cyc["warmup"]) / max(1, n - cyc["warmup"]))
    return cyc["lr"] * (o["lr_floor"] + (1 - o["lr_floor"]) * 0.5 * (1 + math.cos(math.pi * t)))


def is_val_step(step, c):
    """Validate every `val.every` steps, at the end of the run and at the end of each cosine
    cycle (the annealed checkpoints worth shipping)."""
    ends = {k["steps"] for k in c["optim"].get("cycles") or []}
    return step % c["val"]["every"] == 0 or step == c["steps"] or step in ends


def max_len_at(step, c):
    """Curriculum: [[fraction of the run, max target tokens], ...] (short formulas first)."""
    f = step / max(1, c["steps"])
    for until, n in c["curriculum"]:
        if f < until:
            return n
    return c["curriculum"][-1][1]


def loss_fn(logits, y, smoothing):
    """Cross-entropy with label smoothing, masked by hand (torch 1.13's
    ignore_index + label_smoothing gives NaN gradients)."""
    logp = F.log_softmax(logits.float(), dim=-1)
    mask = (y != PAD).float()
    nll = -logp.gather(-1, y.unsqueeze(-1)).squeeze(-1)
    smooth = -logp.mean(dim=-1)
    per_tok = (1 - smoothing) * nll + smoothing * smooth
    return (per_tok * mask).sum() / mask.sum(), (nll * mask).sum() / mask.sum()


# ---------------------------------------------------------------- validation
def recolour(g, ink, paper):
    """Grey levels of an RGB recolouring (ink, paper in [0,1]) of a black-on-white crop."""
    x = np.asarray(g, dtype=np.float32) / 255.0
    return np.clip((ink + (paper - ink) * x) * 255.0, 0, 255).astype(np.uint8)


def preset_greys(preset_id):
    """(ink, paper) grey levels in [0,1] of a named colour preset: grey = mean of R,G,B.
    The presets' one copy is src/perturb/colour-presets.json (the app and the benchmark read it too)."""
    with open(os.path.join(ROOT, "src", "perturb", "colour-presets.json")) as f:
        preset = next(p for p in json.load(f)["presets"] if p["id"] == preset_id)

    def grey(h):
        return (int(h[1:3], 16) + int(h[3:5], 16) + int(h[5:7], 16)) / 3 / 255.0
    return grey(preset["ink"]), grey(preset["paper"])


# white glyphs (#ffffff) on blue paper (#1e40af): (1.0, (0x1e + 0x40 + 0xaf) / 3 / 255.0)
WHITE_ON_BLUE = preset_greys("white-on-blue")


@torch.no_grad()
def evaluate(model, vocab, samples, transform=None, batch=32, max_new=200, channels_last=False):
    model.eval()
    scores, exact = [], 0
    for i in range(0, len(samples), batch):
        chunk = samples[i:i + batch]
        ims = [prepare(transform(s.load()) if transform else s.load()) for s in chunk]
        W = max(8 * math.ceil(im.shape[1] / 8) for im in ims)
        x = np.empty((len(ims), 1, HEIGHT, W), dtype=np.float32)
        for j, im in enumerate(ims):
            bg = np.median(np.concatenate([im[:, 0], im[:, -1]]))
            x[j, 0] = to_input(np.full((HEIGHT, W), bg, dtype=np.uint8))
            x[j, 0, :, :im.shape[1]] = to_input(im)
        xt = torch.from_numpy(x)
        if channels_last:
            xt = xt.contiguous(memory_format=torch.channels_last)
        outs = model.greedy(xt, BOS, EOS, max_new=max_new)
        for s, o in zip(chunk, outs):
            pred = vocab.decode(o).split()
            ref = s.latex.split()
            scores.append(token_edit_distance(pred, ref))
            exact += pred == ref
    model.train()
    ned = float(np.mean(scores))
    return {"ned": ned, "sim": 1 - ned, "exact": exact / max(1, len(samples)), "n": len(samples)}


# ---------------------------------------------------------------- data
def load_groups(c, vocab):
    """The config's mixture as (samples, weight) groups."""
    packs = {}
    groups = []
    for m in c["mixture"]:
        if "crohme" in m:
            g = read_crohme(m["crohme"], vocab)
        else:
            names = [m["pack"]] + m.get("extra_packs", [])
            g = []
            for name in names:
                if name not in packs:
                    packs[name] = read_pack(name, vocab)
                g += packs[name]
            if "source_prefix" in m:
                g = [s for s in g if s.source.startswith(m["source_prefix"])]
            if "source_not_prefix" in m:
                g = [s for s in g if not s.source.startswith(m["source_not_prefix"])]
        if c.get("labels", {}).get("clean_handwriting"):  # training targets only (labels.py)
            g = [Sample(s.load, clean_label(s.latex), s.kind, s.width, s.source) if s.kind == "handwritten" else s for s in g]
        groups.append((g, m["weight"]))
    return groups


def load_vocab(c, run):
    vocab_path = os.path.join(run, "vocab.json")
    if os.path.exists(vocab_path):
        return json.load(open(vocab_path))
    if c.get("init"):
        return torch.load(os.path.join(ROOT, c["init"]), map_location="cpu")["vocab"]
    v = c["vocab"]
    return build_vocab(min_count=v.get("min_count", 3), packs=v.get("packs"), crohme=v.get("crohme", True))


# Batches are made in a worker process while the main process trains (the prefetch queue).
_W = {}


def _worker_init(c, tokens):
    os.nice(5)  # the training threads come first; batches fill the gaps
    torch.set_num_threads(1)
    vocab = Vocab(tokens)
    _W.update(c=c, vocab=vocab, batcher=Batcher(load_groups(c, vocab), c["batch"], c["seed"]))


def _worker_batch(step):
    c = _W["c"]
    return (step,) + _W["batcher"].batch(step, max_len_at(step, c), _W["vocab"], c["augment"])


class Prefetcher:
    """Batch k for k = step, step+1, ... from `depth` batches ahead in one worker process;
    depth 0 makes them inline."""

    def __init__(self, c, tokens, start, depth):
        self.c, self.depth, self.next_step = c, depth, start
        self.pending = collections.deque()
        if depth > 0:
            # a fresh interpreter: the worker's BLAS starts single-threaded
            ours = "OPENBLAS_NUM_THREADS" not in os.environ
            os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
            self.pool = mp.get_context("spawn").Pool(1, initializer=_worker_init, initargs=(c, tokens))
            if ours:  # leave a value the user set alone
                os.environ.pop("OPENBLAS_NUM_THREADS")
        else:
            vocab = Vocab(tokens)
            _W.update(c=c, vocab=vocab, batcher=Batcher(load_groups(c, vocab), c["batch"], c["seed"]))
            self.pool = None

    def get(self, step):
        if self.pool is None:
            return _worker_batch(step)[1:]
        while len(self.pending) < self.depth + 1:
            self.pending.append(self.pool.apply_async(_worker_batch, (self.next_step,)))
            self.next_step += 1
        got = self.pending.popleft().get()
        assert got[0] == step, (got[0], step)
        return got[1:]

    def close(self):
        if self.pool is not None:
            self.pool.terminate()


# ---------------------------------------------------------------- checkpoints
def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return None


QBLOCK = 256  # elements per block of the 8-bit moments, each block with its own range


def _codes(t):
    """A flat tensor as rows of QBLOCK, the last one padded with zeros."""
    pad = (-t.numel()) % QBLOCK
    return torch.cat([t, t.new_zeros(pad)]).view(-1, QBLOCK)


def _blocks(t):
    return _codes(t.detach().float().reshape(-1))


def quantize_moments(m, v):
    """AdamW's two moments in 8 bits each (the committed checkpoint must stay under ~20 MB).
    v (>= 0, spanning many decades) is stored as log2 in 255 levels per block, code 0 meaning
    exactly 0. m is stored relative to sqrt(v): Adam's step is m / (sqrt(v) + eps), so the
    error lands evenly on the step, and |m| <= sqrt(v) keeps the ratio near [-1, 1]."""
    vb, mb = _blocks(v), _blocks(m)
    pos = vb > 0
    lg = torch.where(pos, vb.clamp_min(1e-38).log2(), torch.zeros_like(vb))
    big = torch.finfo(torch.float32).max
    lo = torch.where(pos, lg, torch.full_like(lg, big)).min(1).values
    hi = torch.where(pos, lg, torch.full_like(lg, -big)).max(1).values
    lo = torch.where(pos.any(1), lo, torch.zeros_like(lo))
    hi = torch.maximum(hi, lo)
    span = (hi - lo).clamp_min(1e-12)[:, None]
    vq = torch.where(pos, 1 + ((lg - lo[:, None]) / span * 254).round(), torch.zeros_like(lg)).to(torch.uint8)
    r = mb / (dequantize_v(vq, lo, hi).sqrt() + 1e-12)
    rmax = r.abs().max(1).values.clamp_min(1e-30)
    mq = (r / rmax[:, None] * 127).round().clamp(-127, 127).to(torch.int8)
    n = m.numel()  # the codes unpadded: small tensors (biases, norms) would otherwise take a block each
    return {"q8": list(m.shape), "v": vq.reshape(-1)[:n].clone(), "v_lo": lo, "v_hi": hi,
            "m": mq.reshape(-1)[:n].clone(), "m_max": rmax}


def dequantize_v(vq, lo, hi):
    lg = lo[:, None] + (vq.float() - 1) / 254 * (hi - lo)[:, None]
    return torch.where(vq > 0, torch.exp2(lg), torch.zeros_like(lg))


def dequantize_moments(q):
    n = math.prod(q["q8"])
    v = dequantize_v(_codes(q["v"]), q["v_lo"], q["v_hi"])
    m = _codes(q["m"]).float() / 127 * q["m_max"][:, None] * (v.sqrt() + 1e-12)
    return m.reshape(-1)[:n].view(q["q8"]), v.reshape(-1)[:n].view(q["q8"])


def compact_opt_state(opt):
    """AdamW state with both moments in 8 bits (quantize_moments): weights 4 bytes per parameter,
    moments 2 in all, so the committed last.pt stays under ~20 MB as the model grows."""
    sd = opt.state_dict()
    state = {}
    for k, v in sd["state"].items():
        e = {n: t for n, t in v.items() if n not in ("exp_avg", "exp_avg_sq")}
        e["moments"] = quantize_moments(v["exp_avg"], v["exp_avg_sq"])
        state[k] = e
    return {"state": state, "param_groups": sd["param_groups"]}


def restore_opt_state(opt, sd):
    """Reads compact_opt_state's 8-bit moments, and the bf16 moments of older checkpoints."""
    state = {}
    for k, v in sd["state"].items():
        e = {n: (t.float() if torch.is_tensor(t) and t.dtype == torch.bfloat16 else t) for n, t in v.items()
             if n != "moments"}
        if "moments" in v:
            e["exp_avg"], e["exp_avg_sq"] = dequantize_moments(v["moments"])
        state[k] = e
    opt.load_state_dict({"state": state, "param_groups": sd["param_groups"]})


def remap_opt_state(sd, old_names, new_names):
    """AdamW state of a model that has since grown: its entries are keyed by parameter index,
    and new parameters shift the indices, so map them by name (new parameters start with none)."""
    assert len(sd["param_groups"]) == 1, "one parameter group expected"
    index = {n: i for i, n in enumerate(new_names)}
    state = {index[old_names[i]]: v for i, v in sd["state"].items()}
    return {"state": state, "param_groups": [{**sd["param_groups"][0], "params": list(range(len(new_names)))}]}


def rng_states():
    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}


def set_rng_states(s):
    torch.set_rng_state(s["torch"])
    np.random.set_state(s["numpy"])
    random.setstate(s["python"])


def truncate_log(path, step):
    """Keep the log's lines up to `step` (a resumed run writes the later ones again)."""
    if not os.path.exists(path):
        return 0
    keep, dropped = [], 0
    for line in open(path):
        if not line.strip():
            continue
        if json.loads(line).get("step", 0) <= step:
            keep.append(line if line.endswith("\n") else line + "\n")
        else:
            dropped += 1
    with open(path + ".tmp", "w") as f:
        f.writelines(keep)
    os.replace(path + ".tmp", path)
    return dropped


# ---------------------------------------------------------------- main
def _cpuinfo():
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return ""


def cpu_has_bf16():
    """Whether the CPU does bf16 arithmetic natively (AVX-512 BF16 or AMX). Without it, torch 1.13's
    bf16 autocast is not a fast path but a trap: its convolutions fall back to the reference
    (slow_conv2d) kernels, measured 2026-12-07 on an AMD EPYC family 23 (AVX2 only) at over a
    minute per training step, against ~1 s on the Zen 5 machines the fast path was tuned on."""
    m = re.search(r"^flags\s*:\s*(.*)$", _cpuinfo(), re.M)
    return bool(m and {"avx512_bf16", "amx_bf16"} & set(m.group(1).split()))


def cpu_name():
    m = re.search(r"^model name\s*:\s*(.*)$", _cpuinfo(), re.M)
    fam = re.search(r"^cpu family\s*:\s*(\d+)$", _cpuinfo(), re.M)
    return f"{m.group(1) if m else 'unknown'}{f' (family {fam.group(1)})' if fam else ''}"


def main():
    a = parse()
    c = load_config(a)
    torch.set_num_threads(c["threads"])
    os.makedirs(a.run, exist_ok=True)
    random.seed(c["seed"])
    np.random.seed(c["seed"])
    torch.manual_seed(c["seed"])

    tokens = load_vocab(c, a.run)
    json.dump(tokens, open(os.path.join(a.run, "vocab.json"), "w"))
    vocab = Vocab(tokens)
    mcfg = ModelConfig(vocab_size=len(vocab), **{**c["model"], "channels": tuple(c["model"]["channels"])})
    model = OCRModel(mcfg)
    opt = torch.optim.AdamW(model.parameters(), lr=c["optim"]["lr"], weight_decay=c["optim"]["weight_decay"])

    # validation sets
    val_sets = {}
    if c["mode"] == "smoke":
        val_sets["clean"] = (read_pack("smoke", vocab)[:c["val"]["n"]], None)
    else:
        val = read_pack("val-500", vocab)
        for name in c["val"]["sets"]:
            if name == "clean":
                val_sets[name] = (val, None)
            elif name == "white_on_blue":
                val_sets[name] = (val, lambda g: recolour(g, *WHITE_ON_BLUE))
            elif name == "crohme":  # other images of the training writers (and often the same formulas)
                val_sets[name] = (read_crohme("validation", vocab)[:500], None)
            elif name == "crohme_2013":  # other writers: the CROHME 2013 test set (the benchmark is 2014)
                val_sets[name] = (read_crohme("2013", vocab)[:500], None)
            else:
                raise SystemExit(f"unknown validation set {name!r} in the config's val.sets")
    # what a selection score means: the sets, and the label form (training/campaign.sh stamps the
    # data with the canonical form's hash; other labels would make scores incomparable)
    stamp = os.path.join(CACHE, "formulas", "canonical.sha256")
    label_form = open(stamp).read().strip()[:16] if os.path.exists(stamp) else None
    val_key = [c["val"]["sets"], c["val"]["n"], c["val"]["max_new"]] + ([label_form] if label_form else [])

    state = {"step": 0, "best": -1.0, "best_step": -1, "seconds": 0.0, "samples": 0}
    last, best_path, log_path = (os.path.join(a.run, f) for f in ("last.pt", "best.pt", "log.jsonl"))
    resumed = os.path.exists(last)
    if resumed:
        ck = torch.load(last, map_location="cpu")
        grown = None
        if any(ck["config"][k] != getattr(mcfg, k) for k in GROWABLE):
            # the config grew the model (more residual blocks or decoder layers): see model.grow
            old = OCRModel(ModelConfig(**{**ck["config"], "channels": tuple(ck["config"]["channels"])}))
            new_params = grow(model, ck["model"], ck["config"])
            restore_opt_state(opt, remap_opt_state(ck["opt"], [n for n, _ in old.named_parameters()],
                                                   [n for n, _ in model.named_parameters()]))
            grown = {"from": {k: ck["config"][k] for k in GROWABLE}, "to": {k: getattr(mcfg, k) for k in GROWABLE},
                     "params": [count_params(old), count_params(model)], "new": len(new_params)}
        else:
            model.load_state_dict(ck["model"])
            restore_opt_state(opt, ck["opt"])
        state.update(ck["state"])
        set_rng_states(ck["rng"])
        dropped = truncate_log(log_path, state["step"])
        print(f"resumed at step {state['step']} (dropped {dropped} log lines past it)", flush=True)
        if grown:
            with open(log_path, "a") as f:
                f.write(json.dumps({"step": state["step"], "grown": grown}) + "\n")
            print(f"grown: {json.dumps(grown)}", flush=True)
    elif c.get("init"):
        init = torch.load(os.path.join(ROOT, c["init"]), map_location="cpu")
        missing, unexpected = model.load_state_dict(init["model"], strict=False)
        assert not unexpected, unexpected
        print(f"initialised from {c['init']} (new: {missing})", flush=True)
        truncate_log(log_path, -1)
    else:
        truncate_log(log_path, -1)
    # the best score lives with best.pt: never trust an older copy in last.pt
    rescore = None
    if os.path.exists(best_path):
        b = torch.load(best_path, map_location="cpu")
        state["best"], state["best_step"] = b["state"]["best"], b["state"]["best_step"]
        # scored on other validation sets (the config changed them): score best.pt again below
        if b["state"].get("val_key") != val_key:  # (older best.pt files have no key)
            rescore = b
    elif resumed:
        state["best"], state["best_step"] = -1.0, -1
    state["val_key"] = val_key

    if c["channels_last"]:
        model = model.to(memory_format=torch.channels_last)
    use_bf16 = c["precision"] == "bf16" and cpu_has_bf16()
    if c["precision"] == "bf16" and not use_bf16:
        print("precision: bf16 asked, but this CPU has no bf16 instructions (avx512_bf16 or amx_bf16): "
              "training in fp32 (torch 1.13 falls back to its reference kernels for bf16 here, "
              "over a minute per step)", flush=True)

    sizes = [len(g) for g, _ in load_groups(c, vocab)]  # recorded for the model card
    json.dump({**c, "precision_used": "bf16" if use_bf16 else "fp32", "cpu": cpu_name(),
               "git_commit": git_commit(), "torch": torch.__version__, "config_file": a.config,
               "params": count_params(model), "started_at_step": state["step"], "group_sizes": sizes},
              open(os.path.join(a.run, "config.json"), "w"), indent=1)
    with open(os.path.join(a.run, "command.txt"), "a") as f:
        f.write(f"step {state['step']}: " + " ".join([sys.executable] + sys.argv) + "\n")
    print(f"params {count_params(model):,}; vocab {len(vocab)}; precision {'bf16' if use_bf16 else 'fp32'}; "
          f"channels_last {c['channels_last']}", flush=True)

    log = open(log_path, "a")

    def checkpoint():
        return {"model": model.state_dict(), "state": dict(state), "config": mcfg.to_dict(), "vocab": vocab.tokens,
                "mode": c["mode"]}

    def save_last():
        ck = checkpoint()
        ck.update(opt=compact_opt_state(opt), rng=rng_states())
        torch.save(ck, last + ".tmp")
        os.replace(last + ".tmp", last)

    def val_scores():
        v = c["val"]
        res = {k: evaluate(model, vocab, s[:v["n"]], t, max_new=v["max_new"], channels_last=c["channels_last"])
               for k, (s, t) in val_sets.items()}
        return res, float(np.mean([r["sim"] for r in res.values()]))

    def validate():
        res, score = val_scores()
        entry = {"step": state["step"], "val": res, "score": score, "t": round(state["seconds"]), "samples": state["samples"]}
        if score > state["best"]:
            state["best"], state["best_step"] = score, state["step"]
            torch.save(checkpoint(), best_path + ".tmp")
            os.replace(best_path + ".tmp", best_path)
            entry["best"] = True
        log.write(json.dumps(entry) + "\n")
        log.flush()
        print("VAL", json.dumps(entry), flush=True)

    if rescore is not None:
        # best.pt's score must be comparable with the new validations, or the first of them
        # would replace a better checkpoint (or never could): score its weights on the new sets
        cur = {k: v.clone() for k, v in model.state_dict().items()}
        model.load_state_dict(rescore["model"])
        res, score = val_scores()
        model.load_state_dict(cur)
        old_score = state["best"]
        state["best"] = score
        torch.save({**rescore, "state": {**rescore["state"], "best": score, "val_key": val_key}}, best_path + ".tmp")
        os.replace(best_path + ".tmp", best_path)
        entry = {"step": state["step"], "rescored_best": {"step": state["best_step"], "val": res, "score": score,
                                                          "old_score": old_score, "old_val_key": rescore["state"].get("val_key")}}
        log.write(json.dumps(entry) + "\n")
        log.flush()
        print("RESCORED", json.dumps(entry), flush=True)

    pre = Prefetcher(c, tokens, state["step"], c.get("prefetch", 0))
    # SIGTERM/SIGINT (a session ending, Ctrl-C): finish the step, save last.pt, exit
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(True))
    smoothing, clip = c["loss"]["label_smoothing"], c["optim"]["clip"]
    model.train()
    t_start = time.time()
    t_save = time.time()
    t_seg = time.time()
    seg_samples, seg_loss, seg_n, seg_wait = 0, 0.0, 0, 0.0
    try:
        while state["step"] < c["steps"]:
            step = state["step"]
            for g in opt.param_groups:
                g["lr"] = lr_at(step, c)
            tw = time.time()
            x, y, n = pre.get(step)
            seg_wait += time.time() - tw
            x, y = torch.from_numpy(x), torch.from_numpy(y)
            if c["channels_last"]:
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16):
                logits = model(x, y[:, :-1])
            loss, nll = loss_fn(logits, y[:, 1:], smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            bad = any(p.grad is not None and not torch.isfinite(p.grad).all() for p in model.parameters())
            if bad or not torch.isfinite(loss):
                print(f"step {step}: non-finite loss/gradient, batch skipped", flush=True)
            else:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                opt.step()
            state["step"] += 1
            state["samples"] += n
            seg_samples += n
            seg_loss += float(nll)
            seg_n += 1
            if state["step"] % c["log_every"] == 0:
                dt = time.time() - t_seg
                state["seconds"] += dt
                entry = {"step": state["step"], "nll": round(seg_loss / seg_n, 4), "lr": round(lr_at(step, c), 6),
                         "samples_per_s": round(seg_samples / dt, 1), "data_wait": round(seg_wait / dt, 3),
                         "max_len": max_len_at(step, c), "t": round(state["seconds"])}
                log.write(json.dumps(entry) + "\n")
                log.flush()
                print(json.dumps(entry), flush=True)
                t_seg, seg_samples, seg_loss, seg_n, seg_wait = time.time(), 0, 0.0, 0, 0.0
            if is_val_step(state["step"], c):
                validate()
                save_last()
                t_seg, t_save = time.time(), time.time()
            if time.time() - t_save > c["save_every_s"]:
                save_last()
                t_save = time.time()
            if stop or (a.minutes and time.time() - t_start > a.minutes * 60):
                break
    finally:
        pre.close()
    validated = is_val_step(state["step"], c)
    if a.validate_at_stop and not validated:
        validate()
    save_last()
    print(f"stopped at step {state['step']}; best score {state['best']:.4f} at step {state['best_step']}", flush=True)


if __name__ == "__main__":
    main()
