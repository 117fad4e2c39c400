"""Honest evaluation: every method on the same leakage-free splits, Tc error on held-out materials.

Methods (each gets the same train/test materials in every split):
- `ramp-catboost`, `ramp-mlp`: the snapshot classifiers, Tc where the held-out material's
  base-grid P(SC | T) curve crosses 50 % (60/70 % reported too);
- `magpie-rf`: Magpie composition features (matminer) + random forest regression of Tc, the
  Stanev 2018 / JARVIS baseline; `magpie-catboost`: the same features with CatBoost;
- `ground-latent`: CatBoost regression of Tc from the ground-state latent (each material's
  `lowest_base_row`: the base grid's first temperature, 1 K by default, not a dense point);
- `mean`, `median`, `zero`: the training materials' mean and median Tc, and 0 K (where most
  Tcs sit near 0, MAE rewards predicting 0: every model must beat these).

Splits: grouped k-fold CV (`tcramp.cv.material_folds`), plus experiments: extrapolation (train
on Tc < the given quantile), leave-one-class-out and leave-one-element-out; every split runs on
`tcramp.cv`, the baselines fitted once per CV fold and shared with the ablation. Running
(`run_folds`), scoring (`score`) and rendering (`tcramp.render`) are separate.

Threshold calibration (`ramp-*@cal`): each CV fold's Tc is read at the threshold that minimises the
Tc MAE of the *other* folds' held-out materials, so no fold's labels choose its own threshold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Composition

from . import ablation as abl
from . import cv, render
from .composition import magpie
from .estimators import MLPSC, CatBoostSC
from .groups import DEFAULT, GROUPS, columns, lowest_base_row, prepare
from .ramp import RampConfig
from .splits import leakage_groups
from .stages import stage_hash
from .tc import base_grid

__all__ = [
    "METHODS",
    "EvalConfig",
    "evaluate",
    "materials_table",
    "metrics",
    "run_folds",
    "score",
    "write_readme_table",
]

METHODS = ("ramp-catboost", "ramp-mlp", "magpie-rf", "magpie-catboost", "ground-latent", "mean", "median", "zero")
CONSTANT = ("mean", "median", "zero")
SLICE_BINS = [0, 1e-9, 10, 30, 77, 1000]
SLICE_LABELS = ["0", "(0,10]", "(10,30]", "(30,77]", ">77"]
CAL_THRESHOLDS = tuple(round(0.3 + 0.05 * i, 2) for i in range(11))  # 0.30 … 0.80
RAMP = ("ramp-catboost", "ramp-mlp")


@dataclass
class EvalConfig:
    """What `evaluate` runs. Classifier settings are kept modest so the default run fits in
    ~20 min on 2 cores. Ramp-classifier inputs: the feature `groups` (`tcramp.groups`); `dense`:
    train on the extra snapshots near each material's Tc too (Tc is always read from the base
    grid)."""

    folds: int = 5
    seed: int = 0
    catboost: dict = field(default_factory=lambda: {"iterations": 400, "depth": 6})
    mlp: dict = field(default_factory=lambda: {"hidden": (128, 64), "dropout": 0.5, "epochs": 60})
    groups: tuple[str, ...] = (*DEFAULT, "temperature")
    dense: bool = True
    ablation: abl.AblationConfig | None = field(default_factory=abl.AblationConfig)
    extrapolation_quantile: float | None = 0.9
    leave_class_out: bool = True
    leave_elements_out: tuple[str, ...] = ("As", "Cu", "Fe")
    curves: tuple[str, ...] = (
        "Bi2Ca1Cu2Sr2O8.195-MP-mp-1218930-synth_doped",
        "Ba2Ca0.8Ce0.2Cu2Tl2O8-MP-mp-6885-synth_doped",
        "Mo6Pb0.1Se8Yb0.9-MP-mp-1103921-synth_doped",
    )
    worst: int = 30


def materials_table(snapshots: pd.DataFrame, config: RampConfig) -> pd.DataFrame:
    """One row per material: identity, Tc, leakage group, elements, Magpie features and the
    ground-state latent (`g_latent_*`: its `lowest_base_row`'s, or for a table of materials the
    relaxed cell's at rest)."""
    if "T_target" in snapshots:
        first = lowest_base_row(snapshots, config)
        lat = GROUPS["latent"].columns(first)
    else:
        first = snapshots.sort_values("name")
        lat = [c for c in GROUPS["relaxed-latent"].columns(first) if c.removeprefix("relaxed_latent_").isdigit()]
    groups = leakage_groups(snapshots)
    group_of = dict(zip(snapshots["name"], groups))
    mat = first[["name", "formula", "tc", "sc_class", "synth_doped", "parent_id"]].reset_index(drop=True)
    mat["group"] = mat["name"].map(group_of)
    comps = [Composition(f) if f else None for f in mat["formula"]]
    mat["elements"] = [" ".join(sorted(e.symbol for e in c.elements)) if c else "" for c in comps]
    latent = pd.DataFrame(first[lat].to_numpy(), columns=[f"g_latent_{c.rsplit('_', 1)[1]}" for c in lat])
    return pd.concat([mat, latent, magpie(mat["formula"])], axis=1)


def _catboost(seed: int):
    from catboost import CatBoostRegressor

    return CatBoostRegressor(iterations=600, depth=6, random_seed=seed, verbose=False, allow_writing_files=False)


def _classifiers(cfg: EvalConfig) -> dict:
    return {
        "ramp-catboost": lambda: CatBoostSC(**cfg.catboost, random_seed=cfg.seed),
        "ramp-mlp": lambda: MLPSC(**cfg.mlp, random_seed=cfg.seed),
    }


# material-level regressors: label → input columns' prefix (in `materials_table`)
REGRESSORS = {"magpie-catboost": "magpie_", "ground-latent": "g_latent_"}


def run_folds(
    snap: pd.DataFrame,
    mat: pd.DataFrame,
    folds,
    cfg: EvalConfig,
    config: RampConfig,
    methods=METHODS,
    base: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Out-of-fold predictions of every method on material folds (indices into `mat`, sorted by
    name; `base`: the baselines' (`tcramp.cv.baselines`) when already fitted on them).

    Returns per held-out material (in fold order) `tc_true`, one column per method, the ramp
    classifiers' Tc at the other calibration thresholds (`ramp-*@NN`) and `fold`; and the ramp
    classifiers' held-out snapshot probabilities."""
    pred = pd.DataFrame({"tc_true": mat["tc"].to_numpy(float)}, index=pd.Index(mat["name"], name="name"))
    rows = snap[["name", "superconducting"]].copy()
    cols, fit, groups = columns(snap, cfg.groups), None if cfg.dense else base_grid(snap, config), leakage_groups(snap)
    for method, make in ((m, f) for m, f in _classifiers(cfg).items() if m in methods):
        tc, rows[method] = cv.curve_oof(
            make, snap, cols, folds, config, fit=fit, groups=groups, thresholds=CAL_THRESHOLDS
        )
        tc = tc.set_index("name")
        pred[method] = tc["tc50"]
        for th in (t for t in CAL_THRESHOLDS if t != 0.5):
            pred[f"{method}@{round(th * 100)}"] = tc[f"tc{round(th * 100)}"]
    wanted = [m for m in cv.BASELINES if m in methods]
    base = cv.baselines(mat, folds, cfg.seed, wanted) if base is None else base
    for method in (m for m in METHODS if m in methods and m not in RAMP):
        p = base[method].to_numpy() if method in cv.BASELINES else _regress(method, mat, folds, cfg.seed)
        if not np.isnan(p).all():
            pred[method] = p
    order = np.concatenate([te for _, te in folds])
    pred = pred.iloc[order].assign(fold=np.concatenate([np.full(len(te), i) for i, (_, te) in enumerate(folds)]))
    held = np.concatenate([te for _, te in cv.row_folds(snap["name"], mat["name"].to_numpy(), folds)])
    return pred, rows.iloc[held]


def _regress(method: str, mat: pd.DataFrame, folds, seed: int) -> np.ndarray:
    X = mat[[c for c in mat if c.startswith(REGRESSORS[method])]].to_numpy(float)
    return cv.material_oof(lambda: _catboost(seed), X, mat["tc"].to_numpy(float), folds)


def metrics(pred: pd.Series, truth: pd.Series) -> dict:
    """MAE, RMSE, R² and count of one prediction column (its missing values left out)."""
    ok = pred.notna()
    return cv.scores(pred[ok], truth[ok])


def _breakdown(res: pd.DataFrame, mat: pd.DataFrame, methods) -> dict:
    m = mat.set_index("name").loc[res.index]
    slices = {
        "overall": pd.Series(True, index=res.index),
        **{f"class={c}": m["sc_class"] == c for c in sorted(m["sc_class"].unique())},
        **{
            f"tc_bin={lab}": pd.Series(
                pd.cut(res["tc_true"], SLICE_BINS, labels=SLICE_LABELS, include_lowest=True) == lab, index=res.index
            )
            for lab in SLICE_LABELS
        },
        "synth_doped": m["synth_doped"].astype(bool),
        "not_synth_doped": ~m["synth_doped"].astype(bool),
        "tc=0": res["tc_true"] == 0,
        "tc>0": res["tc_true"] > 0,
    }
    return {
        k: {meth: metrics(res.loc[s, meth], res.loc[s, "tc_true"]) for meth in methods if meth in res}
        for k, s in slices.items()
        if s.any()
    }


def _classifier_metrics(proba: pd.DataFrame) -> dict:
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    out = {}
    y = proba["superconducting"].to_numpy(bool)
    for method in ("ramp-catboost", "ramp-mlp"):
        if method not in proba:
            continue
        p = np.clip(proba[method].to_numpy(), 1e-6, 1 - 1e-6)
        mean, frac, share = cv.reliability(p, y)
        ece = sum(abs(frac - mean) * share)
        out[method] = {
            "auc": float(roc_auc_score(y, p)),
            "accuracy": float(accuracy_score(y, p > 0.5)),
            "log_loss": float(log_loss(y, p)),
            "ece": float(ece),
        }
    return out


def evaluate(
    snap: pd.DataFrame,
    out: str | Path,
    cfg: EvalConfig = EvalConfig(),
    config: RampConfig | None = None,
    log=print,
    *,
    materials: Sequence[pd.DataFrame] = (),
    weights: str | None = None,
) -> dict:
    """Run the CV of the snapshot table `snap` (`tcramp.snapshots.read_snapshots`), the
    feature-group ablation (`tcramp.ablation.by_stage`, unless `cfg.ablation` is None: on
    `snap`'s materials and on each of `materials`, larger tables of materials holding an earlier
    stage, e.g. `read_materials(stage="relaxed")`) and the experiments; write
    `metrics.json`, `predictions.csv`, `ablation.*`, plots and `summary.md` into `out`. Returns
    the metrics dictionary.

    `config` and `weights` are the build's (`tcramp.snapshots.read_config`/`read_weights`;
    default settings when omitted), checked against the rows' stage hash."""
    config = config or RampConfig()
    for table in (snap, *materials):
        _check(table, config, weights)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    snap = snap.reset_index(drop=True)
    mat = materials_table(snap, config)
    lacking = mat.loc[mat.filter(like="magpie_").isna().all(axis=1), "name"]
    if len(lacking):  # the Magpie baselines would be dropped
        raise ValueError(
            f"{len(lacking)} materials have no Magpie features (no or bad formula), e.g. {lacking.iloc[0]}"
        )
    snap = prepare(snap, cfg.groups)
    log(f"{len(mat)} materials, {len(snap)} snapshots, {mat['group'].nunique()} leakage groups")
    folds = cv.material_folds(snap, cfg.folds, cfg.seed)
    log(f"CV: {cfg.folds} folds")
    base = cv.baselines(mat, folds, cfg.seed)
    pred, proba = run_folds(snap, mat, folds, cfg, config, base=base)
    result = score(pred, proba, mat, cfg) | {"n_snapshots": len(snap), "backend": str(snap["backend"].iloc[0])}
    pred.to_csv(out / "predictions.csv")
    if cfg.ablation:
        sets = {str(t["stage"].iloc[0]): t for t in materials}
        shared = (cfg.ablation.folds, cfg.ablation.seed) == (cfg.folds, cfg.seed)
        tables, preds = abl.by_stage(
            {**sets, "samples": snap}, config, cfg.ablation, log, base={"samples": base} if shared else {}
        )
        abl.write(tables, preds, out)
        result["ablation"] = tables
    result["experiments"] = _experiments(snap, mat, cfg, config, log)
    result["high_error"] = _high_error(pred, mat, cfg.worst)
    (out / "metrics.json").write_text(json.dumps(result, indent=1))
    _plots(pred, proba, snap, cfg, out, config)
    (out / "summary.md").write_text(render.summary(result))
    return result


def _check(table: pd.DataFrame, config: RampConfig, weights: str | None) -> None:
    """Refuse rows built with other settings than `config` and `weights`."""
    stage, backend = str(table["stage"].iloc[0]), str(table["backend"].iloc[0])
    want, built = stage_hash(config, stage, backend, weights), set(table["ramp_hash"])
    if built != {want}:
        raise ValueError(
            f"{stage} settings {want} differ from the rows' {', '.join(sorted(built))}; "
            "pass the build's settings (tcramp.snapshots.read_config)"
        )


def score(pred: pd.DataFrame, proba: pd.DataFrame, mat: pd.DataFrame, cfg: EvalConfig) -> dict:
    """The CV metrics of `run_folds`' predictions: per slice and method, per threshold, the
    calibrated thresholds (adding `ramp-*@cal` to `pred`), the classifiers' and the ratio of the
    best ramp method to Magpie-RF."""
    chosen = _calibrate(pred)
    methods = [m for m in METHODS if m in pred]
    result: dict = {
        "n_materials": len(mat),
        "folds": cfg.folds,
        "cv": _breakdown(pred, mat, methods),
        "thresholds": {
            f"{m}@{t}": metrics(pred[f"{m}@{t}" if t != 50 else m], pred["tc_true"])
            for m in RAMP
            if m in pred
            for t in (50, 60, 70, "cal")
        },
        "calibrated_thresholds": chosen,
        "features": {"groups": list(cfg.groups), "dense": cfg.dense},
        "classifier": _classifier_metrics(proba),
    }
    overall = result["cv"]["overall"]
    if "ramp-catboost" in overall and "magpie-rf" in overall:
        best = min((overall[m]["mae"], m) for m in RAMP if m in overall)
        result["ratio_ramp_vs_magpie_rf"] = best[0] / overall["magpie-rf"]["mae"]
        result["ratio_method"] = best[1]
    return result


def _calibrate(cv: pd.DataFrame) -> dict:
    """Add `ramp-*@cal` columns to `cv`: each fold's Tc at the threshold (of `CAL_THRESHOLDS`) with
    the lowest Tc MAE over the other folds. Returns the chosen threshold per method and fold."""
    chosen = {}
    for m in (m for m in RAMP if m in cv):
        cols = {th: m if th == 0.5 else f"{m}@{round(th * 100)}" for th in CAL_THRESHOLDS}
        cv[f"{m}@cal"] = np.nan
        chosen[m] = []
        for fold in sorted(cv["fold"].unique()):
            other, this = cv["fold"] != fold, cv["fold"] == fold
            mae = {th: float((cv.loc[other, c] - cv.loc[other, "tc_true"]).abs().mean()) for th, c in cols.items()}
            best = min(mae, key=mae.get)
            cv.loc[this, f"{m}@cal"] = cv.loc[this, cols[best]]
            chosen[m].append(best)
    return chosen


def _experiments(snap, mat, cfg: EvalConfig, config, log) -> dict:
    ramp_only = ("ramp-catboost", "magpie-rf", "magpie-catboost", "ground-latent", *CONSTANT)
    exps = {}
    names = set(mat["name"])

    def run(label, test):
        test = set(test)
        # keep whole leakage groups out of training too
        held = set(mat.loc[mat["group"].isin(mat.loc[mat["name"].isin(test), "group"]), "name"])
        if not test or held == names:
            return
        log(f"experiment {label}: {len(test)} test materials")
        split = [(np.flatnonzero(~mat["name"].isin(held)), np.flatnonzero(mat["name"].isin(test)))]
        res, _ = run_folds(snap, mat, split, cfg, config, methods=ramp_only)
        exps[label] = {m: metrics(res[m], res["tc_true"]) for m in ramp_only if m in res}
        exps[label]["n_test"] = len(test)
        exps[label]["train_tc_max"] = float(mat.loc[mat["name"].isin(names - held), "tc"].max())

    if cfg.extrapolation_quantile:
        cut = float(mat["tc"].quantile(cfg.extrapolation_quantile))
        run(f"extrapolation: train Tc < {cut:.1f} K", mat.loc[mat["tc"] >= cut, "name"])
    if cfg.leave_class_out:
        for c in sorted(mat["sc_class"].unique()):
            run(f"leave class out: {c}", mat.loc[mat["sc_class"] == c, "name"])
    for el in cfg.leave_elements_out:
        run(f"leave element out: {el}", mat.loc[mat["elements"].str.split().apply(lambda s, el=el: el in s), "name"])
    return exps


def _high_error(cv: pd.DataFrame, mat: pd.DataFrame, worst: int) -> dict:
    method = "ramp-catboost" if "ramp-catboost" in cv else cv.columns[1]
    m = mat.set_index("name")
    err = (cv[method] - cv["tc_true"]).abs().sort_values(ascending=False).head(worst)
    rows = [
        {
            "name": n,
            "tc_true": float(cv.loc[n, "tc_true"]),
            "tc_pred": float(cv.loc[n, method]),
            "abs_error": float(e),
            "sc_class": m.loc[n, "sc_class"],
            "synth_doped": bool(m.loc[n, "synth_doped"]),
            "parent_id": m.loc[n, "parent_id"],
        }
        for n, e in err.items()
    ]
    parents = pd.Series([r["parent_id"] for r in rows]).value_counts()
    return {
        "method": method,
        "worst": rows,
        "top_parent": parents.index[0] if len(parents) else None,
        "top_parent_count": int(parents.iloc[0]) if len(parents) else 0,
        "share_synth_doped": float(np.mean([r["synth_doped"] for r in rows])) if rows else 0.0,
    }


def _plots(pred: pd.DataFrame, proba: pd.DataFrame, snap: pd.DataFrame, cfg: EvalConfig, out: Path, config) -> None:
    render.parity(pred, [m for m in METHODS if m in pred and m not in CONSTANT], out / "parity.png")
    render.reliability_plot(proba, [m for m in RAMP if m in proba], out / "reliability.png")
    render.curves(proba, snap, cfg.curves, out, config)


def write_readme_table(readme: str | Path, result: dict, block: str = "results") -> None:
    """Replace the README's results table (between the `block` markers) with `result`'s."""
    render.write_block(readme, block, render.results_table(result))
