"""One contract for every MLFF backend (`tcramp.mlff.check_backend`), run on every registered one.

CHGNet and SevenNet run with their real pretrained weights. orb-d3-v2's weights cannot be downloaded here, so
it runs through its real loading code on a randomly initialised checkpoint (a mock of the
weights, not of the code).
"""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from pymatgen.io.ase import AseAtomsAdaptor

from tcramp.groups import columns
from tcramp.mlff import BACKENDS, MLFF, REGISTRY, ContractError, check_backend, load_mlff
from tcramp.mlff.chgnet import CHGNetMLFF
from tcramp.structures import order

from orb_checkpoint import make_random_orb_checkpoint

LATENT = {"chgnet": 64, "orb-d3-v2": 256, "7net-0": 128, "7net-l3i5": 128}
# measured linear range (Å) of the force on fcc Al; orb-d3-v2's random weights have none to state
LINEAR = {"chgnet": None, "7net-0": (0.005, 0.05), "7net-l3i5": (0.005, 0.05)}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request, tmp_path_factory) -> MLFF:
    if request.param == "orb-d3-v2":
        path = make_random_orb_checkpoint(tmp_path_factory.mktemp("orb") / "orb-d3-v2-random.ckpt")
        return load_mlff("orb-d3-v2", str(path), "cpu")
    return load_mlff(request.param, None, "cpu")


@pytest.fixture(scope="module")
def cells(small):
    out = [AseAtomsAdaptor.get_atoms(order(m.structure, seed=1).structure) for m in small[:3]]
    for i, a in enumerate(out):
        a.rattle(0.03, seed=i)
    return out


def test_every_registered_backend_meets_the_contract(backend, cells):
    assert backend.latent_size == LATENT[backend.name]
    linearity = check_backend(backend, cells)  # bundled cells, and the force linearity on fcc Al
    check_backend(backend, linear=False)  # the check's own small crystals
    assert list(linearity.k) == [0.005, 0.01, 0.02, 0.03, 0.04, 0.05]
    if backend.name in LINEAR:
        assert linearity.span == LINEAR[backend.name]


def test_a_backend_whose_forces_are_not_linear_at_its_displacement_fails(monkeypatch, cells):
    """CHGNet's k(d) on fcc Al is 0.40 eV/Å² at 0.01 Å and 0.72 at 0.02 Å: declaring 0.01 Å breaks the contract."""

    class Trusting(CHGNetMLFF):
        name = "chgnet-trusting"
        phonon_distance = 0.01

    monkeypatch.setitem(REGISTRY, "chgnet-trusting", Trusting)
    with pytest.raises(ContractError, match="chgnet-trusting: forces are linear at phonon_distance 0.01 Å .* nowhere"):
        check_backend(load_mlff("chgnet-trusting", None, "cpu"), cells)


def test_sevennet_declares_no_magnetic_moments_and_magmom_groups_refuse_it(cells):
    (p,) = load_mlff("7net-0", None, "cpu").predict(cells[:1])
    assert p.magmom is None
    with pytest.raises(ValueError, match="lack feature group.s. magmom"):
        columns(pd.DataFrame({"latent_0": [0.0]}), ["latent", "magmom"])


class _Float64Latent(CHGNetMLFF):
    """A throw-away backend: CHGNet giving its latent in float64."""

    name = "chgnet-f64"

    def predict(self, structures, **kw):
        return [replace(p, latent=p.latent.astype(np.float64)) for p in super().predict(structures, **kw)]


def test_a_new_backend_is_one_registration_line(monkeypatch, cells):
    monkeypatch.setitem(REGISTRY, "chgnet-f64", _Float64Latent)  # the registration line
    mlff = load_mlff("chgnet-f64", None, "cpu")
    check_backend(mlff, cells)
    assert mlff.predict(cells[:1])[0].latent.dtype == np.float64


def test_the_check_catches_a_backend_that_mutates_its_input(monkeypatch, cells, chgnet):
    class Mutating(CHGNetMLFF):
        name = "chgnet-mutating"

        def predict(self, structures):
            structures[0].positions += 0.01
            return super().predict(structures)

    monkeypatch.setitem(REGISTRY, "chgnet-mutating", Mutating)
    with pytest.raises(ContractError, match="chgnet-mutating: predict leaves its inputs unchanged"):
        check_backend(load_mlff("chgnet-mutating", None, "cpu"), [a.copy() for a in cells])


def test_chgnet_matches_its_own_ase_calculator(chgnet, cells):
    from chgnet.model.dynamics import CHGNetCalculator

    a = cells[1].copy()
    a.calc = CHGNetCalculator(model=chgnet.model, use_device="cpu")
    (p,) = chgnet.predict([cells[1]])
    assert p.energy == pytest.approx(a.get_potential_energy(), abs=1e-3)
    np.testing.assert_allclose(p.forces, a.get_forces(), atol=1e-4)


def test_chgnet_rebuilds_its_neighbour_list_once_an_atom_moves_half_the_skin(chgnet, cells):
    """An atom displaced by (0.3, 0.3, 0.3) Å moved 0.52 Å > skin/2 = 0.5 Å, though no single
    coordinate did: the Verlet list must be rebuilt, else pairs may enter the cutoff unseen."""
    a = cells[0].copy()
    chgnet.predict([a])
    key = a.numbers.tobytes() + a.cell.array.tobytes()
    first = chgnet._cache[key]
    a.positions[0] += 0.3
    chgnet.predict([a])
    rebuilt = chgnet._cache[key]
    assert rebuilt is not first
    a.positions[1] += 0.2  # 0.35 Å from the rebuilt list's positions: reused
    chgnet.predict([a])
    assert chgnet._cache[key] is rebuilt
