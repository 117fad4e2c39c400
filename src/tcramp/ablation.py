"""Which inputs carry Tc: feature-group ablations scored on one set of grouped folds.

Every configuration is a set of feature groups (`tcramp.groups`): each group alone, Magpie plus
each group, all of them, and all minus each. The Tc regressor (`CatBoostTc`, material-level
inputs) runs every configuration; the snapshot classifier (P(SC | inputs, T), Tc at 50 %) runs
the few in `AblationConfig.classifier`; the Allen–Dynes head (`tcramp.allen_dynes`: log λ
regressed, ω_log and ω̄₂ from the MLFF phonons, μ* = 0.10 or fitted) runs on all groups, trained on every
class and on the conventional class `Other` alone. Baselines on the same folds: Magpie random
forest (`magpie-rf`) and CatBoost (`reg:magpie`), the training mean and median, and zero.

Scores: MAE, RMSE and R² per fold on five slices (overall, Tc > 10 K, Tc < 30 K, cuprates,
the conventional class `Other`), summarised as mean ± std over folds; each method's per-fold MAE
difference to Magpie-RF, Magpie-CatBoost and Magpie + contrast (`PAIRED`) on each slice is the
paired test of a gain (real when |mean| > its std).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import cv, render
from .allen_dynes import AllenDynesTc
from .estimators import MLPSC, CatBoostSC, CatBoostTc
from .groups import GROUPS, RAMP_GROUPS, columns, material_columns, material_view, prepare
from .ramp import RampConfig
from .splits import leakage_groups

__all__ = ["AblationConfig", "Spec", "ablation", "by_stage", "configurations", "specs", "write", "write_readme_table"]

MATERIAL_GROUPS = tuple(g for g in GROUPS if g != "temperature")
COMPOSITION = ("magpie-rf", "reg:magpie", "reg-log:magpie")  # reg:magpie is the Magpie-CatBoost baseline
PAIRED = ("magpie-rf", "reg:magpie", "reg:magpie+contrast")  # every method's paired Δ is against these


@dataclass
class AblationConfig:
    """What `ablation` runs. `regressor`: CatBoostTc parameters, kept light (depth 4, 32 borders:
    ~6× faster than CatBoost's defaults on the 400 material-level columns) so the whole ablation
    fits the default `tcramp evaluate`; `classifier`: group sets the snapshot classifier is scored
    on (temperature added to each); `log_target`: group sets the regressor also fits on log1p(Tc);
    `mlp`: a searched MLP classifier (`{"params": ..., "features": "g1,g2"}`, the JSON of
    `tcramp search --model mlp --best`), scored on its own groups when given."""

    folds: int = 5
    seed: int = 0
    regressor: dict = field(
        default_factory=lambda: {"iterations": 300, "depth": 4, "learning_rate": 0.08, "border_count": 32}
    )
    classifier_params: dict = field(default_factory=lambda: {"iterations": 300, "depth": 6, "border_count": 32})
    classifier: tuple[tuple[str, ...], ...] = (("magpie",), ("magpie", "latent"), MATERIAL_GROUPS)
    log_target: tuple[tuple[str, ...], ...] = (("magpie",), MATERIAL_GROUPS)
    mlp: dict | None = None


def configurations(groups: tuple[str, ...] = MATERIAL_GROUPS) -> dict[str, tuple[str, ...]]:
    """Label → group set: each group alone, magpie + each, all, all minus each."""
    out = {g: (g,) for g in groups}
    out.update({f"magpie+{g}": ("magpie", g) for g in groups if g != "magpie"})
    out["all"] = tuple(groups)
    out.update({f"all-{g}": tuple(x for x in groups if x != g) for g in groups})
    return out


def _label(groups: tuple[str, ...]) -> str:
    return "all" if set(groups) == set(MATERIAL_GROUPS) else "+".join(groups)


def _slices(pred: pd.DataFrame) -> dict[str, np.ndarray]:
    tc = pred["tc_true"].to_numpy()
    return {
        "overall": np.ones(len(pred), bool),
        "tc>10": tc > 10,
        "tc<30": tc < 30,
        "cuprate": (pred["sc_class"] == "Cuprate").to_numpy(),
        "other": (pred["sc_class"] == "Other").to_numpy(),
    }


@dataclass(frozen=True)
class Spec:
    """One method of the ablation beyond the baselines: `make` gives a fresh estimator fitted on
    each fold. `level`: `material` (`material_view` columns of `groups` as a float32 array),
    `frame` (the same as a DataFrame, for `AllenDynesTc`) or `snapshot` (a classifier on snapshot
    rows of `groups`, Tc from each held-out P(SC | T) curve). `train_class`: train on the
    materials of this `sc_class` only."""

    label: str
    family: str
    groups: tuple[str, ...]
    make: Callable
    level: str = "material"
    train_class: str | None = None


def specs(present: tuple[str, ...], cfg: AblationConfig, mat: pd.DataFrame, folds, snapshots: bool) -> list[Spec]:
    """The ablation's methods on the `present` groups, in run order: the regressor on every
    configuration and on `cfg.log_target`'s with a log1p target, the Allen–Dynes heads (with
    phonons; trained on class Other when every fold holds ≥ 10 of it) and, on `snapshots`, the
    classifier on `cfg.classifier`'s and the searched MLP classifier of `cfg.mlp`."""

    def reg(**kw):
        return lambda: CatBoostTc(**cfg.regressor, **kw, random_seed=cfg.seed)

    def ad():
        return AllenDynesTc(random_seed=cfg.seed)

    def ad_fitted():
        return AllenDynesTc(fit_mu_star=True, random_seed=cfg.seed)

    def clf():
        return CatBoostSC(**cfg.classifier_params, random_seed=cfg.seed)

    def mlp():
        return MLPSC(**{k: v for k, v in cfg.mlp["params"].items() if k != "random_seed"}, random_seed=cfg.seed)

    def keep(groups):
        return tuple(g for g in groups if g in present)

    out = [Spec(f"reg:{label}", "regressor", g, reg()) for label, g in configurations(present).items()]
    out += [
        Spec(f"reg-log:{_label(keep(g))}", "regressor (log1p target)", keep(g), reg(log_target=True))
        for g in cfg.log_target
    ]
    if "phonon" in present:
        out.append(Spec("allen-dynes:all", "Allen–Dynes (λ regressed, μ* 0.10)", present, ad, "frame"))
        family = "Allen–Dynes (λ regressed, μ* of 0.08–0.16 by inner grouped CV)"
        out.append(Spec("allen-dynes:all (μ* fitted)", family, present, ad_fitted, "frame"))
        other = (mat["sc_class"] == "Other").to_numpy()
        if all(other[tr].sum() >= 10 for tr, _ in folds):  # the head's own domain: conventional superconductors
            family = "Allen–Dynes (λ regressed on class Other only, μ* 0.10)"
            out.append(Spec("allen-dynes:all (trained on Other)", family, present, ad, "frame", "Other"))
    for g in cfg.classifier if snapshots else ():
        out.append(Spec(f"clf:{_label(keep(g))}+T", "classifier", (*keep(g), "temperature"), clf, "snapshot"))
    if snapshots and cfg.mlp:
        g = keep(tuple(cfg.mlp["features"].split(",")))
        out.append(Spec(f"clf-mlp:{_label(g)}+T", "MLP classifier (searched)", (*g, "temperature"), mlp, "snapshot"))
    return out


def _run(spec: Spec, snap: pd.DataFrame, mat: pd.DataFrame, folds, config: RampConfig) -> np.ndarray:
    """Out-of-fold Tc (K) of `spec` per material of `mat`."""
    if spec.level == "snapshot":
        tc = cv.curve_oof(spec.make, snap, columns(snap, spec.groups), folds, config)[0]
        return tc.set_index("name")["tc50"].reindex(mat["name"]).to_numpy()
    if spec.train_class:
        ok = (mat["sc_class"] == spec.train_class).to_numpy()
        folds = [(tr[ok[tr]], te) for tr, te in folds]
    X = mat[material_columns(snap, spec.groups)]
    if spec.level == "frame":  # the Allen–Dynes head: leakage groups for its inner μ* CV
        return cv.oof(spec.make, X, mat["tc"].to_numpy(float), folds, leakage_groups(mat))[0]
    return cv.oof(spec.make, X.to_numpy(np.float32), mat["tc"].to_numpy(float), folds)[0]


def ablation(
    snap: pd.DataFrame,
    config: RampConfig,
    cfg: AblationConfig = AblationConfig(),
    log=print,
    base: pd.DataFrame | None = None,
) -> tuple[dict, pd.DataFrame]:
    """Score the baselines (`tcramp.cv.baselines`, or `base` when already fitted on these folds)
    and every method of `specs` on the same grouped folds of `snap`'s materials.

    Returns the summary (per method: groups, family, per-slice mean/std of MAE, RMSE, R² over
    folds, paired MAE difference to Magpie-RF, minutes) and the out-of-fold predictions (one row
    per material, one column per method)."""
    t0 = time.perf_counter()
    snap = prepare(snap.reset_index(drop=True), MATERIAL_GROUPS)
    present = tuple(g for g in MATERIAL_GROUPS if GROUPS[g].columns(snap))
    mat, _ = material_view(snap, present, config)
    folds = cv.material_folds(snap, cfg.folds, cfg.seed)  # the folds of `tcramp.evaluate`
    fold_of = np.empty(len(mat), int)
    for i, (_, te) in enumerate(folds):
        fold_of[te] = i
    pred = pd.DataFrame({"name": mat["name"], "tc_true": mat["tc"].to_numpy(float), "sc_class": mat["sc_class"]})
    pred["fold"] = fold_of
    log(f"ablation: {len(mat)} materials, groups {', '.join(present)}")
    info: dict[str, dict] = {}
    for label in cv.BASELINES:
        start = time.perf_counter()
        fitted = cv.baselines(mat, folds, cfg.seed, [label]) if base is None else base.loc[mat["name"]]
        pred[label] = fitted[label].to_numpy()
        groups = ["magpie"] if label == "magpie-rf" else []
        info[label] = {"family": "baseline", "groups": groups, "minutes": (time.perf_counter() - start) / 60}
    for spec in specs(present, cfg, mat, folds, "T_target" in snap):
        log(f"{spec.family}: {spec.label}")
        start = time.perf_counter()
        pred[spec.label] = _run(spec, snap, mat, folds, config)
        info[spec.label] = {
            "family": spec.family,
            "groups": list(spec.groups),
            "minutes": (time.perf_counter() - start) / 60,
        }
    summary = _summarise(pred, info, cfg.folds)
    meta = {"materials": len(mat), "folds": cfg.folds, "seed": cfg.seed, "groups": list(present), "config": asdict(cfg)}
    summary["_meta"] = {**meta, "minutes": (time.perf_counter() - t0) / 60, **_ratios(summary)}
    return summary, pred


def by_stage(
    tables: dict[str, pd.DataFrame],
    config: RampConfig,
    cfg: AblationConfig = AblationConfig(),
    log=print,
    base: dict[str, pd.DataFrame] | None = None,
) -> tuple[dict, pd.DataFrame]:
    """`ablation` on each table of `tables` (label → the materials holding a stage, e.g.
    "relaxed" → every material with a relaxation, "samples" → the fewer with thermal samples),
    each with its own folds and baselines (`base`: label → those already fitted), so every
    comparison is paired on shared materials. Returns label → summary and the predictions of
    all, with a `set` column."""
    out, preds = {}, []
    for label, table in tables.items():
        log(f"ablation on the {table['name'].nunique()} materials holding the {label} stage")
        out[label], pred = ablation(table, config, cfg, log, (base or {}).get(label))
        preds.append(pred.assign(set=label))
    return out, pd.concat(preds, ignore_index=True)


def _summarise(pred: pd.DataFrame, info: dict, folds: int) -> dict:
    """Per method and slice: N, mean and std over folds of MAE, RMSE and R², and the paired
    per-fold MAE difference to each reference of `PAIRED` present (`vs`); `vs_magpie_rf` overall."""
    slices = _slices(pred)
    y = pred["tc_true"].to_numpy()
    fold = [(pred["fold"] == f).to_numpy() for f in range(folds)]
    refs = [r for r in PAIRED if r in pred]
    out = {}
    for method, meta in info.items():
        p = pred[method].to_numpy()
        res = {**meta}
        for s, mask in slices.items():
            per_fold = [cv.scores(p[mask & f], y[mask & f]) for f in fold]
            res[s] = {
                "n": int(mask.sum()),
                **{f"{k}_mean": float(np.nanmean([d[k] for d in per_fold])) for k in ("mae", "rmse", "r2")},
                **{f"{k}_std": float(np.nanstd([d[k] for d in per_fold])) for k in ("mae", "rmse", "r2")},
                "vs": {r: _paired(p, pred[r].to_numpy(), y, [mask & f for f in fold]) for r in refs},
            }
        res["vs_magpie_rf"] = res["overall"]["vs"]["magpie-rf"]
        out[method] = res
    return out


def _paired(p: np.ndarray, ref: np.ndarray, y: np.ndarray, folds: list[np.ndarray]) -> dict:
    """Mean and std over folds of MAE(p) − MAE(ref) on each fold's held-out rows (K)."""
    diff = [float(np.abs(p[f] - y[f]).mean() - np.abs(ref[f] - y[f]).mean()) for f in folds if f.any()]
    return {"mean": float(np.mean(diff)), "std": float(np.std(diff))} if diff else {"mean": np.nan, "std": np.nan}


def _ratios(summary: dict) -> dict:
    """Best method using a ramp-derived group over Magpie-RF and over the best composition-only
    model (overall MAE), with the std over folds of the per-fold ratio."""
    ramp = {m: v for m, v in summary.items() if not m.startswith("_") and set(v["groups"]) & set(RAMP_GROUPS)}
    comp = {m: v for m, v in summary.items() if m in COMPOSITION}
    best = min(ramp, key=lambda m: ramp[m]["overall"]["mae_mean"])
    best_comp = min(comp, key=lambda m: comp[m]["overall"]["mae_mean"])
    return {
        "best_ramp": best,
        "best_composition": best_comp,
        "ratio_vs_magpie_rf": ramp[best]["overall"]["mae_mean"] / summary["magpie-rf"]["overall"]["mae_mean"],
        "ratio_vs_composition": ramp[best]["overall"]["mae_mean"] / comp[best_comp]["overall"]["mae_mean"],
    }


def _per_fold_ratio(pred: pd.DataFrame, a: str, b: str) -> tuple[float, float]:
    r = [np.abs(g[a] - g["tc_true"]).mean() / np.abs(g[b] - g["tc_true"]).mean() for _, g in pred.groupby("fold")]
    return float(np.mean(r)), float(np.std(r))


def write(summaries: dict, pred: pd.DataFrame, out: str | Path) -> Path:
    """Write `ablation.json` (label → summary of `by_stage`, with per-fold ratio spreads),
    `ablation.csv` (out-of-fold predictions) and `ablation.md` (the tables) into `out`; returns
    the JSON's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for label, summary in summaries.items():
        meta, p = summary["_meta"], pred[pred["set"] == label]
        for key, other in (("vs_magpie_rf", "magpie-rf"), ("vs_composition", meta["best_composition"])):
            meta[f"ratio_{key}_folds"] = _per_fold_ratio(p, meta["best_ramp"], other)
    path = out / "ablation.json"
    path.write_text(json.dumps(summaries, indent=1))
    pred.to_csv(out / "ablation.csv", index=False)
    (out / "ablation.md").write_text(render.ablation_table(summaries) + "\n")
    return path


def write_readme_table(readme: str | Path, summaries: dict, block: str = "ablation") -> None:
    """Replace the README's ablation tables (between the `block` markers) with `summaries`'."""
    render.write_block(readme, block, render.ablation_table(summaries))
