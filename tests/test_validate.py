"""The phonon reference check (`tcramp.validate`): the shipped measured values, and the check run
on the default backend and on SevenNet-0 with small supercells (widths ≥ 7 Å: Al 27 atoms, MgB2
54) and on SevenNet-l3i5, the physics build's backend, on two bcc crystals at the shipped widths
(125 atoms): a few minutes on 2 cores."""

import numpy as np
import pytest
from ase.formula import Formula

from tcramp.validate import build, markdown, references, validate

SMALL = {"crystals": ["Al", "MgB2"], "min_length": 7.0}
LATTICE_RTOL = 0.01  # relaxed lattice constants within 1 % of the measured ones
PHONON_RTOL = 0.25  # the bar for a trusted backend: frequencies within 25 %


def test_the_reference_file_names_a_source_for_every_value():
    refs = references()
    assert {"Nb", "Pb", "Al", "V", "MgB2", "Nb3Sn", "NbC", "Ta", "Mo"} <= set(refs["crystals"])
    for m in refs["measured"]:
        assert m["crystal"] in refs["crystals"] and m["source"] and isinstance(m["read"], bool)
    volume = {"fcc": 1 / 4, "bcc": 1 / 2, "rocksalt": 1 / 4, "A15": 1}  # primitive or conventional cell, in a³
    for name, c in refs["crystals"].items():
        atoms = build(name)
        want = (
            np.sqrt(3) / 2 * c["a"] ** 2 * c["c"] if c["prototype"] == "AlB2" else volume[c["prototype"]] * c["a"] ** 3
        )
        assert atoms.get_volume() == pytest.approx(want, rel=1e-9)
        assert atoms.symbols.formula.reduce()[0] == Formula(name).reduce()[0]


def _by(df):
    return {(r.crystal, r.quantity): r for r in df.itertuples()}


@pytest.fixture(scope="module")
def chgnet_table():
    return validate("chgnet", **SMALL)


def test_chgnet_relaxes_to_the_measured_lattice_but_its_phonons_fail_the_check(chgnet_table):
    """CHGNet (no trusted displacement: 0.01 Å) gives Al and MgB2 lattice constants within 1 %,
    but Al's X-point mode and MgB2's E2g mode more than 25 % too soft: the check flags it."""
    got = _by(chgnet_table)
    for key in [("Al", "a"), ("MgB2", "a"), ("MgB2", "c")]:
        assert abs(got[key].error) < LATTICE_RTOL
    assert got[("Al", "nu@X")].error < -PHONON_RTOL and got[("MgB2", "nu@G:B-xy")].error < -PHONON_RTOL
    assert set(chgnet_table["distance"]) == {0.01}
    text = markdown(chgnet_table)
    assert "nu@X" in text and "(recalled)" in text and "NCrystal" in text


def test_sevennet_phonons_are_stable_and_its_e2g_mode_within_the_bar():
    """7net-0: lattice within 1 %, no imaginary modes, MgB2's E2g mode within 25 % (+18 %). Al's
    X mode is 27 % soft against the measured 9.69 THz (Stedman & Nilsson 1966): pinned to
    −35…−20 % so a change shows."""
    got = _by(validate("7net-0", **SMALL))
    for key in [("Al", "a"), ("MgB2", "a"), ("MgB2", "c")]:
        assert abs(got[key].error) < LATTICE_RTOL
    assert abs(got[("MgB2", "nu@G:B-xy")].error) < PHONON_RTOL
    assert -0.35 < got[("Al", "nu@X")].error < -0.20
    assert got[("Al", "imaginary")].computed == 0 and got[("MgB2", "imaginary")].computed == 0


def test_the_physics_backend_is_within_the_bar_on_niobium_and_tantalum():
    """SevenNet-l3i5, the backend of the physics build, at the shipped supercell widths (10 Å: 125
    atoms): no imaginary mode, and Nb's and Ta's measured modes at H and N within 25 % (neutron,
    Landolt-Börnstein III/13a via Savrasov & Savrasov, PRB 54, 16487 (1996), Table I: Nb 6.49 /
    5.66 THz, Ta 5.03 / 4.35 THz; l3i5 gave −18 / +3 % and −12 / +8 %)."""
    got = _by(validate("7net-l3i5", crystals=["Nb", "Ta"]))
    for name in ("Nb", "Ta"):
        assert got[(name, "imaginary")].computed == 0 and abs(got[(name, "a")].error) < LATTICE_RTOL
        for point in ("nu@H", "nu@N"):
            assert got[(name, point)].read and abs(got[(name, point)].error) < PHONON_RTOL
