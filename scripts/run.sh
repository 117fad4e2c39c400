#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the main job on the embedded default (CHGNet): ramp the
# first 12 bundled 3DSC_MP materials into runs/demo (resumes if interrupted).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/tcramp simulate --limit 12 --out runs/demo "$@"
.venv/bin/python - <<'PY'
from tcramp import read_snapshots
df = read_snapshots("runs/demo")
print(df.groupby("name").agg(tc=("tc", "first"), temperatures=("T_target", "size"),
                            atoms=("n_atoms", "first")).to_string())
PY
