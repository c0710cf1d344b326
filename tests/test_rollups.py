"""The interactions rollup gives exactly the figures counted directly, under every kind of filter."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from analysis import store
from analysis.filters import Filters
from analysis.store import overview as q
from analysis.store import rollups


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db


def _direct(db, f: Filters) -> dict[str, float]:
    where, params = f.interactions_where()
    row = db.conn.execute(f"""
        SELECT COUNT(*), COUNT(DISTINCT customer_id), COUNT(DISTINCT thread_id),
               SUM(CASE WHEN direction = 'inbound' THEN 1 ELSE 0 END),
               SUM(CASE WHEN direction = 'outbound' THEN 1 ELSE 0 END),
               SUM(CASE WHEN kind = 'purchase' THEN amount ELSE 0 END)
        FROM interactions WHERE {where}""", params).fetchone()
    keys = ("interactions", "active_customers", "threads", "inbound", "outbound", "revenue")
    return {k: float(v or 0) for k, v in zip(keys, row)}


def _filters(db) -> list[Filters]:
    lo, hi = store.date_bounds(db)
    lo, hi = dt.date.fromisoformat(lo), dt.date.fromisoformat(hi)
    mid = lo + (hi - lo) / 2
    segments = store.distinct_values(db, "customers", "segment")
    regions = store.distinct_values(db, "customers", "region")
    return [
        Filters(segments=(segments[0],)),
        Filters(segments=tuple(segments[:2]), regions=(regions[0],)),
        Filters(date_from=mid),
        Filters(date_to=mid),
        Filters(date_from=mid - dt.timedelta(days=20), date_to=mid + dt.timedelta(days=3)),
        Filters(date_from=mid, date_to=mid),  # one day
        Filters(date_from=mid - dt.timedelta(days=60), date_to=mid, regions=(regions[-1],)),
        Filters(platforms=("x",)),  # platforms do not filter interactions
        Filters(platforms=("x", "instagram"), date_from=mid, segments=(segments[-1],)),
    ]


@pytest.fixture
def demo_copy(demo_db, tmp_path):
    path = tmp_path / "rollup.sqlite"
    shutil.copy(demo_db, path)
    return store.connect(path)


def test_rollup_matches_direct_counts_on_the_demo(demo_copy):
    db = demo_copy
    assert rollups.ensure(db) and rollups.fresh(db)
    for f in _filters(db):
        assert rollups.interaction_kpis(db, f) == pytest.approx(_direct(db, f)), f
        assert q.interaction_kpis(db, f) == pytest.approx(_direct(db, f)), f


def _direct_posts(db, f: Filters) -> dict[str, float]:
    where, params = f.posts_where("p")
    row = db.conn.execute(f"""
        SELECT COUNT(*), AVG(p.sentiment), SUM(CASE WHEN p.sentiment <= -0.05 THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.sentiment >= 0.05 THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.reshare_of IS NOT NULL THEN 1 ELSE 0 END)
        FROM posts p WHERE {where}""", params).fetchone()
    keys = ("posts", "mean_sentiment", "negative", "positive", "reshares")
    return {k: (float(v) if v is not None else float("nan")) for k, v in zip(keys, row)}


def test_posts_rollup_matches_direct_counts_on_the_demo(demo_copy):
    db = demo_copy
    rollups.ensure(db)
    assert 0 < store.scalar(db, "SELECT COUNT(*) FROM rollup_posts") < store.scalar(db, "SELECT COUNT(*) FROM posts")
    for f in [*_filters(db), Filters(date_from="2100-01-01")]:
        assert rollups.post_kpis(db, f) == pytest.approx(_direct_posts(db, f), nan_ok=True), f
        assert q.post_kpis(db, f) == pytest.approx(_direct_posts(db, f), nan_ok=True), f


# Each post's author role, written independently of analysis.store.roles: outer joins to the two tables.
_ROLE = ("CASE WHEN ba.handle IS NOT NULL THEN 'brand' WHEN idn.handle IS NOT NULL THEN 'customer' "
         "ELSE 'public' END")
_ROLE_JOINS = ("LEFT JOIN brand_accounts ba ON ba.platform = p.platform AND ba.handle = p.author_handle "
               "LEFT JOIN identities idn ON idn.platform = p.platform AND idn.handle = p.author_handle")


def _direct_posts_by_role(db, f: Filters, roles) -> dict[str, float]:
    where, params = f.posts_where("p")
    marks = ", ".join("?" * len(roles))
    row = db.conn.execute(f"""
        SELECT COUNT(*), AVG(p.sentiment), SUM(CASE WHEN p.sentiment <= -0.05 THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.sentiment >= 0.05 THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.reshare_of IS NOT NULL THEN 1 ELSE 0 END)
        FROM posts p {_ROLE_JOINS} WHERE {where} AND {_ROLE} IN ({marks})""", [*params, *roles]).fetchone()
    keys = ("posts", "mean_sentiment", "negative", "positive", "reshares")
    return {k: (float(v) if v is not None else float("nan")) for k, v in zip(keys, row)}


@pytest.mark.parametrize("roles", [("customer", "public"), ("brand",), ("customer",), ("public",),
                                   ("brand", "customer")])
def test_posts_rollup_by_author_role_matches_direct_counts_on_the_demo(demo_copy, roles):
    db = demo_copy
    rollups.ensure(db)
    # The demo has all three kinds of author.
    counts = dict(db.conn.execute(f"SELECT {_ROLE}, COUNT(*) FROM posts p {_ROLE_JOINS} GROUP BY 1").fetchall())
    assert set(counts) == {"brand", "customer", "public"} and min(counts.values()) > 0
    for f in [Filters(), *_filters(db), Filters(date_from="2100-01-01")]:
        expected = _direct_posts_by_role(db, f, roles)
        if f != Filters():
            assert rollups.post_kpis(db, f, roles) == pytest.approx(expected, nan_ok=True), f
        assert q.post_kpis(db, f, roles) == pytest.approx(expected, nan_ok=True), f
        per_role = q.post_roles(db, f).set_index("role")
        assert per_role.reindex(list(roles))["posts"].fillna(0).sum() == expected["posts"], f


def test_a_posts_rollup_without_the_role_column_is_not_fresh_and_is_rebuilt(demo_copy):
    db = demo_copy
    rollups.ensure(db)
    # The layout before roles: no role column, no layout mark.
    db.conn.execute("DROP TABLE rollup_posts")
    db.conn.execute("CREATE TABLE rollup_posts (platform TEXT NOT NULL, author_handle TEXT, day TEXT NOT NULL, "
                    "n INTEGER NOT NULL, scored INTEGER NOT NULL, sentiment_sum REAL, negative INTEGER NOT NULL, "
                    "positive INTEGER NOT NULL, reshares INTEGER NOT NULL)")
    db.conn.execute("DELETE FROM meta WHERE key = 'rollup_posts_layout'")
    assert not rollups.fresh(db)
    f = Filters(platforms=("x",))
    assert q.post_kpis(db, f, ("brand",)) == pytest.approx(_direct_posts_by_role(db, f, ("brand",)), nan_ok=True)
    assert rollups.ensure(db) and rollups.fresh(db)
    assert rollups.post_kpis(db, f, ("brand",)) == pytest.approx(_direct_posts_by_role(db, f, ("brand",)),
                                                                 nan_ok=True)


def test_importing_brand_accounts_moves_posts_between_roles_in_the_rollup(demo_copy):
    db = demo_copy
    rollups.ensure(db)
    handle = store.query_df(db, f"SELECT p.platform, p.author_handle FROM posts p {_ROLE_JOINS} "
                                f"WHERE {_ROLE} = 'public' LIMIT 1").iloc[0]
    before = _direct_posts_by_role(db, Filters(), ("brand",))["posts"]
    # What an import of brand_accounts does (analysis.ingest.import_frame): write, then patch the rollups.
    rows = pd.DataFrame({"platform": [handle["platform"]], "handle": [handle["author_handle"]]})
    was_fresh = rollups.fresh(db)
    with db.atomic():
        store.upsert_rows(db, "brand_accounts", rows)
        rollups.after_import(db, "brand_accounts", rows, was_fresh)
    moved = store.scalar(db, "SELECT COUNT(*) FROM posts WHERE platform = ? AND author_handle = ?",
                         (handle["platform"], handle["author_handle"]))
    f = Filters(platforms=(handle["platform"],), date_from="2000-01-01")
    assert rollups.fresh(db)
    assert rollups.post_kpis(db, f, ("brand",)) == pytest.approx(_direct_posts_by_role(db, f, ("brand",)),
                                                                 nan_ok=True)
    assert _direct_posts_by_role(db, Filters(), ("brand",))["posts"] == before + moved
    _assert_same_as_a_full_build(db)


def test_rollup_monthly_matches_direct(demo_copy):
    db = demo_copy
    rollups.ensure(db)
    for f in _filters(db)[:5]:
        wi, pi = f.interactions_where()
        direct = store.query_df(db, f"SELECT substr(occurred_at, 1, 7) AS month, COUNT(*) AS n FROM interactions "
                                    f"WHERE {wi} GROUP BY 1 ORDER BY 1", pi)
        wp, pp = f.posts_where("p")
        direct_posts = store.query_df(db, f"SELECT substr(created_at, 1, 7) AS month, COUNT(*) AS n FROM posts p "
                                          f"WHERE {wp} GROUP BY 1 ORDER BY 1", pp)
        got = q.monthly_activity(db, f)
        for source, expected in (("Interactions", direct), ("Public posts", direct_posts)):
            part = got[got["source"] == source][["month", "n"]].reset_index(drop=True)
            pd.testing.assert_frame_equal(part, expected, check_dtype=False)


def test_rollup_goes_stale_on_a_data_change_and_is_not_used(demo_copy):
    db = demo_copy
    rollups.ensure(db)
    f = Filters(segments=(store.distinct_values(db, "customers", "segment")[0],))
    cid = store.scalar(db, "SELECT customer_id FROM customers WHERE segment = ?", (f.segments[0],))
    store.upsert_rows(db, "interactions", [{"interaction_id": "NEW1", "customer_id": cid, "thread_id": "TNEW",
                                            "occurred_at": "2026-01-01 10:00:00", "channel": "email",
                                            "direction": "inbound", "kind": "complaint"}])
    assert not rollups.fresh(db)
    assert q.interaction_kpis(db, f) == pytest.approx(_direct(db, f))  # counted directly meanwhile
    rollups.ensure(db)
    assert rollups.interaction_kpis(db, f) == pytest.approx(_direct(db, f))


def test_tricky_rows_null_threads_gaps_and_a_thread_shared_by_two_customers(db):
    store.upsert_rows(db, "customers", [{"customer_id": "A", "segment": "S1", "region": "R"},
                                        {"customer_id": "B", "segment": "S2", "region": "R"}])
    rows = [  # (id, customer, thread, time, direction, kind, amount)
        ("1", "A", "T1", "2025-01-01 09:00:00", "inbound", "complaint", None),
        ("2", "A", "T1", "2025-01-01 10:00:00", "outbound", "response", None),
        ("3", "A", "T1", "2025-01-10 10:00:00", "inbound", "complaint", None),  # a gap inside the thread
        ("4", "A", None, "2025-01-05 10:00:00", "inbound", "purchase", 20.0),  # no thread
        ("5", "A", "T2", "2025-01-05 11:00:00", "inbound", "inquiry", None),  # same day, other thread
        ("6", "B", "T3", "2025-01-03 10:00:00", "inbound", "purchase", 5.5),
        ("7", "B", "T3", "2025-01-20 10:00:00", "inbound", "review", None),
    ]
    store.upsert_rows(db, "interactions", [
        {"interaction_id": i, "customer_id": c, "thread_id": t, "occurred_at": at, "channel": "email",
         "direction": d, "kind": k, "amount": a} for i, c, t, at, d, k, a in rows])
    rollups.build(db)
    assert rollups.shared_threads(db) == 0
    days = [None, "2025-01-01", "2025-01-02", "2025-01-05", "2025-01-10", "2025-01-11", "2025-01-21"]
    for lo in days:
        for hi in days:
            if lo and hi and lo > hi:
                continue
            for seg in ((), ("S1",), ("S2",)):
                f = Filters(date_from=lo, date_to=hi, segments=seg)
                assert rollups.interaction_kpis(db, f) == pytest.approx(_direct(db, f)), f
    # A thread shared by two customers: the rollup counts it once per customer, so the figure is
    # counted directly instead.
    store.upsert_rows(db, "interactions", [{"interaction_id": "8", "customer_id": "B", "thread_id": "T1",
                                            "occurred_at": "2025-01-02 10:00:00", "channel": "chat",
                                            "direction": "inbound", "kind": "inquiry"}])
    rollups.build(db)
    assert rollups.shared_threads(db) == 1
    for f in (Filters(segments=("S1", "S2")), Filters(date_from="2025-01-02")):
        assert q.interaction_kpis(db, f) == pytest.approx(_direct(db, f)), f


def test_a_rollup_that_cannot_be_built_leaves_readers_counting_directly(demo_copy, monkeypatch):
    import sqlite3

    db = demo_copy
    store.upsert_rows(db, "customers", [{"customer_id": "ZZ", "segment": "Value"}])  # now stale

    def read_only(_db):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(rollups, "build", read_only)
    assert rollups.ensure(db) is False
    assert not rollups.fresh(db)
    f = Filters(segments=("Value",))
    assert q.interaction_kpis(db, f) == pytest.approx(_direct(db, f))


def test_overview_view_from_the_rollups_equals_the_direct_view(demo_copy, monkeypatch):
    from dataclasses import asdict

    from analysis import overview

    db = demo_copy
    rollups.ensure(db)
    filters = [*_filters(db), Filters(date_from="2100-01-01")]
    fast = [overview.view(db, f) for f in filters]
    monkeypatch.setattr(rollups, "fresh", lambda _db: False)
    for f, (k_fast, m_fast) in zip(filters, fast):
        k_direct, m_direct = overview.view(db, f)
        assert asdict(k_fast) == pytest.approx(asdict(k_direct), nan_ok=True), f
        pd.testing.assert_frame_equal(m_fast.reset_index(drop=True), m_direct.reset_index(drop=True),
                                      check_dtype=False)


def test_a_stale_rollup_is_rebuilt_in_the_background_once(demo_db, tmp_path):
    path = tmp_path / "bg.sqlite"
    shutil.copy(demo_db, path)
    db = store.connect(path)
    assert rollups.refresh_in_background(str(path)) is None  # fresh: nothing to do
    store.upsert_rows(db, "customers", [{"customer_id": "NEWC", "segment": "Value"}])  # a change: stale
    assert not rollups.fresh(db)
    thread = rollups.refresh_in_background(str(path))
    assert thread is not None
    assert rollups.refresh_in_background(str(path)) is None  # already rebuilding
    thread.join(60)
    assert rollups.fresh(db)
    f = Filters(segments=("Value",))
    assert rollups.interaction_kpis(db, f) == pytest.approx(_direct(db, f))
    db.close()


def test_a_publicness_edit_keeps_what_is_kept_valid_and_a_score_correction_does_not(demo_copy):
    from analysis import listening
    from analysis.continuum import ACTIVITY_MEMO_KEY
    from analysis.store import aggregates

    db = demo_copy
    rollups.ensure(db)
    rows0, data0 = store.rows_version(db), store.data_version(db)
    assert aggregates.load(db, f"{ACTIVITY_MEMO_KEY}.rows", rows0) is not None
    # A channel's publicness is a setting: pages recompute from what is kept, still valid.
    store.set_publicness(db, "email", 0.3)
    assert store.data_version(db) == data0 + 1 and store.rows_version(db) == rows0
    assert rollups.fresh(db)
    assert aggregates.load(db, f"{ACTIVITY_MEMO_KEY}.rows", store.rows_version(db)) is not None
    # A corrected score changes a post: the rollups and the kept figures are stale.
    post = store.scalar(db, "SELECT post_id FROM posts WHERE text IS NOT NULL LIMIT 1")
    listening.correct(db, [post], "negative")
    assert store.rows_version(db) == rows0 + 1
    assert not rollups.fresh(db)
    assert aggregates.load(db, f"{ACTIVITY_MEMO_KEY}.rows", store.rows_version(db)) is None
    rollups.ensure(db)
    assert rollups.post_kpis(db, Filters(platforms=("x",))) == pytest.approx(
        _direct_posts(db, Filters(platforms=("x",))), nan_ok=True)


def _rollup_tables(db) -> tuple[pd.DataFrame, pd.DataFrame]:
    ri = store.query_df(db, "SELECT * FROM rollup_interactions").sort_values(
        ["customer_id", "day", "thread_id"], na_position="first").reset_index(drop=True)
    rp = store.query_df(db, "SELECT * FROM rollup_posts").sort_values(
        ["platform", "role", "author_handle", "day"], na_position="first").reset_index(drop=True)
    return ri, rp


def _assert_same_as_a_full_build(db) -> None:
    patched = _rollup_tables(db)
    rollups.build(db)
    full = _rollup_tables(db)
    for a, b in zip(patched, full):
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)


def _csv(tmp_path, name, frame):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_a_small_import_patches_the_rollups_to_what_a_full_build_gives(demo_copy, tmp_path):
    from analysis import ingest

    db = demo_copy
    rollups.ensure(db)
    customers = store.query_df(db, "SELECT customer_id FROM customers LIMIT 40")["customer_id"].tolist()
    thread = store.query_df(db, "SELECT thread_id, customer_id FROM interactions WHERE thread_id IS NOT NULL "
                                "LIMIT 1").iloc[0]
    new = pd.DataFrame({
        "interaction_id": [f"P{i}" for i in range(60)] + ["P60"],
        "customer_id": [customers[i % 40] for i in range(60)] + [thread["customer_id"]],
        "thread_id": [f"PT{i % 40}" if i % 4 else None for i in range(60)] + [thread["thread_id"]],
        "occurred_at": [f"2025-{7 + i % 5:02d}-{1 + i % 27:02d} 10:00:00" for i in range(60)] + ["2026-01-02 09:00"],
        "channel": "email", "direction": ["inbound", "outbound"] * 30 + ["inbound"], "kind": "complaint"})
    ingest.import_file(db, "interactions", _csv(tmp_path, "i.csv", new))
    assert rollups.fresh(db) and rollups.shared_threads(db) == 0  # patched inside the import
    for f in _filters(db):
        assert rollups.interaction_kpis(db, f) == pytest.approx(_direct(db, f)), f
    _assert_same_as_a_full_build(db)


def test_post_and_identity_imports_patch_the_posts_rollup(demo_copy, tmp_path):
    from analysis import ingest

    db = demo_copy
    rollups.ensure(db)
    handle = store.query_df(db, "SELECT platform, handle FROM identities LIMIT 1").iloc[0]
    posts = pd.DataFrame({
        "post_id": [f"NP{i}" for i in range(30)], "platform": [handle["platform"]] * 15 + ["x"] * 15,
        "author_handle": [handle["handle"]] * 15 + [f"stranger{i}" for i in range(15)],
        "created_at": [f"2026-0{1 + i % 3}-1{i % 10} 12:00:00" for i in range(30)],
        "text": ["love it"] * 10 + ["terrible service"] * 10 + [None] * 10})
    ingest.import_file(db, "posts", _csv(tmp_path, "p.csv", posts))
    assert rollups.fresh(db)
    _assert_same_as_a_full_build(db)
    # Linking an author moves their posts out of the unlinked bucket.
    customer = store.scalar(db, "SELECT customer_id FROM customers LIMIT 1")
    ingest.import_file(db, "identities", _csv(tmp_path, "id.csv", pd.DataFrame(
        {"customer_id": [customer], "platform": ["x"], "handle": ["stranger3"]})))
    assert rollups.fresh(db)
    _assert_same_as_a_full_build(db)


def test_a_post_import_patches_the_posts_rollup_on_postgresql(pg_demo_copy, tmp_path):
    """PostgreSQL stores times as timestamptz: the patch finds each imported day's posts there too (it
    failed with "operator does not exist: timestamp with time zone >= text", and the Data page showed
    the traceback). Two posts on one UTC day and one just before midnight UTC count on their own days."""
    from analysis import ingest

    with store.connection(pg_demo_copy) as db:
        rollups.ensure(db)
        posts = pd.DataFrame({"post_id": ["PG1", "PG2", "PG3"], "platform": "twitter",
                              "author_handle": ["ann", "bob", "ann"],
                              "created_at": ["2017-10-11 06:55:44", "2017-10-11 23:59:59", "2017-10-10 23:59:59"],
                              "text": ["love it", "terrible service", None]})
        ingest.import_file(db, "posts", _csv(tmp_path, "p.csv", posts))
        assert rollups.fresh(db)
        days = store.query_df(db, "SELECT day, SUM(n) AS n FROM rollup_posts WHERE day LIKE '2017-%' "
                                  "GROUP BY day ORDER BY day")
        assert days.to_dict("list") == {"day": ["2017-10-10", "2017-10-11"], "n": [1, 2]}
        _assert_same_as_a_full_build(db)


def test_an_import_that_moves_a_row_to_another_customer_still_gives_a_full_build(demo_copy, tmp_path):
    from analysis import ingest

    db = demo_copy
    rollups.ensure(db)
    row = store.query_df(db, "SELECT * FROM interactions LIMIT 1").iloc[0]
    other = store.scalar(db, "SELECT customer_id FROM customers WHERE customer_id != ? LIMIT 1",
                         (row["customer_id"],))
    moved = pd.DataFrame([{"interaction_id": row["interaction_id"], "customer_id": other,
                           "occurred_at": row["occurred_at"], "channel": row["channel"],
                           "direction": row["direction"]}])
    ingest.import_file(db, "interactions", _csv(tmp_path, "m.csv", moved))
    assert rollups.fresh(db)
    _assert_same_as_a_full_build(db)


def test_a_stale_rollup_stays_stale_through_an_import_and_a_refused_import_changes_nothing(demo_copy, tmp_path):
    from analysis import ingest

    db = demo_copy
    rollups.ensure(db)
    before = _rollup_tables(db)
    cid = store.scalar(db, "SELECT customer_id FROM customers LIMIT 1")
    bad = pd.DataFrame({"interaction_id": ["B1", "B2"], "customer_id": [cid, "NOPE"],
                        "occurred_at": "2026-01-01", "channel": "email", "direction": "inbound"})
    with pytest.raises(ingest.ImportProblem):
        ingest.import_file(db, "interactions", _csv(tmp_path, "b.csv", bad))
    assert rollups.fresh(db)
    for a, b in zip(before, _rollup_tables(db)):
        pd.testing.assert_frame_equal(a, b)
    store.set_publicness(db, "email", 0.2)  # not a rows change: still fresh
    assert rollups.fresh(db)
    listening_post = store.scalar(db, "SELECT post_id FROM posts LIMIT 1")
    from analysis import listening
    listening.correct(db, [listening_post], "positive")  # a rows change made in the app: stale
    assert not rollups.fresh(db)
    ingest.import_file(db, "interactions", _csv(tmp_path, "g.csv", bad.iloc[:1]))
    assert not rollups.fresh(db)  # only a full build makes it fresh again


def _cube_kpis(db, f: Filters) -> dict[str, float]:
    from analysis import interaction_cube

    return rollups.interaction_totals(interaction_cube.interaction_days(db, f))


def test_the_rollup_kept_in_memory_gives_the_direct_counts_on_the_demo(demo_copy):
    from analysis import interaction_cube, memo

    db = demo_copy
    rollups.ensure(db)
    assert interaction_cube.usable(db)
    filters = [*_filters(db), Filters(date_from="2100-01-01"), Filters(date_to="1990-01-01")]
    for f in filters:
        assert _cube_kpis(db, f) == pytest.approx(_direct(db, f)), f
    # Another process reads the copy kept in the database (no scan of the rollup) and agrees.
    memo.clear()
    kept = db.conn.execute("SELECT COUNT(*) FROM aggregates WHERE key LIKE 'interaction_cube2.%'").fetchone()[0]
    assert kept == 2
    for f in filters[:4]:
        assert _cube_kpis(db, f) == pytest.approx(_direct(db, f)), f


def test_the_rollup_in_memory_on_tricky_rows(db):
    store.upsert_rows(db, "customers", [{"customer_id": "A", "segment": "S1", "region": "R"},
                                        {"customer_id": "B", "segment": "S2", "region": None},
                                        {"customer_id": "C"}])
    rows = [  # (id, customer, thread, time, direction, kind, amount)
        ("1", "A", "T1", "2025-01-01 09:00:00", "inbound", "complaint", None),
        ("2", "A", "T1", "2025-01-01 10:00:00", "outbound", "response", None),
        ("3", "A", "T1", "2025-01-10 10:00:00", "inbound", "complaint", None),
        ("4", "A", None, "2025-01-05 10:00:00", "inbound", "purchase", 20.0),
        ("5", "A", "T2", "2025-01-05 11:00:00", "inbound", "inquiry", None),
        ("6", "B", "T3", "2025-01-03 10:00:00", "inbound", "purchase", 5.5),
        ("7", "B", "T3", "2025-01-20 10:00:00", "inbound", "review", None),
        ("8", "C", None, "2025-01-20 12:00:00", "inbound", "purchase", 1.0),  # a customer without segment
        ("9", "Z", "T9", "2025-01-04 12:00:00", "inbound", "inquiry", None),  # no such customer
    ]
    store.upsert_rows(db, "interactions", [
        {"interaction_id": i, "customer_id": c, "thread_id": t, "occurred_at": at, "channel": "email",
         "direction": d, "kind": k, "amount": a} for i, c, t, at, d, k, a in rows])
    rollups.build(db)
    days = [None, "2025-01-01", "2025-01-02", "2025-01-04", "2025-01-05", "2025-01-10", "2025-01-11", "2025-01-21"]
    for lo in days:
        for hi in days:
            if lo and hi and lo > hi:
                continue
            for seg, reg in (((), ()), (("S1",), ()), (("S2",), ()), ((), ("R",)), (("S1", "S2"), ("R",))):
                f = Filters(date_from=lo, date_to=hi, segments=seg, regions=reg)
                assert _cube_kpis(db, f) == pytest.approx(_direct(db, f)), f


def test_the_rollup_in_memory_sums_alike_rows_into_one(db):
    """Customers of one segment and region who start a conversation on the same day, with the same
    previous active day, are one row of the cube with their number as its weight: the counts stay exact."""
    from analysis import interaction_cube

    store.upsert_rows(db, "customers", [{"customer_id": c, "segment": "S", "region": "R"} for c in "DEF"])
    rows = [("1", "D", "TD", "2025-02-01 09:00:00"), ("2", "E", "TE", "2025-02-01 10:00:00"),
            ("3", "F", "TF", "2025-02-01 11:00:00"), ("4", "F", "TF", "2025-02-03 11:00:00"),
            ("5", "D", "TD2", "2025-02-03 12:00:00")]
    store.upsert_rows(db, "interactions", [
        {"interaction_id": i, "customer_id": c, "thread_id": t, "occurred_at": at, "channel": "email",
         "direction": "inbound", "kind": "inquiry"} for i, c, t, at in rows])
    rollups.build(db)
    c = interaction_cube.build(rollups.interaction_rows(db))
    # Rollup rows: D, E, F on 1 Feb (alike: one cube row of weight 3); F on 3 Feb (previous day 1 Feb,
    # thread seen 1 Feb) and D on 3 Feb (previous day 1 Feb, a new thread): two rows.
    assert sorted(c.w.tolist()) == [1, 1, 3]
    d = interaction_cube.days(c, Filters())
    assert d["active_customers"].tolist() == [3, 0] and d["threads"].tolist() == [3, 1]
    d = interaction_cube.days(c, Filters(date_from="2025-02-02"))
    assert d["active_customers"].tolist() == [2] and d["threads"].tolist() == [2] and d["interactions"].tolist() == [2]
