#!/usr/bin/env bash
# Start or continue a training campaign, on any machine, in one command:
#
#   training/campaign.sh augmented [--minutes 110]   # or: narrow
#
# Renders the data if this machine has not (cached in .cache/, ~12 min on 2 cores), then
# runs train.py on training/campaign/<name>/, which resumes exactly from its last.pt.
# Every hyper-parameter is in training/configs/<name>.json. Before a session stops, commit
# training/campaign/<name>/ (last.pt < 20 MB, best.pt, log.jsonl, config.json, command.txt).
# To ship the best checkpoint: training/ship.sh <name>.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: training/campaign.sh <narrow|augmented> [--minutes N] [train.py options]}"
shift
PY=/usr/bin/python3
TSX=node_modules/.bin/tsx
export OMP_WAIT_POLICY=PASSIVE # threads sleep instead of spinning when the 2 cores are shared

[ -x "$TSX" ] || npm ci --no-audit --no-fund
# Labels are in the canonical form of src/latex/tokens.ts: data prepared under another version of
# it is prepared and rendered again (the eval renders keep: their references are normalised when scored)
canon=$(sha256sum src/latex/tokens.ts | cut -c1-64)
if [ -f .cache/formulas/train.jsonl ] && [ "$(cat .cache/formulas/canonical.sha256 2>/dev/null)" != "$canon" ]; then
  echo "src/latex/tokens.ts differs from the one the cached data was prepared with: preparing and rendering again" >&2
  rm -rf .cache/formulas .cache/renders/printed .cache/renders/fonts .cache/renders/hand .cache/renders/val-500
fi
[ -f .cache/formulas/train.jsonl ] || $TSX training/data/prepare.ts
[ -f .cache/formulas/crohme-train.tsv ] || $TSX training/data/crohme.ts
echo "$canon" > .cache/formulas/canonical.sha256
sets="printed val-500"
[ "$name" = narrow ] || sets="$sets fonts hand"
for set in $sets; do
  [ -f .cache/renders/$set/meta.json ] || $TSX training/data/build-sets.ts $set
done
exec $PY training/ocr/train.py --config training/configs/$name.json --run training/campaign/$name "$@"
