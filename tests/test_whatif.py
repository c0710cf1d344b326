"""The logistic model, its fit quality and the what-ifs, checked against answers known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import continuum, whatif


def _logit(p):
    return math.log(p / (1 - p))


def test_one_binary_covariate_matches_the_two_by_two_table():
    # x = 0: 30 events of 100; x = 1: 60 of 80. The MLE is the table's log odds; the slope's SE is
    # sqrt(1/a + 1/b + 1/c + 1/d) (Woolf).
    x = np.r_[np.zeros(100), np.ones(80)]
    y = np.r_[np.ones(30), np.zeros(70), np.ones(60), np.zeros(20)]
    X = np.column_stack([np.ones_like(x), x])
    fit = whatif.fit_logistic(X, y, ["intercept", "x"], ridge=0.0)
    assert fit.converged
    assert fit.coef[0] == pytest.approx(_logit(0.3), abs=1e-8)
    assert fit.coef[1] == pytest.approx(_logit(0.75) - _logit(0.3), abs=1e-8)
    assert fit.se[1] == pytest.approx(math.sqrt(1 / 30 + 1 / 70 + 1 / 60 + 1 / 20), rel=1e-6)
    assert fit.se[0] == pytest.approx(math.sqrt(1 / 30 + 1 / 70), rel=1e-6)
    ll = 30 * math.log(0.3) + 70 * math.log(0.7) + 60 * math.log(0.75) + 20 * math.log(0.25)
    p0 = 90 / 180
    ll0 = 90 * math.log(p0) + 90 * math.log(1 - p0)
    assert fit.loglik == pytest.approx(ll, abs=1e-8)
    assert fit.loglik_null == pytest.approx(ll0, abs=1e-8)
    assert fit.mcfadden_r2 == pytest.approx(1 - ll / ll0)
    assert (fit.n, fit.events) == (180, 90)
    t = fit.table().set_index("term")
    assert t.loc["x", "odds_ratio"] == pytest.approx((60 / 20) / (30 / 70))


def test_intercept_only_model():
    y = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0], dtype=float)
    fit = whatif.fit_logistic(np.ones((10, 1)), y, ridge=0.0)
    assert fit.coef[0] == pytest.approx(_logit(0.2))
    assert fit.mcfadden_r2 == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(fit.auc) or fit.auc == pytest.approx(0.5)


def test_recovers_known_coefficients_on_simulated_data():
    rng = np.random.default_rng(1)
    n = 40_000
    x1 = rng.normal(size=n)
    x2 = rng.integers(0, 2, size=n)
    beta = np.array([-1.0, 0.8, -0.5])
    X = np.column_stack([np.ones(n), x1, x2])
    y = (rng.random(n) < whatif.sigmoid(X @ beta)).astype(float)
    fit = whatif.fit_logistic(X, y)
    assert np.all(np.abs(fit.coef - beta) < 4 * fit.se)
    assert 0.65 < fit.auc < 0.8
    calib = fit.calibration
    assert len(calib) == 10 and calib["n"].sum() == n
    assert calib["expected"].sum() == pytest.approx(y.sum(), rel=1e-3)  # calibration in the large
    assert fit.hosmer_lemeshow_p > 0.001


def test_ridge_keeps_a_separated_model_finite():
    x = np.r_[np.zeros(20), np.ones(20)]
    y = x.copy()  # x predicts y perfectly: the unpenalised MLE runs off to infinity
    X = np.column_stack([np.ones_like(x), x])
    fit = whatif.fit_logistic(X, y, ridge=1.0)
    assert fit.converged and np.all(np.isfinite(fit.coef)) and np.all(np.isfinite(fit.se))
    assert fit.coef[1] > 2
    assert fit.auc == 1.0


def test_auc_by_hand_with_ties():
    assert whatif.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert whatif.auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert math.isnan(whatif.auc([1, 1], [0.2, 0.3]))


def test_calibration_groups_are_equal_sized_and_ordered():
    p = np.linspace(0.01, 0.99, 20)
    y = (p > 0.5).astype(float)
    c = whatif.calibration_table(y, p, bins=10)
    assert c["n"].tolist() == [2] * 10
    assert c["predicted"].is_monotonic_increasing
    assert c["events"].sum() == y.sum()
    assert (c["low"] <= c["observed"]).all() and (c["observed"] <= c["high"]).all()


def test_invalid_inputs():
    with pytest.raises(ValueError):
        whatif.fit_logistic(np.ones((3, 1)), [0, 1, 2])
    with pytest.raises(ValueError):
        whatif.fit_logistic(np.ones((3, 1)), [0, 1])


def test_design_uses_the_commonest_level_as_reference_and_drops_constants():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "k": [5.0] * 4, "ch": ["phone", "email", "phone", "dm"]})
    d = whatif.Design.from_frame(frame, ["a", "k"], ["ch"])
    assert d.names == ["intercept", "a", "ch=dm", "ch=email"]
    X = d.matrix(frame)
    np.testing.assert_allclose(X[:, 1], [-1.5, -0.5, 0.5, 1.5])
    np.testing.assert_allclose(X[:, 2:], [[0, 0], [0, 1], [0, 0], [1, 0]])
    # A level never seen in fitting lands on the reference.
    assert d.matrix(pd.DataFrame({"a": [2.5], "ch": ["store"]}))[0].tolist() == [1.0, 0.0, 0.0, 0.0]


def _two_by_two_fit():
    x = np.r_[np.zeros(100), np.ones(80)]
    y = np.r_[np.ones(30), np.zeros(70), np.ones(60), np.zeros(20)]
    return whatif.fit_logistic(np.column_stack([np.ones_like(x), x]), y, ridge=0.0)


def test_expected_change_by_hand_and_reproducible():
    fit = _two_by_two_fit()
    X0 = np.column_stack([np.ones(10), np.ones(10)])   # ten cases with x = 1: expected 7.5 events
    X1 = np.column_stack([np.ones(10), np.zeros(10)])  # moved to x = 0: expected 3
    e = whatif.expected_change(fit, X0, X1, draws=300, seed=5)
    assert e["baseline"] == pytest.approx(7.5) and e["whatif"] == pytest.approx(3.0)
    assert e["change"] == pytest.approx(-4.5) and e["relative"] == pytest.approx(-0.6)
    assert e["change_low"] < e["change"] < e["change_high"] < 0
    assert e == whatif.expected_change(fit, X0, X1, draws=300, seed=5)
    same = whatif.expected_change(fit, X0, X0, draws=50, seed=5)
    assert same["change"] == 0 and same["change_low"] == 0 and same["change_high"] == 0


def test_coefficient_draws_follow_the_covariance():
    fit = _two_by_two_fit()
    draws = whatif.coefficient_draws(fit, draws=20_000, seed=11)
    np.testing.assert_allclose(draws.mean(axis=0), fit.coef, atol=0.01)
    np.testing.assert_allclose(np.cov(draws.T), fit.cov, rtol=0.05, atol=1e-4)


# -- the continuum's model on conversations -----------------------------------------------------------------

def test_model_covariates_apply_the_scenario():
    threads = pd.DataFrame({"resolution_h": [10.0, np.nan, 48.0], "first_response_h": [30.0, 2.0, np.nan],
                            "start_channel": ["phone", "email", "phone"], "segment": ["Value", None, "Premium"]})
    base = continuum.model_covariates(threads)
    scen = continuum.model_covariates(threads, resolution_factor=0.5, first_response_cap_h=4.0)
    assert scen["log_resolution_h"][0] == pytest.approx(base["log_resolution_h"][0] + math.log(0.5))
    assert base["not_resolved"].tolist() == [0.0, 1.0, 0.0]
    assert scen["log_resolution_h"][1] == base["log_resolution_h"][1] == 0.0  # unresolved: held as it is
    assert scen["log_first_response_h"][0] == pytest.approx(math.log(4.0))
    assert scen["log_first_response_h"][1] == pytest.approx(math.log(2.0))  # already within the cap
    assert scen["no_response"][2] == 1.0 and scen["log_first_response_h"][2] == 0.0
    assert base["segment"].tolist() == ["Value", "unknown", "Premium"]


def _simulated_threads(n=3000, seed=2):
    rng = np.random.default_rng(seed)
    res = rng.lognormal(3, 1, n)
    frt = rng.lognormal(0, 1, n)
    ch = rng.choice(["phone", "email", "chat"], n)
    seg = rng.choice(["Value", "Premium"], n)
    vent = rng.random(n) < whatif.sigmoid(-3 + 0.9 * np.log(res / 24))
    kudos = rng.random(n) < whatif.sigmoid(-2 - 0.6 * np.log(res / 24))
    return pd.DataFrame({"resolution_h": res, "first_response_h": frt, "start_channel": ch, "segment": seg,
                         "vent": vent, "kudos": kudos})


def test_faster_resolution_means_fewer_vents_and_more_kudos():
    threads = _simulated_threads()
    models, notes = continuum.fit_models(threads)
    assert set(models) == {"vent", "kudos"} and not notes
    vent = models["vent"].coefficients.set_index("term")
    assert vent.loc["log_resolution_h", "coef"] == pytest.approx(0.9, abs=0.25)
    assert vent.loc["log_resolution_h", "doubling_or"] == pytest.approx(
        math.exp(vent.loc["log_resolution_h", "coef"] * math.log(2)))
    eff = continuum.whatif_effects(models, threads, resolution_cut=0.5, first_response_cap_h=None, draws=200)
    assert eff["vent"]["change_high"] < 0 < eff["kudos"]["change_low"]
    assert eff["vent"]["baseline"] == pytest.approx(threads["vent"].sum(), rel=0.02)
    none = continuum.whatif_effects(models, threads, resolution_cut=0.0, first_response_cap_h=None, draws=50)
    assert none["vent"]["change"] == pytest.approx(0.0)


def test_too_few_events_is_said_not_fitted():
    threads = _simulated_threads(n=60).assign(vent=False)
    models, notes = continuum.fit_models(threads)
    assert "vent" not in models and "Too few" in notes["vent"]
