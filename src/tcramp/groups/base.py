"""The feature-group record: a named set of input columns with labels and citations."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["FeatureGroup"]


class FeatureGroup:
    """A named set of model inputs, in the spirit of matminer's featurizers.

    `pattern` matches the group's columns in a snapshot table (kept in file order); `level` says
    whether they change along the ramp ("snapshot") or are one value per material
    ("material"); `stage` which record stage (`tcramp.stages`) holds them; `at` names the base-grid temperatures ("min", "max") whose values a snapshot
    group gives to material-level models (`tcramp.groups.material_view`). `prepare` adds
    computed columns (and turns ±inf into NaN) before the columns are read."""

    name: str = ""
    pattern: str = ""
    stage: str = "samples"  # the record stage holding the columns (tcramp.stages)
    level: str = "snapshot"
    at: tuple[str, ...] = ("min",)
    description: str = ""
    citations: tuple[str, ...] = ()

    def columns(self, df: pd.DataFrame) -> list[str]:
        """The group's columns present in `df`, in file order."""
        return [c for c in df.columns if re.fullmatch(self.pattern, c)]

    def prepare(self, df: pd.DataFrame) -> pd.DataFrame:
        """`df` ready to be read: computed columns added, infinities of the group's columns as NaN."""
        cols = [c for c in self.columns(df) if df[c].dtype.kind == "f"]
        if cols and np.isinf(df[cols].to_numpy()).any():
            df = df.copy()
            df[cols] = df[cols].replace([np.inf, -np.inf], np.nan)
        return df

    def labels(self, columns: list[str]) -> dict[str, str]:
        """Readable label of each of the group's columns (the column name unless overridden)."""
        return {c: c for c in columns}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
