"""Issue #14: writers that wait for each other, databases from elsewhere or from older versions,
read-only files, and kept results or saved scenarios that cannot be read back."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis import ingest, scenarios, store
from analysis.store import aggregates
from tests.pagetest import plain

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS = "customer_id,name\nC1,Ann\nC2,Bob\n"
INTERACTIONS = ("interaction_id,customer_id,occurred_at,channel,direction\n"
                "I1,C1,2025-01-01 10:00:00,phone,inbound\nI2,C2,2025-01-02 11:00:00,chat,inbound\n")


def cli(*args, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, env={**os.environ, **(env or {})})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def with_customers(tmp_path):
    path = tmp_path / "crm.sqlite"
    db = store.connect(path)
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    ingest.import_file(db, "customers", tmp_path / "c.csv")
    db.close()
    (tmp_path / "i.csv").write_text(INTERACTIONS)
    return path


class Holder:
    """Another writer: holds the write lock of ``path`` (as an import in progress does) until released."""

    def __init__(self, path: Path):
        self.path = path
        self.locked, self.released = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO meta (key, value) VALUES ('holder', '1') "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        self.locked.set()
        self.released.wait(120)
        conn.execute("COMMIT")
        conn.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(10)
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.thread.join(30)


def wait_for(stream, text: str, seconds: float = 120) -> str:
    """Read ``stream`` (a process's stderr) until ``text`` appears; what was read."""
    seen = ""
    deadline = time.monotonic() + seconds
    while text not in seen and time.monotonic() < deadline:
        chunk = stream.read(1)
        if not chunk:
            break
        seen += chunk
    return seen


# -- 1. writers take the write lock up front and wait -------------------------------------------

def test_a_second_cli_import_waits_for_the_first_and_says_so(with_customers, tmp_path):
    with Holder(with_customers) as holder:
        proc = subprocess.Popen([sys.executable, "-m", "analysis", "import", "interactions", str(tmp_path / "i.csv"),
                                 "--db", str(with_customers)], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        seen = wait_for(proc.stderr, "waiting for another import or demo build to finish")
        assert "waiting for another import or demo build to finish" in seen  # shown while it waits
        time.sleep(1.5)
        assert proc.poll() is None  # still waiting, not failed
        holder.released.set()
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, seen + err
    assert "Imported 2 rows into interactions" in out
    conn = store.connect(with_customers)
    assert store.scalar(conn, "SELECT COUNT(*) FROM interactions") == 2
    conn.close()


def test_a_wait_that_runs_out_is_a_clear_error_and_writes_nothing(with_customers, tmp_path):
    with Holder(with_customers):
        proc = cli("import", "interactions", str(tmp_path / "i.csv"), "--db", str(with_customers),
                   env={"CONTINUUM_LOCK_TIMEOUT": "1"})
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "is being written by another process" in proc.stderr and "Nothing was written" in proc.stderr
    assert "CONTINUUM_LOCK_TIMEOUT" in proc.stderr
    conn = store.connect(with_customers)
    assert store.scalar(conn, "SELECT COUNT(*) FROM interactions") == 0
    conn.close()


def test_an_upload_during_an_import_reports_the_wait_through_progress(with_customers, tmp_path):
    # The Data page shows the stages an import reports; waiting for the lock is one of them.
    seen = []
    db = store.connect(with_customers)
    with Holder(with_customers) as holder:
        threading.Timer(2.0, holder.released.set).start()
        ingest.import_file(db, "interactions", tmp_path / "i.csv", progress=lambda s, d, t: seen.append((s, d, t)))
    waits = [x for x in seen if x[0] == ingest.WAITING]
    assert len(waits) >= 2 and waits[0][2] == int(store.lock_timeout())  # about once a second
    assert store.scalar(db, "SELECT COUNT(*) FROM interactions") == 2
    db.close()


def test_every_transaction_takes_the_lock_before_reading(tmp_path):
    db = store.connect(tmp_path / "t.sqlite")
    statements = []
    db.conn.set_trace_callback(statements.append)
    with db.atomic():
        store.scalar(db, "SELECT COUNT(*) FROM customers")
    assert statements[1] == "BEGIN IMMEDIATE"  # after the busy-timeout pragma
    db.close()


# -- 4. older versions and databases from elsewhere ----------------------------------------------

OLD_POSTS = """CREATE TABLE posts (post_id TEXT PRIMARY KEY, platform TEXT NOT NULL, author_handle TEXT NOT NULL,
    created_at TEXT NOT NULL, text TEXT, reply_to TEXT, reshare_of TEXT, likes INTEGER, sentiment REAL)"""


def old_database(path: Path) -> None:
    """A database as the first release wrote it: posts without the correction columns, no schema version."""
    store.connect(path).close()
    conn = sqlite3.connect(path)
    conn.executescript("DROP TABLE posts;" + OLD_POSTS + ";"
                       "INSERT INTO posts VALUES ('p1', 'x', 'ann', '2025-01-01 10:00:00', 'hi', NULL, NULL, 3, 0.5);"
                       "PRAGMA user_version = 0;")
    conn.close()


def test_an_older_schema_is_migrated_on_open(tmp_path):
    path = tmp_path / "old.sqlite"
    old_database(path)
    db = store.connect(path)
    cols = {r[1] for r in db.conn.execute("PRAGMA table_info(posts)")}
    assert {"sentiment_vader", "sentiment_corrected"} <= cols
    assert store.scalar(db, "PRAGMA user_version") == store.SCHEMA_VERSION == 1 + len(store.COLUMNS_ADDED)
    assert store.query_df(db, "SELECT post_id, sentiment, sentiment_corrected FROM posts").values.tolist() == [
        ["p1", 0.5, 0]]
    db.close()


def test_adding_a_column_is_one_line(tmp_path, monkeypatch):
    path = tmp_path / "crm.sqlite"
    store.connect(path).close()
    monkeypatch.setattr(store, "COLUMNS_ADDED", [*store.COLUMNS_ADDED, ("interactions", "account_x", "TEXT")])
    monkeypatch.setattr(store, "SCHEMA_VERSION", 1 + len(store.COLUMNS_ADDED))
    db = store.connect(path)
    assert "account_x" in {r[1] for r in db.conn.execute("PRAGMA table_info(interactions)")}
    assert store.scalar(db, "PRAGMA user_version") == store.SCHEMA_VERSION
    db.close()


def test_a_current_schema_runs_no_ddl_on_connect(tmp_path, monkeypatch):
    path = tmp_path / "crm.sqlite"
    store.connect(path).close()
    statements = []
    real = store.Database.__init__

    def traced(self, *a, **kw):
        real(self, *a, **kw)
        self.conn.set_trace_callback(statements.append)

    monkeypatch.setattr(store.Database, "__init__", traced)
    store.connect(path).close()
    writes = [s for s in statements if s.split()[0].upper() in ("CREATE", "ALTER", "INSERT", "DROP", "BEGIN")]
    assert not writes


def test_an_unreadable_kept_result_is_a_miss(demo_db_copy):
    db = store.connect(demo_db_copy)
    version = store.rows_version(db)
    aggregates.save(db, "k.frame", version, pd.DataFrame({"a": [1, 2]}))
    aggregates.save(db, "k.json", version, {"a": 1})
    db.conn.execute("UPDATE aggregates SET data = X'00FF' WHERE key = 'k.frame'")
    db.conn.execute("UPDATE aggregates SET data = CAST('{not json' AS BLOB) WHERE key = 'k.json'")
    db.conn.execute("INSERT INTO aggregates VALUES ('k.other', ?, 'pickle', X'80')", (version,))
    db.conn.commit()
    assert aggregates.load(db, "k.frame", version) is None
    assert aggregates.load(db, "k.json", version) is None
    assert aggregates.load(db, "k.other", version) is None
    assert aggregates.memo(db, "k.json", lambda: {"a": 2}) == {"a": 2}  # computed again, and kept
    assert aggregates.load(db, "k.json", version) == {"a": 2}
    db.close()


@pytest.mark.parametrize("params", ["{not json", "[1, 2]", '{"a": {"b": 1}}', "9" * 5000, "[" * 100_000])
def test_a_scenario_with_unreadable_settings_never_raises(engine_db, params):
    db = engine_db  # on SQLite and on PostgreSQL
    scenarios.save(db, "Good", "overview", {"segment": "Value"})
    scenarios.save(db, "Broken", "overview", {"segment": "Value"})
    db.conn.execute("UPDATE scenarios SET params = ? WHERE name = 'Broken'", (params,))
    listed = scenarios.list_scenarios(db).set_index("name")
    assert set(listed.index) == {"Good", "Broken"}
    assert "cannot be read" in listed.loc["Broken", "problem"]
    assert listed.loc["Good", "problem"] == ""
    broken = scenarios.load(db, "Broken")
    assert broken.params == {}
    assert scenarios.load(db, "Good").params == {"segment": "Value"}
    assert scenarios.delete(db, "Broken")


def corrupted(tmp_path: Path) -> Path:
    path = tmp_path / "damaged.sqlite"
    store.connect(path).close()
    data = bytearray(path.read_bytes())
    data[100:4000] = b"\xff" * 3900  # the schema page
    path.write_bytes(bytes(data))
    return path


def not_databases(tmp_path: Path) -> dict[str, Path]:
    text = tmp_path / "notes.txt"
    text.write_text("name,email\nAnn,ann@example.com\n")
    folder = tmp_path / "folder.sqlite"
    folder.mkdir()
    foreign = tmp_path / "other.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE songs (title TEXT)")
    return {"text file": text, "directory": folder, "damaged file": corrupted(tmp_path), "foreign": foreign}


def test_cli_says_clearly_when_the_path_is_not_a_continuum_database(tmp_path):
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    for kind, path in not_databases(tmp_path).items():
        before = digest(path) if path.is_file() else None
        proc = cli("import", "customers", str(tmp_path / "c.csv"), "--db", str(path))
        assert proc.returncode == 2, kind
        assert "Traceback" not in proc.stderr, (kind, proc.stderr)
        assert f"{path} cannot be opened as a Continuum database" in proc.stderr, (kind, proc.stderr)
        if before:
            assert digest(path) == before, kind  # left exactly as it was


def test_pages_say_clearly_when_the_path_is_not_a_continuum_database(tmp_path, monkeypatch):
    for kind, path in not_databases(tmp_path).items():
        monkeypatch.setenv("CONTINUUM_DB", str(path))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert not at.exception, (kind, [e.value for e in at.exception])
        assert any("cannot be opened as a Continuum database" in e.value for e in at.error), kind


# -- 5. a read-only database opens read-only ------------------------------------------------------

@pytest.fixture
def read_only_db(demo_db, tmp_path):
    """A copy of the demo database that this process cannot write (chattr +i when running as root)."""
    path = tmp_path / "ro.sqlite"
    shutil.copy(demo_db, path)
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
            pytest.skip("cannot make a file read-only for root here (no chattr +i)")
    else:
        path.chmod(0o444)
    assert not os.access(path, os.W_OK)
    yield path
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)])
    path.chmod(0o644)


def test_a_read_only_database_opens_read_only(read_only_db, tmp_path):
    before = digest(read_only_db)
    db = store.connect(read_only_db)
    assert db.read_only
    assert store.scalar(db, "SELECT COUNT(*) FROM customers") > 0
    (tmp_path / "c.csv").write_text("customer_id\nZ1\n")
    with pytest.raises(store.ReadOnlyDatabase, match="read-only"):
        ingest.import_file(db, "customers", tmp_path / "c.csv")
    db.close()
    assert digest(read_only_db) == before


def test_a_write_refused_on_a_read_only_database_is_a_message_not_a_traceback(read_only_db, monkeypatch):
    """Any page's write on a read-only file (a correction, a publicness edit, a saved view) ends in the
    store's own message (``ui.connection`` and ``ui.cached`` show it), with the file untouched."""
    from analysis import overview

    monkeypatch.setenv("CONTINUUM_DB", str(read_only_db))
    monkeypatch.setattr(overview, "view", _write_a_setting)
    before = digest(read_only_db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("read-only" in plain(e.value) and "Nothing was written" in plain(e.value) for e in at.error)
    assert digest(read_only_db) == before


def _write_a_setting(db, *args, **kwargs):
    store.set_publicness(db, "email", 0.3)  # a setting a workshop edits: refused on a read-only file


def test_pages_show_a_read_only_database_with_writing_off(read_only_db, monkeypatch):
    monkeypatch.setenv("CONTINUUM_DB", str(read_only_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("read-only" in plain(i.value) for i in at.info)
    at.switch_page("pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="import_go").disabled
