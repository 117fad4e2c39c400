"""Leakage-free grouping and the grouped k-fold dealing behind `tcramp.cv.LeakageKFold`.

Two snapshot rows must stay on one side of a split when they belong to the same material, the
same SuperCon formula (one entry matched to several structures) or the same parent structure
(doped siblings). `leakage_groups` joins these relations into connected components.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["check_folds", "grouped_folds", "leakage_groups"]


def leakage_groups(df: pd.DataFrame) -> np.ndarray:
    """One integer group id per row: connected components of shared name, formula or parent_id
    (and the user's `group`)."""
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    keys = [c for c in ("formula", "parent_id", "group") if c in df]
    for row in df[["name", *keys]].drop_duplicates().itertuples(index=False):
        root = find(("name", row[0]))
        for col, value in zip(keys, row[1:]):
            if isinstance(value, str) and value:
                parent[find((col, value))] = root
    roots = [find(("name", n)) for n in df["name"]]
    return pd.factorize(pd.Series(roots, dtype=object))[0]


def grouped_folds(groups: np.ndarray, k: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """k (train_index, test_index) pairs with every group wholly in one test fold; groups are
    shuffled by `seed` and dealt greedily so fold sizes (in rows) stay balanced."""
    ids, counts = np.unique(groups, return_counts=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(ids))
    order = order[np.argsort(-counts[order], kind="stable")]
    fold_of, load = {}, np.zeros(k)
    for i in order:
        f = int(np.argmin(load))
        fold_of[ids[i]] = f
        load[f] += counts[i]
    fold = np.array([fold_of[g] for g in groups])
    return [(np.flatnonzero(fold != f), np.flatnonzero(fold == f)) for f in range(k)]


def check_folds(groups: np.ndarray, k: int, tc: np.ndarray | None = None) -> None:
    """Raise `ValueError` unless k-fold CV can run: at least k leakage `groups` (one per test
    fold) and, when `tc` (per material or row) is given, more than one distinct Tc."""
    n = len(np.unique(groups))
    if n < k:
        raise ValueError(f"{n} leakage groups of materials, need >= {k} for {k}-fold CV (use fewer --folds)")
    if tc is not None and len(np.unique(tc)) < 2:
        raise ValueError(f"every material has Tc {tc[0]:g} K; CV needs materials of more than one Tc")
