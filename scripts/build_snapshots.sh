#!/usr/bin/env bash
# Grow the repo's CHGNet snapshot set (data/snapshots/chgnet-v2) to the first N materials of the
# stratified order, resuming whatever is there, then merge finished files into a pack.
# Usage: bash scripts/build_snapshots.sh [N=3000] [extra tcramp simulate options...]
# On a cluster: add --scheduler tcp://HOST:PORT, or run shards with --shard i/K.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-3000}
shift || true
status=0
.venv/bin/tcramp simulate --order stratified --limit "$n" --out data/snapshots/chgnet-v2 "$@" || status=$?
.venv/bin/tcramp pack data/snapshots/chgnet-v2
exit "$status"  # 1 when some materials failed (they are listed in data/snapshots/chgnet-v2/failures)
