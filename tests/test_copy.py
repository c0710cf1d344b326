"""``python -m analysis copy``: a whole database moved between SQLite and PostgreSQL (a real server), every
table's contents equal, the pages' figures equal, all or nothing (a full target refused, a bad source, a
killed copy), and the edge values (unicode, NULLs, timestamps, floats, ids as text) intact."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis import store
from analysis.filters import Filters
from analysis.store import scenarios as scenario_store
from analysis.store import transfer
from tests.conftest import copy_running, drop_schema, kill_during_copy, new_schema

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def frame(address, table: str) -> pd.DataFrame:
    """A table's rows, order-independent: columns by name, rows sorted, missing values as None."""
    with store.connection(address, create=False) as db:
        return normalised(store.query_df(db, f'SELECT * FROM "{table}"'))


def normalised(df: pd.DataFrame) -> pd.DataFrame:
    cols = sorted(df.columns)
    df = df[cols].astype(object)
    df = df.where(df.notna(), None)
    order = sorted(range(len(df)), key=lambda i: repr(tuple(df.iloc[i])))
    return df.iloc[order].reset_index(drop=True)


def contents(address) -> dict[str, pd.DataFrame]:
    return {t: frame(address, t) for t in transfer.copied_tables()}


def snapshot(address) -> str:
    """A digest of every row of every table: equal digests mean nothing changed."""
    h = hashlib.sha256()
    with store.connection(address, create=False) as db:
        for table in sorted(db.table_names()):
            h.update(table.encode())
            for row in sorted(map(repr, db.conn.execute(f'SELECT * FROM "{table}"').fetchall())):
                h.update(row.encode())
    return h.hexdigest()


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    """Every table of ``b`` (the target) equals ``a``'s (the source). A motive lexicon the source never
    seeded (nobody opened Perception there) is its default one on the target: the target's preparation
    after the copy reads the brand's motives and seeds it, as the Perception page's first view does."""
    assert a.keys() == b.keys()
    for table in a:
        source = a[table]
        if table == "motive_lexicon" and source.empty:
            from analysis.perception import DEFAULT_LEXICON

            source = normalised(pd.DataFrame([(m, k.lower()) for m, kws in DEFAULT_LEXICON.items() for k in kws],
                                             columns=["motive", "keyword"]).drop_duplicates())
        pd.testing.assert_frame_equal(source, b[table], check_exact=True, obj=table)


@pytest.fixture(scope="module")
def pg_copy(pg_server, demo_db):
    """The small demo copied from SQLite into a fresh PostgreSQL database with the CLI."""
    address = new_schema(pg_server, "copy")
    done = cli("copy", demo_db, address)
    yield address, done
    drop_schema(address)


# --- the round trip ---------------------------------------------------------------------------------

def test_sqlite_to_postgresql_to_sqlite_keeps_every_table(demo_db, pg_copy, tmp_path):
    address, done = pg_copy
    assert done.returncode == 0, done.stderr
    source = contents(demo_db)
    # Worked out from the source itself: the demo has rows in its data tables (not a vacuous comparison).
    assert len(source["interactions"]) > 10_000 and len(source["posts"]) > 5_000
    assert_same(source, contents(address))
    back = tmp_path / "back.sqlite"
    again = cli("copy", address, back)
    assert again.returncode == 0, again.stderr
    assert_same(source, contents(back))


def test_the_summary_gives_rows_per_table_a_rate_and_the_verification(demo_db, pg_copy):
    _address, done = pg_copy
    with store.connection(demo_db, create=False) as db:
        n_interactions = len(store.query_df(db, "SELECT interaction_id FROM interactions"))
        n_posts = len(store.query_df(db, "SELECT post_id FROM posts"))
    lines = done.stdout.splitlines()
    row = next(line for line in lines if line.startswith("interactions "))
    assert row.split()[1:3] == [f"{n_interactions:,}", f"{n_interactions:,}"]  # source rows, target rows
    row = next(line for line in lines if line.startswith("posts "))
    assert row.split()[1:3] == [f"{n_posts:,}", f"{n_posts:,}"]
    assert "rows/s" in lines[1]
    assert "Verified: every table's row count on the target equals the source's." in done.stdout
    assert "Traceback" not in done.stderr


def test_the_reports_figures_are_equal_on_source_and_target(demo_db, pg_copy):
    address, _done = pg_copy
    from analysis import report

    with store.connection(demo_db, create=False) as db:
        source = report.report(db, Filters())
        inter = store.query_df(db, "SELECT customer_id, direction FROM interactions")
    with store.connection(address, create=False) as db:
        target = report.report(db, Filters())
    # One figure worked out by hand from the source's rows.
    assert target["interactions"] == len(inter)
    assert target["active_customers"] == inter["customer_id"].nunique()
    assert target["overview.inbound"] == int((inter["direction"] == "inbound").sum())
    assert len(source) > 50 and source.keys() == target.keys()
    for key, value in source.items():
        if isinstance(value, float):
            assert target[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
        else:
            assert target[key] == value, key


def test_the_target_rebuilt_its_rollups_and_settings_travel(demo_db, pg_copy):
    address, _done = pg_copy
    from analysis.store import rollups

    with store.connection(address, create=False) as db:
        assert rollups.fresh(db)  # rebuilt for the target's own version, not copied
        assert store.get_meta(db, "demo") == "scale=small seed=7"  # `demo --if-missing` sees a complete demo
        assert store.scalar(db, "SELECT COUNT(*) FROM aggregates") > 0


def test_every_table_of_the_schema_is_copied_or_rebuilt():
    """A table a module adds later is copied unless it is one of the derived ones: nothing is forgotten."""
    copied, derived = set(transfer.copied_tables()), set(transfer.derived_tables())
    assert derived == {"aggregates", "rollup_interactions", "rollup_posts"}
    assert copied | derived | {"meta"} == set(store.continuum_tables())
    assert {"customers", "identities", "interactions", "posts", "follows", "survey_responses", "brand_accounts",
            "channels", "kinds", "import_mappings", "scenarios", "decks", "deck_items", "sentiment_labels"} <= copied


# --- all or nothing ---------------------------------------------------------------------------------

def test_a_target_holding_data_is_refused_and_unchanged(demo_db, pg_copy):
    address, _done = pg_copy
    before = snapshot(address)
    done = cli("copy", demo_db, address)
    assert done.returncode == 2
    assert "already holds data" in done.stderr and "--replace" in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(address) == before


def small_db(path: Path, n: int = 3) -> Path:
    """A database with ``n`` customers, one interaction each and a saved scenario."""
    with store.connection(path) as db:
        store.upsert_rows(db, "customers", pd.DataFrame({"customer_id": [f"S{i}" for i in range(n)],
                                                          "name": "Small", "segment": "Value", "region": "Europe"}))
        store.upsert_rows(db, "interactions", pd.DataFrame({
            "interaction_id": [f"SI{i}" for i in range(n)], "customer_id": [f"S{i}" for i in range(n)],
            "occurred_at": "2025-03-01 09:30:00", "channel": "email", "direction": "inbound", "kind": "inquiry"}))
        scenario_store.insert(db, "small view", "overview", "", "{}", "2025-03-01 10:00:00", False)
    return path


def test_replace_replaces_the_targets_contents(demo_db, pg_server, tmp_path):
    address = new_schema(pg_server, "replace")
    try:
        assert cli("copy", demo_db, address).returncode == 0
        small = small_db(tmp_path / "small.sqlite")
        done = cli("copy", small, address, "--replace")
        assert done.returncode == 0, done.stderr
        assert "previous contents replaced" in done.stdout
        assert_same(contents(small), contents(address))
        with store.connection(address, create=False) as db:
            assert store.get_meta(db, "demo") is None  # the demo's mark left with the demo's rows
            # The overview counts the small database's three customers, not the demo's.
            assert store.scalar(db, "SELECT COUNT(DISTINCT customer_id) FROM rollup_interactions") == 3
    finally:
        drop_schema(address)


def test_replace_into_an_sqlite_file(demo_db, tmp_path):
    target = small_db(tmp_path / "target.sqlite", n=5)
    assert cli("copy", demo_db, target).returncode == 2  # holds data
    done = cli("copy", demo_db, target, "--replace")
    assert done.returncode == 0, done.stderr
    assert_same(contents(demo_db), contents(target))


@pytest.mark.parametrize("source, words", [
    ("missing.sqlite", "does not exist"),
    ("text.sqlite", "not an SQLite database"),
    ("postgresql://continuum:secret@127.0.0.1:1/nowhere", "Cannot connect to the PostgreSQL database"),
])
def test_a_bad_source_is_said_in_words_and_the_target_is_unchanged(source, words, tmp_path):
    target = small_db(tmp_path / "target.sqlite")
    before = snapshot(target)
    (tmp_path / "text.sqlite").write_text("name,email\nA,a@example.com\n")
    if not source.startswith("postgresql"):
        source = tmp_path / source
    done = cli("copy", source, target, "--replace")
    assert done.returncode == 2
    assert words in done.stderr and "Nothing was written" in done.stderr
    assert "Traceback" not in done.stderr and "secret" not in done.stderr
    assert snapshot(target) == before


def test_an_unreachable_target_names_it_without_its_password(demo_db):
    done = cli("copy", demo_db, "postgresql://continuum:secret@127.0.0.1:1/nowhere")
    assert done.returncode == 2
    assert "postgresql://continuum:***@127.0.0.1:1/nowhere" in done.stderr
    assert "secret" not in done.stderr and "Traceback" not in done.stderr


def test_the_same_database_is_refused(demo_db):
    done = cli("copy", demo_db, demo_db)
    assert done.returncode == 2 and "the same database" in done.stderr


def test_a_value_the_target_refuses_names_table_row_and_column_and_writes_nothing(pg_server, tmp_path):
    """A timestamp SQLite kept as text but PostgreSQL cannot read: the message says where; nothing written."""
    source = small_db(tmp_path / "source.sqlite", n=4)
    with store.connection(source) as db, store.transaction(db):
        db.conn.execute("UPDATE interactions SET occurred_at = 'next tuesday' WHERE interaction_id = 'SI2'")
    address = new_schema(pg_server, "badvalue")
    try:
        done = cli("copy", source, address)
        assert done.returncode == 2
        assert "table interactions" in done.stderr and "column occurred_at" in done.stderr
        assert "next tuesday" in done.stderr and "Traceback" not in done.stderr
        with store.connection(address) as db:
            assert store.scalar(db, "SELECT COUNT(*) FROM customers") == 0
    finally:
        drop_schema(address)


def big_source(path: Path, n: int) -> Path:
    """A source with ``n`` interactions: enough for a copy that lasts long enough to be killed."""
    with store.connection(path) as db:
        ids = [f"K{i:05d}" for i in range(1000)]
        store.upsert_rows(db, "customers", pd.DataFrame({"customer_id": ids, "name": "Big"}))
        store.upsert_rows(db, "interactions", pd.DataFrame({
            "interaction_id": [f"KI{i:08d}" for i in range(n)], "customer_id": [ids[i % 1000] for i in range(n)],
            "occurred_at": "2026-01-01 10:00:00", "channel": "email", "direction": "inbound",
            "text": "a long enough message " * 4}))
    return path


def test_a_killed_copy_into_postgresql_leaves_it_as_it_was(pg_server, tmp_path):
    source = big_source(tmp_path / "big.sqlite", 400_000)
    address = new_schema(pg_server, "killed")
    try:
        small = small_db(tmp_path / "small.sqlite")
        assert cli("copy", small, address).returncode == 0
        before = snapshot(address)
        # The server rolls the killed copy back and frees the writer lock.
        kill_during_copy(pg_server, address, ["copy", source, address, "--replace"], "copy", settle=0.3)
        assert snapshot(address) == before
    finally:
        drop_schema(address)


@pytest.mark.parametrize("existing", [False, True])
def test_a_killed_copy_into_an_sqlite_file_leaves_it_as_it_was(pg_server, tmp_path, existing):
    """Killed while writing: a new file never appears half-made; an existing one keeps its rows."""
    source = big_source(tmp_path / "big.sqlite", 400_000)
    target = tmp_path / "target.sqlite"
    if existing:
        small_db(target)
        before = snapshot(target)
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "copy", str(source), str(target), "--replace"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = ""
    t0 = time.monotonic()
    while proc.poll() is None and time.monotonic() - t0 < 120:
        seen += os.read(proc.stderr.fileno(), 4096).decode(errors="replace")
        if "copy interactions" in seen:
            time.sleep(0.3)
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert "copy interactions" in seen, seen[-500:]
    assert proc.returncode == -signal.SIGKILL
    if existing:
        assert snapshot(target) == before
    else:
        assert not target.exists()
        # The killed copy's temporary file is cleaned up by the next copy, which then succeeds.
        done = cli("copy", source, target)
        assert done.returncode == 0, done.stderr
        assert [p.name for p in tmp_path.iterdir() if ".copying-" in p.name] == []


# --- edge values --------------------------------------------------------------------------------------

EDGE_TEXTS = ["plain", "émoji 😀 and 中文 and עברית", "quote ' and \" and \\ backslash", "tab\tand\nnewline\r\n",
              "=1+2 formula-looking", "", "  spaces  ", "\\N", "NULL"]


def edge_db(path: Path) -> Path:
    with store.connection(path) as db:
        n = len(EDGE_TEXTS)
        store.upsert_rows(db, "customers", pd.DataFrame({
            "customer_id": ["007", "1e5", "C-3", "0", "ÄÖ", "x y", "9" * 30, "-1", "C9"],
            "name": EDGE_TEXTS, "email": [None] * n, "segment": ["Value"] * (n - 1) + [None],
            "joined_at": ["1970-01-01 00:00:00", "2024-02-29 23:59:59", None, "2038-01-19 03:14:08",
                          "1999-12-31 00:00:00", None, None, None, None],
            "lifetime_value": [0.1 + 0.2, 1e-300, -2.5e300, None, 0.0, 123456789.123456789, -0.0, 1 / 3, 42.0]}))
        store.upsert_rows(db, "interactions", pd.DataFrame({
            "interaction_id": [f"E{i}" for i in range(n)], "customer_id": "007",
            "occurred_at": [f"2025-0{1 + i % 9}-1{i} 0{i}:0{i}:5{i}" for i in range(n)], "channel": "email",
            "direction": "inbound", "kind": [None, "complaint"] * 4 + [None], "amount": [None, 19.99] * 4 + [1e15],
            "text": EDGE_TEXTS, "thread_id": None}))
        store.upsert_rows(db, "posts", pd.DataFrame({
            "post_id": ["P1", "P2"], "platform": "twitter", "author_handle": ["@ä", "@b"],
            "created_at": ["2025-06-01 12:00:00", "2025-06-02 00:00:00"], "text": ["😀😀", None],
            "likes": [0, 9_007_199_254_740_993], "sentiment": [0.5, None]}))
        # Scenarios: ids 1..3 given out, the last deleted: a copy must never give id 3 again.
        for name in ("one", "two", "three"):
            scenario_store.insert(db, name, "overview", "note ✓", json.dumps({"k": name}), "2025-01-01 00:00:00",
                                  False)
        scenario_store.delete(db, "three")
    return path


def test_edge_values_survive_the_round_trip_and_ids_are_not_reused(pg_server, tmp_path):
    source = edge_db(tmp_path / "edge.sqlite")
    address = new_schema(pg_server, "edge")
    back = tmp_path / "back.sqlite"
    try:
        assert (done := cli("copy", source, address)).returncode == 0, done.stderr
        assert (done := cli("copy", address, back)).returncode == 0, done.stderr
        expected = contents(source)
        assert_same(expected, contents(address))
        assert_same(expected, contents(back))
        customers = frame(back, "customers").set_index("customer_id")
        # Checked against the values written above, not against the program's output.
        assert customers.loc["007", "name"] == "plain" and customers.loc["0", "joined_at"] == "2038-01-19 03:14:08"
        assert customers.loc["007", "lifetime_value"] == 0.1 + 0.2 and customers.loc["1e5", "lifetime_value"] == 1e-300
        assert customers.loc["x y", "joined_at"] is None and customers.loc["C9", "segment"] is None
        assert frame(back, "posts").set_index("post_id").loc["P2", "likes"] == 9_007_199_254_740_993
        for where in (address, back):
            with store.connection(where, create=False) as db:
                scenario_store.insert(db, "four", "overview", "", "{}", "2025-01-02 00:00:00", False)
                assert scenario_store.get_by_name(db, "four")["scenario_id"] == 4
    finally:
        drop_schema(address)


def test_postgresql_to_postgresql_and_sqlite_to_sqlite(demo_db, pg_copy, pg_server, tmp_path):
    address, _done = pg_copy
    other = new_schema(pg_server, "pgpg")
    try:
        done = cli("copy", address, other, "--no-warm")
        assert done.returncode == 0, done.stderr
        assert_same(contents(address), contents(other))
    finally:
        drop_schema(other)
    file_copy = tmp_path / "copy.sqlite"
    assert transfer.copy_database(demo_db, file_copy, warm=False).verified
    assert_same(contents(demo_db), contents(file_copy))


def test_a_source_being_imported_into_is_read_as_of_one_moment(tmp_path):
    """The copy reads the source in one snapshot: rows committed meanwhile are not half in the copy."""
    source = small_db(tmp_path / "source.sqlite", n=50)
    target = tmp_path / "target.sqlite"
    calls = []

    def progress(stage, done, total):
        if stage == "copy customers" and done == total and not calls:
            calls.append(stage)
            with sqlite3.connect(source) as other:  # another writer, committed mid-copy
                other.execute("INSERT INTO interactions (interaction_id, customer_id, occurred_at, channel, "
                              "direction) VALUES ('LATE', 'S1', '2025-03-02 00:00:00', 'email', 'inbound')")

    report = transfer.copy_database(source, target, warm=False, progress=progress)
    assert calls and report.verified
    assert report.rows["interactions"] == 50
    assert len(frame(target, "interactions")) == 50


def indexes(address) -> set[tuple]:
    """(name, table, DDL) of every index; PostgreSQL's DDL names the schema, which differs between databases."""
    with store.connection(address, create=False) as db:
        rows = db.conn.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'").fetchall()
    return {(name, table, sql and re.sub(r" ON \w+\.", " ON ", sql)) for name, table, sql in rows}


def test_the_targets_keys_and_indexes_are_all_built_again(demo_db, pg_server, tmp_path, monkeypatch):
    """Indexes (and on PostgreSQL the keys) are dropped for the load and built after it: the same set as a
    fresh database's, and the keys still refuse a duplicate."""
    monkeypatch.setattr(transfer, "KEYS_REBUILT_FROM", 0)  # every table's keys through the rebuild path
    fresh_pg, copied_pg = new_schema(pg_server, "fresh"), new_schema(pg_server, "keys")
    try:
        with store.connection(fresh_pg):
            pass
        transfer.copy_database(demo_db, copied_pg, warm=False)
        expected = indexes(fresh_pg)
        assert ("interactions_pkey", "interactions", None) in expected and len(expected) > 30
        assert indexes(copied_pg) == expected
        with store.connection(copied_pg, create=False) as db:
            first = db.conn.execute("SELECT * FROM interactions LIMIT 1").fetchone()
            with pytest.raises(sqlite3.IntegrityError):
                db.conn.execute(f"INSERT INTO interactions VALUES ({', '.join('?' * len(first))})", first)
    finally:
        drop_schema(fresh_pg)
        drop_schema(copied_pg)
    with store.connection(tmp_path / "fresh.sqlite"):
        pass
    transfer.copy_database(demo_db, tmp_path / "copied.sqlite", warm=False)
    assert indexes(tmp_path / "copied.sqlite") == indexes(tmp_path / "fresh.sqlite")


def test_a_full_disk_half_way_leaves_the_target_as_it_was(demo_db, tmp_path, monkeypatch):
    """The target's file may not grow past a few pages (SQLite's max_page_count, as a full disk): refused in
    words, rolled back."""
    target = small_db(tmp_path / "target.sqlite")
    before = snapshot(target)
    opened = transfer._connect_target

    def small_disk(address):
        db = opened(address)
        db.conn.execute("PRAGMA max_page_count = 200")
        return db

    monkeypatch.setattr(transfer, "_connect_target", small_disk)
    with pytest.raises(transfer.CopyProblem, match="full.*Nothing was written"):
        transfer.copy_database(demo_db, target, replace=True, warm=False)
    assert snapshot(target) == before


def test_one_postgresql_database_spelled_two_ways_is_refused(pg_copy):
    address, _done = pg_copy
    other = address.replace("127.0.0.1", "localhost").replace("postgres@", "postgres:anything@")
    done = cli("copy", address, other, "--replace")
    assert done.returncode == 2 and "the same database" in done.stderr and "anything" not in done.stderr


def test_keep_derived_copies_the_rollups_and_kept_results_as_fresh_on_the_target(demo_db, pg_server, tmp_path):
    """--keep-derived: the target finds the copied rollups and kept results fresh (restamped past its own
    versions, here a target whose counters were far ahead), and every report figure equals the source's."""
    from analysis import report
    from analysis.store import rollups

    address = new_schema(pg_server, "derived")
    try:
        assert cli("copy", small_db(tmp_path / "small.sqlite"), address).returncode == 0
        with store.connection(address) as db, store.transaction(db):
            for _ in range(40):
                store.bump_version(db)
            old_version, old_rows = store.data_version(db), store.rows_version(db)
        done = cli("copy", demo_db, address, "--replace", "--keep-derived", "--no-warm")
        assert done.returncode == 0, done.stderr
        with store.connection(demo_db, create=False) as db:
            kept = store.query_df(db, "SELECT key FROM aggregates")
            expected = report.report(db, Filters())
        with store.connection(address, create=False) as db:
            assert store.data_version(db) > old_version and store.rows_version(db) > old_rows
            assert rollups.fresh(db)
            stamps = store.query_df(db, "SELECT key, version FROM aggregates")
            assert sorted(stamps["key"]) == sorted(kept["key"]) and len(kept) > 10
            assert set(stamps["version"]) <= {store.rows_version(db), store.data_version(db)}
            figures = report.report(db, Filters())
        assert figures.keys() == expected.keys()
        for key, value in expected.items():
            close = pytest.approx(value, rel=1e-9, abs=1e-12) if isinstance(value, float) else value
            assert figures[key] == close, key
    finally:
        drop_schema(address)


def test_tables_are_read_and_written_in_chunks_never_whole(pg_server, tmp_path):
    """200,000 interactions (some 80 MB as Python rows) copied both ways in chunks of 5,000: the progress moves
    a chunk at a time and the Python memory at its peak is a small fraction of the table."""
    import tracemalloc

    n, chunk = 200_000, 5_000
    source = big_source(tmp_path / "big.sqlite", n)
    address = new_schema(pg_server, "chunks")
    back = tmp_path / "back.sqlite"
    try:
        for src, dst in ((source, address), (address, back)):
            steps = []
            tracemalloc.start()
            try:
                transfer.copy_database(src, dst, warm=False, chunk=chunk,
                                       progress=lambda *step, seen=steps: seen.append(step))
                _now, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            done = [d for stage, d, total in steps if stage == "copy interactions"]
            assert done[0] == 0 and done[-1] == n and len(done) == n // chunk + 1
            assert all(0 < b - a <= chunk for a, b in zip(done, done[1:]))
            assert peak < 25 * 2**20, f"{peak / 2**20:.0f} MiB at the peak"
        assert len(frame(back, "interactions")) == n
    finally:
        drop_schema(address)


def test_a_target_another_writer_holds_is_waited_for_then_refused_in_words(demo_db, tmp_path):
    target = small_db(tmp_path / "target.sqlite")
    before = snapshot(target)
    with store.connection(target) as db, store.transaction(db):  # an import under way
        env = {**os.environ, store.LOCK_TIMEOUT_ENV: "1"}
        done = subprocess.run([sys.executable, "-m", "analysis", "copy", str(demo_db), str(target), "--replace"],
                              capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert done.returncode == 2
    assert "being written by another process" in done.stderr and "Nothing was written" in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(target) == before


def test_a_nul_character_postgresql_cannot_hold_is_named_and_nothing_is_written(pg_server, tmp_path):
    """SQLite's text may hold a NUL character (Continuum's imports refuse them); PostgreSQL's cannot."""
    source = small_db(tmp_path / "source.sqlite", n=4)
    with store.connection(source) as db, store.transaction(db):
        db.conn.execute("UPDATE customers SET name = 'Ann' || char(0) || 'Lee' WHERE customer_id = 'S3'")
    with store.connection(source) as db:
        names = [r[0] for r in db.conn.execute("SELECT customer_id FROM customers").fetchall()]
    address = new_schema(pg_server, "nul")
    try:
        done = cli("copy", source, address)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert f"table customers, row {names.index('S3') + 1}, column name (a NUL character)" in done.stderr
        with store.connection(address) as db:
            assert store.scalar(db, "SELECT COUNT(*) FROM customers") == 0
    finally:
        drop_schema(address)


def test_a_server_that_goes_away_mid_copy_is_said_in_words_and_nothing_is_written(pg_server, tmp_path):
    """The target's connection is cut during the COPY (as a server restart would): a message, no traceback."""
    import psycopg

    source = big_source(tmp_path / "big.sqlite", 300_000)
    address = new_schema(pg_server, "cut")
    try:
        assert cli("copy", small_db(tmp_path / "small.sqlite"), address).returncode == 0
        before = snapshot(address)
        proc = subprocess.Popen([sys.executable, "-m", "analysis", "copy", str(source), address, "--replace"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cut = copy_running(pg_server, proc)
        if cut:
            with psycopg.connect(pg_server, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (cut,))
        _out, err = proc.communicate(timeout=120)
        assert cut, "the copy finished before its COPY could be seen"
        assert proc.returncode == 2
        assert "table interactions" in err and "Nothing was written" in err and "Traceback" not in err
        assert snapshot(address) == before
    finally:
        drop_schema(address)
