"""MLFF backends behind one interface (`MLFF`), found by name.

| name        | model                       | latent                                   |
|-------------|-----------------------------|------------------------------------------|
| `chgnet`    | CHGNet 0.3.0 (weights ship in the wheel) | 64-d mean of final atom features |
| `orb-d3-v2` | orb-models `orb_d3_v2`      | 256-d mean of final node features        |
"""

from __future__ import annotations

from functools import cache

from .base import (
    MLFF,
    MLFFCalculator,
    Prediction,
    UnsupportedElementError,
    resolve_device,
)

__all__ = [
    "BACKENDS",
    "MLFF",
    "MLFFCalculator",
    "Prediction",
    "UnsupportedElementError",
    "load_mlff",
    "resolve_device",
]

BACKENDS = ("chgnet", "orb-d3-v2")


@cache
def load_mlff(name: str = "chgnet", weights: str | None = None, device: str = "auto") -> MLFF:
    """The backend `name`, loaded once per process (`weights`: a local checkpoint path)."""
    if name == "chgnet":
        from .chgnet import CHGNetMLFF

        return CHGNetMLFF(weights=weights, device=device)
    if name == "orb-d3-v2":
        from .orb import OrbMLFF

        return OrbMLFF(weights=weights, device=device)
    raise ValueError(f"unknown MLFF {name!r}; choose from {', '.join(BACKENDS)}")
