"""Wall-clock cost of two per-material kernels (moved out of the tests: a busy machine fails a
timing assert): `contrast` on a 49-atom ordered cuprate cell (measured ~2 ms; the issue allowed
0.5 s) and `roles.pool` of 64 atoms x 64 latents (measured ~0.1 ms on 2 shared cores).

Usage: python benchmarks/kernel_time.py
"""

from __future__ import annotations

import timeit

import numpy as np

from tcramp.contrast import contrast
from tcramp.data import load_3dsc
from tcramp.roles import pool
from tcramp.structures import order

cell = {m.name: m for m in load_3dsc()}["Ba0.123Cu1La1.877O4-MP-mp-1077929-synth_doped"].structure
s = order(cell, seed=0).structure
contrast(s)
print(f"contrast, {len(s)} atoms: {min(timeit.repeat(lambda: contrast(s), number=10, repeat=3)) / 10 * 1e3:.2f} ms")
sym = ["Ba"] * 8 + ["Y"] * 4 + ["Cu"] * 24 + ["O"] * 28
v = np.random.default_rng(0).normal(size=(64, 64))
print(f"roles.pool, 64 atoms: {min(timeit.repeat(lambda: pool(sym, v), number=200, repeat=3)) / 200 * 1e3:.3f} ms")
