"""The edges format on real samples (Twitter15 trees, a SNAP edge list); simulate --edges reads the same forms."""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from analysis import cascades, formats, ingest, store
from analysis.__main__ import main


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db

DATA = Path(__file__).parent / "data"
TREES = sorted((DATA / "twitter15").glob("[0-9]*.txt"))
SNAP = DATA / "snap" / "wiki-vote-head.txt"


def snapshot(db) -> dict:
    return {t: store.query_df(db, f'SELECT * FROM "{t}" ORDER BY 1').to_json() for t in store.TABLE_KEYS}


def tree_graph(path: Path) -> tuple[nx.DiGraph, str, dict]:
    """The file's tree by hand: nodes are (user, tweet), first appearance wins, self-loops dropped."""
    g = nx.DiGraph()
    delay = {}
    root = None
    for line in path.read_text(encoding="utf-8").splitlines():
        left, right = line.split("->")
        p, c = ast.literal_eval(left), ast.literal_eval(right)
        child = (c[0], c[1])
        if p[0] == "ROOT":
            root = child
            g.add_node(child)
            delay[child] = 0.0
            continue
        parent = (p[0], p[1])
        if child in g or child == parent:
            continue
        g.add_edge(parent, child)
        delay[child] = float(c[2])
    return g, root, delay


@pytest.mark.parametrize("path", TREES, ids=[p.stem for p in TREES])
def test_twitter15_tree_sizes_depths_and_times(db, path):
    g, root, delay = tree_graph(path)
    formats.import_format(db, "edges", path)
    posts = store.query_df(db, "SELECT post_id, author_handle, created_at, reshare_of FROM posts")
    assert len(posts) == g.number_of_nodes()
    assert int(posts["reshare_of"].notna().sum()) == g.number_of_edges()
    stored = nx.DiGraph()
    stored.add_nodes_from(posts["post_id"])
    stored.add_edges_from(posts[["reshare_of", "post_id"]].dropna().itertuples(index=False))
    assert nx.is_arborescence(stored) == nx.is_arborescence(g)
    depth = max(nx.shortest_path_length(g, root).values())
    assert max(nx.shortest_path_length(stored, root[1]).values()) == depth
    # The program's own cascade figures on the imported posts match networkx's.
    table = cascades.observed_cascades(db).table
    assert len(table) == 1
    assert int(table.loc[0, "size"]) == g.number_of_nodes()
    assert int(table.loc[0, "depth"]) == depth
    # The source's time from its Twitter id (snowflake: ms since 2010-11-04 01:42:54.657 UTC in the
    # bits above the lowest 22), each reshare's time = source + delay minutes.
    t0 = datetime(2010, 11, 4, 1, 42, 54, 657000, tzinfo=UTC) + timedelta(milliseconds=int(root[1]) >> 22)
    by_id = posts.set_index("post_id")
    assert by_id.loc[root[1], "created_at"] == t0.strftime("%Y-%m-%d %H:%M:%S")
    last = max(delay, key=delay.get)
    want = t0 + timedelta(minutes=delay[last])
    got = pd.Timestamp(by_id.loc[f"{last[1]}/{last[0]}", "created_at"], tz="UTC")
    assert abs((got - pd.Timestamp(want)).total_seconds()) < 1


def test_snap_edge_list_with_comments_as_follows(db):
    rows = [ln.split() for ln in SNAP.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    report = formats.import_format(db, "edges", SNAP, options={"platform": "wiki"})
    follows = store.query_df(db, "SELECT platform, follower_handle, followee_handle FROM follows")
    assert len(follows) == len({tuple(r) for r in rows}) == 1000
    assert set(follows["platform"]) == {"wiki"}
    assert set(map(tuple, follows[["follower_handle", "followee_handle"]].to_numpy())) == {tuple(r) for r in rows}
    assert report.figures["accounts"] == len({x for r in rows for x in r})


def test_reshare_list_csv_with_times_and_authors(db, tmp_path):
    f = tmp_path / "reshares.csv"
    f.write_text("parent,child,time,author\n,1,2024-05-01 10:00,ann\n1,2,2024-05-01 10:05,bob\n"
                 "2,3.0,1714558200,cy\n1,4,2024-05-01 11:00,dee\n", encoding="utf-8")
    formats.import_format(db, "edges", f)
    posts = db.conn.execute("SELECT post_id, author_handle, created_at, reshare_of FROM posts ORDER BY post_id"
                            ).fetchall()
    # 1714558200 s is 2024-05-01 10:10:00 UTC.
    assert posts == [("1", "ann", "2024-05-01 10:00:00", None), ("2", "bob", "2024-05-01 10:05:00", "1"),
                     ("3", "cy", "2024-05-01 10:10:00", "2"), ("4", "dee", "2024-05-01 11:00:00", "1")]
    table = cascades.observed_cascades(db).table
    assert table.loc[0, "size"] == 4 and table.loc[0, "depth"] == 2


def test_whitespace_reply_list_as_reply_links(db, tmp_path):
    f = tmp_path / "replies.txt"
    f.write_text("# parent child time\n10 11 2024-05-01T10:00:00\n10 12 2024-05-01T10:01:00\n", encoding="utf-8")
    formats.import_format(db, "edges", f, options={"link": "reply"})
    got = db.conn.execute("SELECT post_id, reply_to, reshare_of FROM posts ORDER BY 1").fetchall()
    assert got == [("11", "10", None), ("12", "10", None)]


@pytest.mark.parametrize("content,where,what", [
    ("['ROOT', 'ROOT', '0.0']->['1', '407159686786732032', '0.0']\nnot an edge\n", "e.txt, line 2",
     "not a tree edge"),
    ("parent,child,time\n1,2,yesterday\n", "e.txt, line 2, column 'time'", "'yesterday'"),
    ("parent,child,time\n1,2,2024-01-01\n1,2,2024-01-02\n", "e.txt, line 3, column 'child'", "appears twice"),
    ("# only a comment\n", "e.txt:", "only comments"),
])
def test_bad_edges_change_nothing(db, tmp_path, content, where, what):
    formats.import_format(db, "edges", SNAP)
    before = snapshot(db)
    f = tmp_path / "e.txt"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(ingest.ImportProblem) as err:
        formats.import_format(db, "edges", f)
    assert str(err.value).startswith(where), str(err.value)
    assert what in str(err.value)
    assert snapshot(db) == before


def test_simulate_reads_the_same_forms(capsys):
    rows = [ln.split() for ln in SNAP.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    assert main(["simulate", "--edges", str(SNAP), "--model", "ic", "--runs", "3", "--rng", "1", "--json",
                 "--directed"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_nodes"] == len({x for r in rows for x in r})
    assert out["n_arcs"] == len({tuple(r) for r in rows})
    g, _root, _delay = tree_graph(TREES[0])
    assert main(["simulate", "--edges", str(TREES[0]), "--model", "ic", "--runs", "3", "--rng", "1", "--json",
                 "--directed"]) == 0
    out = json.loads(capsys.readouterr().out)
    # Repeated tree lines are one arc; the tree's nodes are its (user, tweet) pairs.
    lines = [ln for ln in TREES[0].read_text(encoding="utf-8").splitlines() if not ln.startswith("['ROOT'")]
    arcs = {tuple(re.findall(r"'([^']*)', '([^']*)'", ln)) for ln in lines}
    assert out["n_arcs"] == len({a for a in arcs if a[0] != a[1]})
    assert out["n_nodes"] >= g.number_of_nodes()
