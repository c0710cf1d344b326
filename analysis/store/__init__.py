"""The only door to the database: schema, connections, writes and the shared reads.

Concern-specific queries live in sibling modules of this package
(``analysis.store.<concern>``); nothing outside ``analysis.store`` runs SQL.
SQLite is the default engine; a ``postgresql://`` address selects PostgreSQL, reached through
``analysis.store.pg``, which translates the same queries (written once, in SQLite's dialect) for it.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import sqlite_utils

from analysis.store import pg  # the PostgreSQL dialect (imports nothing of the store at load)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = PROJECT_ROOT / "data" / "continuum.sqlite"

# Tables, their key columns and their columns in order. The data model other
# modules (and the issues' checks) rely on: keep these names.
SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    customer_id TEXT PRIMARY KEY,
    name TEXT,
    email TEXT,
    segment TEXT,
    region TEXT,
    joined_at TEXT,
    lifetime_value REAL
);
CREATE TABLE IF NOT EXISTS identities (
    customer_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    handle TEXT NOT NULL,
    PRIMARY KEY (platform, handle)
);
CREATE TABLE IF NOT EXISTS interactions (
    interaction_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    thread_id TEXT,
    occurred_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT,
    amount REAL,
    text TEXT,
    account TEXT
);
CREATE TABLE IF NOT EXISTS posts (
    post_id TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    author_handle TEXT NOT NULL,
    created_at TEXT NOT NULL,
    text TEXT,
    reply_to TEXT,
    reshare_of TEXT,
    likes INTEGER,
    sentiment REAL,
    sentiment_vader REAL,
    sentiment_corrected INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS follows (
    platform TEXT NOT NULL,
    follower_handle TEXT NOT NULL,
    followee_handle TEXT NOT NULL,
    PRIMARY KEY (platform, follower_handle, followee_handle)
);
CREATE TABLE IF NOT EXISTS survey_responses (
    response_key TEXT PRIMARY KEY,
    study TEXT NOT NULL,
    "group" TEXT NOT NULL,
    motive TEXT NOT NULL,
    respondent_id TEXT,
    selected INTEGER,
    share REAL,
    n INTEGER,
    customer_id TEXT,
    segment TEXT
);
CREATE TABLE IF NOT EXISTS channels (
    channel TEXT PRIMARY KEY,
    label TEXT,
    publicness REAL NOT NULL,
    description TEXT
);
CREATE TABLE IF NOT EXISTS brand_accounts (
    platform TEXT NOT NULL,
    handle TEXT NOT NULL,
    PRIMARY KEY (platform, handle)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE INDEX IF NOT EXISTS idx_interactions_customer ON interactions (customer_id, occurred_at);
CREATE INDEX IF NOT EXISTS idx_interactions_thread ON interactions (thread_id, occurred_at);
CREATE INDEX IF NOT EXISTS idx_interactions_time ON interactions (occurred_at);
CREATE INDEX IF NOT EXISTS idx_interactions_channel ON interactions (channel, direction);
CREATE INDEX IF NOT EXISTS idx_identities_customer ON identities (customer_id);
CREATE INDEX IF NOT EXISTS idx_posts_author ON posts (platform, author_handle, created_at);
CREATE INDEX IF NOT EXISTS idx_posts_time ON posts (created_at);
CREATE INDEX IF NOT EXISTS idx_posts_reshare ON posts (reshare_of);
CREATE INDEX IF NOT EXISTS idx_posts_reply ON posts (reply_to);
-- People's corrections are few: listed newest first and counted without reading the posts.
CREATE INDEX IF NOT EXISTS idx_posts_corrected ON posts (created_at) WHERE sentiment_corrected = 1;
CREATE INDEX IF NOT EXISTS idx_follows_followee ON follows (platform, followee_handle);
CREATE INDEX IF NOT EXISTS idx_customers_segment ON customers (segment, region);
CREATE INDEX IF NOT EXISTS idx_customers_email ON customers (email);
CREATE INDEX IF NOT EXISTS idx_survey_study ON survey_responses (study, "group");
"""

TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "identities": ("platform", "handle"),
    "interactions": ("interaction_id",),
    "posts": ("post_id",),
    "follows": ("platform", "follower_handle", "followee_handle"),
    "survey_responses": ("response_key",),
    "channels": ("channel",),
    "brand_accounts": ("platform", "handle"),
}

# Where a channel sits between public (1) and private (0). Users edit this in
# the app; these are the shipped defaults, from the project's source texts.
DEFAULT_CHANNELS: list[dict] = [
    {"channel": "post", "label": "Public post", "publicness": 1.0,
     "description": "A post on a social platform anyone can read"},
    {"channel": "review", "label": "Review", "publicness": 0.95,
     "description": "A public rating or review"},
    {"channel": "public_reply", "label": "Public reply", "publicness": 0.9,
     "description": "A reply in a public thread"},
    {"channel": "forum", "label": "Forum", "publicness": 0.8,
     "description": "A public support forum"},
    {"channel": "community", "label": "Community", "publicness": 0.7,
     "description": "A members' community, visible to members"},
    {"channel": "dm", "label": "Direct message", "publicness": 0.35,
     "description": "A private message on a social platform"},
    {"channel": "chat", "label": "Web chat", "publicness": 0.3,
     "description": "Live chat on the website or app"},
    {"channel": "email", "label": "Email", "publicness": 0.25,
     "description": "One-to-one email"},
    {"channel": "sms", "label": "SMS", "publicness": 0.2,
     "description": "Text message"},
    {"channel": "web", "label": "Web shop", "publicness": 0.15,
     "description": "Online order or account action"},
    {"channel": "phone", "label": "Phone", "publicness": 0.1,
     "description": "A call to or from the contact centre"},
    {"channel": "kiosk", "label": "Kiosk", "publicness": 0.05,
     "description": "Self-service kiosk"},
    {"channel": "store", "label": "Store", "publicness": 0.0,
     "description": "Face to face in a store"},
]

# The threshold that splits the continuum into its public and private halves.
PUBLIC_THRESHOLD = 0.5


# Columns added to a table after databases with it were handed out, oldest first: one line each
# (table, column, declaration). Older databases get them by ALTER TABLE when opened; new ones get
# them the same way after SCHEMA's CREATE TABLE, so a column needs no other edit. SQLite adds a
# NOT NULL column only with a non-null DEFAULT. The schema's version counts these lines.
COLUMNS_ADDED: list[tuple[str, str, str]] = [
    ("posts", "sentiment_vader", "REAL"),
    ("posts", "sentiment_corrected", "INTEGER NOT NULL DEFAULT 0"),
    ("interactions", "account", "TEXT"),
]
SCHEMA_VERSION = 1 + len(COLUMNS_ADDED)  # kept in the file as PRAGMA user_version

# How long a writer waits for another writer (an import, a demo build) before giving up, in seconds.
LOCK_TIMEOUT_ENV = "CONTINUUM_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 120.0
BUSY_TIMEOUT_MS = 30000


class StoreError(Exception):
    """A database that cannot be used as asked; the message is meant for the user as it is."""


class NotADatabase(StoreError):
    """The path is not a Continuum database (a directory, a text file, a damaged or foreign file)."""


class ReadOnlyDatabase(StoreError):
    """A write was asked of a database opened read-only."""


class DatabaseBusy(StoreError, sqlite3.OperationalError):
    """Another writer kept the database locked longer than the lock timeout.

    Also an ``sqlite3.OperationalError``, so code that already treats a locked database as
    "not now" (kept results) keeps doing so.
    """


def lock_timeout() -> float:
    """Seconds a writer waits for the write lock ($CONTINUUM_LOCK_TIMEOUT, default 120)."""
    raw = os.environ.get(LOCK_TIMEOUT_ENV)
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_LOCK_TIMEOUT
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) if code is not None else "locked" in str(exc)


def _begin_immediate(db: sqlite_utils.Database, waiting=None, wait: bool = True) -> None:
    """BEGIN IMMEDIATE: take the write lock before the first read of the transaction.

    A deferred BEGIN that reads first gets SQLITE_BUSY at once when another writer holds the
    lock (SQLite does not use the busy timeout for that upgrade). Waiting happens here, in
    one-second steps so ``waiting(seconds_waited, timeout)`` can tell the user; after
    ``lock_timeout()`` seconds DatabaseBusy says who to wait for.
    """
    conn = db.conn
    timeout = lock_timeout() if wait else 0.0
    t0 = time.monotonic()
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
            waited = time.monotonic() - t0
            if waited >= timeout:
                raise DatabaseBusy(
                    f"{display_name(database_file(db)) or 'The database'} is being written by another process "
                    f"(an import or a demo build){f' and stayed locked for {timeout:.0f} s' if timeout else ''}. "
                    "Try again when it has finished"
                    f"{f' (or wait longer: set {LOCK_TIMEOUT_ENV}=SECONDS)' if wait else ''}. "
                    "Nothing was written.") from None
            if waiting:
                waiting(waited, timeout)
            conn.execute(f"PRAGMA busy_timeout = {int(min(1000, (timeout - waited) * 1000)) + 1}")
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database, waiting=None, wait: bool = True):
    """One write transaction that takes the write lock up front (nested: a savepoint).

    ``waiting(seconds_waited, timeout)`` is called about once a second while another writer
    holds the lock; ``wait=False`` gives up at once (DatabaseBusy). Rolls back on any error.
    """
    if db.conn.in_transaction:
        with (db.savepoint() if is_postgres(db) else sqlite_utils.Database.atomic(db)):
            yield db
        return
    if getattr(db, "read_only", False):
        if is_postgres(db):
            raise ReadOnlyDatabase(pg.refusal(db.address, db.conn.user, db.read_only_why))
        raise ReadOnlyDatabase(f"{database_file(db)} is open read-only (the file or its folder cannot be written): "
                               "Continuum can show it but not change it. Nothing was written.")
    _begin_immediate(db, waiting, wait)
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    try:
        db.conn.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


class Database(sqlite_utils.Database):
    """sqlite-utils' Database whose ``atomic()`` takes the write lock up front and waits for it.

    ``read_only`` is True for a file Continuum may not write: writes raise ReadOnlyDatabase.
    """

    read_only = False

    @contextlib.contextmanager
    def atomic(self, waiting=None, wait: bool = True):
        with transaction(self, waiting, wait):
            yield self


def database_file(db: sqlite_utils.Database) -> str:
    """The file behind a connection ('' for an in-memory database)."""
    try:
        return db.conn.execute("PRAGMA database_list").fetchone()[2] or ""
    except sqlite3.Error:
        return ""


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database to use: an explicit path, else $CONTINUUM_DB, else the default.

    A ``postgresql://`` address comes back as ``pg.Address`` (a str that answers ``exists()``).
    """
    raw = path or os.environ.get("CONTINUUM_DB")
    if not raw:
        return DEFAULT_DB
    if isinstance(raw, pg.Address) or pg.is_address(str(raw)):
        return pg.Address(str(raw).strip())
    return Path(raw)


def display_name(path: str | os.PathLike | None = None) -> str:
    """The database as shown to people: a file's path, or a server address without its password."""
    p = db_path(path) if path is None or str(path) else path
    return p.redacted() if isinstance(p, pg.Address) else ("" if p is None else str(p))


def is_postgres(db) -> bool:
    """Whether a connection is to a PostgreSQL server (else SQLite)."""
    return getattr(db, "engine", "sqlite") == "postgresql"


def _not_a_database(p: Path, why: str) -> NotADatabase:
    return NotADatabase(
        f"{p} cannot be opened as a Continuum database ({why}). Point CONTINUUM_DB or --db at a database file made by "
        "Continuum, or at a new file name to start an empty one (`python -m analysis demo --db PATH` builds "
        "the demo).")


def _writable(p: Path) -> bool:
    """Whether this process may write the database and create its -wal/-shm files beside it."""
    if p.exists():
        if not os.access(p, os.W_OK):
            return False
        return os.access(p.parent, os.W_OK | os.X_OK) or all(
            Path(str(p) + s).exists() and os.access(Path(str(p) + s), os.W_OK) for s in ("-wal", "-shm"))
    return True


def connect(path: str | os.PathLike | None = None, *, create: bool = True) -> Database:
    """Open (and if needed create) the database with the schema, WAL and a busy timeout.

    A connection per call is the simplest safe pattern with Streamlit's threads. A file this
    process may not write opens read-only (``db.read_only``), without any DDL. Raises
    NotADatabase, with a message for the user, for a directory, a text file, a damaged file
    or another program's SQLite database.
    """
    p = db_path(path)
    if isinstance(p, pg.Address):
        return _connect_postgres(p)
    if p.is_dir():
        raise _not_a_database(p, "it is a directory")
    if not create and not p.exists():
        raise FileNotFoundError(f"No database at {p}: run `python -m analysis demo` or import data first.")
    if p.exists() and p.stat().st_size and not _has_sqlite_header(p):
        raise _not_a_database(p, "the file is not an SQLite database")
    read_only = p.exists() and not _writable(p)
    try:
        if read_only:
            conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(p))
        db = Database(conn)
        db.read_only = read_only
        # Readers never block on an import (WAL), writers wait rather than fail.
        db.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # WAL with synchronous=NORMAL never corrupts; it only risks the last commit on power loss.
        db.conn.execute("PRAGMA synchronous = NORMAL")
        db.conn.execute("PRAGMA cache_size = -65536")
        _refuse_foreign(db)  # before WAL: another program's file is left exactly as it was
        if not read_only and db.journal_mode != "wal":
            try:
                db.enable_wal()
            except sqlite3.OperationalError:  # a busy file keeps its mode
                pass
        ensure_schema(db)
    except NotADatabase:
        raise
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
            raise
        raise _not_a_database(p, f"SQLite says: {exc}") from None
    return db


def _connect_postgres(address: pg.Address) -> pg.PgDatabase:
    """A PostgreSQL database (``postgresql://user@host:port/dbname``) with the schema."""
    try:
        db = pg.PgDatabase(address)
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot connect to the PostgreSQL database {address.redacted()}: {exc}. Check that the "
                         "server runs and the address (user, host, port, database name) is right.") from None
    try:
        ensure_schema(db)
    except BaseException:
        db.close()
        raise
    return db


@contextlib.contextmanager
def connection(path: str | os.PathLike | None = None, *, create: bool = True):
    """``with store.connection(path) as db:``: a connection (see ``connect``) closed on leaving the block.

    The one way to open the store for a short piece of work; a connection per call is the simplest safe
    pattern with Streamlit's threads.
    """
    db = connect(path, create=create)
    try:
        yield db
    finally:
        db.close()


def open_problem(path: str | os.PathLike | None = None) -> str | None:
    """Why the database cannot be opened, in words for the user (None when it opens)."""
    try:
        connect(path).close()
    except (StoreError, FileNotFoundError, sqlite3.Error) as exc:
        return str(exc)
    return None


def read_only_reason(path: str | os.PathLike | None = None) -> str | None:
    """Why nothing can be written to the database (None when it is writable)."""
    p = db_path(path)
    if isinstance(p, pg.Address):
        try:
            with connection(p) as db:
                why = db.read_only_why
        except (StoreError, sqlite3.Error):
            return None  # open_problem says what is wrong with the address
        return pg.read_only_reason(p, db.conn.user, why) if why else None
    if p.exists() and not p.is_dir() and not _writable(p):
        return (f"{p} is read-only (this process may not write the file or its folder): every page can show it, "
                "but importing, correcting scores, editing channels and saving scenarios are turned off.")
    return None


def _has_sqlite_header(p: Path) -> bool:
    try:
        with open(p, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def memory_db() -> Database:
    """A fresh in-memory database with the schema (tests, scratch work)."""
    db = Database(memory=True)
    ensure_schema(db)
    return db


def _statements(ddl: str) -> list[str]:
    """The statements of a DDL script (``--`` comments dropped), to run one by one in a transaction."""
    lines = [line.split("--", 1)[0] for line in ddl.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


_CREATES = re.compile(r"CREATE\s+(?:UNIQUE\s+)?(TABLE|INDEX)\s+IF\s+NOT\s+EXISTS\s+\"?(\w+)", re.I)
_DROPS = re.compile(r"DROP\s+(TABLE|INDEX)\s+IF\s+EXISTS\s+\"?(\w+)", re.I)


def _current(ddl: str, names: set[str]) -> bool:
    """Whether running ``ddl`` would change nothing: what it creates exists, what it drops does not."""
    return all(n in names for _, n in _CREATES.findall(ddl)) and not any(n in names for _, n in _DROPS.findall(ddl))


def _schema_names(db: sqlite_utils.Database) -> set[str]:
    return {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")}


def _refuse_foreign(db: sqlite_utils.Database) -> None:
    """NotADatabase for another program's SQLite database (tables, but none of Continuum's)."""
    names = _schema_names(db)
    if names and "meta" not in names and "customers" not in names:
        raise _not_a_database(display_name(database_file(db)) or "the database",
                              "an SQLite database of another program: it has none of Continuum's tables")


def schema_is_current(db: sqlite_utils.Database) -> bool:
    """The file has this version's tables, columns and indexes (nothing to migrate)."""
    names = _schema_names(db)
    if int(scalar(db, "PRAGMA user_version") or 0) < SCHEMA_VERSION:
        return False
    return (_current(SCHEMA, names) and all(_current(ddl, names) for ddl in _EXTENSION_DDL)
            and all(t in names for _, tables in _MIGRATIONS for t in tables))


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create or migrate the schema; no DDL at all when it is current (so read-only files open).

    Raises NotADatabase for another program's SQLite database (tables, but none of ours).
    """
    _refuse_foreign(db)
    if schema_is_current(db):
        return
    if getattr(db, "read_only", False):
        return  # shown as it is; a query on what it lacks fails as a missing table, never a write here
    with transaction(db):
        if is_postgres(db):
            db.install_functions()
        migrate(db)
        if is_postgres(db):
            db.install_indexes()


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the schema to SCHEMA_VERSION inside the caller's transaction (idempotent).

    Tables first, then the columns added since (COLUMNS_ADDED), then indexes (which may name
    those columns), the extension modules' DDL and the default channels.
    """
    statements = _statements(SCHEMA)
    for st in statements:
        if not st.upper().startswith("CREATE INDEX"):
            db.conn.execute(st)
    for table, column, decl in COLUMNS_ADDED:
        have = {r[1] for r in db.conn.execute(f'PRAGMA table_info("{table}")')}
        if have and column not in have:
            db.conn.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {decl}')
    for st in statements:
        if st.upper().startswith("CREATE INDEX"):
            db.conn.execute(st)
    for ddl in _EXTENSION_DDL:
        for st in _statements(ddl):
            db.conn.execute(st)
    for fn, _tables in _MIGRATIONS:
        fn(db)
    if not db.execute("SELECT 1 FROM channels LIMIT 1").fetchone():
        upsert_rows(db, "channels", DEFAULT_CHANNELS)
    db.conn.execute(f"PRAGMA user_version = {int(SCHEMA_VERSION)}")


# Other store modules register DDL here (scenarios, lexicons, ...).
_EXTENSION_DDL: list[str] = []


def register_ddl(ddl: str) -> None:
    if ddl not in _EXTENSION_DDL:
        _EXTENSION_DDL.append(ddl)


# Tables a module creates and fills itself the first time a database meets it (kinds seeds its
# shipped vocabulary): ``fn(db)`` runs inside migrate()'s transaction and must be idempotent; the
# schema is not current while one of ``tables`` is missing.
_MIGRATIONS: list[tuple] = []


def register_migration(fn, tables: Sequence[str] = ()) -> None:
    if all(fn is not f for f, _ in _MIGRATIONS):
        _MIGRATIONS.append((fn, tuple(tables)))


def upsert_rows(db: sqlite_utils.Database, table: str, rows: Iterable[dict] | pd.DataFrame,
                columns: Sequence[str] | None = None, batch: int = 50_000,
                progress=None, overrides: dict[str, str] | None = None, bulk: bool = True,
                bound: dict[str, tuple[list, str]] | None = None) -> int:
    """Insert or update rows by the table's key, in portable ``ON CONFLICT`` SQL.

    Runs inside the caller's transaction if there is one. Returns rows written.
    ``progress(done, total)`` is called after each batch. ``overrides`` maps a
    column to the SQL expression used instead of ``excluded.<column>`` on conflict.
    ``bulk=False``: leave the table's indexes alone (an import in chunks drops and rebuilds them once).
    ``bound``: columns of a DataFrame already made into values to bind by ``bind_values`` (an import
    does that on its reading thread, while the chunk before is written); other columns are made here.
    """
    keys = TABLE_KEYS[table]
    if isinstance(rows, pd.DataFrame):
        frame = rows
    else:
        frame = pd.DataFrame(list(rows))
    if frame.empty:
        return 0
    cols = list(columns or frame.columns)
    frame = frame[cols]
    quoted = [f'"{c}"' for c in cols]
    overrides = overrides or {}
    updates = [f'"{c}" = ' + overrides.get(c, f'excluded."{c}"') for c in cols if c not in keys]
    total = len(frame)
    if is_postgres(db):
        bound = bound or {}
        values = [bound[c][0] if c in bound else _column_values(frame[c]) for c in cols]
        return _upsert_postgres(db, table, cols, keys, updates, values, total, progress)
    conflict = ", ".join(f'"{k}"' for k in keys)
    with transaction(db):
        rebuild = _drop_indexes_for_bulk_load(db, table, total) if bulk else []
        for start in range(0, total, batch):
            # Values are made one batch at a time and freed as they are written: a million rows of
            # Python values alive at once would cost more in memory and garbage-collector passes.
            values, marks = _batch_values(frame, start, min(start + batch, total), bound)
            sql = (f'INSERT INTO "{table}" ({", ".join(quoted)}) VALUES ({", ".join(marks)}) '
                   f"ON CONFLICT ({conflict}) DO " + (f"UPDATE SET {', '.join(updates)}" if updates else "NOTHING"))
            db.conn.executemany(sql, zip(*values))
            del values
            if progress:
                progress(min(start + batch, total), total)
        if rebuild:
            _rebuild_indexes(db, rebuild)
        bump_version(db)
    return total


def _upsert_postgres(db, table: str, cols: list[str], keys: Sequence[str], updates: list[str], values: list[list],
                     total: int, progress=None, batch: int = 50_000) -> int:
    """PostgreSQL's bulk path: COPY into a staging table, then one INSERT ... ON CONFLICT from it.

    In one transaction (the caller's, if any): all rows or none. A key repeated in the rows keeps its last
    row, as SQLite's row-by-row upsert does (PostgreSQL refuses to update one row twice in one statement).
    """
    stage = f"_stage_{table}"
    quoted = ", ".join(f'"{c}"' for c in cols)
    keys = pg.conflict_key(table, keys)  # the distribution column is part of the key (Citus-ready)
    key_list = ", ".join(f'"{k}"' for k in keys)
    updates = [u for u in updates if u.split(" = ", 1)[0].strip('"') not in keys]
    with transaction(db):
        db.conn.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" (LIKE "{table}" INCLUDING DEFAULTS)')
        db.conn.execute(f'ALTER TABLE "{stage}" ADD COLUMN IF NOT EXISTS _ord bigserial')
        db.conn.execute(f'TRUNCATE "{stage}"')
        for start in range(0, total, batch):
            db.conn.copy_rows(stage, cols, zip(*(v[start:start + batch] for v in values)))
            if progress:
                progress(min(start + batch, total), total)
        db.conn.execute(
            f'INSERT INTO "{table}" ({quoted}) SELECT {quoted} FROM (SELECT DISTINCT ON ({key_list}) * FROM "{stage}" '
            f'ORDER BY {key_list}, _ord DESC) s ON CONFLICT ({key_list}) DO '
            + (f"UPDATE SET {', '.join(updates)}" if updates else "NOTHING"))
        db.conn.execute(f'TRUNCATE "{stage}"')
        bump_version(db)
    return total


BULK_ROWS = 100_000
# Into an empty table, a smaller load is bulk too: its rebuild covers only the rows loaded.
EMPTY_BULK_ROWS = 10_000


def _drop_indexes_for_bulk_load(db: sqlite_utils.Database, table: str, rows: int) -> list[str]:
    """For a load at least as large as the table (BULK_ROWS rows at least, or EMPTY_BULK_ROWS into an
    empty table), drop its secondary indexes (rebuilt after).

    Building an index once over sorted keys is about twice as fast as updating it a row at
    a time. Inside the caller's transaction, so readers (WAL) keep the old indexes and a
    failed import restores them. Returns the DDL that recreates them.
    """
    if rows < min(BULK_ROWS, EMPTY_BULK_ROWS):
        return []
    existing = scalar(db, f'SELECT COUNT(*) FROM "{table}"') or 0
    if rows < existing or (rows < BULK_ROWS and existing):
        return []
    indexes = db.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table,)).fetchall()
    for name, _sql in indexes:
        db.conn.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in indexes]


# SQLite-only tuning of CREATE INDEX (PRAGMAs: another engine needs none of it). SQLite sorts an
# index's keys in runs as large as the page cache; runs of a few MiB, sorted by a second thread
# while the table is still being read, build the four interactions indexes (1M rows) in 1.4 s
# instead of 2.4 s as one 64 MiB run.
INDEX_BUILD_CACHE_KIB = 4096
INDEX_BUILD_THREADS = 2


def _rebuild_indexes(db: sqlite_utils.Database, ddl: Sequence[str]) -> None:
    """Run the CREATE INDEX statements that ``_drop_indexes_for_bulk_load`` returned.

    The sort settings only change speed (not what is written or how safely) and the
    connection's own settings are restored afterwards, also on failure.
    """
    if not ddl:
        return
    cache, threads = scalar(db, "PRAGMA cache_size"), scalar(db, "PRAGMA threads")
    try:
        db.conn.execute(f"PRAGMA cache_size = -{int(INDEX_BUILD_CACHE_KIB)}")
        db.conn.execute(f"PRAGMA threads = {int(INDEX_BUILD_THREADS)}")
        for statement in ddl:
            db.conn.execute(statement)
    finally:
        db.conn.execute(f"PRAGMA cache_size = {int(cache)}")
        db.conn.execute(f"PRAGMA threads = {int(threads)}")


def continuum_tables() -> list[str]:
    """Every table Continuum's schema creates (the core schema's, then the modules')."""
    names = [n for kind, n in _CREATES.findall(SCHEMA) if kind.upper() == "TABLE"]
    for ddl in _EXTENSION_DDL:
        names += [n for kind, n in _CREATES.findall(ddl) if kind.upper() == "TABLE"]
    names += [t for _, tables in _MIGRATIONS for t in tables]
    return list(dict.fromkeys(names))


def empty_tables(db) -> None:
    """Empty Continuum's tables and seed the shipped vocabularies again, in the caller's transaction
    (``demo --replace`` on a server, where there is no file to replace). Other tables are left alone."""
    with transaction(db):
        have = set(db.table_names())
        for name in continuum_tables():
            if name in have:
                db.conn.execute(f'DELETE FROM "{name}"')
        migrate(db)


def bump_version(db: sqlite_utils.Database, rows: bool = True) -> None:
    """Mark the data as changed, so caches keyed on ``data_version`` refresh.

    ``rows``: rows of the data tables changed (an import, a corrected score), so what is kept in
    the database per ``rows_version`` (aggregates, rollups, Continuum's coded activity) is stale
    too. A settings change (a channel's publicness) passes False: pages recompute their figures
    from what is kept, which stays valid.
    """
    keys = ("version", "rows_version") if rows else ("version",)
    for key in keys:
        db.conn.execute("INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) "
                        "DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)", (key,))


def data_version(db: sqlite_utils.Database) -> int:
    return int(scalar(db, "SELECT value FROM meta WHERE key = 'version'") or 0)


def rows_version(db: sqlite_utils.Database) -> int:
    """Counts changes to the rows of the data tables only (see ``bump_version``)."""
    return int(scalar(db, "SELECT value FROM meta WHERE key = 'rows_version'") or 0)


def _frame_to_columns(frame: pd.DataFrame) -> list[list]:
    """Each column as a list of Python values: NaN/NaT/pd.NA become None, numpy scalars Python ones."""
    return [_column_values(frame[c]) for c in frame.columns]


def _column_values(s: pd.Series) -> list:
    missing = s.isna()
    if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        if not missing.any() and not pd.api.types.is_unsigned_integer_dtype(s.dtype):
            return s.to_numpy(dtype=np.int64).tolist()  # Python ints (bools as 0/1), without a per-value pass
        vals = s.astype(object).where(~missing, None).tolist()
        return [None if v is None else int(v) for v in vals]
    if not missing.any():
        return s.tolist()  # floats, text and objects come out as Python values
    if missing.all():
        return [None] * len(s)
    return s.astype(object).where(~missing, None).tolist()


def bind_values(frame: pd.DataFrame, postgres: bool = False) -> dict[str, tuple[list, str]]:
    """Each column of ``frame`` as the Python values the engine binds, with its SQL placeholder.

    Pure work on the frame (no connection), so an import runs it on its reading thread, one chunk
    ahead of the write, and hands the result to ``upsert_rows(..., bound=)``: making millions of
    Python values is a fifth of a large import's writing time.
    """
    if postgres:
        return {c: (_column_values(frame[c]), "?") for c in frame.columns}
    values, marks = _bind_columns(frame)
    return dict(zip(frame.columns, zip(values, marks)))


def _batch_values(frame: pd.DataFrame, start: int, stop: int,
                  bound: dict[str, tuple[list, str]] | None) -> tuple[list[list], list[str]]:
    """Rows ``start:stop`` of every column as values to bind and their placeholders: from ``bound``
    where a column is there, made now otherwise."""
    whole = start == 0 and stop == len(frame)
    if not bound:
        return _bind_columns(frame if whole else frame.iloc[start:stop])
    rest = [c for c in frame.columns if c not in bound]
    made = dict(zip(rest, zip(*_bind_columns(frame[rest] if whole else frame[rest].iloc[start:stop])))) if rest else {}
    values, marks = [], []
    for c in frame.columns:
        if c in bound:
            v, m = bound[c]
            values.append(v if whole else v[start:stop])
        else:
            v, m = made[c]
            values.append(v)
        marks.append(m)
    return values, marks


def _bind_columns(frame: pd.DataFrame) -> tuple[list[list], list[str]]:
    """SQLite's bulk path: each column as Python values to bind, with the placeholder that stores them.

    Binding ``None`` costs Python's sqlite3 module four times a string's (it is not one of the types
    bound without the adaptation lookup): a million rows with two mostly empty columns spent a second
    there. So a missing text is bound as ``''`` under ``NULLIF(?, '')`` (only in a column without a
    real empty text), and a missing float as NaN, which SQLite stores as NULL. Other columns go as
    ``_column_values`` gives them.
    """
    values, marks = [], []
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_float_dtype(s.dtype):
            values.append(s.astype(float).tolist())  # NaN binds as NULL
            marks.append("?")
        elif _is_text_column(s) and s.isna().any() and not s.eq("").any():
            values.append(s.fillna("").tolist())
            marks.append("NULLIF(?, '')")
        else:
            values.append(_column_values(s))
            marks.append("?")
    return values, marks


def _is_text_column(s: pd.Series) -> bool:
    """Every value text or missing (a string column, or an object column holding only these)."""
    if isinstance(s.dtype, pd.StringDtype):
        return True
    return s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")


def query_df(db: sqlite_utils.Database, sql: str, params: Sequence | dict = ()) -> pd.DataFrame:
    """Run a read query and return a DataFrame (columns even when there are no rows)."""
    cur = db.conn.execute(sql, params)
    cols = [d[0] for d in cur.description] if cur.description else []
    return pd.DataFrame.from_records(cur.fetchall(), columns=cols)


def scalar(db: sqlite_utils.Database, sql: str, params: Sequence | dict = ()):
    row = db.conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def table_counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {t: int(scalar(db, f'SELECT COUNT(*) FROM "{t}"')) for t in TABLE_KEYS}


def first_rows(db: sqlite_utils.Database, table: str, limit: int = 50) -> pd.DataFrame:
    """The first ``limit`` rows of one of the data tables (``TABLE_KEYS``); any other name is refused."""
    if table not in TABLE_KEYS:
        raise ValueError(f"{table!r} is not one of the data tables ({', '.join(TABLE_KEYS)})")
    return query_df(db, f'SELECT * FROM "{table}" LIMIT ?', (int(limit),))


def existing_keys(db: sqlite_utils.Database, table: str, column: str, values: Sequence[str]) -> set[str]:
    """Which of ``values`` exist in ``table.column`` (chunked IN queries)."""
    found: set[str] = set()
    uniq = list(dict.fromkeys(v for v in values if v is not None))
    for start in range(0, len(uniq), 900):
        chunk = uniq[start:start + 900]
        marks = ",".join("?" * len(chunk))
        for (v,) in db.conn.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IN ({marks})', chunk):
            found.add(v)
    return found


def channels(db: sqlite_utils.Database) -> pd.DataFrame:
    """The channel vocabulary, most public first."""
    return query_df(db, "SELECT channel, label, publicness, description FROM channels "
                        "ORDER BY publicness DESC, channel")


# The description ``ensure_channels`` gives a channel an import brought: such a channel waits to be
# placed (the Data page lists it) until a person sets its publicness, on any page.
UNPLACED_CHANNEL = "Added by an import; set its publicness"
PLACED_CHANNEL = "Added by an import; placed by a person"


def set_publicness(db: sqlite_utils.Database, channel: str, publicness: float) -> None:
    """Set a channel's publicness (one transaction); a channel an import brought is then placed."""
    if not 0.0 <= float(publicness) <= 1.0:
        raise ValueError(f"publicness of {channel!r} must be between 0 and 1, got {publicness}")
    with transaction(db):
        db.conn.execute("UPDATE channels SET publicness = ?, description = CASE WHEN description = ? THEN ? "
                        "ELSE description END WHERE channel = ?",
                        (float(publicness), UNPLACED_CHANNEL, PLACED_CHANNEL, channel))
        bump_version(db, rows=False)


def ensure_channels(db: sqlite_utils.Database, names: Iterable[str], default_publicness: float = 0.5) -> list[str]:
    """Add channels not yet in the vocabulary; returns the names added."""
    known = set(channels(db)["channel"])
    new = sorted({n for n in names if n and n not in known})
    if new:
        upsert_rows(db, "channels", [{"channel": n, "label": n.replace("_", " ").title(),
                                      "publicness": default_publicness,
                                      "description": UNPLACED_CHANNEL} for n in new])
    return new


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    with transaction(db):
        db.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


def get_meta(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    v = scalar(db, "SELECT value FROM meta WHERE key = ?", (key,))
    return default if v is None else v


def distinct_values(db: sqlite_utils.Database, table: str, column: str) -> list[str]:
    return [r[0] for r in db.conn.execute(
        f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL ORDER BY 1')]


def date_bounds(db: sqlite_utils.Database) -> tuple[str | None, str | None]:
    """Earliest and latest day across interactions and posts (ISO dates).

    One MIN or MAX per query: each is then a single step down the time index, where a
    query asking for both scans the whole index.
    """
    ends = [scalar(db, f"SELECT {fn}({col}) FROM {table}")
            for table, col in (("interactions", "occurred_at"), ("posts", "created_at"))
            for fn in ("MIN", "MAX")]
    lows = [v for v in ends[0::2] if v]
    highs = [v for v in ends[1::2] if v]
    return (min(lows)[:10] if lows else None, max(highs)[:10] if highs else None)


# Every module that registers tables of its own (imported last: they need the functions above), so
# a database gets the whole schema whichever page or command opens it first: a read-only file is
# never migrated later, and a table created only when its page is first opened would be missing.
from analysis.store import aggregates, kinds, mappings, perception, rollups, scenarios, sentiment  # noqa: E402, F401, I001
from analysis.store.connections import run_parallel  # noqa: E402, F401, I001
