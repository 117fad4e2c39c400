"""Domain warnings: a prediction whose inputs lie where the model never learned.

- NaN inputs: a feature its group could not compute for this structure;
- inputs outside the training range: a feature beyond the [min, max] of the model's training
  rows (`ModelMeta.ranges`, recorded by `train`) by more than `MARGIN` of that range;
- a low-dimensional cell: an empty slab wider than `MAX_GAP` between consecutive atomic planes
  parallel to a face of the cell (a slab, wire or molecule in vacuum; of the bundled 3DSC
  cells 99 % stay below 3.3 Å and 99.9 % below 8.9 Å).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pymatgen.core import Structure

__all__ = ["MARGIN", "MAX_GAP", "feature_ranges", "input_warnings", "vacuum_gap", "vacuum_warnings"]

MARGIN = 0.1  # of the training range
MAX_GAP = 7.0  # Å


def feature_ranges(X: pd.DataFrame) -> dict[str, list[float]]:
    """Each column's [min, max] over its finite values (columns with none left out)."""
    finite = X.astype(float).where(np.isfinite(X.astype(float)))
    lo, hi = finite.min(), finite.max()
    return {c: [float(lo[c]), float(hi[c])] for c in X if np.isfinite(lo[c])}


def _names(cols: list[str], n: int = 3) -> str:
    return ", ".join(cols[:n]) + (f" and {len(cols) - n} more" if len(cols) > n else "")


def input_warnings(X: pd.DataFrame, ranges: dict | None) -> list[str]:
    """Warnings for a model's input rows `X` (its feature columns): NaN inputs and, given the
    training `ranges`, inputs beyond them by more than `MARGIN` of the range."""
    values = X.astype(float)
    out = []
    nan = [c for c in values if values[c].isna().any()]
    if nan:
        out.append(f"NaN inputs: {len(nan)} of {values.shape[1]} features ({_names(nan)})")
    far = []
    for c, (lo, hi) in (ranges or {}).items():
        pad = MARGIN * (hi - lo)
        v = values[c].dropna()
        bad = v[(v < lo - pad) | (v > hi + pad)]
        if len(bad):
            far.append(f"{c} {bad.iloc[0]:.3g} (trained {lo:.3g} to {hi:.3g})")
    if far:
        out.append(f"outside the training range: {_names(far)}")
    return out


def vacuum_gap(structure: Structure) -> tuple[float, int]:
    """(width in Å, lattice axis) of the widest empty slab between consecutive atomic planes
    parallel to a face of the cell (periodic images included)."""
    spacing = 1 / np.array(structure.lattice.reciprocal_lattice_crystallographic.abc)  # between (100)-type planes
    best = (0.0, 0)
    for axis in range(3):
        s = np.sort(structure.frac_coords[:, axis] % 1.0)
        gaps = np.diff(np.append(s, s[0] + 1.0)) * spacing[axis]
        best = max(best, (float(gaps.max()), axis))
    return best


def vacuum_warnings(structure: Structure) -> list[str]:
    """A warning when `structure` is a low-dimensional cell (`vacuum_gap` over `MAX_GAP`)."""
    gap, axis = vacuum_gap(structure)
    if gap <= MAX_GAP:
        return []
    return [f"low-dimensional cell: {gap:.1f} Å of vacuum along {'abc'[axis]} (bulk crystals: < {MAX_GAP:g} Å)"]
