"""Magpie composition features: the composition-only reference every ramp group must beat."""

from __future__ import annotations

import pandas as pd

from ..composition import PREFIX, magpie, magpie_labels
from .base import FeatureGroup

__all__ = ["Magpie", "with_magpie"]


def with_magpie(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with the Magpie features of its `formula` column added (unchanged when present).
    Refuses rows without a formula (snapshots of a CSV built before formulas came from structures)."""
    if any(c.startswith(PREFIX) for c in df.columns):
        return df
    missing = df.loc[df["formula"].fillna("").astype(str).str.strip() == "", "name"].unique()
    if len(missing):
        raise ValueError(
            f"magpie: {len(missing)} materials have no formula (e.g. {missing[0]}); rebuild their snapshots"
        )
    return pd.concat([df, magpie(df["formula"]).set_axis(df.index)], axis=1)


class Magpie(FeatureGroup):
    name = "magpie"
    pattern = PREFIX + r"\d+"
    stage = "cell"
    level = "material"
    description = "132 Magpie statistics of elemental properties over the formula (matminer ElementProperty)"
    citations = ("L. Ward et al., npj Comput. Mater. 2, 16028 (2016)",)

    def prepare(self, df: pd.DataFrame) -> pd.DataFrame:
        return with_magpie(df)

    def labels(self, columns: list[str]) -> dict[str, str]:
        names = magpie_labels()
        return {c: names[int(c[len(PREFIX) :])] for c in columns}
