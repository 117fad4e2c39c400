"""Which inputs carry Tc: feature-group ablations scored on one set of grouped folds.

Every configuration is a set of feature groups (`tcramp.groups`): each group alone, Magpie plus
each group, all of them, and all minus each. The Tc regressor (`CatBoostTc`, material-level
inputs) runs every configuration; the snapshot classifier (P(SC | inputs, T), Tc at 50 %) runs
the few in `AblationConfig.classifier`; the Allen–Dynes head (`tcramp.allen_dynes`: log λ
regressed, ω_log and ω̄₂ from the MLFF phonons, μ* = 0.10) runs on all groups, trained on every
class and on the conventional class `Other` alone. Baselines on the same folds: Magpie random
forest (`magpie-rf`) and CatBoost (`reg:magpie`), the training mean and median, and zero.

Scores: MAE, RMSE and R² per fold on five slices (overall, Tc > 10 K, Tc < 30 K, cuprates,
the conventional class `Other`), summarised as mean ± std over folds; each method's per-fold MAE
difference to Magpie-RF is the paired test of a gain (real when |mean| > its std).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .allen_dynes import AllenDynesTc
from .groups import GROUPS, RAMP_GROUPS, columns, material_columns, material_view, prepare
from .models import CatBoostSC, CatBoostTc
from .ramp import RampConfig
from .splits import material_folds
from .tc import curve_tc

__all__ = ["AblationConfig", "ablation", "ablation_table", "by_stage", "configurations", "write_readme_table"]

MATERIAL_GROUPS = tuple(g for g in GROUPS if g != "temperature")
COMPOSITION = ("magpie-rf", "reg:magpie", "reg-log:magpie")  # reg:magpie is the Magpie-CatBoost baseline


@dataclass
class AblationConfig:
    """What `ablation` runs. `regressor`: CatBoostTc parameters, kept light (depth 4, 32 borders:
    ~6× faster than CatBoost's defaults on the 400 material-level columns) so the whole ablation
    fits the default `tcramp evaluate`; `classifier`: group sets the snapshot classifier is scored
    on (temperature added to each); `log_target`: group sets the regressor also fits on log1p(Tc)."""

    folds: int = 5
    seed: int = 0
    regressor: dict = field(
        default_factory=lambda: {"iterations": 300, "depth": 4, "learning_rate": 0.08, "border_count": 32}
    )
    classifier_params: dict = field(default_factory=lambda: {"iterations": 300, "depth": 6, "border_count": 32})
    classifier: tuple[tuple[str, ...], ...] = (("magpie",), ("magpie", "latent"), MATERIAL_GROUPS)
    log_target: tuple[tuple[str, ...], ...] = (("magpie",), MATERIAL_GROUPS)


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


def _scores(pred: np.ndarray, truth: np.ndarray) -> dict:
    e = pred - truth
    var = float(((truth - truth.mean()) ** 2).mean()) if len(truth) else 0.0
    mse = float((e**2).mean()) if len(e) else float("nan")
    return {
        "n": len(e),
        "mae": float(np.abs(e).mean()) if len(e) else float("nan"),
        "rmse": float(np.sqrt(mse)),
        "r2": float(1 - mse / var) if var > 0 else float("nan"),
    }


def _rf(X_train, y_train, X_test, seed: int) -> np.ndarray:
    from sklearn.ensemble import RandomForestRegressor

    model = RandomForestRegressor(n_estimators=300, n_jobs=-1, random_state=seed)
    return np.clip(model.fit(X_train, y_train).predict(X_test), 0, None)


def ablation(
    snap: pd.DataFrame, config: RampConfig, cfg: AblationConfig = AblationConfig(), log=print
) -> tuple[dict, pd.DataFrame]:
    """Score every configuration and baseline on the same grouped folds of `snap`'s materials.

    Returns the summary (per method: groups, family, per-slice mean/std of MAE, RMSE, R² over
    folds, paired MAE difference to Magpie-RF, minutes) and the out-of-fold predictions (one row
    per material, one column per method)."""
    t0 = time.perf_counter()
    snap = prepare(snap.reset_index(drop=True), MATERIAL_GROUPS)
    present = tuple(g for g in MATERIAL_GROUPS if GROUPS[g].columns(snap))
    mat, inputs = material_view(snap, present, config)
    group_cols = {g: material_columns(snap, (g,)) for g in present}
    y = mat["tc"].to_numpy(float)
    folds = material_folds(snap, cfg.folds, cfg.seed)  # the folds of `tcramp.evaluate`
    pred = pd.DataFrame({"name": mat["name"], "tc_true": y, "sc_class": mat["sc_class"]})
    fold_of = np.empty(len(mat), int)
    for i, (_, te) in enumerate(folds):
        fold_of[te] = i
    pred["fold"] = fold_of
    info: dict[str, dict] = {}

    def material_method(label, family, groups, fit_predict):
        start = time.perf_counter()
        out = np.full(len(mat), np.nan)
        for tr, te in folds:
            out[te] = fit_predict(tr, te)
        pred[label] = out
        info[label] = {"family": family, "groups": list(groups), "minutes": (time.perf_counter() - start) / 60}

    def cols(groups):
        return [c for g in groups for c in group_cols[g]]

    X = mat[inputs].to_numpy(np.float32)
    at = {c: i for i, c in enumerate(inputs)}

    def xs(groups):
        return X[:, [at[c] for c in cols(groups)]]

    log(f"ablation: {len(mat)} materials, groups {', '.join(present)}")
    material_method("zero", "baseline", (), lambda tr, te: np.zeros(len(te)))
    material_method("median", "baseline", (), lambda tr, te: np.full(len(te), np.median(y[tr])))
    material_method("mean", "baseline", (), lambda tr, te: np.full(len(te), y[tr].mean()))
    material_method(
        "magpie-rf",
        "baseline",
        ("magpie",),
        lambda tr, te: _rf(xs(("magpie",))[tr], y[tr], xs(("magpie",))[te], cfg.seed),
    )
    for label, groups in configurations(present).items():
        log(f"regressor {label}")
        material_method(
            f"reg:{label}",
            "regressor",
            groups,
            lambda tr, te, g=groups: (
                CatBoostTc(**cfg.regressor, random_seed=cfg.seed).fit(xs(g)[tr], y[tr]).predict(xs(g)[te])
            ),
        )
    for groups in cfg.log_target:
        groups = tuple(g for g in groups if g in present)
        log(f"regressor log1p {_label(groups)}")
        material_method(
            f"reg-log:{_label(groups)}",
            "regressor (log1p target)",
            groups,
            lambda tr, te, g=groups: (
                CatBoostTc(**cfg.regressor, log_target=True, random_seed=cfg.seed)
                .fit(xs(g)[tr], y[tr])
                .predict(xs(g)[te])
            ),
        )
    if "phonon" in present:
        log("Allen–Dynes head")
        frame = mat[inputs]
        material_method(
            "allen-dynes:all",
            "Allen–Dynes (λ regressed, μ* 0.10)",
            present,
            lambda tr, te: AllenDynesTc(random_seed=cfg.seed).fit(frame.iloc[tr], y[tr]).predict(frame.iloc[te]),
        )
        other = (mat["sc_class"] == "Other").to_numpy()
        if all(other[tr].sum() >= 10 for tr, _ in folds):  # the head's own domain: conventional superconductors
            material_method(
                "allen-dynes:all (trained on Other)",
                "Allen–Dynes (λ regressed on class Other only, μ* 0.10)",
                present,
                lambda tr, te: (
                    AllenDynesTc(random_seed=cfg.seed)
                    .fit(frame.iloc[tr[other[tr]]], y[tr[other[tr]]])
                    .predict(frame.iloc[te])
                ),
            )
    names = mat["name"].to_numpy()
    for groups in cfg.classifier if "T_target" in snap else ():
        groups = tuple(g for g in groups if g in present)
        label = f"clf:{_label(groups)}+T"
        log(f"classifier {label}")
        start = time.perf_counter()
        cgroups = (*groups, "temperature")
        ccols = columns(snap, cgroups)
        Xs, ys = snap[ccols].to_numpy(np.float32), snap["superconducting"].to_numpy(bool)
        out = pd.Series(np.nan, index=names)
        for tr, te in folds:
            rows_tr = snap["name"].isin(names[tr]).to_numpy()
            rows_te = snap["name"].isin(names[te]).to_numpy()
            est = CatBoostSC(**cfg.classifier_params, random_seed=cfg.seed).fit(Xs[rows_tr], ys[rows_tr])
            p = est.predict_proba(Xs[rows_te])[:, 1]
            tc = curve_tc(snap[rows_te].reset_index(drop=True), p, config).set_index("name")["tc50"]
            out.loc[tc.index] = tc.to_numpy()
        pred[label] = out.to_numpy()
        info[label] = {"family": "classifier", "groups": list(cgroups), "minutes": (time.perf_counter() - start) / 60}
    summary = _summarise(pred, info, cfg.folds)
    summary["_meta"] = {
        "materials": len(mat),
        "folds": cfg.folds,
        "seed": cfg.seed,
        "groups": list(present),
        "config": asdict(cfg),
        "minutes": (time.perf_counter() - t0) / 60,
        **_ratios(summary),
    }
    return summary, pred


def by_stage(
    tables: dict[str, pd.DataFrame], config: RampConfig, cfg: AblationConfig = AblationConfig(), log=print
) -> tuple[dict, pd.DataFrame]:
    """`ablation` on each table of `tables` (label → the materials holding a stage, e.g.
    "relaxed" → every material with a relaxation, "samples" → the fewer with thermal samples),
    each with its own folds and baselines, so every comparison is paired on shared materials.
    Returns label → summary and the predictions of all, with a `set` column."""
    out, preds = {}, []
    for label, table in tables.items():
        log(f"ablation on the {table['name'].nunique()} materials holding the {label} stage")
        out[label], pred = ablation(table, config, cfg, log)
        preds.append(pred.assign(set=label))
    return out, pd.concat(preds, ignore_index=True)


def _summarise(pred: pd.DataFrame, info: dict, folds: int) -> dict:
    slices = _slices(pred)
    y = pred["tc_true"].to_numpy()
    out = {}
    base = pred["magpie-rf"].to_numpy()
    for method, meta in info.items():
        p = pred[method].to_numpy()
        res = {**meta}
        for s, mask in slices.items():
            per_fold = [
                _scores(p[mask & (pred["fold"] == f).to_numpy()], y[mask & (pred["fold"] == f).to_numpy()])
                for f in range(folds)
            ]
            res[s] = {
                "n": int(mask.sum()),
                **{f"{k}_mean": float(np.nanmean([d[k] for d in per_fold])) for k in ("mae", "rmse", "r2")},
                **{f"{k}_std": float(np.nanstd([d[k] for d in per_fold])) for k in ("mae", "rmse", "r2")},
            }
        diff = [
            float(np.abs(p[f_] - y[f_]).mean() - np.abs(base[f_] - y[f_]).mean())
            for f_ in ((pred["fold"] == f).to_numpy() for f in range(folds))
        ]
        res["vs_magpie_rf"] = {"mean": float(np.mean(diff)), "std": float(np.std(diff))}
        out[method] = res
    return out


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
    (out / "ablation.md").write_text(ablation_table(summaries) + "\n")
    return path


def ablation_table(summaries: dict) -> str:
    """Markdown: for each set of materials, per method N, MAE (mean ± std over folds) per slice,
    overall RMSE and R², and the paired MAE difference to Magpie-RF; then the two ratios."""
    return "\n\n".join(_table(label, summary) for label, summary in summaries.items())


def _table(label: str, summary: dict) -> str:
    meta = summary["_meta"]
    rows = [
        f"**{meta['materials']} materials holding the {label} stage**: grouped {meta['folds']}-fold CV; "
        "mean ± std over folds (K). Δ: paired per-fold MAE difference to Magpie-RF on the same materials "
        "(a gain is real when |Δ| exceeds its std).",
        "",
        "| method | family | N | MAE | RMSE | R² | MAE Tc>10 K | MAE Tc<30 K | MAE cuprates | MAE Other | Δ vs Magpie-RF |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    methods = sorted((m for m in summary if not m.startswith("_")), key=lambda m: summary[m]["overall"]["mae_mean"])
    for m in methods:
        v = summary[m]

        def pm(s, k="mae", v=v):
            return f"{v[s][f'{k}_mean']:.2f} ± {v[s][f'{k}_std']:.2f}"

        rows.append(
            f"| {m} | {v['family']} | {v['overall']['n']} | {pm('overall')} | {pm('overall', 'rmse')} | "
            f"{pm('overall', 'r2')} | {pm('tc>10')} | {pm('tc<30')} | {pm('cuprate')} | {pm('other')} | "
            f"{v['vs_magpie_rf']['mean']:+.2f} ± {v['vs_magpie_rf']['std']:.2f} |"
        )
    r1, s1 = meta.get("ratio_vs_magpie_rf_folds", (meta["ratio_vs_magpie_rf"], float("nan")))
    r2, s2 = meta.get("ratio_vs_composition_folds", (meta["ratio_vs_composition"], float("nan")))
    rows += [
        "",
        f"Best method with a ramp-derived group: **{meta['best_ramp']}**. "
        f"Ratio of its MAE to Magpie-RF: **{meta['ratio_vs_magpie_rf']:.3f}** (per fold {r1:.3f} ± {s1:.3f}; goal ≤ 0.8); "
        f"to the best composition-only model ({meta['best_composition']}): **{meta['ratio_vs_composition']:.3f}** "
        f"(per fold {r2:.3f} ± {s2:.3f}).",
    ]
    return "\n".join(rows)


BEGIN, END = "<!-- ablation:begin -->", "<!-- ablation:end -->"


def write_readme_table(readme: str | Path, summaries: dict) -> None:
    """Replace the README's ablation tables (between the ablation markers) with `summaries`'."""
    path = Path(readme)
    head, rest = path.read_text().split(BEGIN)
    _, tail = rest.split(END)
    path.write_text(f"{head}{BEGIN}\n{ablation_table(summaries)}\n{END}{tail}")
