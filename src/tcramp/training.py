"""Training a `TcModel`: grouped k-fold CV on a build's table (`tcramp.cv`), its fold estimators
the ensemble and its out-of-fold Tc the CV metrics."""

from __future__ import annotations

import hashlib
from dataclasses import asdict

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from . import cv
from .domain import feature_ranges
from .estimators import CLASSIFIERS, REGRESSORS
from .groups import DEFAULT, columns, material_view, parse, prepare, stage_of
from .models import ModelMeta, TcModel
from .ramp import RampConfig
from .snapshots import SCHEMA_VERSION
from .splits import check_folds, leakage_groups
from .stages import STAGES, stage_hash
from .tc import curve_tc

__all__ = ["train"]


def _check_build(df: pd.DataFrame, kind: str, groups, config: RampConfig, weights: str | None) -> tuple[str, str]:
    """The stage `kind` on `groups` reads and the rows' backend; refuses rows of several builds,
    of an earlier stage or of other settings, and unknown kinds."""
    if df["ramp_hash"].nunique() != 1 or df.get("backend", pd.Series([""])).nunique() != 1:
        raise ValueError("rows mix stage settings or backends; train on one build")
    if kind not in CLASSIFIERS and kind not in REGRESSORS:
        raise ValueError(f"unknown model kind {kind!r}; choose from {', '.join([*CLASSIFIERS, *REGRESSORS])}")
    stage, have = stage_of(groups, classifier=kind in CLASSIFIERS), str(df["stage"].iloc[0])
    backend = str(df["backend"].iloc[0]) if "backend" in df else ""
    if (
        STAGES.index(have) < STAGES.index(stage)
        or stage_hash(config, have, backend, weights) != df["ramp_hash"].iloc[0]
    ):
        raise ValueError(
            f"rows of stage {have} ({df['ramp_hash'].iloc[0]}) are not a {stage} build of these settings; pass "
            "the build's settings (tcramp.snapshots.read_config) and rows read to that stage (read_table)"
        )
    return stage, backend


def _inputs(df: pd.DataFrame, groups: tuple[str, ...], regress: bool, config: RampConfig):
    """The training rows (`material_view` rows for a regressor, snapshot rows for a classifier),
    their input columns and targets (Tc, or the superconducting state)."""
    if regress:
        df, cols = material_view(df, groups, config)
        return df, cols, df["tc"].to_numpy(float)
    df = prepare(df, groups)
    return df, columns(df, groups), df["superconducting"].to_numpy(bool)


def _splits(df: pd.DataFrame, X: np.ndarray, y: np.ndarray, leak: np.ndarray, k: int, seed: int) -> list:
    """The leakage-grouped k folds of the training rows; refuses sets too small for them and folds
    whose training targets are all equal."""
    check_folds(leak, k, df["tc"].to_numpy(float))
    splits = list(cv.LeakageKFold(k, seed).split(X, y, leak))
    for i, (tr, _) in enumerate(splits):
        if len(np.unique(y[tr])) < 2:
            raise ValueError(f"fold {i}: every training target is {y[tr][0]}; the set is too small or degenerate")
    return splits


def _digest(df: pd.DataFrame) -> str:
    """16 hex digits of SHA-256 over the training rows' values: which set a model learned from."""
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes()).hexdigest()[:16]


def _classifier_cv(y: np.ndarray, oof: np.ndarray, table: pd.DataFrame) -> dict:
    """A classifier's out-of-fold AUC and Tc MAE at the 60 and 70 % thresholds."""
    return {
        "auc": float(roc_auc_score(y, oof)) if len(set(y)) == 2 else None,
        **{f"tc_mae_{t}": cv.scores(table[t], table["tc_true"])["mae"] for t in ("tc60", "tc70")},
    }


def train(
    snapshots: pd.DataFrame,
    kind: str = "catboost-tc",
    params: dict | None = None,
    *,
    groups=DEFAULT,
    folds: int = 5,
    seed: int = 0,
    config: RampConfig | None = None,
    weights: str | None = None,
) -> tuple[TcModel, pd.DataFrame]:
    """Grouped k-fold training on a snapshot table with the inputs of feature `groups`.

    `kind`: a classifier of `CLASSIFIERS` (trained on snapshot rows, Tc read from each held-out
    curve) or a regressor of `REGRESSORS` (trained on `material_view` rows). Returns the model
    (its fold estimators form the ensemble) and the out-of-fold Tc table (per material: true Tc,
    `tc50` — for a classifier also Tc at 60/70 % and the interval) whose errors are the CV
    metrics. `config` is the build's `RampConfig` (`tcramp.snapshots.read_config`; default
    settings when omitted), checked against the snapshots' ramp hash; `weights` the build's
    force-field checkpoint (`tcramp.snapshots.read_weights`), recorded for `predict`.
    """
    config = config or RampConfig()
    stage, backend = _check_build(snapshots, kind, groups, config, weights)
    groups, regress = parse(groups), kind in REGRESSORS
    df, cols, y = _inputs(snapshots.reset_index(drop=True), groups, regress, config)
    X, leak = df[cols].to_numpy(np.float32), leakage_groups(df)
    splits = _splits(df, X, y, leak, folds, seed)
    oof, members = cv.oof(lambda: {**CLASSIFIERS, **REGRESSORS}[kind](**(params or {})), X, y, splits, leak)
    table = pd.DataFrame({"name": df["name"], "tc_true": y, "tc50": oof}) if regress else curve_tc(df, oof, config)
    err = cv.scores(table["tc50"], table["tc_true"])
    meta = ModelMeta(
        kind=kind,
        params=members[0].get_params() if members else {},
        groups=groups,
        features=tuple(cols),
        n_members=len(members),
        backend=backend,
        backend_version=str(snapshots["backend_version"].iloc[0]) if backend else "",
        weights=weights,
        latent_size=int(df["latent_size"].iloc[0]) if "latent_size" in df else 0,
        schema_version=SCHEMA_VERSION,
        ramp_hash=stage_hash(config, stage, backend, weights),
        stage=stage,
        ramp={k: v for k, v in asdict(config).items() if k != "torch_threads"},
        files={},
        ranges=feature_ranges(df[cols]),
        training_set={
            "hash": _digest(df[["name", *([] if regress else ["T_target"]), *cols]]),
            "materials": int(df["name"].nunique()),
            "snapshots": len(snapshots),
            "classes": df.groupby("sc_class")["name"].nunique().to_dict(),
        },
        cv={"folds": folds, "seed": seed, "tc_mae": err["mae"], "tc_rmse": err["rmse"]}
        | ({} if regress else _classifier_cv(y, oof, table)),
    )
    return TcModel(members, meta), table
