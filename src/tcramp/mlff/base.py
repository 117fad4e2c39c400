"""The MLFF interface: energy, forces, latents (pooled and per atom), magnetic moments and stress
per structure, plus an ASE calculator.

A backend is one file defining a subclass of `MLFF`; `tcramp.mlff.load_mlff(name)` finds it in
the registry. MD runs through ASE integrators with `MLFFCalculator`, which keeps the latent of
each force call so snapshots need no extra forward pass.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

__all__ = ["MLFF", "MLFFCalculator", "Prediction", "UnsupportedElementError", "resolve_device"]


class UnsupportedElementError(ValueError):
    """The structure holds an element the force field was not trained on."""


@dataclass(frozen=True)
class Prediction:
    """One structure's outputs.

    energy: total energy (eV); forces: (n, 3) eV/Å, None when not asked for; latent: (d,), the
    mean over atoms of `atom_latent` (n, d), the final per-atom features; magmom: (n,) μB, None
    when the backend has no magnetic-moment head; stress: (6,) Voigt (xx, yy, zz, yz, xz, xy) in
    eV/Å³ with ASE's sign (1/V dE/dε), None unless asked for.
    """

    energy: float
    forces: np.ndarray | None
    latent: np.ndarray
    atom_latent: np.ndarray | None = None
    magmom: np.ndarray | None = None
    stress: np.ndarray | None = None


def resolve_device(device: str) -> str:
    """`auto` -> `cuda` when a GPU is visible, else `cpu`; `cpu`, `cuda`, `cuda:N` and `mps` pass
    when present. Raises `ValueError` for another name or a device this machine lacks."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    present = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    kind = device.split(":")[0]
    if kind not in present:
        raise ValueError(f"unknown device {device!r}; choose auto, cpu, cuda[:N] or mps")
    if not present[kind]:
        raise ValueError(f"device {device!r} is not available on this machine (torch {torch.__version__})")
    return device


def tensors_only(path: str | Path):
    """The contents of checkpoint `path` read with `torch.load(weights_only=True)`: tensors and
    plain containers only, so a checkpoint cannot run code. Raises a one-line error otherwise."""
    import torch  # lazily, as in resolve_device: base is imported without torch

    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError for a pickle with code or other objects
        raise ValueError(f"{path}: refused: not a checkpoint of plain tensors ({type(exc).__name__})") from exc


class MLFF(ABC):
    """A universal force field exposing a pooled latent vector.

    Subclasses set `name`, `package` (the distribution whose version `installed_version` reports),
    `version` (starting with `installed_version()`), `latent_size`, `elements` (supported atomic
    numbers) and `pooling` (how node features become the latent), and implement `predict`.
    Checkpoints are read as tensors only (`torch.load(weights_only=True)`): no pickled code.
    `phonon_distance` (Å) is the finite displacement its phonons are trusted at: forces linear
    there within 5 % (`tcramp.mlff.contract.linearity` on fcc Al); None when no displacement in
    0.005–0.05 Å is.
    """

    name: str
    package: str
    version: str
    latent_size: int
    elements: frozenset[int]
    pooling: str
    phonon_distance: float | None = None

    @classmethod
    def installed_version(cls) -> str:
        """ "{package} {version}" of the installed backend package, without loading a model."""
        from importlib.metadata import version

        return f"{cls.package} {version(cls.package)}"

    def check(self, atoms: Atoms) -> None:
        """Raise `UnsupportedElementError` naming the elements this model lacks."""
        bad = sorted(set(atoms.get_chemical_symbols()) - {_symbol(z) for z in self.elements})
        if bad:
            raise UnsupportedElementError(f"{self.name} does not support element(s) {', '.join(bad)}")

    @abstractmethod
    def predict(self, structures: Sequence[Atoms], *, forces: bool = True, stress: bool = False) -> list[Prediction]:
        """Outputs for each structure (a batch gives the single results). `forces=False` runs
        without autograd (latent-only passes); `stress=True` adds the stress."""

    def calculator(self, stress: bool = False) -> MLFFCalculator:
        return MLFFCalculator(self, stress=stress)


def _symbol(z: int) -> str:
    from ase.data import chemical_symbols

    return chemical_symbols[z]


class MLFFCalculator(Calculator):
    """ASE calculator over an `MLFF`: energy, forces and (when asked) stress, with the latents and
    magnetic moments of each call kept in `results`.

    Stress is computed when requested, or with every call when `stress=True` (cell relaxations
    ask for forces then stress of the same geometry: one model call instead of two).
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "latent"]

    def __init__(self, mlff: MLFF, stress: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.mlff = mlff
        self.stress = stress

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        (p,) = self.mlff.predict([self.atoms], stress=self.stress or "stress" in properties)
        self.results = {
            "energy": p.energy,
            "free_energy": p.energy,
            "forces": p.forces,
            "latent": p.latent,
            "atom_latent": p.atom_latent,
        }
        if p.magmom is not None:
            self.results["magmoms"] = p.magmom
        if p.stress is not None:
            self.results["stress"] = p.stress
