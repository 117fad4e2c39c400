import numpy as np
import pytest
from pymatgen.io.ase import AseAtomsAdaptor

from tcramp.ramp import RampConfig, material_seed, temperatures, timestep
from tcramp.relax import relax
from tcramp.samplers import SamplerError
from tcramp.samplers.md import sample as ramp
from tcramp.structures import order

from conftest import TINY


@pytest.mark.parametrize("tc", [10.0, 25.9, 39.0, 91.0, 133.0, 203.0])
def test_grid_is_denser_around_tc(tc):
    t = np.array(temperatures(tc))
    base = np.array(temperatures(0.0))
    assert t.min() == 1.0 and t.max() == 300.0 and np.all(np.diff(t) > 0)
    lo, hi = 0.7 * tc, 1.3 * tc
    inside = lambda g: ((g >= lo) & (g <= hi)).sum()  # noqa: E731
    assert inside(t) >= inside(base) + RampConfig().dense_points - 1
    assert not np.any(np.isclose(t, tc))


@pytest.mark.parametrize("tc", [0.3, 1.2, 4.0, 9.0])
def test_low_tc_gets_points_on_both_sides(tc):
    t = np.array(temperatures(tc))
    assert ((t < tc) & (t > 0.5 * tc)).sum() >= 2 and ((t > tc) & (t < 1.5 * tc)).sum() >= 2


def test_no_tc_gives_the_log_grid_dense_where_the_tcs_are():
    t = np.array(temperatures(0.0))
    assert len(t) == 25 and t[0] == 1.0 and t[-1] == 300.0
    np.testing.assert_allclose(t[1:] / t[:-1], (300.0) ** (1 / 24), rtol=2e-3)  # log-spaced
    assert (t < 25).sum() == 14  # 88 % of 3DSC Tcs lie below 25 K


def test_settings_hash_tracks_physics_only():
    assert RampConfig().settings_hash == RampConfig(torch_threads=4).settings_hash
    assert RampConfig().settings_hash != RampConfig(equil_steps=21).settings_hash


def test_timestep_shrinks_for_light_atoms():
    from ase import Atoms

    assert timestep(Atoms("CuO")) == 4.0
    assert timestep(Atoms("LaH")) == pytest.approx(4.0 * (1.008 / 15.99) ** 0.5)


def test_seed_is_per_material():
    assert material_seed(0, "a") == material_seed(0, "a") != material_seed(0, "b")


@pytest.fixture(scope="module")
def cell(small, chgnet):
    return relax(AseAtomsAdaptor.get_atoms(order(small[0].structure, seed=1).structure), chgnet).atoms


def test_ramp_records_and_reproducibility(chgnet, cell):
    temps = temperatures(12.9, TINY)
    pos = cell.positions.copy()
    a = ramp(cell, chgnet, temps, TINY, seed=7)
    b = ramp(cell, chgnet, temps, TINY, seed=7)
    assert (cell.positions == pos).all()
    assert [r.T_target for r in a] == temps
    steps = [r.calls for r in a]
    assert steps[0] == TINY.first_equil_steps + TINY.sample_steps and np.all(np.diff(steps) == 5)
    for x, y in zip(a, b):
        assert x.atom_latent.shape == (len(cell), 64) and x.atom_latent.dtype == np.float32
        assert x.displacements.shape == (TINY.sample_steps, len(cell), 3) and x.magmom.shape == (len(cell),)
        np.testing.assert_array_equal(x.atom_latent, y.atom_latent)
    # kinetic temperature follows the target: hot end well above the cold end, atoms move more
    assert a[-1].T_measured > 100 and a[0].T_measured < 30
    assert a[-1].energies.mean() > a[0].energies.mean()
    assert (a[-1].displacements ** 2).sum() > (a[0].displacements ** 2).sum()
    # displacements are measured from the relaxed cell with the centre of mass held
    m = cell.get_masses()
    np.testing.assert_allclose(np.tensordot(m, a[-1].displacements, axes=([0], [1])), 0, atol=1e-8)


def test_exploding_md_is_caught(chgnet, cell):
    with pytest.raises(SamplerError, match="exploded"):
        ramp(cell, chgnet, [300.0], RampConfig(max_force=1e-3, first_equil_steps=3), seed=0)


def test_fast_engine_agrees_statistically_with_plain_ase(chgnet, cell):
    """The engine (lean CHGNet forces, reused graphs, velocity rescaling) against a plain ASE
    Langevin loop with CHGNet's own calculator on the same cell and seed: same temperatures and
    potential energies within thermal noise."""
    from ase import units
    from ase.constraints import FixCom
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
    from chgnet.model.dynamics import CHGNetCalculator

    config = RampConfig(first_equil_steps=40, equil_steps=30, sample_steps=20)
    temps = [100.0, 300.0]
    fast = ramp(cell, chgnet, temps, config, seed=5)

    atoms = cell.copy()
    atoms.set_constraint(FixCom())
    atoms.calc = CHGNetCalculator(model=chgnet.model, use_device="cpu")
    rng = np.random.default_rng(5)
    MaxwellBoltzmannDistribution(atoms, temperature_K=temps[0], rng=rng, force_temp=True)
    dyn = Langevin(
        atoms,
        timestep(atoms, config) * units.fs,
        temperature_K=temps[0],
        friction=config.friction_per_fs / units.fs,
        fixcm=False,
        rng=rng,
    )
    plain = []
    for i, t in enumerate(temps):
        dyn.set_temperature(temperature_K=t)
        dyn.run(config.first_equil_steps if i == 0 else config.equil_steps)
        kin, pot = [], []
        for _ in range(config.sample_steps):
            dyn.run(1)
            kin.append(atoms.get_temperature())
            pot.append(atoms.get_potential_energy() / len(atoms))
        plain.append((np.mean(kin), np.mean(pot)))
    for rec, (t_plain, e_plain), t in zip(fast, plain, temps):
        e_fast = rec.energies.mean() / len(cell)
        assert abs(rec.T_measured - t) < 0.35 * t and abs(t_plain - t) < 0.35 * t
        assert abs(rec.T_measured - t_plain) < 0.4 * t
        assert abs(e_fast - e_plain) < 3 * units.kB * t  # a few kT per atom
    # heating by 200 K raises the potential energy by about 3/2 kB per K in both
    rise_fast = (fast[1].energies.mean() - fast[0].energies.mean()) / len(cell)
    rise_plain = plain[1][1] - plain[0][1]
    assert 0.3 < rise_fast / (1.5 * units.kB * 200) < 2 and 0.3 < rise_plain / (1.5 * units.kB * 200) < 2
