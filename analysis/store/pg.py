"""PostgreSQL behind the store's SQLite-shaped interface: the one place that knows the dialect.

The store's modules talk to ``db.conn.execute(sql, params)`` with SQLite's SQL (``?`` and ``:name``
placeholders, ``PRAGMA``, ``sqlite_master``, ``INSERT OR IGNORE``, ``substr`` on timestamps, the
``(column || '')`` index-bypass idiom). ``PgDatabase`` offers the part of sqlite-utils' ``Database``
the store uses, over a psycopg 3 connection, and ``translate`` rewrites each statement once (cached):
so every query is written once, for both engines.

Types: the schema gets real PostgreSQL types (``timestamptz`` for the three event times, ``bigint``,
``double precision``, ``bytea``, identity columns). Reads return what SQLite returns: timestamps as
ISO text ``YYYY-MM-DD HH:MM:SS`` (UTC), ``numeric`` sums as int or float, so callers do not change.

Transactions: the connection is in autocommit; ``BEGIN IMMEDIATE`` becomes ``BEGIN`` plus a
transaction-scoped advisory lock, so writers take turns exactly as SQLite's write lock makes them
(and wait up to the busy timeout, then report "database is locked"), while readers never wait (MVCC).
Errors come out as ``sqlite3`` exceptions of the same kind, so the store's error handling is shared.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
import time
from collections.abc import Iterable, Sequence

SCHEMES = ("postgresql://", "postgres://")
# The advisory lock every writer takes: one writer at a time, as SQLite's write lock.
WRITE_LOCK_KEY = 0x636F6E74  # "cont"

# Event times get a real timestamp type: (table, column).
TIMESTAMP_COLUMNS = {("customers", "joined_at"), ("interactions", "occurred_at"), ("posts", "created_at")}


# Citus (distributed PostgreSQL), see data/citus.sql: the large tables are distributed by these columns, in
# two co-location groups (a customer's rows together; an author's posts and the accounts they follow
# together); every other table is a small reference table copied to each node. Citus asks every unique
# key of a distributed table to include its distribution column: on PostgreSQL the keys of these tables
# are (distribution column, key) and upserts name that key (``conflict_key``).
DISTRIBUTED = {
    "customers": "customer_id",
    "interactions": "customer_id",
    "rollup_interactions": "customer_id",
    "posts": "author_handle",
    "follows": "follower_handle",
}
COLOCATED_WITH = {"interactions": "customers", "rollup_interactions": "customers", "follows": "posts"}


def conflict_key(table: str, keys: Sequence[str]) -> tuple[str, ...]:
    """The unique key an upsert names on PostgreSQL: the distribution column first where the table has one."""
    dist = DISTRIBUTED.get(table)
    return tuple(keys) if dist is None or dist in keys else (dist, *keys)


def _citus_key(sql: str, table: str) -> str:
    """A distributed table's inline ``col TYPE PRIMARY KEY`` becomes ``PRIMARY KEY (distribution column, col)``."""
    dist = DISTRIBUTED.get(table)
    m = re.search(r"\b\"?(\w+)\"?\s+(TEXT|bigint)\s+PRIMARY\s+KEY\b", sql, re.I)
    if dist is None or not m or m.group(1) == dist:
        return sql
    sql = sql[:m.start()] + f"{m.group(1)} {m.group(2)} NOT NULL" + sql[m.end():]
    close = sql.rindex(")")
    return sql[:close].rstrip() + f",\n    PRIMARY KEY ({dist}, {m.group(1)})\n" + sql[close:]


def is_address(path) -> bool:
    """Whether a database address names a PostgreSQL server (``postgresql://...``)."""
    return isinstance(path, str) and path.strip().lower().startswith(SCHEMES)


class Address(str):
    """A PostgreSQL address where the store expects a path: ``str()`` gives the URL back."""

    def exists(self) -> bool:
        return True

    def is_dir(self) -> bool:
        return False

    def resolve(self) -> Address:
        return self

    @property
    def name(self) -> str:
        return self.rsplit("/", 1)[-1].split("?", 1)[0]

    def redacted(self) -> str:
        """The address without a password, for messages."""
        return re.sub(r"://([^:@/]+):[^@/]*@", r"://\1:***@", self)


def in_schema(address: str, schema: str) -> Address:
    """The address of ``schema`` in the same database (its search_path): a separate Continuum database."""
    base = address.split("?", 1)[0]
    return Address(f"{base}?options=-csearch_path%3D{schema}")


def create_schema(address: str, schema: str) -> Address:
    """A new, empty schema beside the database's own (dropped first if it exists); returns its address."""
    import psycopg

    with psycopg.connect(address.split("?", 1)[0], autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return in_schema(address, schema)


def drop_schema(address: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(address.split("?", 1)[0], autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# ---------------------------------------------------------------------------------------------
# The dialect

_LITERAL = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")")
_BYPASS = re.compile(r"\(\s*((?:\w+\.)?\"?\w+\"?)\s*\|\|\s*''\s*\)")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_INSERT_OR = re.compile(r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\b", re.I)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+(TEMP\s+|TEMPORARY\s+)?TABLE\s+(IF\s+NOT\s+EXISTS\s+)?\"?(\w+)\"?", re.I)
_ALTER_ADD = re.compile(r"^\s*ALTER\s+TABLE\s+\"?(\w+)\"?\s+ADD\s+COLUMN\s+\"?(\w+)\"?\s+(.*)$", re.I | re.S)
_CROSS_ON = re.compile(r"\bCROSS\s+JOIN(\s+\"?\w+\"?(?:\s+(?:AS\s+)?(?!ON\b)\w+)?\s+ON\b)", re.I)
_SQLITE_MASTER = re.compile(r"\bsqlite_master\b", re.I)
# What sqlite_master lists, from PostgreSQL's catalog (this schema only); ``sql`` of an index is its DDL.
_MASTER = """(SELECT CASE c.relkind WHEN 'i' THEN 'index' WHEN 'v' THEN 'view' ELSE 'table' END AS type,
       c.relname::text AS name, COALESCE(t.relname, c.relname)::text AS tbl_name,
       CASE WHEN c.relkind = 'i' AND NOT ix.indisprimary AND NOT ix.indisunique
            THEN pg_get_indexdef(c.oid) END AS sql
  FROM pg_class c
  JOIN pg_namespace ns ON ns.oid = c.relnamespace AND ns.nspname = current_schema()
  LEFT JOIN pg_index ix ON ix.indexrelid = c.oid
  LEFT JOIN pg_class t ON t.oid = ix.indrelid
 WHERE c.relkind IN ('r', 'i', 'v', 'p')) AS sqlite_master"""


def _types(decl: str, table: str) -> str:
    """SQLite column types in a CREATE TABLE body or column declaration -> PostgreSQL's."""
    decl = re.sub(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?",
                  "bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", decl, flags=re.I)
    decl = re.sub(r"\bINTEGER\b", "bigint", decl, flags=re.I)
    decl = re.sub(r"\bREAL\b", "double precision", decl, flags=re.I)
    decl = re.sub(r"\bBLOB\b", "bytea", decl, flags=re.I)
    for t, column in TIMESTAMP_COLUMNS:
        if t == table:
            decl = re.sub(rf"(\b{column}\s+)TEXT\b", r"\1timestamptz", decl, flags=re.I)
    return decl


def _conflict_target(sql: str) -> str:
    """The key an ``INSERT OR REPLACE`` replaces on: the table's key in TABLE_KEYS."""
    from analysis.store import TABLE_KEYS

    m = re.search(r"INTO\s+\"?(\w+)\"?\s*\(([^)]*)\)", sql, re.I)
    if not m or m.group(1) not in TABLE_KEYS:
        raise sqlite3.OperationalError(f"INSERT OR REPLACE needs a known key on PostgreSQL: {sql[:80]}")
    keys = TABLE_KEYS[m.group(1)]
    cols = [c.strip().strip('"') for c in m.group(2).split(",")]
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c not in keys)
    target = ", ".join(f'"{k}"' for k in keys)
    return f" ON CONFLICT ({target}) DO " + (f"UPDATE SET {sets}" if sets else "NOTHING")


@functools.lru_cache(maxsize=4096)
def translate(sql: str, named: bool = False) -> str:
    """One SQLite statement in PostgreSQL's dialect (placeholders for psycopg: ``%s``, ``%(name)s``)."""
    sql = sql.strip().rstrip(";")
    # The index-bypass idiom: PostgreSQL plans date ranges from statistics; the bare column keeps its type.
    sql = _BYPASS.sub(r"\1", sql)
    m = _INSERT_OR.match(sql)
    suffix = ""
    if m:
        sql = sql[:m.start()] + "INSERT INTO" + sql[m.end():]
        suffix = " ON CONFLICT DO NOTHING" if m.group(1).upper() == "IGNORE" else _conflict_target(sql)
    ct = _CREATE_TABLE.match(sql)
    at = _ALTER_ADD.match(sql)
    parts = _LITERAL.split(sql)
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # a literal: only psycopg's own % needs escaping
            out.append(part.replace("%", "%%"))
            continue
        part = part.replace("%", "%%").replace("?", "%s")
        if named:
            part = _NAMED.sub(r"%(\1)s", part)
        # SQLite's INTEGER is 64-bit and its REAL a double: PostgreSQL's integer and real are half as wide.
        part = re.sub(r"\bAS\s+REAL\b", "AS double precision", part, flags=re.I)
        part = re.sub(r"\bAS\s+INTEGER\b", "AS bigint", part, flags=re.I)
        part = _SQLITE_MASTER.sub(lambda _m: _MASTER, part)
        part = re.sub(r"\btemp\.", "pg_temp.", part, flags=re.I)  # SQLite's temp schema
        # SQLite reads CROSS JOIN as "keep this join order" and allows ON after it; PostgreSQL wants JOIN ... ON.
        part = _CROSS_ON.sub(r"JOIN\1", part)
        if ct:
            part = _types(part, ct.group(3))
        elif at:
            part = _types(part, at.group(1))
        out.append(part)
    sql = "".join(out) + suffix
    return _citus_key(sql, ct.group(3)) if ct else sql


# Functions SQLite code calls on timestamps, for PostgreSQL's timestamptz: the ISO text SQLite stores.
FUNCTIONS = """
CREATE OR REPLACE FUNCTION substr(timestamptz, integer, integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT substr(to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), $2, $3) $$;
CREATE OR REPLACE FUNCTION substr(timestamptz, integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT substr(to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), $2) $$
"""


# Lookups by an id alone (a reshare's parent, a labelled post), now that the key starts with the
# distribution column. Plain indexes: Citus allows those on any column.
INDEXES = """
CREATE INDEX IF NOT EXISTS idx_posts_post_id ON posts (post_id);
CREATE INDEX IF NOT EXISTS idx_interactions_interaction_id ON interactions (interaction_id)
"""


# ---------------------------------------------------------------------------------------------
# Connection, cursor and database objects shaped like sqlite3's and sqlite-utils'

def refusal(address: str, user: str | None, why: str) -> str:
    """The store's read-only message for a server that refuses this user's writes (as a read-only file's)."""
    who = f"the PostgreSQL user {user}" if user else "this PostgreSQL user"
    return (f"{Address(address).redacted()} is read-only for {who} ({why}): Continuum can show it but not "
            "change it. Nothing was written.")


def read_only_reason(address: str, user: str | None, why: str) -> str:
    """Why writing is turned off, for the banner every page shows (as a read-only file's)."""
    who = f"the PostgreSQL user {user}" if user else "this PostgreSQL user"
    return (f"{Address(address).redacted()} is read-only for {who} ({why}): every page can show it, but "
            "importing, correcting scores, editing channels and saving scenarios are turned off.")


def _sqlite_error(exc: Exception, conn: Connection | None = None, sql: str = "") -> Exception:
    """The sqlite3 exception of the same kind (the store catches those), chained to psycopg's.

    A write the server refuses for want of rights (a role granted SELECT only, or one whose transactions
    are read-only) is the store's ReadOnlyDatabase, with the message a read-only SQLite file gets; a read
    it refuses (a table the user may not SELECT) is a StoreError that says which grant is missing.
    """
    import psycopg

    msg = str(exc).strip()
    said = f"the server says: {msg.splitlines()[0]}" if msg else "the server refused it"
    if isinstance(exc, psycopg.errors.IntegrityError):
        err = sqlite3.IntegrityError(msg)
    elif isinstance(exc, psycopg.errors.LockNotAvailable | psycopg.errors.QueryCanceled):
        err = sqlite3.OperationalError(f"database is locked ({msg})")
    elif (conn is not None and isinstance(exc, psycopg.errors.InsufficientPrivilege)
          and sql.lstrip().upper().startswith("SELECT")):
        from analysis.store import StoreError

        who = f"the PostgreSQL user {conn.user}" if conn.user else "this PostgreSQL user"
        err = StoreError(f"{Address(conn.address).redacted()} cannot be read by {who} ({said}). Continuum reads "
                         "every table of its schema: grant it SELECT on them (GRANT SELECT ON ALL TABLES IN "
                         "SCHEMA ... TO ...).")
    elif conn is not None and isinstance(exc, psycopg.errors.ReadOnlySqlTransaction
                                         | psycopg.errors.InsufficientPrivilege):
        from analysis.store import ReadOnlyDatabase

        err = ReadOnlyDatabase(refusal(conn.address, conn.user, said))
    elif isinstance(exc, psycopg.OperationalError | psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn
                    | psycopg.ProgrammingError):
        err = sqlite3.OperationalError(msg)
    else:
        err = sqlite3.DatabaseError(msg)
    return err


class Cursor:
    """What sqlite3's cursor gives the store: description, fetchone/fetchall, iteration, rowcount."""

    def __init__(self, cur=None, rows: list | None = None, description=None, lastrowid=None):
        self._cur = cur
        self._rows = rows
        self._description = description
        self.lastrowid = lastrowid

    @property
    def description(self):
        if self._cur is not None:
            return self._cur.description
        return self._description

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount if self._cur is not None else len(self._rows or [])

    def fetchone(self):
        if self._cur is not None:
            return self._cur.fetchone() if self._cur.description else None
        return self._rows.pop(0) if self._rows else None

    def fetchall(self):
        if self._cur is not None:
            return self._cur.fetchall() if self._cur.description else []
        rows, self._rows = self._rows or [], []
        return rows

    def fetchmany(self, size: int = 1000):
        if self._cur is not None:
            return self._cur.fetchmany(size) if self._cur.description else []
        rows, self._rows = (self._rows or [])[:size], (self._rows or [])[size:]
        return rows

    def __iter__(self):
        while True:
            rows = self.fetchmany(1000)
            if not rows:
                return
            yield from rows

    def close(self) -> None:
        if self._cur is not None:
            self._cur.close()


def _loaders(conn) -> None:
    """Reads as SQLite gives them: timestamps as ISO text (UTC), numeric sums as int or float."""
    from psycopg.adapt import Loader

    class IsoTimestamp(Loader):
        def load(self, data):
            return bytes(data[:19]).decode()

    class Number(Loader):
        def load(self, data):
            text = bytes(data).decode()
            if text in ("NaN", "Infinity", "-Infinity"):
                return float(text)
            return float(text) if ("." in text or "e" in text.lower()) else int(text)

    conn.adapters.register_loader("timestamptz", IsoTimestamp)
    conn.adapters.register_loader("timestamp", IsoTimestamp)
    conn.adapters.register_loader("numeric", Number)


class Connection:
    """sqlite3.Connection's face over a psycopg connection in autocommit (transactions explicit)."""

    def __init__(self, raw, address: str):
        self.raw = raw
        self.address = address
        self.user = raw.info.user
        self.busy_ms = 30000

    def refused_writes(self) -> str | None:
        """Why the server would refuse this user's writes, in words (None when it takes them): its
        transactions are read-only (``default_transaction_read_only``, a standby), or one of the schema's
        tables may not be written (a role granted SELECT only). Asked once, on connecting, so a write is
        refused up front like a read-only file's, and the pages say so before anyone tries."""
        import psycopg

        try:
            read_only, table = self.raw.execute(
                "SELECT current_setting('transaction_read_only') = 'on', "
                "(SELECT c.relname::text FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace "
                " WHERE ns.nspname = current_schema() AND c.relkind IN ('r', 'p') "
                " AND NOT (has_table_privilege(c.oid, 'INSERT') AND has_table_privilege(c.oid, 'UPDATE') "
                "          AND has_table_privilege(c.oid, 'DELETE')) ORDER BY 1 LIMIT 1)").fetchone()
        except psycopg.Error as exc:
            raise _sqlite_error(exc, self) from exc
        if read_only:
            return "its transactions are read-only"
        if table:
            return f"it may not write the table {table}"
        return None

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def _pragma(self, sql: str) -> Cursor | None:
        m = re.match(r"^\s*PRAGMA\s+(\w+)(?:\s*=\s*(.+?))?\s*;?\s*$", sql, re.I | re.S)
        if not m:
            m2 = re.match(r"^\s*PRAGMA\s+(\w+)\s*\(\s*\"?(\w+)\"?\s*\)\s*;?\s*$", sql, re.I)
            if m2 and m2.group(1).lower() == "table_info":
                rows = self.raw.execute(
                    "SELECT ordinal_position - 1, column_name::text, data_type::text, "
                    "CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END, column_default, 0 "
                    "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s "
                    "ORDER BY ordinal_position", (m2.group(2),)).fetchall()
                return Cursor(rows=rows, description=[("cid",), ("name",), ("type",), ("notnull",),
                                                      ("dflt_value",), ("pk",)])
            return Cursor(rows=[])
        name, value = m.group(1).lower(), m.group(2)
        if name == "user_version":
            if value is None:
                row = self.raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() \
                    if self._has_table("meta") else None
                return Cursor(rows=[(int(row[0]) if row else 0,)], description=[("user_version",)])
            self.raw.execute("INSERT INTO meta (key, value) VALUES ('schema_version', %s) ON CONFLICT (key) "
                             "DO UPDATE SET value = excluded.value", (str(int(value)),))
            return Cursor(rows=[])
        if name == "database_list":
            return Cursor(rows=[(0, "main", self.address)], description=[("seq",), ("name",), ("file",)])
        if name == "busy_timeout":
            if value is not None:
                self.busy_ms = int(value)
            return Cursor(rows=[(self.busy_ms,)], description=[("timeout",)])
        if name == "journal_mode":
            return Cursor(rows=[("wal",)], description=[("journal_mode",)])
        if name in ("cache_size", "threads", "mmap_size"):
            return Cursor(rows=[(0,)], description=[(name,)])
        return Cursor(rows=[])  # synchronous, wal_checkpoint, optimize...: SQLite's tuning, nothing to do here

    def _has_table(self, name: str) -> bool:
        return self.raw.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]

    def _begin_immediate(self) -> Cursor:
        """BEGIN plus the writers' advisory lock, waiting up to the busy timeout like SQLite's BEGIN IMMEDIATE."""
        self.raw.execute("BEGIN")
        try:
            if self.busy_ms <= 0:
                ok = self.raw.execute("SELECT pg_try_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,)).fetchone()[0]
            else:
                self.raw.execute(f"SET LOCAL lock_timeout = {int(self.busy_ms)}")
                self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
                self.raw.execute("SET LOCAL lock_timeout = 0")
                ok = True
        except Exception as exc:  # noqa: BLE001 - the lock's timeout; anything else is re-raised as sqlite3's kind
            self.raw.execute("ROLLBACK")
            raise _sqlite_error(exc, self) from exc
        if not ok:
            self.raw.execute("ROLLBACK")
            raise sqlite3.OperationalError("database is locked")
        return Cursor(rows=[])

    def execute(self, sql: str, params: Sequence | dict | None = ()) -> Cursor:
        import psycopg

        head = sql.lstrip()[:16].upper()
        if head.startswith("PRAGMA"):
            return self._pragma(sql)
        if head.startswith("BEGIN IMMEDIATE") or head.startswith("BEGIN EXCLUSIVE"):
            return self._begin_immediate()
        named = isinstance(params, dict)
        try:
            cur = self.raw.execute(translate(sql, named), params if params is not None else ())
        except psycopg.Error as exc:
            raise _sqlite_error(exc, self, sql) from exc
        return Cursor(cur)

    def executemany(self, sql: str, seq: Iterable) -> Cursor:
        import psycopg

        seq = list(seq)
        if not seq:
            return Cursor(rows=[])
        named = isinstance(seq[0], dict)
        try:
            with self.raw.cursor() as cur:
                cur.executemany(translate(sql, named), seq)
        except psycopg.Error as exc:
            raise _sqlite_error(exc, self) from exc
        return Cursor(rows=[])

    def executescript(self, script: str) -> None:
        """Each statement in turn, in the caller's transaction (unlike sqlite3's, nothing is committed)."""
        from analysis.store import _statements

        for st in _statements(script):
            self.execute(st)

    def commit(self) -> None:
        if self.in_transaction:
            self.raw.execute("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self.raw.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()

    def iterdump(self):
        """Every row of every table of this schema, in a fixed order (what sqlite3's iterdump is used for:
        telling whether anything changed)."""
        tables = [r[0] for r in self.raw.execute(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        for table in tables:
            yield f"TABLE {table}"
            for row in self.raw.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall():
                yield repr(row)

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        """COPY rows into a table (PostgreSQL's bulk load) in the current transaction."""
        import psycopg

        cols = ", ".join(f'"{c}"' for c in columns)
        types = dict(self.raw.execute(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0", (f'"{table}"',)).fetchall())
        # pandas holds an integer column with gaps as floats (1.0); SQLite stores 1.0 as 1, COPY refuses it.
        whole = [i for i, c in enumerate(columns) if types.get(c) in ("bigint", "integer", "smallint")]
        try:
            with self.raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    if whole:
                        row = list(row)
                        for i in whole:
                            v = row[i]
                            if isinstance(v, float) and v.is_integer():
                                row[i] = int(v)
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise _sqlite_error(exc, self) from exc


class Table:
    """The few sqlite-utils Table features the tests and tools use on either engine."""

    def __init__(self, db: PgDatabase, name: str):
        self.db, self.name = db, name

    @property
    def count(self) -> int:
        return int(self.db.conn.execute(f'SELECT COUNT(*) FROM "{self.name}"').fetchone()[0])

    @property
    def rows(self):
        return self.db.query(f'SELECT * FROM "{self.name}"')

    def exists(self) -> bool:
        return self.name in self.db.table_names()

    def insert_all(self, records: Iterable[dict], **_ignored) -> Table:
        from analysis import store

        records = list(records)
        if records:
            cols = list(dict.fromkeys(c for r in records for c in r))
            with store.transaction(self.db):
                self.db.conn.copy_rows(self.name, cols, ([r.get(c) for c in cols] for r in records))
        return self

    def insert(self, record: dict, **kw) -> Table:
        return self.insert_all([record], **kw)


class PgDatabase:
    """sqlite-utils' Database, as much of it as the store uses, over one PostgreSQL connection."""

    engine = "postgresql"
    read_only = False  # the server refuses this user's writes (``read_only_why`` says why)
    read_only_why: str | None = None

    def __init__(self, address: str, *, connect_timeout: int = 10):
        import psycopg

        self.address = Address(address)
        try:
            raw = psycopg.connect(address, autocommit=True, connect_timeout=connect_timeout)
            # Timestamps read and written as UTC; '\' in a literal is a backslash, as in SQLite.
            raw.execute("SET TimeZone = 'UTC'")
            raw.execute("SET standard_conforming_strings = on")
        except psycopg.Error as exc:
            raise _sqlite_error(exc) from exc  # connecting: a refusal here is no read-only database
        _loaders(raw)
        self.conn = Connection(raw, str(self.address))
        try:
            self.read_only_why = self.conn.refused_writes()
        except BaseException:
            raw.close()
            raise
        self.read_only = self.read_only_why is not None

    def execute(self, sql: str, params: Sequence | dict | None = ()) -> Cursor:
        return self.conn.execute(sql, params)

    def query(self, sql: str, params: Sequence | dict | None = ()):
        cur = self.conn.execute(sql, params)
        cols = [d[0] for d in cur.description or []]
        for row in cur.fetchall():
            yield dict(zip(cols, row))

    def table_names(self) -> list[str]:
        return [r[0] for r in self.conn.raw.execute(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]

    def __getitem__(self, name: str) -> Table:
        return Table(self, name)

    @property
    def journal_mode(self) -> str:
        return "wal"

    def enable_wal(self) -> None:
        pass

    def rollback(self) -> None:
        self.conn.rollback()

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def savepoint(self):
        """A nested transaction (a savepoint) inside the caller's."""
        name = f"sp_{time.monotonic_ns()}"
        self.conn.raw.execute(f"SAVEPOINT {name}")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.raw.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self.conn.raw.execute(f"RELEASE SAVEPOINT {name}")
            raise
        self.conn.raw.execute(f"RELEASE SAVEPOINT {name}")

    @contextlib.contextmanager
    def atomic(self, waiting=None, wait: bool = True):
        from analysis.store import transaction

        with transaction(self, waiting, wait):
            yield self

    def install_functions(self) -> None:
        for st in FUNCTIONS.strip().split(";\n"):
            if st.strip():
                self.conn.raw.execute(st)

    def install_indexes(self) -> None:
        for st in INDEXES.strip().split(";\n"):
            self.conn.raw.execute(st)
