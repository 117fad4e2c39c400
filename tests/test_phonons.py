"""Phonons with the real CHGNet through phonopy: stability, frequencies against experiment (with
CHGNet's known softening) and the harmonic draws' zero point (MD against the harmonic reference:
tests/test_samplers.py)."""

import numpy as np
import pytest
from ase.build import bulk

from tcramp.phonons import (
    descriptors,
    force_sets,
    from_force_sets,
    gamma_frequencies,
    harmonic_msd,
    phonons,
    sample,
    supercell_matrix,
)
from tcramp.relax import relax

THZ_TO_MEV = 4.135667696


@pytest.fixture(scope="module")
def nb(chgnet):
    """Relaxed conventional bcc Nb (2 atoms) and its phonons."""
    r = relax(bulk("Nb", "bcc", a=3.30, cubic=True), chgnet)
    return r.atoms, phonons(r.atoms, chgnet)


def test_supercell_matrix_widths_and_cap():
    a = bulk("Nb", "bcc", a=3.30, cubic=True)  # widths 3.30 Å
    assert supercell_matrix(a, 8.0, 100).diagonal().tolist() == [3, 3, 3]  # 54 atoms
    assert supercell_matrix(a, 8.0, 20).diagonal().tolist() == [2, 2, 2]  # capped: 16 atoms
    assert supercell_matrix(a * (4, 4, 4), 8.0, 20).diagonal().tolist() == [1, 1, 1]


def test_nb_stable_and_softened(nb):
    d = descriptors(nb[1])
    assert d["imaginary_fraction"] == 0 and d["omega_min"] > -0.1 * THZ_TO_MEV
    assert 0 < d["omega_log"] < d["omega_2"] < d["omega_max"]
    assert d["omega_mean"] < d["omega_rms"] < d["omega_max"]
    assert set(d["elements"]) == {"Nb"}
    assert d["elements"]["Nb"]["omega_log"] == pytest.approx(d["omega_log"], rel=1e-6)
    # Nb: highest phonon frequency ~7.9 THz = 32.7 meV (inelastic neutron scattering, Powell,
    # Martel & Woods, Phys. Rev. 171, 727 (1968)); Debye temperature 275 K (Kittel, ch. 5).
    # Universal MLFFs soften phonons systematically (Deng et al., arXiv 2405.07105); CHGNet 0.3.0
    # gives ~0.57 of the measured ω_max and ~0.6 of Θ_D here: the test pins that band.
    assert 0.45 < d["omega_max"] / 32.7 < 0.8
    assert 0.45 < d["debye_temperature"] / 275 < 0.8


def test_sampler_zero_point_matches_quantum_msd(nb):
    _, ph = nb
    zero_point = harmonic_msd(ph, [1.0], classical=False)[0]
    (u,) = sample(ph, [1.0], 20000, np.random.default_rng(0))
    assert u.shape == (20000, 2, 3)
    np.testing.assert_allclose(u.sum(axis=1), 0, atol=1e-6)  # no translation (Å)
    # 20,000 Gaussian draws: relative error of a mean square ~ sqrt(2/20000) = 1 %
    np.testing.assert_allclose((u**2).sum(axis=2).mean(axis=0), zero_point, rtol=0.04)
    # at 1 K the quantum MSD is the zero point, far above the classical value
    assert (zero_point > 10 * harmonic_msd(ph, [1.0], classical=True)[0]).all()
    assert (gamma_frequencies(ph)[3:] > 0).all()


def test_force_sets_rebuild_the_force_constants_exactly(nb):
    """The stored force sets (phonopy's displacement dataset with float32 forces) give the very
    force constants of the model's run, and phonopy can write them as phonopy_params.yaml."""
    atoms, ph = nb
    row = force_sets(ph)
    again = from_force_sets(atoms, row)
    np.testing.assert_array_equal(again.force_constants, ph.force_constants)
    assert len(row["fc_forces"]) == 4 * len(ph.dataset["first_atoms"]) * len(ph.supercell) * 3
