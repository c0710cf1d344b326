"""Tests for analysis.simulate against cases whose answers are known by hand or analytically."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.sparse as sp

from analysis import simulate
from analysis.graphs import Graph, from_arrays
from analysis.simulate import MODELS, independent_cascade, naive_ic, ovation, threshold_model


def path(n: int) -> Graph:
    """Directed path 0 -> 1 -> ... -> n-1."""
    return from_arrays(np.arange(n - 1), np.arange(1, n), n, directed=True)


def star(n: int) -> Graph:
    return from_arrays(np.zeros(n - 1, dtype=int), np.arange(1, n), n, directed=False)


def complete(n: int) -> Graph:
    return Graph(n=n, labels=np.arange(n), directed=False, A=sp.csr_matrix(np.ones((n, n)) - np.eye(n)))


def ring(n: int) -> Graph:
    return from_arrays(np.arange(n), (np.arange(n) + 1) % n, n, directed=False)


def close(result, expected: float, sigmas: float = 4.0) -> bool:
    """Mean within a few standard errors of the exact value (deterministic here: fixed seeds)."""
    return abs(result.mean - expected) <= sigmas * result.std / math.sqrt(len(result.runs)) + 1e-12


# --- independent cascade ---------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.03, 0.3, 0.7])
def test_ic_on_a_path_reaches_node_k_with_probability_p_to_the_k(p):
    n = 8
    result = independent_cascade(path(n), [0], p, runs=20_000, rng=1)
    exact = sum(p**k for k in range(n)) / n
    assert close(result, exact)
    lo, hi = result.ci95
    assert lo < result.mean < hi


@pytest.mark.parametrize("p", [0.02, 0.25, 0.9])
def test_ic_star_seeded_at_the_centre(p):
    n = 40
    result = independent_cascade(star(n), [0], p, runs=10_000, rng=2)
    assert close(result, (1 + p * (n - 1)) / n)


def test_ic_p0_only_seeds_and_p1_whole_reachable_component():
    two_parts = from_arrays([0, 1, 2, 4], [1, 2, 3, 5], 6, directed=False)  # 0-1-2-3 and 4-5
    only = independent_cascade(two_parts, [1, 4], 0.0, runs=50, rng=0)
    assert np.all(only.runs == 2 / 6) and only.curves.shape == (50, 1)
    whole = independent_cascade(two_parts, [1], 1.0, runs=50, rng=0)
    assert np.all(whole.runs == 4 / 6)
    # Directed: from the middle of a path only the nodes downstream are reachable.
    downstream = independent_cascade(path(10), [6], 1.0, runs=5, rng=0)
    assert np.all(downstream.runs == 4 / 10) and np.all(downstream.steps == 3)


def test_curves_start_at_the_seeds_rise_and_end_at_the_final_fraction():
    g = from_arrays(*np.random.default_rng(0).integers(0, 300, (2, 1500)), 300, directed=True)
    result = independent_cascade(g, [0, 1, 2], 0.2, runs=200, rng=3)
    assert np.allclose(result.curves[:, 0], 3 / 300)
    assert np.all(np.diff(result.curves, axis=1) >= 0)
    assert np.array_equal(result.curves[:, -1], result.runs)
    assert np.all((result.runs >= 0) & (result.runs <= 1))


def test_fast_and_naive_ic_agree_in_distribution():
    rng = np.random.default_rng(4)
    g = from_arrays(*rng.integers(0, 200, (2, 1000)), 200, directed=True)
    fast = independent_cascade(g, [0, 1], 0.15, runs=3000, rng=5)
    naive = np.array([naive_ic(g, [0, 1], 0.15, rng) for _ in range(600)])
    se = math.sqrt(fast.std**2 / len(fast.runs) + naive.var(ddof=1) / len(naive))
    assert abs(fast.mean - naive.mean()) < 4 * se
    # Same shape too: the share of runs that take off.
    assert abs(fast.p_global(0.2) - np.mean(naive > 0.2)) < 0.08


def test_per_run_seed_sets():
    seeds = np.array([[0], [3], [7]])
    result = independent_cascade(path(10), seeds, 1.0, runs=3, rng=0)
    assert np.allclose(result.runs, [1.0, 0.7, 0.3])


# --- threshold models ------------------------------------------------------------------------------------


def test_granovetter_riot_full_cascade_then_stops_at_one():
    n = 100
    counts = np.arange(n)  # one instigator (0), then thresholds 1, 2, ..., 99
    riot = threshold_model(complete(n), [], threshold_counts=counts, runs=3, rng=0)
    assert np.all(riot.runs == 1.0) and riot.curves.shape[1] == n + 1
    counts[1] = 2  # nobody with threshold 1: only the instigator riots
    calm = threshold_model(complete(n), [], threshold_counts=counts, runs=3, rng=0)
    assert np.all(calm.runs == 1 / n)


def test_threshold_zero_means_everyone_adopts_even_isolated_nodes():
    g = from_arrays([0, 1], [1, 2], 5, directed=True)  # nodes 3 and 4 see nobody
    assert np.all(threshold_model(g, [], phi=0.0, runs=4, rng=0).runs == 1.0)


def test_threshold_one_with_a_single_seed_does_not_spread():
    assert np.all(threshold_model(complete(10), [0], phi=1.0, runs=3, rng=0).runs == 0.1)
    assert np.all(threshold_model(ring(10), [0], phi=1.0, runs=3, rng=0).runs == 0.1)
    # ...while on the ring phi = 1/2 lets one seed take everyone, one neighbour at a time.
    spread = threshold_model(ring(10), [0], phi=0.5, runs=3, rng=0)
    assert np.all(spread.runs == 1.0) and np.all(spread.steps == 5)


def test_fractional_threshold_by_hand():
    # Node 4 sees 0, 1, 2, 3; two of them are seeds: 2/4 = 0.5.
    g = from_arrays([0, 1, 2, 3], [4, 4, 4, 4], 5, directed=True)
    assert np.all(threshold_model(g, [0, 1], phi=0.5, runs=2, rng=0).runs == 3 / 5)
    assert np.all(threshold_model(g, [0, 1], phi=0.6, runs=2, rng=0).runs == 2 / 5)
    # Nodes 0..3 see nobody: with a positive threshold they adopt only if seeded.
    assert np.all(threshold_model(g, [], phi=0.1, runs=2, rng=0).runs == 0.0)


def test_heterogeneous_thresholds():
    g = ring(40)
    given = threshold_model(g, [0], thresholds=np.where(np.arange(40) < 20, 0.5, 1.0), runs=2, rng=0)
    # Spreads through 1..19; 20 and 39 need both of their neighbours.
    assert np.all(given.runs == 20 / 40)
    spread = threshold_model(g, [0], phi=0.5, phi_sd=0.3, runs=300, rng=1)
    assert 1 / 40 <= spread.runs.min() and spread.runs.max() <= 1.0 and spread.runs.std() > 0


# --- standing ovation ------------------------------------------------------------------------------------


def test_everyone_stands_when_every_signal_beats_the_threshold():
    result = ovation(ring(30), runs=5, rng=0, quality=0.8, noise_sd=0.0, stand_threshold=0.5)
    assert np.all(result.runs == 1.0)
    nobody = ovation(ring(30), runs=5, rng=0, quality=0.2, noise_sd=0.0, stand_threshold=0.5)
    assert np.all(nobody.runs == 0.0)


def test_front_visibility_the_most_followed_sees_nobody():
    g = star(11)
    V = simulate.visibility_matrix(g, "front")
    assert V[:, 0].nnz == 0  # the hub sees nobody
    assert all(V[0, j] == 1 for j in range(1, 11))  # each leaf sees the hub
    seated = {"quality": 0.0, "noise_sd": 0.0, "stand_threshold": 0.5, "x": 0.5}
    assert np.all(ovation(g, [0], runs=2, rng=0, visibility="front", **seated).runs == 1.0)
    assert np.all(ovation(g, [1], runs=2, rng=0, visibility="front", **seated).runs == 1 / 11)
    # With "follows" the hub sees ten leaves, one standing: below X, so it stays seated.
    assert np.all(ovation(g, [1], runs=2, rng=0, visibility="follows", **seated).runs == 1 / 11)


def test_ovation_peer_pressure_and_sitting_rule():
    seated = {"quality": 0.0, "noise_sd": 0.0, "stand_threshold": 0.5}
    # On a ring each sees two: one claqueur is half of what its neighbours see, enough at X = 0.5.
    assert np.all(ovation(ring(12), [0], runs=2, rng=0, x=0.5, **seated).runs == 1.0)
    assert np.all(ovation(ring(12), [0], runs=2, rng=0, x=0.6, **seated).runs == 1 / 12)
    # Node 0 stands at first (its own threshold is below the signal) but sees 0 of 3 standing.
    first = {"quality": 0.5, "noise_sd": 0.0, "stand_threshold": np.array([0.0, 1.0, 1.0, 1.0])}
    assert np.all(ovation(complete(4), runs=2, rng=0, **first).runs == 0.25)
    assert np.all(ovation(complete(4), runs=2, rng=0, allow_sit=True, **first).runs == 0.0)


def test_ovation_noise_makes_runs_differ_and_stay_in_range():
    result = ovation(ring(200), [0], runs=100, rng=3, quality=0.5, noise_sd=0.3, stand_threshold=0.6, x=0.6)
    assert result.runs.std() > 0 and 0 <= result.runs.min() and result.runs.max() <= 1


# --- results, reproducibility, declarations --------------------------------------------------------------


def test_same_seed_same_runs_different_seed_different_runs_any_workers():
    g = from_arrays(*np.random.default_rng(0).integers(0, 500, (2, 2500)), 500, directed=True)
    a = independent_cascade(g, [0, 1], 0.2, runs=300, rng=7, batch_size=64)
    b = independent_cascade(g, [0, 1], 0.2, runs=300, rng=7, batch_size=64, workers=2)
    c = independent_cascade(g, [0, 1], 0.2, runs=300, rng=8, batch_size=64)
    assert np.array_equal(a.runs, b.runs) and np.array_equal(a.curves, b.curves)
    assert not np.array_equal(a.runs, c.runs)
    t1 = threshold_model(g, [0, 1, 2], phi=0.2, phi_sd=0.1, runs=50, rng=np.random.default_rng(9))
    t2 = threshold_model(g, [0, 1, 2], phi=0.2, phi_sd=0.1, runs=50, rng=np.random.default_rng(9))
    assert np.array_equal(t1.runs, t2.runs)


def test_result_helpers():
    result = independent_cascade(star(30), [0], 0.5, runs=400, rng=0)
    lo, hi = result.ci95
    assert lo < result.mean < hi and hi - lo < 0.05
    assert result.p_global(0.5) == np.mean(result.runs > 0.5)
    counts, edges = result.histogram(10)
    assert counts.sum() == 400 and edges[0] == 0 and edges[-1] == 1
    assert np.all(np.diff(result.distribution()) >= 0)
    assert result.mean_curve().shape == (result.curves.shape[1],)
    payload = json.loads(json.dumps(result.to_dict()))
    assert len(payload["runs"]) == 400 and len(payload["ci95"]) == 2
    one = independent_cascade(star(5), [0], 0.5, runs=1, rng=0)
    assert all(math.isnan(x) for x in one.ci95) and one.to_dict()["ci95"] == [None, None]


def test_models_declared_as_data_and_checked():
    assert set(MODELS) == {"ic", "threshold", "ovation"}
    for spec in MODELS.values():
        assert spec["label"] and spec["descr"]
        for p in spec["params"].values():
            assert p["descr"] and "default" in p and ("range" in p or p["type"] in ("choice", "bool"))
    g = star(10)
    assert simulate.simulate(g, "ic", [0], runs=5, rng=0).params == {"p": MODELS["ic"]["params"]["p"]["default"]}
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        simulate.simulate(g, "ic", [0], runs=5, rng=0, p=1.5)
    with pytest.raises(ValueError, match="visibility"):
        simulate.simulate(g, "ovation", [0], runs=5, rng=0, visibility="sideways")
    with pytest.raises(ValueError, match="unknown model"):
        simulate.simulate(g, "sir", [0])
    with pytest.raises(ValueError, match="out of range"):
        independent_cascade(g, [10], 0.1, runs=2, rng=0)


def test_progress_is_reported_per_batch():
    calls = []
    independent_cascade(star(10), [0], 0.5, runs=10, rng=0, batch_size=4, progress=lambda *a: calls.append(a))
    assert [c[1:] for c in calls] == [(4, 10), (8, 10), (10, 10)]


def test_bench_reports_its_measurements():
    out = simulate.bench_ic(n=2000, m=20_000, runs=50, naive_runs=2)
    for key in ("fast_total_s", "naive_per_run_s", "speedup", "p", "n_arcs", "mean_fraction"):
        assert out[key] > 0
    assert out["same_result_any_workers"]


@pytest.mark.parametrize("p", [0.01, 0.1, 0.5])
def test_bernoulli_positions_are_unbiased(p):
    rng = np.random.default_rng(11)
    total, reps = 1000, 400
    hits = np.zeros(total)
    sizes = []
    for _ in range(reps):
        pos = simulate._bernoulli_positions(total, p, rng)
        assert np.all(np.diff(pos) > 0) and (len(pos) == 0 or (pos[0] >= 0 and pos[-1] < total))
        hits[pos] += 1
        sizes.append(len(pos))
    sd = math.sqrt(total * p * (1 - p) / reps)
    assert abs(np.mean(sizes) - total * p) < 4 * sd
    # First and last trials are as likely as the middle ones.
    for part in (hits[:100], hits[-100:]):
        assert abs(part.sum() / (100 * reps) - p) < 4 * math.sqrt(p * (1 - p) / (100 * reps))


@pytest.mark.parametrize("model", ["threshold", "ovation"])
def test_sparse_and_dense_threshold_rounds_agree(monkeypatch, model):
    g = from_arrays(*np.random.default_rng(6).integers(0, 400, (2, 2400)), 400, directed=True)
    kwargs = {"phi": 0.25, "phi_sd": 0.1} if model == "threshold" else {"x": 0.4, "noise_sd": 0.3}
    out = []
    for share in (10**9, 0):  # always dense, never dense
        monkeypatch.setattr(simulate, "_DENSE_ROUND", share)
        out.append(simulate.simulate(g, model, [0, 1, 2, 3], runs=40, rng=2, **kwargs))
    assert np.array_equal(out[0].curves, out[1].curves) and 0 < out[0].mean < 1
