"""MLFF magnetic moments pooled over element roles (CHGNet predicts site moments)."""

from __future__ import annotations

from .base import FeatureGroup

__all__ = ["Magmom"]


class Magmom(FeatureGroup):
    name = "magmom"
    pattern = r"magmom_(lo|hi|all|std)"
    description = "|magnetic moment| (μB) of the lowest/highest-electronegativity element, all atoms, spread"
    citations = ("B. Deng et al., Nat. Mach. Intell. 5, 1031 (2023) (CHGNet)",)
