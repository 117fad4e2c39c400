"""The MLFF interface: energy, forces and one latent vector per structure, plus an ASE calculator.

A backend is one file defining a subclass of `MLFF`; `tcramp.mlff.load_mlff(name)` finds it in
the registry. MD runs through ASE integrators with `MLFFCalculator`, which keeps the latent of
each force call so snapshots need no extra forward pass.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

__all__ = ["MLFF", "MLFFCalculator", "Prediction", "UnsupportedElementError", "resolve_device"]


class UnsupportedElementError(ValueError):
    """The structure holds an element the force field was not trained on."""


@dataclass(frozen=True)
class Prediction:
    """One structure's outputs: total energy (eV), forces (n, 3) in eV/Å, latent (d,)."""

    energy: float
    forces: np.ndarray
    latent: np.ndarray


def resolve_device(device: str) -> str:
    """`auto` -> `cuda` when a GPU is visible, else `cpu`; other values pass through."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class MLFF(ABC):
    """A universal force field exposing a pooled latent vector.

    Subclasses set `name`, `version`, `latent_size`, `elements` (supported atomic numbers) and
    `pooling` (how node features become the latent), and implement `predict`.
    """

    name: str
    version: str
    latent_size: int
    elements: frozenset[int]
    pooling: str

    def check(self, atoms: Atoms) -> None:
        """Raise `UnsupportedElementError` naming the elements this model lacks."""
        bad = sorted(set(atoms.get_chemical_symbols()) - {_symbol(z) for z in self.elements})
        if bad:
            raise UnsupportedElementError(f"{self.name} does not support element(s) {', '.join(bad)}")

    @abstractmethod
    def predict(self, structures: Sequence[Atoms]) -> list[Prediction]:
        """Energy, forces and latent for each structure (a batch gives the single results)."""

    def calculator(self) -> MLFFCalculator:
        return MLFFCalculator(self)


def _symbol(z: int) -> str:
    from ase.data import chemical_symbols

    return chemical_symbols[z]


class MLFFCalculator(Calculator):
    """ASE calculator over an `MLFF`: energy and forces, with `results["latent"]` kept too."""

    implemented_properties = ["energy", "free_energy", "forces", "latent"]

    def __init__(self, mlff: MLFF, **kwargs):
        super().__init__(**kwargs)
        self.mlff = mlff

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        (p,) = self.mlff.predict([self.atoms])
        self.results = {
            "energy": p.energy,
            "free_energy": p.energy,
            "forces": p.forces,
            "latent": p.latent,
        }
