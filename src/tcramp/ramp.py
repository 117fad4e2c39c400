"""Temperature ramps: NVT Langevin MD (ASE's integrator) from a few K to room temperature.

`RampConfig` holds every setting that shapes a ramp (cell building, temperature grid, MD) and
hashes to `settings_hash`, stored with every snapshot. `temperatures` gives the grid: a base grid
from `t_min` to `t_max` every `t_step` plus `dense_points` evenly spread over
Tc x (1 ± `dense_window`) when Tc > 0, so low-Tc materials also get points just above and below
Tc. `ramp` heats one ordered cell through the grid: velocities are rescaled to each new
temperature, `equil_steps` Langevin steps thermalise it, then `sample_steps` more are averaged
into the snapshot (latent, kinetic temperature, potential energy) from the forces' own forward
passes. The time step is 4 fs, shortened for cells holding atoms lighter than O (`timestep`).
The short default schedule (10 steps a temperature) is what makes a full 3DSC_MP build fit
on two cores; `benchmarks/md_throughput.py` reports how well it thermalises.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
from ase import Atoms, units
from ase.constraints import FixCom
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

from .mlff import MLFF
from .structures import MAX_ATOMS, MIN_ATOMS, TOL

__all__ = ["RampConfig", "RampError", "material_seed", "ramp", "temperatures", "timestep"]


class RampError(RuntimeError):
    """MD left physical ground (non-finite or huge forces, runaway temperature)."""


@dataclass(frozen=True)
class RampConfig:
    """All ramp settings. Temperatures in K, time in fs, friction in 1/fs, forces in eV/Å."""

    # ordered cells (see tcramp.structures.order)
    max_atoms: int = MAX_ATOMS
    min_atoms: int = MIN_ATOMS
    composition_tol: float = TOL
    # temperature grid
    t_min: float = 2.0
    t_max: float = 300.0
    t_step: float = 25.0
    dense_window: float = 0.3
    dense_points: int = 8
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

    @classmethod
    def from_file(cls, path: str | Path) -> RampConfig:
        """Read settings from a JSON file of field -> value (missing fields keep defaults)."""
        data = json.loads(Path(path).read_text())
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"{path}: unknown ramp settings {sorted(unknown)}")
        return cls(**data)


def temperatures(tc: float, config: RampConfig = RampConfig()) -> list[float]:
    """Sorted target temperatures for a material with critical temperature `tc` (0: none known)."""
    c = config
    n = int(math.floor((c.t_max - c.t_min) / c.t_step + 1e-9))
    grid = [c.t_min] + [c.t_step * k for k in range(1, n + 1) if c.t_step * k > c.t_min]
    if grid[-1] < c.t_max:
        grid.append(c.t_max)
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


def ramp(
    atoms: Atoms,
    mlff: MLFF,
    temps: list[float],
    config: RampConfig = RampConfig(),
    seed: int = 0,
) -> list[dict]:
    """Heat `atoms` (not modified) through `temps`; one snapshot record per temperature.

    Records hold `T_target`, `T_measured` (mean kinetic temperature over the sample steps),
    `latent` (mean latent over them), `energy_per_atom`, `volume_per_atom` and `step`.
    """
    atoms = atoms.copy()
    atoms.set_constraint(FixCom())
    calc = mlff.calculator()
    atoms.calc = calc
    rng = np.random.default_rng(seed)
    MaxwellBoltzmannDistribution(atoms, temperature_K=temps[0], rng=rng, force_temp=True)
    dyn = Langevin(
        atoms,
        timestep=timestep(atoms, config) * units.fs,
        temperature_K=temps[0],
        friction=config.friction_per_fs / units.fs,
        fixcm=False,
        rng=rng,
    )
    n = len(atoms)
    records, step, previous = [], 0, temps[0]

    def advance(target: float) -> None:
        nonlocal step
        dyn.step()
        step += 1
        forces = calc.results["forces"]
        t = atoms.get_temperature()
        if not np.all(np.isfinite(forces)) or not math.isfinite(calc.results["energy"]):
            raise RampError(f"non-finite energy or forces at step {step} ({target:g} K)")
        fmax = float(np.abs(forces).max())
        if fmax > config.max_force or t > config.max_temperature:
            raise RampError(
                f"MD exploded at step {step} ({target:g} K): max force {fmax:.1f} eV/Å, kinetic temperature {t:.0f} K"
            )

    for i, target in enumerate(temps):
        if i:
            atoms.set_velocities(atoms.get_velocities() * math.sqrt(target / previous))
            dyn.set_temperature(temperature_K=target)
        previous = target
        for _ in range(config.first_equil_steps if i == 0 else config.equil_steps):
            advance(target)
        latents, kinetic, energies = [], [], []
        for _ in range(config.sample_steps):
            advance(target)
            latents.append(calc.results["latent"])
            kinetic.append(atoms.get_temperature())
            energies.append(calc.results["energy"])
        records.append(
            {
                "T_target": float(target),
                "T_measured": float(np.mean(kinetic)),
                "latent": np.mean(latents, axis=0).astype(np.float32),
                "energy_per_atom": float(np.mean(energies)) / n,
                "volume_per_atom": atoms.get_volume() / n,
                "step": step,
            }
        )
    return records
