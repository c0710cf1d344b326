"""PostgreSQL as the second engine: every page, every CLI command, the report's figures equal to SQLite's on
the same demo, readers during an import, bad input and a killed import changing nothing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis import ingest, overview, store
from analysis.filters import Filters
from bench.pages import page_files
from tests import pagetest
from tests.conftest import kill_during_copy

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def snapshot(address: str) -> str:
    """A digest of every row of every table: equal digests mean nothing changed."""
    h = hashlib.sha256()
    with store.connection(address) as db:
        for line in db.conn.iterdump():
            h.update(line.encode())
    return h.hexdigest()


def interactions_csv(path: Path, customers: list[str], n: int, prefix: str = "NEW") -> Path:
    pd.DataFrame({
        "interaction_id": [f"{prefix}{i:07d}" for i in range(n)],
        "customer_id": [customers[i % len(customers)] for i in range(n)],
        "occurred_at": "2026-01-01 10:00:00", "channel": "email", "direction": "inbound", "kind": "inquiry",
    }).to_csv(path, index=False)
    return path


@pytest.fixture
def pg_loaded(pg_address, tmp_path):
    """A PostgreSQL database with 200 customers and 2,000 interactions (imported in this process)."""
    ids = [f"C{i:04d}" for i in range(200)]
    pd.DataFrame({"customer_id": ids, "name": "N", "segment": ["Value", "Premium"] * 100,
                  "region": "Europe"}).to_csv(tmp_path / "c.csv", index=False)
    with store.connection(pg_address) as db:
        ingest.import_file(db, "customers", tmp_path / "c.csv")
        ingest.import_file(db, "interactions", interactions_csv(tmp_path / "i.csv", ids, 2000, "OLD"))
    return pg_address, ids


@pytest.fixture
def pg_app_db(pg_demo_db, monkeypatch):
    monkeypatch.setenv("CONTINUUM_DB", pg_demo_db)
    return pg_demo_db


@pytest.mark.parametrize("page", page_files())
def test_every_page_renders_on_postgresql(pg_app_db, page):
    at = pagetest.open_page(page, timeout=120)
    pagetest.assert_clean(at)
    assert at.title, "every page has a title"


# A segment and a date range at once: the filtered SQL paths (rollups, cubes, joins with customers).
FILTERED = {"segment": ["Business"], "dates": ["2026-06-01", "2026-11-20"]}


@pytest.mark.parametrize("query", [{}, FILTERED], ids=["unfiltered", "segment-and-dates"])
@pytest.mark.parametrize("page", page_files())
def test_every_page_shows_the_same_figures_on_both_engines(demo_db, pg_demo_db, monkeypatch, page, query):
    """The same demo (small, seed 7) on SQLite and on PostgreSQL: each page's headline figures are equal,
    unfiltered and under a segment and a date range."""
    shown = {}
    for name, address in (("sqlite", str(demo_db)), ("postgresql", pg_demo_db)):
        monkeypatch.setenv("CONTINUUM_DB", address)
        at = pagetest.open_page(page, timeout=120, **query)
        pagetest.assert_clean(at)
        shown[name] = (pagetest.metrics(at), [w.value for w in at.warning], len(at.dataframe))
    assert shown["postgresql"] == shown["sqlite"]
    if page in ("pages/overview.py", "pages/listening.py", "pages/perception.py", "pages/service.py"):
        assert shown["sqlite"][0], "the page shows figures to compare"


def test_cli_import_and_report_on_postgresql(pg_address, tmp_path):
    """import (a table, then a built-in format) and report through --db postgresql://..."""
    (tmp_path / "c.csv").write_text("customer_id,name,segment,region,joined_at\nC1,Ann,Value,Europe,2024-01-05\n"
                                    "C2,Bob,Premium,Asia,2024-02-01\n")
    (tmp_path / "i.csv").write_text(
        "interaction_id,customer_id,thread_id,occurred_at,channel,direction,kind\n"
        "I1,C1,T1,2025-01-01 10:00:00,email,inbound,complaint\n"
        "I2,C1,T1,2025-01-01 12:30:00,email,outbound,response\n"
        "I3,C2,T2,2025-01-02 09:00:00,phone,inbound,inquiry\n")
    for table, name in (("customers", "c.csv"), ("interactions", "i.csv")):
        done = cli("import", table, tmp_path / name, "--db", pg_address)
        assert done.returncode == 0, done.stderr
        assert f"into {table}" in done.stdout
    out = cli("report", "--db", pg_address, "--json", "-")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["interactions"] == 3
    assert report["active_customers"] == 2
    assert report["conversations"] == 2 and report["unanswered_conversations"] == 1  # T2 has no answer
    assert report["service.first_response_minutes.median"] == 150.0  # 10:00 -> 12:30
    assert report["talk_share"] == pytest.approx(1 / 3)
    with store.connection(pg_address) as db:  # the event time is a real timestamp there, read back as ISO text
        assert store.scalar(db, "SELECT data_type FROM information_schema.columns WHERE table_schema = "
                                "current_schema() AND table_name = 'interactions' AND column_name = 'occurred_at'"
                            ) == "timestamp with time zone"
        assert store.scalar(db, "SELECT MIN(occurred_at) FROM interactions") == "2025-01-01 10:00:00"


def test_the_report_is_the_same_on_both_engines(demo_db, pg_demo_db):
    """Every figure of ``report`` on the same demo (small, seed 7) is equal on SQLite and PostgreSQL."""
    sq = json.loads(cli("report", "--db", demo_db, "--json", "-").stdout)
    pg = json.loads(cli("report", "--db", pg_demo_db, "--json", "-").stdout)
    assert len(sq) > 50
    assert sq.keys() == pg.keys()
    for key, value in sq.items():
        if isinstance(value, float):
            assert pg[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
        else:
            assert pg[key] == value, key


def test_demo_command_builds_on_postgresql(pg_address):
    done = cli("demo", "--db", pg_address, "--scale", "200", "--seed", "3")
    assert done.returncode == 0, done.stderr
    with store.connection(pg_address) as db:
        assert store.get_meta(db, "demo") == "scale=200 seed=3"
        assert store.table_counts(db)["customers"] > 0
    again = cli("demo", "--db", pg_address, "--if-missing")
    assert again.returncode == 0 and "kept as it is" in again.stdout


def test_bad_input_from_the_cli_changes_nothing_on_postgresql(pg_loaded, tmp_path):
    address, ids = pg_loaded
    before = snapshot(address)
    bad = tmp_path / "bad.csv"
    bad.write_text("interaction_id,customer_id,occurred_at,channel,direction\n"
                   "B1,C0001,2026-01-01 10:00,email,inbound\nB2,C0002,not a date,email,inbound\n")
    done = cli("import", "interactions", bad, "--db", address)
    assert done.returncode != 0
    assert "row 3" in done.stderr and "occurred_at" in done.stderr, done.stderr
    assert snapshot(address) == before


def test_readers_never_block_on_an_import_on_postgresql(pg_loaded, tmp_path):
    address, ids = pg_loaded
    with store.connection(address) as db:
        before = store.scalar(db, "SELECT COUNT(*) FROM interactions")
    n = 30_000
    csv = interactions_csv(tmp_path / "new.csv", ids, n)
    errors: list[str] = []
    reads = [0, 0]
    stop = threading.Event()

    def reader(slot: int) -> None:
        try:
            with store.connection(address) as c:
                while not stop.is_set():
                    count = store.scalar(c, "SELECT COUNT(*) FROM interactions")
                    if count not in (before, before + n):  # before or after the import, never half of it
                        errors.append(f"partial import visible: {count}")
                    overview.kpis(c, Filters(segments=("Value",)))
                    reads[slot] += 1
                    time.sleep(0.05)  # leave the import some of this 2-core machine
        except Exception as exc:  # noqa: BLE001 - any error is the failure we look for
            errors.append(repr(exc))

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    proc = cli("import", "interactions", csv, "--db", address)
    time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert not errors, errors[:3]
    assert min(reads) > 3, reads
    with store.connection(address) as db:
        assert store.scalar(db, "SELECT COUNT(*) FROM interactions") == before + n


def test_a_killed_import_leaves_the_database_as_it_was(pg_loaded, tmp_path, pg_server):
    """SIGKILL while the rows are being copied in: the server rolls the transaction back and frees its lock."""
    address, ids = pg_loaded
    before = snapshot(address)
    csv = interactions_csv(tmp_path / "big.csv", ids, 150_000)
    kill_during_copy(pg_server, address, ["import", "interactions", csv, "--db", address], "import")
    assert snapshot(address) == before


def test_writers_take_turns_on_postgresql(pg_address, monkeypatch):
    """A second writer waits for the first (the store's advisory lock), then gives up with the store's message."""
    monkeypatch.setenv(store.LOCK_TIMEOUT_ENV, "1")
    with store.connection(pg_address) as first, store.connection(pg_address) as second:
        with store.transaction(first):
            t0 = time.monotonic()
            with pytest.raises(store.DatabaseBusy, match="Nothing was written"):
                with store.transaction(second):
                    pass
            assert time.monotonic() - t0 >= 0.9  # it waited for the lock timeout
            # Readers are not writers: they never wait.
            assert store.scalar(second, "SELECT COUNT(*) FROM channels") == len(store.DEFAULT_CHANNELS)
        with store.transaction(second):  # free once the first has committed
            store.set_meta(second, "k", "v")
        assert store.get_meta(first, "k") == "v"


def test_an_unreachable_server_is_a_clear_message(tmp_path):
    from tests.pgserver import free_port

    address = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"
    with pytest.raises(store.StoreError, match="Cannot connect to the PostgreSQL database"):
        store.connect(address)
    done = cli("import", "customers", tmp_path / "none.csv", "--db", address)
    assert done.returncode != 0 and "Traceback" not in done.stderr


def test_bench_measures_imports_on_postgresql(pg_loaded):
    """``bench --db postgresql://...``: each table exported and imported again into a fresh schema."""
    from analysis import bench

    address, ids = pg_loaded
    result = bench.run(db=address, skip=("memory", "sentiment", "pages", "simulation"), repeat=1)
    figures = {f["name"]: f for f in result["figures"]}
    assert result["data"]["rows"]["interactions"] == 2000
    imported = figures["import interactions (2,000 rows)"]
    assert imported["value"] > 0 and imported["unit"] == "rows/s"
    assert "import customers (200 rows)" in figures
    import psycopg

    with psycopg.connect(address.split("?")[0]) as conn:  # the scratch schema is gone
        assert not conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                                (f"continuum_bench_import_{os.getpid()}",)).fetchone()


def test_rescore_command_on_postgresql(pg_loaded, tmp_path):
    """rescore --db postgresql://...: a stale machine score is written again; the same text scores the same."""
    address, ids = pg_loaded
    (tmp_path / "p.csv").write_text("post_id,platform,author_handle,created_at,text\n"
                                    "P1,x,ann,2026-01-01 10:00:00,I love this great service\n"
                                    "P2,x,bob,2026-01-02 10:00:00,I love this great service\n"
                                    "P3,x,cat,2026-01-03 10:00:00,Terrible and slow\n")
    with store.connection(address) as db:
        ingest.import_file(db, "posts", tmp_path / "p.csv")
        scores = dict(db.conn.execute("SELECT post_id, sentiment FROM posts").fetchall())
        assert scores["P1"] == scores["P2"] > 0.5 and scores["P3"] < 0
        with store.transaction(db):  # a score left by an older scorer
            db.conn.execute("UPDATE posts SET sentiment = 0, sentiment_vader = 0 WHERE post_id = 'P2'")
    done = cli("rescore", "--db", address)
    assert done.returncode == 0, done.stderr
    # One distinct text changed score (P1 and P2's); both its posts are written.
    assert "Rescored 2 distinct texts" in done.stdout and "1 changed score, 2 posts updated" in done.stdout
    with store.connection(address) as db:
        assert store.scalar(db, "SELECT sentiment FROM posts WHERE post_id = 'P2'") == scores["P1"]


def test_data_page_imports_into_postgresql_and_saves_a_scenario(pg_loaded, monkeypatch):
    """The app's own writes on PostgreSQL: an import on the Data page (then a refused file changing nothing),
    and a view saved as a scenario."""
    from analysis import scenarios
    from analysis.store import rollups

    address, ids = pg_loaded
    monkeypatch.setenv("CONTINUUM_DB", address)
    at = pagetest.open_page("pages/data.py")
    at.selectbox(key="import_table").select("interactions").run()
    good = ("interaction_id,customer_id,thread_id,occurred_at,channel,direction,kind\n"
            f"UP1,{ids[0]},TUP,2026-01-05 10:00,email,inbound,complaint\n"
            f"UP2,{ids[0]},TUP,2026-01-06 09:00,email,outbound,response\n").encode()
    at.file_uploader(key="import_file").upload("two.csv", good, "text/csv")
    at.run()
    at.button(key="import_go").click().run()
    pagetest.assert_clean(at)
    assert any(pagetest.plain(s.value).startswith("Imported 2 rows into interactions from two.csv")
               for s in at.success), [s.value for s in at.success]
    with store.connection(address) as db:
        assert store.scalar(db, "SELECT COUNT(*) FROM interactions") == 2002
        assert rollups.fresh(db)
    bad = f"interaction_id,customer_id,occurred_at,channel,direction\nUP3,{ids[0]},someday,email,inbound\n".encode()
    at.file_uploader(key="import_file").upload("bad.csv", bad, "text/csv")
    at.run()
    at.button(key="import_go").click().run()
    assert at.error and "bad.csv, row 2, column 'occurred_at'" in pagetest.plain(at.error[0].value)
    with store.connection(address) as db:
        assert store.scalar(db, "SELECT COUNT(*) FROM interactions") == 2002
        scenarios.save(db, "Value customers", "overview", {"segment": ["Value"]}, "on PostgreSQL")
        assert scenarios.load(db, "Value customers").notes == "on PostgreSQL"
        assert list(scenarios.list_scenarios(db)["name"]) == ["Value customers"]
