import numpy as np
import pytest
from pymatgen.core import Element

from tcramp.data import read_structure
from tcramp.roles import SLOTS, flatten, pool, pool_columns, pool_elements, roles
from tcramp.structures import order

YBCO = "src/tcramp/data/YBa2Cu3O7.cif"


def _symbols(structure):
    return [site.specie.symbol for site in structure]


def test_roles_of_real_crystals(bundled):
    # Pauling X: Ba 0.89 < Y 1.22 < Cu 1.90 < O 3.44; Nb 1.6 < Sn 1.96; Al 1.61 < V 1.63 < Ga 1.81
    assert roles(_symbols(read_structure(YBCO))) == {"lo": "Ba", "hi": "O"}
    assert roles(_symbols(bundled["Nb3Sn1-MP-mp-1326"].structure)) == {"lo": "Nb", "hi": "Sn"}
    cell = order(bundled["Al0.5Ga0.5V3-MP-mp-1228807"].structure, seed=0).structure
    assert roles(_symbols(cell)) == {"lo": "Al", "hi": "Ga"}
    assert roles(_symbols(bundled["Pb1-MP-mp-20745"].structure)) == {"lo": "Pb", "hi": "Pb"}


def test_ties_and_missing_electronegativity():
    assert Element("Si").X == Element("Cu").X == 1.90  # tie: lower Z is the more cation-like
    assert roles(["Cu", "Si", "Cu"]) == {"lo": "Si", "hi": "Cu"}
    assert roles(["Na", "Ar"]) == {"lo": "Na", "hi": "Ar"}  # Ar has no Pauling X: ranks as anion-like
    with pytest.raises(ValueError, match="at least one atom"):
        roles([])


def test_pool_per_atom_values():
    s = read_structure(YBCO)  # Y Ba2 Cu3 O7: 13 atoms
    sym = _symbols(s)
    z = np.array([site.specie.Z for site in s], float)
    p = pool(sym, z)
    assert set(p) == set(SLOTS)
    assert p["lo"] == 56 and p["hi"] == 8  # Ba, O
    assert p["all"] == pytest.approx((39 + 2 * 56 + 3 * 29 + 7 * 8) / 13)
    assert p["std"] == pytest.approx(z.std())
    v = np.stack([z, -z, np.arange(13.0)], axis=1)  # (n, d)
    q = pool(sym, v)
    assert q["lo"].shape == (3,) and q["lo"][:2].tolist() == [56, -56]
    assert np.allclose(q["all"], v.mean(axis=0)) and np.allclose(q["std"], v.std(axis=0))
    row = flatten(q, "lat")
    assert list(row) == pool_columns("lat", 3) and row["lat_hi_1"] == -8
    assert list(flatten(p, "z")) == pool_columns("z") == ["z_lo", "z_hi", "z_all", "z_std"]
    with pytest.raises(ValueError, match="13 atoms but values of shape"):
        pool(sym, z[:5])


def test_pool_elements_matches_atom_pooling():
    sym = _symbols(read_structure(YBCO))
    per_element = {e: np.array([Element(e).atomic_mass, Element(e).Z]) for e in set(sym)}
    a = pool_elements(per_element, sym)
    b = pool(sym, np.array([per_element[e] for e in sym]))
    for slot in SLOTS:
        assert np.allclose(a[slot], b[slot])
    with pytest.raises(ValueError, match="no per-element value for O"):
        pool_elements({"Y": 1.0, "Ba": 2.0, "Cu": 3.0}, sym)
