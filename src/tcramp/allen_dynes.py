"""Conventional-superconductor head: Allen–Dynes Tc from the MLFF phonons and a regressed λ.

Allen & Dynes, Phys. Rev. B 12, 905 (1975):

    Tc = f1 f2 ω_log/1.2 · exp[−1.04(1+λ) / (λ − μ*(1+0.62λ))]
    f1 = [1 + (λ/Λ1)^{3/2}]^{1/3},  Λ1 = 2.46(1+3.8μ*)                     (strong coupling)
    f2 = 1 + (ω̄₂/ω_log − 1)λ² / (λ² + Λ2²),  Λ2 = 1.82(1+6.3μ*)(ω̄₂/ω_log)  (spectral shape)

with f1 = f2 = 1 its McMillan form. The phonon side (ω_log, ω̄₂) comes from the MLFF phonon DOS
(`tcramp.phonons.descriptors`, α²F ∝ F); the electronic side, λ, is not computed but learnt:
`AllenDynesTc` inverts the formula for the λ that gives each training material its measured Tc
(`coupling`) and regresses log λ from the descriptors (regressing λ itself averages the clipped
λ = 10 of high-Tc, soft-phonon materials into every prediction: grouped 5-fold Tc MAE 258 K
against 11.5 K for log λ on the 79 `data/snapshots/chgnet-v2-md` materials). Units: ω in meV,
Tc in K.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import elementwise
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from . import cv

__all__ = ["K_PER_MEV", "LAMBDA_MAX", "MU_STARS", "AllenDynesTc", "allen_dynes", "coupling", "threshold", "valid_omega"]

K_PER_MEV = 11.6045  # 1 meV / k_B in K
LAMBDA_MAX = 10.0  # upper end of the λ bracket of `coupling`
MU_STARS = (0.08, 0.10, 0.12, 0.14, 0.16)  # μ* grid of `AllenDynesTc(fit_mu_star=True)`
OMEGA_LOG, OMEGA_2 = "ph_omega_log", "ph_omega_2"


def threshold(mu_star: float = 0.10) -> float:
    """λ_c = μ*/(1 − 0.62μ*): the coupling at and below which Allen–Dynes Tc is 0."""
    return mu_star / (1 - 0.62 * mu_star)


def allen_dynes(lam, omega_log, mu_star: float = 0.10, omega_2=None) -> np.ndarray:
    """Allen–Dynes Tc (K) for coupling `lam` and ω_log (meV), elementwise (broadcast).

    `omega_2` (ω̄₂, meV) None: f1 = f2 = 1 (McMillan–Allen–Dynes form); given: the paper's
    strong-coupling and shape corrections f1, f2. Tc = 0 where λ − μ*(1+0.62λ) ≤ 0; NaN where λ,
    ω_log or ω̄₂ is NaN or ω_log is not finite and positive.
    """
    lam = np.asarray(lam, float)
    w = np.asarray(omega_log, float)
    denom = lam - mu_star * (1 + 0.62 * lam)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tc = w * K_PER_MEV / 1.2 * np.exp(-1.04 * (1 + lam) / denom)
        bad = np.isnan(lam) | ~(np.isfinite(w) & (w > 0))
        if omega_2 is not None:
            r = np.asarray(omega_2, float) / w
            f1 = np.cbrt(1 + (np.maximum(lam, 0) / (2.46 * (1 + 3.8 * mu_star))) ** 1.5)
            f2 = 1 + (r - 1) * lam**2 / (lam**2 + (1.82 * (1 + 6.3 * mu_star) * r) ** 2)
            tc = tc * f1 * f2
            bad = bad | np.isnan(r)
    return np.where(bad, np.nan, np.where(denom > 0, tc, 0.0))


def coupling(tc, omega_log, mu_star: float = 0.10, omega_2=None) -> np.ndarray:
    """The λ in [λ_c, `LAMBDA_MAX`] whose `allen_dynes` Tc is `tc` (K), elementwise (broadcast).

    Tc = 0 gives λ_c (`threshold`); a Tc beyond what λ = `LAMBDA_MAX` reaches is clipped to
    `LAMBDA_MAX`; NaN where Tc, ω_log or ω̄₂ is NaN or ω_log is not finite and positive. Solved
    by scipy's elementwise bracketing root finder (Tc rises monotonically with λ above λ_c).
    """
    tc = np.asarray(tc, float)
    if (tc < 0).any():
        raise ValueError(f"negative Tc: {tc[tc < 0][:5]}")
    args = [tc, np.asarray(omega_log, float)] + ([] if omega_2 is None else [np.asarray(omega_2, float)])
    tc, w, *w2 = np.broadcast_arrays(*args)
    lo, hi = threshold(mu_star), LAMBDA_MAX
    top = allen_dynes(hi, w, mu_star, *w2)
    lam = np.where(np.isnan(top) | np.isnan(tc), np.nan, np.where(tc <= 0, lo, hi))
    solve = (tc > 0) & (tc < top)
    if solve.any():

        def gap(x, t, w, *w2):
            return allen_dynes(x, w, mu_star, *w2) - t

        lam[solve] = elementwise.find_root(gap, (lo, hi), args=(tc[solve], w[solve], *(a[solve] for a in w2))).x
    return lam


def valid_omega(X: pd.DataFrame) -> np.ndarray:
    """True where `ph_omega_log` (and `ph_omega_2`, when X has it) is finite and positive: the
    materials the head covers (`AllenDynesTc.predict` gives Tc = 0 elsewhere)."""
    w = X[[c for c in (OMEGA_LOG, OMEGA_2) if c in X]].to_numpy(float)
    return (np.isfinite(w) & (w > 0)).all(axis=1)


class AllenDynesTc(RegressorMixin, BaseEstimator):
    """Tc (K) = `allen_dynes`(λ̂, ω_log, μ*, ω̄₂) with λ̂ a CatBoost regression of log λ on all
    columns of X (numeric, NaN allowed, ±inf read as NaN).

    X must hold `ph_omega_log` (meV); with `ph_omega_2` (meV) too, the f1, f2 corrections apply,
    without it the McMillan form. Each training material's target is log `coupling`(Tc, ω_log,
    μ*, ω̄₂): Tc = 0 maps to λ_c, and Tc beyond λ = `LAMBDA_MAX` to `LAMBDA_MAX`. Materials
    outside `valid_omega` are left out of training (`n_skipped_` counts them) and predicted Tc = 0. With `fit_mu_star`, μ* is the value of
    `MU_STARS` with the lowest Tc MAE over 3 inner folds of the training set (grouped by
    `groups` when given, else plain); `mu_star_` holds the μ* used.
    """

    def __init__(
        self,
        mu_star: float = 0.10,
        fit_mu_star: bool = False,
        iterations: int = 500,
        depth: int = 4,
        learning_rate: float = 0.03,
        random_seed: int = 0,
        thread_count: int = -1,
    ):
        self.mu_star = mu_star
        self.fit_mu_star = fit_mu_star
        self.iterations = iterations
        self.depth = depth
        self.learning_rate = learning_rate
        self.random_seed = random_seed
        self.thread_count = thread_count

    def fit(self, X: pd.DataFrame, y, groups=None) -> AllenDynesTc:
        X = _features(X)
        y = np.asarray(y, float)
        if np.isnan(y).any():
            raise ValueError(f"NaN Tc for {list(X.index[np.isnan(y)][:5])}")
        self.feature_names_in_ = np.array(X.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        if self.fit_mu_star:
            folds = list(
                cv.LeakageKFold(3, self.random_seed).split(X, y, np.arange(len(X)) if groups is None else groups)
            )
            self.cv_mae_ = {mu: self._cv_mae(X, y, folds, mu) for mu in MU_STARS}
            return self._fit(X, y, min(self.cv_mae_, key=self.cv_mae_.get))
        return self._fit(X, y, self.mu_star)

    def _cv_mae(self, X: pd.DataFrame, y: np.ndarray, folds, mu_star: float) -> float:
        """Tc MAE (K) over `folds` (every row in one test fold) of models fitted with `mu_star`."""
        pred, _ = cv.oof(lambda: clone(self).set_params(mu_star=mu_star, fit_mu_star=False), X, y, folds)
        return float(np.abs(pred - y).mean())

    def _fit(self, X: pd.DataFrame, y: np.ndarray, mu_star: float) -> AllenDynesTc:
        # catboost is imported on use (1 s import), as in tcramp.estimators
        from catboost import CatBoostRegressor

        ok = valid_omega(X)
        if not ok.any():
            raise ValueError(f"no training material has a finite positive {OMEGA_LOG}")
        self.n_skipped_ = int((~ok).sum())
        w, w2 = _omegas(X[ok])
        lam = coupling(y[ok], w, mu_star, w2)
        self.model_ = CatBoostRegressor(
            iterations=self.iterations,
            depth=self.depth,
            learning_rate=self.learning_rate,
            random_seed=self.random_seed,
            thread_count=self.thread_count,
            verbose=False,
            allow_writing_files=False,
        )
        self.model_.fit(X[ok].to_numpy(np.float32), np.log(lam))
        self.mu_star_ = mu_star
        return self

    def _tc(self, X: pd.DataFrame) -> np.ndarray:
        lam = np.exp(self.model_.predict(X.to_numpy(np.float32)))
        w, w2 = _omegas(X)
        return np.where(valid_omega(X), allen_dynes(lam, w, self.mu_star_, w2), 0.0)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Tc (K) of each row of X; 0 where `valid_omega` is False."""
        check_is_fitted(self, "model_")
        X = _features(X)
        missing = [c for c in self.feature_names_in_ if c not in X]
        if missing:
            raise ValueError(f"X lacks the training columns {missing[:5]}{' ...' if len(missing) > 5 else ''}")
        return self._tc(X[list(self.feature_names_in_)])


def _features(X: pd.DataFrame) -> pd.DataFrame:
    """X as float64 with ±inf as NaN; refuses a frame without `ph_omega_log` or with text columns."""
    if not isinstance(X, pd.DataFrame) or OMEGA_LOG not in X:
        raise ValueError(f"AllenDynesTc needs a DataFrame with the column {OMEGA_LOG!r} (meV)")
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if text:
        raise ValueError(f"AllenDynesTc takes numeric columns only; non-numeric: {text}")
    return X.astype(float).replace([np.inf, -np.inf], np.nan)


def _omegas(X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    """(ω_log, ω̄₂ or None when X has no `ph_omega_2`) in meV."""
    return X[OMEGA_LOG].to_numpy(float), X[OMEGA_2].to_numpy(float) if OMEGA_2 in X else None
