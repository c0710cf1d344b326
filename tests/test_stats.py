"""Statistics helpers against values worked by hand, textbook examples and scipy."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from analysis import stats

Z95 = 1.959963984540054


def test_wilson_81_of_263_by_hand():
    # p = 81/263 = 0.307985, z^2 = 3.841459, z^2/n = 0.014606
    # centre = (p + z^2/2n) / (1 + z^2/n) = (0.307985 + 0.007303) / 1.014606 = 0.310753
    # half   = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n) = 1.959964 * 0.028722 / 1.014606 = 0.055484
    # -> (0.2553, 0.3662)
    lo, hi = stats.wilson_interval(81, 263)
    assert isinstance(lo, float) and isinstance(hi, float)
    assert lo == pytest.approx(0.2553, abs=5e-5)
    assert hi == pytest.approx(0.3662, abs=5e-5)
    p, n, z2 = 81 / 263, 263, Z95 ** 2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    assert (lo, hi) == pytest.approx((centre - half, centre + half), rel=1e-12)


def test_wilson_vectorised_edges():
    lo, hi = stats.wilson_interval(np.array([0, 5, 10, 3]), np.array([10, 10, 10, 0]))
    assert isinstance(lo, np.ndarray) and lo.shape == (4,)
    # x = 0: the interval is [0, z^2 / (n + z^2)] = [0, 3.8415 / 13.8415].
    assert lo[0] == 0.0 and hi[0] == pytest.approx(Z95 ** 2 / (10 + Z95 ** 2))
    # Symmetric around 1/2 for 5/10, and x = n mirrors x = 0.
    assert lo[1] == pytest.approx(1 - hi[1])
    assert hi[2] == pytest.approx(1.0) and lo[2] == pytest.approx(1 - hi[0])
    assert math.isnan(lo[3]) and math.isnan(hi[3])
    with pytest.raises(ValueError):
        stats.wilson_interval(11, 10)
    lo99, hi99 = stats.wilson_interval(5, 10, confidence=0.99)
    assert lo99 < lo[1] and hi99 > hi[1]


def test_two_proportion_z_by_hand():
    # 60/100 vs 40/100: pooled p = 100/200 = 0.5; se = sqrt(0.5 * 0.5 * (1/100 + 1/100)) = sqrt(0.005)
    # = 0.0707107; z = (0.6 - 0.4) / 0.0707107 = 2.828427; two-sided p = 2 * (1 - Phi(2.828427)) = 0.004678.
    r = stats.two_proportion_z(60, 100, 40, 100)
    assert r.z == pytest.approx(2.828427, abs=1e-6)
    assert r.p_value == pytest.approx(0.004678, abs=1e-6)
    assert r.diff == pytest.approx(0.2)
    assert r.ci_low < 0.2 < r.ci_high


def test_newcombe_interval_matches_published_examples():
    # Newcombe (1998), Stat Med 17:873-890, Table II, method 10 (hybrid score):
    # 56/70 - 48/80 -> (0.0524, 0.3339); 9/10 - 3/10 -> (0.1705, 0.8090).
    r = stats.two_proportion_z([56, 9], [70, 10], [48, 3], [80, 10])
    assert r.ci_low == pytest.approx([0.0524, 0.1705], abs=1e-4)
    assert r.ci_high == pytest.approx([0.3339, 0.8090], abs=1e-4)
    assert r.diff == pytest.approx([0.2, 0.6])


def test_two_proportion_degenerate_and_empty():
    r = stats.two_proportion_z([0, 10, 1], [10, 10, 0], [0, 20, 1], [20, 20, 5])
    assert r.z[:2] == pytest.approx([0, 0]) and r.p_value[:2] == pytest.approx([1, 1])
    assert all(math.isnan(v[2]) for v in r)


def test_two_proportion_with_one_side_unknown_is_nan_not_an_error():
    # A known 60 of 100 next to an unknown side (NaN) used to reach the Wilson check as 60 of 1.
    r = stats.two_proportion_z([60, 50, 30], [100, 100, np.nan], [np.nan, 40, 20], [np.nan, 100, 50])
    assert all(math.isnan(v[0]) and math.isnan(v[2]) for v in r)
    assert r.diff[1] == pytest.approx(0.1) and r.ci_low[1] < 0.1 < r.ci_high[1]


def test_holm_and_bh_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04;
    # running max 0.02, 0.03, 0.06, 0.06; back in input order:
    assert stats.holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # BH: sorted times m/j = 0.02, 0.02, 0.04, 0.04; running min from the top keeps them:
    assert stats.benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert stats.benjamini_hochberg(p) == pytest.approx(sps.false_discovery_control(p))


def test_adjustments_monotone_capped_and_nan_aware():
    assert stats.holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert stats.benjamini_hochberg([0.5, 0.9]) == pytest.approx([0.9, 0.9])
    out = stats.holm([0.01, np.nan, 0.04])
    assert out[0] == pytest.approx(0.02) and math.isnan(out[1]) and out[2] == pytest.approx(0.04)
    assert stats.holm(0.03) == pytest.approx(0.03)
    rng = np.random.default_rng(3)
    raw = rng.uniform(size=40)
    for adjust in (stats.holm, stats.benjamini_hochberg):
        adj = adjust(raw)
        order = np.argsort(raw)
        assert np.all(np.diff(adj[order]) >= -1e-15) and np.all(adj <= 1) and np.all(adj >= raw)
    with pytest.raises(ValueError):
        stats.holm([1.2])


def test_kendall_exact_small_case_by_hand():
    # n = 4 in perfect order: 0 discordant pairs, tau = 1. Only 1 of the 4! = 24 orderings has no
    # inversion, so the one-sided p is 1/24 and the two-sided p 2/24.
    tau, p, method = stats.kendall([1, 2, 3, 4], [10, 20, 30, 40], alternative="greater")
    assert tau == 1.0 and p == pytest.approx(1 / 24) and method.startswith("exact")
    assert stats.kendall([1, 2, 3, 4], [10, 20, 30, 40])[1] == pytest.approx(1 / 12)
    # Mahonian numbers for n = 4: 1 3 5 6 5 3 1 (sum 24); one discordant pair: P(D <= 1) = 4/24.
    assert stats.kendall_exact_pvalue(4, 1, "greater") == pytest.approx(4 / 24)
    assert stats.kendall_exact_pvalue(4, 3, "two-sided") == 1.0


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_kendall_exact_matches_scipy_for_twelve(alternative):
    rng = np.random.default_rng(12)
    ibm_business = [12, 11, 5, 2, 4, 1, 3, 7, 10, 6, 8, 9]
    cases = [(np.arange(1, 13), np.array(ibm_business))] + [(np.arange(12), rng.permutation(12)) for _ in range(5)]
    for x, y in cases:
        tau, p, method = stats.kendall(x, y, alternative=alternative)
        ref = sps.kendalltau(x, y, method="exact", alternative=alternative)
        assert tau == pytest.approx(ref.statistic, abs=1e-12)
        assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-15)
        assert "exact" in method


def test_kendall_with_ties_uses_normal_approximation_like_scipy():
    x, y = [1, 2, 2, 3, 4, 5, 5, 6], [2, 1, 3, 3, 5, 4, 6, 7]
    tau, p, method = stats.kendall(x, y)
    ref = sps.kendalltau(x, y)
    assert tau == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    assert "normal approximation" in method and "ties" in method


def test_spearman_rho_agrees_with_scipy_and_exact_p_small_n():
    x, y = np.arange(7), np.array([3, 1, 4, 2, 7, 5, 6])
    rho, p, method = stats.spearman(x, y)
    assert rho == pytest.approx(sps.spearmanr(x, y).statistic)
    exact = sps.permutation_test((y,), lambda v: sps.spearmanr(x, v).statistic,
                                 permutation_type="pairings", n_resamples=np.inf).pvalue
    assert p == pytest.approx(exact) and method.startswith("exact")
    # n = 4 perfect order: rho = 1 in 1 of 24 orderings (and -1 in one more for two-sided).
    assert stats.spearman([1, 2, 3, 4], [1, 2, 3, 4], alternative="greater")[1] == pytest.approx(1 / 24)
    assert stats.spearman([1, 2, 3, 4], [1, 2, 3, 4])[1] == pytest.approx(2 / 24)


def test_spearman_permutation_for_larger_n_is_seeded_and_says_so():
    c = np.arange(1, 13)
    b = np.array([12, 11, 5, 2, 4, 1, 3, 7, 10, 6, 8, 9])
    rho, p, method = stats.spearman(c, b, rng=np.random.default_rng(1), n_permutations=20_000)
    assert rho == pytest.approx(sps.spearmanr(c, b).statistic)
    assert "permutation" in method and "20,000" in method
    assert p == stats.spearman(c, b, rng=np.random.default_rng(1), n_permutations=20_000)[1]
    assert p == pytest.approx(0.98, abs=0.02)
    # Perfect order at n = 12: no draw reaches |rho| = 1 in practice, so p = 1 / (N + 1).
    assert stats.spearman(c, c, rng=5, n_permutations=999)[1] == pytest.approx(1 / 1000)


def test_rank_correlation_combines_and_reports_methods():
    res = stats.rank_correlation(np.arange(1, 13), [12, 11, 5, 2, 4, 1, 3, 7, 10, 6, 8, 9],
                                 n_permutations=5000)
    assert res.n == 12
    assert res.spearman_rho == pytest.approx(-0.006993, abs=1e-6)
    assert res.kendall_tau == pytest.approx(0.030303, abs=1e-6)
    assert "permutation" in res.spearman_method and "exact" in res.kendall_method
    assert set(res.as_dict()) >= {"spearman_p", "kendall_p", "alternative"}
    few = stats.rank_correlation([1, 2], [2, 1])
    assert math.isnan(few.spearman_rho) and math.isnan(few.kendall_p)


def test_no_streamlit_import():
    src = (Path(stats.__file__)).read_text()
    assert "streamlit" not in src
