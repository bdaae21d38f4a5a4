"""PyTorch reference predictions for export parity checks.

  /usr/bin/python3 training/ocr/reference.py CHECKPOINT PACK N OUT_DIR [--min-new 10]

Writes OUT_DIR/<i>.png (the prepared image the model sees: 64 px high, grey) and
OUT_DIR/reference.json [{"file", "text", "ids"}] with greedy decodes. --min-new
forbids the end token for the first tokens (as transformers.js' min_new_tokens does),
so even an untrained model produces something to compare.
"""
import argparse
import json
import os
import sys

import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from data import BOS, EOS, Vocab, read_pack, to_input  # noqa: E402
from export import load  # noqa: E402
from imageops import prepare  # noqa: E402


@torch.no_grad()
def greedy(m, x, min_new, max_new=60):
    cross = m.decoder.cross(m.encoder(x))
    ids, past, out = torch.tensor([[BOS]]), None, []
    for step in range(max_new):
        logits, past = m.decoder(ids[:, -1:], cross, past)
        lg = logits[0, -1].clone()
        if step < min_new:
            lg[EOS] = float("-inf")
        nxt = int(lg.argmax())
        if nxt == EOS:
            break
        out.append(nxt)
        ids = torch.cat([ids, torch.tensor([[nxt]])], dim=1)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("pack")
    p.add_argument("n", type=int)
    p.add_argument("out")
    p.add_argument("--min-new", type=int, default=0)
    a = p.parse_args()
    m, cfg, ck = load(a.checkpoint)
    vocab = Vocab(ck["vocab"])
    os.makedirs(a.out, exist_ok=True)
    res = []
    for i, s in enumerate(read_pack(a.pack)[: a.n]):
        im = prepare(s.load())
        f = os.path.join(a.out, f"{i}.png")
        Image.fromarray(im).save(f)
        ids = greedy(m, torch.from_numpy(to_input(im))[None, None], a.min_new)
        res.append({"file": f, "text": vocab.decode(ids), "ids": ids, "reference": s.latex})
    json.dump(res, open(os.path.join(a.out, "reference.json"), "w"), indent=1)
    print(json.dumps(res[:2]))


if __name__ == "__main__":
    main()
