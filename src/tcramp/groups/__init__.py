"""Feature groups: the named sets of inputs models are trained on (one file per group).

`GROUPS` maps each name to its `FeatureGroup`; `columns` gives a table's inputs for a list of
group names and refuses a table lacking one of them; `material_view` turns a snapshot table into
one row per material for material-level (regression) models. A new group is one file holding a
`FeatureGroup` subclass plus one line here.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..ramp import RampConfig
from ..snapshots import IDENTITY
from ..stages import STAGES
from ..tc import base_grid
from .base import FeatureGroup
from .cell_contrast import CellContrast
from .contrast import Contrast
from .latent import Latent
from .latent_elements import LatentElements
from .magmom import Magmom
from .magpie import Magpie, with_magpie
from .phonon import Phonon
from .relax import Relax
from .relaxed_latent import RelaxedLatent
from .temperature import Temperature
from .thermal import Thermal

__all__ = [
    "DEFAULT",
    "GROUPS",
    "RAMP_GROUPS",
    "FeatureGroup",
    "columns",
    "lowest_base_row",
    "material_columns",
    "material_view",
    "parse",
    "prepare",
    "stage_of",
    "with_magpie",
]

GROUPS: dict[str, FeatureGroup] = {
    g.name: g
    for g in (
        Magpie(),
        Temperature(),
        Latent(),
        LatentElements(),
        Magmom(),
        Phonon(),
        Thermal(),
        Relax(),
        Contrast(),
        CellContrast(),
        RelaxedLatent(),
    )
}
# groups only a ramp can give (not composition, not the temperature axis)
RAMP_GROUPS = (
    "latent",
    "latent-elements",
    "magmom",
    "phonon",
    "thermal",
    "relax",
    "contrast",
    "cell-contrast",
    "relaxed-latent",
)
# the shipped model's groups: cell stage only, as good as any relaxed-stage set on the repo's
# relaxed set (README "Shipped model") and read without a force field
DEFAULT = ("magpie", "cell-contrast")


def parse(names: str | Iterable[str]) -> tuple[str, ...]:
    """Group names from a comma-separated string or an iterable, checked against `GROUPS`."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    names = tuple(dict.fromkeys(names))
    unknown = [n for n in names if n not in GROUPS]
    if unknown or not names:
        raise ValueError(f"unknown feature groups {unknown}; choose from {', '.join(GROUPS)}")
    return names


def stage_of(names: str | Iterable[str], classifier: bool = False) -> str:
    """The deepest record stage (`tcramp.stages`) the named groups read; a snapshot classifier
    reads temperature rows, so `samples`."""
    need = [GROUPS[n].stage for n in parse(names)] + (["samples"] if classifier else [])
    return max(need, key=STAGES.index)


def prepare(df: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    """`df` with every named group's computed columns added and infinities cleaned."""
    for n in parse(names):
        df = GROUPS[n].prepare(df)
    return df


def columns(df: pd.DataFrame, names: Iterable[str]) -> list[str]:
    """The inputs of the named groups in `df` (a `prepare`d table), group by group; a clear
    error when `df` lacks a group (e.g. snapshots of another schema or backend)."""
    out, missing = [], []
    for n in parse(names):
        cols = GROUPS[n].columns(df)
        if not cols:
            missing.append(n)
        out += cols
    if missing:
        raise ValueError(
            f"inputs lack feature group(s) {', '.join(missing)} "
            f"({'; '.join(f'{n}: {GROUPS[n].description}' for n in missing)}); "
            "use snapshots that hold them or a model trained without them"
        )
    return out


def material_columns(df: pd.DataFrame, names: Iterable[str]) -> list[str]:
    """The inputs `material_view` gives for the named groups of snapshot table `df`."""
    out = []
    for n in parse(names):
        g = GROUPS[n]
        cols = g.columns(df)
        out += cols if g.level == "material" else [f"{c}@{at}" for at in g.at for c in cols]
    return out


def lowest_base_row(snap: pd.DataFrame, config: RampConfig) -> pd.DataFrame:
    """Each material's lowest-temperature row on the base grid (`tcramp.tc.base_grid`: not a
    dense point placed by its Tc), sorted by name: the ground state every material-level reader
    takes."""
    rows = snap[base_grid(snap, config)].sort_values(["name", "T_target"], kind="stable")
    return rows.groupby("name", sort=True).head(1)


def material_view(snap: pd.DataFrame, names: Iterable[str], config: RampConfig) -> tuple[pd.DataFrame, list[str]]:
    """One row per material (sorted by name) for material-level models, and its input columns,
    from a snapshot table or a table of materials (snapshot groups need the former).

    Material-level groups give their (constant) values; a snapshot group gives its values at the
    lowest and/or highest base-grid temperature of each material (per its `at`, columns
    `{column}@min` / `{column}@max`); the temperature group gives none."""
    names = parse(names)
    snap = prepare(snap, names)
    columns(snap, names)  # refuses a table lacking a group
    if "T_target" in snap:
        rows = snap[base_grid(snap, config)].sort_values(["name", "T_target"], kind="stable")
        first, last = lowest_base_row(snap, config), rows.groupby("name", sort=True).tail(1)
    else:  # a table of materials (`tcramp.snapshots.read_materials`): no temperature axis
        first = last = snap.sort_values("name", kind="stable")
    keep = [c for c in (*IDENTITY, "backend", "latent_size", "ramp_hash") if c in snap.columns]
    view = [first[keep].reset_index(drop=True)]
    for n in names:
        g, gcols = GROUPS[n], GROUPS[n].columns(snap)
        if g.level == "material":
            view.append(first[gcols].reset_index(drop=True))
        for at in g.at if g.level == "snapshot" else ():
            src = first if at == "min" else last
            view.append(pd.DataFrame(src[gcols].to_numpy(), columns=[f"{c}@{at}" for c in gcols]))
    out = pd.concat(view, axis=1)
    inputs = material_columns(snap, names)
    num = out[inputs].select_dtypes("number").columns
    out[num] = out[num].replace([np.inf, -np.inf], np.nan)
    return out, inputs
