"""Keep one copy of a checkpoint's weights (no optimizer state): the file committed to git.

  /usr/bin/python3 training/ocr/weights.py training/runs/augmented/best.pt training/weights/augmented.pt
"""
import os
import sys

import torch

ck = torch.load(sys.argv[1], map_location="cpu")
os.makedirs(os.path.dirname(sys.argv[2]) or ".", exist_ok=True)
keep = {k: ck[k] for k in ("model", "config", "vocab", "mode", "state")}
torch.save(keep, sys.argv[2])
print(f"{sys.argv[2]}: {os.path.getsize(sys.argv[2]) / 1e6:.1f} MB (step {ck['state']['step']})")
