"""Observed cascades on hand-made trees and a tiny database whose answers can be checked by hand."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from analysis import cascades, graphs, store
from analysis.charts import cascades as ccharts
from analysis.filters import Filters
from analysis.store import cascades as q


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db

STAR = np.array([-1, 0, 0, 0, 0])  # a root with four direct reshares
PATH = np.array([-1, 0, 1, 2])  # a chain of four


def test_star_of_five_has_virality_one_point_six():
    # Pairs: 4 at distance 1 (root-leaf), 6 at distance 2 (leaf-leaf): (4 + 12) / 10.
    row = cascades.forest_stats(STAR).loc[0]
    assert row["virality"] == pytest.approx(1.6)
    assert (row["size"], row["depth"], row["breadth"]) == (5, 1, 4)


def test_path_of_four_has_virality_ten_sixths():
    row = cascades.forest_stats(PATH).loc[0]
    assert row["virality"] == pytest.approx(10 / 6)
    assert (row["size"], row["depth"], row["breadth"]) == (4, 3, 1)


def test_several_trees_at_once_and_a_lone_root():
    parent = np.concatenate([STAR, PATH + 5 * (PATH >= 0), [-1]])
    stats = cascades.forest_stats(parent)
    assert list(stats.index) == [0, 5, 9]
    assert stats.loc[0, "virality"] == pytest.approx(1.6)
    assert stats.loc[5, "virality"] == pytest.approx(10 / 6)
    assert stats.loc[9, "size"] == 1 and np.isnan(stats.loc[9, "virality"])


def _random_forest(rng, n):
    # Each node's parent is an earlier node or none: a random forest in topological order, then shuffled.
    parent = np.array([-1] + [int(rng.integers(-1, i)) if rng.random() < 0.9 else -1 for i in range(1, n)])
    perm = rng.permutation(n)
    inv = np.argsort(perm)
    return np.where(parent[perm] >= 0, inv[np.maximum(parent[perm], 0)], -1)


def test_virality_matches_the_mean_pairwise_distance_by_brute_force():
    rng = np.random.default_rng(3)
    parent = _random_forest(rng, 120)
    stats = cascades.forest_stats(parent)
    root, depth = cascades.roots_and_depths(parent)
    g = nx.Graph()
    g.add_nodes_from(range(len(parent)))
    g.add_edges_from((i, int(p)) for i, p in enumerate(parent) if p >= 0)
    for r, row in stats.iterrows():
        members = np.flatnonzero(root == r)
        assert row["size"] == len(members)
        assert row["depth"] == max(nx.shortest_path_length(g, r, m) for m in members)
        if len(members) < 2:
            continue
        dist = dict(nx.all_pairs_shortest_path_length(g.subgraph(members)))
        mean = np.mean([dist[a][b] for a, b in itertools.combinations(members, 2)])
        assert row["virality"] == pytest.approx(mean)
    # Depths from pointer jumping equal the BFS distances to the root.
    for i in range(len(parent)):
        assert depth[i] == nx.shortest_path_length(g, i, root[i])


def test_pointer_jumping_marks_loops_instead_of_hanging():
    parent = np.array([-1, 0, 3, 2, 3])  # 2 <-> 3 loop, 4 hangs from it
    root, depth = cascades.roots_and_depths(parent)
    assert list(root) == [0, 0, -1, -1, -1]
    assert list(depth[:2]) == [0, 1]
    stats = cascades.forest_stats(parent)
    assert list(stats.index) == [0]


def test_subtree_sizes():
    parent = np.array([-1, 0, 0, 1, 1, 3])
    _, depth = cascades.roots_and_depths(parent)
    assert list(cascades.subtree_sizes(parent, depth)) == [6, 4, 1, 2, 1, 1]


def test_time_to_half_and_ninety_percent():
    hours = np.array([100.0, 101.0, 104.0, 102.0, 103.0])  # reshares 1, 4, 2, 3 hours after the root
    row = cascades.forest_stats(STAR, hours).loc[0]
    assert row["t50_h"] == pytest.approx(2.0)  # 2 of 4 reshares by hour 2
    assert row["t90_h"] == pytest.approx(4.0)  # ceil(3.6) = 4 reshares needs hour 4
    assert row["last_h"] == pytest.approx(4.0)
    ten = np.concatenate([[0.0], np.arange(1.0, 11.0)])
    row = cascades.forest_stats(np.array([-1] + [0] * 10), ten).loc[0]
    assert (row["t50_h"], row["t90_h"]) == (5.0, 9.0)


# --- a tiny database --------------------------------------------------------------------------------------


def seed(db):
    store.upsert_rows(db, "customers", [
        {"customer_id": "C1", "segment": "Premium", "region": "Europe", "lifetime_value": 900.0, "name": "Ann"},
        {"customer_id": "C2", "segment": "Value", "region": "Asia", "lifetime_value": 50.0, "name": "Bob"},
    ])
    store.upsert_rows(db, "identities", [{"customer_id": "C1", "platform": "x", "handle": "ann"},
                                         {"customer_id": "C2", "platform": "x", "handle": "bob"}])
    posts = [
        # p1 by ann: reshared by bob (p2) and cat (p3); dan reshares bob's reshare (p4).
        ("p1", "ann", "2025-01-01 00:00:00", None, None, 0.5),
        ("p2", "bob", "2025-01-01 01:00:00", "p1", None, 0.5),
        ("p3", "cat", "2025-01-01 03:00:00", "p1", None, 0.5),
        ("p4", "dan", "2025-01-01 02:00:00", "p2", None, 0.5),
        ("p5", "bob", "2025-02-01 00:00:00", None, None, -0.2),  # never reshared
        ("p6", "eve", "2025-02-02 00:00:00", "gone", None, 0.0),  # reshares a post not in the data
        ("p7", "cat", "2025-03-01 00:00:00", None, "p5", 0.1),  # a reply to p5
        ("p8", "dan", "2025-03-01 05:00:00", None, "p7", 0.1),  # a reply to the reply
    ]
    store.upsert_rows(db, "posts", [
        {"post_id": p, "platform": "x", "author_handle": a, "created_at": t, "reshare_of": r, "reply_to": rp,
         "sentiment": s} for p, a, t, r, rp, s in posts])
    store.upsert_rows(db, "follows", [
        {"platform": "x", "follower_handle": f, "followee_handle": g}
        for f, g in [("bob", "ann"), ("cat", "ann"), ("dan", "bob"), ("ann", "bob")]])


def test_observed_cascades_on_a_tiny_database(db):
    seed(db)
    obs = cascades.observed_cascades(db, "reshare")
    t = obs.table
    assert list(t["root_id"]) == ["p1"]
    row = t.iloc[0]
    assert (row["size"], row["reshares"], row["depth"], row["breadth"]) == (4, 3, 2, 2)
    # Edges below p2 (subtree 2), p3 (1), p4 (1): (2*2 + 1*3 + 1*3) / 6 pairs.
    assert row["virality"] == pytest.approx(10 / 6)
    assert (row["t50_h"], row["t90_h"], row["last_h"]) == (2.0, 3.0, 3.0)
    assert row["linked"] and row["customer_id"] == "C1" and row["segment"] == "Premium"
    assert obs.orphans == 1 and obs.loops == 0

    n_roots = q.root_count(db, Filters(), "reshare")
    assert n_roots == 4  # p1, p5, p7, p8 have no reshare_of
    counts = cascades.size_counts(t, n_roots)
    assert counts.to_dict() == {1: 3, 4: 1}
    c = cascades.ccdf(counts)
    assert list(c["share_at_least"]) == [1.0, 0.25]
    s = cascades.summary(t, n_roots)
    assert s["cascades"] == 1 and s["largest"] == 4 and s["reshared_share"] == 0.25


def test_reply_trees(db):
    seed(db)
    t = cascades.observed_cascades(db, "reply").table
    assert list(t["root_id"]) == ["p5"]
    assert (t.iloc[0]["size"], t.iloc[0]["depth"]) == (3, 2)
    assert t.iloc[0]["t50_h"] == pytest.approx(28 * 24)  # p7 came 28 days (February 2025) after p5


def test_filters_apply_to_the_root_post(db):
    seed(db)
    t = cascades.observed_cascades(db).table
    assert len(cascades.filter_cascades(t, Filters(segments=("Premium",)))) == 1
    assert len(cascades.filter_cascades(t, Filters(segments=("Value",)))) == 0
    assert len(cascades.filter_cascades(t, Filters(date_from="2025-01-02"))) == 0
    assert len(cascades.filter_cascades(t, Filters(date_to="2025-01-01"))) == 1
    assert len(cascades.filter_cascades(t, Filters(platforms=("instagram",)))) == 0


@pytest.mark.parametrize("f", [
    Filters(), Filters(segments=("Premium",)), Filters(regions=("Europe", "Asia")),
    Filters(platforms=("x",), date_from="2026-01-01"), Filters(date_to="2026-03-31", segments=("Value",)),
])
def test_pandas_filters_match_the_sql_filters(demo_db, f):
    conn = store.connect(demo_db)
    t = cascades.observed_cascades(conn).table
    where, params = f.posts_where("p")
    sql = store.query_df(conn, f"SELECT post_id FROM posts p WHERE p.reshare_of IS NULL AND {where} AND "
                               "p.post_id IN (SELECT reshare_of FROM posts)", params)
    assert set(cascades.filter_cascades(t, f)["root_id"]) == set(sql["post_id"])
    conn.close()


def test_cascade_members_detail_and_spread(db):
    seed(db)
    m = q.cascade_members(db, ["p1"], with_text=True)
    assert list(m["post_id"]) == ["p1", "p2", "p3", "p4"]  # breadth-first: depth, then time
    assert list(m["depth"]) == [0, 1, 1, 2]
    sample = cascades.sample_tree(m, cap=3)
    assert list(sample["post_id"]) == ["p1", "p2", "p3"]  # a connected sub-tree
    sp = cascades.spread(m)
    assert list(sp["hours"]) == [1.0, 2.0, 3.0] and list(sp["reshares"]) == [1, 2, 3]
    d = cascades.cascade_detail(db, "p1", cap=3)
    assert (d.size, d.shown) == (4, 3)
    html = ccharts.tree_html(d.sample)
    assert "vis.Network" in html and "@ann" in html


# --- influence --------------------------------------------------------------------------------------------


def follow_graph(pairs):
    df = pd.DataFrame(pairs, columns=["follower", "followee"])
    return graphs.from_follows(df)


def test_bfs_distances_follow_the_flow_of_information():
    # b follows a, c follows b, d follows c, e follows d: a's posts reach b in 1, c in 2, d in 3, e in 4.
    g = follow_graph([("b", "a"), ("c", "b"), ("d", "c"), ("e", "d"), ("a", "f")])
    src = g.index_of(["a"])
    dist = cascades.bfs_distances(g.A, src, max_depth=3).toarray()[0]
    got = {g.labels[i]: int(dist[i]) for i in range(g.n)}
    assert got == {"a": 0, "b": 1, "c": 2, "d": 3, "e": 0, "f": 0}


def test_three_degrees_of_influence_on_a_tiny_follow_graph():
    g = follow_graph([("b", "a"), ("c", "b"), ("d", "c"), ("e", "d"), ("x", "y")])
    members = pd.DataFrame({
        "root": ["r"] * 7, "depth": [0, 1, 1, 2, 2, 3, 1],
        "author_handle": ["a", "b", "c", "d", "e", "x", "a"],  # a resharing itself is left out
    })
    out = cascades.degrees_of_influence(members, g.labels, g.A)
    row = out.iloc[0]
    assert row["adopters"] == 5
    assert [row[c] for c in cascades.DISTANCE_LABELS] == pytest.approx([0.2, 0.2, 0.2, 0.4])
    pooled = cascades.pooled_distances(out)
    assert pooled.sum() == pytest.approx(1.0)


def test_degrees_of_influence_when_the_author_has_no_follows():
    g = follow_graph([("b", "c")])
    members = pd.DataFrame({"root": ["r", "r"], "depth": [0, 1], "author_handle": ["zed", "b"]})
    out = cascades.degrees_of_influence(members, g.labels, g.A)
    assert out.iloc[0][cascades.DISTANCE_LABELS[3]] == 1.0


def test_author_reach_and_customer_roles(db):
    seed(db)
    t = cascades.observed_cascades(db).table
    reach = cascades.author_reach(t, q.follower_counts(db))
    assert reach.iloc[0][["author_handle", "cascades", "reshares", "followers"]].tolist() == ["ann", 1, 3, 2]
    authors, total = cascades.sample_authors(t, max_authors=5)
    assert total == 1 and authors.iloc[0].tolist() == ["x", "ann"]
    assert len(cascades.author_reach(t, q.follower_counts(db), authors)) == 1
    resharers = q.linked_resharers(db)
    per = cascades.filter_resharers(resharers, Filters())
    assert per.set_index("customer_id").loc["C2"].tolist() == [1, 1]  # bob reshared once, dan passed it on
    assert cascades.filter_resharers(resharers, Filters(date_from="2025-01-02")).empty
    roles = cascades.customer_roles(t, per, q.linked_accounts(db))
    assert roles.set_index("customer_id").loc["C1", ["started", "reach", "carried"]].tolist() == [1, 3, 0]
    assert roles.set_index("customer_id").loc["C2", ["started", "carried", "passed_on"]].tolist() == [0, 1, 1]


def test_follower_counts_for_some_accounts(db):
    seed(db)
    got = q.follower_counts(db, [("x", "ann"), ("x", "bob"), ("x", "nobody")])
    assert dict(zip(got["handle"], got["followers"])) == {"ann": 2, "bob": 2}
    follower, followee = q.follow_edges(db, "x")
    assert len(follower) == 4 and set(followee) == {"ann", "bob"}


def test_empty_database(db):
    obs = cascades.observed_cascades(db)
    assert obs.table.empty and list(obs.table.columns) == cascades.TABLE_COLUMNS
    assert cascades.size_counts(obs.table, 0).empty
    assert cascades.customer_roles(obs.table, pd.DataFrame(columns=["customer_id", "carried", "passed_on"]),
                                   q.linked_accounts(db)).empty


# --- simulation lab helpers ---------------------------------------------------------------------------------


def test_customer_scores_for_seeding(db):
    seed(db)
    store.upsert_rows(db, "identities", [{"customer_id": "C2", "platform": "instagram", "handle": "bob"}])
    labels = np.array(["ann", "bob", "cat", "zed"], dtype=object)
    accounts = q.linked_accounts(db)
    value = cascades.value_scores(labels, accounts, "x")
    assert value[:2].tolist() == [900.0, 50.0] and np.isnan(value[2:]).all()
    premium = cascades.value_scores(labels, accounts, "x", Filters(segments=("Premium",)))
    assert premium[0] == 900.0 and np.isnan(premium[1])
    mood = cascades.sentiment_scores(labels, q.linked_author_sentiment(db), accounts, "x")
    assert mood[0] == pytest.approx(0.5)  # ann's own post p1; reshares are not her words
    assert mood[1] == pytest.approx(-0.2)  # bob's p5; his reshare p2 does not count
    g = follow_graph([("bob", "ann"), ("cat", "ann"), ("zed", "bob")])
    seeds = graphs.choose_seeds(g, 1, "score", scores=cascades.value_scores(g.labels, accounts, "x"))
    assert g.labels[seeds].tolist() == ["ann"]


def test_run_summary_and_lab_table():
    from analysis import simulate

    g = graphs.generate("barabasi_albert", np.random.default_rng(1), n=200, m=2)
    res = simulate.simulate(g, "ic", graphs.choose_seeds(g, 5, "degree"), runs=30, rng=np.random.default_rng(2),
                            p=0.3)
    s = cascades.run_summary("Top followers", res, 5, threshold=0.5)
    assert 0 <= s["ci95"][0] <= s["mean"] <= s["ci95"][1] <= 1
    assert s["p_global"] == pytest.approx(np.mean(res.runs > 0.5))
    assert len(s["curve"]) == res.curves.shape[1] and s["n_nodes"] == 200
    t = cascades.lab_table([s])
    assert t.iloc[0]["Strategy"] == "Top followers" and t.iloc[0]["Nodes reached"] == pytest.approx(s["mean"] * 200)


def test_charts_draw_escape_user_text_and_handle_empty_input(db):
    from analysis.charts import cascades as cc

    seed(db)
    store.upsert_rows(db, "posts", [{"post_id": "q1", "platform": "x", "author_handle": "<b>evil</b>",
                                     "created_at": "2025-05-01 00:00:00"},
                                    {"post_id": "q2", "platform": "x", "author_handle": "amy",
                                     "created_at": "2025-05-01 01:00:00", "reshare_of": "q1"}])
    t = cascades.observed_cascades(db).table
    caption = "Filtered: segment <i>odd</i>"
    figs = [cc.cascade_ccdf(cascades.size_counts(t, 5), caption), cc.virality_vs_size(t, caption),
            cc.reach_vs_followers(cascades.author_reach(t, q.follower_counts(db)), caption),
            cc.cascade_spread(cascades.spread(q.cascade_members(db, ["p1"])), caption, t50=2.0, t90=3.0)]
    for fig in figs:
        text = fig.to_json()
        assert "<b>evil</b>" not in text and "<i>odd</i>" not in text
        assert "&lt;i&gt;odd&lt;/i&gt;" in fig.layout.title.text
    empty = [cc.cascade_ccdf(pd.Series([], dtype=int)), cc.virality_vs_size(t.head(0)),
             cc.cascade_spread(pd.DataFrame()), cc.reach_vs_followers(pd.DataFrame()),
             cc.degrees_of_influence(pd.DataFrame()), cc.simulation_reach([]), cc.simulation_distribution([]),
             cc.simulation_curves([])]
    assert all(len(f.data) == 0 for f in empty)


def test_sample_authors_keeps_the_most_reshared_and_samples_the_rest():
    t = pd.DataFrame({"platform": "x", "author_handle": [f"a{i}" for i in range(100)],
                      "reshares": np.arange(100)})
    authors, total = cascades.sample_authors(t, max_authors=30, top=10)
    assert total == 100 and len(authors) == 30
    assert set(authors["author_handle"].head(10)) == {f"a{i}" for i in range(90, 100)}
    assert authors["author_handle"].is_unique


def test_follow_graph_flows_from_followee_to_follower(db):
    from analysis import store

    store.upsert_rows(db, "follows", [{"platform": "x", "follower_handle": "ann", "followee_handle": "star"},
                                      {"platform": "x", "follower_handle": "bob", "followee_handle": "star"},
                                      {"platform": "y", "follower_handle": "cy", "followee_handle": "star"}])
    g = cascades.follow_graph(db, "x")
    star = list(g.labels).index("star")
    assert g.n == 3 and g.out_degree[star] == 2  # the star's posts reach its two followers on x


def test_largest_cascades_get_their_root_authors_followers():
    top = pd.DataFrame({"root_id": ["r1", "r2", "r3"], "platform": ["x", "x", "instagram"],
                        "author_handle": ["ann", "bob", "ann"], "size": [9, 5, 3]})
    followers = pd.DataFrame({"platform": ["x", "instagram", "x"], "handle": ["ann", "bob", "zed"],
                              "followers": [120, 7, 1]})
    out = cascades.with_followers(top, followers)
    assert out["root_id"].tolist() == ["r1", "r2", "r3"]  # the order of the largest is kept
    # Followers are per platform: ann on instagram and bob on x have none.
    assert out["followers"].tolist() == [120, 0, 0] and out["followers"].dtype.kind == "i"


def test_the_largest_cascades_carry_their_root_authors_role(db):
    store.upsert_rows(db, "customers", [{"customer_id": "C1"}])
    store.upsert_rows(db, "identities", [{"customer_id": "C1", "platform": "x", "handle": "ann"},
                                         {"customer_id": "C1", "platform": "x", "handle": "acme"}])
    store.upsert_rows(db, "brand_accounts", [{"platform": "x", "handle": "acme"}])
    top = pd.DataFrame({"root_id": ["r1", "r2", "r3", "r4"], "platform": ["x", "x", "instagram", "x"],
                        "author_handle": ["acme", "ann", "ann", "zed"], "size": [9, 5, 3, 2]})
    roles = q.author_roles(db, zip(top["platform"], top["author_handle"]))
    out = cascades.with_author_roles(top, roles)
    # The brand wins over a customer link; ann is linked on x only; zed is linked to no one.
    assert out["role"].tolist() == ["brand", "customer", "public", "public"]
    assert out["role_label"].tolist()[0] == "The brand's own accounts"
    assert out["root_id"].tolist() == ["r1", "r2", "r3", "r4"]


def test_lab_seeds_follow_each_strategys_declared_engine(db, monkeypatch):
    """The follower graph of the tiny database: ann has 2 followers (bob, cat), bob has 2 (dan, ann)."""
    seed(db)
    g = cascades.follow_graph(db, "x")
    labels = list(g.labels)
    # random: a fresh set of k per run, the same for the same seed
    a = cascades.lab_seeds(db, g, "random", 2, 5, 42)
    b = cascades.lab_seeds(db, g, "random", 2, 5, 42)
    assert a.seeds.shape == (5, 2) and (a.seeds == b.seeds).all() and a.note is None
    # degree: the accounts with most followers (ann and bob have two each; cat and dan none)
    top = cascades.lab_seeds(db, g, "degree", 2, 5, 42).seeds
    assert sorted(g.labels[top].tolist()) == ["ann", "bob"]
    # value: the linked customer with the highest lifetime value (ann, 900, over bob, 50)
    value = cascades.lab_seeds(db, g, "value", 1, 5, 42, platform="x")
    assert g.labels[value.seeds].tolist() == ["ann"]
    # only two accounts are linked: asking for three says so
    few = cascades.lab_seeds(db, g, "positive", 3, 5, 42, platform="x")
    assert len(few.seeds) == 2 and "only 2 linked account(s)" in few.note
    # Premium only: bob's customer is in Value, so one seed
    premium = cascades.lab_seeds(db, g, "value", 2, 5, 42, platform="x", f=Filters(segments=("Premium",)))
    assert g.labels[premium.seeds].tolist() == ["ann"]
    # betweenness: skipped above the arc limit, with the reason; computed once through the given callable
    calls = []
    scores = np.array([1.0 if x == "bob" else 0.0 for x in labels])
    bt = cascades.lab_seeds(db, g, "betweenness", 1, 5, 42, betweenness=lambda: calls.append(1) or scores)
    assert g.labels[bt.seeds].tolist() == ["bob"] and calls == [1]
    monkeypatch.setattr(cascades, "BETWEENNESS_MAX_ARCS", g.n_arcs - 1)
    skipped = cascades.lab_seeds(None, g, "betweenness", 1, 5, 42)
    assert skipped.seeds is None and "skipped" in skipped.note
    # every strategy the lab offers declares an engine lab_seeds knows
    assert {s["engine"] for s in cascades.LAB_STRATEGIES.values()} <= {"random", "degree", "betweenness", "score"}


def test_the_largest_cascades_with_their_authors(db):
    seed(db)
    top = cascades.largest(cascades.observed_cascades(db).table, 5)
    out = cascades.with_authors(db, top)
    # ann started the one reshare cascade; she has two followers (bob, cat) and is linked to C1
    assert out[["author_handle", "followers", "role"]].values.tolist() == [["ann", 2, "customer"]]
