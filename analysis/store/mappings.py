"""Saved column mappings (``analysis.mapping``): a name, the table it fills, its JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import sqlite_utils

from analysis import store

DDL = """
CREATE TABLE IF NOT EXISTS import_mappings (
    name TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    spec TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
"""
store.register_ddl(DDL)


def save(db: sqlite_utils.Database, name: str, spec: dict) -> None:
    """Save (or replace) a mapping under ``name``. A setting: the data version does not move."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    with db.atomic():
        db.conn.execute("INSERT INTO import_mappings (name, target, spec, saved_at) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (name) DO UPDATE SET target = excluded.target, spec = excluded.spec, "
                        "saved_at = excluded.saved_at", (name, spec["table"], json.dumps(spec), now))


def get(db: sqlite_utils.Database, name: str) -> dict | None:
    raw = store.scalar(db, "SELECT spec FROM import_mappings WHERE name = ?", (name,))
    return None if raw is None else json.loads(raw)


def names(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.conn.execute("SELECT name FROM import_mappings ORDER BY name")]


def listing(db: sqlite_utils.Database) -> pd.DataFrame:
    """Saved mappings: name, table, saved_at, and the columns they take as one line."""
    df = store.query_df(db, "SELECT name, target AS \"table\", spec, saved_at FROM import_mappings ORDER BY name")
    if df.empty:
        return pd.DataFrame(columns=["name", "table", "columns", "saved_at"])
    df["columns"] = [", ".join(f"{k} <- {v['value'] if isinstance(v, dict) else v}"
                               for k, v in json.loads(s)["columns"].items()) for s in df["spec"]]
    return df[["name", "table", "columns", "saved_at"]]


def delete(db: sqlite_utils.Database, name: str) -> None:
    with db.atomic():
        db.conn.execute("DELETE FROM import_mappings WHERE name = ?", (name,))
