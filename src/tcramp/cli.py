"""The `tcramp` command line: thin wrappers over the public Python functions."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

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
    dataset: Annotated[str, typer.Option(help="'3dsc' (bundled) or a CSV: name,structure,tc[,group,sc_class].")] = "3dsc",
    names: Annotated[Optional[list[str]], typer.Option(help="Only these materials (repeat the option).")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first K materials (in --order).")] = None,
    order: Annotated[str, typer.Option(help="dataset | stratified (every prefix balanced over class x Tc bin).")] = "dataset",
    mlff: Annotated[str, typer.Option(help="Force field: chgnet | orb-d3-v2.")] = "chgnet",
    weights: Annotated[Optional[str], typer.Option(help="Local checkpoint for the force field.")] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda.")] = "auto",
    workers: Annotated[int, typer.Option(help="Local Dask worker processes (0: run in this process).")] = os.cpu_count() or 1,
    scheduler: Annotated[Optional[str], typer.Option(help="Existing Dask scheduler, tcp://HOST:PORT.")] = None,
    shard: Annotated[Optional[str], typer.Option(help="Run shard i/N of the selection (0-based).")] = None,
    config: Annotated[Optional[Path], typer.Option(help="JSON file of ramp settings (see tcramp.ramp.RampConfig).")] = None,
) -> None:
    """Heat materials by NVT MD and store MLFF latent snapshots along each ramp."""
    _quiet()
    from . import snapshots
    from .data import load_dataset, stratified
    from .ramp import RampConfig

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
    materials = snapshots.shard(materials[:limit] if limit else materials, shard)
    cfg = RampConfig.from_file(config) if config else RampConfig()
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

        result = snapshots.simulate(
            materials, out, cfg, mlff=mlff, weights=weights, device=device,
            workers=workers, scheduler=scheduler, on_event=on_event,
        )
    console.print(
        f"{len(result.finished)} ramped, {len(result.skipped)} already done, "
        f"{len(result.failed)} failed -> {out}"
    )
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def pack(
    out: Annotated[Path, typer.Argument(help="Snapshot directory written by `tcramp simulate`.")],
) -> None:
    """Merge a snapshot directory's finished per-material files into one pack file."""
    from .snapshots import pack as pack_

    path = pack_(out)
    console.print(f"packed into {path}" if path else "nothing to pack")


if __name__ == "__main__":
    app()
