"""Build rate of the physics stages, an earlier code path against this one, in one run.

Usage: python benchmarks/build_rate.py [--n 30] [--mlff chgnet] [--before 0d0d3d8]

Builds the first N materials of the bundled stratified order from nothing to `samples` (default
settings) twice, each in a fresh single-threaded process (workers=0, one torch/BLAS thread):
once with the code of git commit `--before` (checked out into a temporary worktree), once with
the code beside this file. Prints per code path the CPU time, materials per CPU-hour (one core;
×2 for the 2-core build) and the share of CPU spent inside the force field's `predict`
(graph, forward and backward passes: the model's own work), and checks that both give equal
records (float tolerance).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

# imported from the code path under test: PYTHONPATH names its src in the --inner processes
from tcramp.data import load_3dsc, stratified
from tcramp.mlff import backend_class
from tcramp.run import setup_process, simulate
from tcramp.snapshots import read_snapshots

ROOT = Path(__file__).resolve().parents[1]


def inner(n: int, mlff: str, out: str) -> None:
    """Build in this process, timing the backend's `predict`; print a JSON line of the times."""
    setup_process(1)
    cls, inside = backend_class(mlff), [0.0]
    forward = cls.predict

    def timed(self, *a, **k):
        t = time.process_time()
        try:
            return forward(self, *a, **k)
        finally:
            inside[0] += time.process_time() - t

    cls.predict = timed
    materials = stratified(load_3dsc())[:n]
    t, w = time.process_time(), time.perf_counter()
    res = simulate(materials, out, stage="samples", mlff=mlff, workers=0, device="cpu")
    cpu = time.process_time() - t
    print(json.dumps({"cpu": cpu, "wall": time.perf_counter() - w, "model": inside[0], "failed": len(res.failed)}))


def run(src: Path, n: int, mlff: str, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    cmd = [sys.executable, __file__, "--inner", "--n", str(n), "--mlff", mlff, "--out", str(out)]
    lines = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.splitlines()
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--mlff", default="chgnet")
    ap.add_argument("--before", default="0d0d3d8")
    ap.add_argument("--inner", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.inner:
        return inner(a.n, a.mlff, a.out)
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "code"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), a.before], check=True)
        try:
            got = {
                p: run(src, a.n, a.mlff, Path(tmp) / f"store-{p}")
                for p, src in (("before", old / "src"), ("now", ROOT / "src"))
            }
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=True)
        print(f"{a.n} materials of the stratified order to `samples`, {a.mlff}, one process, one thread\n")
        print("| code | CPU (s) | materials per CPU-hour | inside predict | failed |\n|---|---|---|---|---|")
        for p, r in got.items():
            name = a.before if p == "before" else "this"
            share = r["model"] / r["cpu"]
            print(f"| {name} | {r['cpu']:.0f} | {3600 * a.n / r['cpu']:.0f} | {share:.0%} | {r['failed']} |")
        print(f"\nrecords equal: {_equal(Path(tmp) / 'store-before', Path(tmp) / 'store-now', a.mlff)}")


def _equal(a: Path, b: Path, mlff: str) -> bool:
    """Both builds' snapshot tables agree to float tolerance (float16 latents: rtol 2e-3)."""
    try:
        pd.testing.assert_frame_equal(
            read_snapshots(a, mlff=mlff), read_snapshots(b, mlff=mlff), check_exact=False, rtol=2e-3, atol=1e-6
        )
    except AssertionError as exc:
        print(str(exc).splitlines()[:3])
        return False
    return True


if __name__ == "__main__":
    main()
