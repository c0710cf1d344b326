"""The kinds vocabulary: what each interaction ``kind`` means, edited by users like channels' publicness.

Figures never test a kind's name: they ask what it *means*. ``opens`` starts a service
conversation, ``resolves`` resolves it, ``handoff_private`` is a brand message moving the
conversation to a private channel, ``purchase`` is an order (its ``amount`` is revenue), and
``other`` is everything else. A kind missing from the table (an old database, a value written by
hand) means ``other``: never a silent guess.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlite_utils

from analysis import store
from analysis.store import query_df

MEANINGS: dict[str, str] = {
    "opens": "Starts a service conversation",
    "resolves": "Resolves a service conversation",
    "handoff_private": "A brand message moving the conversation to a private channel",
    "purchase": "A purchase (its amount counts as revenue)",
    "other": "Anything else",
}
DEFAULT_MEANING = "other"

DDL = """
CREATE TABLE IF NOT EXISTS kinds (
    kind TEXT PRIMARY KEY,
    label TEXT,
    meaning TEXT NOT NULL,
    description TEXT
);
"""

# The shipped vocabulary: the demo's kinds and those the built-in import formats write.
DEFAULT_KINDS: list[dict] = [
    {"kind": "complaint", "label": "Complaint", "meaning": "opens",
     "description": "A customer reports a problem (demo)"},
    {"kind": "inquiry", "label": "Inquiry", "meaning": "opens",
     "description": "A customer asks a question; the tweets and tickets formats open conversations with it"},
    {"kind": "follow_up", "label": "Follow-up", "meaning": "other",
     "description": "A customer's further message in an open conversation (demo)"},
    {"kind": "message", "label": "Message", "meaning": "other",
     "description": "A customer's later tweet in a conversation (tweets format)"},
    {"kind": "response", "label": "Response", "meaning": "other",
     "description": "A brand's answer in a conversation (demo)"},
    {"kind": "reply", "label": "Reply", "meaning": "other",
     "description": "A brand reply (tweets format) or an agent's first reply (tickets format)"},
    {"kind": "handoff_private", "label": "Hand-off to private", "meaning": "handoff_private",
     "description": "A brand reply asking to move to DM, email, phone or private message (tweets format)"},
    {"kind": "resolution", "label": "Resolution", "meaning": "resolves",
     "description": "The conversation is resolved (demo); a ticket solved or closed (tickets format)"},
    {"kind": "satisfaction", "label": "Satisfaction rating", "meaning": "other",
     "description": "A ticket's satisfaction rating, the score in amount (tickets format)"},
    {"kind": "purchase", "label": "Purchase", "meaning": "purchase",
     "description": "An order; its amount is revenue (demo)"},
    {"kind": "marketing", "label": "Marketing send", "meaning": "other",
     "description": "A broadcast marketing message (demo)"},
    {"kind": "review", "label": "Review", "meaning": "other",
     "description": "A customer's rating or review (demo)"},
    {"kind": "kudos", "label": "Kudos", "meaning": "other",
     "description": "A customer's public praise (demo)"},
]


def migrate(db: sqlite_utils.Database) -> None:
    """Create and seed the table the first time a database meets this module (a read otherwise)."""
    if "kinds" in db.table_names():
        return
    outer = db.conn.in_transaction  # never commit a caller's transaction (executescript would)
    db.conn.execute(DDL)
    db.conn.executemany("INSERT INTO kinds (kind, label, meaning, description) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (kind) DO NOTHING",
                        [(k["kind"], k["label"], k["meaning"], k["description"]) for k in DEFAULT_KINDS])
    if not outer:
        db.conn.commit()


store.register_migration(migrate, tables=("kinds",))


def kinds(db: sqlite_utils.Database) -> pd.DataFrame:
    """The vocabulary (kind, label, meaning, description), by meaning then kind."""
    migrate(db)
    out = query_df(db, "SELECT kind, label, meaning, description FROM kinds")
    order = {m: i for i, m in enumerate(MEANINGS)}
    out["_o"] = out["meaning"].map(order).fillna(len(order))
    return out.sort_values(["_o", "kind"]).drop(columns="_o").reset_index(drop=True)


def meaning_map(db: sqlite_utils.Database) -> dict[str, str]:
    """kind -> meaning for every kind in the vocabulary (look up others with ``meaning_of``)."""
    k = kinds(db)
    return dict(zip(k["kind"], k["meaning"]))


def meaning_of(kind_values, meanings: dict[str, str]) -> pd.Series:
    """The meaning of each kind in ``kind_values`` (missing or unknown kinds: 'other'), vectorised."""
    s = pd.Series(kind_values, dtype=object)
    return s.map(meanings).fillna(DEFAULT_MEANING).astype(object)


def with_meaning(db: sqlite_utils.Database, meaning: str) -> list[str]:
    """The kinds that carry ``meaning``."""
    _check_meaning(meaning)
    k = kinds(db)
    return sorted(k.loc[k["meaning"] == meaning, "kind"])


def meaning_sql(column: str = "kind", meaning: str | None = None) -> str:
    """SQL true when ``column`` is a kind with ``meaning`` (portable subquery; SQLite evaluates it once).

    Without ``meaning`` the meaning is the next query parameter; with it, the meaning (one of
    ``MEANINGS``, checked: never user text) is written into the SQL, for statements run without
    parameters.
    """
    if meaning is None:
        return f"{column} IN (SELECT kinds.kind FROM kinds WHERE kinds.meaning = ?)"
    _check_meaning(meaning)
    return f"{column} IN (SELECT kinds.kind FROM kinds WHERE kinds.meaning = '{meaning}')"


def _check_meaning(meaning: str) -> None:
    if meaning not in MEANINGS:
        raise ValueError(f"unknown meaning {meaning!r}: use one of {', '.join(MEANINGS)}")


def ensure_kinds(db: sqlite_utils.Database, names: Iterable[str]) -> list[str]:
    """Add kinds not yet in the vocabulary, meaning 'other'; returns the names added (to list to the user).

    Runs inside the caller's transaction when there is one (an import), so a refused import adds none.
    """
    migrate(db)
    wanted = sorted({str(n) for n in names if n is not None and str(n) != "" and n == n})
    if not wanted:
        return []
    known = store.existing_keys(db, "kinds", "kind", wanted)
    new = [n for n in wanted if n not in known]
    if new:
        db.conn.executemany(
            "INSERT INTO kinds (kind, label, meaning, description) VALUES (?, ?, ?, ?) ON CONFLICT (kind) DO NOTHING",
            [(n, n.replace("_", " ").capitalize(), DEFAULT_MEANING, "Added by an import; say what it means")
             for n in new])
    return new


def set_kind(db: sqlite_utils.Database, kind: str, meaning: str, label: str | None = None,
             description: str | None = None) -> None:
    """Set what a kind means (adding it when new).

    Meanings decide which threads are conversations, when they are resolved and what counts as
    revenue, so what is kept per rows version (conversations, rollups) is stale afterwards: this
    bumps the rows version, unlike a channel's publicness.
    """
    _check_meaning(meaning)
    kind = str(kind).strip()
    if not kind:
        raise ValueError("a kind needs a name")
    migrate(db)
    with db.atomic():
        db.conn.execute(
            "INSERT INTO kinds (kind, label, meaning, description) VALUES (?, ?, ?, ?) ON CONFLICT (kind) DO UPDATE "
            "SET meaning = excluded.meaning, label = COALESCE(excluded.label, kinds.label), "
            "description = COALESCE(excluded.description, kinds.description)",
            (kind, label, meaning, description))
        store.bump_version(db)


def unlisted_kinds(db: sqlite_utils.Database) -> list[str]:
    """Kinds the interactions use that the vocabulary does not list (they mean 'other')."""
    migrate(db)
    return [r[0] for r in db.conn.execute(
        "SELECT DISTINCT i.kind FROM interactions i WHERE i.kind IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM kinds k WHERE k.kind = i.kind) ORDER BY 1")]


def kind_usage(db: sqlite_utils.Database) -> pd.DataFrame:
    """Interactions per kind and direction (kind, inbound, outbound), for the editor: a scan of every
    interaction (9.6 s at 10M), so counted once per rows version and kept in the database."""
    from analysis.store import aggregates

    return aggregates.memo(db, "kinds.usage", lambda: query_df(db, """
        SELECT kind, SUM(CASE WHEN direction = 'inbound' THEN 1 ELSE 0 END) AS inbound,
               SUM(CASE WHEN direction = 'outbound' THEN 1 ELSE 0 END) AS outbound
        FROM interactions WHERE kind IS NOT NULL GROUP BY kind"""))


def vocabulary_with_usage(db: sqlite_utils.Database) -> pd.DataFrame:
    """The editor's table: every listed kind and every kind the interactions use, with its meaning,
    whether it is listed, and how many inbound and outbound interactions carry it."""
    k = kinds(db).assign(listed=True)
    usage = kind_usage(db)
    out = k.merge(usage, on="kind", how="outer")
    unlisted = out["listed"].isna()
    out.loc[unlisted, "meaning"] = DEFAULT_MEANING
    out.loc[unlisted, "label"] = out.loc[unlisted, "kind"]
    out.loc[unlisted, "description"] = "In the data but not in the vocabulary: means other until placed"
    out["listed"] = out["listed"].fillna(False).astype(bool)
    for c in ("inbound", "outbound"):
        out[c] = pd.to_numeric(out[c], errors="coerce").fillna(0).astype(int)
    order = {m: i for i, m in enumerate(MEANINGS)}
    out["_o"] = out["meaning"].map(order).fillna(len(order))
    return (out.sort_values(["listed", "_o", "kind"], ascending=[True, True, True]).drop(columns="_o")
            [["kind", "label", "meaning", "description", "inbound", "outbound", "listed"]].reset_index(drop=True))
