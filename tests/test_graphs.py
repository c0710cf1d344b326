"""Tests for analysis.graphs: direction convention, loaders, generators and seeding strategies."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from analysis import graphs
from analysis.graphs import GENERATORS, STRATEGIES, GraphInputError, choose_seeds, from_arrays, from_edges


def star(n: int) -> graphs.Graph:
    """Undirected star: node 0 tied to 1..n-1."""
    return from_arrays(np.zeros(n - 1, dtype=int), np.arange(1, n), n, directed=False)


def arcs(g: graphs.Graph) -> set[tuple]:
    A = g.A.tocoo()
    return {(g.labels[i], g.labels[j]) for i, j in zip(A.row, A.col)}


# --- loaders and the direction convention --------------------------------------------------------------


def test_undirected_edges_get_both_directions_deduped_without_self_loops():
    df = pd.DataFrame({"source": ["a", "a", "b", "c", "c"], "target": ["b", "b", "a", "c", "a"]})
    g = from_edges(df)
    assert g.n == 3 and not g.directed
    assert arcs(g) == {("a", "b"), ("b", "a"), ("a", "c"), ("c", "a")}
    assert g.n_arcs == 4 and g.n_edges == 2
    assert (g.A != g.A.T).nnz == 0


def test_directed_edges_are_flows_source_to_target():
    g = from_edges(pd.DataFrame({"source": ["a", "a", "b"], "target": ["b", "c", "c"]}), directed=True)
    assert arcs(g) == {("a", "b"), ("a", "c"), ("b", "c")}
    idx = dict(zip(g.labels, range(g.n)))
    assert g.out_degree[idx["a"]] == 2 and g.in_degree[idx["c"]] == 2
    # AT row j lists the nodes j sees (its in-neighbours).
    assert sorted(g.labels[g.AT[idx["c"]].indices]) == ["a", "b"]


def test_follower_rows_flow_from_followee_to_follower():
    # ann and bob follow cat: cat's posts reach both, so cat has two followers.
    g = graphs.from_follows(pd.DataFrame({"follower": ["ann", "bob"], "followee": ["cat", "cat"]}))
    idx = dict(zip(g.labels, range(g.n)))
    assert g.A[idx["cat"], idx["ann"]] == 1 and g.A[idx["ann"], idx["cat"]] == 0
    assert g.followers[idx["cat"]] == 2 and g.followers[idx["ann"]] == 0
    assert g.in_degree[idx["ann"]] == 1


def test_csv_path_and_nodes_without_edges(tmp_path):
    path = tmp_path / "edges.csv"
    path.write_text("source,target\n007,alice\nalice,bob\n")
    g = from_edges(path, nodes=["zed", "alice"])
    assert list(g.labels[:2]) == ["zed", "alice"] and "007" in set(g.labels)  # ids kept as text
    assert g.n == 4 and g.out_degree[0] == 0


def test_missing_file_and_missing_column_name_the_file(tmp_path):
    with pytest.raises(GraphInputError, match="nope.csv.*not found"):
        from_edges(tmp_path / "nope.csv")
    path = tmp_path / "bad.csv"
    path.write_text("source,dst\na,b\n")
    with pytest.raises(GraphInputError, match=r"bad.csv: missing column 'target'"):
        from_edges(path)


def test_empty_endpoint_is_reported_with_its_line(tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text("source,target\na,b\n,c\n")
    with pytest.raises(GraphInputError, match="holes.csv.*line 3"):
        from_edges(path)


def test_million_edges_load_quickly():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"source": rng.integers(0, 100_000, 1_000_000), "target": rng.integers(0, 100_000, 1_000_000)})
    t = time.perf_counter()
    g = from_edges(df, directed=True)
    elapsed = time.perf_counter() - t
    s, d = df.source.to_numpy(), df.target.to_numpy()
    assert g.n_arcs == len(np.unique((s * 100_000 + d)[s != d]))
    assert elapsed < 5.0


def test_align_maps_scores_by_label():
    g = from_edges(pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]}))
    scores = g.align(pd.Series({"c": 3.0, "a": 1.0, "zz": 9.0}))
    assert scores[0] == 1.0 and np.isnan(scores[1]) and scores[2] == 3.0


# --- generators ------------------------------------------------------------------------------------------


def test_erdos_renyi_edge_count_and_shape():
    g = graphs.erdos_renyi(2000, 6.0, np.random.default_rng(1))
    # M ~ Binomial(n(n-1)/2, p): mean 6000, sd ~77
    assert abs(g.n_edges - 6000) < 400
    assert (g.A != g.A.T).nnz == 0 and g.A.diagonal().sum() == 0
    d = graphs.erdos_renyi(2000, 6.0, np.random.default_rng(1), directed=True)
    assert d.directed and abs(d.n_arcs - 12000) < 600


def test_barabasi_albert_counts_and_hubs():
    n, m = 5000, 3
    g = graphs.barabasi_albert(n, m, np.random.default_rng(2))
    assert g.n_edges == m * (n - m - 1) + m  # star on m+1 nodes, then m distinct targets per node
    assert g.out_degree.min() >= 1 and np.sort(g.out_degree)[-1] > 20 * m
    assert (g.out_degree[m + 1:] >= m).all()


def test_barabasi_albert_large_is_fast():
    t = time.perf_counter()
    g = graphs.barabasi_albert(100_000, 5, np.random.default_rng(3))
    assert time.perf_counter() - t < 3.0
    assert g.n_edges == 5 * (100_000 - 6) + 5


def test_watts_strogatz_lattice_and_rewiring():
    ring = graphs.watts_strogatz(100, 4, 0.0, np.random.default_rng(0))
    assert (ring.out_degree == 4).all() and ring.A[0, 1] == 1 and ring.A[0, 2] == 1 and ring.A[0, 3] == 0
    rewired = graphs.watts_strogatz(1000, 6, 0.3, np.random.default_rng(0))
    assert rewired.n_edges == 3000 and rewired.A.diagonal().sum() == 0


def test_generators_reproducible_and_declared_as_data():
    for name, spec in GENERATORS.items():
        assert spec["label"] and spec["params"]
        for p in spec["params"].values():
            assert p["descr"] and "default" in p
            if p["type"] in ("int", "float"):
                lo, hi = p["range"]
                assert lo <= p["default"] <= hi
        a = graphs.generate(name, np.random.default_rng(5), n=300)
        b = graphs.generate(name, np.random.default_rng(5), n=300)
        assert a.n == 300 and (a.A != b.A).nnz == 0


# --- seeding strategies ----------------------------------------------------------------------------------


def test_degree_picks_the_star_centre():
    assert choose_seeds(star(20), 1, "degree").tolist() == [0]


def test_score_picks_top_scores_and_never_nan():
    g = star(6)
    scores = np.array([np.nan, 5.0, 1.0, np.nan, 9.0, 2.0])
    assert choose_seeds(g, 2, "score", scores=scores).tolist() == [4, 1]
    chosen = choose_seeds(g, 10, "score", scores=scores)
    assert sorted(chosen.tolist()) == [1, 2, 4, 5]  # only the four scored nodes
    assert choose_seeds(g, 3, "score", scores=np.full(6, np.nan)).size == 0


def test_random_is_distinct_and_reproducible():
    g = star(50)
    a = choose_seeds(g, 10, "random", np.random.default_rng(3))
    assert len(set(a.tolist())) == 10
    assert np.array_equal(a, choose_seeds(g, 10, "random", np.random.default_rng(3)))


def test_betweenness_picks_the_bridge():
    # Two triangles joined through node 6: every path between them crosses it.
    src = [0, 0, 1, 3, 3, 4, 2, 6]
    dst = [1, 2, 2, 4, 5, 5, 6, 3]
    g = from_arrays(src, dst, 7, directed=False)
    assert choose_seeds(g, 1, "betweenness", np.random.default_rng(0)).tolist() == [6]


def test_strategies_declared_and_unknown_rejected():
    assert set(STRATEGIES) == {"random", "degree", "betweenness", "score"}
    assert all(s["label"] and s["descr"] for s in STRATEGIES.values())
    with pytest.raises(ValueError, match="unknown seeding strategy"):
        choose_seeds(star(5), 1, "vibes")


def test_graph_from_a_matrix_is_binary_without_self_loops():
    import scipy.sparse as sp

    g = graphs.Graph(n=3, labels=["a", "b", "c"], directed=True,
                     A=sp.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0], [0.5, 0.0, 0.0]])))
    assert g.A.toarray().tolist() == [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
    assert g.index_of(["c", "zz"]).tolist() == [2, -1]
