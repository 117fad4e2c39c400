import numpy as np
import pytest
from pymatgen.io.ase import AseAtomsAdaptor

from tcramp.ramp import RampConfig, RampError, material_seed, ramp, temperatures, timestep
from tcramp.structures import order

from conftest import TINY


@pytest.mark.parametrize("tc", [10.0, 25.9, 39.0, 91.0, 133.0, 203.0])
def test_grid_is_denser_around_tc(tc):
    t = np.array(temperatures(tc))
    assert t.min() <= 2.0 and t.max() == 300.0 and np.all(np.diff(t) > 0)
    lo, hi = 0.7 * tc, 1.3 * tc
    near = ((t >= lo) & (t <= hi)).sum() / (hi - lo)
    far = ((t < lo) | (t > hi)).sum() / (300.0 - 2.0 - (min(hi, 300.0) - lo))
    assert near > far
    assert not np.any(np.isclose(t, tc))


@pytest.mark.parametrize("tc", [0.3, 1.2, 4.0, 9.0])
def test_low_tc_gets_points_on_both_sides(tc):
    t = np.array(temperatures(tc))
    assert ((t < tc) & (t > 0.5 * tc)).sum() >= 2 and ((t > tc) & (t < 1.5 * tc)).sum() >= 2


def test_no_tc_gives_base_grid():
    assert temperatures(0.0) == [2.0] + [25.0 * k for k in range(1, 13)]


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
def cell(small):
    return AseAtomsAdaptor.get_atoms(order(small[0].structure, seed=1).structure)


def test_ramp_records_and_reproducibility(chgnet, cell):
    temps = temperatures(12.9, TINY)
    pos = cell.positions.copy()
    a = ramp(cell, chgnet, temps, TINY, seed=7)
    b = ramp(cell, chgnet, temps, TINY, seed=7)
    assert (cell.positions == pos).all()
    assert [r["T_target"] for r in a] == temps
    steps = [r["step"] for r in a]
    assert steps[0] == TINY.first_equil_steps + TINY.sample_steps and np.all(np.diff(steps) == 5)
    for x, y in zip(a, b):
        assert x["latent"].shape == (64,) and x["latent"].dtype == np.float32
        np.testing.assert_array_equal(x["latent"], y["latent"])
    # kinetic temperature follows the target: hot end well above the cold end
    assert a[-1]["T_measured"] > 100 and a[0]["T_measured"] < 30
    assert a[-1]["energy_per_atom"] > a[0]["energy_per_atom"]


def test_exploding_md_is_caught(chgnet, cell):
    with pytest.raises(RampError, match="exploded"):
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
        assert abs(rec["T_measured"] - t) < 0.35 * t and abs(t_plain - t) < 0.35 * t
        assert abs(rec["T_measured"] - t_plain) < 0.4 * t
        assert abs(rec["energy_per_atom"] - e_plain) < 3 * units.kB * t  # a few kT per atom
    # heating by 200 K raises the potential energy by about 3/2 kB per K in both
    rise_fast = fast[1]["energy_per_atom"] - fast[0]["energy_per_atom"]
    rise_plain = plain[1][1] - plain[0][1]
    assert 0.3 < rise_fast / (1.5 * units.kB * 200) < 2 and 0.3 < rise_plain / (1.5 * units.kB * 200) < 2
