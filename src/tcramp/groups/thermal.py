"""Thermal response along the ramp: mean-square displacements, their ratio to the harmonic
value (anharmonicity, lag) and the potential-energy rise (`tcramp.records`)."""

from __future__ import annotations

from .base import FeatureGroup

__all__ = ["Thermal"]


class Thermal(FeatureGroup):
    name = "thermal"
    pattern = r"msd_\w+|epot_rise|epot_anharm"
    at = ("min", "max")  # zero-point (or lowest-T) motion and the 300 K anharmonicity
    description = "mean-square displacements per element role, ratio to harmonic, potential-energy rise"
