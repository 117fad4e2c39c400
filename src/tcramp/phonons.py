"""Harmonic phonons of a relaxed ordered cell with phonopy, the MLFF as force calculator.

`phonons` builds phonopy's finite-displacement force constants in a diagonal supercell
(`supercell_matrix`), `force_sets` / `from_force_sets` store and rebuild them without model calls
(phonopy's displacement dataset with the model's forces, as in its `phonopy_params.yaml`), `descriptors` reduces the phonon DOS on a mesh to numbers a model can take,
and `harmonic_msd` / `sample` give the thermal displacements of the unit cell's Γ-point modes
(what an MD run in that cell can hold): phonopy's `RandomDisplacements` on the unit cell with the
force constants folded onto it, which yields both the displacement correlation matrix and random
draws, classical or quantum.

Units: frequencies in meV (phonopy works in THz), temperatures in K, displacements in Å.
Defaults (`MIN_LENGTH`, `SUPERCELL_ATOMS`, `MESH`) were chosen by measurement, see
`benchmarks/descriptor_cost.py` and the values' comments.
"""

from __future__ import annotations

import itertools
import json
import math
import weakref
from typing import TYPE_CHECKING

import numpy as np
from ase import Atoms

if TYPE_CHECKING:
    import phonopy
    from phonopy.phonon.random_displacements import RandomDisplacements

from .mlff import MLFF

__all__ = [
    "DISTANCE",
    "FORCE_SETS",
    "IMAG_TOL",
    "SUPERCELL_ATOMS",
    "MESH",
    "MIN_LENGTH",
    "descriptors",
    "force_sets",
    "from_force_sets",
    "gamma_force_constants",
    "gamma_frequencies",
    "harmonic_msd",
    "phonons",
    "sample",
    "supercell_matrix",
]

MIN_LENGTH = 8.0  # Å, perpendicular width every supercell reaches (unless capped)
SUPERCELL_ATOMS = 64  # supercell atom cap: most P1 cells of 20+ atoms stay 1×1×1 (cost: 3n displacements)
DISTANCE = 0.01  # Å, finite displacement for a backend without a trusted one (`MLFF.phonon_distance`)
MESH = 15.0  # Å, phonopy's length-based mesh density (~MESH·|b_i| points along b_i); ω_log within 4 % of MESH 30 at 1/5 the time
IMAG_TOL = 0.1  # THz: a mode below −IMAG_TOL is imaginary (dynamically unstable)
MIN_FREQUENCY = 0.5  # THz: softer Γ modes are left out of harmonic displacements (their classical
# amplitude k_B T/(m ω²) reaches Å² at 300 K: no longer a small vibration)
SYMPREC = 1e-3  # Å, symmetry tolerance for phonopy (relaxed float32 positions are not exact)
BATCH_ATOMS = 1024  # atoms of displaced supercells per model call (CHGNet batches them; others loop)
FORCE_SETS = ("fc_supercell_matrix", "fc_displacements", "fc_forces")  # the stored columns of `force_sets`
THZ_TO_MEV = 4.135667696  # h·1 THz in meV
THZ_TO_K = 47.99243073  # h·1 THz / k_B in K


def supercell_matrix(atoms: Atoms, min_length: float = MIN_LENGTH, max_atoms: int = SUPERCELL_ATOMS) -> np.ndarray:
    """Smallest diagonal multiple (n1, n2, n3) of the cell whose perpendicular widths
    n_i·V/|a_j×a_k| all reach `min_length` Å, as a 3×3 matrix.

    At the cap (n1·n2·n3·len(atoms) > `max_atoms`) it takes, among the diagonal multiples within
    the cap and not beyond the uncapped one, the one with the largest smallest width (fewest
    atoms on ties); a cell already over the cap stays 1×1×1.
    """
    cell = atoms.cell.array
    widths = abs(np.linalg.det(cell)) / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)
    full = [max(1, math.ceil(min_length / w - 1e-9)) for w in widths]
    best = max(
        (
            n
            for n in itertools.product(*(range(1, k + 1) for k in full))
            if math.prod(n) * len(atoms) <= max_atoms or n == (1, 1, 1)
        ),
        key=lambda n: (min(np.multiply(n, widths)), -math.prod(n)),
    )
    return np.diag(best)


def _phonopy(atoms: Atoms, matrix) -> phonopy.Phonopy:
    """phonopy's object for `atoms` (unit = primitive cell: its Γ modes are what MD in it can
    hold) in the supercell `matrix`, without displacements."""
    import phonopy  # heavy: only where phonons are computed (predict of a cheap model needs none)
    from phonopy.structure.atoms import PhonopyAtoms

    unit = PhonopyAtoms(
        symbols=atoms.get_chemical_symbols(),
        cell=atoms.cell.array,
        scaled_positions=atoms.get_scaled_positions(),
        masses=atoms.get_masses(),
    )
    return phonopy.Phonopy(unit, supercell_matrix=matrix, primitive_matrix="P", symprec=SYMPREC)


def _force_constants(ph: phonopy.Phonopy, forces: np.ndarray) -> phonopy.Phonopy:
    """Set the displaced supercells' `forces` (float32, eV/Å, residual forces already
    subtracted), produce and symmetrise (translational invariance) the force constants."""
    ph.forces = forces
    ph.produce_force_constants(show_drift=False)
    ph.symmetrize_force_constants()
    return ph


def phonons(
    atoms: Atoms,
    mlff: MLFF,
    *,
    min_length: float = MIN_LENGTH,
    max_atoms: int = SUPERCELL_ATOMS,
    distance: float = DISTANCE,
) -> phonopy.Phonopy:
    """Force constants of `atoms` (the unit and primitive cell, not reduced further) from
    `distance`-Å displacements in the `supercell_matrix` supercell.

    Forces of the undisplaced supercell are subtracted (the relaxed cell's residual forces) and
    the result kept in float32 (the models' precision), so `from_force_sets` rebuilds exactly
    these force constants. Displaced supercells go to the model up to `BATCH_ATOMS` atoms per call.
    """
    ph = _phonopy(atoms, supercell_matrix(atoms, min_length, max_atoms))
    ph.generate_displacements(distance=distance, is_plusminus=False)
    cells = [ph.supercell, *ph.supercells_with_displacements]
    per_call = max(1, BATCH_ATOMS // len(ph.supercell))
    forces = []
    for i in range(0, len(cells), per_call):
        chunk = [
            Atoms(c.symbols, cell=c.cell, scaled_positions=c.scaled_positions, pbc=True)
            for c in cells[i : i + per_call]
        ]
        forces += [p.forces for p in mlff.predict(chunk)]
    return _force_constants(ph, (np.array(forces[1:]) - forces[0]).astype(np.float32))


def force_sets(phonon: phonopy.Phonopy) -> dict[str, str | bytes]:
    """What rebuilds `phonon`'s force constants without a model call (`FORCE_SETS` columns,
    phonopy's `phonopy_params.yaml` content):
    the supercell matrix and displacements (atom index, Å vector) as JSON, the forces as
    float32 bytes (k, N, 3) in eV/Å."""
    first = phonon.dataset["first_atoms"]
    return {
        "fc_supercell_matrix": json.dumps(np.asarray(phonon.supercell_matrix).astype(int).tolist()),
        "fc_displacements": json.dumps([[d["number"], *map(float, d["displacement"])] for d in first]),
        "fc_forces": np.asarray(phonon.forces, np.float32).tobytes(),
    }


def from_force_sets(atoms: Atoms, row) -> phonopy.Phonopy:
    """The phonopy object (force constants produced) of relaxed `atoms` from a stored
    `force_sets` row; no model calls. `phonon.save("phonopy_params.yaml")` writes it out."""
    ph = _phonopy(atoms, json.loads(row["fc_supercell_matrix"]))
    disp = json.loads(row["fc_displacements"])
    ph.dataset = {
        "natom": len(ph.supercell),
        "first_atoms": [{"number": int(d[0]), "displacement": np.array(d[1:])} for d in disp],
    }
    forces = np.frombuffer(row["fc_forces"], np.float32).reshape(len(disp), len(ph.supercell), 3)
    return _force_constants(ph, forces)


def _moments(freqs: np.ndarray, dos: np.ndarray) -> dict[str, float]:
    """Allen–Dynes ω_log and ω̄₂ with α²F ∝ F, and the plain mean, of a DOS on frequencies
    (positive part only); frequencies in and out in the same unit."""
    keep = freqs > 0
    w, g = freqs[keep], np.clip(dos[keep], 0, None)
    norm = np.trapezoid(g, w)
    inv = np.trapezoid(g / w, w)
    return {
        "omega_log": float(np.exp(np.trapezoid(g / w * np.log(w), w) / inv)),
        "omega_2": float(np.sqrt(np.trapezoid(g * w, w) / inv)),
        "omega_mean": float(np.trapezoid(g * w, w) / norm),
        "omega_rms": float(np.sqrt(np.trapezoid(g * w**2, w) / norm)),
    }


def descriptors(phonon: phonopy.Phonopy, mesh: float = MESH) -> dict:
    """Phonon descriptors on a `mesh` (phonopy length density, Å) without mesh symmetry.

    From the total DOS F(ω) (tetrahedron method, ω > 0 only), in meV:
      omega_log = exp[∫ F(ω)/ω · ln ω dω / ∫ F(ω)/ω dω]   (Allen–Dynes ω_log with α²F ∝ F),
      omega_2   = sqrt[∫ F(ω) ω dω / ∫ F(ω)/ω dω]          (Allen–Dynes ω̄₂ with α²F ∝ F),
      omega_mean = ∫ F ω / ∫ F,  omega_rms = sqrt(∫ F ω² / ∫ F)   (plain DOS moments);
    omega_max and omega_min (lowest; negative means imaginary) over the mesh frequencies, meV;
    imaginary_fraction: share of mesh modes below −`IMAG_TOL` THz; debye_temperature (K) from
    phonopy's Debye fit of the total DOS (a·ω² over its lowest quarter).
    `elements`: per element its projected DOS's omega_mean and omega_log (meV), same formulas.
    Computed once per phonon object and mesh (a sampler and the record both read them).
    """
    known = _DESCRIPTORS.setdefault(phonon, {})
    if mesh not in known:
        known[mesh] = _descriptors(phonon, mesh)
    return known[mesh]


_DESCRIPTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # phonon -> mesh -> descriptors


def _descriptors(phonon: phonopy.Phonopy, mesh: float) -> dict:
    phonon.run_mesh(mesh, is_mesh_symmetry=False, with_eigenvectors=True)
    f = phonon.mesh.frequencies
    dos = phonon.run_total_dos()
    dos.run_debye_frequency()
    total = {k: v * THZ_TO_MEV for k, v in _moments(dos.frequency_points, dos.dos).items()}
    pdos = phonon.run_projected_dos()
    symbols = np.array(phonon.unitcell.symbols)
    elements = {}
    for el in dict.fromkeys(symbols):
        m = _moments(pdos.frequency_points, pdos.projected_dos[symbols == el].sum(axis=0))
        elements[el] = {"omega_mean": m["omega_mean"] * THZ_TO_MEV, "omega_log": m["omega_log"] * THZ_TO_MEV}
    return {
        **total,
        "omega_max": float(f.max() * THZ_TO_MEV),
        "omega_min": float(f.min() * THZ_TO_MEV),
        "imaginary_fraction": float((f < -IMAG_TOL).mean()),
        "debye_temperature": float(dos.debye_frequency * THZ_TO_K),
        "elements": elements,
    }


def _folded(phonon: phonopy.Phonopy) -> np.ndarray:
    """The supercell force constants folded onto the unit cell (summed over the images of each
    atom): (n, n, 3, 3) eV/Å², the Γ-point force constants of the unit cell."""
    fc = phonon.force_constants  # full (supercell × supercell), as `phonons` produces them
    sc = phonon.supercell
    unit_of = np.array([sc.u2u_map[s] for s in sc.s2u_map])  # supercell atom -> unit-cell atom
    n = len(phonon.unitcell)
    folded = np.zeros((n, n, 3, 3))
    for i, row in enumerate(sc.u2s_map):
        np.add.at(folded[i], unit_of, fc[row])
    return folded


def gamma_force_constants(phonon: phonopy.Phonopy) -> np.ndarray:
    """The unit cell's Γ force constants as a (3n, 3n) matrix Φ (eV/Å²): ½ uᵀΦu is the harmonic
    energy of displacements u (n·3, atom-major)."""
    folded = _folded(phonon)
    n = len(folded)
    return folded.transpose(0, 2, 1, 3).reshape(3 * n, 3 * n)


def _gamma(phonon: phonopy.Phonopy, classical: bool, min_frequency: float) -> RandomDisplacements:
    """phonopy's RandomDisplacements over the unit cell's Γ modes (`_folded` force constants);
    the three translations, imaginary modes and modes below `min_frequency` THz are left out
    (phonopy's `cutoff_frequency`)."""
    folded = _folded(phonon)
    from phonopy.phonon.random_displacements import RandomDisplacements
    from phonopy.structure.cells import Primitive

    rd = RandomDisplacements(
        phonon.unitcell,
        Primitive(phonon.unitcell, np.eye(3), symprec=SYMPREC),
        folded,
        dist_func="classical" if classical else "quantum",
        cutoff_frequency=min_frequency,
    )
    freqs = rd.frequencies.copy()
    freqs[0, np.argsort(np.abs(freqs[0]))[:3]] = 0
    freqs[freqs < min_frequency] = 0
    rd.frequencies = freqs
    return rd


def gamma_frequencies(phonon: phonopy.Phonopy) -> np.ndarray:
    """The unit cell's Γ-point frequencies (THz, ascending; imaginary as negative)."""
    return np.sort(phonon.get_frequencies([0, 0, 0]))


def harmonic_msd(
    phonon: phonopy.Phonopy, temperatures, *, classical: bool, min_frequency: float = MIN_FREQUENCY
) -> np.ndarray:
    """Mean-square displacement (Å², summed over x, y, z) of each unit-cell atom, shape
    (n_T, n_atoms), from the unit cell's Γ modes without translations: classical k_B T/(m ω²)
    or quantum ħ/(2 m ω) coth(ħω/2k_B T) (zero point included), summed over modes with the
    eigenvector weights. Imaginary Γ modes and modes below `min_frequency` THz contribute
    nothing (see `gamma_frequencies` to count them)."""
    rd = _gamma(phonon, classical, min_frequency)
    out = []
    for t in np.atleast_1d(temperatures):
        rd.run_correlation_matrix(float(t))
        out.append(np.einsum("iikk->i", rd.uu))
    return np.array(out)


def sample(
    phonon: phonopy.Phonopy,
    temperatures,
    n: int,
    rng: np.random.Generator,
    *,
    classical: bool = False,
    min_frequency: float = MIN_FREQUENCY,
) -> list[np.ndarray]:
    """At each of `temperatures` (K), `n` displacement sets (n, n_atoms, 3) Å of the unit cell
    drawn from the harmonic distribution (quantum by default) of the same Γ modes as
    `harmonic_msd` (imaginary and soft modes left out); the modes are solved once. No model calls."""
    rd = _gamma(phonon, classical, min_frequency)
    out = []
    for t in temperatures:
        rd.run(float(t), number_of_snapshots=n, random_seed=int(rng.integers(2**31)))
        out.append(np.array(rd.u))
    return out
