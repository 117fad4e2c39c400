"""Phonons of reference crystals against measured values: how far a force field's phonons can be
trusted before its phonon descriptors are (`tcramp validate --mlff NAME`).

Each crystal is built from its measured lattice constants (ASE), relaxed with the symmetry kept
(FIRE on a FrechetCellFilter, FixSymmetry, fmax 0.01 eV/Å) and its phonons computed by
`tcramp.phonons` at the backend's trusted displacement (`tcramp.mlff.trusted_distance`; 0.01 Å,
the record's default, where it has none) in a supercell whose widths reach 10 Å. Compared with
`MEASURED`: lattice constants, frequencies at named q-points, ω_max, Debye temperature, and the
share of imaginary modes (none for these crystals, all stable where measured).

Every measured value names its source; `read` tells whether the number was read in that source
when this table was written (True) or recalled and not re-read (False).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ase import Atoms
from ase.build import bulk
from ase.constraints import FixSymmetry
from ase.spacegroup import crystal

from .mlff import load_mlff, trusted_distance
from .phonons import MESH, descriptors, phonons
from .relax import relax

__all__ = ["CRYSTALS", "FMAX", "MEASURED", "MIN_LENGTH", "Measured", "validate"]

FMAX = 0.01  # eV/Å, relaxation threshold
MIN_LENGTH = 10.0  # Å, supercell widths
MAX_ATOMS = 160  # supercell cap: MgB2 4×4×3 (144 atoms) fits
DEFAULT_DISTANCE = 0.01  # Å, for a backend without a trusted displacement (the record's default)


@dataclass(frozen=True)
class Measured:
    """A measured value. quantity: `a`, `c` (Å, conventional cell), `nu@P` (THz, highest mode at
    special point P of ASE's band path), `nu@P#i` (THz, i-th mode ascending), `nu@P:El-xy`
    (THz, the mode at P with most in-plane weight on element El), `omega_max` (meV),
    `theta_D` (K), `imaginary` (share of mesh modes)."""

    crystal: str
    quantity: str
    value: float
    unit: str
    source: str
    read: bool


NCRYSTAL = "read in NCrystal data/{} (mctools/ncrystal)"
KITTEL_READ = "Kittel, Introduction to Solid State Physics, read in liquisearch.com/debye_model/debye_temperature_table"
KITTEL = "Kittel, Introduction to Solid State Physics (calorimetric θ_D)"
STABLE = "stable where measured: no imaginary modes"

# crystal -> builder from its lattice constants (a, c in Å)
CRYSTALS: dict[str, Callable[[float, float | None], Atoms]] = {
    "Al": lambda a, c: bulk("Al", "fcc", a=a),
    "Pb": lambda a, c: bulk("Pb", "fcc", a=a),
    "Nb": lambda a, c: bulk("Nb", "bcc", a=a),
    "V": lambda a, c: bulk("V", "bcc", a=a),
    "NbC": lambda a, c: bulk("NbC", "rocksalt", a=a),
    "MgB2": lambda a, c: crystal(
        ["Mg", "B"], [(0, 0, 0), (1 / 3, 2 / 3, 1 / 2)], spacegroup=191, cellpar=[a, a, c, 90, 90, 120]
    ),
    "Nb3Sn": lambda a, c: crystal(
        ["Sn", "Nb"], [(0, 0, 0), (0.25, 0, 0.5)], spacegroup=223, cellpar=[a, a, a, 90, 90, 90]
    ),
}

MEASURED: tuple[Measured, ...] = (
    Measured("Al", "a", 4.04958, "Å", "AMCSD 0011136, " + NCRYSTAL.format("Al_sg225.ncmat"), True),
    Measured("Al", "nu@X", 9.69, "THz", "Stedman & Nilsson, Phys. Rev. 145, 492 (1966), neutron, 80 K: L at X", False),
    Measured(
        "Al", "nu@X#0", 5.80, "THz", "Stedman & Nilsson, Phys. Rev. 145, 492 (1966), neutron, 80 K: T at X", False
    ),
    Measured("Al", "theta_D", 428, "K", KITTEL_READ, True),
    Measured("Pb", "a", 4.9505, "Å", "AMCSD 0011154, " + NCRYSTAL.format("Pb_sg225.ncmat"), True),
    Measured(
        "Pb",
        "omega_max",
        9.51,
        "meV",
        "Gilat, Solid State Commun. 3, 101 (1965) DOS edge, " + NCRYSTAL.format("Pb_sg225.ncmat"),
        True,
    ),
    Measured("Pb", "theta_D", 105, "K", KITTEL_READ, True),
    Measured("Nb", "a", 3.3004, "Å", "AMCSD 0011224, " + NCRYSTAL.format("Nb_sg229.ncmat"), True),
    Measured("Nb", "nu@H", 6.5, "THz", "Powell, Martel & Woods, Phys. Rev. 171, 727 (1968), neutron", False),
    Measured("Nb", "theta_D", 275, "K", KITTEL, False),
    Measured("V", "a", 3.024, "Å", "AMCSD 0011235, " + NCRYSTAL.format("V_sg229.ncmat"), True),
    Measured(
        "V",
        "omega_max",
        34.0,
        "meV",
        "Muñoz et al., PRL 107, 115501 (2011) neutron DOS: below 10 % of its peak from 34.0 meV, "
        + NCRYSTAL.format("V_sg229.ncmat"),
        True,
    ),
    Measured("V", "theta_D", 380, "K", KITTEL, False),
    Measured("NbC", "a", 4.470, "Å", "X-ray, NbC ~0.98 (handbook value)", False),
    Measured("MgB2", "a", 3.086, "Å", "Nagamatsu et al., Nature 410, 63 (2001)", False),
    Measured("MgB2", "c", 3.524, "Å", "Nagamatsu et al., Nature 410, 63 (2001)", False),
    Measured(
        "MgB2",
        "nu@G:B-xy",
        18.59,
        "THz",
        "E2g Raman band at 620 cm⁻¹ (Goncharov et al., PRB 64, 100509 (2001)), read in its abstract at arxivlens.com; "
        "anharmonic: harmonic phonons are expected lower",
        True,
    ),
    Measured("Nb3Sn", "a", 5.289, "Å", "X-ray, room temperature (handbook value)", False),
    *(Measured(x, "imaginary", 0.0, "", STABLE, True) for x in CRYSTALS),
)


def _lattice(crystal_: str) -> tuple[float, float | None]:
    got = {m.quantity: m.value for m in MEASURED if m.crystal == crystal_}
    return got["a"], got.get("c")


def _frequency(ph, atoms: Atoms, quantity: str) -> float:
    """The THz frequency a `nu@...` quantity names (see `Measured`)."""
    point, _, select = quantity[3:].partition(":")
    point, _, index = point.partition("#")
    q = atoms.cell.bandpath(npoints=0).special_points[point]
    freqs, vecs = ph.get_frequencies_with_eigenvectors(q)
    if index:
        return float(np.sort(freqs)[int(index)])
    if not select:
        return float(freqs.max())
    element = select.split("-")[0]
    on = np.array(atoms.get_chemical_symbols()) == element
    w = np.abs(vecs.reshape(len(atoms), 3, -1)[on, :2]) ** 2
    return float(freqs[w.sum(axis=(0, 1)).argmax()])


def _computed(name: str, mlff, distance: float) -> tuple[dict[str, float], int]:
    """Computed values of every measured quantity of crystal `name`, and the supercell size."""
    a0, c0 = _lattice(name)
    atoms = CRYSTALS[name](a0, c0)
    atoms.set_constraint(FixSymmetry(atoms))
    r = relax(atoms, mlff, fmax=FMAX, steps=1000)
    ph = phonons(r.atoms, mlff, min_length=MIN_LENGTH, max_atoms=MAX_ATOMS, distance=distance)
    d = descriptors(ph, MESH)
    scale = np.linalg.norm(r.atoms.cell.array, axis=1) / np.linalg.norm(atoms.cell.array, axis=1)
    out = {"a": a0 * scale[0], "omega_max": d["omega_max"], "theta_D": d["debye_temperature"]}
    out["imaginary"] = d["imaginary_fraction"]
    if c0 is not None:
        out["c"] = c0 * scale[2]
    for m in MEASURED:
        if m.crystal == name and m.quantity.startswith("nu@"):
            out[m.quantity] = _frequency(ph, r.atoms, m.quantity)
    return out, len(ph.supercell)


def validate(
    mlff: str = "chgnet",
    crystals: Sequence[str] | None = None,
    *,
    distance: float | None = None,
    device: str = "cpu",
) -> pd.DataFrame:
    """One row per measured value of each crystal (default: all of `CRYSTALS`): measured, computed,
    error (computed/measured − 1; the difference for `imaginary`), unit, source, read, the
    displacement used (Å) and the supercell size."""
    model = load_mlff(mlff, None, device)
    step = distance or trusted_distance(mlff) or DEFAULT_DISTANCE
    rows = []
    for name in crystals or CRYSTALS:
        got, n = _computed(name, model, step)
        for m in (m for m in MEASURED if m.crystal == name):
            v = got[m.quantity]
            err = v - m.value if m.quantity == "imaginary" else v / m.value - 1
            rows.append({**vars(m), "measured": m.value, "computed": v, "error": err, "distance": step, "atoms": n})
    return pd.DataFrame(rows).drop(columns="value")[
        ["crystal", "quantity", "unit", "measured", "computed", "error", "read", "source", "distance", "atoms"]
    ]
