"""One contract for every MLFF backend: shapes, batch = single results, inputs not mutated.

CHGNet runs with its real pretrained weights. orb-d3-v2's weights cannot be downloaded here, so
it runs through its real loading code on a randomly initialised checkpoint (a mock of the
weights, not of the code).
"""

import numpy as np
import pytest
from pymatgen.io.ase import AseAtomsAdaptor

from tcramp.mlff import BACKENDS, MLFF, UnsupportedElementError, load_mlff
from tcramp.structures import order

LATENT = {"chgnet": 64, "orb-d3-v2": 256}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request, tmp_path_factory) -> MLFF:
    if request.param == "orb-d3-v2":
        from orb_checkpoint import make_random_orb_checkpoint

        path = make_random_orb_checkpoint(tmp_path_factory.mktemp("orb") / "orb-d3-v2-random.ckpt")
        return load_mlff("orb-d3-v2", str(path), "cpu")
    return load_mlff(request.param, None, "cpu")


@pytest.fixture(scope="module")
def cells(small):
    out = [AseAtomsAdaptor.get_atoms(order(m.structure, seed=1).structure) for m in small[:3]]
    for i, a in enumerate(out):
        a.rattle(0.03, seed=i)
    return out


def test_outputs_have_the_documented_shapes(backend, cells):
    assert backend.latent_size == LATENT[backend.name]
    assert backend.version and backend.pooling
    for a, p in zip(cells, backend.predict(cells)):
        assert np.isfinite(p.energy)
        assert p.forces.shape == (len(a), 3) and np.isfinite(p.forces).all()
        assert p.latent.shape == (backend.latent_size,) and np.isfinite(p.latent).all()


def test_batch_equals_single(backend, cells):
    batch = backend.predict(cells)
    for a, b in zip(cells, batch):
        (s,) = backend.predict([a])
        assert b.energy == pytest.approx(s.energy, abs=1e-4)
        np.testing.assert_allclose(b.forces, s.forces, atol=1e-4)
        np.testing.assert_allclose(b.latent, s.latent, atol=1e-5)


def test_inputs_not_mutated(backend, cells):
    before = [(a.positions.copy(), a.cell.array.copy(), a.numbers.copy()) for a in cells]
    backend.predict(cells)
    for a, (pos, cell, num) in zip(cells, before):
        assert (a.positions == pos).all() and (a.cell.array == cell).all() and (a.numbers == num).all()


def test_calculator_gives_energy_forces_latent(backend, cells):
    a = cells[0].copy()
    a.calc = backend.calculator()
    (p,) = backend.predict([cells[0]])
    assert a.get_potential_energy() == pytest.approx(p.energy, abs=1e-4)
    np.testing.assert_allclose(a.calc.results["latent"], p.latent, atol=1e-5)


def test_unsupported_element_is_named(backend, cells):
    a = cells[0].copy()
    a.numbers[0] = 118  # Og: beyond every backend's training set
    with pytest.raises(UnsupportedElementError, match="Og"):
        backend.predict([a])


def test_chgnet_matches_its_own_ase_calculator(chgnet, cells):
    from chgnet.model.dynamics import CHGNetCalculator

    a = cells[1].copy()
    a.calc = CHGNetCalculator(model=chgnet.model, use_device="cpu")
    (p,) = chgnet.predict([cells[1]])
    assert p.energy == pytest.approx(a.get_potential_energy(), abs=1e-3)
    np.testing.assert_allclose(p.forces, a.get_forces(), atol=1e-4)
