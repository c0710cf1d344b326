"""SQL behind saved scenarios and decks (the Workshop page): tables, reads and atomic writes."""

from __future__ import annotations

import sqlite3

import pandas as pd
import sqlite_utils

from analysis.store import query_df, register_ddl


def scenarios_changed(db: sqlite_utils.Database) -> None:
    """Count a change to the scenarios or decks (inside the caller's transaction).

    Not the data version: a saved view changes no data, and bumping that would make every page's
    cached figures, the rollups and the kept first views stale in the middle of a workshop.
    """
    db.conn.execute("INSERT INTO meta (key, value) VALUES ('scenarios_version', '1') ON CONFLICT (key) "
                    "DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)")


def scenarios_version(db: sqlite_utils.Database) -> int:
    row = db.conn.execute("SELECT value FROM meta WHERE key = 'scenarios_version'").fetchone()
    return int(row[0]) if row else 0

# AUTOINCREMENT (SQLite's spelling of an identity column) keeps a deleted scenario's id
# from being reused, so an old link to an id never opens someone else's scenario.
SCENARIOS_DDL = """
CREATE TABLE IF NOT EXISTS scenarios (
    scenario_id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE NOT NULL,
    page TEXT NOT NULL,
    notes TEXT,
    params TEXT NOT NULL,
    created_at TEXT,
    updated_at TEXT
);
CREATE TABLE IF NOT EXISTS decks (
    deck_id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE NOT NULL,
    notes TEXT
);
CREATE TABLE IF NOT EXISTS deck_items (
    deck_id INTEGER,
    position INTEGER,
    scenario_id INTEGER,
    PRIMARY KEY (deck_id, position)
);
CREATE INDEX IF NOT EXISTS idx_deck_items_scenario ON deck_items (scenario_id);
"""
# store.connect() and store.memory_db() create these tables once this module is imported;
# ensure() below makes every function here independent of that import order.
register_ddl(SCENARIOS_DDL)

_STATEMENTS = [s.strip() for s in SCENARIOS_DDL.split(";") if s.strip()]
_TABLES = ("scenarios", "decks", "deck_items")
_COLUMNS = "scenario_id, name, page, notes, params, created_at, updated_at"


def ensure(db: sqlite_utils.Database) -> None:
    """Create the scenario tables if this database lacks them.

    Statements run one by one with execute(): executescript() would first commit a
    transaction the caller may have open.
    """
    have = {r[0] for r in db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?, ?)", _TABLES)}
    if len(have) < len(_TABLES):
        for statement in _STATEMENTS:
            db.conn.execute(statement)


def _one(db: sqlite_utils.Database, where: str, params: tuple) -> dict | None:
    cur = db.conn.execute(f"SELECT {_COLUMNS} FROM scenarios WHERE {where}", params)
    row = cur.fetchone()
    return None if row is None else dict(zip([d[0] for d in cur.description], row))


def get_by_name(db: sqlite_utils.Database, name: str) -> dict | None:
    ensure(db)
    return _one(db, "name = ?", (name,))


def get_by_id(db: sqlite_utils.Database, scenario_id: int) -> dict | None:
    ensure(db)
    return _one(db, "scenario_id = ?", (int(scenario_id),))


def insert(db: sqlite_utils.Database, name: str, page: str, notes: str, params_json: str, now: str,
           overwrite: bool) -> bool:
    """Write a scenario; False if the name is taken and ``overwrite`` is off (nothing written).

    The write comes first (no read-then-write), so two sessions saving at once cannot
    both pass a check and then collide.
    """
    ensure(db)
    conflict = ("DO UPDATE SET page = excluded.page, notes = excluded.notes, params = excluded.params, "
                "updated_at = excluded.updated_at") if overwrite else "DO NOTHING"
    with db.atomic():
        cur = db.conn.execute(
            "INSERT INTO scenarios (name, page, notes, params, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            f"ON CONFLICT (name) {conflict}", (name, page, notes, params_json, now, now))
        if cur.rowcount == 0:
            return False
        scenarios_changed(db)
    return True


def list_rows(db: sqlite_utils.Database, page: str | None = None) -> pd.DataFrame:
    """Scenarios, most recently changed first."""
    ensure(db)
    where, params = ("WHERE page = ?", (page,)) if page else ("", ())
    return query_df(db, f"SELECT {_COLUMNS} FROM scenarios {where} "
                        "ORDER BY updated_at DESC, scenario_id DESC", params)


def rename(db: sqlite_utils.Database, old: str, new: str, now: str) -> str:
    """'ok', 'missing' (no scenario called ``old``) or 'taken' (``new`` is used); nothing written unless ok."""
    ensure(db)
    try:
        with db.atomic():
            cur = db.conn.execute("UPDATE scenarios SET name = ?, updated_at = ? WHERE name = ?", (new, now, old))
            if cur.rowcount == 0:
                return "missing"
            scenarios_changed(db)
    except sqlite3.IntegrityError:
        return "taken"
    return "ok"


def delete(db: sqlite_utils.Database, name: str) -> bool:
    """Delete a scenario and its places in decks; False if there was none."""
    ensure(db)
    with db.atomic():
        db.conn.execute("DELETE FROM deck_items WHERE scenario_id IN "
                        "(SELECT scenario_id FROM scenarios WHERE name = ?)", (name,))
        cur = db.conn.execute("DELETE FROM scenarios WHERE name = ?", (name,))
        if cur.rowcount == 0:
            return False
        scenarios_changed(db)
    return True


class MissingScenarios(LookupError):
    """Some scenarios named for a deck do not exist (``.missing`` lists them)."""

    def __init__(self, missing: list):
        super().__init__(missing)
        self.missing = missing


def save_deck(db: sqlite_utils.Database, name: str, notes: str, refs: list[int | str], overwrite: bool) -> bool:
    """Write a deck of scenarios (ids or names, in order), all or nothing.

    False if the name is taken and ``overwrite`` is off; MissingScenarios (and nothing
    written) if a scenario does not exist.
    """
    ensure(db)
    conflict = "DO UPDATE SET notes = excluded.notes" if overwrite else "DO NOTHING"
    with db.atomic():
        cur = db.conn.execute(f"INSERT INTO decks (name, notes) VALUES (?, ?) ON CONFLICT (name) {conflict}",
                              (name, notes))
        if cur.rowcount == 0:
            return False
        # The write above holds the lock, so these reads see what the items will point to.
        deck_id = db.conn.execute("SELECT deck_id FROM decks WHERE name = ?", (name,)).fetchone()[0]
        ids, missing = [], []
        for ref in refs:
            column = "scenario_id" if isinstance(ref, int) else "name"
            row = db.conn.execute(f"SELECT scenario_id FROM scenarios WHERE {column} = ?", (ref,)).fetchone()
            if row is None:
                missing.append(ref)
            else:
                ids.append(row[0])
        if missing:
            raise MissingScenarios(missing)  # rolls the deck row back too
        db.conn.execute("DELETE FROM deck_items WHERE deck_id = ?", (deck_id,))
        db.conn.executemany("INSERT INTO deck_items (deck_id, position, scenario_id) VALUES (?, ?, ?)",
                            [(deck_id, pos, sid) for pos, sid in enumerate(ids)])
        scenarios_changed(db)
    return True


def deck_rows(db: sqlite_utils.Database, name: str) -> pd.DataFrame | None:
    """The deck's scenarios in order (None if there is no such deck)."""
    ensure(db)
    if db.conn.execute("SELECT 1 FROM decks WHERE name = ?", (name,)).fetchone() is None:
        return None
    cols = ", ".join(f"s.{c}" for c in _COLUMNS.split(", "))
    return query_df(db, f"SELECT di.position, {cols} FROM deck_items di "
                        "JOIN decks d ON d.deck_id = di.deck_id "
                        "JOIN scenarios s ON s.scenario_id = di.scenario_id "
                        "WHERE d.name = ? ORDER BY di.position", (name,))


def list_decks(db: sqlite_utils.Database) -> pd.DataFrame:
    """Decks by name, with their scenario names in order (one row per item, to be grouped)."""
    ensure(db)
    return query_df(db, "SELECT d.deck_id, d.name, d.notes, di.position, s.name AS scenario "
                        "FROM decks d LEFT JOIN deck_items di ON di.deck_id = d.deck_id "
                        "LEFT JOIN scenarios s ON s.scenario_id = di.scenario_id "
                        "ORDER BY d.name, d.deck_id, di.position")


def delete_deck(db: sqlite_utils.Database, name: str) -> bool:
    ensure(db)
    with db.atomic():
        db.conn.execute("DELETE FROM deck_items WHERE deck_id IN (SELECT deck_id FROM decks WHERE name = ?)",
                        (name,))
        cur = db.conn.execute("DELETE FROM decks WHERE name = ?", (name,))
        if cur.rowcount == 0:
            return False
        scenarios_changed(db)
    return True
