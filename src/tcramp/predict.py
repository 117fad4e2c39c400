"""Tc of many structure files: `predict_tc` per file, results cached by file content and model,
written as they finish (a killed batch keeps what was done), a bad file failing alone."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from .mlff import load_mlff
from .models import TcModel
from .pipeline import predict_tc, shipped_model_dir
from .report import plot_curve
from .snapshots import atomic_write, file_key

__all__ = ["COLUMNS", "predict_files"]

COLUMNS = ["name", "file", "n_atoms", "tc50", "tc60", "tc70", "tc_low", "tc_high", "kind", "warnings"]


def predict_files(
    files: Sequence[str | Path],
    model: TcModel | str | Path | None = None,
    *,
    out: str | Path | None = None,
    device: str = "auto",
    limit: float | None = 600,
    on_event: Callable[[Path, dict | None, Exception | None], None] | None = None,
) -> tuple[list[dict], dict[Path, Exception]]:
    """`predict_tc` of each file with `model` (a `TcModel`, a directory, None: the shipped one).

    `out`: where results are cached (`results/`, keyed by file content and model) and
    `predictions.json`/`.csv` written after each file, with a classifier's P(SC | T) plot per
    file; `limit`: seconds one file may take (None: no limit); `on_event(file, result, error)`
    after each file. A missing backend or device raises before any file runs (unless every
    result is cached). Returns the results and the failures (file -> error)."""
    if not isinstance(model, TcModel):
        model = TcModel.load(model or shipped_model_dir())
    files = [Path(f) for f in files]
    out = Path(out) if out else None
    cached = {f: _cache_path(f, model, out) for f in files}
    if model.meta.stage != "cell" and not all(c and c.exists() for c in cached.values()):
        load_mlff(model.meta.backend, model.meta.weights, device)  # environment errors stop here
    if out:
        (out / "results").mkdir(parents=True, exist_ok=True)
    results, failed = [], {}
    for f in files:
        r = err = None
        try:
            r = _predict_file(f, model, cached[f], out, device, limit)
            results.append(r)
            if out:
                _write_predictions(out, results)
        except Exception as exc:
            failed[f] = err = exc
        if on_event:
            on_event(f, r, err)
    return results, failed


def _cache_path(f: Path, model: TcModel, out: Path | None) -> Path | None:
    """Where `out` caches the result of file `f` with this model, keyed by the file's content and
    the model (a changed file or model is predicted anew); None without `out`."""
    if not out:
        return None
    key = hashlib.sha1(f.read_bytes() + model.fingerprint.encode()).hexdigest() if f.is_file() else ""
    return out / "results" / f"{file_key(f'{f.resolve()}-{key}')}.json"


def _predict_file(f: Path, model: TcModel, cached: Path | None, out: Path | None, device: str, limit) -> dict:
    """`predict_tc` of one file, from the `cached` result when there is one; a new result (and a
    classifier's P(SC|T) plot) is stored under `out` at once."""
    if cached and cached.exists():
        return json.loads(cached.read_text())
    r = predict_tc(f, model, name=f.stem, device=device, limit=limit)
    r["file"] = str(f)
    if out:
        if "temperatures" in r:
            plot_curve(r, out / f"{file_key(f.stem)}.png")
        atomic_write(cached, json.dumps(r).encode())
    return r


def _write_predictions(out: Path, results: list[dict]) -> None:
    table = pd.DataFrame(results, columns=COLUMNS).assign(warnings=["; ".join(r.get("warnings", [])) for r in results])
    atomic_write(out / "predictions.csv", table.to_csv(index=False).encode())
    atomic_write(out / "predictions.json", json.dumps(results, indent=1).encode())
