"""Build rate of the cheap stages: materials per hour for `cell`, then `relaxed`, on this machine.

Usage: python benchmarks/stage_rate.py [N=60] [WORKERS=2]   Builds the first N materials of the
bundled stratified order into a temporary store with the default settings, first to `cell`, then
continued to `relaxed` (as `scripts/build_records.sh` does), and prints the wall time and rate of
each step. Dask start-up is inside each step, as in a real build; failures count as done.
"""

import sys
import tempfile
import time

from tcramp.data import load_3dsc, stratified
from tcramp.run import simulate


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    materials = stratified(load_3dsc())[:n]
    print(f"{n} materials of the stratified order, {workers} workers")
    print("| stage | wall (s) | materials/hour | failed |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for stage in ("cell", "relaxed"):
            t = time.perf_counter()
            res = simulate(materials, tmp, stage=stage, workers=workers, device="cpu")
            wall = time.perf_counter() - t
            print(f"| {stage} | {wall:.0f} | {3600 * n / wall:,.0f} | {len(res.failed)} |")


if __name__ == "__main__":  # Dask workers re-import this file
    main()
