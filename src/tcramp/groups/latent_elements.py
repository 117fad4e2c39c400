"""Latents per element role: the mean atom features of the most cation-like and the most
anion-like element (Pauling electronegativity; `tcramp.roles`), which a mean over all atoms blurs."""

from __future__ import annotations

from .base import FeatureGroup

__all__ = ["LatentElements"]


class LatentElements(FeatureGroup):
    name = "latent-elements"
    pattern = r"latent_(lo|hi)_\d+"
    description = "MLFF atom features averaged over the lowest- and highest-electronegativity element"
    citations = ("B. Deng et al., Nat. Mach. Intell. 5, 1031 (2023) (CHGNet)",)
