"""Classifier inputs assembled from a snapshot table: latent columns, Magpie features, temperature."""

from __future__ import annotations

import re

import pandas as pd

from .composition import PREFIX, magpie, magpie_columns

__all__ = ["feature_columns", "with_magpie"]


def feature_columns(
    df: pd.DataFrame, use_temperature: bool, use_magpie: bool = False, use_latent: bool = True
) -> list[str]:
    """The classifier's inputs: the latent columns (unless `use_latent` is off, an ablation), then
    the Magpie composition features and `T_target` when asked for."""
    cols = sorted((c for c in df.columns if re.fullmatch(r"latent_\d+", c)), key=lambda c: int(c[7:]))
    return (
        (cols if use_latent else [])
        + (magpie_columns() if use_magpie else [])
        + (["T_target"] if use_temperature else [])
    )


def with_magpie(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with Magpie features of its `formula` column added (unchanged when present)."""
    if any(c.startswith(PREFIX) for c in df.columns):
        return df
    feats = magpie(df["formula"]).set_axis(df.index)
    return pd.concat([df, feats], axis=1)
