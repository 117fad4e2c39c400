"""Neighbour-contrast and bond descriptors of an ordered (relaxed) cell.

GP-Tc (arXiv 2510.07373) finds that on 3DSC most of the Tc signal lies in differences of
elemental properties across neighbouring atoms; Ward et al.'s local property difference
(Phys. Rev. B 96, 024104 (2017)) is the same idea. `contrast` summarises a cell by:

- `nc_<property>_{mean,std,min,max}`: |p_i - p_j| over neighbour pairs (i, j) for Magpie's
  elemental properties (matminer `MagpieData`): electron affinity (kJ/mol), Pauling
  electronegativity, covalent radius (Å), valence electrons (NValence), Mendeleev number, atomic
  mass (u) and first ionization energy (eV). Pairs of one element count as 0.
- `bond_length_*`: neighbour distances (Å); `bond_rel_*`: the same over the sum of the two
  covalent radii; `bond_lohi_{mean,min}`: distances between the `lo` and `hi` elements of
  `tcramp.roles` (the whole bond set for a one-element cell); `bond_cn_mean`: mean coordination
  number.

Neighbours follow pymatgen's `MinimumDistanceNN` rule with tol = 0.2: j neighbours i when
d_ij < 1.2 · d_min(i), d_min(i) being the shortest distance from i. Pairs are directed (each atom
sees its own shell, as in Ward et al.), so in MgB2 Mg sees its 12 B at 2.5 Å while B sees only
its 3 B at 1.78 Å. The rule is applied with numpy to one `Structure.get_neighbor_list` call
(~1 ms on 64 atoms, identical pairs to `MinimumDistanceNN.get_all_nn_info`, which takes ~85 ms;
CrystalNN takes ~1.2 s). With tol = 0.2 bcc metals get their 8 + 6 shell.

Values are finite floats, or NaN where undefined: a property Magpie lacks for any element of the
cell (e.g. the electron affinity of U or Th) makes that property's four values NaN, and
`bond_lohi_*` is NaN when the lo and hi elements are never neighbours.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from pymatgen.core import Structure

from tcramp.roles import roles

__all__ = ["PROPERTIES", "NN_TOL", "contrast", "contrast_columns", "neighbours"]

NN_TOL = (
    0.2  # neighbour tolerance of MinimumDistanceNN (not the composition tolerance of tcramp.structures.COMPOSITION_TOL)
)
# column stem -> Magpie table
PROPERTIES = {
    "electron_affinity": "ElectronAffinity",
    "electronegativity": "Electronegativity",
    "covalent_radius": "CovalentRadius",
    "valence": "NValence",
    "mendeleev": "MendeleevNumber",
    "mass": "AtomicWeight",
    "ionization": "FirstIonizationEnergy",
}
STATS = ("mean", "std", "min", "max")
_START = 4.0  # Å, first neighbour-list radius; doubled while some atom's shell may reach past it
_LIMIT = 16.0


@cache
def _magpie() -> dict[str, dict[str, float]]:
    from matminer.utils.data import MagpieData  # heavy import, needed only here

    props = MagpieData(impute_nan=False).all_elemental_props
    table = {stem: {el: float(v) for el, v in props[name].items()} for stem, name in PROPERTIES.items()}
    table["covalent_radius"] = {el: v / 100 for el, v in table["covalent_radius"].items()}  # pm -> Å
    return table


def contrast_columns() -> list[str]:
    """The keys of `contrast`'s result, in order."""
    cols = [f"nc_{p}_{s}" for p in PROPERTIES for s in STATS]
    cols += [f"bond_length_{s}" for s in STATS] + [f"bond_rel_{s}" for s in STATS]
    return cols + ["bond_lohi_mean", "bond_lohi_min", "bond_cn_mean"]


def neighbours(
    structure: Structure, tol: float = NN_TOL, name: str = "structure"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directed neighbour pairs (centre indices, neighbour indices, distances in Å) by the
    `MinimumDistanceNN` rule d_ij < (1 + tol) · d_min(i), periodic images included."""
    if not structure.is_ordered:
        raise ValueError(f"{name}: neighbour contrast needs an ordered cell (found partial occupancies)")
    n, r = len(structure), _START
    while True:
        centre, other, _, dist = structure.get_neighbor_list(r)
        dmin = np.full(n, np.inf)
        np.minimum.at(dmin, centre, dist)
        if np.all((1 + tol) * dmin <= r):
            keep = dist < (1 + tol) * dmin[centre]
            return centre[keep], other[keep], dist[keep]
        if r >= _LIMIT:
            raise ValueError(f"{name}: an atom has no neighbour within {_LIMIT / (1 + tol):.1f} Å")
        r = min(2 * r, _LIMIT)


def _stats(x: np.ndarray, prefix: str) -> dict[str, float]:
    if x.size == 0:
        return {f"{prefix}_{s}": np.nan for s in STATS}
    return dict(zip((f"{prefix}_{s}" for s in STATS), (x.mean(), x.std(), x.min(), x.max())))


def contrast(structure: Structure, name: str = "structure") -> dict[str, float]:
    """Neighbour-contrast and bond descriptors of an ordered cell, keyed by `contrast_columns()`."""
    centre, other, dist = neighbours(structure, name=name)
    symbols = [site.specie.symbol for site in structure]
    elements = sorted(set(symbols))
    index = {e: k for k, e in enumerate(elements)}
    kind = np.array([index[s] for s in symbols])
    a, b = kind[centre], kind[other]
    table = _magpie()
    prop = {p: np.array([table[p].get(e, np.nan) for e in elements]) for p in PROPERTIES}
    out: dict[str, float] = {}
    for p, v in prop.items():
        diff = np.abs(v[a] - v[b]) if np.all(np.isfinite(v)) else np.full(len(a), np.nan)
        out.update(_stats(diff, f"nc_{p}"))
    out.update(_stats(dist, "bond_length"))
    radius = prop["covalent_radius"]
    out.update(_stats(dist / (radius[a] + radius[b]), "bond_rel"))
    role = roles(elements)
    lo, hi = index[role["lo"]], index[role["hi"]]
    lohi = dist[((a == lo) & (b == hi)) | ((a == hi) & (b == lo))]
    out["bond_lohi_mean"] = lohi.mean() if lohi.size else np.nan
    out["bond_lohi_min"] = lohi.min() if lohi.size else np.nan
    out["bond_cn_mean"] = len(centre) / len(structure)
    return {k: float(out[k]) for k in contrast_columns()}
