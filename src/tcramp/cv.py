"""The one cross-validation engine of training, evaluation, ablation and search.

`LeakageKFold` is the grouped splitter (`tcramp.splits.grouped_folds`) as a scikit-learn CV
splitter; `material_folds` its folds of a table's materials (sorted by name), the folds every
evaluation and ablation shares. `oof` fits an estimator factory on each fold and returns the
out-of-fold predictions; `curve_oof` does so for a snapshot classifier and reads each held-out
material's Tc from its P(SC | T) curve (`tcramp.tc.curve_tc`, the only custom step);
`baselines` are the reference predictors, fitted once per fold; `scores` are scikit-learn's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.dummy import DummyRegressor
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.model_selection import BaseCrossValidator

from .ramp import RampConfig
from .splits import check_folds, grouped_folds, leakage_groups
from .tc import THRESHOLDS, curve_tc

__all__ = [
    "BASELINES",
    "LeakageKFold",
    "baselines",
    "curve_oof",
    "material_oof",
    "material_folds",
    "material_groups",
    "oof",
    "reliability",
    "row_folds",
    "scores",
]

Folds = Sequence[tuple[np.ndarray, np.ndarray]]


class LeakageKFold(BaseCrossValidator):
    """k folds with every group wholly in one test fold: groups shuffled by `seed` and dealt
    greedily so fold sizes (in rows) stay balanced (`tcramp.splits.grouped_folds`)."""

    def __init__(self, n_splits: int = 5, seed: int = 0):
        self.n_splits = n_splits
        self.seed = seed

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits

    def split(self, X=None, y=None, groups=None):
        if groups is None:
            raise ValueError("LeakageKFold needs groups (tcramp.splits.leakage_groups)")
        yield from grouped_folds(np.asarray(groups), self.n_splits, self.seed)


def material_groups(table: pd.DataFrame) -> np.ndarray:
    """The leakage group of each material of a snapshot or material table, in sorted name order."""
    group_of = dict(zip(table["name"], leakage_groups(table)))
    return np.array([group_of[n] for n in sorted(group_of)])


def material_folds(table: pd.DataFrame, k: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Grouped k-fold splits of a table's materials, as indices into its sorted unique names
    (`check_folds` first: a clear error for too few leakage groups or a single Tc)."""
    groups = material_groups(table)
    tc = table.drop_duplicates("name").sort_values("name")["tc"].to_numpy(float) if "tc" in table else None
    check_folds(groups, k, tc)
    return list(LeakageKFold(k, seed).split(groups=groups))


def row_folds(names: pd.Series, materials: np.ndarray, folds: Folds, fit=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Material folds (indices into `materials`) as row folds of a table whose rows name them;
    training rows restricted to the mask `fit` when given."""
    keep = np.ones(len(names), bool) if fit is None else np.asarray(fit)
    return [
        (np.flatnonzero(names.isin(materials[tr]).to_numpy() & keep), np.flatnonzero(names.isin(materials[te])))
        for tr, te in folds
    ]


def _take(X, idx):
    return X.iloc[idx] if isinstance(X, pd.DataFrame) else X[idx]


def oof(make: Callable, X, y, folds: Folds, groups=None) -> tuple[np.ndarray, list]:
    """Fit a fresh `make()` on each fold's training rows and predict its test rows: the
    out-of-fold predictions (P(SC) of a classifier, else `predict`; NaN outside every test fold)
    and the fitted estimators. `groups` (per row) reach `fit` when given."""
    out, fitted = np.full(len(y), np.nan), []
    for tr, te in folds:
        est = make()
        est.fit(_take(X, tr), y[tr], **({} if groups is None else {"groups": groups[tr]}))
        out[te] = est.predict_proba(_take(X, te))[:, 1] if is_classifier(est) else est.predict(_take(X, te))
        fitted.append(est)
    return out, fitted


def curve_oof(
    make: Callable,
    snap: pd.DataFrame,
    cols: list[str],
    folds: Folds,
    config: RampConfig,
    *,
    fit=None,
    groups=None,
    thresholds=THRESHOLDS,
) -> tuple[pd.DataFrame, np.ndarray]:
    """A snapshot classifier over material folds (indices into `snap`'s sorted names), trained on
    the training materials' rows (of the mask `fit` when given): per held-out material Tc at
    each threshold from its base-grid P(SC | T) curve (`curve_tc`), and the rows' P(SC)."""
    names = np.array(sorted(snap["name"].unique()))
    X, y = snap[cols].to_numpy(np.float32), snap["superconducting"].to_numpy(bool)
    p, _ = oof(make, X, y, row_folds(snap["name"], names, folds, fit), groups)
    held = ~np.isnan(p)
    return curve_tc(snap[held].reset_index(drop=True), p[held], config, thresholds), p


def _magpie_rf(seed: int):
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(n_estimators=300, min_samples_leaf=1, n_jobs=-1, random_state=seed)


# reference predictors of Tc (K) from material rows: label → (factory of seed, input columns' prefix)
BASELINES: dict[str, tuple[Callable, str | None]] = {
    "zero": (lambda seed: DummyRegressor(strategy="constant", constant=0.0), None),
    "median": (lambda seed: DummyRegressor(strategy="median"), None),
    "mean": (lambda seed: DummyRegressor(strategy="mean"), None),
    "magpie-rf": (_magpie_rf, "magpie_"),
}


def material_oof(make: Callable, X: np.ndarray, y: np.ndarray, folds: Folds) -> np.ndarray:
    """Out-of-fold Tc (K, clipped at 0) of regressor `make()` on material rows `X`: on the folds
    whose test materials all hold every input, trained on the materials that do (NaN elsewhere)."""
    ok = ~np.isnan(X).any(axis=1)
    use = [(tr[ok[tr]], te) for tr, te in folds if ok[tr].any() and ok[te].all()]
    return np.clip(oof(make, X, y, use)[0], 0, None)


def baselines(mat: pd.DataFrame, folds: Folds, seed: int = 0, which: Sequence[str] = tuple(BASELINES)) -> pd.DataFrame:
    """Out-of-fold Tc (K) of the `BASELINES` on material rows `mat` (sorted by name, holding `tc`
    and the Magpie columns), each fitted once per fold (`material_oof`); indexed by name."""
    y = mat["tc"].to_numpy(float)
    out = pd.DataFrame(index=pd.Index(mat["name"], name="name"))
    for label in which:
        make, prefix = BASELINES[label]
        cols = [c for c in mat if prefix and c.startswith(prefix)]
        X = mat[cols].to_numpy(float) if cols else np.zeros((len(mat), 1))
        out[label] = material_oof(lambda m=make: m(seed), X, y, folds)
    return out


def scores(pred, truth) -> dict:
    """n, MAE, RMSE and R² (`sklearn.metrics`; NaN when a prediction is missing, R² NaN for a
    constant truth)."""
    p, t = np.asarray(pred, float), np.asarray(truth, float)
    if not len(p) or np.isnan(p).any():
        return {"n": len(p), "mae": float("nan"), "rmse": float("nan"), "r2": float("nan")}
    return {
        "n": len(p),
        "mae": float(mean_absolute_error(t, p)),
        "rmse": float(root_mean_squared_error(t, p)),
        "r2": float(r2_score(t, p)) if np.var(t) > 0 else float("nan"),
    }


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per non-empty bin of predicted P(SC) (`bins` equal widths): the mean P(SC), the observed
    fraction of positives and the share of rows."""
    b = np.minimum((p * bins).astype(int), bins - 1)
    held = [b == k for k in range(bins) if (b == k).any()]
    return (
        np.array([p[m].mean() for m in held]),
        np.array([y[m].mean() for m in held]),
        np.array([m.mean() for m in held]),
    )
