"""Tc from a P(superconducting | T) curve along a ramp.

P(SC) should fall with temperature; a classifier's points along one ramp are noisy, so the curve
is first made monotone (decreasing isotonic regression; repeated temperatures averaged) and Tc is
where it crosses the threshold, linearly interpolated between the bracketing temperatures.
A curve that never reaches the threshold gives Tc = 0 (`never`); one that never drops below it
gives Tc = T_max (`above`: Tc ≥ T_max). `curve_tc` reads Tc of every material of a snapshot table
from its base-grid curve (`base_grid`: the Tc-independent temperatures a prediction samples).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import isotonic_regression

from .ramp import RampConfig, temperatures

__all__ = ["THRESHOLDS", "TcCrossing", "base_grid", "curve_tc", "monotone", "tc_from_curve", "tc_summary"]

THRESHOLDS = (0.5, 0.6, 0.7)


@dataclass(frozen=True)
class TcCrossing:
    """Tc (K) at one threshold and how it was found: `crossing`, `never` (Tc = 0) or `above`
    (Tc ≥ the ramp's highest temperature, reported as that temperature)."""

    tc: float
    kind: str


def monotone(temperatures: Sequence[float], p: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct temperatures (sorted) and the decreasing isotonic fit of P(SC) over them
    (repeated temperatures are averaged, weighted by count)."""
    t, inverse, counts = np.unique(np.asarray(temperatures, float), return_inverse=True, return_counts=True)
    mean = np.bincount(inverse, weights=np.asarray(p, float), minlength=len(t)) / counts
    return t, np.clip(isotonic_regression(mean, weights=counts.astype(float), increasing=False).x, 0.0, 1.0)


def _crossing(t: np.ndarray, fit: np.ndarray, threshold: float) -> TcCrossing:
    above = fit >= threshold
    if not above.any():
        return TcCrossing(0.0, "never")
    if above.all():
        return TcCrossing(float(t[-1]), "above")
    i = int(np.flatnonzero(above)[-1])  # last point at or above; the fit is monotone
    t0, t1, p0, p1 = t[i], t[i + 1], fit[i], fit[i + 1]
    return TcCrossing(float(t0 + (p0 - threshold) / (p0 - p1) * (t1 - t0)), "crossing")


def tc_from_curve(temperatures: Sequence[float], p: Sequence[float], threshold: float = 0.5) -> TcCrossing:
    """Tc where the monotone fit of P(SC | T) crosses `threshold`."""
    return _crossing(*monotone(temperatures, p), threshold)


def tc_summary(temperatures: Sequence[float], members: np.ndarray, thresholds: Sequence[float] = THRESHOLDS) -> dict:
    """Tc of an ensemble's curves: `members` is (n_members, n_temperatures) of P(SC).

    Returns `tc50`, `tc60`, `tc70` … from the mean curve, `kind` of the first threshold's
    crossing, and the interval `tc_low`/`tc_high`: the range of Tc over every member and threshold.
    """
    members = np.atleast_2d(np.asarray(members, float))
    t, fit = monotone(temperatures, members.mean(axis=0))
    crossings = [_crossing(t, fit, th) for th in thresholds]
    out: dict = {f"tc{round(th * 100)}": c.tc for th, c in zip(thresholds, crossings)}
    out["kind"] = crossings[0].kind
    fits = [monotone(temperatures, m)[1] for m in members]
    spread = [_crossing(t, f, th).tc for f in fits for th in thresholds]
    out["tc_low"], out["tc_high"] = float(min(spread)), float(max(spread))
    return out


def base_grid(df: pd.DataFrame, config: RampConfig) -> np.ndarray:
    """Mask of rows on the Tc-independent base grid (what `predict` samples), dropping the dense
    points a training ramp adds around the known Tc."""
    grid = np.array(temperatures(0.0, config))
    return np.isclose(df["T_target"].to_numpy()[:, None], grid[None, :], atol=1e-6).any(axis=1)


def curve_tc(df: pd.DataFrame, proba: np.ndarray, config: RampConfig, thresholds=THRESHOLDS) -> pd.DataFrame:
    """Per material: true Tc and Tc from its base-grid P(SC) curve at each threshold.

    `proba` is (n_members, n_rows) or (n_rows,)."""
    proba = np.atleast_2d(proba)
    keep = base_grid(df, config)
    rows = []
    for name, idx in df[keep].groupby("name", sort=True).indices.items():
        sub = df[keep].iloc[idx]
        pos = np.flatnonzero(keep)[idx]
        rec = tc_summary(sub["T_target"].to_numpy(), proba[:, pos], thresholds)
        rows.append({"name": name, "tc_true": float(sub["tc"].iloc[0]), **rec})
    return pd.DataFrame(rows)
