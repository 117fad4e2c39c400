"""One structure through the method, and Tc from it.

Ordered cell -> relaxed cell -> phonons -> thermal samples (`tcramp.stages`), each stage only
when asked for. `ramp_structure` carries one structure up to a stage and returns its table;
`build_material` continues a bundled or user material from its stored stages (what a build
runs); `model_rows` computes what a trained model reads of a new structure — its stages and
nothing more — and `predict_tc` reads Tc off it (P(SC | T) of a classifier, or a regressor's Tc).
"""

from __future__ import annotations

import os
from collections.abc import Collection
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pandas as pd
from pymatgen.core import Structure

from .data import Material, read_structure
from .domain import vacuum_warnings
from .guards import time_limit
from .mlff import DEFAULT_BACKEND
from .models import TcModel
from .ramp import RampConfig
from .stages import Record, build, joined, ordered_cell, upto
from .tc import tc_summary

__all__ = [
    "MaterialError",
    "build_material",
    "identity",
    "model_rows",
    "ordered_cell",
    "predict_tc",
    "ramp_structure",
    "shipped_model_dir",
]


class MaterialError(RuntimeError):
    """A material could not be ramped; the message starts with its name, `stage` says where."""

    def __init__(self, message: str, stage: str | None = None):
        super().__init__(message)
        self.stage = stage


def ramp_structure(
    structure: Structure,
    *,
    name: str,
    tc: float = 0.0,
    config: RampConfig = RampConfig(),
    mlff: str = DEFAULT_BACKEND,
    weights: str | None = None,
    device: str = "auto",
    relax_cell: bool = True,
    stage: str = "samples",
) -> pd.DataFrame:
    """One (pymatgen) structure through the stages up to `stage` (`tcramp.stages`): order it,
    relax the cell (positions only when not `relax_cell`: the lattice probe keeps its scaled
    cells), compute its phonons, sample it through the temperature grid with `config.sampler`.
    One row per temperature (with samples; one row without), the per-material stage columns
    repeated on each. `tc` > 0 adds the dense points around it."""
    rec = Record(name, tc)
    build(rec, stage, config, structure=structure, mlff=mlff, weights=weights, device=device, relax_cell=relax_cell)
    return joined(rec)


def identity(material: Material) -> dict:
    """The identity and label columns a build stores with a material's cell."""
    return {
        "name": material.name,
        "formula": material.formula or material.structure.composition.formula,  # a CSV may omit it
        "weight": material.weight,
        "parent_id": material.parent_id,
        "group": material.group,
        "sc_class": material.sc_class,
        "synth_doped": material.synth_doped,
        "tc": material.tc,
    }


def build_material(
    material: Material,
    stage: str,
    config: RampConfig = RampConfig(),
    *,
    stored: dict[str, pd.DataFrame] | None = None,
    held: Collection[str] = (),
    mlff: str = DEFAULT_BACKEND,
    weights: str | None = None,
    device: str = "auto",
    limit: float | None = None,
) -> tuple[dict[str, pd.DataFrame], MaterialError | None]:
    """The stages of `material` up to `stage` that it lacks: `stored` holds the rows of the
    stages it has that the next one reads, `held` names later stages it has (not recomputed);
    `limit` the seconds they may take (`tcramp.guards.time_limit`; None: no limit).

    Returns the new rows by stage (the cell's with the material's identity in front) and the
    error that stopped it (a `MaterialError` naming the material and the stage), if any: the
    stages finished before an error are returned too."""
    rec = Record(material.name, material.tc, rows=dict(stored or {}))
    skip = [s for s in held if s not in rec.rows]
    error = None
    try:
        with time_limit(limit, material.name):
            build(
                rec,
                stage,
                config,
                structure=None if "cell" in rec.rows else material.structure,
                mlff=mlff,
                weights=weights,
                device=device,
                skip=skip,
            )
    except Exception as exc:
        failed = next(s for s in upto(stage) if s not in rec.rows and s not in skip)
        reason = str(exc).removeprefix(f"{material.name}: ")
        error = MaterialError(f"{material.name}: {failed}: {type(exc).__name__}: {reason}", failed)
    new = {s: df for s, df in rec.rows.items() if s not in (stored or {})}
    if "cell" in new:
        cell = new["cell"].drop(columns="name").reset_index(drop=True)
        new["cell"] = pd.concat([pd.DataFrame([identity(material)]), cell], axis=1)
    return new, error


def shipped_model_dir() -> Traversable:
    """The model that ships inside the package."""
    return resources.files("tcramp") / "shipped"


def model_rows(
    structure: Structure, model: TcModel, *, name: str, device: str = "auto", relax_cell: bool = True
) -> pd.DataFrame:
    """The stages `model` reads of `structure` (no later ones), with its backend, weights and
    settings, plus the `name` and `formula` columns `model.inputs` reads."""
    meta = model.meta
    rows = ramp_structure(
        structure,
        name=name,
        config=RampConfig(**meta.ramp),
        mlff=meta.backend,
        weights=meta.weights,
        device=device,
        relax_cell=relax_cell,
        stage=meta.stage,
    )
    return rows.assign(name=name, formula=structure.composition.formula)


def predict_tc(
    structure: Structure | str | Path,
    model: TcModel | str | Path | None = None,
    *,
    name: str = "structure",
    device: str = "auto",
    threads: int | None = None,
    limit: float | None = None,
) -> dict:
    """Ramp one structure with the model's backend, weights and settings and read Tc off P(SC | T).

    `structure`: a pymatgen Structure, or a path to any file `tcramp.data.read_structure` reads.
    `model`: a `TcModel`, a model directory, or None for the shipped model. `threads`: torch
    threads (default: every core); `limit`: seconds it may take (`tcramp.guards.time_limit`).
    Returns a plain record: name, tc50/tc60/tc70, kind,
    tc_low/tc_high, n_atoms, backend_version, the record stages computed (only those the model
    reads), and the curve (`temperatures`, `p_mean`, `p_low`,
    `p_high` over the ensemble members); for a regressor name, tc50 (ensemble mean), kind
    "regression", tc_low/tc_high (member range), n_atoms, backend_version, stages. Both carry
    `warnings`: the domain warnings of `tcramp.domain` (NaN or out-of-range inputs, vacuum).
    """
    if not isinstance(model, TcModel):
        model = TcModel.load(model or shipped_model_dir())
    if isinstance(structure, (str, Path)):
        name = name if name != "structure" else Path(structure).stem
        structure = read_structure(structure, name=name)
    if model.meta.stage != "cell":  # a force field runs
        import torch  # heavy: a model reading only the ordered cell needs none

        torch.set_num_threads(threads or os.cpu_count() or 1)
    with time_limit(limit, name):
        rows = model_rows(structure, model, name=name, device=device)
    warnings = vacuum_warnings(structure) + model.warnings(rows)
    if model.regressor:
        tc = model.predict(rows)[:, 0]
        return {
            "name": name,
            "tc50": float(tc.mean()),
            "kind": "regression",
            "tc_low": float(tc.min()),
            "tc_high": float(tc.max()),
            "n_atoms": int(rows["n_atoms"].iloc[0]),
            "backend_version": str(rows["backend_version"].iloc[0]) if "backend_version" in rows else "",
            "stages": list(upto(model.meta.stage)),
            "warnings": warnings,
        }
    p = model.proba(rows)
    t = rows["T_target"].to_numpy()
    return {
        "name": name,
        **tc_summary(t, p),
        "stages": list(upto(model.meta.stage)),
        "n_atoms": int(rows["n_atoms"].iloc[0]),
        "backend_version": str(rows["backend_version"].iloc[0]),
        "temperatures": t.tolist(),
        "p_mean": p.mean(0).tolist(),
        "p_low": p.min(0).tolist(),
        "p_high": p.max(0).tolist(),
        "warnings": warnings,
    }
