"""MLFF latents and magnetic moments of the relaxed cell at rest (one forward pass, `relaxed`
stage): what the force field says of the crystal without any thermal sampling."""

from __future__ import annotations

from .base import FeatureGroup

__all__ = ["RelaxedLatent"]


class RelaxedLatent(FeatureGroup):
    name = "relaxed-latent"
    pattern = r"relaxed_latent_((lo|hi)_)?\d+|relaxed_magmom_(lo|hi|all|std)"
    stage = "relaxed"
    level = "material"
    description = (
        "MLFF atom features (all atoms, lowest/highest-electronegativity element) and |moments| of the relaxed cell"
    )
    citations = ("B. Deng et al., Nat. Mach. Intell. 5, 1031 (2023) (CHGNet)",)
