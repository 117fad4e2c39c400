#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the main job on the embedded default (CHGNet + the shipped
# model): predict Tc of src/tcramp/data/YBa2Cu3O7.cif, writing its predictions (and, for a classifier, its P(SC|T) plot) to
# runs/predict/. Extra arguments go to `tcramp predict` (e.g. more structure files).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/tcramp predict src/tcramp/data/YBa2Cu3O7.cif --out runs/predict "$@"
