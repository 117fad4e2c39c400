"""Cost of the per-material physics: relax and phonons on real ordered bundled cells, 1 thread
per process as a build worker runs, and the projected build of all covered materials on 2 cores.

Usage: python benchmarks/descriptor_cost.py [--sizes 200]
Prints CPU seconds (process time: robust to other load on the machine) and model calls per
material for cells of about 8, 26 and 49 atoms, fits seconds = alpha + beta * atoms**2 (phonon
cost grows as displacements x supercell atoms) and sums it over the ordered-cell sizes of
`--sizes` randomly drawn covered materials, scaled to all covered ones. `extra_cost` is the hook
for the ramp / sampler cost per material.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

NAMES = [
    "Al0.5Ga0.5V3-MP-mp-1228807",  # 8 atoms
    "Ba2Cu3Pr0.5Y0.5O7-MP-mp-1228182",  # 26 atoms
    "Ba0.123Cu1La1.877O4-MP-mp-1077929-synth_doped",  # 49 atoms
]


def _cell(m):
    from pymatgen.io.ase import AseAtomsAdaptor

    from tcramp.ramp import RampConfig, material_seed
    from tcramp.structures import order

    c = RampConfig()
    s = order(
        m.structure,
        max_atoms=c.max_atoms,
        min_atoms=c.min_atoms,
        tol=c.composition_tol,
        seed=material_seed(c.seed, m.name),
    ).structure
    return AseAtomsAdaptor.get_atoms(s)


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
        from tcramp.mlff import MLFFCalculator

        return MLFFCalculator(self, stress=stress)


def extra_cost(atoms, mlff, phonon) -> dict:
    """Hook: seconds and model calls of the ramp / sampler for one material (none yet)."""
    return {"seconds": 0.0, "calls": 0}


def measure(atoms, mlff) -> dict:
    from tcramp.phonons import descriptors, phonons
    from tcramp.relax import relax

    m = _Counting(mlff)
    t = time.process_time()
    r = relax(atoms, m)
    t_relax, calls_relax = time.process_time() - t, m.calls
    t = time.process_time()
    ph = phonons(r.atoms, m)
    d = descriptors(ph)
    t_ph = time.process_time() - t
    extra = extra_cost(r.atoms, m, ph)
    return {
        "atoms": len(atoms),
        "relax_s": t_relax,
        "relax_calls": calls_relax,
        "phonon_s": t_ph,
        "phonon_calls": m.calls - calls_relax,
        "supercell_atoms": len(ph.supercell),
        "displacements": len(ph.supercells_with_displacements),
        "extra_s": extra["seconds"],
        "imaginary_fraction": d["imaginary_fraction"],
    }


def main() -> None:
    import torch

    from tcramp.data import load_3dsc
    from tcramp.mlff import load_mlff
    from tcramp.structures import CellError

    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, default=200)
    a = p.parse_args()
    torch.set_num_threads(1)
    mats = load_3dsc()
    by = {m.name: m for m in mats}
    mlff = load_mlff("chgnet", None, "cpu")
    rows = []
    for n in NAMES:
        row = measure(_cell(by[n]), mlff)
        rows.append(row)
        print(n, {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
    x = np.array([r["atoms"] for r in rows], float)
    y = np.array([r["relax_s"] + r["phonon_s"] + r["extra_s"] for r in rows])
    beta, alpha = np.polyfit(x**2, y, 1)
    rng = random.Random(0)
    sizes = []
    for m in rng.sample(mats, a.sizes):
        try:
            sizes.append(len(_cell(m)))
        except (CellError, ValueError):
            pass
    covered = len(mats) * len(sizes) / a.sizes
    per = alpha + beta * np.array(sizes, float) ** 2
    print(
        f"fit: seconds = {alpha:.2f} + {beta:.4f} * atoms^2; atoms median {np.median(sizes):.0f}, "
        f"p90 {np.quantile(sizes, 0.9):.0f}"
    )
    print(
        f"projected relax+phonons for {covered:.0f} covered materials on 2 cores: "
        f"{per.mean() * covered / 2 / 3600:.1f} h"
    )


if __name__ == "__main__":
    main()
