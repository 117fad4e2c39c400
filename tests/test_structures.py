import pytest

from tcramp.structures import CellError, composition_error, order


def test_doped_cell_is_ordered_close_and_reproducible(bundled):
    s = bundled["Bi2Ca1Cu2Sr2O8.195-MP-mp-1218930-synth_doped"].structure
    a, b, c = order(s, seed=3), order(s, seed=3), order(s, seed=4)
    assert a.structure.is_ordered and len(a.structure) <= 64
    assert a.structure == b.structure
    assert a.composition_error < 0.01
    target = {el.symbol: x for el, x in s.composition.element_composition.items()}
    counts = {el.symbol: x for el, x in a.structure.composition.element_composition.items()}
    assert composition_error(counts, target) == pytest.approx(a.composition_error)
    assert c.structure.composition == a.structure.composition  # seeds move sites, not counts


def test_mixed_site_is_assigned_by_seed(bundled):
    s = bundled["Ba2Cu3Pr0.3Y0.7O7-MP-mp-1228182-synth_doped"].structure
    cells = [order(s, seed=k).structure for k in range(6)]
    comp = cells[0].composition
    assert all(c.composition == comp for c in cells)
    assert len({tuple(str(x.specie) for x in c) for c in cells}) > 1  # different arrangements
    assert abs(comp["Pr"] / (comp["Pr"] + comp["Y"]) - 0.3) < 0.1


def test_smaller_cap_gives_coarser_but_valid_cell(bundled):
    s = bundled["Ba2Cu3Pr0.3Y0.7O7-MP-mp-1228182-synth_doped"].structure
    big, small = order(s, max_atoms=64), order(s, max_atoms=26)
    assert len(small.structure) <= 26 < len(big.structure) <= 64
    assert big.composition_error < small.composition_error


def test_tiny_cells_grow_to_min_atoms(bundled):
    cell = order(bundled["Ag1Mg1-MP-mp-2696"].structure, min_atoms=8)
    assert len(cell.structure) == 8 and cell.multiplicity == 4 and cell.composition_error == 0


def test_too_many_atoms(bundled):
    with pytest.raises(CellError, match="exceed the atom cap of 64"):
        order(bundled["Ba24Si100-MP-mp-16094"].structure)


def test_an_ordered_supercell_is_reduced_to_its_primitive_cell_first():
    """A 108-atom fcc Al supercell (3x3x3 conventional cells) is one atom per primitive cell: it
    becomes a small cell within the cap instead of being refused as 108 atoms."""
    from pymatgen.core import Lattice, Structure

    al = Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.05), ["Al"], [[0, 0, 0]]) * (3, 3, 3)
    assert len(al) == 108
    cell = order(al, seed=0)
    assert len(cell.structure) == 8 and cell.composition_error == 0
    assert cell.structure.volume == pytest.approx(8 * 4.05**3 / 4, rel=1e-6)
