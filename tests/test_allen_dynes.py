"""The Allen–Dynes head: the formula against published limits, its inversion, and the regressor on
the repo's 79 real CHGNet materials."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from tcramp.allen_dynes import (
    K_PER_MEV,
    LAMBDA_MAX,
    MU_STARS,
    AllenDynesTc,
    allen_dynes,
    coupling,
    threshold,
    valid_omega,
)
from tcramp.ramp import RampConfig
from tcramp.snapshots import read_materials, read_stage
from tcramp.splits import grouped_folds, leakage_groups

STORE = Path(__file__).resolve().parents[1] / "data" / "records"


@pytest.fixture(scope="module")
def md():
    """The 79 materials of the repo's MD build: their relaxation, contrast and phonon columns."""
    names = read_stage(STORE, stage="samples", config=replace(RampConfig(), sampler="md"))["name"].unique()
    d = read_materials(STORE, stage="phonons")
    d = d[d["name"].isin(names)].reset_index(drop=True)
    assert len(d) == 79
    return (
        d,
        d[[c for c in d if c.startswith(("relax_", "ph_", "nc_", "bond_"))]],
        grouped_folds(leakage_groups(d), 5, 0),
    )


def test_lead():
    """Pb, the strong-coupling standard: λ = 1.55, ω_log = 4.83 meV (56 K), measured Tc = 7.19 K
    (tunnelling α²F; as tabulated by Carbotte, Rev. Mod. Phys. 62, 1027 (1990), Table IV — quoted
    from that table, not re-read: no readable copy of Allen & Dynes, PRB 12, 905 (1975) or of
    Carbotte's table was found in the searchable sources (issue 23), so μ* = 0.10 and f2 = 1 stay
    this test's assumptions, not the paper's inputs), with the conventional μ* = 0.10. Allen & Dynes' point:
    the McMillan form underestimates strong couplers and f1 restores Tc. ω̄₂ = ω_log (f2 = 1)
    isolates f1."""
    mcmillan = allen_dynes(1.55, 4.83, 0.10)
    full = allen_dynes(1.55, 4.83, 0.10, omega_2=4.83)
    assert mcmillan < 0.95 * 7.19
    assert full == pytest.approx(7.19, rel=0.05)


def test_strong_coupling_limit():
    """Allen & Dynes (1975): for λ → ∞ (μ* = 0) Eliashberg theory gives Tc → 0.1827 (λ⟨ω²⟩)^½;
    their f1 carries the formula onto it (an Einstein spectrum: ω̄₂ = ω_log = ω), while the McMillan
    form saturates at ω_log/1.2·e^{−1.04·(1+λ)/λ}."""
    lam, w = np.array([30.0, 100.0]), 10.0
    ratio = allen_dynes(lam, w, 0.0, omega_2=w) / (np.sqrt(lam) * w * K_PER_MEV)
    np.testing.assert_allclose(ratio, 0.1827, rtol=0.03)
    assert (allen_dynes(lam, w, 0.0) < w * K_PER_MEV / 1.2 * np.exp(-1.04)).all()


def test_threshold_and_invalid_input():
    mu = 0.13
    lc = threshold(mu)
    assert lc - mu * (1 + 0.62 * lc) == pytest.approx(0)
    np.testing.assert_array_equal(allen_dynes([0.0, lc, lc - 1e-9, -1.0], 10.0, mu), 0.0)
    assert allen_dynes(lc + 0.05, 10.0, mu) > 0
    np.testing.assert_array_equal(coupling(0.0, [5.0, 30.0], mu), lc)
    assert np.isnan(allen_dynes([1.0, 1.0, 1.0, np.nan], [np.nan, 0.0, -2.0, 10.0])).all()
    assert np.isnan(allen_dynes(1.0, 10.0, omega_2=np.nan))
    assert np.isnan(coupling([5.0, 5.0, 5.0, np.nan], [np.nan, 0.0, np.inf, 10.0])).all()
    with pytest.raises(ValueError, match="negative Tc"):
        coupling(-1.0, 10.0)


@pytest.mark.parametrize("omega_2", [None, 14.0])
def test_coupling_inverts_allen_dynes(omega_2):
    lam = np.linspace(0.2, 9.5, 40)
    w = np.linspace(2.0, 40.0, 40)
    tc = allen_dynes(lam, w, 0.12, omega_2)
    assert (np.diff(allen_dynes(lam, 10.0, 0.12, omega_2)) > 0).all()  # monotonic: the inverse is unique
    np.testing.assert_allclose(coupling(tc, w, 0.12, omega_2), lam, rtol=1e-8)
    beyond = allen_dynes(LAMBDA_MAX, 10.0, 0.12, omega_2) * 1.5
    assert coupling(beyond, 10.0, 0.12, omega_2) == LAMBDA_MAX


def test_regressor_on_real_materials(md):
    d, X, folds = md
    est = AllenDynesTc(iterations=100, thread_count=1)
    assert clone(est).get_params() == est.get_params() and not hasattr(clone(est), "model_")
    train, test = folds[0]
    fitted = clone(est).fit(X.iloc[train], d.tc.iloc[train])
    tc = fitted.predict(X)
    assert np.isfinite(tc).all() and (tc >= 0).all() and tc[test].max() > 0
    invalid = ~valid_omega(X)
    assert invalid.sum() == 1 and (tc[invalid] == 0).all()  # Ir0.05Nb3Rh0.95: no phonon DOS
    assert fitted.n_skipped_ == invalid[train].sum() and fitted.mu_star_ == 0.10
    np.testing.assert_allclose(fitted.predict(X.iloc[test][X.columns[::-1]]), tc[test])  # by name, not position
    assert np.isfinite(fitted.score(X.iloc[test], d.tc.iloc[test]))


def test_regressor_fits_mu_star_and_refuses_bad_frames(md):
    d, X, folds = md
    train, _ = folds[0]
    groups = leakage_groups(d)[train]
    fitted = AllenDynesTc(fit_mu_star=True, iterations=30, thread_count=1).fit(X.iloc[train], d.tc.iloc[train], groups)
    assert set(fitted.cv_mae_) == set(MU_STARS) and fitted.mu_star_ == min(fitted.cv_mae_, key=fitted.cv_mae_.get)
    with pytest.raises(ValueError, match="ph_omega_log"):
        AllenDynesTc().fit(X.drop(columns="ph_omega_log"), d.tc)
    with pytest.raises(ValueError, match="sc_class"):
        AllenDynesTc().fit(X.assign(sc_class=d.sc_class), d.tc)
    with pytest.raises(ValueError, match="ph_omega_mean"):
        fitted.predict(X.drop(columns="ph_omega_mean"))
