"""Magpie composition features (matminer's `ElementProperty` "magpie" preset).

Used by the composition baselines of `tcramp.evaluate`, the latent-vs-chemistry study of
`tcramp.explain`, and as optional extra classifier inputs (`magpie_*` columns) beside the latent.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np
import pandas as pd

__all__ = ["PREFIX", "magpie", "magpie_columns", "magpie_labels"]

PREFIX = "magpie_"


@cache
def _featurizer():
    from matminer.featurizers.composition import ElementProperty

    return ElementProperty.from_preset("magpie", impute_nan=True)


def magpie_labels() -> list[str]:
    """matminer's labels of the Magpie features, in the order of the `magpie_<i>` columns."""
    return _featurizer().feature_labels()


def magpie_columns() -> list[str]:
    """Column names of the Magpie features: `magpie_0` … `magpie_131`."""
    return [f"{PREFIX}{i}" for i in range(len(magpie_labels()))]


@cache
def _row(formula: str) -> tuple[float, ...]:
    from pymatgen.core import Composition

    try:
        comp = Composition(formula)
    except Exception:  # an unparseable formula gets NaN features, never a crash of the batch
        comp = None
    if not comp:
        return (np.nan,) * len(magpie_labels())
    return tuple(float(v) for v in _featurizer().featurize(comp))


def magpie(formulas: Iterable[str | None]) -> pd.DataFrame:
    """Magpie features of each formula (one row per input, NaN where it does not parse);
    each distinct formula is featurized once."""
    formulas = list(formulas)
    rows = [_row(str(f)) if f else (np.nan,) * len(magpie_labels()) for f in formulas]
    return pd.DataFrame(np.array(rows, float).reshape(len(formulas), -1), columns=magpie_columns())
