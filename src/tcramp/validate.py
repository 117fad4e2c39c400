"""Phonons of reference crystals against measured values: how far a force field's phonons can be
trusted before its phonon descriptors are (`tcramp validate --mlff NAME`).

Each crystal of `tcramp/data/phonon_references.json` is built from its measured lattice constants
(ASE prototypes), relaxed with its symmetry kept (FIRE on a FrechetCellFilter, FixSymmetry, fmax
`FMAX`) and its phonons computed by `tcramp.phonons` at the backend's trusted displacement
(`RampConfig.for_backend`: `phonons.DISTANCE` for a backend without one) in a supercell whose
widths reach `MIN_LENGTH`. Every crystal gets its lattice constants, ω_max, Debye temperature
and share of imaginary modes; measured values (with their source, and whether the number was
read there or recalled) sit beside them, with frequencies at named q-points where measured.
"""

from __future__ import annotations

import json
import time
from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd
from ase import Atoms
from ase.build import bulk
from ase.constraints import FixSymmetry
from ase.spacegroup import crystal

from .mlff import DEFAULT_BACKEND, MLFF, load_mlff
from .phonons import MESH, descriptors, phonons
from .ramp import RampConfig
from .relax import relax

__all__ = ["FMAX", "SUPERCELL_ATOMS", "MIN_LENGTH", "build", "markdown", "references", "validate"]

FMAX = 0.01  # eV/Å, relaxation threshold
STEPS = 1000
MIN_LENGTH = 10.0  # Å, supercell widths
SUPERCELL_ATOMS = 160  # supercell cap: MgB2 4×4×3 (144 atoms) fits
COMPUTED = ("a", "c", "omega_max", "theta_D", "imaginary")  # reported for every crystal


@cache
def references() -> dict:
    """The shipped reference file: `crystals` (prototype, lattice constants in Å) and `measured`."""
    return json.loads(files("tcramp.data").joinpath("phonon_references.json").read_text())


def build(name: str) -> Atoms:
    """Reference crystal `name` at its measured lattice constants (primitive cell for elements
    and rock salt)."""
    c = references()["crystals"][name]
    kind, a = c["prototype"], c["a"]
    if kind in ("fcc", "bcc", "rocksalt"):
        return bulk(name, kind, a=a)
    if kind == "AlB2":  # MgB2: P6/mmm, Mg 1a, B 2d
        return crystal(
            ["Mg", "B"], [(0, 0, 0), (1 / 3, 2 / 3, 1 / 2)], spacegroup=191, cellpar=[a, a, c["c"], 90, 90, 120]
        )
    if kind == "A15":  # Nb3Sn: Pm-3n, Sn 2a, Nb 6c
        return crystal(["Sn", "Nb"], [(0, 0, 0), (0.25, 0, 0.5)], spacegroup=223, cellpar=[a, a, a, 90, 90, 90])
    raise ValueError(f"{name}: unknown prototype {kind!r}")


def _frequency(ph, atoms: Atoms, quantity: str) -> float:
    """The THz frequency a `nu@P` or `nu@P:El-xy` quantity names (see the reference file)."""
    point, _, select = quantity[3:].partition(":")
    q = atoms.cell.bandpath(npoints=0).special_points[point]
    freqs, vecs = ph.get_frequencies_with_eigenvectors(q)
    if not select:
        return float(freqs.max())
    on = np.array(atoms.get_chemical_symbols()) == select.split("-")[0]
    w = np.abs(vecs.reshape(len(atoms), 3, -1)[on, :2]) ** 2
    return float(freqs[w.sum(axis=(0, 1)).argmax()])


def _computed(name: str, model: MLFF, distance: float, min_length: float) -> dict:
    """Computed values of crystal `name`: `COMPUTED` and its measured `nu@` quantities, plus the
    supercell size and CPU seconds."""
    start = time.process_time()
    atoms = build(name)
    atoms.set_constraint(FixSymmetry(atoms))
    r = relax(atoms, model, fmax=FMAX, steps=STEPS)
    ph = phonons(r.atoms, model, min_length=min_length, max_atoms=SUPERCELL_ATOMS, distance=distance)
    d = descriptors(ph, MESH)
    ref = references()["crystals"][name]
    scale = np.linalg.norm(r.atoms.cell.array, axis=1) / np.linalg.norm(atoms.cell.array, axis=1)
    out = {"a": ref["a"] * scale[0], "c": ref["c"] * scale[2] if "c" in ref else np.nan}
    out |= {"omega_max": d["omega_max"], "theta_D": d["debye_temperature"], "imaginary": d["imaginary_fraction"]}
    for m in references()["measured"]:
        if m["crystal"] == name and m["quantity"].startswith("nu@"):
            out[m["quantity"]] = _frequency(ph, r.atoms, m["quantity"])
    return out | {"atoms": len(ph.supercell), "cpu_s": time.process_time() - start}


UNITS = {"a": "Å", "c": "Å", "omega_max": "meV", "theta_D": "K", "imaginary": ""}


def _rows(name: str, got: dict) -> list[dict]:
    measured = {m["quantity"]: m for m in references()["measured"] if m["crystal"] == name}
    rows = []
    for q in dict.fromkeys([*COMPUTED, *measured]):
        if np.isnan(got[q]):
            continue
        m = measured.get(q, {})
        v = m.get("value", np.nan)
        err = got[q] - v if q == "imaginary" else got[q] / v - 1
        rows.append(
            {
                "crystal": name,
                "quantity": q,
                "unit": m.get("unit", UNITS.get(q, "THz")),
                "measured": v,
                "computed": got[q],
                "error": err,
                "read": m.get("read"),
                "source": m.get("source", ""),
            }
        )
    return rows


def validate(
    mlff: str = DEFAULT_BACKEND,
    crystals: list[str] | None = None,
    *,
    distance: float | None = None,
    min_length: float = MIN_LENGTH,
    device: str = "cpu",
) -> pd.DataFrame:
    """One row per quantity of each crystal (default: every reference crystal): measured (NaN
    where none), computed, error (computed/measured − 1; the difference for `imaginary`), unit,
    read, source, and per crystal the displacement (Å), supercell atoms and CPU seconds.
    `distance`: the phonon displacement (Å), default the backend's (`RampConfig.for_backend`);
    `min_length`: the supercell widths (Å)."""
    model = load_mlff(mlff, None, device)
    step = RampConfig(phonon_distance=distance).for_backend(mlff).phonon_distance
    rows = []
    for name in crystals or list(references()["crystals"]):
        got = _computed(name, model, step, min_length)
        rows += [r | {"distance": step, "atoms": got["atoms"], "cpu_s": got["cpu_s"]} for r in _rows(name, got)]
    return pd.DataFrame(rows)


def markdown(df: pd.DataFrame) -> str:
    """`validate`'s table as Markdown: one line per quantity (errors in %, sources numbered
    below), then per crystal the supercell size and CPU seconds."""
    sources = list(dict.fromkeys(s for s in df["source"] if s))
    t = df.assign(
        measured=df["measured"].map(lambda v: "" if np.isnan(v) else f"{v:g}"),
        computed=df["computed"].map(lambda v: f"{v:.4g}"),
        error=[
            "" if np.isnan(e) else (f"{e:+.3f}" if q == "imaginary" else f"{e:+.1%}")
            for q, e in zip(df["quantity"], df["error"])
        ],
        source=[
            f"[{sources.index(s) + 1}]{'' if r else ' (recalled)'}" if s else ""
            for s, r in zip(df["source"], df["read"])
        ],
    )[["crystal", "quantity", "unit", "measured", "computed", "error", "source"]]
    cost = df.groupby("crystal", sort=False)[["distance", "atoms", "cpu_s"]].first().reset_index()
    notes = "\n".join(f"[{i + 1}] {s}" for i, s in enumerate(sources))
    return f"{t.to_markdown(index=False)}\n\n{cost.to_markdown(index=False, floatfmt='.4g')}\n\n{notes}\n"
