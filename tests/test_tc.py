import numpy as np
import pytest

from tcramp.tc import monotone, tc_from_curve, tc_summary

T = np.array([2, 25, 50, 75, 100, 125, 150, 200, 250, 300], float)


def test_clean_crossing_is_interpolated():
    p = np.array([1, 1, 0.9, 0.7, 0.3, 0.1, 0, 0, 0, 0], float)
    c = tc_from_curve(T, p)
    assert c.kind == "crossing" and c.tc == pytest.approx(75 + 0.2 / 0.4 * 25)
    assert tc_from_curve(T, p, 0.7).tc == pytest.approx(75.0)
    assert tc_from_curve(T, p, 0.7).tc < c.tc


def test_never_superconducting():
    assert tc_from_curve(T, np.full(10, 0.2)).tc == 0.0
    assert tc_from_curve(T, np.full(10, 0.2)).kind == "never"


def test_always_superconducting_reports_upper_bound():
    c = tc_from_curve(T, np.full(10, 0.8))
    assert c.kind == "above" and c.tc == 300.0


def test_noisy_curve_gives_one_monotone_crossing():
    rng = np.random.default_rng(0)
    truth = 1 / (1 + np.exp((T - 90) / 10))
    p = np.clip(truth + rng.normal(0, 0.12, T.size), 0, 1)
    c = tc_from_curve(T, p)
    assert c.kind == "crossing" and 60 < c.tc < 120
    # unsorted input gives the same answer
    perm = rng.permutation(T.size)
    assert tc_from_curve(T[perm], p[perm]).tc == pytest.approx(c.tc)


def test_ensemble_summary_interval_brackets_estimates():
    members = np.stack([1 / (1 + np.exp((T - tc) / 8)) for tc in (70, 80, 95)])
    s = tc_summary(T, members)
    assert s["kind"] == "crossing" and s["tc_low"] <= s["tc70"] <= s["tc60"] <= s["tc50"] <= s["tc_high"]
    assert 75 < s["tc50"] < 90


def test_monotone_fit_matches_sklearn_isotonic_and_averages_repeated_temperatures():
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.default_rng(1)
    T = np.repeat(np.arange(0.0, 300.0, 25.0), 2)  # every temperature sampled twice
    p = np.clip(1 - T / 150 + rng.normal(0, 0.15, T.size), 0, 1)
    t, fit = monotone(T[::-1], p[::-1])
    ref = IsotonicRegression(increasing=False, y_min=0, y_max=1).fit(T, p).predict(t)
    assert np.array_equal(t, np.unique(T)) and np.allclose(fit, ref)
