"""Rendering of evaluation and ablation results: Markdown tables, figures, README blocks.

Everything here reads results (`metrics.json`'s dictionary, prediction tables) and writes text or
images; nothing fits a model. `write_block` replaces the text between a README's
`<!-- name:begin -->` and `<!-- name:end -->` markers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .cv import reliability
from .ramp import RampConfig
from .report import plot_curve
from .tc import base_grid, tc_summary

__all__ = [
    "ablation_table",
    "curves",
    "parity",
    "reliability_plot",
    "results_table",
    "summary",
    "write_block",
]

CONSTANT = ("mean", "median", "zero")
EXPERIMENT_METHODS = ("ramp-catboost", "magpie-rf", "magpie-catboost", "ground-latent", *CONSTANT)


def write_block(readme: str | Path, name: str, text: str) -> None:
    """Replace the text between `<!-- {name}:begin -->` and `<!-- {name}:end -->` in `readme`."""
    path = Path(readme)
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    head, rest = path.read_text().split(begin)
    _, tail = rest.split(end)
    path.write_text(f"{head}{begin}\n{text}\n{end}{tail}")


def _figure(**kw):
    from matplotlib.figure import Figure  # heavy: only for plots

    return Figure(**kw)


def parity(pred: pd.DataFrame, methods: list[str], path: Path) -> None:
    """Predicted against true Tc, one panel per method, MAE in the title."""
    fig = _figure(figsize=(3.2 * len(methods), 3.3), dpi=110)
    axes = fig.subplots(1, len(methods), squeeze=False)
    hi = float(max(pred[["tc_true", *methods]].max().max(), 1.0)) * 1.05
    for ax, m in zip(axes[0], methods):
        ax.scatter(pred["tc_true"], pred[m], s=5, alpha=0.4)
        ax.plot([0, hi], [0, hi], "k--", lw=0.8)
        mae = np.abs(pred[m] - pred["tc_true"]).mean()
        ax.set(
            title=f"{m}\nMAE {mae:.1f} K", xlabel="true Tc (K)", ylabel="predicted Tc (K)", xlim=(0, hi), ylim=(0, hi)
        )
    fig.tight_layout()
    fig.savefig(path)


def reliability_plot(proba: pd.DataFrame, methods: list[str], path: Path) -> None:
    """Observed fraction superconducting against predicted P(SC), in tenths."""
    fig = _figure(figsize=(4, 4), dpi=110)
    ax = fig.subplots()
    for m in methods:
        xs, ys, _ = reliability(proba[m].to_numpy(), proba["superconducting"].to_numpy(bool))
        ax.plot(xs, ys, "o-", label=m)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set(xlabel="predicted P(SC)", ylabel="observed fraction SC", title="reliability (snapshots)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def curves(proba: pd.DataFrame, snap: pd.DataFrame, names, out: Path, config: RampConfig) -> None:
    """`curve-<name>.png`: the held-out base-grid P(SC | T) of ramp-catboost for each of `names`."""
    for name in [n for n in names if n in set(proba["name"])]:
        sub = proba[proba["name"] == name]
        rows = snap.loc[sub.index]
        keep = base_grid(rows, config)
        p = sub.loc[keep, "ramp-catboost"].to_numpy()
        t = rows.loc[keep, "T_target"].to_numpy()
        rec = {"name": name, "temperatures": t.tolist(), "p_mean": p.tolist(), "p_low": p.tolist()}
        rec |= {"p_high": p.tolist(), **tc_summary(t, p[None, :])}
        plot_curve(rec, out / f"curve-{name[:60]}.png", tc_true=float(rows["tc"].iloc[0]))


def _rows(header: list[str], rows: list[list]) -> list[str]:
    """A Markdown table's lines."""
    return ["| " + " | ".join(header) + " |", "|---" * len(header) + "|", *("| " + " | ".join(r) + " |" for r in rows)]


def results_table(result: dict) -> str:
    """Markdown table: every method's grouped-CV Tc MAE, RMSE and R² (overall)."""
    rows = [
        [m, f"{v['mae']:.2f}", f"{v['rmse']:.2f}", f"{v['r2']:.3f}", str(v["n"])]
        for m, v in result["cv"]["overall"].items()
    ]
    return "\n".join(_rows(["method", "Tc MAE (K)", "RMSE (K)", "R²", "materials"], rows))


def _head(result: dict) -> list[str]:
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
        lines += ["## Feature-group ablation", "", ablation_table(result["ablation"]), ""]
    feats = result.get("features", {})
    dense = "; trained with the near-Tc snapshots" if feats.get("dense", True) else "; base grid only"
    return lines + ["Ramp classifier inputs: " + ", ".join(feats.get("groups", [])) + dense + ".", ""]


def _thresholds(result: dict) -> list[str]:
    chosen = "; ".join(f"{m} {v}" for m, v in result.get("calibrated_thresholds", {}).items())
    thresholds = [[k, f"{v['mae']:.2f}", f"{v['rmse']:.2f}"] for k, v in result["thresholds"].items()]
    classifier = [
        [k, f"{v['auc']:.3f}", f"{v['accuracy']:.3f}", f"{v['log_loss']:.3f}", f"{v['ece']:.3f}"]
        for k, v in result["classifier"].items()
    ]
    return [
        "## Thresholds",
        "",
        f"`@cal`: threshold chosen on the other folds (per fold: {chosen}).",
        "",
        *_rows(["method", "MAE (K)", "RMSE (K)"], thresholds),
        "",
        "## Classifier (held-out snapshots)",
        "",
        *_rows(["method", "AUC", "accuracy", "log-loss", "ECE"], classifier),
    ]


def _slices(result: dict) -> list[str]:
    methods = list(result["cv"]["overall"])
    slices = [
        [f"{k} (n={next(iter(v.values()))['n']})", *(f"{v[m]['mae']:.1f}" if m in v else "" for m in methods)]
        for k, v in result["cv"].items()
    ]
    exps = [
        [k, str(v["n_test"]), *(f"{v[m]['mae']:.1f}" if m in v else "" for m in EXPERIMENT_METHODS)]
        for k, v in result["experiments"].items()
    ]
    return [
        "",
        "## Slices (MAE in K)",
        "",
        *_rows(["slice", *methods], slices),
        "",
        "## Experiments (MAE in K on the held-out materials)",
        "",
        *_rows(["experiment", "n", *EXPERIMENT_METHODS], exps),
    ]


def _high_error(he: dict) -> list[str]:
    worst = [
        [r["name"], r["sc_class"], f"{r['tc_true']:.1f}", f"{r['tc_pred']:.1f}", str(r["parent_id"])]
        for r in he["worst"][:15]
    ]
    return [
        "",
        f"## Highest errors ({he['method']})",
        "",
        f"{he['top_parent_count']} of the {len(he['worst'])} worst share parent {he['top_parent']}; "
        f"{he['share_synth_doped']:.0%} are synth_doped.",
        "",
        *_rows(["material", "class", "true Tc", "predicted", "parent"], worst),
    ]


def summary(result: dict) -> str:
    """The Markdown summary of a `metrics.json` (its first table is the README's results table)."""
    lines = _head(result) + _thresholds(result) + _slices(result) + _high_error(result["high_error"])
    return "\n".join(lines) + "\n"


def ablation_table(summaries: dict) -> str:
    """Markdown: for each set of materials, per method N, MAE (mean ± std over folds) per slice,
    overall RMSE and R², and the paired MAE difference to Magpie-RF; then the two ratios."""
    return "\n\n".join(_ablation(label, summary) for label, summary in summaries.items())


def _ablation(label: str, summary: dict) -> str:
    meta = summary["_meta"]
    methods = sorted((m for m in summary if not m.startswith("_")), key=lambda m: summary[m]["overall"]["mae_mean"])
    header = ["method", "family", "N", "MAE", "RMSE", "R²", "MAE Tc>10 K", "MAE Tc<30 K", "MAE cuprates"]
    rows = []
    for m in methods:
        v = summary[m]

        def pm(s, k="mae", v=v):
            return f"{v[s][f'{k}_mean']:.2f} ± {v[s][f'{k}_std']:.2f}"

        cells = [pm("overall"), pm("overall", "rmse"), pm("overall", "r2"), pm("tc>10"), pm("tc<30"), pm("cuprate")]
        delta = f"{v['vs_magpie_rf']['mean']:+.2f} ± {v['vs_magpie_rf']['std']:.2f}"
        rows.append([m, v["family"], str(v["overall"]["n"]), *cells, pm("other"), delta])
    r1, s1 = meta.get("ratio_vs_magpie_rf_folds", (meta["ratio_vs_magpie_rf"], float("nan")))
    r2, s2 = meta.get("ratio_vs_composition_folds", (meta["ratio_vs_composition"], float("nan")))
    return "\n".join(
        [
            f"**{meta['materials']} materials holding the {label} stage**: grouped {meta['folds']}-fold CV; "
            "mean ± std over folds (K). Δ: paired per-fold MAE difference to Magpie-RF on the same materials "
            "(a gain is real when |Δ| exceeds its std).",
            "",
            *_rows([*header, "MAE Other", "Δ vs Magpie-RF"], rows),
            "",
            f"Best method with a ramp-derived group: **{meta['best_ramp']}**. "
            f"Ratio of its MAE to Magpie-RF: **{meta['ratio_vs_magpie_rf']:.3f}** (per fold {r1:.3f} ± {s1:.3f}; "
            f"goal ≤ 0.8); to the best composition-only model ({meta['best_composition']}): "
            f"**{meta['ratio_vs_composition']:.3f}** (per fold {r2:.3f} ± {s2:.3f}).",
            *_paired_table(summary, methods),
        ]
    )


PAIRED_SLICES = {"overall": "all", "other": "Other", "tc<30": "Tc<30 K", "tc>10": "Tc>10 K"}


def _paired_table(summary: dict, methods: list[str]) -> list[str]:
    """Markdown lines: each method's paired Δ MAE (mean ± std over folds, K) against Magpie-CatBoost
    and Magpie + contrast on each slice of `PAIRED_SLICES`; none when neither reference ran."""
    refs = [r for r in ("reg:magpie", "reg:magpie+contrast") if r in summary]
    if not refs or "vs" not in summary[refs[0]]["overall"]:
        return []
    header = ["method", *(f"Δ vs {r.removeprefix('reg:')}, {t}" for r in refs for t in PAIRED_SLICES.values())]

    def cell(v: dict) -> str:
        return f"{v['mean']:+.2f} ± {v['std']:.2f}"

    rows = [[m, *(cell(summary[m][s]["vs"][r]) for r in refs for s in PAIRED_SLICES)] for m in methods]
    return ["", "Paired Δ MAE per slice (a gain is real when Δ < 0 by more than its std):", "", *_rows(header, rows)]
