"""Figures and pages a person reads: the P(SC | T) curve of a prediction and the static HTML report."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from .estimators import REGRESSORS
from .models import MODEL_FILE, ModelMeta

__all__ = ["build_report", "markdown_html", "plot_curve"]


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
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    return path


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
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1150px; margin: 2em auto; padding: 0 1em; color: #222; }
h1, h2, h3 { font-weight: 600; } figure { margin: 1.5em 0; } img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #444; max-width: 900px; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.8em 0; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; } th { background: #f3f3f3; }
.md h1 { font-size: 1.3em; } .md h2 { font-size: 1.1em; }
"""


def markdown_html(text: str) -> str:
    """HTML of the Markdown that `summary.md` uses: headings, pipe tables, paragraphs, **bold**
    and `code` (all text escaped)."""

    def inline(s: str) -> str:
        s = html.escape(s.strip())
        s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", s)

    def cells(line: str) -> list[str]:
        return [inline(c) for c in line.strip().strip("|").split("|")]

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
            body = [b for b in block[1:] if not re.fullmatch(r"[|\s:-]+", b)]
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


def _table_html(path: Path, rows: int) -> str:
    df = pd.read_csv(path).head(rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(f'{v:.4g}' if isinstance(v, float) else str(v))}</td>" for v in r) + "</tr>"
        for r in df.itertuples(index=False)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


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


def build_report(
    out: str | Path, evaluation_dir: str | Path | None = None, explain_dir: str | Path | None = None
) -> Path:
    """Write `out/index.html`: the evaluation's `summary.md` and every plot of an evaluation and an
    explain directory with captions, images and tables copied beside it (relative links, no
    scripts, no network), so the page opens straight from disk. Returns its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    def figures(src: Path, spec) -> list[str]:
        parts = []
        for pattern, captions in spec:
            for f in sorted(src.glob(pattern)):
                caption = captions.get(f.suffix) if isinstance(captions, dict) else captions
                if caption is None:
                    continue
                shutil.copy2(f, out / f.name)
                parts.append(
                    f'<figure><img src="{quote(f.name)}" alt="{html.escape(f.stem)}">'
                    f"<figcaption><b>{html.escape(f.name)}</b>: {html.escape(caption)}</figcaption></figure>"
                )
                table, rows = TABLES.get(f.name, (None, 0))
                if table and (src / table).exists():
                    shutil.copy2(src / table, out / table)
                    parts.append(
                        f'<p>First {rows} rows of <a href="{quote(table)}">{table}</a>:</p>'
                        + _table_html(src / table, rows)
                    )
        return parts

    body = ["<h1>tcramp report</h1>"]
    if evaluation_dir:
        src = Path(evaluation_dir)
        body.append("<h2>Evaluation</h2>")
        if (src / "summary.md").exists():
            body.append(f'<div class="md">{markdown_html((src / "summary.md").read_text())}</div>')
        body += figures(src, EVALUATION_FIGURES)
    if explain_dir:
        src = Path(explain_dir)
        body.append("<h2>Interpretation</h2>")
        meta = ModelMeta.from_json((src / MODEL_FILE).read_text(), src / MODEL_FILE)
        body.append(f"<p>{html.escape(_model_line(meta))}</p>")
        body += figures(src, EXPLAIN_FIGURES["regressor" if meta.kind in REGRESSORS else "classifier"])
    if len(body) == 1:
        body.append("<p>Nothing to show: give an evaluation and/or an explain directory.</p>")
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>tcramp report</title>'
        '<link rel="icon" href="data:,">'
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
