"""Relaxation of an ordered cell with the MLFF: positions and cell together (ASE FIRE on a
`FrechetCellFilter`), each step one model call for energy, forces and stress.

Defaults were chosen by measurement (`benchmarks/descriptor_cost.py`, bundled ordered cells): see
`FMAX` and `STEPS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.filters import FrechetCellFilter
from ase.optimize import FIRE

from .mlff import MLFF

__all__ = ["FMAX", "MAX_VOLUME_CHANGE", "STEPS", "RelaxError", "Relaxation", "relax"]

FMAX = 0.05  # eV/Å (cell components: eV/Å of the filter's scaled virial)
STEPS = 300
MAX_VOLUME_CHANGE = 0.3  # |ΔV/V| beyond this the cell has left physical ground


class RelaxError(RuntimeError):
    """The relaxation did not converge, produced non-finite outputs or collapsed/expanded the cell."""


@dataclass(frozen=True)
class Relaxation:
    """A relaxed cell and what the relaxation changed.

    energy: eV, total energy of the relaxed cell; energy_change: eV/atom, relaxed − initial; volume_change: fractional (V − V0)/V0;
    max_displacement: Å, largest atomic displacement (fractional displacement, minimum image,
    mass-weighted mean removed, expressed in the final cell); steps: optimizer steps taken;
    fmax: largest force component norm reached (eV/Å, cell degrees of freedom included).
    """

    atoms: Atoms
    energy: float
    energy_change: float
    volume_change: float
    max_displacement: float
    steps: int
    fmax: float


def relax(
    atoms: Atoms,
    mlff: MLFF,
    *,
    fmax: float = FMAX,
    steps: int = STEPS,
    max_volume_change: float = MAX_VOLUME_CHANGE,
    cell: bool = True,
) -> Relaxation:
    """Relax positions and cell of `atoms` (left untouched) until every force is below `fmax`;
    positions only when not `cell` (the cell kept as given, e.g. a strained one).

    Raises `RelaxError` naming the formula and the reason when not converged within `steps`, when
    energy or forces become non-finite, or when |ΔV/V| exceeds `max_volume_change`.
    """
    a = atoms.copy()
    a.calc = mlff.calculator(stress=True)
    formula = a.get_chemical_formula()
    e0, v0 = a.get_potential_energy(), a.get_volume()
    frac0 = a.get_scaled_positions()
    target = FrechetCellFilter(a) if cell else a
    opt = FIRE(target, logfile=None)

    def check() -> None:
        e, f = a.get_potential_energy(), a.get_forces()  # cached: no extra model call
        if not (np.isfinite(e) and np.isfinite(f).all()):
            raise RelaxError(f"{formula}: non-finite energy or forces at relaxation step {opt.nsteps}")
        dv = a.get_volume() / v0 - 1
        if abs(dv) > max_volume_change:
            raise RelaxError(
                f"{formula}: volume changed by {dv:+.0%} at step {opt.nsteps} (bound ±{max_volume_change:.0%})"
            )

    opt.attach(check)
    converged = opt.run(fmax=fmax, steps=steps)
    reached = float(np.linalg.norm(target.get_forces(), axis=1).max())
    if not converged:
        raise RelaxError(
            f"{formula}: relaxation not converged in {steps} steps (max force {reached:.3f} eV/Å > fmax {fmax} eV/Å)"
        )
    d = a.get_scaled_positions() - frac0
    d -= np.round(d)
    m = a.get_masses()
    d -= (m[:, None] * d).sum(axis=0) / m.sum()
    relaxed = Atoms(a.numbers, cell=a.cell, scaled_positions=a.get_scaled_positions(), pbc=a.pbc)
    return Relaxation(
        atoms=relaxed,
        energy=float(a.get_potential_energy()),
        energy_change=(a.get_potential_energy() - e0) / len(a),
        volume_change=a.get_volume() / v0 - 1,
        max_displacement=float(np.linalg.norm(d @ a.cell.array, axis=1).max()),
        steps=opt.nsteps,
        fmax=reached,
    )
