"""Training throughput, before and after the fast path, on the same batches, round-robin.

  /usr/bin/python3 training/ocr/throughput.py [--config training/configs/augmented.json] [--rounds 5] [--steps 6]

"before": fp32, contiguous layout, torch's own dropout (a fresh Bernoulli mask per call) and
the batch made inline (decode + augment + prepare counted in the step), as train.py ran until
2026-12-03. "after": bf16 autocast, channels_last, pooled dropout masks, the batch made ahead
in the prefetch worker (so not counted). Both take forward + backward + clip + AdamW step on
the same batches of the config's mixture; rounds alternate so a slow spell of a shared machine
falls on both. Prints samples/s per round and the medians.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from data import Batcher, Vocab  # noqa: E402
from model import ModelConfig, OCRModel, PooledDropout  # noqa: E402
from train import ROOT, load_groups, loss_fn  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", default=os.path.join(ROOT, "training/configs/augmented.json"))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=6)
    a = p.parse_args()
    c = json.load(open(a.config))
    torch.set_num_threads(c["threads"])
    init = torch.load(os.path.join(ROOT, c["init"]), map_location="cpu") if c.get("init") else None
    tokens = init["vocab"] if init else json.load(open(os.path.join(ROOT, "training/campaign/augmented/vocab.json")))
    vocab = Vocab(tokens)
    mcfg = ModelConfig(vocab_size=len(vocab), **{**c["model"], "channels": tuple(c["model"]["channels"])})
    batcher = Batcher(load_groups(c, vocab), c["batch"], c["seed"])

    def make(fast):
        m = OCRModel(mcfg)
        if init:
            m.load_state_dict(init["model"], strict=False)
        if fast:
            m = m.to(memory_format=torch.channels_last)
        m.train()
        return m, torch.optim.AdamW(m.parameters(), lr=1e-5, weight_decay=0.01)

    models = {"before": make(False), "after": make(True)}
    pooled = PooledDropout.forward

    def step(name, k):
        m, opt = models[name]
        fast = name == "after"
        PooledDropout.forward = pooled if fast else (lambda self, x: F.dropout(x, self.p, self.training))
        t0 = time.time()
        x, y, n = batcher.batch(k, 250, vocab, c["augment"])
        t_data = time.time() - t0
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        if fast:
            x = x.contiguous(memory_format=torch.channels_last)
        t1 = time.time()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast):
            logits = m(x, y[:, :-1])
        loss, _ = loss_fn(logits, y[:, 1:], c["loss"]["label_smoothing"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), c["optim"]["clip"])
        opt.step()
        t_train = time.time() - t1
        return n, (t_data + t_train) if not fast else t_train

    for name in models:  # warm-up
        step(name, 0)
    res = {k: [] for k in models}
    for r in range(a.rounds):
        for name in (["before", "after"] if r % 2 == 0 else ["after", "before"]):
            ns, ts = 0, 0.0
            for k in range(a.steps):
                n, t = step(name, 1000 + r * a.steps + k)
                ns, ts = ns + n, ts + t
            res[name].append(ns / ts)
        print(json.dumps({"round": r, **{k: round(v[-1], 1) for k, v in res.items()}}), flush=True)
    med = {k: statistics.median(v) for k, v in res.items()}
    print(json.dumps({"median_samples_per_s": {k: round(v, 1) for k, v in med.items()},
                      "speed_up": round(med["after"] / med["before"], 2)}))


if __name__ == "__main__":
    main()
