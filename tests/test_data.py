import pytest

from tcramp.data import load_3dsc, load_csv, read_structure


def test_bundled_set_is_complete_and_typed(bundled):
    mats = load_3dsc()
    assert len(mats) == 5773
    assert sum(m.synth_doped for m in mats) == 3437
    assert sum(m.tc == 0 for m in mats) == 1778
    m = bundled["Bi2Ca1Cu2Sr2O8.195-MP-mp-1218930-synth_doped"]
    assert (m.tc, m.sc_class, m.parent_id, m.group) == (91.0, "Cuprate", "mp-1218930", "mp-1218930")
    assert m.formula == "Bi2Ca1Cu2Sr2O8.195" and m.weight > 0
    s = m.structure
    assert not s.is_ordered and len(s) == 30


def test_attribution_ships_with_data():
    from importlib import resources

    text = resources.files("tcramp.data").joinpath("ATTRIBUTION.md").read_text()
    assert "CC BY 4.0" in text and "10.1038/s41597-023-02721-y" in text


def test_user_csv_paths_are_relative_to_csv(tmp_path, bundled):
    (tmp_path / "s").mkdir()
    bundled["Ag1Mg1-MP-mp-2696"].structure.to(filename=str(tmp_path / "s" / "agmg.cif"))
    from ase.io import write
    from pymatgen.io.ase import AseAtomsAdaptor

    write(
        tmp_path / "s" / "POSCAR",
        AseAtomsAdaptor.get_atoms(bundled["Al0.5Ga0.5V3-MP-mp-1228807"].structure),
        format="vasp",
    )
    (tmp_path / "set.csv").write_text("name,structure,tc,group\nagmg,s/agmg.cif,0,g1\nalv,s/POSCAR,12.9,\n")
    a, b = load_csv(tmp_path / "set.csv")
    assert (a.name, a.tc, a.group, b.group) == ("agmg", 0.0, "g1", "alv")
    assert a.structure.composition.reduced_formula == "MgAg"
    assert len(b.structure) == 8


def test_csv_missing_columns(tmp_path):
    (tmp_path / "x.csv").write_text("name,tc\na,1\n")
    with pytest.raises(ValueError, match="missing columns"):
        load_csv(tmp_path / "x.csv")


def test_malformed_cif_error_names_material(tmp_path):
    (tmp_path / "bad.cif").write_text("data_x\n_cell_length_a 3\nloop_\nbroken\n")
    with pytest.raises(ValueError, match="^broken-one: cannot read structure"):
        read_structure(tmp_path / "bad.cif", name="broken-one")
