"""The ramp temperature itself: lets a snapshot classifier read P(SC) as a function of T."""

from __future__ import annotations

from .base import FeatureGroup

__all__ = ["Temperature"]


class Temperature(FeatureGroup):
    name = "temperature"
    pattern = "T_target"
    at = ()  # a material-level model has no temperature axis
    description = "target temperature of the snapshot (K)"

    def labels(self, columns: list[str]) -> dict[str, str]:
        return {c: "T (K)" for c in columns}
