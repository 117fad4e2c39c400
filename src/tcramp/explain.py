"""Interpretation of a trained Tc model: which inputs drive its prediction, how, and what they mean.

The model is a snapshot classifier (prediction: P(SC) of a snapshot) or a Tc regressor
(prediction: Tc of a material from its `material_view` row); each study is one function that
writes its plots and tables into `out`, and `explain` runs them all.
- `importance`: CatBoost PredictionValuesChange per feature, mean over the CatBoost fold members.
- `shap_summary`: SHAP values (TreeExplainer, mean over the members) of a subsample of the model's
  input rows: beeswarm and the direction in which each feature moves the prediction.
- `shap_ramp` (classifiers): SHAP and values of the top features at every temperature of one ramp.
- `latent_vs_magpie`: Spearman correlations between ground-state latents and Magpie features.
- `feature_vs_tc`: the top features' per-material values against Tc.
- `latent_maps`: PCA and UMAP of the ground-state latents, coloured by Tc and by class.
- `lattice_probe`: the prediction and top features of one structure under isotropic lattice scaling.
"""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from .data import read_structure
from .estimators import CatBoostSC, CatBoostTc
from .evaluate import materials_table
from .groups import GROUPS, RAMP_GROUPS, lowest_base_row, prepare
from .mlff import load_mlff
from .models import CV_FILE, MODEL_FILE, ModelMeta, TcModel
from .pipeline import MaterialError, model_rows, ordered_cell
from .ramp import RampConfig

__all__ = [
    "EXAMPLE",
    "RAMP_MATERIALS",
    "SCALES",
    "STATIC_GROUPS",
    "display",
    "explain",
    "feature_vs_tc",
    "group_of",
    "importance",
    "lattice_probe",
    "latent_maps",
    "latent_vs_magpie",
    "ramp_materials",
    "shap_ramp",
    "shap_summary",
    "shap_values",
    "short_name",
    "spearman",
]

# A low-Tc Chevrel phase and a high-Tc cuprate of the bundled set: the default SHAP ramps.
RAMP_MATERIALS = (
    "Mo6Pb0.1Se8Yb0.9-MP-mp-1103921-synth_doped",
    "Ba2Ca2Cu3Hg0.85Re0.15O8-MP-mp-22601-synth_doped",
)
EXAMPLE = Path(__file__).parent / "data" / "YBa2Cu3O7.cif"  # ships in the package
SCALES = tuple(np.round(np.linspace(0.94, 1.06, 9), 3))
STATIC_GROUPS = ("magpie", "temperature", "latent")  # inputs a static cell gives: its latent and formula


def _figure(**kw) -> Figure:
    """A figure drawn off-screen (Agg canvas), leaving pyplot and the session's backend alone."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # heavy: only for plots
    from matplotlib.figure import Figure

    fig = Figure(**kw)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    return path


def _boosters(model: TcModel) -> list:
    """The CatBoost models of the fold members (importances and SHAP need trees)."""
    found = [m.model_ for m in model.members if isinstance(m, (CatBoostSC, CatBoostTc))]
    if not found:
        raise ValueError("the model has no CatBoost members; importances and SHAP need a catboost model")
    return found


def group_of(feature: str) -> str | None:
    """Name of the feature group a model input belongs to (`{column}@min/@max` as its column)."""
    col = feature.split("@")[0]
    return next((n for n, g in GROUPS.items() if re.fullmatch(g.pattern, col)), None)


def display(feature: str) -> str:
    """Plot label of a model input: the column with its group's label where that says more
    (Magpie columns: matminer's feature name)."""
    col, group = feature.split("@")[0], group_of(feature)
    label = GROUPS[group].labels([col])[col].removeprefix("MagpieData ") if group else col
    return feature if label == col else f"{feature} ({label})"


def _target(model: TcModel) -> str:
    """What a SHAP value of the model adds to: the members' raw output."""
    if not model.regressor:
        return "log-odds of P(SC)"
    return "log(1 + Tc/K)" if model.meta.params.get("log_target") else "Tc (K)"


def short_name(name: str) -> str:
    """A material's formula part, safe in a file name (`Mo6Pb0.1Se8Yb0.9-MP-...` -> `Mo6Pb0.1Se8Yb0.9`)."""
    return re.sub(r"[^A-Za-z0-9._]+", "_", name.split("-")[0])[:60]


def spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of every column of `a` with every column of `b` (rows are samples);
    NaN where a column is constant."""
    from scipy.stats import rankdata

    def unit(x):
        r = rankdata(np.asarray(x, float), axis=0)
        r -= r.mean(axis=0)
        norm = np.sqrt((r**2).sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            return r / np.where(norm > 0, norm, np.nan)

    return unit(a).T @ unit(b)


def importance(model: TcModel, out: Path, top: int = 20) -> pd.DataFrame:
    """Write `importance.csv` (feature, importance: CatBoost PredictionValuesChange, mean over the
    CatBoost members, sorted) and a bar plot of the `top` features, `importance.png`."""
    imp = np.mean([b.get_feature_importance(type="PredictionValuesChange") for b in _boosters(model)], axis=0)
    table = pd.DataFrame({"feature": model.features, "importance": imp})
    table = table.sort_values("importance", ascending=False, ignore_index=True)
    table.to_csv(out / "importance.csv", index=False)
    head = table.head(top)[::-1]
    fig = _figure(figsize=(6, 0.22 * len(head) + 1.2), dpi=110)
    ax = fig.subplots()
    ax.barh([display(f) for f in head["feature"]], head["importance"], color="tab:blue")
    ax.set(xlabel="PredictionValuesChange (mean over folds)", title=f"Top {len(head)} features")
    ax.tick_params(axis="y", labelsize=8)
    _save(fig, out / "importance.png")
    return table


def shap_values(model: TcModel, X: np.ndarray) -> np.ndarray:
    """SHAP values (rows, features) of the members' raw output (`_target`), mean over the members."""
    import shap

    return np.mean([shap.TreeExplainer(b).shap_values(np.asarray(X, np.float32)) for b in _boosters(model)], axis=0)


def shap_summary(
    model: TcModel, snapshots: pd.DataFrame, out: Path, max_rows: int = 3000, seed: int = 0, top: int = 20
) -> pd.DataFrame:
    """SHAP of at most `max_rows` random input rows (snapshots for a classifier, materials for a
    regressor): `shap_beeswarm.png` (the `top` features by mean |SHAP|) and `shap_direction.csv`
    (feature, mean_abs_shap, corr: Spearman between a feature's value and its SHAP value,
    direction: whether a higher value raises or lowers P(SC) or Tc)."""
    import shap  # heavy (numba): only the SHAP studies need it

    inputs = model.inputs(snapshots)
    rows = inputs.sample(n=min(max_rows, len(inputs)), random_state=seed)
    X = rows[model.features].to_numpy(np.float32)
    sv = shap_values(model, X)
    corr = np.array([spearman(X[:, [j]], sv[:, [j]])[0, 0] for j in range(X.shape[1])])
    what = "Tc" if model.regressor else "P(SC)"
    table = pd.DataFrame(
        {
            "feature": model.features,
            "mean_abs_shap": np.abs(sv).mean(axis=0),
            "corr": corr,
            "direction": np.where(np.isnan(corr), "none", np.where(corr >= 0, f"raises {what}", f"lowers {what}")),
        }
    ).sort_values("mean_abs_shap", ascending=False, ignore_index=True)
    table.to_csv(out / "shap_direction.csv", index=False)
    fig = _figure(figsize=(7, 0.3 * top + 1.5), dpi=110)
    ax = fig.subplots()
    shap.plots.beeswarm(
        shap.Explanation(sv, data=X, feature_names=[display(f) for f in model.features]),
        max_display=top,
        show=False,
        plot_size=None,
        ax=ax,
    )
    ax.set_title(f"SHAP of {_target(model)}, {len(rows)} {'materials' if model.regressor else 'snapshots'}")
    ax.set_xlabel(f"SHAP value ({_target(model)})")
    _save(fig, out / "shap_beeswarm.png")
    return table


def ramp_materials(snapshots: pd.DataFrame, names=RAMP_MATERIALS) -> list[str]:
    """Materials for `shap_ramp`: a low-Tc one (`names[0]`, else the lowest Tc > 0 present) and a
    high-Tc one (`names[1]`, else the highest-Tc cuprate, else the highest Tc present)."""
    mat = snapshots.groupby("name", sort=True)[["tc", "sc_class"]].first()
    low, high = names
    if low not in mat.index:
        sc = mat[mat["tc"] > 0]
        low = (sc if len(sc) else mat)["tc"].idxmin()
    if high not in mat.index:
        cup = mat[mat["sc_class"] == "Cuprate"]
        high = (cup if len(cup) else mat)["tc"].idxmax()
    return list(dict.fromkeys([low, high]))


def shap_ramp(model: TcModel, snapshots: pd.DataFrame, name: str, features: list[str], out: Path) -> list[Path]:
    """SHAP values of a classifier's `features` at every temperature of material `name`'s ramp: an
    animated GIF (one frame per temperature, Tc marked) `shap_ramp-<short name>.gif` and line plots
    of P(SC), the SHAP values and the feature values (z-scores over all snapshots) against T, `.png`.
    `snapshots`: the classifier's input rows (`model.inputs`)."""
    if model.regressor:
        raise ValueError("SHAP along a ramp needs a snapshot classifier; a regressor sees one row per material")
    rows = snapshots[snapshots["name"] == name].sort_values("T_target")
    if rows.empty:
        raise ValueError(f"{name}: not in the snapshots")
    t, tc = rows["T_target"].to_numpy(), float(rows["tc"].iloc[0])
    cols = [model.features.index(f) for f in features]
    sv = shap_values(model, rows[model.features].to_numpy(np.float32))[:, cols]
    ref = snapshots[features]
    z = ((rows[features] - ref.mean()) / ref.std().replace(0, 1)).to_numpy()
    p = model.proba(rows).mean(axis=0)
    stem = f"shap_ramp-{short_name(name)}"

    fig = _figure(figsize=(7, 8), dpi=100)
    axes = fig.subplots(3, 1, sharex=True)
    axes[0].plot(t, p, "o-", ms=3, color="k")
    axes[0].set(ylabel="P(SC), mean", ylim=(-0.02, 1.02), title=f"{name[:70]} (Tc = {tc:.1f} K)")
    for i, f in enumerate(features):
        axes[1].plot(t, sv[:, i], "o-", ms=2, label=display(f))
        axes[2].plot(t, z[:, i], "o-", ms=2, label=f)
    axes[1].axhline(0, color="grey", lw=0.6)
    axes[1].set(ylabel="SHAP (log-odds)")
    axes[2].set(ylabel="feature value (z)", xlabel="T (K)")
    axes[1].legend(fontsize=7, ncol=2)
    for ax in axes:
        ax.axvline(tc, color="tab:orange", ls="--", lw=1)
    png = _save(fig, out / f"{stem}.png")

    return [_ramp_gif(name, t, p, tc, sv, z, features, out / f"{stem}.gif"), png]


def _ramp_gif(name: str, t, p, tc: float, sv, z, features: list[str], gif: Path) -> Path:
    """The animated SHAP bars of `shap_ramp`: one frame per temperature, P(SC) marked above."""
    fig = _figure(figsize=(7, 6.5), dpi=80)
    top, bars = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1, 2]})
    top.plot(t, p, "-", color="grey")
    top.axvline(tc, color="tab:orange", ls="--", lw=1, label=f"Tc = {tc:.1f} K")
    top.set(xlabel="T (K)", ylabel="P(SC)", ylim=(-0.02, 1.02))
    top.legend(fontsize=8, loc="upper right")
    (marker,) = top.plot([], [], "o", color="tab:red", ms=8)
    lim = float(np.abs(sv).max()) * 1.15 or 1.0
    y = np.arange(len(features))[::-1]

    def frame(i):
        marker.set_data([t[i]], [p[i]])
        bars.clear()
        bars.barh(y, sv[i], color=np.where(sv[i] >= 0, "tab:red", "tab:blue"))
        bars.set_yticks(y, [f"{display(f)} (z={v:+.1f})" for f, v in zip(features, z[i])], fontsize=8)
        bars.axvline(0, color="k", lw=0.6)
        bars.set(
            xlim=(-lim, lim),
            xlabel="SHAP value (log-odds of P(SC))",
            title=f"T = {t[i]:.3g} K  ({'below' if t[i] < tc else 'above'} Tc = {tc:.1f} K)",
        )
        return (marker,)

    fig.suptitle(name[:70], fontsize=9)
    fig.subplots_adjust(left=0.3, right=0.97, bottom=0.09, top=0.93, hspace=0.45)
    from matplotlib.animation import FuncAnimation, PillowWriter

    FuncAnimation(fig, frame, frames=len(t)).save(gif, writer=PillowWriter(fps=2))
    return gif


def _order(x: np.ndarray) -> np.ndarray:
    """Leaf order of an average-linkage clustering of the rows of `x`."""
    from scipy.cluster.hierarchy import leaves_list, linkage

    return leaves_list(linkage(x, "average", optimal_ordering=True)) if len(x) > 2 else np.arange(len(x))


def latent_vs_magpie(materials: pd.DataFrame, out: Path, top: int = 30) -> pd.DataFrame:
    """Spearman correlations between ground-state latents and Magpie features across materials:
    `latent_magpie_heatmap.png` (rows and columns in hierarchical-clustering order) and the `top`
    pairs by |rho|, `latent_magpie_pairs.csv` (latent, magpie_feature, label, spearman)."""
    g = [c for c in materials if c.startswith("g_latent_")]
    m = GROUPS["magpie"].columns(materials)
    ok = materials[m].notna().all(axis=1)
    rho = spearman(materials.loc[ok, g].to_numpy(float), materials.loc[ok, m].to_numpy(float))
    labels = GROUPS["magpie"].labels(m)
    flat = pd.DataFrame(
        {
            "latent": np.repeat([c[2:] for c in g], len(m)),
            "magpie_feature": np.tile(m, len(g)),
            "spearman": rho.ravel(),
        }
    )
    flat["label"] = flat["magpie_feature"].map(labels)
    pairs = flat.dropna().reindex(columns=["latent", "magpie_feature", "label", "spearman"])
    pairs = pairs.iloc[np.argsort(-pairs["spearman"].abs().to_numpy(), kind="stable")].head(top)
    pairs.to_csv(out / "latent_magpie_pairs.csv", index=False)

    filled = np.nan_to_num(rho)
    r, c = _order(filled), _order(filled.T)
    fig = _figure(figsize=(max(8, 0.11 * len(m) + 3), max(5, 0.13 * len(g) + 2.5)), dpi=100)
    ax = fig.subplots()
    im = ax.imshow(filled[np.ix_(r, c)], cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(c)), [labels[m[j]].removeprefix("MagpieData ") for j in c], rotation=90, fontsize=5)
    ax.set_yticks(range(len(r)), [g[i][2:] for i in r], fontsize=5)
    ax.set_title(f"Spearman: ground-state latent vs Magpie feature ({int(ok.sum())} materials, clustered)")
    fig.colorbar(im, ax=ax, fraction=0.02, pad=0.01, label="Spearman rho")
    _save(fig, out / "latent_magpie_heatmap.png")
    return pairs


def feature_vs_tc(materials: pd.DataFrame, features: list[str], out: Path, bins: int = 10) -> Path:
    """`feature_vs_tc.png`: each of `features` against Tc across `materials` (one row per material
    holding the features and `tc`), scatter plus the mean Tc in quantile bins of the feature."""
    ncol = min(4, len(features))
    nrow = -(-len(features) // ncol)
    fig = _figure(figsize=(3.2 * ncol, 2.8 * nrow), dpi=100)
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for ax, f in zip(axes.ravel(), features):
        x, tc = materials[f], materials["tc"]
        ax.scatter(x, tc, s=5, alpha=0.35, color="tab:blue")
        b = pd.qcut(x.rank(method="first"), min(bins, len(x)), labels=False)
        binned = pd.DataFrame({"x": x, "tc": tc}).groupby(b).mean()
        ax.plot(binned["x"], binned["tc"], "o-", color="tab:orange", ms=3, label="binned mean")
        ax.set(
            xlabel=display(f),
            ylabel="Tc (K)",
            title=f"rho = {spearman(x.to_numpy()[:, None], tc.to_numpy()[:, None])[0, 0]:.2f}",
        )
    for ax in axes.ravel()[len(features) :]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7)
    return _save(fig, out / "feature_vs_tc.png")


def _by_class(ax, xy: np.ndarray, materials: pd.DataFrame) -> None:
    for c in sorted(materials["sc_class"].unique()):
        sel = (materials["sc_class"] == c).to_numpy()
        ax.scatter(xy[sel, 0], xy[sel, 1], s=6, alpha=0.7, label=c)
    ax.legend(fontsize=6, markerscale=2)


def latent_maps(materials: pd.DataFrame, out: Path, seed: int = 0) -> list[Path]:
    """`latent_pca.png` and `latent_umap.png`: 2-D maps of the standardised ground-state latents,
    coloured by Tc (left) and by class (right)."""
    import umap  # heavy (numba, pynndescent): only the latent maps need it
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    X = StandardScaler().fit_transform(materials[[c for c in materials if c.startswith("g_latent_")]])
    pca = PCA(2, random_state=seed).fit(X)
    with warnings.catch_warnings():  # umap: a seed forces one thread
        warnings.simplefilter("ignore")
        emb = umap.UMAP(n_neighbors=max(2, min(15, len(X) - 1)), random_state=seed).fit_transform(X)
    var = pca.explained_variance_ratio_
    paths = []
    for label, xy, axes_names in (
        ("pca", pca.transform(X), (f"PC1 ({var[0]:.0%})", f"PC2 ({var[1]:.0%})")),
        ("umap", emb, ("UMAP 1", "UMAP 2")),
    ):
        fig = _figure(figsize=(11, 4.5), dpi=100)
        a, b = fig.subplots(1, 2)
        sc = a.scatter(xy[:, 0], xy[:, 1], c=materials["tc"], s=6, cmap="viridis")
        fig.colorbar(sc, ax=a, label="Tc (K)")
        _by_class(b, xy, materials)
        for ax, what in ((a, "Tc"), (b, "class")):
            ax.set(
                xlabel=axes_names[0], ylabel=axes_names[1], title=f"{label.upper()} of ground-state latents by {what}"
            )
        paths.append(_save(fig, out / f"latent_{label}.png"))
    return paths


def _static(model: TcModel, cells: list[Structure], name: str, device: str) -> pd.DataFrame:
    """A classifier's inputs and mean P(SC) per static cell: each ordered cell's latent read as a
    snapshot at the ramp's lowest temperature (no relaxation, no thermal motion)."""
    config = RampConfig(**model.meta.ramp)
    mlff = load_mlff(model.meta.backend, model.meta.weights, device)
    atoms = [AseAtomsAdaptor.get_atoms(ordered_cell(c, name, config).structure) for c in cells]
    for a in atoms:
        mlff.check(a)
    latent = np.array([p.latent for p in mlff.predict(atoms)], np.float32)
    rows = pd.DataFrame(latent, columns=[f"latent_{i}" for i in range(latent.shape[1])]).assign(
        name=name,
        formula=cells[0].composition.formula,
        T_target=config.t_min,
        backend=mlff.name,
        latent_size=mlff.latent_size,
        volume_per_atom=[a.get_volume() / len(a) for a in atoms],
    )
    return model.inputs(rows).assign(p_sc=model.proba(rows).mean(axis=0))


def _ramped(model: TcModel, cell: Structure, name: str, device: str) -> pd.DataFrame:
    """The model's input row and mean prediction for `cell` ramped at that fixed cell: a
    classifier's lowest-temperature snapshot and P(SC), or a regressor's material row and Tc."""
    try:
        ramp = model_rows(cell, model, name=name, device=device, relax_cell=False)
    except Exception as exc:
        raise MaterialError(f"{name} at {cell.volume / len(cell):.2f} Å³/site: {type(exc).__name__}: {exc}") from exc
    x = model.inputs(ramp).assign(volume_per_atom=cell.volume / len(cell))
    if model.regressor:
        return x.assign(tc=model.predict(ramp).mean(axis=0))
    x = x.nsmallest(1, "T_target")
    return x.assign(p_sc=model.proba(x).mean(axis=0))


def lattice_probe(
    model: TcModel, out: Path, features: list[str], structure=None, scales=SCALES, device: str = "auto"
) -> pd.DataFrame:
    """Scale a structure's lattice isotropically by each of `scales` and predict on every scaled
    cell: `lattice_probe.csv` (scale, volume_per_atom, the prediction — `p_sc`, a classifier's
    mean P(SC) at the lowest ramp temperature, or `tc`, a regressor's mean Tc in K — and the model
    inputs `features`) and `lattice_probe.png`. A classifier on `STATIC_GROUPS` reads each static
    cell's latent; any other model gets each cell ramped with its backend, weights and ramp
    settings, the scaled cell kept (`model_rows` with `relax_cell=False`). `structure`: a pymatgen
    Structure or a file (default: the YBa2Cu3O7 example)."""
    if not isinstance(structure, Structure):
        structure = read_structure(structure or EXAMPLE)
    name, target = structure.composition.reduced_formula, "tc" if model.regressor else "p_sc"
    cells = [structure.copy().scale_lattice(structure.volume * s**3) for s in scales]
    if model.regressor or not set(model.meta.groups) <= set(STATIC_GROUPS):
        rows = pd.concat([_ramped(model, c, name, device) for c in cells], ignore_index=True)
    else:
        rows = _static(model, cells, name, device)
    table = pd.concat([pd.DataFrame({"scale": list(scales)}), rows[["volume_per_atom", target, *features]]], axis=1)
    table.to_csv(out / "lattice_probe.csv", index=False)

    v0 = table["volume_per_atom"].iloc[0] / scales[0] ** 3
    ncol = 3
    nrow = -(-(len(features) + 1) // ncol)
    fig = _figure(figsize=(3.3 * ncol, 2.5 * nrow), dpi=100)
    axes = fig.subplots(nrow, ncol, squeeze=False, sharex=True)
    titles = {"p_sc": "P(SC) at lowest T, mean", "tc": "predicted Tc (K), mean"}
    for ax, col in zip(axes.ravel(), [target, *features]):
        ax.plot(table["volume_per_atom"], table[col], "o-", ms=3, color="k" if col == target else "tab:blue")
        ax.axvline(v0, color="tab:orange", ls="--", lw=1)
        ax.set_title(titles.get(col, col), fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("volume per atom (Å³)")
    for ax in axes.ravel()[len(features) + 1 :]:
        ax.axis("off")
    fig.suptitle(f"{name}: lattice scaled {scales[0]}–{scales[-1]}, cell kept", fontsize=10)
    _save(fig, out / "lattice_probe.png")
    return table


def _ramps(model: TcModel, snap: pd.DataFrame, names, features: list[str], out: Path, log) -> list[Path]:
    """`shap_ramp` of each of `names` (default: `ramp_materials`); none for a regressor."""
    if model.regressor:
        log("SHAP along a ramp: skipped (a regressor sees one row per material, no temperature axis)")
        return []
    paths = []
    for name in names or ramp_materials(snap):
        log(f"SHAP along the ramp of {name}")
        paths += shap_ramp(model, snap, name, features, out)
    return paths


def _model_files(model_dir: str | Path, meta: ModelMeta, out: Path) -> dict[str, Path]:
    """The model's metadata as `model.json` (the report reads its kind) and, when the model
    directory has it, its out-of-fold Tc (`cv_tc.csv`: the report's held-out parity plot)."""
    (out / MODEL_FILE).write_text(meta.to_json())
    files = {MODEL_FILE: out / MODEL_FILE}
    if (Path(model_dir) / CV_FILE).exists():
        files[CV_FILE] = Path(shutil.copy2(Path(model_dir) / CV_FILE, out / CV_FILE))
    return files


def explain(
    model_dir: str | Path,
    snapshots: pd.DataFrame,
    out: str | Path,
    *,
    materials=None,
    structure=None,
    max_rows: int = 3000,
    top: int = 8,
    seed: int = 0,
    device: str = "auto",
    log=print,
) -> dict[str, Path]:
    """Run every study for the model in `model_dir` on `snapshots` into `out`, with the model's
    metadata as `model.json` and its out-of-fold Tc as `cv_tc.csv` (`_model_files`).

    `materials`: names for `shap_ramp` (default: `ramp_materials`; a regressor has no ramp study);
    `structure`: the lattice probe's structure; `top`: features followed by the ramp, Tc and
    lattice studies (by importance, the temperature left out; the probe's from the ramp groups).
    Returns the written files by file name."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = TcModel.load(model_dir)
    model.check(snapshots)
    snap = prepare(snapshots.reset_index(drop=True), model.meta.groups)
    files = _model_files(model_dir, model.meta, out)

    def wrote(*paths: Path) -> None:
        files.update({p.name: p for p in paths})

    log("importances")
    imp = importance(model, out)
    wrote(out / "importance.csv", out / "importance.png")
    log("SHAP summary")
    direction = shap_summary(model, snap, out, max_rows=max_rows, seed=seed)
    wrote(out / "shap_direction.csv", out / "shap_beeswarm.png")
    wrote(*_ramps(model, snap, materials, list(direction["feature"].head(top)), out, log))
    config = RampConfig(**model.meta.ramp)
    mat = materials_table(snap, config)
    latents = any(c.startswith("g_latent_") for c in mat)
    if latents:
        log("ground-state latents vs Magpie features")
        latent_vs_magpie(mat, out)
        wrote(out / "latent_magpie_pairs.csv", out / "latent_magpie_heatmap.png")
    ranked = list(imp["feature"])
    best = [f for f in ranked if group_of(f) != "temperature"][:top]
    per_material = model.inputs(snap) if model.regressor or "T_target" not in snap else lowest_base_row(snap, config)
    wrote(feature_vs_tc(per_material, best, out))
    log("lattice-scaling probe")  # before UMAP: after it, torch ramps ~10x slower under OMP_NUM_THREADS=1
    probe = [f for f in ranked if group_of(f) in RAMP_GROUPS][:top]
    lattice_probe(model, out, probe, structure=structure, device=device)
    wrote(out / "lattice_probe.csv", out / "lattice_probe.png")
    if latents:
        log("latent maps")
        wrote(*latent_maps(mat, out, seed=seed))
    else:
        log("latent studies: skipped (the table holds no latents: a cell stage only)")
    return files
