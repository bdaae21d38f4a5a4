#!/usr/bin/env bash
# Ship a campaign's best checkpoint as a built-in model:
#
#   training/ship.sh augmented             # or: narrow
#   training/ship.sh narrow --reexport     # the shipped weights again, through today's export.py / quantize.py
#
# Exports training/campaign/<name>/best.pt to models/<name>/ (fp32, then q8 and fp16), keeps its
# weights in training/weights/<name>.pt (the same file: git stores it once), copies the curve,
# config and commands beside the model, plots the curve (models/<name>/training-curve.png),
# evaluates every dtype x set of that model and rewrites the model cards and results tables.
# --reexport takes training/weights/<name>.pt instead and leaves the curve, config and commands
# as they are: for an export change (the weights, and so the training record, are unchanged).
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: training/ship.sh <narrow|augmented> [--reexport]}"
reexport="${2:-}"
PY=/usr/bin/python3
run=training/campaign/$name
export OMP_WAIT_POLICY=PASSIVE

if [ "$reexport" = --reexport ]; then
  $PY training/ocr/export.py training/weights/$name.pt models/$name --name $name
  $PY training/ocr/quantize.py models/$name
else
  [ -z "$reexport" ] || { echo "unknown option $reexport (--reexport)" >&2; exit 2; }
  [ -f $run/best.pt ] || { echo "$run/best.pt is missing: run training/campaign.sh $name first" >&2; exit 1; }
  $PY training/ocr/export.py $run/best.pt models/$name --name $name
  $PY training/ocr/quantize.py models/$name
  cp $run/best.pt training/weights/$name.pt
  cp $run/log.jsonl models/$name/training-log.jsonl
  cp $run/command.txt models/$name/training-command.txt
  cp $run/config.json models/$name/training-config.json
  $PY training/ocr/plot.py models/$name/training-curve.png $run/log.jsonl:$name --title "$name: training curve ($run/log.jsonl)"
fi
[ -f .cache/renders/test-1000/meta.json ] || node_modules/.bin/tsx training/data/build-sets.ts test-1000
rm -f models/$name/eval/*.beams*.json  # wider-beam results of the old files: re-run them (npm run eval -- --beams N --save)
npm run eval -- --all --force --only "$name"
node_modules/.bin/tsx cli/model-card.ts narrow augmented
