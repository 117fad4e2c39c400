"""The contract every MLFF backend meets, as a check a new backend runs (`check_backend`).

Like TorchSim's `validate_model_outputs`: metadata present, every `Prediction` field of the
documented shape and finite, a batch giving the single results, inputs not mutated, the ASE
calculator agreeing with `predict`, and unsupported elements refused by name. A new optional
`Prediction` field needs one entry in `SHAPES` (and `ATOL` when its tolerance differs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.data import chemical_symbols

from .base import MLFF, Prediction, UnsupportedElementError

__all__ = ["ATOL", "RTOL", "SHAPES", "ContractError", "check_backend", "probe_cells"]

# Prediction field -> its shape for a structure of n atoms and a backend of latent size d
SHAPES: dict[str, Callable[[int, int], tuple[int, ...]]] = {
    "energy": lambda n, d: (),
    "forces": lambda n, d: (n, 3),
    "latent": lambda n, d: (d,),
    "atom_latent": lambda n, d: (n, d),
    "magmom": lambda n, d: (n,),
    "stress": lambda n, d: (6,),
}
# batch-vs-single tolerance per field: absolute (float32 models: energies and forces to 1e-4), plus
# RTOL relative to the value (float32 sums over atoms in another order)
ATOL: dict[str, float] = {"energy": 1e-4, "forces": 1e-4, "latent": 1e-5, "atom_latent": 1e-4, "magmom": 1e-4}
RTOL = 1e-6


class ContractError(AssertionError):
    """A backend breaks the MLFF contract; the message names the backend and the rule."""


def probe_cells() -> list[Atoms]:
    """Three small rattled crystals (fcc Cu, rock-salt NaCl, diamond Si; 2-4 atoms) from ASE."""
    cells = [bulk("Cu", "fcc", a=3.61, cubic=True), bulk("NaCl", "rocksalt", a=5.64), bulk("Si", "diamond", a=5.43)]
    for i, a in enumerate(cells):
        a.rattle(0.03, seed=i)
    return cells


def _fields(p: Prediction) -> dict[str, np.ndarray]:
    """The prediction's computed fields (None: an optional output the backend does not give)."""
    return {f.name: np.asarray(getattr(p, f.name)) for f in fields(p) if getattr(p, f.name) is not None}


def check_backend(mlff: MLFF, cells: Sequence[Atoms] | None = None) -> None:
    """Raise `ContractError` unless `mlff` meets the backend contract on `cells` (default:
    `probe_cells()`; give structures of the elements the backend supports)."""
    cells = list(cells or probe_cells())
    name = getattr(mlff, "name", type(mlff).__name__)

    def need(ok: bool, rule: str) -> None:
        if not ok:
            raise ContractError(f"{name}: {rule}")

    for attr in ("name", "version", "pooling"):
        need(isinstance(getattr(mlff, attr, None), str) and bool(getattr(mlff, attr)), f"`{attr}` is a non-empty str")
    need(mlff.version.startswith(type(mlff).installed_version()), "`version` starts with `installed_version()`")
    need(isinstance(mlff.latent_size, int) and mlff.latent_size > 0, "`latent_size` is a positive int")
    need(bool(mlff.elements) and all(isinstance(z, int) for z in mlff.elements), "`elements` holds atomic numbers")

    before = [(a.positions.copy(), a.cell.array.copy(), a.numbers.copy(), a.pbc.copy()) for a in cells]
    batch = mlff.predict(cells)
    need(len(batch) == len(cells), f"predict gives one Prediction per structure ({len(batch)} for {len(cells)})")
    for a, (pos, cell, num, pbc) in zip(cells, before, strict=True):
        need(
            np.array_equal(a.positions, pos)
            and np.array_equal(a.cell.array, cell)
            and np.array_equal(a.numbers, num)
            and np.array_equal(a.pbc, pbc),
            "predict leaves its inputs unchanged",
        )
    for a, p in zip(cells, batch, strict=True):
        for field, value in _fields(p).items():
            need(field in SHAPES, f"Prediction.{field} has a shape rule in tcramp.mlff.contract.SHAPES")
            want = SHAPES[field](len(a), mlff.latent_size)
            need(value.shape == want, f"Prediction.{field} has shape {want}, not {value.shape}")
            need(bool(np.isfinite(value).all()), f"Prediction.{field} is finite")
    for a, b in zip(cells, batch, strict=True):
        (s,) = mlff.predict([a])
        one, many = _fields(s), _fields(b)
        need(one.keys() == many.keys(), "a batch gives the same fields as a single structure")
        for field, value in many.items():
            need(
                np.allclose(value, one[field], rtol=RTOL, atol=ATOL.get(field, 1e-4)),
                f"Prediction.{field} of a batch equals that of the single structure",
            )

    atoms = cells[0].copy()
    atoms.calc = mlff.calculator()
    (p,) = mlff.predict([cells[0]])
    need(
        np.isclose(atoms.get_potential_energy(), p.energy, rtol=RTOL, atol=ATOL["energy"])
        and np.allclose(atoms.get_forces(), p.forces, rtol=RTOL, atol=ATOL["forces"])
        and np.allclose(atoms.calc.results["latent"], p.latent, rtol=RTOL, atol=ATOL["latent"]),
        "the ASE calculator gives predict's energy, forces and latent",
    )

    missing = next((z for z in range(1, len(chemical_symbols)) if z not in mlff.elements), None)
    if missing is not None:
        bad = cells[0].copy()
        bad.numbers[0] = missing
        try:
            mlff.predict([bad])
        except UnsupportedElementError as exc:
            need(
                chemical_symbols[missing] in str(exc),
                f"the error names the unsupported element {chemical_symbols[missing]}",
            )
        else:
            raise ContractError(f"{name}: predict refuses unsupported element {chemical_symbols[missing]}")
