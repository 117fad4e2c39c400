"""Quantum-harmonic draws: no trajectory, one latent-only forward pass per configuration.

At each temperature `harmonic_samples` displacement sets of the relaxed cell are drawn from the
quantum harmonic distribution of its Γ modes (`tcramp.phonons.sample`: Gaussian amplitudes of
variance ħ/(2ω) coth(ħω/2k_BT) per mode, zero-point motion included), and the model is called
on all displaced cells of the material at once, without forces. Below the Debye temperature
this is the physically right thermal motion, which classical MD misses; above it, it lacks anharmonicity, which the
`epot` ratio of the records measures (energy of the drawn configurations against their harmonic
energy). Draws are independent, so there is no equilibration and no lag behind the target.
"""

from __future__ import annotations

import math

import numpy as np
from ase import Atoms

from .. import phonons
from ..mlff import MLFF
from ..ramp import RampConfig
from .base import Sample, SamplerError, remove_drift

__all__ = ["sample"]


def sample(
    atoms: Atoms,
    mlff: MLFF,
    temps: list[float],
    config: RampConfig = RampConfig(),
    seed: int = 0,
    phonon=None,
) -> list[Sample]:
    """`config.harmonic_samples` harmonic configurations of the relaxed `atoms` at each of `temps`
    (`phonon`: its `tcramp.phonons.phonons` result, required)."""
    if phonon is None:
        raise SamplerError("the harmonic sampler needs the cell's phonons")
    if not temps:
        return []
    rng = np.random.default_rng(seed)
    masses = atoms.get_masses()
    k = config.harmonic_samples
    draws = phonons.sample(phonon, temps, k, rng, min_frequency=config.harmonic_min_frequency)
    draws = [remove_drift(u, masses) for u in draws]
    cells = []
    for d in np.concatenate(draws):
        c = atoms.copy()
        c.positions = atoms.positions + d
        cells.append(c)
    preds = mlff.predict(cells, forces=False)  # every draw of the material in one call
    out = []
    for i, (t, u) in enumerate(zip(temps, draws)):
        p = preds[i * k : (i + 1) * k]
        energies = np.array([x.energy for x in p])
        if not np.all(np.isfinite(energies)):
            raise SamplerError(f"non-finite energy of a harmonic draw at {t:g} K")
        out.append(
            Sample(
                statistics="quantum",
                T_target=float(t),
                T_measured=math.nan,
                energies=energies,
                displacements=u,
                atom_latent=np.mean([x.atom_latent for x in p], axis=0).astype(np.float32),
                magmom=None if p[0].magmom is None else np.mean([np.abs(x.magmom) for x in p], axis=0),
                volume=atoms.get_volume(),
                calls=(i + 1) * k,
            )
        )
    return out
