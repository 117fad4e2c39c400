"""Honest evaluation: every method on the same leakage-free splits, Tc error on held-out materials.

Methods (each gets the same train/test materials in every split):
- `ramp-catboost`, `ramp-mlp`: the snapshot classifiers, Tc where the held-out material's
  base-grid P(SC | T) curve crosses 50 % (60/70 % reported too);
- `magpie-rf`: Magpie composition features (matminer) + random forest regression of Tc, the
  Stanev 2018 / JARVIS baseline; `magpie-catboost`: the same features with CatBoost;
- `ground-latent`: CatBoost regression of Tc from the ground-state latent (the 2 K snapshot);
- `mean`, `median`, `zero`: the training materials' mean and median Tc, and 0 K (where most
  Tcs sit near 0, MAE rewards predicting 0: every model must beat these).

Splits: grouped k-fold CV (`tcramp.splits`), plus experiments: extrapolation (train on
Tc < the given quantile), leave-one-class-out and leave-one-element-out.

Threshold calibration (`ramp-*@cal`): each CV fold's Tc is read at the threshold that minimises the
Tc MAE of the *other* folds' held-out materials, so no fold's labels choose its own threshold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Composition

from . import ablation as abl
from .composition import magpie
from .groups import DEFAULT, GROUPS, columns, prepare
from .models import MLPSC, CatBoostSC
from .ramp import RampConfig
from .report import plot_curve
from .splits import leakage_groups, material_folds
from .stages import stage_hash
from .tc import base_grid, curve_tc, tc_summary

__all__ = ["METHODS", "EvalConfig", "evaluate", "materials_table", "metrics", "write_readme_table"]

METHODS = ("ramp-catboost", "ramp-mlp", "magpie-rf", "magpie-catboost", "ground-latent", "mean", "median", "zero")
CONSTANT = ("mean", "median", "zero")
TC_BINS = [0, 1e-9, 10, 30, 77, 1000]
TC_LABELS = ["0", "(0,10]", "(10,30]", "(30,77]", ">77"]
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


def materials_table(snapshots: pd.DataFrame) -> pd.DataFrame:
    """One row per material: identity, Tc, leakage group, elements, Magpie features and the
    ground-state latent (`g_latent_*`: its lowest-temperature snapshot's, or for a table of
    materials the relaxed cell's at rest)."""
    if "T_target" in snapshots:
        first = snapshots.sort_values(["name", "T_target"]).groupby("name", sort=True).head(1)
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


def _regress(kind: str, X_train, y_train, X_test, seed: int) -> np.ndarray:
    if kind == "rf":
        from sklearn.ensemble import RandomForestRegressor

        model = RandomForestRegressor(n_estimators=300, min_samples_leaf=1, n_jobs=-1, random_state=seed)
    else:
        from catboost import CatBoostRegressor

        model = CatBoostRegressor(iterations=600, depth=6, random_seed=seed, verbose=False, allow_writing_files=False)
    return np.clip(model.fit(X_train, y_train).predict(X_test), 0, None)


def run_split(
    snap: pd.DataFrame,
    mat: pd.DataFrame,
    train: set[str],
    test: set[str],
    cfg: EvalConfig,
    methods=METHODS,
    config=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train every method on the `train` materials and predict the `test` ones.

    Returns per-test-material predictions (columns `tc_true`, one per method, and `ramp-*@60/70`)
    and the out-of-sample snapshot probabilities of the ramp classifiers."""
    tr, te = snap["name"].isin(train).to_numpy(), snap["name"].isin(test).to_numpy()
    mtr, mte = mat[mat["name"].isin(train)], mat[mat["name"].isin(test)].set_index("name")
    out = pd.DataFrame(index=mte.index)
    out["tc_true"] = mte["tc"]
    cols = columns(snap, cfg.groups)
    X, y = snap[cols].to_numpy(np.float32), snap["superconducting"].to_numpy(bool)
    groups = leakage_groups(snap)
    fit = tr if cfg.dense else tr & base_grid(snap, config)
    proba = pd.DataFrame(index=np.flatnonzero(te))
    proba["name"] = snap["name"].to_numpy()[te]
    proba["superconducting"] = y[te]
    for method, est in (
        ("ramp-catboost", CatBoostSC(**cfg.catboost, random_seed=cfg.seed)),
        ("ramp-mlp", MLPSC(**cfg.mlp, random_seed=cfg.seed)),
    ):
        if method not in methods:
            continue
        est.fit(X[fit], y[fit], groups=groups[fit])
        p = est.predict_proba(X[te])[:, 1]
        proba[method] = p
        tc = curve_tc(snap[te].reset_index(drop=True), p, config, CAL_THRESHOLDS).set_index("name")
        out[method] = tc["tc50"]
        for th in CAL_THRESHOLDS:
            if th != 0.5:
                out[f"{method}@{round(th * 100)}"] = tc[f"tc{round(th * 100)}"]
    mag = [c for c in mat if c.startswith("magpie_")]
    ok_tr, ok_te = mtr[mag].notna().all(axis=1), mte[mag].notna().all(axis=1)
    for method, kind in (("magpie-rf", "rf"), ("magpie-catboost", "cb")):
        if method in methods and ok_tr.any() and ok_te.all():
            out[method] = _regress(kind, mtr.loc[ok_tr, mag], mtr.loc[ok_tr, "tc"], mte[mag], cfg.seed)
    if "ground-latent" in methods:
        g = [c for c in mat if c.startswith("g_latent_")]
        out["ground-latent"] = _regress("cb", mtr[g], mtr["tc"], mte[g], cfg.seed)
    for method, value in (("mean", mtr["tc"].mean()), ("median", mtr["tc"].median()), ("zero", 0.0)):
        if method in methods:
            out[method] = value
    return out, proba


def metrics(pred: pd.DataFrame, truth: pd.Series) -> dict:
    """MAE, RMSE, R² and count of one prediction column."""
    ok = pred.notna()
    e = (pred[ok] - truth[ok]).to_numpy()
    var = float(((truth[ok] - truth[ok].mean()) ** 2).mean())
    mse = float((e**2).mean()) if len(e) else float("nan")
    return {
        "n": int(ok.sum()),
        "mae": float(np.abs(e).mean()) if len(e) else float("nan"),
        "rmse": float(np.sqrt(mse)),
        "r2": float(1 - mse / var) if var > 0 else float("nan"),
    }


def _breakdown(res: pd.DataFrame, mat: pd.DataFrame, methods) -> dict:
    m = mat.set_index("name").loc[res.index]
    slices = {
        "overall": pd.Series(True, index=res.index),
        **{f"class={c}": m["sc_class"] == c for c in sorted(m["sc_class"].unique())},
        **{
            f"tc_bin={lab}": pd.Series(
                pd.cut(res["tc_true"], TC_BINS, labels=TC_LABELS, include_lowest=True) == lab, index=res.index
            )
            for lab in TC_LABELS
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
        bins = np.minimum((p * 10).astype(int), 9)
        ece = sum(
            abs(y[bins == b].mean() - p[bins == b].mean()) * (bins == b).mean() for b in range(10) if (bins == b).any()
        )
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
    materials: pd.DataFrame | None = None,
    weights: str | None = None,
) -> dict:
    """Run the CV of the snapshot table `snap` (`tcramp.snapshots.read_snapshots`), the
    feature-group ablation (`tcramp.ablation.by_stage`, unless `cfg.ablation` is None: on
    `snap`'s materials and, when given, on `materials`, a larger table of materials holding an
    earlier stage, e.g. `read_materials(stage="relaxed")`) and the experiments; write
    `metrics.json`, `predictions.csv`, `ablation.*`, plots and `summary.md` into `out`. Returns
    the metrics dictionary.

    `config` and `weights` are the build's (`tcramp.snapshots.read_config`/`read_weights`;
    default settings when omitted), checked against the rows' stage hash."""
    config = config or RampConfig()
    for table in (snap, materials):
        if table is None:
            continue
        stage, backend = str(table["stage"].iloc[0]), str(table["backend"].iloc[0])
        built = set(table["ramp_hash"])
        if built != {stage_hash(config, stage, backend, weights)}:
            raise ValueError(
                f"{stage} settings {stage_hash(config, stage, backend, weights)} differ from the rows' "
                f"{', '.join(sorted(built))}; pass the build's settings (tcramp.snapshots.read_config)"
            )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    snap = snap.reset_index(drop=True)
    mat = materials_table(snap)
    lacking = mat.loc[mat.filter(like="magpie_").isna().all(axis=1), "name"]
    if len(lacking):  # the Magpie baselines would be dropped
        raise ValueError(
            f"{len(lacking)} materials have no Magpie features (no or bad formula), e.g. {lacking.iloc[0]}"
        )
    snap = prepare(snap, cfg.groups)
    log(f"{len(mat)} materials, {len(snap)} snapshots, {mat['group'].nunique()} leakage groups")
    folds = material_folds(snap, cfg.folds, cfg.seed)
    parts, probas = [], []
    for i, (tr, te) in enumerate(folds):
        log(f"CV fold {i + 1}/{cfg.folds}")
        res, pr = run_split(snap, mat, set(mat["name"].iloc[tr]), set(mat["name"].iloc[te]), cfg, config=config)
        parts.append(res.assign(fold=i))
        probas.append(pr)
    cv, proba = pd.concat(parts), pd.concat(probas)
    chosen = _calibrate(cv)
    methods = [m for m in METHODS if m in cv]
    result: dict = {
        "n_materials": len(mat),
        "n_snapshots": len(snap),
        "folds": cfg.folds,
        "backend": str(snap["backend"].iloc[0]),
        "cv": _breakdown(cv, mat, methods),
        "thresholds": {
            f"{m}@{t}": metrics(cv[f"{m}@{t}" if t != 50 else m], cv["tc_true"])
            for m in RAMP
            if m in cv
            for t in (50, 60, 70, "cal")
        },
        "calibrated_thresholds": chosen,
        "features": {"groups": list(cfg.groups), "dense": cfg.dense},
        "classifier": _classifier_metrics(proba),
    }
    overall = result["cv"]["overall"]
    if "ramp-catboost" in overall and "magpie-rf" in overall:
        best = min((overall[m]["mae"], m) for m in ("ramp-catboost", "ramp-mlp") if m in overall)
        result["ratio_ramp_vs_magpie_rf"] = best[0] / overall["magpie-rf"]["mae"]
        result["ratio_method"] = best[1]
    cv.to_csv(out / "predictions.csv")
    if cfg.ablation:
        sets = {str(materials["stage"].iloc[0]): materials} if materials is not None else {}
        table, pred = abl.by_stage({**sets, "samples": snap}, config, cfg.ablation, log)
        abl.write(table, pred, out)
        result["ablation"] = table
    result["experiments"] = _experiments(snap, mat, cfg, config, log)
    result["high_error"] = _high_error(cv, mat, cfg.worst)
    (out / "metrics.json").write_text(json.dumps(result, indent=1))
    _plots(cv, proba, snap, mat, cfg, out, config)
    (out / "summary.md").write_text(summary(result))
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
        res, _ = run_split(snap, mat, names - held, test, cfg, methods=ramp_only, config=config)
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


def _plots(cv, proba, snap, mat, cfg, out: Path, config) -> None:
    methods = [m for m in METHODS if m in cv and m not in CONSTANT]
    from matplotlib.figure import Figure  # heavy: only for plots

    fig = Figure(figsize=(3.2 * len(methods), 3.3), dpi=110)
    axes = fig.subplots(1, len(methods), squeeze=False)
    hi = float(max(cv[["tc_true", *methods]].max().max(), 1.0)) * 1.05
    for ax, m in zip(axes[0], methods):
        ax.scatter(cv["tc_true"], cv[m], s=5, alpha=0.4)
        ax.plot([0, hi], [0, hi], "k--", lw=0.8)
        mae = np.abs(cv[m] - cv["tc_true"]).mean()
        ax.set(
            title=f"{m}\nMAE {mae:.1f} K", xlabel="true Tc (K)", ylabel="predicted Tc (K)", xlim=(0, hi), ylim=(0, hi)
        )
    fig.tight_layout()
    fig.savefig(out / "parity.png")

    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 4), dpi=110)
    ax = fig.subplots()
    for m in ("ramp-catboost", "ramp-mlp"):
        if m not in proba:
            continue
        p, y = proba[m].to_numpy(), proba["superconducting"].to_numpy(bool)
        bins = np.minimum((p * 10).astype(int), 9)
        xs = [p[bins == b].mean() for b in range(10) if (bins == b).any()]
        ys = [y[bins == b].mean() for b in range(10) if (bins == b).any()]
        ax.plot(xs, ys, "o-", label=m)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set(xlabel="predicted P(SC)", ylabel="observed fraction SC", title="reliability (snapshots)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "reliability.png")

    for name in [n for n in cfg.curves if n in set(proba["name"])]:
        sub = proba[proba["name"] == name]
        rows = snap.loc[sub.index]
        keep = base_grid(rows, config)
        p = sub.loc[keep, "ramp-catboost"].to_numpy()
        t = rows.loc[keep, "T_target"].to_numpy()
        rec = {
            "name": name,
            "temperatures": t.tolist(),
            "p_mean": p.tolist(),
            "p_low": p.tolist(),
            "p_high": p.tolist(),
            **tc_summary(t, p[None, :]),
        }
        plot_curve(rec, out / f"curve-{name[:60]}.png", tc_true=float(rows["tc"].iloc[0]))


def summary(result: dict) -> str:
    """The Markdown summary of a `metrics.json` (its first table is the README's results table)."""
    lines = [
        f"# Evaluation ({result['n_materials']} materials, {result['n_snapshots']} snapshots, "
        f"{result['backend']}, grouped {result['folds']}-fold CV)",
        "",
        results_table(result),
        "",
    ]
    if "ratio_ramp_vs_magpie_rf" in result:
        r = result["ratio_ramp_vs_magpie_rf"]
        verdict = "meets" if r <= 0.8 else "misses"
        lines += [
            f"Ratio of the best ramp method ({result['ratio_method']}) to Magpie-RF Tc MAE: **{r:.2f}** "
            f"({verdict} the ≤ 0.8 goal).",
            "",
        ]
    if "ablation" in result:
        lines += ["## Feature-group ablation", "", abl.ablation_table(result["ablation"]), ""]
    feats = result.get("features", {})
    lines += [
        "Ramp classifier inputs: "
        + ", ".join(feats.get("groups", []))
        + ("; trained with the near-Tc snapshots" if feats.get("dense", True) else "; base grid only")
        + ".",
        "",
    ]
    lines += [
        "## Thresholds",
        "",
        "`@cal`: threshold chosen on the other folds (per fold: "
        + "; ".join(f"{m} {v}" for m, v in result.get("calibrated_thresholds", {}).items())
        + ").",
        "",
        "| method | MAE (K) | RMSE (K) |",
        "|---|---|---|",
    ]
    lines += [f"| {k} | {v['mae']:.2f} | {v['rmse']:.2f} |" for k, v in result["thresholds"].items()]
    lines += [
        "",
        "## Classifier (held-out snapshots)",
        "",
        "| method | AUC | accuracy | log-loss | ECE |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {k} | {v['auc']:.3f} | {v['accuracy']:.3f} | {v['log_loss']:.3f} | {v['ece']:.3f} |"
        for k, v in result["classifier"].items()
    ]
    lines += ["", "## Slices (MAE in K)", ""]
    methods = list(result["cv"]["overall"])
    lines += ["| slice | " + " | ".join(methods) + " |", "|---" * (len(methods) + 1) + "|"]
    for k, v in result["cv"].items():
        lines.append(
            f"| {k} (n={next(iter(v.values()))['n']}) | "
            + " | ".join(f"{v[m]['mae']:.1f}" if m in v else "" for m in methods)
            + " |"
        )
    lines += ["", "## Experiments (MAE in K on the held-out materials)", ""]
    exp_methods = ["ramp-catboost", "magpie-rf", "magpie-catboost", "ground-latent", *CONSTANT]
    lines += ["| experiment | n | " + " | ".join(exp_methods) + " |", "|---" * (len(exp_methods) + 2) + "|"]
    for k, v in result["experiments"].items():
        lines.append(
            f"| {k} | {v['n_test']} | " + " | ".join(f"{v[m]['mae']:.1f}" if m in v else "" for m in exp_methods) + " |"
        )
    he = result["high_error"]
    lines += [
        "",
        f"## Highest errors ({he['method']})",
        "",
        f"{he['top_parent_count']} of the {len(he['worst'])} worst share parent {he['top_parent']}; "
        f"{he['share_synth_doped']:.0%} are synth_doped.",
        "",
        "| material | class | true Tc | predicted | parent |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['name']} | {r['sc_class']} | {r['tc_true']:.1f} | {r['tc_pred']:.1f} | {r['parent_id']} |"
        for r in he["worst"][:15]
    ]
    return "\n".join(lines) + "\n"


def results_table(result: dict) -> str:
    """Markdown table: every method's grouped-CV Tc MAE, RMSE and R² (overall)."""
    rows = ["| method | Tc MAE (K) | RMSE (K) | R² | materials |", "|---|---|---|---|---|"]
    for m, v in result["cv"]["overall"].items():
        rows.append(f"| {m} | {v['mae']:.2f} | {v['rmse']:.2f} | {v['r2']:.3f} | {v['n']} |")
    return "\n".join(rows)


BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def write_readme_table(readme: str | Path, result: dict) -> None:
    """Replace the README's results table (between the results markers) with `result`'s."""
    path = Path(readme)
    text = path.read_text()
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    path.write_text(f"{head}{BEGIN}\n{results_table(result)}\n{END}{tail}")
