"""Harmonic phonons of the relaxed cell computed with the MLFF through phonopy: DOS moments,
Allen–Dynes ω_log and ω̄₂, imaginary modes, Debye temperature, element-projected moments."""

from __future__ import annotations

from .base import FeatureGroup

__all__ = ["Phonon"]


class Phonon(FeatureGroup):
    name = "phonon"
    pattern = r"ph_\w+"
    stage = "phonons"
    level = "material"
    description = "phonon DOS moments (meV), imaginary-mode fraction, Debye temperature, per-element-role moments"
    citations = (
        "A. Togo, J. Phys.: Condens. Matter 35, 353001 (2023) (phonopy)",
        "P. B. Allen and R. C. Dynes, Phys. Rev. B 12, 905 (1975)",
        "BETE-NET, arXiv:2401.16611; BEE-NET, arXiv:2503.20005",
    )
