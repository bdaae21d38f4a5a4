#!/usr/bin/env bash
# Ship a campaign's best checkpoint as a built-in model:
#
#   training/ship.sh augmented      # or: narrow
#
# Exports training/campaign/<name>/best.pt to models/<name>/ (fp32, then q8 and fp16), keeps its
# weights in training/weights/<name>.pt (the same file: git stores it once), copies the curve,
# config and commands beside the model, plots the curve (models/<name>/training-curve.png),
# evaluates every dtype x set of that model and rewrites the model cards and results tables.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: training/ship.sh <narrow|augmented>}"
PY=/usr/bin/python3
run=training/campaign/$name
[ -f $run/best.pt ] || { echo "$run/best.pt is missing: run training/campaign.sh $name first" >&2; exit 1; }
export OMP_WAIT_POLICY=PASSIVE

$PY training/ocr/export.py $run/best.pt models/$name --name $name
$PY training/ocr/quantize.py models/$name
cp $run/best.pt training/weights/$name.pt
cp $run/log.jsonl models/$name/training-log.jsonl
cp $run/command.txt models/$name/training-command.txt
cp $run/config.json models/$name/training-config.json
$PY training/ocr/plot.py models/$name/training-curve.png $run/log.jsonl:$name --title "$name: training curve ($run/log.jsonl)"
[ -f .cache/renders/test-1000/meta.json ] || node_modules/.bin/tsx training/data/build-sets.ts test-1000
rm -f models/$name/eval/*.beams*.json  # wider-beam results of the old weights: re-run them (npm run eval -- --beams N --save)
npm run eval -- --all --force --only "$name"
node_modules/.bin/tsx cli/model-card.ts narrow augmented
