"""The contract every MLFF backend meets, as a check a new backend runs (`check_backend`).

Like TorchSim's `validate_model_outputs`: metadata present, every `Prediction` field of the
documented shape and finite, a batch giving the single results, inputs not mutated, the ASE
calculator agreeing with `predict`, unsupported elements refused by name, and forces linear in
the displacement at the backend's declared `phonon_distance` (`linearity`, `linear_range`): the
check measures the force per displacement on fcc Al over `DISTANCES` and returns it with the
range where it is constant (`Linearity`). A new optional `Prediction` field needs one entry in
`SHAPES` (and `ATOL` when its tolerance differs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.data import chemical_symbols

from .base import MLFF, Prediction, UnsupportedElementError

__all__ = [
    "ATOL",
    "DISTANCES",
    "LINEAR_RTOL",
    "RTOL",
    "SHAPES",
    "ContractError",
    "Linearity",
    "check_backend",
    "linear_range",
    "linearity",
    "probe_cells",
]

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
DISTANCES = (0.005, 0.01, 0.02, 0.03, 0.04, 0.05)  # Å, displacements of `linearity`
LINEAR_RTOL = 0.05  # force per displacement constant to 5 % over a linear range


class ContractError(AssertionError):
    """A backend breaks the MLFF contract; the message names the backend and the rule."""


@dataclass(frozen=True)
class Linearity:
    """Force per displacement on fcc Al: `k` maps displacement (Å) to k(d) (eV/Å², see
    `linearity`); `span` the widest range (Å) where k is constant within `LINEAR_RTOL`, None
    when there is none (no displacement a phonon calculation can trust)."""

    k: dict[float, float]
    span: tuple[float, float] | None

    def __str__(self) -> str:
        shown = ", ".join(f"{d:g} Å: {v:.3f}" for d, v in self.k.items())
        where = f"{self.span[0]:g}–{self.span[1]:g} Å" if self.span else "nowhere"
        return f"fcc Al k(d) eV/Å²: {shown}; constant within {LINEAR_RTOL:.0%} {where}"


def probe_cells() -> list[Atoms]:
    """Three small rattled crystals (fcc Cu, rock-salt NaCl, diamond Si; 2-4 atoms) from ASE."""
    cells = [bulk("Cu", "fcc", a=3.61, cubic=True), bulk("NaCl", "rocksalt", a=5.64), bulk("Si", "diamond", a=5.43)]
    for i, a in enumerate(cells):
        a.rattle(0.03, seed=i)
    return cells


def linearity(mlff: MLFF, distances: Sequence[float] = DISTANCES) -> dict[float, float]:
    """Force per displacement k(d) = −(F_x(d) − F_x(0))/d (eV/Å²) on an atom of fcc Al (a = 4.04 Å,
    2×2×2 conventional cell, 32 atoms) displaced by d Å along x, residual force F_x(0) subtracted:
    the on-site force constant Φ_xx a phonon calculation at displacement d sees."""
    cell = bulk("Al", "fcc", a=4.04, cubic=True) * (2, 2, 2)
    cells = [cell]
    for d in distances:
        c = cell.copy()
        c.positions[0, 0] += d
        cells.append(c)
    f = [p.forces[0, 0] for p in mlff.predict(cells)]
    return {float(d): float(-(fd - f[0]) / d) for d, fd in zip(distances, f[1:])}


def linear_range(k: dict[float, float], rtol: float = LINEAR_RTOL) -> tuple[float, float] | None:
    """The widest run of consecutive displacements (at least 3) over which `k` (from `linearity`)
    is constant within `rtol` (max/min − 1), as (smallest, largest) Å; None when there is none."""
    d, v = list(k), np.array(list(k.values()))
    best = None
    for i in range(len(d)):
        for j in range(i + 2, len(d)):
            run = v[i : j + 1]
            if run.min() > 0 and run.max() / run.min() - 1 <= rtol and (best is None or j - i > best[1] - best[0]):
                best = (i, j)
    return None if best is None else (d[best[0]], d[best[1]])


def _fields(p: Prediction) -> dict[str, np.ndarray]:
    """The prediction's computed fields (None: an optional output the backend does not give)."""
    return {f.name: np.asarray(getattr(p, f.name)) for f in fields(p) if getattr(p, f.name) is not None}


def check_backend(mlff: MLFF, cells: Sequence[Atoms] | None = None, *, linear: bool = True) -> Linearity | None:
    """Raise `ContractError` unless `mlff` meets the backend contract on `cells` (default:
    `probe_cells()`; give structures of the elements the backend supports). With `linear` (and Al
    supported), measure the force linearity and return it: a declared `phonon_distance` must lie
    in its linear range; None otherwise."""
    cells = list(cells or probe_cells())
    need = _rule_of(getattr(mlff, "name", type(mlff).__name__))
    _attributes(mlff, need)
    _predictions(mlff, cells, need)
    _calculator(mlff, cells[0], need)
    _refusal(mlff, cells[0], need)
    distance = mlff.phonon_distance
    need(distance is None or distance > 0, "`phonon_distance` is None or a positive displacement in Å")
    if not linear or 13 not in mlff.elements:  # the probe is fcc Al
        return None
    k = linearity(mlff, sorted({*DISTANCES, *([distance] if distance else [])}))
    report = Linearity(k, linear_range(k))
    need(
        distance is None or (report.span is not None and report.span[0] <= distance <= report.span[1]),
        f"forces are linear at phonon_distance {distance} Å ({report})",
    )
    return report


def _rule_of(name: str):
    """`need(ok, rule)`: raise `ContractError` naming backend `name` and the broken rule."""

    def need(ok: bool, rule: str) -> None:
        if not ok:
            raise ContractError(f"{name}: {rule}")

    return need


def _attributes(mlff: MLFF, need) -> None:
    for attr in ("name", "version", "pooling"):
        need(isinstance(getattr(mlff, attr, None), str) and bool(getattr(mlff, attr)), f"`{attr}` is a non-empty str")
    need(mlff.version.startswith(type(mlff).installed_version()), "`version` starts with `installed_version()`")
    need(isinstance(mlff.latent_size, int) and mlff.latent_size > 0, "`latent_size` is a positive int")
    need(bool(mlff.elements) and all(isinstance(z, int) for z in mlff.elements), "`elements` holds atomic numbers")


def _predictions(mlff: MLFF, cells: list[Atoms], need) -> None:
    """One Prediction per cell, inputs untouched, shapes by `SHAPES`, finite, a batch equal to
    single calls."""
    before = [(a.positions.copy(), a.cell.array.copy(), a.numbers.copy(), a.pbc.copy()) for a in cells]
    batch = mlff.predict(cells)
    need(len(batch) == len(cells), f"predict gives one Prediction per structure ({len(batch)} for {len(cells)})")
    for a, (pos, cell, num, pbc) in zip(cells, before, strict=True):
        same = (
            np.array_equal(x, y) for x, y in ((a.positions, pos), (a.cell.array, cell), (a.numbers, num), (a.pbc, pbc))
        )
        need(all(same), "predict leaves its inputs unchanged")
    for a, b in zip(cells, batch, strict=True):
        for field, value in _fields(b).items():
            need(field in SHAPES, f"Prediction.{field} has a shape rule in tcramp.mlff.contract.SHAPES")
            want = SHAPES[field](len(a), mlff.latent_size)
            need(value.shape == want, f"Prediction.{field} has shape {want}, not {value.shape}")
            need(bool(np.isfinite(value).all()), f"Prediction.{field} is finite")
        (s,) = mlff.predict([a])
        one, many = _fields(s), _fields(b)
        need(one.keys() == many.keys(), "a batch gives the same fields as a single structure")
        for field, value in many.items():
            need(
                np.allclose(value, one[field], rtol=RTOL, atol=ATOL.get(field, 1e-4)),
                f"Prediction.{field} of a batch equals that of the single structure",
            )


def _calculator(mlff: MLFF, cell: Atoms, need) -> None:
    atoms = cell.copy()
    atoms.calc = mlff.calculator()
    (p,) = mlff.predict([cell])
    need(
        np.isclose(atoms.get_potential_energy(), p.energy, rtol=RTOL, atol=ATOL["energy"])
        and np.allclose(atoms.get_forces(), p.forces, rtol=RTOL, atol=ATOL["forces"])
        and np.allclose(atoms.calc.results["latent"], p.latent, rtol=RTOL, atol=ATOL["latent"]),
        "the ASE calculator gives predict's energy, forces and latent",
    )


def _refusal(mlff: MLFF, cell: Atoms, need) -> None:
    """An element the backend lacks is refused with an error naming it."""
    missing = next((z for z in range(1, len(chemical_symbols)) if z not in mlff.elements), None)
    if missing is None:
        return
    bad = cell.copy()
    bad.numbers[0] = missing
    try:
        mlff.predict([bad])
    except UnsupportedElementError as exc:
        need(
            chemical_symbols[missing] in str(exc),
            f"the error names the unsupported element {chemical_symbols[missing]}",
        )
    else:
        need(False, f"predict refuses unsupported element {chemical_symbols[missing]}")
