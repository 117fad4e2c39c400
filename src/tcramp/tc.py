"""Tc from a P(superconducting | T) curve along a ramp.

P(SC) should fall with temperature; a classifier's points along one ramp are noisy, so the curve
is first made monotone (decreasing isotonic regression; repeated temperatures averaged) and Tc is
where it crosses the threshold, linearly interpolated between the bracketing temperatures.
A curve that never reaches the threshold gives Tc = 0 (`never`); one that never drops below it
gives Tc = T_max (`above`: Tc ≥ T_max).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["THRESHOLDS", "TcCrossing", "monotone", "predict_tc", "shipped_model_dir", "tc_from_curve", "tc_summary"]

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
    from scipy.optimize import isotonic_regression

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


def shipped_model_dir():
    """The model that ships inside the package."""
    from importlib import resources

    return resources.files("tcramp") / "shipped"


def predict_tc(structure, model=None, *, name: str = "structure", device: str = "auto",
               threads: int | None = None) -> dict:
    """Ramp one structure with the model's backend and settings and read Tc off P(SC | T).

    `structure`: a pymatgen Structure, or a path to any file `tcramp.data.read_structure` reads.
    `model`: a `TcModel`, a model directory, or None for the shipped model. Returns a plain record:
    name, tc50/tc60/tc70, kind, tc_low/tc_high, and the curve (`temperatures`, `p_mean`,
    `p_low`, `p_high` over the ensemble members).
    """
    import os
    from dataclasses import replace
    from pathlib import Path

    from .data import read_structure
    from .models import TcModel
    from .ramp import RampConfig
    from .snapshots import ramp_structure

    if not isinstance(model, TcModel):
        model = TcModel.load(model or shipped_model_dir())
    if isinstance(structure, (str, Path)):
        name = name if name != "structure" else Path(structure).stem
        structure = read_structure(structure, name=name)
    config = replace(RampConfig(**model.meta["ramp"]), torch_threads=threads or os.cpu_count() or 1)
    rows = ramp_structure(structure, name=name, config=config, mlff=model.meta["backend"],
                          weights=model.meta.get("weights"), device=device)
    p = model.proba(rows.assign(formula=structure.composition.formula))
    t = rows["T_target"].to_numpy()
    return {
        "name": name,
        **tc_summary(t, p),
        "n_atoms": int(rows["n_atoms"].iloc[0]),
        "temperatures": t.tolist(),
        "p_mean": p.mean(0).tolist(),
        "p_low": p.min(0).tolist(),
        "p_high": p.max(0).tolist(),
    }
