#!/usr/bin/env bash
# The whole model pipeline, resumable: every step skips what is already done, and
# training resumes from training/runs/<name>/last.pt. Budget on 2 CPU cores: see
# models/README.md (measured: ~70 min for narrow, ~90 min for augmented, wall clock with validation).
#
#   training/setup.sh            # once: Debian packages (python3-torch, onnx, chromium)
#   training/pipeline.sh         # data, narrow, augmented, export, quantise, evaluate
#
# Environment: NARROW_STEPS, AUGMENTED_STEPS, SKIP_EVAL=1. From scratch; for the long
# resumable campaign that continues the shipped models, see training/campaign.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
TSX=node_modules/.bin/tsx
export OMP_WAIT_POLICY=PASSIVE # threads sleep instead of spinning when the 2 cores are shared

# 1. data (deterministic from seed 1): formulas, CROHME ground truth, rendered sets
[ -f .cache/formulas/train.jsonl ] || $TSX training/data/prepare.ts
[ -f .cache/formulas/crohme-train.tsv ] || $TSX training/data/crohme.ts
for set in printed fonts val-500 test-1000; do
  [ -f .cache/renders/$set/meta.json ] || $TSX training/data/build-sets.ts $set
done

# 2. narrow: clean black-on-white KaTeX renders only (training/configs/narrow.json)
$PY training/ocr/train.py --config training/configs/narrow.json --run training/runs/narrow --steps "${NARROW_STEPS:-4000}"
# 3. augmented: fine-tuned from narrow's best checkpoint, with augmentation, MathJax fonts, handwriting
#    (training/configs/augmented.json; its campaign continues the shipped weights instead: training/campaign.sh)
$PY training/ocr/train.py --config training/configs/augmented.json --run training/runs/augmented \
  --set init='"training/runs/narrow/best.pt"' --steps "${AUGMENTED_STEPS:-4000}" --set val.every=500

# 4. export the best checkpoints, quantise, keep one copy of the weights
for name in narrow augmented; do
  $PY training/ocr/export.py training/runs/$name/best.pt models/$name --name $name
  $PY training/ocr/quantize.py models/$name
  cp training/runs/$name/best.pt training/weights/$name.pt
  cp training/runs/$name/log.jsonl models/$name/training-log.jsonl
  cp training/runs/$name/command.txt models/$name/training-command.txt
done

# 5. evaluate every model x dtype x set and rewrite the table in models/README.md
[ -n "${SKIP_EVAL:-}" ] || npm run eval -- --all
