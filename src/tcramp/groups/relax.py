"""How far the MLFF moved the database cell when relaxing it: energy, volume, displacement."""

from __future__ import annotations

from .base import FeatureGroup

__all__ = ["Relax"]


class Relax(FeatureGroup):
    name = "relax"
    pattern = r"relax_\w+"
    stage = "relaxed"
    level = "material"
    description = "relaxation energy change (eV/atom), volume change, largest displacement (Å), steps"
