"""Materialised aggregates: results of heavy unfiltered queries kept in the database,
keyed on the rows version (`store.rows_version`: imports and corrected scores move it, settings
such as a channel's publicness do not), so a fresh process does not recompute them.

Values are stored as Parquet (DataFrames) or JSON (plain data), never pickled: a database
file may come from someone else, and loading it must not run code.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable, Sequence

import pandas as pd
import sqlite_utils

from analysis import store

DDL = """
CREATE TABLE IF NOT EXISTS aggregates (
    key TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data BLOB NOT NULL
);
"""
store.register_ddl(DDL)


def _encode(value) -> tuple[str, bytes]:
    if isinstance(value, pd.DataFrame):
        buf = io.BytesIO()
        value.to_parquet(buf, index=False)
        return "frame", buf.getvalue()
    return "json", json.dumps(value).encode()


def _decode(kind: str, data: bytes):
    if kind == "frame":
        return pd.read_parquet(io.BytesIO(data))
    return json.loads(data.decode())


def load(db: sqlite_utils.Database, key: str, version: int):
    """The kept value of ``key`` at ``version``, or None: also for anything that cannot be read back
    (an old database without the table, a blob damaged or written by another version), which is
    then computed again like any other miss."""
    try:
        row = db.conn.execute("SELECT kind, data FROM aggregates WHERE key = ? AND version = ?",
                              (key, version)).fetchone()
    except sqlite3.Error:  # an old database without the table
        return None
    if row is None:
        return None
    try:
        return _decode(row[0], row[1])
    except Exception:  # noqa: BLE001 - Parquet, JSON and Arrow raise many kinds; a miss is always safe
        return None


def save(db: sqlite_utils.Database, key: str, version: int, value) -> bool:
    """Keep ``value``; never waits on a writer and never fails the caller (read-only files, busy imports)."""
    kind, data = _encode(value)
    try:
        with store.transaction(db, wait=False):
            db.conn.execute("INSERT INTO aggregates (key, version, kind, data) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT (key) DO UPDATE SET version = excluded.version, kind = excluded.kind, "
                            "data = excluded.data", (key, version, kind, data))
        return True
    except (sqlite3.Error, store.StoreError):  # busy, read-only, a foreign file: keep nothing, fail nothing
        return False


def memo(db: sqlite_utils.Database, key: str, compute: Callable[[], object], settings: bool = False):
    """``compute()`` once per rows version; later processes read the kept result.

    Only for results that do not depend on filters (or whose filters are part of ``key``).
    ``settings``: the result also depends on settings (a channel's publicness), so it is kept per
    data version, which settings move too. Writes are not data changes: the data version does not move.
    """
    if not store.database_file(db):  # in-memory: nothing to keep
        return compute()
    version = store.data_version(db) if settings else store.rows_version(db)
    hit = load(db, key, version)
    if hit is not None:
        return hit
    value = compute()
    save(db, key, version, value)
    return value


def memo_parts(db: sqlite_utils.Database, key: str, names: Sequence[str], compute: Callable[[], dict]) -> dict:
    """``memo`` for a result made of several parts (``compute()`` returns {name: frame or plain data}),
    each kept under ``key.name``: all parts from the database, or all computed and kept."""
    if not store.database_file(db):  # in-memory: nothing to keep
        return compute()
    version = store.rows_version(db)
    kept = {name: load(db, f"{key}.{name}", version) for name in names}
    if all(v is not None for v in kept.values()):
        return kept
    parts = compute()
    for name in names:
        save(db, f"{key}.{name}", version, parts[name])
    return parts
