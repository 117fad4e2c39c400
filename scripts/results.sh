#!/usr/bin/env bash
# Regenerate every result the README quotes from the repo's snapshot set, timing each step:
# the shipped model, the default evaluation (+ README table), the report (+ screenshot), predict
# timing, the README example, and the tries to close the gap to Magpie-RF.
# Usage: bash scripts/results.sh ["TRAIN_FLAGS"]   (25 min on 2 cores for 1,879 materials)
# Default flags: latent + T + Magpie with the best CatBoost parameters of the stored search
# (docs/search/catboost.db, study "shipped"; `optuna trials --study-name shipped --storage sqlite:///docs/search/catboost.db`).
set -euo pipefail
cd "$(dirname "$0")/.."
best='{"depth":7,"iterations":1338,"l2_leaf_reg":12.374880561932986,"learning_rate":0.05075828268625432}'
flags=${1:---use-temperature --magpie --params $best}
snap=data/snapshots/chgnet-v2
step() { local t=$SECONDS; echo "== $*"; "$@"; echo "== done in $((SECONDS - t)) s: $1 $2"; }
rm -rf src/tcramp/shipped
# shellcheck disable=SC2086
step .venv/bin/tcramp train --snapshots $snap --out src/tcramp/shipped $flags
rm -rf docs/evaluation
step .venv/bin/tcramp evaluate --snapshots $snap --out docs/evaluation --readme README.md
step bash scripts/report.sh docs/evaluation
step .venv/bin/python benchmarks/predict_time.py
step .venv/bin/tcramp predict src/tcramp/data/YBa2Cu3O7.cif --out runs/predict
cp runs/predict/YBa2Cu3O7-*.png docs/predict-YBa2Cu3O7.png
step .venv/bin/python benchmarks/tries.py --snapshots $snap --out docs/tries
