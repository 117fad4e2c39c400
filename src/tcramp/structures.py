"""Ordered cells for MD: supercells with seeded random site assignment for fractional occupancies.

3DSC's synth_doped structures carry fractional occupancies (dopants and vacancies), which MD
cannot run. `order` picks a supercell of the parent cell and, for every pool of sites sharing one
occupancy pattern, draws species counts by largest-remainder rounding of occupancy x pool size
(vacancies included) and assigns them to randomly permuted sites. Among supercells within the atom
cap it keeps the smallest one whose composition error is within `tol`, else the most accurate one;
tiny cells are grown to `min_atoms` so atoms can move relative to each other.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from pymatgen.core import Element, Lattice, Structure

__all__ = ["OrderedCell", "CellError", "order", "composition_error"]

MAX_ATOMS = 64
MIN_ATOMS = 8
COMPOSITION_TOL = 0.005


class CellError(ValueError):
    """The structure cannot become an ordered cell within the limits."""


@dataclass(frozen=True)
class OrderedCell:
    """An ordered cell and how well it matches the target composition.

    `composition_error` is max over elements of |atomic fraction in cell - target fraction|.
    """

    structure: Structure
    multiplicity: int
    composition_error: float


def _fractions(amounts: dict[str, float]) -> dict[str, float]:
    total = sum(amounts.values())
    return {el: a / total for el, a in amounts.items()}


def composition_error(counts: dict[str, float], target: dict[str, float]) -> float:
    """Max |atomic fraction difference| between two element -> amount maps."""
    a, b = _fractions(counts), _fractions(target)
    return max(abs(a.get(el, 0.0) - b.get(el, 0.0)) for el in set(a) | set(b))


def _pools(structure: Structure) -> list[tuple[list[int], list[tuple[str, float]]]]:
    """Site indices grouped by occupancy pattern [(element, occupancy), ...]."""
    pools: dict[tuple, list[int]] = {}
    for i, site in enumerate(structure):
        key = tuple(sorted((sp.symbol, round(occ, 6)) for sp, occ in site.species.items()))
        pools.setdefault(key, []).append(i)
    return [(idx, list(key)) for key, idx in pools.items()]


def _counts(pattern: list[tuple[str, float]], size: int) -> list[int]:
    """Largest-remainder rounding of occupancy x size; the last entry counts vacancies."""
    occ = [o for _, o in pattern]
    exact = np.array([o * size for o in occ] + [max(0.0, 1.0 - sum(occ)) * size])
    counts = np.floor(exact + 1e-9).astype(int)
    rest = size - counts.sum()
    for i in np.argsort(-(exact - counts), kind="stable")[:rest]:
        counts[i] += 1
    return counts.tolist()


def _plan(pools, n: int) -> tuple[dict[str, int], int]:
    """Element counts and atom count of an n-fold supercell."""
    totals: dict[str, int] = {}
    for idx, pattern in pools:
        for (el, _), c in zip(pattern, _counts(pattern, n * len(idx))):
            totals[el] = totals.get(el, 0) + c
    return totals, sum(totals.values())


def _shape(lattice: Lattice, n: int) -> tuple[int, int, int]:
    """Diagonal supercell (a, b, c) with a*b*c = n that keeps the cell most compact."""
    best, score = (n, 1, 1), -1.0
    for a, b in itertools.product(range(1, n + 1), repeat=2):
        if n % (a * b):
            continue
        c = n // (a * b)
        s = min(a * lattice.a, b * lattice.b, c * lattice.c)
        if s > score + 1e-9:
            best, score = (a, b, c), s
    return best


def order(
    structure: Structure,
    *,
    max_atoms: int = MAX_ATOMS,
    min_atoms: int = MIN_ATOMS,
    tol: float = COMPOSITION_TOL,
    seed: int = 0,
) -> OrderedCell:
    """Turn a (possibly disordered) structure into an ordered cell of at most `max_atoms` atoms.

    The structure is first reduced to its primitive cell (a 108-atom Al supercell becomes one
    atom, then grows to `min_atoms`). Same structure and seed give the same cell. Raises
    `CellError` when even the primitive cell exceeds the cap.
    """
    structure = structure.get_primitive_structure()
    pools = _pools(structure)
    target = {el.symbol: amt for el, amt in structure.composition.element_composition.items()}
    candidates = []
    for n in range(1, max_atoms + 1):
        totals, atoms = _plan(pools, n)
        if atoms > max_atoms:
            break
        if atoms:
            candidates.append((n, atoms, composition_error(totals, target)))
    if not candidates:
        raise CellError(
            f"{len(structure)} sites per cell ({structure.composition.reduced_formula}) exceed the "
            f"atom cap of {max_atoms}"
        )
    big = [c for c in candidates if c[1] >= min_atoms] or candidates[-1:]
    good = [c for c in big if c[2] <= tol]
    n, _, err = good[0] if good else min(big, key=lambda c: (c[2], c[0]))

    shape = _shape(structure.lattice, n)
    sc = structure.copy()
    sc.make_supercell(shape)
    rng = np.random.default_rng(seed)
    species: list[str | None] = [None] * len(sc)
    for idx, pattern in _pools(sc):
        elements = [el for el, _ in pattern] + [None]  # None: vacancy
        labels = [el for el, c in zip(elements, _counts(pattern, len(idx))) for _ in range(c)]
        for i, el in zip(rng.permutation(idx), labels):
            species[i] = el
    keep = [i for i, el in enumerate(species) if el is not None]
    ordered = Structure(
        sc.lattice,
        [Element(species[i]) for i in keep],
        sc.frac_coords[keep],
    )
    return OrderedCell(ordered, n, err)
