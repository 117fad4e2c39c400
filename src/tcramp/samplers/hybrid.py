"""Harmonic draws below a crossover temperature, MD above it.

Below `config.hybrid_crossover` × the Debye temperature of the relaxed cell (from its phonons)
quantum effects dominate and the `harmonic` sampler is used; from there on, `md` heats the cell
through the remaining temperatures, where classical statistics hold and anharmonicity matters.
A cell whose phonons have imaginary modes is sampled by MD throughout (its harmonic distribution
does not exist).
"""

from __future__ import annotations

from dataclasses import replace

from ase import Atoms

from .. import phonons
from ..mlff import MLFF
from ..ramp import RampConfig
from . import harmonic, md
from .base import Sample

__all__ = ["crossover", "sample"]


def crossover(phonon, config: RampConfig = RampConfig()) -> float:
    """The temperature (K) where sampling switches from harmonic to MD; 0 when the cell is
    dynamically unstable."""
    d = phonons.descriptors(phonon)
    if d["imaginary_fraction"] > 0:
        return 0.0
    return config.hybrid_crossover * d["debye_temperature"]


def sample(
    atoms: Atoms,
    mlff: MLFF,
    temps: list[float],
    config: RampConfig = RampConfig(),
    seed: int = 0,
    phonon=None,
) -> list[Sample]:
    """`harmonic.sample` below the crossover, `md.sample` from it on (calls counted across both)."""
    t0 = crossover(phonon, config) if phonon is not None else 0.0
    cold, hot = [t for t in temps if t < t0], [t for t in temps if t >= t0]
    low = harmonic.sample(atoms, mlff, cold, config, seed, phonon) if cold else []
    high = md.sample(atoms, mlff, hot, config, seed, phonon) if hot else []
    n = low[-1].calls if low else 0
    return low + [replace(s, calls=s.calls + n) for s in high]
