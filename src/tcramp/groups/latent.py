"""The MLFF's latent: its atom features averaged over all atoms of the sampled cells."""

from __future__ import annotations

from .base import FeatureGroup

__all__ = ["Latent"]


class Latent(FeatureGroup):
    name = "latent"
    pattern = r"latent_\d+"
    description = "all-atom mean of the MLFF atom features, per temperature"
    citations = ("B. Deng et al., Nat. Mach. Intell. 5, 1031 (2023) (CHGNet)",)
