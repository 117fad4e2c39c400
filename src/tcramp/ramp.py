"""Ramp settings and the temperature grid.

`RampConfig` holds every setting that shapes a material's record (cell building, relaxation,
phonons, temperature grid, sampler, MD) and hashes to `settings_hash`, stored with every
snapshot; `for_backend` resolves the settings a backend supplies (its trusted phonon
displacement). `temperatures` gives the grid: `n_temps` points log-spaced from `t_min` to `t_max`
(dense at low T, where 88 % of 3DSC Tcs lie; the grid `predict` reads), plus, for training,
`dense_points` evenly spread over Tc x (1 ± `dense_window`) when Tc > 0. The samplers that move
the cell through the grid live in `tcramp.samplers`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
from ase import Atoms

from . import phonons, relax
from .mlff import trusted_distance
from .structures import COMPOSITION_TOL, MAX_ATOMS, MIN_ATOMS

__all__ = ["RampConfig", "material_seed", "temperatures", "timestep"]


@dataclass(frozen=True)
class RampConfig:
    """All ramp settings. Temperatures in K, time in fs, friction in 1/fs, forces in eV/Å."""

    # ordered cells (see tcramp.structures.order)
    max_atoms: int = MAX_ATOMS
    min_atoms: int = MIN_ATOMS
    composition_tol: float = COMPOSITION_TOL
    # relaxation of the ordered cell (tcramp.relax)
    relax_fmax: float = relax.FMAX  # eV/Å, forces and cell stress
    relax_steps: int = relax.STEPS
    # harmonic phonons of the relaxed cell (tcramp.phonons)
    phonon_min_length: float = phonons.MIN_LENGTH  # Å, every perpendicular width of the supercell
    phonon_max_atoms: int = phonons.SUPERCELL_ATOMS
    phonon_distance: float | None = None  # Å, finite displacement; None: the backend's (`for_backend`)
    # temperature grid
    t_min: float = 1.0
    t_max: float = 300.0
    n_temps: int = 25
    dense_window: float = 0.3
    dense_points: int = 8
    # thermal sampler (tcramp.samplers)
    sampler: str = "harmonic"  # harmonic | md | hybrid (tcramp.samplers)
    harmonic_samples: int = 2
    harmonic_min_frequency: float = phonons.MIN_FREQUENCY  # THz: softer Γ modes left out of draws and references
    hybrid_crossover: float = 0.25  # × Debye temperature
    # Langevin MD
    timestep_fs: float = 4.0
    light_mass: float = 15.99  # amu (O keeps the full step); lighter atoms shorten the time step (see `timestep`)
    friction_per_fs: float = 0.05
    first_equil_steps: int = 30
    equil_steps: int = 8
    sample_steps: int = 2
    # safety: a step with a larger force or temperature means the MD exploded
    max_force: float = 50.0
    max_temperature: float = 3000.0
    seed: int = 0
    # numerics only (not hashed): torch threads per worker process
    torch_threads: int = 1

    @property
    def settings_hash(self) -> str:
        """Hash of the physics settings (everything but `torch_threads`)."""
        d = asdict(self)
        d.pop("torch_threads")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]

    def for_backend(self, mlff: str) -> RampConfig:
        """These settings as backend `mlff` runs them: `phonon_distance`, unless set, its trusted
        displacement (`tcramp.mlff.trusted_distance`), or `phonons.DISTANCE` when it has none;
        unchanged without a backend (`mlff` empty: a cell-stage model computes no phonons)."""
        if self.phonon_distance is not None or not mlff:
            return self
        return replace(self, phonon_distance=trusted_distance(mlff) or phonons.DISTANCE)

    @classmethod
    def from_file(cls, path: str | Path) -> RampConfig:
        """Read settings from a JSON file of field -> value (missing fields keep defaults)."""
        data = json.loads(Path(path).read_text())
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"{path}: unknown ramp settings {sorted(unknown)}")
        return cls(**data)


def temperatures(tc: float, config: RampConfig = RampConfig()) -> list[float]:
    """Sorted target temperatures for a material with critical temperature `tc` (0: none known):
    the log-spaced base grid, plus the dense training points around a known Tc."""
    c = config
    grid = list(np.geomspace(c.t_min, c.t_max, c.n_temps))
    if tc > 0 and c.dense_points:
        lo, hi = tc * (1 - c.dense_window), tc * (1 + c.dense_window)
        step = (hi - lo) / c.dense_points
        grid += [lo + step * (k + 0.5) for k in range(c.dense_points)]  # never exactly Tc
    out: list[float] = []
    for t in sorted(round(min(max(t, 0.1), c.t_max), 3) for t in grid):
        if not out or t > out[-1]:
            out.append(t)
    return out


def timestep(atoms: Atoms, config: RampConfig = RampConfig()) -> float:
    """MD time step in fs: `timestep_fs`, shrunk by sqrt(m / light_mass) for the lightest atom
    when it is lighter than `light_mass` (O keeps 4 fs, Li gets 2.6 fs, H 1 fs)."""
    return config.timestep_fs * min(1.0, math.sqrt(atoms.get_masses().min() / config.light_mass))


def material_seed(seed: int, name: str) -> int:
    """A per-material seed independent of run order and worker."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:4], "little")
