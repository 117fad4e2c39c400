"""The `tcramp` command line: thin wrappers over the public Python functions."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from . import ablation as abl
from . import estimators, models, run, training
from . import evaluate as ev
from . import explain as ex
from . import search as search_
from . import snapshots as snap
from . import validate as val
from .data import load_dataset, stratified
from .groups import DEFAULT, GROUPS, parse, stage_of
from .mlff import BACKENDS, DEFAULT_BACKEND
from .predict import predict_files
from .ramp import RampConfig
from .report import build_report
from .samplers import SAMPLERS
from .stages import STAGES

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Superconducting Tc from MLFF temperature ramps.")
console = Console(stderr=True)
BUILD_MLFF_HELP = f"Force field of the build (default: the store's only one; among several, {DEFAULT_BACKEND}'s)."


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks (also: TCRAMP_DEBUG=1).")] = False,
) -> None:
    """Superconducting Tc from MLFF temperature ramps."""
    if debug:
        os.environ["TCRAMP_DEBUG"] = "1"


def run_cli() -> None:
    """The `tcramp` entry point: an error ends the command with one line, `error: Type: message`
    (exit 2); the full traceback with `tcramp --debug ...` or `TCRAMP_DEBUG=1`."""
    try:
        app()
    except Exception as exc:
        if os.environ.get("TCRAMP_DEBUG") == "1":
            raise
        console.print(f"[red]error:[/red] {_one_line(exc)}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None


def _one_line(exc: BaseException) -> str:
    """`Type: message` on one line (the first line of the message)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _quiet() -> None:
    warnings.filterwarnings("ignore")
    logging.getLogger("distributed").setLevel(logging.ERROR)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # for Dask worker processes


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Record store (created; continued when it exists).")],
    dataset: Annotated[
        str, typer.Option(help="'3dsc' (bundled) or a CSV: name,structure,tc[,group,sc_class].")
    ] = "3dsc",
    names: Annotated[list[str] | None, typer.Option(help="Only these materials (repeat the option).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first K materials (in --order).")] = None,
    order: Annotated[
        str, typer.Option(help="dataset | stratified (every prefix balanced over class x Tc bin).")
    ] = "dataset",
    mlff: Annotated[str, typer.Option(help=f"Force field: {' | '.join(BACKENDS)}.")] = DEFAULT_BACKEND,
    weights: Annotated[str | None, typer.Option(help="Local checkpoint for the force field.")] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda.")] = "auto",
    workers: Annotated[int, typer.Option(help="Local Dask worker processes (0: run in this process).")] = os.cpu_count()
    or 1,
    scheduler: Annotated[str | None, typer.Option(help="Existing Dask scheduler, tcp://HOST:PORT.")] = None,
    shard: Annotated[str | None, typer.Option(help="Run shard i/N of the selection (0-based).")] = None,
    stages: Annotated[
        str,
        typer.Option(help=f"Stages to build, comma-separated, of: {', '.join(STAGES)} (each needs the ones before)."),
    ] = ",".join(STAGES),
    sampler: Annotated[
        str | None,
        typer.Option(help=f"Thermal sampler: {' | '.join(SAMPLERS)} (default: the config's, {RampConfig().sampler})."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="JSON file of ramp settings (see tcramp.ramp.RampConfig).")
    ] = None,
    time_limit: Annotated[
        float, typer.Option(min=0, help="Seconds one material may take (0: no limit); over it, it is failed.")
    ] = 3600,
) -> None:
    """Build materials' records up to a stage (ordered cell, relaxation, phonons, thermal samples),
    continuing what the store holds."""
    _quiet()
    materials = run.shard(_selection(dataset, order, names, limit), shard)
    stage = _last_stage(stages)
    with _records_bar(len(materials)) as on_event:
        result = run.simulate(
            materials,
            out,
            _settings(config, sampler),
            stage=stage,
            mlff=mlff,
            weights=weights,
            device=device,
            workers=workers,
            scheduler=scheduler,
            limit=time_limit or None,
            on_event=on_event,
        )
    console.print(
        f"{len(result.finished)} built to {stage}, {len(result.skipped)} already done, {len(result.failed)} failed -> {out}"
    )
    if not result.ok:
        raise typer.Exit(1)


def _selection(dataset: str, order: str, names: list[str] | None, limit: int | None) -> list:
    """The materials of `dataset` in `order`, only `names` if given, the first `limit`."""
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
    return materials[:limit] if limit else materials


def _settings(config: Path | None, sampler: str | None) -> RampConfig:
    """The settings of JSON file `config` (defaults without), with `sampler` if given."""
    cfg = RampConfig.from_file(config) if config else RampConfig()
    if sampler and sampler not in SAMPLERS:
        raise typer.BadParameter(" | ".join(SAMPLERS), param_hint="--sampler")
    return replace(cfg, sampler=sampler) if sampler else cfg


def _last_stage(stages: str) -> str:
    """The deepest of the comma-separated `stages` (each needs the ones before it)."""
    wanted = [x.strip() for x in stages.split(",") if x.strip()]
    unknown = [x for x in wanted if x not in STAGES]
    if unknown or not wanted:
        raise typer.BadParameter(f"unknown stages {unknown}; choose from {', '.join(STAGES)}", param_hint="--stages")
    return max(wanted, key=STAGES.index)


@contextmanager
def _records_bar(total: int):
    """A progress bar over `total` materials; yields the `on_event(kind, name, reason)` that
    advances it and names each failure."""
    columns = (
        TextColumn("[bold]records"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("records", total=total, failed=0)
        failed = 0

        def on_event(kind: str, name: str, reason: str | None) -> None:
            nonlocal failed
            if kind == "failed":
                failed += 1
                bar.console.print(f"[red]FAILED[/red] {name}: {reason}", highlight=False, soft_wrap=True)
            bar.update(task, advance=1, failed=failed)

        yield on_event


@app.command()
def train(
    snapshots: Annotated[list[Path], typer.Option(help="Record stores (repeat for shards; the repo's: data/records).")],
    out: Annotated[Path, typer.Option(help="Model directory to write.")],
    model: Annotated[
        str, typer.Option(help="catboost-tc (Tc regressor) | catboost | mlp (P(SC | inputs, T) classifiers).")
    ] = "catboost-tc",
    features: Annotated[
        str, typer.Option(help=f"Feature groups, comma-separated, of: {', '.join(GROUPS)}.")
    ] = ",".join(DEFAULT),
    folds: Annotated[int, typer.Option(help="Grouped CV folds (the ensemble size).")] = 5,
    params: Annotated[str | None, typer.Option(help="JSON of the model's parameters.")] = None,
    mlff: Annotated[str | None, typer.Option(help=BUILD_MLFF_HELP)] = None,
) -> None:
    """Train a Tc model (P(SC | inputs, T) classifier or Tc regressor) by grouped CV on the
    materials of a record store that hold every stage its feature groups read; writes a model
    `predict` uses."""
    _quiet()
    groups = parse(features)
    stage = stage_of(groups, classifier=model in estimators.CLASSIFIERS)
    df = snap.read_table(*snapshots, stage=stage, mlff=mlff)
    console.print(f"{df['name'].nunique()} materials hold the {stage} stage")
    tc_model, table = training.train(
        df,
        model,
        json.loads(params) if params else None,
        groups=groups,
        folds=folds,
        config=snap.read_config(*snapshots, stage=stage, mlff=mlff),
        weights=snap.read_weights(*snapshots, stage=stage, mlff=mlff),
    )
    tc_model.save(out)
    table.to_csv(out / models.CV_FILE, index=False)
    cv = tc_model.meta.cv
    extra = (
        f"AUC {cv['auc']:.3f}, Tc MAE {cv['tc_mae']:.2f} K (60 %: {cv['tc_mae_tc60']:.2f}, 70 %: {cv['tc_mae_tc70']:.2f})"
        if "auc" in cv
        else f"Tc MAE {cv['tc_mae']:.2f} K"
    )
    console.print(
        f"{tc_model.meta.training_set['materials']} materials, {len(df)} rows: grouped {folds}-fold CV {extra} -> {out}"
    )


@app.command()
def search(
    snapshots: Annotated[list[Path], typer.Option(help="Record stores (the repo's: data/records).")],
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
    mlff: Annotated[str | None, typer.Option(help=BUILD_MLFF_HELP)] = None,
) -> None:
    """Hyper-parameter search (Optuna, SQLite) minimising grouped-CV Tc MAE on the materials that
    hold every stage the families and feature groups read."""
    _quiet()
    groups = parse(features)
    families = tuple(model or ("catboost-tc",))
    stage = stage_of(groups, classifier=any(f in estimators.CLASSIFIERS for f in families))
    df = snap.read_table(*snapshots, stage=stage, mlff=mlff)
    console.print(f"{df['name'].nunique()} materials hold the {stage} stage")
    st = search_.search(
        df,
        storage,
        trials=trials,
        study=study,
        folds=folds,
        families=families,
        groups=groups,
        config=snap.read_config(*snapshots, stage=stage, mlff=mlff),
        weights=snap.read_weights(*snapshots, stage=stage, mlff=mlff),
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
    out: Annotated[
        Path | None, typer.Option(help="Write predictions.json/.csv here (and a classifier's P(SC | T) plots).")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the shipped model).")] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda.")] = "auto",
    time_limit: Annotated[float, typer.Option(min=0, help="Seconds one file may take (0: no limit).")] = 600,
) -> None:
    """Predict Tc of crystals: a regressor's Tc from the stages it reads, or a classifier's where
    each ramp's P(SC | T) crosses 50/60/70 %."""
    _quiet()
    with Progress(
        TextColumn("[bold]predict"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("predict", total=len(files))

        def event(f: Path, _result, exc: Exception | None) -> None:
            if exc is not None:
                bar.console.print(f"[red]FAILED[/red] {f}: {_one_line(exc)}", highlight=False, soft_wrap=True)
            bar.advance(task)

        results, failed = predict_files(files, model, out=out, device=device, limit=time_limit or None, on_event=event)
    Console(width=160).print(_prediction_table(results))
    if failed:
        raise typer.Exit(1)


def _warned(r: dict) -> str:
    return "; ".join(r.get("warnings", []))


def _prediction_table(results: list[dict]) -> Table:
    table = Table("name", "atoms", "Tc@50% (K)", "Tc@60% (K)", "Tc@70% (K)", "interval (K)", "note", "warnings")
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
            _warned(r),
        )
    return table


@app.command()
def validate(
    mlff: Annotated[str, typer.Option(help=f"Force field: {' | '.join(BACKENDS)}.")] = DEFAULT_BACKEND,
    crystal: Annotated[list[str] | None, typer.Option(help="Only these reference crystals (repeat).")] = None,
    distance: Annotated[float | None, typer.Option(help="Phonon displacement in Å (default: the backend's).")] = None,
    csv: Annotated[Path | None, typer.Option(help="Also write the table as CSV here.")] = None,
) -> None:
    """Relax and compute phonons of the reference crystals; print them against measured values."""
    _quiet()
    df = val.validate(mlff, crystal, distance=distance)
    if csv:
        df.to_csv(csv, index=False)
    print(val.markdown(df))


def _mlp_trial(path: Path) -> dict:
    """The MLP trial of a search's `--best` JSON file."""
    try:
        trial = json.loads(path.read_text())
        ok = trial["model"] == "mlp" and isinstance(trial["params"], dict) and isinstance(trial["features"], str)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise typer.BadParameter(f"{path}: {e}", param_hint="--mlp") from None
    if not ok:
        raise typer.BadParameter(f"{path}: not an MLP trial of `tcramp search --best`", param_hint="--mlp")
    return trial


@app.command()
def evaluate(
    out: Annotated[Path, typer.Option(help="Directory for metrics.json, predictions.csv, plots, summary.md.")],
    snapshots: Annotated[list[Path], typer.Option(help="Record stores (the repo's: data/records).")],
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
    readme: Annotated[
        Path | None,
        typer.Option(
            help=f"Regenerate this README's results and ablation tables (between its `results` and `ablation` markers; `results-MLFF`, `ablation-MLFF` with an --mlff other than {DEFAULT_BACKEND})."
        ),
    ] = None,
    mlff: Annotated[str | None, typer.Option(help=BUILD_MLFF_HELP)] = None,
    mlp: Annotated[
        Path | None,
        typer.Option(help="A searched MLP (`tcramp search --model mlp --best FILE`) joins the ablation on its groups."),
    ] = None,
) -> None:
    """Compare the ramp classifiers with composition baselines on the same leakage-free splits."""
    _quiet()
    cfg = ev.EvalConfig(
        folds=folds,
        extrapolation_quantile=extrapolation or None,
        leave_class_out=leave_class_out,
        leave_elements_out=tuple(leave_element_out or ("As", "Cu", "Fe")),
        groups=parse(features),
        ablation=abl.AblationConfig(folds=folds, mlp=_mlp_trial(mlp) if mlp else None) if ablation else None,
        dense=dense,
    )
    rows = snap.read_snapshots(*snapshots, mlff=mlff)
    materials = snap.read_earlier(*snapshots, held=rows["name"].nunique(), mlff=mlff) if ablation else []
    console.print(
        f"{rows['name'].nunique()} materials hold every stage"
        + "".join(f", {t['name'].nunique()} the {t['stage'].iloc[0]} stage" for t in materials)
    )
    result = ev.evaluate(
        rows,
        out,
        cfg,
        config=snap.read_config(*snapshots, mlff=mlff),
        log=console.print,
        materials=materials,
        weights=snap.read_weights(*snapshots, mlff=mlff),
    )
    if readme:  # a build of another force field than the default has its own README blocks
        suffix = f"-{mlff}" if mlff and mlff != DEFAULT_BACKEND else ""
        ev.write_readme_table(readme, result, f"results{suffix}")
        if "ablation" in result:
            abl.write_readme_table(readme, result["ablation"], f"ablation{suffix}")
    Console(width=140).print((out / "summary.md").read_text())


@app.command()
def pack(
    out: Annotated[Path, typer.Argument(help="Record store written by `tcramp simulate`.")],
) -> None:
    """Merge the finished per-material files of each stage in a record store into one pack file each."""
    paths = snap.pack(out)
    console.print("\n".join(f"packed into {p}" for p in paths) if paths else "nothing to pack")
    console.print(snap.stages_held(out).to_string(index=False))


@app.command()
def convert(
    source: Annotated[Path, typer.Argument(help="A schema-2 snapshot directory (tcramp < 0.2).")],
    out: Annotated[Path, typer.Option(help="Record store to import its phonons and samples stages into.")],
) -> None:
    """Import a schema-2 snapshot set once into a record store (cell and relaxed are rebuilt by `simulate`)."""
    for stage, n in snap.convert_v2(source, out).items():
        console.print(f"{stage}: {n} materials -> {out}")


def _model_table(model: Path, stores: list[Path]) -> pd.DataFrame:
    """The rows of `stores` a trained model reads: its stage, its force field. A cell-stage
    model's come with the relaxed stage where the stores hold it (the latents `explain` maps)."""
    meta = models.TcModel.load(model).meta
    stage = meta.stage
    if stage == "cell" and "relaxed" in set(snap.stages_held(*stores)["stage"]):
        stage = "relaxed"
    return snap.read_table(*stores, stage=stage, mlff=meta.backend or None)


@app.command()
def explain(
    model: Annotated[Path, typer.Option(help="Model directory (from `tcramp train`, CatBoost).")],
    snapshots: Annotated[list[Path], typer.Option(help="Record stores (repeat for shards; the repo's: data/records).")],
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
        _model_table(model, snapshots),
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
    snapshots: Annotated[list[Path] | None, typer.Option(help="Record stores for --model.")] = None,
    learning_curve: Annotated[
        Path | None,
        typer.Option(help="benchmarks/learning_curve.py's table (docs/learning_curve.md; its .csv when present)."),
    ] = None,
) -> None:
    """Write a static HTML report (opens from disk, no network) of an evaluation and an explain run:
    first the ablation forest plot, the model's held-out Tc and the learning curve, then the tables
    and studies; with --model and --snapshots, run the explain studies too (one command for the whole report)."""
    _quiet()
    if model is None:
        console.print(f"report -> {build_report(out, evaluation, explain, learning_curve)}")
        return
    if not snapshots:
        raise typer.BadParameter("--model needs --snapshots")
    with tempfile.TemporaryDirectory() as tmp:
        ex.explain(model, _model_table(model, snapshots), tmp, log=console.print)
        console.print(f"report -> {build_report(out, evaluation, tmp, learning_curve)}")


if __name__ == "__main__":
    run_cli()
