"""Neighbour contrast and bond statistics of the ordered cell before relaxation: the `contrast`
group without a force-field call (only the `cell` stage)."""

from __future__ import annotations

from .base import FeatureGroup

__all__ = ["CellContrast"]


class CellContrast(FeatureGroup):
    name = "cell-contrast"
    pattern = r"cell_(nc|bond)_\w+"
    stage = "cell"
    level = "material"
    description = (
        "|Δ| of elemental properties over nearest-neighbour pairs and bond lengths of the unrelaxed ordered cell"
    )
    citations = ("GP-Tc, arXiv:2510.07373",)
