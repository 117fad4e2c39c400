"""The stages of a material's record, and how each is computed from the one before.

`cell` (ordered cell, composition error, neighbour contrast of the ordered cell) → `relaxed`
(relaxation, the relaxed cell and its neighbour contrast) → `phonons` (force-constant
descriptors, and the force sets that rebuild the force constants without the model) → `samples` (the thermal grid: one row per temperature). Each stage holds only its
own columns, is hashed on its own settings (`SETTINGS`) chained to its parent's hash — the
force field's name and weights enter from `relaxed` on — so changing a phonon or sampler setting
never invalidates stored cells or relaxations. `build` carries a `Record` up to a stage, starting
from whatever it already holds (a stored stage's rows suffice to continue: cells are stored
exactly); `joined` gives the one table models read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from ase.io.jsonio import decode, encode
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from .contrast import contrast
from .guards import check_cell
from .mlff import DEFAULT_BACKEND, MLFF, load_mlff
from .phonons import force_sets, from_force_sets, phonons
from .ramp import RampConfig, material_seed, temperatures
from .records import descriptor_row, snapshot_rows
from .relax import Relaxation, relax
from .roles import ROLES, flatten, pool
from .samplers import SAMPLERS
from .structures import OrderedCell, order

__all__ = [
    "SETTINGS",
    "STAGES",
    "Record",
    "build",
    "joined",
    "ordered_cell",
    "stage_hash",
    "stage_settings",
    "upto",
]

STAGES = ("cell", "relaxed", "phonons", "samples")
# the RampConfig fields each stage is computed with (every field in exactly one stage)
SETTINGS = {
    "cell": ("max_atoms", "min_atoms", "composition_tol", "seed"),
    "relaxed": ("relax_fmax", "relax_steps"),
    "phonons": ("phonon_min_length", "phonon_max_atoms", "phonon_distance"),
    "samples": (
        "t_min",
        "t_max",
        "n_temps",
        "dense_window",
        "dense_points",
        "sampler",
        "harmonic_samples",
        "harmonic_min_frequency",
        "hybrid_crossover",
        "timestep_fs",
        "light_mass",
        "friction_per_fs",
        "first_equil_steps",
        "equil_steps",
        "sample_steps",
        "max_force",
        "max_temperature",
    ),
}
MODEL_STAGES = ("relaxed", "phonons", "samples")  # computed with the force field
PER_MATERIAL = ("cell", "relaxed", "phonons")  # one row per material; samples: one per temperature


def upto(stage: str) -> tuple[str, ...]:
    """The stages a record needs to hold `stage`: it and every stage before it."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; choose from {', '.join(STAGES)}")
    return STAGES[: STAGES.index(stage) + 1]


def stage_settings(config: RampConfig, stage: str, mlff: str = DEFAULT_BACKEND) -> dict:
    """The settings of `config` that `stage` is computed with by backend `mlff` (its trusted
    phonon displacement filled in, `RampConfig.for_backend`)."""
    d = asdict(config.for_backend(mlff))
    return {k: d[k] for k in SETTINGS[stage]}


def stage_hash(config: RampConfig, stage: str, mlff: str = DEFAULT_BACKEND, weights: str | None = None) -> str:
    """Hash of `stage`'s settings chained to its parent's (and the force field, from `relaxed` on)."""
    i = STAGES.index(stage)
    d = {
        "stage": stage,
        "parent": stage_hash(config, STAGES[i - 1], mlff, weights) if i else None,
        "settings": stage_settings(config, stage, mlff),
    }
    if stage in MODEL_STAGES:
        d.update(mlff=mlff, weights=weights)
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class Record:
    """One material's stages so far: `rows[stage]` its stored columns (one row, or one per
    temperature for samples); `relaxation` and `phonon` the in-memory results a later stage
    reads (rebuilt from the rows when absent)."""

    name: str
    tc: float = 0.0
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)
    relaxation: Relaxation | None = None
    phonon: object | None = None

    @property
    def last(self) -> str | None:
        held = [s for s in STAGES if s in self.rows]
        return held[-1] if held else None


def ordered_cell(structure: Structure, name: str, config: RampConfig = RampConfig()) -> OrderedCell:
    """The ordered cell a build makes of material `name`: `config`'s limits, its per-material seed."""
    return order(
        structure,
        max_atoms=config.max_atoms,
        min_atoms=config.min_atoms,
        tol=config.composition_tol,
        seed=material_seed(config.seed, name),
    )


def _cell(structure: Structure, name: str, config: RampConfig) -> pd.DataFrame:
    """The cell stage; refuses an unphysical ordered cell (`check_cell`) before anything heavier."""
    cell = ordered_cell(structure, name, config)
    atoms = AseAtomsAdaptor.get_atoms(cell.structure)
    check_cell(atoms, name)
    row = {
        "n_atoms": len(cell.structure),
        "composition_error": cell.composition_error,
        "seed": material_seed(config.seed, name),
        "cell": encode(atoms),
        **{f"cell_{k}": v for k, v in contrast(cell.structure, name).items()},
    }
    return pd.DataFrame([row])


def _relaxed(rec: Record, model: MLFF, config: RampConfig, relax_cell: bool) -> pd.DataFrame:
    atoms = decode(rec.rows["cell"]["cell"].iloc[0])
    model.check(atoms)
    r = relax(atoms, model, fmax=config.relax_fmax, steps=config.relax_steps, cell=relax_cell)
    rec.relaxation = r
    row = {
        "relax_energy_change": r.energy_change,
        "relax_volume_change": r.volume_change,
        "relax_max_displacement": r.max_displacement,
        "relax_steps": r.steps,
        "relaxed_energy": r.energy,
        "relaxed_fmax": r.fmax,
        "relaxed_cell": encode(r.atoms),
        **contrast(AseAtomsAdaptor.get_structure(r.atoms), rec.name),
        **_static(r.atoms, model),
        "backend": model.name,
        "backend_version": model.version,
    }
    return pd.DataFrame([row])


def _static(atoms, model: MLFF) -> dict[str, float]:
    """Latents (all atoms, element roles; float16 precision like the samples') and |magnetic
    moments| of the relaxed cell at rest: one latent-only pass."""
    p = model.predict([atoms], forces=False)[0]
    symbols = atoms.get_chemical_symbols()
    pooled = pool(symbols, p.atom_latent)
    d = p.atom_latent.shape[1]
    names = [f"relaxed_latent_{k}" for k in range(d)] + [f"relaxed_latent_{r}_{k}" for r in ROLES for k in range(d)]
    values = np.concatenate([pooled["all"], *(pooled[r] for r in ROLES)]).astype(np.float16).astype(np.float32)
    out = dict(zip(names, values.tolist()))
    if p.magmom is not None:
        out.update(flatten(pool(symbols, np.abs(p.magmom)), "relaxed_magmom"))
    return out


def _relaxation(rec: Record) -> Relaxation:
    """The relaxation of `rec`, from memory or rebuilt from its stored row."""
    if rec.relaxation is None:
        r = rec.rows["relaxed"].iloc[0]
        rec.relaxation = Relaxation(
            atoms=decode(r["relaxed_cell"]),
            energy=float(r["relaxed_energy"]),
            energy_change=float(r["relax_energy_change"]),
            volume_change=float(r["relax_volume_change"]),
            max_displacement=float(r["relax_max_displacement"]),
            steps=int(r["relax_steps"]),
            fmax=float(r["relaxed_fmax"]),
        )
    return rec.relaxation


def _phonon(rec: Record, model: MLFF, config: RampConfig):
    """Force constants of the relaxed cell: from memory, rebuilt from the stored force sets of
    the phonons stage (no model calls), or computed."""
    row = rec.rows["phonons"].iloc[0] if "phonons" in rec.rows else None
    if rec.phonon is None and row is not None and "fc_forces" in row:
        rec.phonon = from_force_sets(_relaxation(rec).atoms, row)
    elif rec.phonon is None:
        rec.phonon = phonons(
            _relaxation(rec).atoms,
            model,
            min_length=config.phonon_min_length,
            max_atoms=config.phonon_max_atoms,
            distance=config.phonon_distance,
        )
    return rec.phonon


def _phonons(rec: Record, model: MLFF, config: RampConfig) -> pd.DataFrame:
    phonon = _phonon(rec, model, config)
    row = descriptor_row(_relaxation(rec), phonon, {})
    return pd.DataFrame([{**{k: v for k, v in row.items() if k.startswith("ph_")}, **force_sets(phonon)}])


def _samples(rec: Record, model: MLFF, config: RampConfig) -> pd.DataFrame:
    relaxed, phonon = _relaxation(rec), _phonon(rec, model, config)
    seed = material_seed(config.seed, rec.name)
    draws = SAMPLERS[config.sampler](relaxed.atoms, model, temperatures(rec.tc, config), config, seed, phonon)
    rows = snapshot_rows(draws, relaxed, phonon, config.harmonic_min_frequency)
    return rows.assign(sampler=config.sampler, latent_size=model.latent_size)


def build(
    rec: Record,
    stage: str,
    config: RampConfig = RampConfig(),
    *,
    structure: Structure | None = None,
    model: MLFF | None = None,
    mlff: str = DEFAULT_BACKEND,
    weights: str | None = None,
    device: str = "auto",
    relax_cell: bool = True,
    skip: Collection[str] = (),
) -> Record:
    """Compute the stages of `rec` missing up to `stage` (in place; returns `rec`).

    `structure` is needed when `rec` holds no cell yet; `model` (or `mlff`/`weights`/`device`,
    loaded on first need) for the force-field stages; `relax_cell=False` relaxes positions only;
    `skip` names stages held elsewhere (not computed, e.g. stored samples of a converted set). Every row of a stage carries `{stage}_hash`. An error
    leaves the stages finished before it in `rec`."""
    if config.sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {config.sampler!r}; choose from {', '.join(SAMPLERS)}")
    config = config.for_backend(mlff)
    for s in upto(stage):
        if s in rec.rows or s in skip:
            continue
        if s == "cell":
            if structure is None:
                raise ValueError(f"{rec.name}: no stored cell and no structure to order")
            rows = _cell(structure, rec.name, config)
        else:
            model = model or load_mlff(mlff, weights, device)
            if s == "relaxed":
                rows = _relaxed(rec, model, config, relax_cell)
            else:
                rows = (_phonons if s == "phonons" else _samples)(rec, model, config)
        rows.insert(0, "name", rec.name)
        rec.rows[s] = rows.assign(**{f"{s}_hash": stage_hash(config, s, mlff, weights)})
    return rec


def joined(rec: Record, identity: dict | None = None) -> pd.DataFrame:
    """One table of `rec`'s stages: the per-material stages side by side, repeated on each
    temperature row when samples are held; `identity` (name, formula, tc, ...) in front, and
    `superconducting` (T_target < tc) on temperature rows."""
    parts = [rec.rows[s].drop(columns="name").reset_index(drop=True) for s in PER_MATERIAL if s in rec.rows]
    head = pd.concat([pd.DataFrame([{**(identity or {}), "name": rec.name}]), *parts], axis=1)
    head["stage"] = rec.last
    if "samples" not in rec.rows:
        return head
    t = rec.rows["samples"].drop(columns="name").reset_index(drop=True)
    out = pd.concat([pd.concat([head] * len(t), ignore_index=True), t], axis=1)
    out.insert(len(head.columns), "superconducting", out["T_target"] < rec.tc)
    return out
