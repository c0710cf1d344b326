"""Shared fixtures: a fresh database per test (SQLite in memory, or a PostgreSQL schema), one small demo
database per session on each engine, and the throwaway PostgreSQL server the PostgreSQL tests use."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis import demo, store
from tests import pgserver

ENGINES = ["sqlite", "postgresql"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def db():
    conn = store.memory_db()
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """A small demo database built once; tests must not write to it (use ``demo_db_copy``)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    demo.build(path, scale="small", seed=7)
    return path


@pytest.fixture
def demo_db_copy(demo_db, tmp_path):
    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture
def app_db(demo_db, monkeypatch):
    """Point the app (AppTest runs in this process) at the shared small demo database."""
    monkeypatch.setenv("CONTINUUM_DB", str(demo_db))
    return demo_db


# --- PostgreSQL -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_server():
    """The address of a PostgreSQL server's maintenance database: $CONTINUUM_TEST_PG if set, else a
    throwaway cluster started for this session (stopped and removed at its end). Without a server the
    PostgreSQL tests are skipped with the reason, except when CI=true: then they fail."""
    given = os.environ.get("CONTINUUM_TEST_PG")
    if given:
        yield given
        return
    try:
        server = pgserver.Server().start()
    except pgserver.ServerUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required when CI=true and could not be started: {exc}")
        pytest.skip(f"no PostgreSQL server for the PostgreSQL tests: {exc}")
    yield server.address
    server.stop()


_SCHEMAS = itertools.count()


def new_schema(server: str, prefix: str = "t") -> str:
    """A new empty schema on the server; returns the address whose search_path is that schema.

    A schema per test isolates tests as a fresh file does for SQLite, in ~10 ms (a new database takes ~1 s),
    and gives each test its own address, so nothing kept per address in a process leaks between tests."""
    import psycopg

    name = f"{prefix}{os.getpid()}_{next(_SCHEMAS)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    return f"{server}?options=-csearch_path%3D{name}"


def drop_schema(address: str) -> None:
    import psycopg

    server, _, query = address.partition("?")
    name = query.rsplit("%3D", 1)[-1]
    try:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '5s'")
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    except psycopg.Error:
        pass  # a connection a test left open holds a lock: the cluster is thrown away anyway


def copy_running(server: str, proc: subprocess.Popen, timeout: float = 120.0) -> int | None:
    """The server's process id of the COPY into ``interactions`` that ``proc`` (an import or a copy into the
    PostgreSQL ``server``) sends, watched for until it runs; None when ``proc`` ended or ``timeout`` passed
    first (the rows went in too fast to be caught)."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as watch:
        t0 = time.monotonic()
        while proc.poll() is None and time.monotonic() - t0 < timeout:
            row = watch.execute("SELECT pid FROM pg_stat_activity WHERE state = 'active' "
                                "AND query LIKE 'COPY%%interactions%%'").fetchone()
            if row:
                return int(row[0])
            time.sleep(0.01)
    return None


def kill_during_copy(server: str, address: str, command: list[str], what: str, settle: float = 0.0) -> None:
    """Run ``python -m analysis *command`` (writing to ``address`` on ``server``), SIGKILL it ``settle``
    seconds after its COPY into interactions starts, and wait until the server has rolled it back and freed
    the writer lock. Fails when the COPY was never seen or the process did not die of the signal."""
    proc = subprocess.Popen([sys.executable, "-m", "analysis", *map(str, command)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    caught = None
    try:
        caught = copy_running(server, proc)
        if caught:
            time.sleep(settle)
            os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None and not caught:
            proc.kill()
        proc.wait(timeout=30)
    assert caught, f"the {what} finished before its COPY could be seen"
    assert proc.returncode == -signal.SIGKILL
    wait_for_writer_lock(address, what)


def wait_for_writer_lock(address: str, what: str, timeout: float = 30.0) -> None:
    """Wait until a writer may take the database's lock: after a killed writer, the server notices the
    closed connection, rolls back and frees the lock. Fails when ``what`` (the killed writer, in words)
    still holds it after ``timeout`` seconds."""
    with store.connection(address) as db:
        t0 = time.monotonic()
        while True:
            try:
                with store.transaction(db, wait=False):
                    pass
                return
            except store.DatabaseBusy:
                assert time.monotonic() - t0 < timeout, f"the killed {what}'s lock was never released"
                time.sleep(0.1)


@pytest.fixture
def pg_address(pg_server):
    """The address of a fresh, empty PostgreSQL database (a schema of its own)."""
    address = new_schema(pg_server)
    yield address
    drop_schema(address)


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


@pytest.fixture
def engine_address(engine, request, tmp_path) -> str:
    """A fresh empty database on each engine: an SQLite file path, or a PostgreSQL address."""
    if engine == "sqlite":
        return str(tmp_path / "engine.sqlite")
    return request.getfixturevalue("pg_address")


@pytest.fixture
def engine_db(engine, request):
    """``db`` on each engine: SQLite in memory, then a fresh PostgreSQL schema."""
    conn = store.memory_db() if engine == "sqlite" else store.connect(request.getfixturevalue("pg_address"))
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def pg_demo_db(pg_server):
    """The small demo (seed 7) on PostgreSQL, built once; tests must not write to it."""
    address = new_schema(pg_server, "demo")
    demo.build(address, scale="small", seed=7)
    return address


@pytest.fixture
def engine_demo_db(engine, request):
    """The shared small demo on each engine (read-only for tests)."""
    return request.getfixturevalue("demo_db" if engine == "sqlite" else "pg_demo_db")


@pytest.fixture
def engine_app_db(engine_demo_db, monkeypatch):
    """Point the app at the shared small demo on each engine."""
    monkeypatch.setenv("CONTINUUM_DB", str(engine_demo_db))
    return engine_demo_db


def copy_database(source: str, server: str) -> str:
    """A private, writable copy of the PostgreSQL database at ``source`` (a schema): a new schema made by the
    store (tables, keys, functions, indexes), then every table's rows copied on the server (about a second;
    building the demo again takes ten)."""
    import psycopg

    address = new_schema(server, "copy")
    store.connect(address).close()
    src, dst = source.rsplit("%3D", 1)[-1], address.rsplit("%3D", 1)[-1]
    with psycopg.connect(server, autocommit=True) as conn, conn.transaction():
        tables = [r[0] for r in conn.execute(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = %s "
            "AND table_type = 'BASE TABLE'", (src,)).fetchall()]
        conn.execute("TRUNCATE " + ", ".join(f'"{dst}"."{t}"' for t in tables))
        for t in tables:
            cols = ", ".join(f'"{r[0]}"' for r in conn.execute(
                "SELECT column_name::text FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = %s ORDER BY ordinal_position", (src, t)).fetchall())
            conn.execute(f'INSERT INTO "{dst}"."{t}" ({cols}) OVERRIDING SYSTEM VALUE SELECT {cols} FROM "{src}"."{t}"')
        for t, column in conn.execute(
                "SELECT table_name::text, column_name::text FROM information_schema.columns "
                "WHERE table_schema = %s AND is_identity = 'YES'", (dst,)).fetchall():
            conn.execute(f'SELECT setval(pg_get_serial_sequence(%s, %s), '
                         f'COALESCE((SELECT MAX("{column}") FROM "{dst}"."{t}"), 0) + 1, false)',
                         (f'"{dst}"."{t}"', column))
    return address


@pytest.fixture
def pg_demo_copy(pg_demo_db, pg_server):
    """A private copy of the PostgreSQL demo to write to (the PostgreSQL ``demo_db_copy``)."""
    address = copy_database(pg_demo_db, pg_server)
    yield address
    drop_schema(address)


@pytest.fixture
def engine_demo_copy(engine, request):
    """A private copy of the small demo to write to, on each engine."""
    return request.getfixturevalue("demo_db_copy" if engine == "sqlite" else "pg_demo_copy")
