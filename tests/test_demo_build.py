"""Issue #14: a demo build is never left half-built, and two builds of one database take turns."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis import demo, ingest, store

ROOT = Path(__file__).resolve().parents[1]
SMALL = demo.SCALES["small"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def demo_cli(path: Path, *flags: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "analysis", "demo", "--db", str(path), "--scale", "small", *flags],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.glob(f".{path.name}.building-*"))


def test_two_make_run_builds_of_one_new_database_take_turns(tmp_path):
    path = tmp_path / "data" / "continuum.sqlite"
    procs = [demo_cli(path, "--if-missing") for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "Traceback" not in err and "locked" not in err
    # One built it, the other found it complete once the first had finished.
    assert sum("already holds a complete demo database" in out for out, _ in outs) == 1
    assert demo.status(path) == "complete"
    conn = store.connect(path)
    assert store.scalar(conn, "SELECT COUNT(*) FROM customers") == SMALL["customers"]
    assert store.scalar(conn, "SELECT COUNT(*) FROM posts WHERE sentiment IS NULL AND text IS NOT NULL") == 0
    conn.close()
    assert leftovers(path) == []


def test_a_killed_build_leaves_nothing_and_the_next_start_builds_it(tmp_path):
    path = tmp_path / "continuum.sqlite"
    proc = demo_cli(path)
    deadline = time.monotonic() + 120
    while not leftovers(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers(path), "the build writes a temporary file first"
    time.sleep(1.0)  # into the write of the tables
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert not path.exists()  # no half-built database where the app looks
    assert demo.status(path) == "missing"
    found, report = demo.ensure(path, scale="small")
    assert found == "missing" and report.counts["customers"] == SMALL["customers"]
    assert demo.status(path) == "complete"
    assert leftovers(path) == []  # the killed build's temporary file is gone too


def test_an_error_during_a_build_leaves_the_path_as_it_was(tmp_path, monkeypatch):
    def broken(*a, **kw):
        raise KeyboardInterrupt  # as Ctrl-C during sentiment scoring

    monkeypatch.setattr(ingest, "import_frame", broken)
    new = tmp_path / "new.sqlite"
    with pytest.raises(KeyboardInterrupt):
        demo.build(new, scale="small")
    assert not new.exists() and leftovers(new) == []
    # Into an existing database: one transaction, so it keeps exactly the rows it had.
    mine = tmp_path / "mine.sqlite"
    db = store.connect(mine)
    store.upsert_rows(db, "customers", [{"customer_id": "X1", "name": "Mine"}])
    before = store.query_df(db, "SELECT * FROM customers").values.tolist()
    with pytest.raises(KeyboardInterrupt):
        demo.build(mine, scale="small")
    assert store.query_df(db, "SELECT * FROM customers").values.tolist() == before
    assert store.scalar(db, "SELECT COUNT(*) FROM interactions") == 0
    db.close()


def test_an_older_versions_half_built_demo_is_moved_aside_and_rebuilt(demo_db_copy):
    with sqlite3.connect(demo_db_copy) as conn:  # as the old builder left it when killed during posts
        conn.execute("DELETE FROM posts")
        conn.execute("DELETE FROM follows")
        conn.execute("DELETE FROM survey_responses")
        conn.execute("DELETE FROM brand_accounts")
        conn.execute("DELETE FROM meta WHERE key = 'demo'")
    assert demo.status(demo_db_copy) == "incomplete"
    proc = subprocess.run([sys.executable, "-m", "analysis", "demo", "--db", str(demo_db_copy), "--scale", "small",
                           "--if-missing"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "interrupted demo build" in proc.stdout
    assert demo.status(demo_db_copy) == "complete"
    assert list(demo_db_copy.parent.glob(f"{demo_db_copy.name}.incomplete-*"))  # kept, not deleted


def test_someones_own_data_is_never_replaced(tmp_path):
    path = tmp_path / "crm.sqlite"
    db = store.connect(path)
    store.upsert_rows(db, "customers", [{"customer_id": "C000001", "name": "Ann"}])
    db.close()
    before = digest(path)
    assert demo.status(path) == "data"
    assert demo.ensure(path, scale="small") == ("data", None)
    assert digest(path) == before
    assert not list(tmp_path.glob("*.incomplete-*"))
