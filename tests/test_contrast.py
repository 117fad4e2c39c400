import math

import numpy as np
import pytest
from pymatgen.core import Element, Lattice, Structure
from pymatgen.core.local_env import MinimumDistanceNN

from tcramp.contrast import NN_TOL, PROPERTIES, contrast, contrast_columns, neighbours
from tcramp.data import read_structure
from tcramp.structures import order

YBCO = "src/tcramp/data/YBa2Cu3O7.cif"  # Materials Project mp-20674 (PBE-relaxed), Y on the Y/Eu site


def _pairs(structure, a: str, b: str) -> dict[int, list[float]]:
    """Distances from each `a` atom to its `b` neighbours."""
    centre, other, dist = neighbours(structure)
    out: dict[int, list[float]] = {}
    for i, j, d in zip(centre, other, dist):
        if structure[i].specie.symbol == a and structure[j].specie.symbol == b:
            out.setdefault(int(i), []).append(float(d))
    return {i: sorted(d) for i, d in out.items()}


def test_columns_are_fixed_and_values_finite():
    cols = contrast_columns()
    assert len(cols) == len(set(cols)) == 4 * len(PROPERTIES) + 4 + 4 + 3
    assert all(c.startswith(("nc_", "bond_")) for c in cols)
    row = contrast(read_structure(YBCO))
    assert list(row) == cols
    assert all(isinstance(v, float) and math.isfinite(v) for v in row.values())


def test_cuprate_cu_o_bonds():
    # YBa2Cu3O7 by neutron powder diffraction (Jorgensen et al., Phys. Rev. B 41, 1863 (1990)):
    # chain Cu(1)-O(4) (apical) 1.85 Å, plane Cu(2)-O(2)/O(3) 1.93 / 1.96 Å, Cu(2)-O(4) 2.29 Å;
    # PBE (this cell) runs long by up to ~2 %, hence 0.04 Å.
    s = read_structure(YBCO)
    cu_o = _pairs(s, "Cu", "O")
    plane = [d for d in cu_o.values() if len(d) == 5]  # Cu(2): square pyramid
    chain = [d for d in cu_o.values() if len(d) == 4]  # Cu(1): square plane
    assert len(plane) == 2 and len(chain) == 1
    for d in plane:
        assert d[:2] == pytest.approx([1.93, 1.93], abs=0.04)
        assert d[2:4] == pytest.approx([1.96, 1.96], abs=0.04)
        assert d[4] == pytest.approx(2.29, abs=0.04)
    assert chain[0][0] == pytest.approx(1.85, abs=0.04)
    row = contrast(s)
    assert row["bond_length_min"] == pytest.approx(chain[0][0])  # the shortest bond is Cu(1)-O(4)
    assert row["bond_lohi_min"] == pytest.approx(min(min(d) for d in _pairs(s, "Ba", "O").values()))


def test_mgb2_bonds(bundled):
    # MgB2, a = 3.086 Å, c = 3.524 Å (Nagamatsu et al., Nature 410, 63 (2001)):
    # B-B = a/√3 = 1.782 Å in the honeycomb, Mg-B = sqrt(a²/3 + c²/4) = 2.506 Å.
    s = order(bundled["B0.67Mg0.33-MP-mp-763-synth_doped"].structure, seed=0).structure
    assert s.composition.reduced_formula == "MgB2"
    a, c = 3.086, 3.524
    b_b, b_mg = _pairs(s, "B", "B"), _pairs(s, "B", "Mg")
    assert not b_mg  # B's shell is its 3 B; Mg-B (1.41 × B-B) lies beyond 1.2 × d_min
    assert all(d == pytest.approx([a / 3**0.5] * 3, abs=0.02) for d in b_b.values())
    mg_b = (a * a / 3 + c * c / 4) ** 0.5
    assert all(d == pytest.approx([mg_b] * 12, abs=0.02) for d in _pairs(s, "Mg", "B").values())
    row = contrast(s)
    assert row["bond_lohi_min"] == pytest.approx(mg_b, abs=0.02)
    assert row["bond_cn_mean"] == pytest.approx((12 + 2 * 3) / 3)


def test_rocksalt_contrast_is_one_pair():
    # NaCl, a = 5.640 Å (CRC Handbook of Chemistry and Physics): Na-Cl = a/2 = 2.82 Å, 6-fold.
    s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.640), ["Na", "Cl"], [[0] * 3, [0.5] * 3])
    row = contrast(s)
    assert row["bond_cn_mean"] == 6
    assert [row[f"bond_length_{k}"] for k in ("mean", "min", "max")] == pytest.approx([2.82] * 3)
    assert row["bond_lohi_mean"] == pytest.approx(2.82)
    x = abs(Element("Cl").X - Element("Na").X)  # 3.16 - 0.93: every pair is Na-Cl
    assert [row[f"nc_electronegativity_{k}"] for k in ("mean", "min", "max")] == pytest.approx([x] * 3)
    assert row["nc_electronegativity_std"] == pytest.approx(0, abs=1e-12)
    mass = abs(Element("Cl").atomic_mass - Element("Na").atomic_mass)
    assert row["nc_mass_mean"] == pytest.approx(mass, abs=0.01)


def test_one_element_metal_has_no_contrast(bundled):
    # close-packed Al: 12 neighbours at 2.863 Å (fcc a = 4.0495 Å / √2; CRC Handbook)
    s = order(bundled["Al1-MP-mp-1183144"].structure, seed=0).structure
    row = contrast(s)
    assert all(row[c] == 0 for c in contrast_columns() if c.startswith("nc_"))
    assert row["bond_cn_mean"] == 12
    assert row["bond_length_mean"] == pytest.approx(2.863, abs=0.03)
    assert row["bond_lohi_mean"] == row["bond_length_mean"]  # lo == hi: every bond


def test_missing_property_and_absent_pair_give_nan(bundled):
    # Magpie has no electron affinity for U: that property's values are NaN, the rest finite
    row = contrast(bundled["Be13U1-MP-mp-1163"].structure)
    for c, v in row.items():
        assert math.isnan(v) == c.startswith("nc_electron_affinity_"), c
    # MgCNi3 antiperovskite (a = 3.81 Å, He et al., Nature 411, 54 (2001)): C sits in the Ni6
    # octahedron (Ni-C = a/2 = 1.905 Å); Mg-C = a√3/2 = 3.30 Å lies beyond Mg's 12 Ni at a/√2,
    # so the lo-hi (Mg-C) pair never bonds.
    row = contrast(bundled["C1Mg1Ni3-MP-mp-10700"].structure)
    assert math.isnan(row["bond_lohi_mean"]) and math.isnan(row["bond_lohi_min"])
    assert row["bond_length_min"] == pytest.approx(3.81 / 2, abs=0.02)


def test_same_pairs_as_pymatgen(bundled):
    for name in ["Ba2Cu3Pr0.5Y0.5O7-MP-mp-1228182", "Nb3Sn1-MP-mp-1326"]:
        s = order(bundled[name].structure, seed=0).structure
        centre, other, dist = neighbours(s)
        ref = MinimumDistanceNN(tol=NN_TOL, cutoff=10).get_all_nn_info(s)
        expect = sorted((i, n["site_index"], n["site"].nn_distance) for i, sh in enumerate(ref) for n in sh)
        got = sorted(zip(centre.tolist(), other.tolist(), dist.tolist()))
        assert [p[:2] for p in got] == [p[:2] for p in expect], name
        assert np.allclose([p[2] for p in got], [p[2] for p in expect], atol=1e-6)


def test_bad_input_is_named(bundled):
    with pytest.raises(ValueError, match="Cu1La1.5Sr0.5O4-x: neighbour contrast needs an ordered cell"):
        contrast(bundled["Ba0.123Cu1La1.877O4-MP-mp-1077929-synth_doped"].structure, name="Cu1La1.5Sr0.5O4-x")
