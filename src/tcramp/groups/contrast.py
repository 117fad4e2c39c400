"""Differences of elemental properties across neighbouring atoms of the relaxed cell, and bond
statistics (`tcramp.contrast`): the neighbour electron-affinity contrast carries most of GP-Tc's
signal on 3DSC."""

from __future__ import annotations

from .base import FeatureGroup

__all__ = ["Contrast"]


class Contrast(FeatureGroup):
    name = "contrast"
    pattern = r"(nc|bond)_\w+"
    stage = "relaxed"
    level = "material"
    description = "|Δ| of elemental properties over nearest-neighbour pairs; bond-length statistics"
    citations = ("GP-Tc, arXiv:2510.07373",)
