"""NVT Langevin MD through the temperature grid (ASE's integrator), from the relaxed cell.

At each new temperature the velocities are rescaled to it, `equil_steps` Langevin steps
thermalise the cell (`first_equil_steps` at the first), then `sample_steps` more are recorded:
energies, displacements from the relaxed positions, per-atom latents and magnetic moments, all
from the force calls' own forward passes. The time step is `timestep_fs`, shortened for cells
holding atoms lighter than O (`tcramp.ramp.timestep`). Classical statistics: below the Debye
temperature atoms move less than real ones (no zero-point motion; see the `harmonic` sampler).
"""

from __future__ import annotations

import math

import numpy as np
from ase import Atoms, units
from ase.constraints import FixCom
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

from ..mlff import MLFF
from ..ramp import RampConfig, timestep
from .base import Sample, SamplerError, remove_drift

__all__ = ["sample"]


def _langevin(atoms: Atoms, temperature: float, config: RampConfig, seed: int) -> Langevin:
    """Langevin dynamics of `atoms` at `temperature` (K), velocities drawn from Maxwell–Boltzmann."""
    rng = np.random.default_rng(seed)
    MaxwellBoltzmannDistribution(atoms, temperature_K=temperature, rng=rng, force_temp=True)
    return Langevin(
        atoms,
        timestep=timestep(atoms, config) * units.fs,
        temperature_K=temperature,
        friction=config.friction_per_fs / units.fs,
        fixcm=False,
        rng=rng,
    )


def _check(results: dict, kinetic: float, config: RampConfig, where: str) -> None:
    """Refuse non-finite energies or forces, and forces or kinetic temperatures (K) past the
    config's limits."""
    forces = results["forces"]
    if not np.all(np.isfinite(forces)) or not math.isfinite(results["energy"]):
        raise SamplerError(f"non-finite energy or forces at {where}")
    fmax = float(np.abs(forces).max())
    if fmax > config.max_force or kinetic > config.max_temperature:
        raise SamplerError(f"MD exploded at {where}: max force {fmax:.1f} eV/Å, kinetic temperature {kinetic:.0f} K")


def sample(
    atoms: Atoms,
    mlff: MLFF,
    temps: list[float],
    config: RampConfig = RampConfig(),
    seed: int = 0,
    phonon=None,
) -> list[Sample]:
    """Heat the relaxed `atoms` (not modified) through `temps`; one `Sample` per temperature.
    `phonon` is unused (MD needs no harmonic model)."""
    ref = atoms.positions.copy()
    masses = atoms.get_masses()
    atoms = atoms.copy()
    atoms.set_constraint(FixCom())
    calc = mlff.calculator()
    atoms.calc = calc
    dyn = _langevin(atoms, temps[0], config, seed)
    out, step, previous = [], 0, temps[0]

    def advance(target: float) -> None:
        nonlocal step
        dyn.step()
        step += 1
        _check(calc.results, atoms.get_temperature(), config, f"step {step} ({target:g} K)")

    for i, target in enumerate(temps):
        if i:
            atoms.set_velocities(atoms.get_velocities() * math.sqrt(target / previous))
            dyn.set_temperature(temperature_K=target)
        previous = target
        for _ in range(config.first_equil_steps if i == 0 else config.equil_steps):
            advance(target)
        energies, disp, latents, magmoms, kinetic = [], [], [], [], []
        for _ in range(config.sample_steps):
            advance(target)
            r = calc.results
            energies.append(r["energy"])
            disp.append(atoms.positions - ref)
            latents.append(r["atom_latent"])
            magmoms.append(r.get("magmoms"))
            kinetic.append(atoms.get_temperature())
        out.append(
            Sample(
                statistics="classical",
                T_target=float(target),
                T_measured=float(np.mean(kinetic)),
                energies=np.array(energies),
                displacements=remove_drift(np.array(disp), masses),
                atom_latent=np.mean(latents, axis=0).astype(np.float32),
                magmom=None if magmoms[0] is None else np.mean(np.abs(magmoms), axis=0),
                volume=atoms.get_volume(),
                calls=step,
            )
        )
    return out
