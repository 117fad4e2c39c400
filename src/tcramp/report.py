"""Figures and pages a person reads: the P(SC | T) curve of a prediction and the static HTML report
(a jinja2 template shipped in the package: `templates/report.html.j2`)."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import jinja2
import numpy as np
import pandas as pd

from .estimators import REGRESSORS
from .models import CV_FILE, MODEL_FILE, ModelMeta

__all__ = [
    "build_report",
    "markdown_html",
    "plot_curve",
    "plot_forest",
    "plot_learning_curve",
    "plot_parity",
    "read_learning_curve",
]


def plot_curve(result: dict, path: str | Path, tc_true: float | None = None) -> Path:
    """PNG of a `predict_tc` record: mean P(SC) with the ensemble band, the 50/60/70 % lines,
    Tc@50 % and its interval (and the known Tc when given)."""
    t = result["temperatures"]
    from matplotlib.figure import Figure  # heavy: only for plots

    fig = Figure(figsize=(6, 3.6), dpi=120)
    ax = fig.subplots()
    ax.fill_between(t, result["p_low"], result["p_high"], color="tab:blue", alpha=0.25, label="ensemble range")
    ax.plot(t, result["p_mean"], "o-", color="tab:blue", ms=3, label="P(SC | T), mean")
    for th, ls in ((0.5, "-"), (0.6, "--"), (0.7, ":")):
        ax.axhline(th, color="grey", lw=0.8, ls=ls)
    ax.axvspan(result["tc_low"], result["tc_high"], color="tab:orange", alpha=0.15, label="Tc interval")
    ax.axvline(result["tc50"], color="tab:orange", lw=1.5, label=f"Tc@50% = {result['tc50']:.1f} K")
    if tc_true is not None:
        ax.axvline(tc_true, color="k", lw=1, ls="--", label=f"known Tc = {tc_true:.1f} K")
    ax.set(xlabel="T (K)", ylabel="P(superconducting)", ylim=(-0.02, 1.02), xlim=(0, max(t)), title=result["name"])
    ax.legend(fontsize=7, loc="upper right")
    return _save(fig, path)


def _save(fig, path: str | Path, rect=None) -> Path:
    fig.tight_layout(rect=rect)
    path = Path(path)
    fig.savefig(path)
    return path


# ---------------------------------------------------------------------------------------------
# The report's first screen: the ablation as a forest plot, the shipped model's held-out Tc
# against measured Tc, and the learning curve.

# Colour per method family of the ablation (a family is named by its start: "regressor (log1p
# target)" before "regressor"); the reference lines at Magpie-RF and the zero predictor.
FAMILIES = {
    "baseline": "tab:gray",
    "regressor (log1p target)": "tab:cyan",
    "regressor": "tab:blue",
    "classifier": "tab:green",
    "Allen–Dynes": "tab:orange",
}
REFERENCES = (("magpie-rf", "--", "Magpie-RF"), ("zero", ":", "zero predictor"))
# benchmarks/learning_curve.py's CSV: one row per N and method (MAE in K over the CV folds).
LEARNING_CURVE_COLUMNS = ["n", "method", "mae_mean", "mae_std"]


def _forest_panel(ax, label: str, methods: dict, highlight: str | None) -> None:
    """One set of materials of the ablation: each method's overall Tc MAE (K), mean ± std over
    folds, best at the top, coloured by family; vertical lines at the references (values in the title)."""
    order = sorted(methods, key=lambda m: methods[m]["overall"]["mae_mean"], reverse=True)
    mean = np.array([methods[m]["overall"]["mae_mean"] for m in order])
    std = np.array([methods[m]["overall"]["mae_std"] for m in order])
    family = np.array([next((f for f in FAMILIES if methods[m]["family"].startswith(f)), "") for m in order])
    y = np.arange(len(order))
    for f in dict.fromkeys(family):
        k = family == f
        ax.errorbar(mean[k], y[k], xerr=std[k], fmt="o", ms=3, capsize=2, lw=1, color=FAMILIES.get(f, "k"), label=f)
    refs = [(methods[r]["overall"]["mae_mean"], ls, name) for r, ls, name in REFERENCES if r in methods]
    for mae, ls, name in refs:
        ax.axvline(mae, color="k", lw=0.9, ls=ls, label=name)
    ax.set_yticks(y, order, fontsize=6.5)
    for tick in ax.get_yticklabels():
        if tick.get_text() == highlight:
            tick.set_fontweight("bold")
    n = methods[order[0]]["overall"]["n"]
    title = f"{n} materials holding the {label} stage\n{', '.join(f'{name} {mae:.2f} K' for mae, _, name in refs)}"
    ax.set(xlabel="Tc MAE (K), mean ± std over folds", ylim=(-0.7, len(order) - 0.3))
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", lw=0.3)


def plot_forest(summaries: dict, path: str | Path, highlight: str | None = None) -> Path:
    """PNG of an evaluation's feature-group ablation (`ablation.json`) as a forest plot, one panel
    per set of materials (`_forest_panel`), one legend below; `highlight`: a method label set in bold."""
    from matplotlib.figure import Figure  # heavy: only for plots

    sets = {label: {m: v for m, v in s.items() if not m.startswith("_")} for label, s in summaries.items()}
    rows = max(len(methods) for methods in sets.values())
    fig = Figure(figsize=(11.5, 0.14 * rows + 1.2), dpi=100)
    legend = {}
    for ax, (label, methods) in zip(fig.subplots(1, len(sets), squeeze=False)[0], sets.items()):
        _forest_panel(ax, label, methods, highlight)
        legend.update({name: handle for handle, name in zip(*ax.get_legend_handles_labels())})
    fig.legend(legend.values(), legend.keys(), loc="lower center", ncol=len(legend), fontsize=7.5, frameon=False)
    return _save(fig, path, rect=(0, 0.04, 1, 1))


def plot_parity(cv: pd.DataFrame, path: str | Path, title: str) -> Path:
    """PNG of held-out (out-of-fold) Tc against measured Tc (K) from a `cv_tc.csv` table
    (`tc_true`, `tc50`), one dot per material, the y = x line dashed; MAE in the title."""
    from matplotlib.figure import Figure  # heavy: only for plots

    y, p = cv["tc_true"].to_numpy(float), cv["tc50"].to_numpy(float)
    hi = 1.03 * max(y.max(), p.max())
    fig = Figure(figsize=(5.6, 4.6), dpi=100)
    ax = fig.subplots()
    ax.scatter(y, p, s=5, alpha=0.3, lw=0, color="tab:blue")
    ax.plot([0, hi], [0, hi], "k--", lw=0.8, label="y = x")
    ax.set(xlim=(0, hi), ylim=(0, hi), xlabel="measured Tc (K)", ylabel="predicted Tc, held out (K)")
    ax.set_title(f"{title}\nheld-out MAE {np.abs(p - y).mean():.2f} K, {len(y)} materials", fontsize=9)
    ax.set_aspect("equal")
    ax.legend(fontsize=7, loc="upper left")
    return _save(fig, path)


def plot_learning_curve(curve: pd.DataFrame, path: str | Path) -> Path:
    """PNG of a learning curve (`read_learning_curve`): grouped-CV Tc MAE (K, mean ± std over
    folds) against the number of materials N, one line per method (N slightly offset per method)."""
    from matplotlib.figure import Figure  # heavy: only for plots

    fig = Figure(figsize=(5.6, 4.6), dpi=100)
    ax = fig.subplots()
    methods = list(dict.fromkeys(curve["method"]))
    for i, method in enumerate(methods):
        g = curve[curve["method"] == method]
        shift = 1 + 0.03 * (i - (len(methods) - 1) / 2)
        ax.errorbar(g["n"] * shift, g["mae_mean"], yerr=g["mae_std"], fmt="o-", ms=4, capsize=3, label=method)
    ax.set_xscale("log")
    ax.set_xticks(sorted(set(curve["n"])), [str(n) for n in sorted(set(curve["n"]))])
    ax.minorticks_off()
    ax.set(xlabel="materials N", ylabel="Tc MAE (K), grouped 5-fold CV", ylim=(0, None))
    ax.set_title("Learning curve of the shipped kind", fontsize=9)
    ax.grid(lw=0.3)
    ax.legend(fontsize=7)
    return _save(fig, path)


def _pipe_cells(line: str) -> list[str]:
    """The cells of a Markdown pipe-table row, stripped."""
    return [c.strip() for c in line.strip().strip("|").split("|")]


SEPARATOR = re.compile(r"[|\s:-]+")  # a pipe table's header rule


def read_learning_curve(path: str | Path) -> pd.DataFrame:
    """The learning curve of `benchmarks/learning_curve.py` as rows `LEARNING_CURVE_COLUMNS`
    (MAE in K): its CSV beside `path` when there is one, else the "mean ± std" cells of the
    Markdown table in `path` with the suffix .md (paired Δ columns left out)."""
    path = Path(path)
    if path.with_suffix(".csv").exists():
        return pd.read_csv(path.with_suffix(".csv"))
    lines = [x for x in path.with_suffix(".md").read_text().splitlines() if x.startswith("|")]
    head, rows = _pipe_cells(lines[0]), []
    for line in (x for x in lines[1:] if not SEPARATOR.fullmatch(x)):
        cells = _pipe_cells(line)
        for method, cell in zip(head[1:], cells[1:]):
            if not method.startswith("Δ"):
                mean, std = (float(v) for v in cell.split("±"))
                rows.append((int(cells[0]), method, mean, std))
    return pd.DataFrame(rows, columns=LEARNING_CURVE_COLUMNS)


# ---------------------------------------------------------------------------------------------
# The static HTML report of an evaluation and an explain run.

# (file pattern, caption) per section, in page order; a caption says how to read the figure
# (a dict of captions by suffix where one pattern matches several kinds of file).
EVALUATION_FIGURES = (
    (
        "parity.png",
        "Held-out Tc against true Tc for every method on the same grouped CV folds; points on the "
        "dashed diagonal are exact. The title gives each method's MAE.",
    ),
    (
        "reliability.png",
        "Calibration of the snapshot classifiers: observed fraction superconducting against the "
        "predicted P(SC) in ten bins. On the diagonal, P(SC) = 0.7 means 70 % of such snapshots "
        "are below Tc.",
    ),
    (
        "curve-*.png",
        "Held-out P(SC | T) along one material's ramp (base-grid temperatures); predicted Tc is "
        "where the monotone fit crosses 50 % (orange), the known Tc is dashed black.",
    ),
)
HEATMAP = (
    "latent_magpie_heatmap.png",
    "Spearman correlation across materials between each ground-state latent "
    "(rows) and each Magpie composition feature (columns), both in hierarchical-"
    "clustering order. Blocks of red or blue show latents that encode a "
    "chemical trend; latent_magpie_pairs.csv lists the strongest pairs.",
)
MAPS = (
    (
        "latent_pca.png",
        "PCA of the standardised ground-state latents, coloured by Tc (left) and by class "
        "(right). Axis labels give the variance explained.",
    ),
    (
        "latent_umap.png",
        "UMAP of the same latents: neighbourhoods are meaningful, distances between distant "
        "clusters are not. Classes that form islands are separated by the force field itself.",
    ),
)
PROBE = (
    "A structure with its lattice scaled isotropically (0.94–1.06): {what} and the most important "
    "inputs that a ramp computes (not composition or T) against volume per atom, the dashed line "
    "marking the unscaled cell. {how} Steep features respond to compression like pressure would."
)
RAMPED = "Each scaled cell is ramped with the model's settings at that cell (positions relaxed, cell kept)."
# Explain figures by model kind: a snapshot classifier (P(SC) per snapshot) or a Tc regressor.
EXPLAIN_FIGURES = {
    "classifier": (
        (
            "importance.png",
            "CatBoost PredictionValuesChange of the 20 most important inputs, averaged over the fold "
            "models: how much a feature's splits move P(SC) on average. Full ranking in importance.csv.",
        ),
        (
            "shap_beeswarm.png",
            "SHAP values (contribution to the log-odds of P(SC)) of snapshots, one dot each, "
            "features sorted by mean |SHAP|. Colour is the feature's value: red dots on the right "
            "mean high values raise P(SC). shap_direction.csv lists each feature's mean |SHAP| and "
            "the Spearman correlation between its value and its SHAP value.",
        ),
        (
            "shap_ramp-*",
            {
                ".gif": "Animation along one material's ramp, one frame per temperature: the red dot follows "
                "P(SC) (top, dashed line = known Tc); bars are the SHAP values of the top features at that "
                "temperature (red raises P(SC), blue lowers it), labels give the feature's z-score over all "
                "snapshots.",
                ".png": "The same ramp as lines: mean P(SC) (top), the top features' SHAP values (middle) and "
                "their values as z-scores over all snapshots (bottom) against temperature; the dashed orange "
                "line is the known Tc. Features whose SHAP turns sign near Tc carry the transition.",
            },
        ),
        HEATMAP,
        (
            "feature_vs_tc.png",
            "Each top-importance input (temperature left out) at the material's lowest-temperature "
            "snapshot against Tc, one dot per material; the orange line is the mean Tc in ten quantile "
            "bins of the feature, the title its Spearman correlation with Tc.",
        ),
        *MAPS,
        (
            "lattice_probe.png",
            PROBE.format(
                what="the model's P(SC) at the lowest ramp temperature",
                how="A classifier on latent, Magpie and T inputs reads each static cell's latent; with "
                "other inputs each scaled cell is ramped with the model's settings, the cell kept.",
            ),
        ),
    ),
    "regressor": (
        (
            "importance.png",
            "CatBoost PredictionValuesChange of the 20 most important inputs, averaged over the fold "
            "models: how much a feature's splits move the predicted Tc on average. Full ranking in "
            "importance.csv.",
        ),
        (
            "shap_beeswarm.png",
            "SHAP values (contribution to the predicted Tc, in the model's output units given on the "
            "axis) of materials, one dot each, features sorted by mean |SHAP|. Colour is the feature's "
            "value: red dots on the right mean high values raise Tc. shap_direction.csv lists each "
            "feature's mean |SHAP| and the Spearman correlation between its value and its SHAP value.",
        ),
        HEATMAP,
        (
            "feature_vs_tc.png",
            "Each top-importance input as the regressor reads it (a material's value; @min / @max: at "
            "the lowest / highest ramp temperature) against Tc, one dot per material; the orange line "
            "is the mean Tc in ten quantile bins of the feature, the title its Spearman correlation "
            "with Tc.",
        ),
        *MAPS,
        ("lattice_probe.png", PROBE.format(what="the model's predicted Tc (mean over the fold models)", how=RAMPED)),
    ),
}
# Tables shown (first rows) after the figure of the same study, and copied for download.
TABLES = {
    "importance.png": ("importance.csv", 10),
    "shap_beeswarm.png": ("shap_direction.csv", 10),
    "latent_magpie_heatmap.png": ("latent_magpie_pairs.csv", 12),
    "lattice_probe.png": ("lattice_probe.csv", 9),
}
# The first screen's figures: (file, caption), drawn by `_overview` when their data is there.
OVERVIEW = {
    "forest": (
        "ablation_forest.png",
        "The evaluation's feature-group ablation (ablation.json): each method's Tc MAE over all "
        "materials of a set, mean ± std over the grouped CV folds, best at the top; dashed: Magpie-RF, "
        "dotted: the zero predictor; bold: the shipped model's kind and groups. Overlapping bars are "
        "no difference: the tables below give the paired per-fold Δ.",
    ),
    "parity": (
        "heldout_parity.png",
        "The model's held-out Tc (cv_tc.csv: the out-of-fold predictions of the grouped CV that "
        "trained it) against measured Tc, one dot per material; dashed: y = x.",
    ),
    "curve": (
        "learning_curve.png",
        "Grouped 5-fold CV Tc MAE against the number of materials N (the first N of the stratified "
        "order holding the shipped model's stage; benchmarks/learning_curve.py), mean ± std over folds.",
    ),
}
TEMPLATE = "report.html.j2"


def markdown_html(text: str) -> str:
    """HTML of the Markdown that `summary.md` uses: headings, pipe tables, paragraphs, **bold**
    and `code` (all text escaped)."""

    def inline(s: str) -> str:
        s = html.escape(s.strip())
        s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", s)

    def cells(line: str) -> list[str]:
        return [inline(c) for c in _pipe_cells(line)]

    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if m := re.match(r"(#{1,6})\s+(.*)", line):
            out.append(f"<h{len(m[1])}>{inline(m[2])}</h{len(m[1])}>")
        elif line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(lines[i])
                i += 1
            body = [b for b in block[1:] if not SEPARATOR.fullmatch(b)]
            out.append(
                "<table><tr>"
                + "".join(f"<th>{c}</th>" for c in cells(block[0]))
                + "</tr>"
                + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in cells(b)) + "</tr>" for b in body)
                + "</table>"
            )
            continue
        elif line.strip():
            para = []
            while i < len(lines) and lines[i].strip() and not re.match(r"#|\|", lines[i]):
                para.append(lines[i])
                i += 1
            out.append(f"<p>{inline(' '.join(para))}</p>")
            continue
        i += 1
    return "\n".join(out)


def _table(path: Path, rows: int) -> dict:
    """The first `rows` rows of a CSV for the template, numbers to 4 significant digits."""
    df = pd.read_csv(path).head(rows)
    cells = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in r] for r in df.itertuples(index=False)]
    return {"src": quote(path.name), "name": path.name, "columns": [str(c) for c in df.columns], "rows": cells}


def _figure(path: Path, caption: str) -> dict:
    return {"src": quote(path.name), "alt": path.stem, "name": path.name, "caption": caption}


def _figures(src: Path, spec, out: Path) -> list[dict]:
    """Every file of `src` matching a pattern of `spec` (in its order) copied into `out`, as a
    figure with its caption, and after it the first rows of its study's table (`TABLES`)."""
    items = []
    for pattern, captions in spec:
        for f in sorted(src.glob(pattern)):
            caption = captions.get(f.suffix) if isinstance(captions, dict) else captions
            if caption is None:
                continue
            shutil.copy2(f, out / f.name)
            items.append(_figure(out / f.name, caption))
            table, rows = TABLES.get(f.name, (None, 0))
            if table and (src / table).exists():
                shutil.copy2(src / table, out / table)
                items.append(_table(out / table, rows))
    return items


def _model_line(meta: ModelMeta) -> str:
    """What the explained model is, and for a regressor why there is no SHAP along a ramp."""
    line = (
        f"Model: {meta.kind} on the feature groups {', '.join(meta.groups)}, {meta.n_members} fold models, "
        f"grouped-CV Tc MAE {meta.cv['tc_mae']:.2f} K. "
    )
    if meta.kind in REGRESSORS:
        return line + (
            "A Tc regressor: one input row per material, so there is no SHAP along a ramp (it has no "
            "temperature axis); SHAP and the probe show predicted Tc."
        )
    return line + "A snapshot classifier of P(SC | T): Tc is where P(SC) along the ramp crosses 50 %."


def _overview(out: Path, evaluation_dir: Path | None, explain: tuple | None, learning_curve: Path | None) -> list:
    """The first screen's figures (`OVERVIEW`), each drawn into `out` when its data is there: the
    evaluation's ablation, the explained model's held-out Tc (its `cv_tc.csv`) and a learning
    curve (`read_learning_curve`). `explain`: (explain directory, its model's metadata)."""
    figures = []
    if evaluation_dir and (evaluation_dir / "ablation.json").exists():
        highlight = f"reg:{'+'.join(explain[1].groups)}" if explain and explain[1].kind in REGRESSORS else None
        summaries = json.loads((evaluation_dir / "ablation.json").read_text())
        figures.append(("forest", plot_forest(summaries, out / OVERVIEW["forest"][0], highlight)))
    if explain and (explain[0] / CV_FILE).exists():
        title = f"{explain[1].kind} on {'+'.join(explain[1].groups)}"
        figures.append(("parity", plot_parity(pd.read_csv(explain[0] / CV_FILE), out / OVERVIEW["parity"][0], title)))
    if learning_curve:
        figures.append(("curve", plot_learning_curve(read_learning_curve(learning_curve), out / OVERVIEW["curve"][0])))
    return [{**_figure(path, OVERVIEW[key][1]), "wide": key == "forest"} for key, path in figures]


def build_report(
    out: str | Path,
    evaluation_dir: str | Path | None = None,
    explain_dir: str | Path | None = None,
    learning_curve: str | Path | None = None,
) -> Path:
    """Write `out/index.html` from the package's jinja2 template: first the ablation forest plot,
    the explained model's held-out parity plot and the learning curve (`_overview`; a learning
    curve's .md or .csv of `benchmarks/learning_curve.py`), then the evaluation's `summary.md` and
    every plot of the evaluation and explain directories with captions and tables. Images and
    tables are copied beside it (relative links, no scripts, no network), so the page opens
    straight from disk. Returns its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    evaluation_dir = Path(evaluation_dir) if evaluation_dir else None
    explain = None
    if explain_dir:
        src = Path(explain_dir)
        explain = src, ModelMeta.from_json((src / MODEL_FILE).read_text(), src / MODEL_FILE)
    sections = []  # title, Markdown rendered as HTML, a paragraph of text, figures and tables
    if evaluation_dir:
        summary = evaluation_dir / "summary.md"
        md = markdown_html(summary.read_text()) if summary.exists() else ""
        sections.append(("Evaluation", md, "", _figures(evaluation_dir, EVALUATION_FIGURES, out)))
    if explain:
        kind = "regressor" if explain[1].kind in REGRESSORS else "classifier"
        sections.append(
            ("Interpretation", "", _model_line(explain[1]), _figures(explain[0], EXPLAIN_FIGURES[kind], out))
        )
    env = jinja2.Environment(loader=jinja2.PackageLoader("tcramp"), autoescape=True, undefined=jinja2.StrictUndefined)
    overview = _overview(out, evaluation_dir, explain, Path(learning_curve) if learning_curve else None)
    path = out / "index.html"
    path.write_text(env.get_template(TEMPLATE).render(overview=overview, sections=sections), encoding="utf-8")
    return path
