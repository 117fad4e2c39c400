"""The record every sampler returns, and what samplers share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Sample", "SamplerError", "remove_drift"]


class SamplerError(RuntimeError):
    """Sampling left physical ground (non-finite or huge forces, runaway temperature)."""


@dataclass(frozen=True)
class Sample:
    """The configurations drawn at one temperature.

    `energies` (k,) eV and `displacements` (k, n, 3) Å from the relaxed positions (centre-of-mass
    drift removed) per configuration; `atom_latent` (n, d) and `magmom` (n,) μB (or None) are
    means over the k configurations; `T_measured` is the mean kinetic temperature (NaN for
    static draws); `statistics` is "classical" (MD) or "quantum" (harmonic draws), the statistics
    of the harmonic reference its displacements compare with; `calls` counts the model calls of
    the ramp so far."""

    T_target: float
    statistics: str
    T_measured: float
    energies: np.ndarray
    displacements: np.ndarray
    atom_latent: np.ndarray
    magmom: np.ndarray | None
    volume: float
    calls: int


def remove_drift(u: np.ndarray, masses: np.ndarray) -> np.ndarray:
    """Displacements (..., n, 3) less their mass-weighted mean (the centre-of-mass shift)."""
    com = np.tensordot(masses / masses.sum(), u, axes=([0], [-2]))
    return u - np.expand_dims(com, -2)
