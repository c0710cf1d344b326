"""The only door to SQLite: schema, connections, writes and the shared reads.

Concern-specific queries live in sibling modules of this package
(``analysis.store.<concern>``); nothing outside ``analysis.store`` runs SQL.
Queries are kept to portable SQL (no SQLite-only functions beyond ``date()``
style string slicing that PostgreSQL also offers via ``substr``), so a server
engine could later take SQLite's place.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import sqlite_utils

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


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database to use: an explicit path, else $CONTINUUM_DB, else the default."""
    if path:
        return Path(path)
    env = os.environ.get("CONTINUUM_DB")
    return Path(env) if env else DEFAULT_DB


def connect(path: str | os.PathLike | None = None, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and if needed create) the database with the schema, WAL and a busy timeout.

    A connection per call is the simplest safe pattern with Streamlit's threads.
    """
    p = db_path(path)
    if not create and not p.exists():
        raise FileNotFoundError(f"No database at {p}: run `python -m analysis demo` or import data first.")
    p.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(str(p))
    # Readers never block on an import (WAL), writers wait rather than fail.
    db.conn.execute("PRAGMA busy_timeout = 30000")
    # WAL with synchronous=NORMAL never corrupts; it only risks the last commit on power loss.
    db.conn.execute("PRAGMA synchronous = NORMAL")
    db.conn.execute("PRAGMA cache_size = -65536")
    if db.journal_mode != "wal":
        try:
            db.enable_wal()
        except Exception:  # a read-only or busy file keeps its mode
            pass
    ensure_schema(db)
    return db


def memory_db() -> sqlite_utils.Database:
    """A fresh in-memory database with the schema (tests, scratch work)."""
    db = sqlite_utils.Database(memory=True)
    ensure_schema(db)
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    if "meta" in db.table_names() and "channels" in db.table_names():
        # Fast path: schema present. Extension modules may still add theirs.
        _run_extensions(db)
        return
    db.conn.executescript(SCHEMA)
    if not db.execute("SELECT 1 FROM channels LIMIT 1").fetchone():
        upsert_rows(db, "channels", DEFAULT_CHANNELS)
    _run_extensions(db)


# Other store modules register DDL here (scenarios, lexicons, ...).
_EXTENSION_DDL: list[str] = []


def register_ddl(ddl: str) -> None:
    if ddl not in _EXTENSION_DDL:
        _EXTENSION_DDL.append(ddl)


def _run_extensions(db: sqlite_utils.Database) -> None:
    for ddl in _EXTENSION_DDL:
        db.conn.executescript(ddl)
    for migration in _MIGRATIONS:
        migration(db)


# Changes to existing databases, each a cheap read when already applied (kinds registers one).
_MIGRATIONS: list = []


def register_migration(fn) -> None:
    if fn not in _MIGRATIONS:
        _MIGRATIONS.append(fn)


def _add_interactions_account(db: sqlite_utils.Database) -> None:
    """``interactions.account`` (the brand account or team behind an outbound touch) in databases made
    before it existed. PRAGMA table_info is SQLite's; a server engine would read information_schema."""
    cols = {r[1] for r in db.conn.execute("PRAGMA table_info(interactions)")}
    if cols and "account" not in cols:
        try:
            db.conn.execute("ALTER TABLE interactions ADD COLUMN account TEXT")
        except sqlite3.OperationalError:
            # Another connection added it first (two sessions opening an old file at once).
            if "account" not in {r[1] for r in db.conn.execute("PRAGMA table_info(interactions)")}:
                raise
        if not db.conn.in_transaction:
            db.conn.commit()


register_migration(_add_interactions_account)


def upsert_rows(db: sqlite_utils.Database, table: str, rows: Iterable[dict] | pd.DataFrame,
                columns: Sequence[str] | None = None, batch: int = 50_000,
                progress=None, overrides: dict[str, str] | None = None) -> int:
    """Insert or update rows by the table's key, in portable ``ON CONFLICT`` SQL.

    Runs inside the caller's transaction if there is one. Returns rows written.
    ``progress(done, total)`` is called after each batch. ``overrides`` maps a
    column to the SQL expression used instead of ``excluded.<column>`` on conflict.
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
    conflict = ", ".join(f'"{k}"' for k in keys)
    sql = (f'INSERT INTO "{table}" ({", ".join(quoted)}) VALUES ({", ".join("?" * len(cols))}) '
           f"ON CONFLICT ({conflict}) DO " + (f"UPDATE SET {', '.join(updates)}" if updates else "NOTHING"))
    total = len(frame)
    values = _frame_to_columns(frame)
    with db.atomic():
        rebuild = _drop_indexes_for_bulk_load(db, table, total)
        for start in range(0, total, batch):
            # Rows are made one batch at a time and freed as they are written: a million
            # tuples alive at once would cost more in garbage-collector passes than to build.
            db.conn.executemany(sql, zip(*(v[start:start + batch] for v in values)))
            if progress:
                progress(min(start + batch, total), total)
        _rebuild_indexes(db, rebuild)
        bump_version(db)
    return total


BULK_ROWS = 100_000


def _drop_indexes_for_bulk_load(db: sqlite_utils.Database, table: str, rows: int) -> list[str]:
    """For a load at least as large as the table, drop its secondary indexes (rebuilt after).

    Building an index once over sorted keys is about twice as fast as updating it a row at
    a time. Inside the caller's transaction, so readers (WAL) keep the old indexes and a
    failed import restores them. Returns the DDL that recreates them.
    """
    if rows < BULK_ROWS:
        return []
    existing = scalar(db, f'SELECT COUNT(*) FROM "{table}"') or 0
    if rows < existing:
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
                        "DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)", (key,))


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
        vals = s.astype(object).where(~missing, None).tolist()
        return [None if v is None else int(v) for v in vals]
    if not missing.any():
        return s.tolist()  # floats, text and objects come out as Python values
    if missing.all():
        return [None] * len(s)
    return s.astype(object).where(~missing, None).tolist()


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


def set_publicness(db: sqlite_utils.Database, channel: str, publicness: float) -> None:
    if not 0.0 <= float(publicness) <= 1.0:
        raise ValueError(f"publicness of {channel!r} must be between 0 and 1, got {publicness}")
    with db.atomic():
        db.conn.execute("UPDATE channels SET publicness = ? WHERE channel = ?", (float(publicness), channel))
        bump_version(db, rows=False)


def ensure_channels(db: sqlite_utils.Database, names: Iterable[str], default_publicness: float = 0.5) -> list[str]:
    """Add channels not yet in the vocabulary; returns the names added."""
    known = set(channels(db)["channel"])
    new = sorted({n for n in names if n and n not in known})
    if new:
        upsert_rows(db, "channels", [{"channel": n, "label": n.replace("_", " ").title(),
                                      "publicness": default_publicness,
                                      "description": "Added by an import; set its publicness"} for n in new])
    return new


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    with db.atomic():
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


# Registers the materialised-aggregates table and the kinds vocabulary with its migration (imported
# last: they need the functions above).
from analysis.store import aggregates, kinds  # noqa: E402, F401
