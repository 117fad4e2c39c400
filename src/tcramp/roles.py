"""Fixed-length pooling of per-atom quantities over element roles.

A classifier needs the same columns for every crystal, whatever its number of elements. Per-atom
quantities (MLFF latents, magnetic moments, displacements) and per-element ones (phonon
projected-DOS moments) are therefore pooled onto four fixed slots:

- `lo`: the element of lowest Pauling electronegativity (pymatgen `Element.X`), the most
  cation-like (Ba in YBa2Cu3O7, Mg in MgB2);
- `hi`: the element of highest electronegativity, the most anion-like (O, B);
- `all`: the mean over all atoms;
- `std`: the standard deviation over all atoms (ddof 0).

`lo` and `hi` are means over the atoms of that element. A one-element crystal has lo == hi.
Elements are ranked by (X, atomic number), so equal electronegativities (Cu and Si, both 1.90)
are broken by atomic number, lower Z ranking as more cation-like. Elements without a Pauling
value (He, Ne, Ar, superheavies) rank above every element that has one, i.e. as most anion-like:
the closed-shell end of their period, where the Allen scale (Allen, J. Am. Chem. Soc. 111, 9003
(1989)) places He and Ne above F.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from functools import cache

import numpy as np
from pymatgen.core import Element

__all__ = ["ROLES", "SLOTS", "flatten", "pool", "pool_columns", "pool_elements", "roles"]

ROLES = ("lo", "hi")
SLOTS = ("lo", "hi", "all", "std")


@cache
def _rank(symbol: str) -> tuple[float, int]:
    el = Element(symbol)
    with warnings.catch_warnings():  # pymatgen warns (and returns NaN) for elements without X
        warnings.simplefilter("ignore")
        x = el.X
    return (math.inf if math.isnan(x) else x, el.Z)


@cache
def _roles(elements: tuple[str, ...]) -> tuple[str, str]:
    ranked = sorted(elements, key=_rank)
    return ranked[0], ranked[-1]


def roles(symbols: Sequence[str]) -> dict[str, str]:
    """Role -> element for a crystal's atoms (or its element list): {'lo': ..., 'hi': ...}."""
    if len(symbols) == 0:
        raise ValueError("roles need at least one atom")
    lo, hi = _roles(tuple(sorted(set(symbols))))
    return {"lo": lo, "hi": hi}


def pool(symbols: Sequence[str], values) -> dict[str, np.ndarray]:
    """Pool per-atom `values` ((n,) or (n, d), one row per symbol) onto the slots `SLOTS`.

    Each slot holds a float array of shape () for (n,) input or (d,) for (n, d) input.
    """
    values = np.asarray(values, dtype=float)
    symbols = np.asarray(symbols)
    if values.shape[:1] != symbols.shape:
        raise ValueError(f"{len(symbols)} atoms but values of shape {values.shape}")
    role = roles(symbols.tolist())
    out = {r: values[symbols == role[r]].mean(axis=0) for r in ROLES}
    out["all"] = values.mean(axis=0)
    out["std"] = values.std(axis=0)
    return out


def pool_elements(per_element: Mapping[str, float | np.ndarray], symbols: Sequence[str]) -> dict[str, np.ndarray]:
    """The same slots from per-element values (e.g. ω_log of each element's projected phonon DOS):
    `lo`/`hi` are the values of the role elements, `all`/`std` the mean and std over atoms, i.e.
    weighted by each element's atom count in `symbols`."""
    elements, counts = np.unique(np.asarray(symbols), return_counts=True)
    missing = sorted(set(elements.tolist()) - set(per_element))
    if missing:
        raise ValueError(f"no per-element value for {', '.join(missing)}")
    table = np.array([np.asarray(per_element[e], dtype=float) for e in elements])
    w = (counts / counts.sum()).reshape((-1,) + (1,) * (table.ndim - 1))
    mean = (w * table).sum(axis=0)
    role = roles(elements.tolist())
    index = {e: i for i, e in enumerate(elements.tolist())}
    return {
        "lo": table[index[role["lo"]]],
        "hi": table[index[role["hi"]]],
        "all": mean,
        "std": np.sqrt((w * (table - mean) ** 2).sum(axis=0)),
    }


def pool_columns(prefix: str, size: int | None = None) -> list[str]:
    """Column names of `flatten`'s output: `{prefix}_{slot}` for scalars, `{prefix}_{slot}_{k}`
    for vectors of length `size`, slot-major."""
    if size is None:
        return [f"{prefix}_{s}" for s in SLOTS]
    return [f"{prefix}_{s}_{k}" for s in SLOTS for k in range(size)]


def flatten(pooled: Mapping[str, np.ndarray], prefix: str) -> dict[str, float]:
    """`pool`/`pool_elements` output as one flat row, keyed by `pool_columns(prefix, size)`."""
    size = None if np.ndim(pooled["all"]) == 0 else int(np.size(pooled["all"]))
    flat = np.concatenate([np.ravel(pooled[s]) for s in SLOTS])
    return dict(zip(pool_columns(prefix, size), flat.tolist()))
