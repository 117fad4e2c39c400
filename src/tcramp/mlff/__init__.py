"""MLFF backends behind one interface (`MLFF`), found by name in `REGISTRY`.

| name        | model                       | latent                                   |
|-------------|-----------------------------|------------------------------------------|
| `chgnet`    | CHGNet 0.3.0 (weights ship in the wheel) | 64-d mean of final atom features |
| `orb-d3-v2` | orb-models `orb_d3_v2`      | 256-d mean of final node features        |
| `7net-0`    | SevenNet-0 (in the sevenn wheel) | 128-d mean of last-layer scalar node features |
| `7net-l3i5` | SevenNet-l3i5 (in the sevenn wheel) | 128-d mean of last-layer scalar node features |

A backend is one file defining an `MLFF` subclass plus its line in `REGISTRY` ("module:Class",
imported on first use, so optional backends cost nothing until asked for); `check_backend`
is the contract every backend passes.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from .base import MLFF, MLFFCalculator, Prediction, UnsupportedElementError, resolve_device
from .contract import ContractError, Linearity, check_backend

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "MLFF",
    "REGISTRY",
    "ContractError",
    "Linearity",
    "MLFFCalculator",
    "Prediction",
    "UnsupportedElementError",
    "backend_class",
    "check_backend",
    "load_mlff",
    "resolve_device",
    "trusted_distance",
]

# name -> "module:Class" (or the class itself); the constructor takes (weights=None, device="auto")
REGISTRY: dict[str, str | type[MLFF]] = {
    "chgnet": "tcramp.mlff.chgnet:CHGNetMLFF",
    "orb-d3-v2": "tcramp.mlff.orb:OrbMLFF",
    "7net-0": "tcramp.mlff.sevennet:SevenNet0",
    "7net-l3i5": "tcramp.mlff.sevennet:SevenNetL3i5",
}
BACKENDS = tuple(REGISTRY)
DEFAULT_BACKEND = "chgnet"  # what functions and commands use unless named (and reads prefer): the cheapest


def backend_class(name: str) -> type[MLFF]:
    """The `MLFF` subclass registered as `name` (its module imported now)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown MLFF {name!r}; choose from {', '.join(REGISTRY)}")
    target = REGISTRY[name]
    if isinstance(target, str):
        module, _, cls = target.partition(":")
        target = getattr(import_module(module), cls)
    return target


def trusted_distance(name: str) -> float | None:
    """The phonon displacement (Å) backend `name` is trusted at (its forces linear there, see
    `check_backend`), None when it has none."""
    return backend_class(name).phonon_distance


@cache
def load_mlff(name: str = DEFAULT_BACKEND, weights: str | None = None, device: str = "auto") -> MLFF:
    """The backend `name`, loaded once per process (`weights`: a local checkpoint path)."""
    return backend_class(name)(weights=weights, device=device)
