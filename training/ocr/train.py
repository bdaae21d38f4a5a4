"""Train (or fine-tune) the image-to-LaTeX model; resumable; keeps the best checkpoint by validation.

  /usr/bin/python3 training/ocr/train.py --run training/runs/narrow --mode narrow --steps 12000
  /usr/bin/python3 training/ocr/train.py --run training/runs/augmented --mode augmented \
      --init training/runs/narrow/best.pt --steps 9000

Re-running the same command resumes from <run>/last.pt. <run>/log.jsonl holds the
training curve and every validation; <run>/best.pt the best checkpoint by the
selection score (narrow: im2latex val; augmented: mean of im2latex val clean,
val recoloured white-on-blue and CROHME validation). <run>/command.txt records
the exact command and data of the run.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from data import (BOS, EOS, PAD, Batcher, Vocab, build_vocab, make_batch, read_crohme, read_pack, to_input, CACHE)  # noqa: E402
from imageops import prepare, HEIGHT  # noqa: E402
from metrics import token_edit_distance  # noqa: E402
from model import ModelConfig, OCRModel, count_params  # noqa: E402

# torch 1.13 (Debian): oneDNN's conv backward sometimes returns NaN weight gradients
# for the 1-channel first convolution (shared/docs/training-notes.md). That layer runs as
# unfold + matmul in training (model.StemConv); oneDNN stays on for the rest (3x faster
# backward than without it, measured here). Steps with non-finite gradients are skipped.


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--run", required=True)
    p.add_argument("--mode", choices=["narrow", "augmented", "smoke"], required=True)
    p.add_argument("--init", help="checkpoint to start from (fine-tuning)")
    p.add_argument("--steps", type=int, default=10000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=400)
    p.add_argument("--val-every", type=int, default=1000)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--val-n", type=int, default=300, help="validation images per set (the first N of each)")
    p.add_argument("--val-max-new", type=int, default=160)
    p.add_argument("--save-every-s", type=int, default=300)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--minutes", type=float, default=0, help="stop (resumably) after this much wall time")
    return p.parse_args()


def lr_at(step, a):
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    t = min(1.0, (step - a.warmup) / max(1, a.steps - a.warmup))
    return a.lr * (0.03 + 0.97 * 0.5 * (1 + math.cos(math.pi * t)))


def max_len_at(step, a):
    """Curriculum: short formulas first, then longer."""
    f = step / max(1, a.steps)
    return 40 if f < 0.15 else 90 if f < 0.4 else 250


def loss_fn(logits, y, smoothing=0.1):
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


# white glyphs (#ffffff) on blue paper (#1e40af): grey = mean of R,G,B
WHITE_ON_BLUE = (1.0, (0x1e + 0x40 + 0xaf) / 3 / 255.0)


@torch.no_grad()
def evaluate(model, vocab, samples, transform=None, batch=32, max_new=200):
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
        outs = model.greedy(torch.from_numpy(x), BOS, EOS, max_new=max_new)
        for s, o in zip(chunk, outs):
            pred = vocab.decode(o).split()
            ref = s.latex.split()
            scores.append(token_edit_distance(pred, ref))
            exact += pred == ref
    model.train()
    ned = float(np.mean(scores))
    return {"ned": ned, "sim": 1 - ned, "exact": exact / max(1, len(samples)), "n": len(samples)}


# ---------------------------------------------------------------- main
def main():
    a = parse()
    torch.set_num_threads(a.threads)
    os.makedirs(a.run, exist_ok=True)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)

    vocab_path = os.path.join(a.run, "vocab.json")
    if a.init:
        init = torch.load(a.init, map_location="cpu")
        tokens = init["vocab"]
    elif os.path.exists(vocab_path):
        tokens = json.load(open(vocab_path))
    elif a.mode == "smoke":
        tokens = build_vocab(min_count=1, packs=["smoke"], crohme=False)
    else:
        tokens = build_vocab()
    json.dump(tokens, open(vocab_path, "w"))
    vocab = Vocab(tokens)

    if a.mode == "smoke":
        cfg = ModelConfig(vocab_size=len(vocab), d_model=64, n_heads=2, n_layers=1, d_ff=128, channels=(8, 16, 32), max_len=64)
    elif a.init:
        cfg = ModelConfig(**{**init["config"], "channels": tuple(init["config"]["channels"])})
    else:
        cfg = ModelConfig(vocab_size=len(vocab))
    model = OCRModel(cfg)
    if a.init:
        model.load_state_dict(init["model"])
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)

    # data
    if a.mode == "smoke":
        groups = [(read_pack("smoke", vocab), 1.0)]
        val_sets = {"clean": (read_pack("smoke", vocab)[:32], None)}
    else:
        printed = read_pack("printed", vocab)
        val = read_pack("val-500", vocab)
        val_sets = {"clean": (val, None)}
        groups = [(printed, 1.0)]
        if a.mode == "augmented":
            fonts = read_pack("fonts", vocab)
            if os.path.exists(os.path.join(CACHE, "renders", "fonts-stix2", "index.jsonl")):
                fonts += read_pack("fonts-stix2", vocab)
            hand = read_crohme("train", vocab)
            # arXiv formulas look most like the benchmark (im2latex-100k): a larger share than their count
            arxiv = [s for s in printed if s.source.startswith("arxiv")]
            other = [s for s in printed if not s.source.startswith("arxiv")]
            groups = [(arxiv, 0.3), (other, 0.25), (fonts, 0.2), (hand, 0.25)]
            val_sets["white_on_blue"] = (val, lambda g: recolour(g, *WHITE_ON_BLUE))
            val_sets["crohme"] = (read_crohme("validation", vocab)[:500], None)
    aug_prob = 0.8 if a.mode == "augmented" else 0.0
    batcher = Batcher(groups, a.batch, a.seed)

    state = {"step": 0, "best": -1.0, "best_step": -1, "seconds": 0.0}
    last = os.path.join(a.run, "last.pt")
    if os.path.exists(last):
        ck = torch.load(last, map_location="cpu")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        batcher.rng.setstate(ck["rng"])
        print(f"resumed at step {state['step']}", flush=True)
        with open(os.path.join(a.run, "command.txt"), "a") as f:
            f.write(f"resumed at step {state['step']}: " + " ".join([sys.executable] + sys.argv) + "\n")
    else:
        with open(os.path.join(a.run, "command.txt"), "w") as f:
            f.write(" ".join([sys.executable] + sys.argv) + "\n")
            f.write(json.dumps({"mode": a.mode, "groups": [(len(g), w) for g, w in groups], "aug_prob": aug_prob,
                                "val": {k: len(v[0]) for k, v in val_sets.items()}, "params": count_params(model),
                                "config": cfg.to_dict(), "init": a.init}) + "\n")
    print(f"params {count_params(model):,}; vocab {len(vocab)}; groups {[len(g) for g, _ in groups]}", flush=True)

    log = open(os.path.join(a.run, "log.jsonl"), "a")

    def save(path):
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state, "rng": batcher.rng.getstate(),
                    "config": cfg.to_dict(), "vocab": vocab.tokens, "mode": a.mode}, path + ".tmp")
        os.replace(path + ".tmp", path)

    def validate():
        res = {k: evaluate(model, vocab, s[:a.val_n], t, max_new=a.val_max_new) for k, (s, t) in val_sets.items()}
        score = float(np.mean([r["sim"] for r in res.values()]))
        entry = {"step": state["step"], "val": res, "score": score, "t": round(state["seconds"])}
        if score > state["best"]:
            state["best"], state["best_step"] = score, state["step"]
            save(os.path.join(a.run, "best.pt"))
            entry["best"] = True
        log.write(json.dumps(entry) + "\n")
        log.flush()
        print("VAL", json.dumps(entry), flush=True)

    model.train()
    rng = random.Random(a.seed + state["step"])
    t_start = time.time()
    t_save = time.time()
    t_seg = time.time()
    seg_samples, seg_loss, seg_n = 0, 0.0, 0
    while state["step"] < a.steps:
        step = state["step"]
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a)
        samples = batcher.next(max_len_at(step, a))
        x, y = make_batch(samples, vocab, rng, aug_prob)
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        logits = model(x, y[:, :-1])
        loss, nll = loss_fn(logits, y[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        bad = any(p.grad is not None and not torch.isfinite(p.grad).all() for p in model.parameters())
        if bad or not torch.isfinite(loss):
            print(f"step {step}: non-finite loss/gradient, batch skipped", flush=True)
        else:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        state["step"] += 1
        seg_samples += len(samples)
        seg_loss += float(nll)
        seg_n += 1
        if state["step"] % a.log_every == 0:
            dt = time.time() - t_seg
            state["seconds"] += dt
            entry = {"step": state["step"], "nll": round(seg_loss / seg_n, 4), "lr": round(lr_at(step, a), 6),
                     "samples_per_s": round(seg_samples / dt, 1), "max_len": max_len_at(step, a), "t": round(state["seconds"])}
            log.write(json.dumps(entry) + "\n")
            log.flush()
            print(json.dumps(entry), flush=True)
            t_seg, seg_samples, seg_loss, seg_n = time.time(), 0, 0.0, 0
        if state["step"] % a.val_every == 0 or state["step"] == a.steps:
            validate()
            t_seg = time.time()
        if time.time() - t_save > a.save_every_s:
            save(last)
            t_save = time.time()
        if a.minutes and time.time() - t_start > a.minutes * 60:
            break
    save(last)
    print(f"stopped at step {state['step']}; best score {state['best']:.4f} at step {state['best_step']}", flush=True)


if __name__ == "__main__":
    main()
