"""A PostgreSQL user who may not write (granted SELECT only, or whose transactions are read-only) gets the
store's own read-only message, as a read-only SQLite file does: from the CLI's import, from a page's write
(saving a view), and from a write the server refuses after connecting; nothing changes, no traceback, and
every page still reads for that user."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import ingest, kind_vocabulary, scenarios, store
from bench.pages import page_files
from tests import pagetest
from tests.test_postgres import snapshot

ROOT = Path(__file__).resolve().parents[1]
_ROLES = itertools.count()


def schema_of(address: str) -> str:
    return address.rsplit("%3D", 1)[-1]


def as_user(address: str, user: str) -> str:
    """The same database and schema, logged in as ``user``."""
    return re.sub(r"://[^@/]+@", f"://{user}@", address, count=1)


def make_role(address: str, kind: str) -> str:
    """A login role that may read the schema of ``address`` but not write it, in one of two ways:
    ``select``: granted SELECT only; ``read_only``: granted every right, but its sessions' transactions
    are read-only (``default_transaction_read_only``)."""
    import psycopg

    role, schema = f"ro_{kind}_{os.getpid()}_{next(_ROLES)}", schema_of(address)
    with psycopg.connect(address.split("?", 1)[0], autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        if kind == "select":
            conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
        else:
            conn.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
            conn.execute(f'GRANT CREATE ON SCHEMA "{schema}" TO "{role}"')
            conn.execute(f'ALTER ROLE "{role}" SET default_transaction_read_only = on')
    return role


def drop_role(address: str, role: str) -> None:
    import psycopg

    with psycopg.connect(address.split("?", 1)[0], autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE "{role}"')


@pytest.fixture(params=["select", "read_only"])
def reader(request, pg_address, tmp_path):
    """(owner's address, the reader's address, the reader's name) on a database with two customers."""
    (tmp_path / "c.csv").write_text("customer_id,name,segment\nC1,Ann,Value\nC2,Bob,Premium\n")
    with store.connection(pg_address) as db:
        ingest.import_file(db, "customers", tmp_path / "c.csv")
    role = make_role(pg_address, request.param)
    yield pg_address, as_user(pg_address, role), role
    drop_role(pg_address, role)


@pytest.fixture
def demo_reader(pg_demo_db, monkeypatch):
    """The shared PostgreSQL demo, opened by the app as a user granted SELECT only."""
    role = make_role(pg_demo_db, "select")
    address = as_user(pg_demo_db, role)
    monkeypatch.setenv("CONTINUUM_DB", address)
    yield pg_demo_db, address, role
    drop_role(pg_demo_db, role)


def refused(text: str, role: str) -> bool:
    text = pagetest.plain(text)
    return f"is read-only for the PostgreSQL user {role}" in text and "Nothing was written" in text


def test_a_reader_connects_read_only_and_an_import_is_refused(reader, tmp_path):
    owner, address, role = reader
    before = snapshot(owner)
    (tmp_path / "more.csv").write_text("customer_id,name\nC3,Cid\n")
    with store.connection(address) as db:
        assert db.read_only
        assert store.scalar(db, "SELECT COUNT(*) FROM customers") == 2  # reading works
        with pytest.raises(store.ReadOnlyDatabase) as err:
            ingest.import_file(db, "customers", tmp_path / "more.csv")
    assert refused(str(err.value), role), str(err.value)
    with store.connection(address) as db:  # the settings a workshop edits, and a saved view: the same refusal
        for write in (lambda: store.set_publicness(db, "email", 0.3),
                      lambda: kind_vocabulary.set_kind(db, "complaint", "other"),
                      lambda: scenarios.save(db, "Value", "overview", {"segment": ["Value"]})):
            with pytest.raises(store.ReadOnlyDatabase, match="Nothing was written"):
                write()
    assert "***" not in str(err.value) and "127.0.0.1" in str(err.value)  # where, without a password to hide
    reason = store.read_only_reason(address)
    assert reason and "importing, correcting scores, editing channels and saving scenarios are turned off" in reason
    assert store.read_only_reason(owner) is None  # the owner writes
    assert snapshot(owner) == before


def test_rights_revoked_after_connecting_give_the_same_message(pg_address, tmp_path):
    """A write the server itself refuses (not foreseen on connecting) is the same ReadOnlyDatabase, rolled back."""
    import psycopg

    (tmp_path / "c.csv").write_text("customer_id,name\nC1,Ann\n")
    with store.connection(pg_address) as db:
        ingest.import_file(db, "customers", tmp_path / "c.csv")
    role = make_role(pg_address, "select")
    schema = schema_of(pg_address)
    try:
        with psycopg.connect(pg_address.split("?", 1)[0], autocommit=True) as conn:
            conn.execute(f'GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
        before = snapshot(pg_address)
        with store.connection(as_user(pg_address, role)) as db:
            assert not db.read_only  # it may write, for now
            with psycopg.connect(pg_address.split("?", 1)[0], autocommit=True) as conn:
                conn.execute(f'REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"')
            (tmp_path / "more.csv").write_text("customer_id,name\nC2,Bob\n")
            with pytest.raises(store.ReadOnlyDatabase) as err:
                ingest.import_file(db, "customers", tmp_path / "more.csv")
            assert not db.conn.in_transaction  # rolled back; the connection is usable
            assert store.scalar(db, "SELECT COUNT(*) FROM customers") == 1
        assert refused(str(err.value), role) and "permission denied for table" in str(err.value)
        assert snapshot(pg_address) == before
    finally:
        drop_role(pg_address, role)


def test_the_cli_import_says_read_only_and_changes_nothing(reader, tmp_path):
    owner, address, role = reader
    before = snapshot(owner)
    (tmp_path / "more.csv").write_text("customer_id,name\nC3,Cid\n")
    done = subprocess.run([sys.executable, "-m", "analysis", "import", "customers", str(tmp_path / "more.csv"),
                           "--db", address], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 2, done.stderr
    assert refused(done.stderr, role), done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(owner) == before


def test_saving_a_view_as_a_reader_shows_the_message_not_a_traceback(demo_reader):
    owner, _address, role = demo_reader
    with store.connection(owner) as db:
        saved = list(scenarios.list_scenarios(db)["name"])
    before = snapshot(owner)
    at = pagetest.open_page("pages/overview.py", segment="Value")
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"read-only for the PostgreSQL user {role}" in pagetest.plain(i.value) and "turned off" in i.value
               for i in at.info), [i.value for i in at.info]  # the banner, before anyone tries
    at.text_input[0].input("Value customers")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(refused(e.value, role) for e in at.error), [e.value for e in at.error]
    assert not at.success
    with store.connection(owner) as db:
        assert list(scenarios.list_scenarios(db)["name"]) == saved
    assert snapshot(owner) == before


def test_the_data_page_turns_writing_off_for_a_reader(demo_reader):
    at = pagetest.open_page("pages/data.py")
    assert not at.exception, [e.value for e in at.exception]
    assert any("Importing and editing are off" in w.value and "read-only for the PostgreSQL user" in
               pagetest.plain(w.value) for w in at.warning)
    assert at.button(key="import_go").disabled and at.button(key="brand_save").disabled
    assert at.button(key="save_kinds").disabled


@pytest.mark.parametrize("page", page_files())
def test_every_page_reads_for_a_reader(demo_reader, page):
    at = pagetest.open_page(page, timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_a_reader_sees_the_default_motive_lexicon_without_seeding_it(reader):
    """The lexicon is seeded on first use by a writer; a reader is shown the same defaults, writing nothing."""
    from analysis.store import perception as sp

    owner, address, _role = reader
    before = snapshot(owner)
    with store.connection(address) as db:
        shown = sp.lexicon(db)
    assert snapshot(owner) == before
    with store.connection(owner) as db:
        seeded = sp.lexicon(db)
        assert store.scalar(db, "SELECT COUNT(*) FROM motive_lexicon") == len(seeded) > 0
    assert shown.to_dict("records") == seeded.to_dict("records")


def test_a_table_the_user_may_not_read_is_a_message_naming_the_grant(demo_reader, monkeypatch):
    """A role missing SELECT on a table: the page that reads it says so (which grant), never a traceback, and
    never calls a refused read a write."""
    import psycopg

    owner, _address, role = demo_reader
    with psycopg.connect(owner.split("?", 1)[0], autocommit=True) as conn:
        conn.execute(f'REVOKE SELECT ON "{schema_of(owner)}".posts FROM "{role}"')
    at = pagetest.open_page("pages/listening.py")
    assert not at.exception, [e.value for e in at.exception]
    shown = [pagetest.plain(e.value) for e in at.error]
    assert any(f"cannot be read by the PostgreSQL user {role}" in e and "permission denied for table posts" in e
               and "GRANT SELECT" in e for e in shown), shown
    assert not any("Nothing was written" in e for e in shown)
