"""Thermal samplers: configurations of a relaxed cell at each temperature of the grid.

A sampler is one file of this package exposing `sample(atoms, mlff, temps, config, seed, phonon)
-> list[Sample]`, registered in `SAMPLERS`. It returns raw per-configuration data (energies,
displacements from the relaxed positions, per-atom latents and magnetic moments); the pipeline
pools them per element role and compares them with the harmonic reference.

| name       | what it draws                                                                    |
|------------|----------------------------------------------------------------------------------|
| `md`       | NVT Langevin MD through the grid (classical statistics, anharmonic)              |
| `harmonic` | independent draws from the quantum harmonic distribution of the relaxed cell's  |
|            | Γ modes (zero-point motion included), one latent-only forward pass each          |
| `hybrid`   | `harmonic` below `config.hybrid_crossover` × Debye temperature, `md` above       |
"""

from __future__ import annotations

from . import harmonic, hybrid, md
from .base import Sample, SamplerError, remove_drift

__all__ = ["SAMPLERS", "Sample", "SamplerError", "remove_drift"]

SAMPLERS = {"md": md.sample, "harmonic": harmonic.sample, "hybrid": hybrid.sample}
