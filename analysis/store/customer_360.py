"""Queries behind the Customer 360 page: finding a customer, their profile, interactions and posts."""

from __future__ import annotations

import pandas as pd
import sqlite_utils

from analysis.store import PUBLIC_THRESHOLD, kinds, query_df, scalar


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find(db: sqlite_utils.Database, query: str, limit: int = 20) -> pd.DataFrame:
    """Customers whose id, email, name (any word of it) or linked handle starts with ``query``.

    Case-insensitive prefix matches with ``lower(...) LIKE`` (portable; SQLite's LIKE alone
    ignores case, PostgreSQL's does not). Exact matches rank first. At 50,000 customers a
    scan of ``customers`` and ``identities`` takes a few milliseconds, so no extra index
    is needed (measured; see the report of the issue).
    """
    text = (query or "").strip()
    if not text:
        return pd.DataFrame(columns=["customer_id", "name", "email", "segment", "region", "matched", "rank"])
    low = text.lower()
    handle = low.lstrip("@")
    prefix = _like_escape(low) + "%"
    word = "% " + _like_escape(low) + "%"
    hprefix = _like_escape(handle) + "%"
    return query_df(db, r"""
        SELECT c.customer_id, c.name, c.email, c.segment, c.region, m.matched, m.rank FROM (
            SELECT customer_id,
                   CASE WHEN lower(customer_id) = :low THEN 'id'
                        WHEN lower(email) = :low THEN 'email'
                        WHEN lower(customer_id) LIKE :prefix ESCAPE '\' THEN 'id'
                        WHEN lower(email) LIKE :prefix ESCAPE '\' THEN 'email'
                        ELSE 'name' END AS matched,
                   CASE WHEN lower(customer_id) = :low OR lower(email) = :low THEN 0
                        WHEN lower(customer_id) LIKE :prefix ESCAPE '\' THEN 2
                        WHEN lower(email) LIKE :prefix ESCAPE '\' THEN 3 ELSE 4 END AS rank
            FROM customers
            WHERE lower(customer_id) LIKE :prefix ESCAPE '\' OR lower(email) LIKE :prefix ESCAPE '\'
               OR lower(name) LIKE :prefix ESCAPE '\' OR lower(name) LIKE :word ESCAPE '\'
            UNION ALL
            SELECT customer_id, 'handle ' || platform || ' @' || handle AS matched,
                   CASE WHEN lower(handle) = :handle THEN 1 ELSE 5 END AS rank
            FROM identities WHERE lower(handle) LIKE :hprefix ESCAPE '\'
        ) m JOIN customers c ON c.customer_id = m.customer_id
        ORDER BY m.rank, c.name, c.customer_id LIMIT :limit""",
                    {"low": low, "prefix": prefix, "word": word, "handle": handle, "hprefix": hprefix,
                     "limit": int(limit) * 3})


def customer(db: sqlite_utils.Database, customer_id: str) -> dict | None:
    df = query_df(db, "SELECT * FROM customers WHERE customer_id = ?", [customer_id])
    return None if df.empty else df.iloc[0].to_dict()


def accounts(db: sqlite_utils.Database, customer_id: str) -> pd.DataFrame:
    """The social accounts explicitly linked to the customer."""
    return query_df(db, "SELECT platform, handle FROM identities WHERE customer_id = ? ORDER BY platform, handle",
                    [customer_id])


def interactions(db: sqlite_utils.Database, customer_id: str) -> pd.DataFrame:
    """Every interaction of the customer, oldest first, with its channel's label and publicness."""
    return query_df(db, """
        SELECT i.interaction_id, i.thread_id, i.occurred_at, i.channel, i.direction, i.kind, i.amount, i.text,
               ch.label AS channel_label, ch.publicness
        FROM interactions i LEFT JOIN channels ch ON ch.channel = i.channel
        WHERE i.customer_id = ? ORDER BY i.occurred_at, i.interaction_id""", [customer_id])


def posts(db: sqlite_utils.Database, customer_id: str) -> pd.DataFrame:
    """Public posts by the customer's linked accounts, oldest first."""
    return query_df(db, """
        SELECT p.post_id, p.platform, p.author_handle, p.created_at, p.text, p.reply_to, p.reshare_of, p.likes,
               p.sentiment, p.sentiment_vader, p.sentiment_corrected
        FROM identities i JOIN posts p ON p.platform = i.platform AND p.author_handle = i.handle
        WHERE i.customer_id = ? ORDER BY p.created_at, p.post_id""", [customer_id])


def post_publicness(db: sqlite_utils.Database) -> float:
    """A post's place on the continuum: the 'post' channel's publicness (1 when it is not defined)."""
    v = scalar(db, "SELECT publicness FROM channels WHERE channel = 'post'")
    return 1.0 if v is None else float(v)


def lifetime_value_rank(db: sqlite_utils.Database, value: float | None) -> tuple[int, int]:
    """(customers with a higher lifetime value, customers with a lifetime value)."""
    row = db.conn.execute("SELECT SUM(CASE WHEN lifetime_value > ? THEN 1 ELSE 0 END), COUNT(lifetime_value) "
                          "FROM customers", [value if value is not None else 0.0]).fetchone()
    return int(row[0] or 0), int(row[1] or 0)


def data_end(db: sqlite_utils.Database) -> str | None:
    """The latest timestamp in the data (two MAX queries: each one reads the end of an index)."""
    ends = [scalar(db, "SELECT MAX(occurred_at) FROM interactions"), scalar(db, "SELECT MAX(created_at) FROM posts")]
    ends = [e for e in ends if e]
    return max(ends) if ends else None


def recent_public_complaints(db: sqlite_utils.Database, limit: int = 8) -> pd.DataFrame:
    """The latest conversations customers opened on public channels (inbound, of a kind that means
    'opens'), newest first, one row per customer."""
    rows = query_df(db, f"""
        SELECT i.customer_id, c.name, c.segment, i.occurred_at, ch.label AS channel
        FROM interactions i JOIN channels ch ON ch.channel = i.channel
        JOIN customers c ON c.customer_id = i.customer_id
        WHERE {kinds.meaning_sql('i.kind')} AND i.direction = 'inbound' AND ch.publicness >= ?
        ORDER BY i.occurred_at DESC LIMIT ?""", ["opens", PUBLIC_THRESHOLD, int(limit) * 5])
    return rows.drop_duplicates("customer_id").head(limit).reset_index(drop=True)
