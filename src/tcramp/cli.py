"""The `tcramp` command line: thin wrappers over the public Python functions."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from . import ablation as abl
from . import evaluate as ev
from . import explain as ex
from . import models, run
from . import search as search_
from . import snapshots as snap
from .data import load_dataset, stratified
from .groups import DEFAULT, GROUPS, parse
from .mlff import BACKENDS
from .pipeline import predict_tc, shipped_model_dir
from .ramp import RampConfig
from .report import build_report, plot_curve
from .samplers import SAMPLERS

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Superconducting Tc from MLFF temperature ramps.")
console = Console(stderr=True)


@app.callback()
def main() -> None:
    """Superconducting Tc from MLFF temperature ramps."""


def _quiet() -> None:
    warnings.filterwarnings("ignore")
    logging.getLogger("distributed").setLevel(logging.ERROR)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # for Dask worker processes


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Snapshot directory (created; resumed when it exists).")],
    dataset: Annotated[
        str, typer.Option(help="'3dsc' (bundled) or a CSV: name,structure,tc[,group,sc_class].")
    ] = "3dsc",
    names: Annotated[list[str] | None, typer.Option(help="Only these materials (repeat the option).")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first K materials (in --order).")] = None,
    order: Annotated[
        str, typer.Option(help="dataset | stratified (every prefix balanced over class x Tc bin).")
    ] = "dataset",
    mlff: Annotated[str, typer.Option(help=f"Force field: {' | '.join(BACKENDS)}.")] = "chgnet",
    weights: Annotated[str | None, typer.Option(help="Local checkpoint for the force field.")] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda.")] = "auto",
    workers: Annotated[int, typer.Option(help="Local Dask worker processes (0: run in this process).")] = os.cpu_count()
    or 1,
    scheduler: Annotated[str | None, typer.Option(help="Existing Dask scheduler, tcp://HOST:PORT.")] = None,
    shard: Annotated[str | None, typer.Option(help="Run shard i/N of the selection (0-based).")] = None,
    sampler: Annotated[
        str | None, typer.Option(help=f"Thermal sampler: {' | '.join(SAMPLERS)} (default: the config's, md).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="JSON file of ramp settings (see tcramp.ramp.RampConfig).")
    ] = None,
) -> None:
    """Heat materials by NVT MD and store MLFF latent snapshots along each ramp."""
    _quiet()
    materials = load_dataset(dataset)
    if order not in ("dataset", "stratified"):
        raise typer.BadParameter("dataset or stratified", param_hint="--order")
    if order == "stratified":
        materials = stratified(materials)
    if names:
        known = {m.name for m in materials}
        missing = [n for n in names if n not in known]
        if missing:
            raise typer.BadParameter(f"not in {dataset}: {', '.join(missing)}", param_hint="--names")
        materials = [m for m in materials if m.name in set(names)]
    materials = run.shard(materials[:limit] if limit else materials, shard)
    cfg = RampConfig.from_file(config) if config else RampConfig()
    if sampler:
        if sampler not in SAMPLERS:
            raise typer.BadParameter(" | ".join(SAMPLERS), param_hint="--sampler")
        cfg = replace(cfg, sampler=sampler)
    columns = (
        TextColumn("[bold]ramps"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("ramps", total=len(materials), failed=0)
        failed = 0

        def on_event(kind: str, name: str, reason: str | None) -> None:
            nonlocal failed
            if kind == "failed":
                failed += 1
                bar.console.print(f"[red]FAILED[/red] {name}: {reason}", highlight=False, soft_wrap=True)
            bar.update(task, advance=1, failed=failed)

        result = run.simulate(
            materials,
            out,
            cfg,
            mlff=mlff,
            weights=weights,
            device=device,
            workers=workers,
            scheduler=scheduler,
            on_event=on_event,
        )
    console.print(
        f"{len(result.finished)} ramped, {len(result.skipped)} already done, {len(result.failed)} failed -> {out}"
    )
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def train(
    snapshots: Annotated[list[Path], typer.Option(help="Snapshot directories (repeat for shards).")],
    out: Annotated[Path, typer.Option(help="Model directory to write.")],
    model: Annotated[
        str, typer.Option(help="catboost-tc (Tc regressor) | catboost | mlp (P(SC | inputs, T) classifiers).")
    ] = "catboost-tc",
    features: Annotated[
        str, typer.Option(help=f"Feature groups, comma-separated, of: {', '.join(GROUPS)}.")
    ] = ",".join(DEFAULT),
    folds: Annotated[int, typer.Option(help="Grouped CV folds (the ensemble size).")] = 5,
    params: Annotated[str | None, typer.Option(help="JSON of classifier parameters.")] = None,
) -> None:
    """Train a Tc model (P(SC | inputs, T) classifier or Tc regressor) by grouped CV on a snapshot
    set; writes a model `predict` uses."""
    _quiet()
    df = snap.read_snapshots(*snapshots)
    tc_model, table = models.train(
        df,
        model,
        json.loads(params) if params else None,
        groups=parse(features),
        folds=folds,
        config=snap.read_config(*snapshots),
        weights=snap.read_weights(*snapshots),
    )
    tc_model.save(out)
    table.to_csv(out / "cv_tc.csv", index=False)
    cv = tc_model.meta.cv
    extra = (
        f"AUC {cv['auc']:.3f}, Tc MAE {cv['tc_mae']:.2f} K (60 %: {cv['tc_mae_tc60']:.2f}, 70 %: {cv['tc_mae_tc70']:.2f})"
        if "auc" in cv
        else f"Tc MAE {cv['tc_mae']:.2f} K"
    )
    console.print(
        f"{tc_model.meta.training_set['materials']} materials, {len(df)} snapshots: grouped {folds}-fold CV {extra} -> {out}"
    )


@app.command()
def search(
    snapshots: Annotated[list[Path], typer.Option(help="Snapshot directories.")],
    storage: Annotated[
        str, typer.Option(help="Optuna storage (SQLite URL); rerun to continue.")
    ] = "sqlite:///tcramp-search.db",
    trials: Annotated[int, typer.Option(help="Completed trials wanted in the study.")] = 30,
    study: Annotated[str, typer.Option(help="Study name.")] = "tcramp",
    folds: Annotated[int, typer.Option(help="Grouped CV folds per trial.")] = 3,
    model: Annotated[
        list[str] | None, typer.Option(help="Families to search (repeat): catboost-tc (default), catboost, mlp.")
    ] = None,
    features: Annotated[
        str, typer.Option(help=f"Feature groups, comma-separated, of: {', '.join(GROUPS)}.")
    ] = ",".join(DEFAULT),
    best_file: Annotated[
        Path | None,
        typer.Option("--best", help="Write the best trial (model, params, features, Tc MAE) to this JSON file."),
    ] = None,
) -> None:
    """Hyper-parameter search (Optuna, SQLite) minimising grouped-CV Tc MAE."""
    _quiet()
    st = search_.search(
        snap.read_snapshots(*snapshots),
        storage,
        trials=trials,
        study=study,
        folds=folds,
        families=tuple(model or ("catboost-tc",)),
        groups=parse(features),
        config=snap.read_config(*snapshots),
    )
    best = st.best_trial
    console.print(
        f"study {study}: {len(st.trials)} trials; best #{best.number} Tc MAE {best.value:.2f} K "
        f"(AUC {best.user_attrs['auc'] or float('nan'):.3f}) {best.user_attrs['params']}"
    )
    if best_file:
        record = {"model": best.params["model"], "params": best.user_attrs["params"], "features": features}
        best_file.write_text(json.dumps({**record, "tc_mae": best.value}, indent=1))


@app.command()
def predict(
    files: Annotated[list[Path], typer.Argument(help="Structure files (CIF, POSCAR, extxyz, ...).")],
    out: Annotated[Path | None, typer.Option(help="Write P(SC|T) plots and predictions.json/.csv here.")] = None,
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the shipped model).")] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda.")] = "auto",
) -> None:
    """Predict Tc of crystals: ramp each one, read Tc where P(SC | T) crosses 50/60/70 %."""
    _quiet()
    tc_model = models.TcModel.load(model or shipped_model_dir())
    if out:
        (out / "results").mkdir(parents=True, exist_ok=True)
    results, failed = [], 0
    with Progress(
        TextColumn("[bold]predict"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("predict", total=len(files))
        for f in files:
            # keyed by the file's content and the model, so a changed file or model is predicted anew
            key = hashlib.sha1(f.read_bytes() + tc_model.fingerprint.encode()).hexdigest() if f.is_file() else ""
            cached = out / "results" / f"{snap.file_key(f'{f.resolve()}-{key}')}.json" if out else None
            try:
                if cached and cached.exists():
                    r = json.loads(cached.read_text())
                else:
                    r = predict_tc(f, tc_model, name=f.stem, device=device)
                    r["file"] = str(f)
                    if out and "temperatures" in r:
                        plot_curve(r, out / f"{snap.file_key(f.stem)}.png")
                        cached.write_text(json.dumps(r))
                results.append(r)
            except Exception as exc:
                failed += 1
                bar.console.print(
                    f"[red]FAILED[/red] {f}: {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True
                )
            bar.advance(task)
    table = Table("name", "atoms", "Tc@50% (K)", "Tc@60% (K)", "Tc@70% (K)", "interval (K)", "note")
    for r in results:
        note = {"never": "never superconducting", "above": "Tc above the ramp", "regression": "Tc regressor"}.get(
            r["kind"], ""
        )
        table.add_row(
            r["name"],
            str(r["n_atoms"]),
            *(f"{r[k]:.1f}" if k in r else "–" for k in ("tc50", "tc60", "tc70")),
            f"{r['tc_low']:.1f} – {r['tc_high']:.1f}",
            note,
        )
    Console(width=140).print(table)
    if out:
        cols = ["name", "file", "n_atoms", "tc50", "tc60", "tc70", "tc_low", "tc_high", "kind"]
        pd.DataFrame(results, columns=cols).to_csv(out / "predictions.csv", index=False)
        (out / "predictions.json").write_text(json.dumps(results, indent=1))
    if failed:
        raise typer.Exit(1)


@app.command()
def evaluate(
    out: Annotated[Path, typer.Option(help="Directory for metrics.json, predictions.csv, plots, summary.md.")],
    snapshots: Annotated[
        list[Path], typer.Option(help="Snapshot directories (the repo's build: data/snapshots/chgnet-v2).")
    ],
    folds: Annotated[int, typer.Option(help="Grouped CV folds.")] = 5,
    extrapolation: Annotated[float, typer.Option(help="Train on Tc below this quantile, test above (0: skip).")] = 0.9,
    leave_class_out: Annotated[bool, typer.Option(help="Leave each sc_class out in turn.")] = True,
    leave_element_out: Annotated[list[str] | None, typer.Option(help="Elements to leave out (repeat).")] = None,
    features: Annotated[
        str, typer.Option(help=f"Ramp-classifier feature groups, comma-separated, of: {', '.join(GROUPS)}.")
    ] = ",".join((*DEFAULT, "temperature")),
    ablation: Annotated[bool, typer.Option(help="Run the feature-group ablation (ablation.json/.csv/.md).")] = True,
    dense: Annotated[
        bool, typer.Option(help="Train on the near-Tc snapshots too (--no-dense: base grid only).")
    ] = True,
    readme: Annotated[Path | None, typer.Option(help="Regenerate this README's results and ablation tables.")] = None,
) -> None:
    """Compare the ramp classifiers with composition baselines on the same leakage-free splits."""
    _quiet()
    cfg = ev.EvalConfig(
        folds=folds,
        extrapolation_quantile=extrapolation or None,
        leave_class_out=leave_class_out,
        leave_elements_out=tuple(leave_element_out or ("As", "Cu", "Fe")),
        groups=parse(features),
        ablation=abl.AblationConfig(folds=folds) if ablation else None,
        dense=dense,
    )
    result = ev.evaluate(
        snap.read_snapshots(*snapshots), out, cfg, config=snap.read_config(*snapshots), log=console.print
    )
    if readme:
        ev.write_readme_table(readme, result)
        if "ablation" in result:
            abl.write_readme_table(readme, result["ablation"])
    Console(width=140).print((out / "summary.md").read_text())


@app.command()
def pack(
    out: Annotated[Path, typer.Argument(help="Snapshot directory written by `tcramp simulate`.")],
) -> None:
    """Merge a snapshot directory's finished per-material files into one pack file."""
    path = snap.pack(out)
    console.print(f"packed into {path}" if path else "nothing to pack")


@app.command()
def explain(
    model: Annotated[Path, typer.Option(help="Model directory (from `tcramp train`, CatBoost).")],
    snapshots: Annotated[list[Path], typer.Option(help="Snapshot directories (repeat for shards).")],
    out: Annotated[Path, typer.Option(help="Directory for the plots and tables.")],
    material: Annotated[
        list[str] | None,
        typer.Option(
            help="Material for SHAP along its ramp (classifiers; repeat; default: a low-Tc Chevrel and a high-Tc cuprate)."
        ),
    ] = None,
    structure: Annotated[
        Path | None, typer.Option(help="Structure for the lattice-scaling probe (default: the bundled YBa2Cu3O7 cell).")
    ] = None,
    max_rows: Annotated[
        int, typer.Option(help="Input rows sampled for the SHAP summary (snapshots; materials for a regressor).")
    ] = 3000,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda (lattice probe).")] = "auto",
) -> None:
    """Interpret a classifier or Tc regressor: importances, SHAP, SHAP along ramps (classifiers), latents vs
    Magpie and Tc, latent maps, lattice probe."""
    _quiet()
    files = ex.explain(
        model,
        snap.read_snapshots(*snapshots),
        out,
        materials=material,
        structure=structure,
        max_rows=max_rows,
        device=device,
        log=console.print,
    )
    console.print(f"{len(files)} files -> {out}")


@app.command()
def report(
    out: Annotated[Path, typer.Option(help="Directory for index.html and the files it shows.")],
    evaluation: Annotated[Path | None, typer.Option(help="Directory written by `tcramp evaluate`.")] = None,
    explain: Annotated[Path | None, typer.Option(help="Directory written by `tcramp explain`.")] = None,
    model: Annotated[
        Path | None, typer.Option(help="Run `explain` on this model first (instead of --explain).")
    ] = None,
    snapshots: Annotated[list[Path] | None, typer.Option(help="Snapshot directories for --model.")] = None,
) -> None:
    """Write a static HTML report (opens from disk, no network) of an evaluation and an explain run;
    with --model and --snapshots, run the explain studies too (one command for the whole report)."""
    _quiet()
    if model is None:
        console.print(f"report -> {build_report(out, evaluation, explain)}")
        return
    if not snapshots:
        raise typer.BadParameter("--model needs --snapshots")
    with tempfile.TemporaryDirectory() as tmp:
        ex.explain(model, snap.read_snapshots(*snapshots), tmp, log=console.print)
        console.print(f"report -> {build_report(out, evaluation, tmp)}")


if __name__ == "__main__":
    app()
