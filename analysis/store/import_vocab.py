"""What an import brings that the database's vocabularies do not know yet, and the brand's accounts."""

from __future__ import annotations

import pandas as pd
import sqlite_utils

from analysis import store


def known_kinds(db: sqlite_utils.Database) -> set[str] | None:
    """The kinds in the ``kinds`` vocabulary, or None when the database has no such table."""
    if "kinds" not in db.table_names():
        return None
    return {r[0] for r in db.conn.execute("SELECT kind FROM kinds")}


def channels_added_by_import(db: sqlite_utils.Database) -> pd.DataFrame:
    """Channels an import added with the default publicness, still waiting to be placed."""
    return store.query_df(db, "SELECT channel, label, publicness FROM channels "
                              "WHERE description = ? ORDER BY channel", (store.UNPLACED_CHANNEL,))


def brand_accounts(db: sqlite_utils.Database) -> pd.DataFrame:
    return store.query_df(db, "SELECT platform, handle FROM brand_accounts ORDER BY platform, handle")


def replace_brand_accounts(db: sqlite_utils.Database, rows: pd.DataFrame) -> int:
    """Make ``brand_accounts`` exactly ``rows`` (platform, handle; blanks dropped, trimmed, deduplicated).

    Who is the brand changes every page's split of posts by role, so the rows version moves.
    """
    clean = rows[["platform", "handle"]].astype("str").apply(lambda s: s.str.strip())
    clean = clean[(clean["platform"] != "") & (clean["handle"] != "") & clean.notna().all(axis=1)
                  & (clean["platform"] != "None") & (clean["handle"] != "None")]
    clean = clean.drop_duplicates()
    with db.atomic():
        db.conn.execute("DELETE FROM brand_accounts")
        store.upsert_rows(db, "brand_accounts", clean)
        store.bump_version(db)
    return len(clean)


def kinds_to_place(db: sqlite_utils.Database) -> tuple[list[str], bool]:
    """(kinds in interactions the ``kinds`` vocabulary does not know, whether that vocabulary exists).

    Without a vocabulary every kind in the data is listed, so the user sees what imports brought.
    """
    has_vocab = "kinds" in db.table_names()
    sql = "SELECT DISTINCT kind FROM interactions WHERE kind IS NOT NULL"
    if has_vocab:
        sql += " AND kind NOT IN (SELECT kind FROM kinds)"
    return [r[0] for r in db.conn.execute(sql + " ORDER BY kind")], has_vocab


def columns_of(db: sqlite_utils.Database, table: str) -> set[str]:
    """The columns ``table`` has in this database (an older database may lack newer ones)."""
    return {r[1] for r in db.conn.execute(f'PRAGMA table_info("{table}")')}
