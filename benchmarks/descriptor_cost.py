"""Cost of one material's v2 record: relax, phonons and each sampler (md, harmonic, hybrid) on
real ordered bundled cells, 1 thread per process as a build worker runs, and the projected build
of all covered materials on 2 cores for each sampler.

Usage: python benchmarks/descriptor_cost.py [--sizes 200] [--mlff chgnet 7net-0 ...] [--samplers harmonic ...]
Each backend (`--mlff`, default chgnet) runs on the same cells in the same process, its phonons at
its trusted displacement (`RampConfig.for_backend`). Prints CPU seconds (process time: robust to other load on the machine) and model calls per
material for cells of about 8, 26 and 49 atoms: relax and phonons once, then each sampler over
the default base grid (same cell, same grid, one run); fits seconds = alpha + beta * atoms**2 per
sampler (relax and phonons included) and sums it over the ordered-cell sizes of `--sizes`
randomly drawn covered materials, scaled to all covered ones.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
from pymatgen.io.ase import AseAtomsAdaptor

from tcramp.data import load_3dsc
from tcramp.mlff import MLFFCalculator, load_mlff
from tcramp.phonons import descriptors, phonons
from tcramp.pipeline import ordered_cell
from tcramp.ramp import RampConfig, temperatures
from tcramp.relax import relax
from tcramp.samplers import SAMPLERS
from tcramp.structures import CellError

NAMES = [
    "Al0.5Ga0.5V3-MP-mp-1228807",  # 8 atoms
    "Ba2Cu3Pr0.5Y0.5O7-MP-mp-1228182",  # 26 atoms
    "Ba0.123Cu1La1.877O4-MP-mp-1077929-synth_doped",  # 49 atoms
]


def _cell(m):
    return AseAtomsAdaptor.get_atoms(ordered_cell(m.structure, m.name).structure)


class _Counting:
    """Counts model calls and structures of an MLFF."""

    def __init__(self, mlff):
        self.mlff, self.calls, self.structures = mlff, 0, 0

    def __getattr__(self, name):
        return getattr(self.mlff, name)

    def predict(self, structures, **kw):
        self.calls += 1
        self.structures += len(structures)
        return self.mlff.predict(structures, **kw)

    def calculator(self, stress=False):
        return MLFFCalculator(self, stress=stress)


def measure(atoms, mlff, config: RampConfig, samplers) -> dict:
    m = _Counting(mlff)
    t = time.process_time()
    r = relax(atoms, m)
    t_relax, calls_relax = time.process_time() - t, m.calls
    t = time.process_time()
    ph = phonons(r.atoms, m, distance=config.phonon_distance)
    d = descriptors(ph)
    t_ph = time.process_time() - t
    out = {
        "atoms": len(atoms),
        "relax_s": t_relax,
        "relax_calls": calls_relax,
        "phonon_s": t_ph,
        "phonon_calls": m.calls - calls_relax,
        "supercell_atoms": len(ph.supercell),
        "displacements": len(ph.supercells_with_displacements),
        "imaginary_fraction": d["imaginary_fraction"],
    }
    temps = temperatures(0.0)
    for name in samplers:
        before = m.calls
        t = time.process_time()
        SAMPLERS[name](r.atoms, m, temps, config, 0, ph)
        out[f"{name}_s"], out[f"{name}_calls"] = time.process_time() - t, m.calls - before
    return out


def report(backend: str, samplers, sizes: list[int], covered: float) -> None:
    """Measure `backend` on the `NAMES` cells and print its per-cell costs and projected builds."""
    mlff, config = load_mlff(backend, None, "cpu"), RampConfig().for_backend(backend)
    by = {m.name: m for m in load_3dsc()}
    rows = []
    for n in NAMES:
        row = measure(_cell(by[n]), mlff, config, samplers)
        rows.append(row)
        print(backend, n, {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
    x = np.array([r["atoms"] for r in rows], float)
    for name in ("none", *samplers):
        y = np.array([r["relax_s"] + r["phonon_s"] + r.get(f"{name}_s", 0.0) for r in rows])
        beta, alpha = np.polyfit(x**2, y, 1)
        per = np.clip(alpha + beta * np.array(sizes, float) ** 2, y.min(), None)
        label = "relax+phonons" if name == "none" else f"relax+phonons+{name}"
        print(
            f"{backend} {label}: seconds = {alpha:.2f} + {beta:.4f} * atoms^2; projected build of {covered:.0f} "
            f"covered materials on 2 cores: {per.mean() * covered / 2 / 3600:.1f} h"
        )


def main() -> None:
    import torch

    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, default=200)
    p.add_argument("--mlff", nargs="+", default=["chgnet"])
    p.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=list(SAMPLERS))
    a = p.parse_args()
    torch.set_num_threads(1)
    mats = load_3dsc()
    rng = random.Random(0)
    sizes = []
    for m in rng.sample(mats, a.sizes):
        try:
            sizes.append(len(_cell(m)))
        except (CellError, ValueError):
            pass
    covered = len(mats) * len(sizes) / a.sizes
    print(f"ordered cells: atoms median {np.median(sizes):.0f}, p90 {np.quantile(sizes, 0.9):.0f}")
    for backend in a.mlff:
        report(backend, a.samplers, sizes, covered)


if __name__ == "__main__":
    main()
