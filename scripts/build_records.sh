#!/usr/bin/env bash
# Grow the repo's record store (data/records) to the first N materials of the stratified order,
# up to the given stages, continuing whatever is there, in chunks of C materials: each chunk is
# packed as soon as it finishes, so a stopped build loses at most one chunk's loose files
# (`tcramp pack data/records` packs those too).
# Usage: bash scripts/build_records.sh [N=6000] [STAGES=cell,relaxed] [C=500] [extra tcramp simulate options...]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-6000}
stages=${2:-cell,relaxed}
chunk=${3:-500}
shift $(($# < 3 ? $# : 3))
status=0
for ((k = chunk; k < n + chunk; k += chunk)); do
    limit=$((k < n ? k : n))
    .venv/bin/tcramp simulate --order stratified --limit "$limit" --stages "$stages" --out data/records "$@" || status=$?
    .venv/bin/tcramp pack data/records
done
exit "$status"  # 1 when some materials failed (listed in data/records/*/failures)
