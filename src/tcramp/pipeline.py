"""One structure through the method, and Tc from it.

Ordered cell -> relaxed cell -> phonons, neighbour contrast and thermal samples -> rows.
`ramp_structure` carries one structure through; `simulate_material` adds a bundled or
user material's identity and labels (what a snapshot build stores); `model_rows` ramps a new
structure with a trained model's backend and settings, and `predict_tc` reads Tc off its rows
(P(SC | T) of a classifier, or a regressor's Tc).
"""

from __future__ import annotations

import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pandas as pd
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from .contrast import contrast
from .data import Material, read_structure
from .mlff import load_mlff
from .models import TcModel
from .phonons import phonons
from .ramp import RampConfig, material_seed, temperatures
from .records import descriptor_row, snapshot_rows
from .relax import relax
from .samplers import SAMPLERS
from .structures import OrderedCell, order
from .tc import tc_summary

__all__ = [
    "MaterialError",
    "model_rows",
    "ordered_cell",
    "predict_tc",
    "ramp_structure",
    "shipped_model_dir",
    "simulate_material",
]


class MaterialError(RuntimeError):
    """A material could not be ramped; the message starts with its name."""


def ordered_cell(structure: Structure, name: str, config: RampConfig = RampConfig()) -> OrderedCell:
    """The ordered cell a build makes of material `name`: `config`'s limits, its per-material seed."""
    return order(
        structure,
        max_atoms=config.max_atoms,
        min_atoms=config.min_atoms,
        tol=config.composition_tol,
        seed=material_seed(config.seed, name),
    )


def ramp_structure(
    structure: Structure,
    *,
    name: str,
    tc: float = 0.0,
    config: RampConfig = RampConfig(),
    mlff: str = "chgnet",
    weights: str | None = None,
    device: str = "auto",
    relax_cell: bool = True,
) -> pd.DataFrame:
    """One (pymatgen) structure through the method: order it, relax the cell (positions only
    when not `relax_cell`: the lattice probe keeps its scaled cells), compute its
    phonons and neighbour contrast, and sample it through the temperature grid with
    `config.sampler`. One row per temperature: the material's descriptors (the same on every
    row; `tcramp.snapshots.read_descriptors` takes them once), cell and backend columns, then
    the snapshot columns of `tcramp.records`. `tc` > 0 adds the dense points around it."""
    if config.sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {config.sampler!r}; choose from {', '.join(SAMPLERS)}")
    seed = material_seed(config.seed, name)
    model = load_mlff(mlff, weights, device)
    cell = ordered_cell(structure, name, config)
    atoms = AseAtomsAdaptor.get_atoms(cell.structure)
    model.check(atoms)
    relaxed = relax(atoms, model, fmax=config.relax_fmax, steps=config.relax_steps, cell=relax_cell)
    phonon = phonons(
        relaxed.atoms,
        model,
        min_length=config.phonon_min_length,
        max_atoms=config.phonon_max_atoms,
        distance=config.phonon_distance,
    )
    samples = SAMPLERS[config.sampler](relaxed.atoms, model, temperatures(tc, config), config, seed, phonon)
    rows = snapshot_rows(samples, relaxed, phonon, config.harmonic_min_frequency)
    head = {
        **descriptor_row(relaxed, phonon, contrast(AseAtomsAdaptor.get_structure(relaxed.atoms), name)),
        "n_atoms": len(atoms),
        "composition_error": cell.composition_error,
        "seed": seed,
        "sampler": config.sampler,
        "backend": model.name,
        "backend_version": model.version,
        "latent_size": model.latent_size,
        "ramp_hash": config.settings_hash,
    }
    return pd.concat([pd.DataFrame([head] * len(rows)), rows], axis=1)


def simulate_material(
    material: Material,
    config: RampConfig = RampConfig(),
    mlff: str = "chgnet",
    weights: str | None = None,
    device: str = "auto",
) -> pd.DataFrame:
    """Snapshot rows of one material: its ramp (`ramp_structure`) with its identity and labels.

    Raises `MaterialError` whose message names the material and the reason.
    """
    try:
        df = ramp_structure(
            material.structure,
            name=material.name,
            tc=material.tc,
            config=config,
            mlff=mlff,
            weights=weights,
            device=device,
        )
    except Exception as exc:
        reason = str(exc).removeprefix(f"{material.name}: ")
        raise MaterialError(f"{material.name}: {type(exc).__name__}: {reason}") from exc
    meta = {
        "name": material.name,
        "formula": material.formula,
        "weight": material.weight,
        "parent_id": material.parent_id,
        "group": material.group,
        "sc_class": material.sc_class,
        "synth_doped": material.synth_doped,
        "tc": material.tc,
    }
    head = pd.DataFrame({k: [v] * len(df) for k, v in meta.items()})
    df.insert(0, "superconducting", df["T_target"] < material.tc)
    return pd.concat([head, df], axis=1)


def shipped_model_dir() -> Traversable:
    """The model that ships inside the package."""
    return resources.files("tcramp") / "shipped"


def model_rows(
    structure: Structure, model: TcModel, *, name: str, device: str = "auto", relax_cell: bool = True
) -> pd.DataFrame:
    """`ramp_structure` rows of `structure` with `model`'s backend, weights and ramp settings, plus
    the `name` and `formula` columns `model.inputs` reads."""
    meta = model.meta
    rows = ramp_structure(
        structure,
        name=name,
        config=RampConfig(**meta.ramp),
        mlff=meta.backend,
        weights=meta.weights,
        device=device,
        relax_cell=relax_cell,
    )
    return rows.assign(name=name, formula=structure.composition.formula)


def predict_tc(
    structure: Structure | str | Path,
    model: TcModel | str | Path | None = None,
    *,
    name: str = "structure",
    device: str = "auto",
    threads: int | None = None,
) -> dict:
    """Ramp one structure with the model's backend, weights and settings and read Tc off P(SC | T).

    `structure`: a pymatgen Structure, or a path to any file `tcramp.data.read_structure` reads.
    `model`: a `TcModel`, a model directory, or None for the shipped model. `threads`: torch
    threads (default: every core). Returns a plain record: name, tc50/tc60/tc70, kind,
    tc_low/tc_high, n_atoms, backend_version, and the curve (`temperatures`, `p_mean`, `p_low`,
    `p_high` over the ensemble members); for a regressor name, tc50 (ensemble mean), kind
    "regression", tc_low/tc_high (member range), n_atoms, backend_version.
    """
    import torch  # heavy: needed only once a structure is ramped

    if not isinstance(model, TcModel):
        model = TcModel.load(model or shipped_model_dir())
    if isinstance(structure, (str, Path)):
        name = name if name != "structure" else Path(structure).stem
        structure = read_structure(structure, name=name)
    torch.set_num_threads(threads or os.cpu_count() or 1)
    rows = model_rows(structure, model, name=name, device=device)
    if model.regressor:
        tc = model.predict(rows)[:, 0]
        return {
            "name": name,
            "tc50": float(tc.mean()),
            "kind": "regression",
            "tc_low": float(tc.min()),
            "tc_high": float(tc.max()),
            "n_atoms": int(rows["n_atoms"].iloc[0]),
            "backend_version": str(rows["backend_version"].iloc[0]),
        }
    p = model.proba(rows)
    t = rows["T_target"].to_numpy()
    return {
        "name": name,
        **tc_summary(t, p),
        "n_atoms": int(rows["n_atoms"].iloc[0]),
        "backend_version": str(rows["backend_version"].iloc[0]),
        "temperatures": t.tolist(),
        "p_mean": p.mean(0).tolist(),
        "p_low": p.min(0).tolist(),
        "p_high": p.max(0).tolist(),
    }
