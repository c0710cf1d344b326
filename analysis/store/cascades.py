"""Queries behind the Cascades page: reshare and reply trees, follower counts, the follower graph, linked accounts."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import sqlite_utils

from analysis.filters import Filters
from analysis.store import query_df, scalar
from analysis.store.roles import author_role_sql

# The two kinds of tree a post can root; the column names are fixed here, never taken from input.
PARENT_COLUMN = {"reshare": "reshare_of", "reply": "reply_to"}

# A guard for recursive queries over malformed data (a reshare chain that loops back on itself).
MAX_DEPTH = 10_000


def _col(kind: str) -> str:
    try:
        return PARENT_COLUMN[kind]
    except KeyError:
        raise ValueError(f"unknown cascade kind {kind!r}; choose from {', '.join(PARENT_COLUMN)}") from None


def child_edges(db: sqlite_utils.Database, kind: str = "reshare") -> pd.DataFrame:
    """Every post that points to a parent: post_id, parent, created_at (all data, unfiltered)."""
    col = _col(kind)
    return query_df(db, f"SELECT post_id, {col} AS parent, created_at FROM posts WHERE {col} IS NOT NULL")


def cascade_roots(db: sqlite_utils.Database, kind: str = "reshare") -> pd.DataFrame:
    """Original posts (no parent) with at least one direct child: post_id, platform, author, time, sentiment."""
    col = _col(kind)
    # Distinct parents come sorted off idx_posts_reshare; looking each up by key beats testing every post.
    return query_df(db, f"""
        SELECT r.post_id, r.platform, r.author_handle, r.created_at, r.sentiment
        FROM (SELECT DISTINCT {col} AS id FROM posts WHERE {col} IS NOT NULL) k
        JOIN posts r ON r.post_id = k.id
        WHERE r.{col} IS NULL""")


def root_count(db: sqlite_utils.Database, f: Filters, kind: str = "reshare") -> int:
    """Posts that could root a cascade (no parent of this kind) under the filters, reshared or not."""
    col = _col(kind)
    where, params = f.posts_where("p")
    return int(scalar(db, f"SELECT COUNT(*) FROM posts p WHERE p.{col} IS NULL AND {where}", params) or 0)


def follower_counts(db: sqlite_utils.Database, accounts: Iterable[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Followers per account (platform, handle, followers); all followed accounts, or only ``accounts``."""
    if accounts is None:
        return query_df(db, "SELECT platform, followee_handle AS handle, COUNT(*) AS followers "
                            "FROM follows GROUP BY platform, followee_handle")
    by_platform: dict[str, list[str]] = {}
    for platform, handle in accounts:
        by_platform.setdefault(platform, []).append(handle)
    frames = []
    for platform, handles in by_platform.items():
        uniq = list(dict.fromkeys(handles))
        for start in range(0, len(uniq), 500):
            chunk = uniq[start:start + 500]
            frames.append(query_df(db, f"""
                SELECT platform, followee_handle AS handle, COUNT(*) AS followers FROM follows
                WHERE platform = ? AND followee_handle IN ({','.join('?' * len(chunk))})
                GROUP BY platform, followee_handle""", [platform, *chunk]))
    if not frames:
        return pd.DataFrame(columns=["platform", "handle", "followers"])
    return pd.concat(frames, ignore_index=True)


def author_roles(db: sqlite_utils.Database, accounts: Iterable[tuple[str, str]]) -> pd.DataFrame:
    """The role (``analysis.store.roles``: brand, customer or public) of each (platform, handle) given:
    platform, handle, role."""
    uniq = list(dict.fromkeys((str(p), str(h)) for p, h in accounts))
    frames = []
    for start in range(0, len(uniq), 400):
        chunk = uniq[start:start + 400]
        rows = " UNION ALL ".join("SELECT ? AS platform, ? AS author_handle" for _ in chunk)
        frames.append(query_df(db, f"SELECT a.platform, a.author_handle AS handle, {author_role_sql('a')} AS role "
                                   f"FROM ({rows}) a", [v for pair in chunk for v in pair]))
    if not frames:
        return pd.DataFrame(columns=["platform", "handle", "role"])
    return pd.concat(frames, ignore_index=True)


def cascade_members(db: sqlite_utils.Database, roots: Sequence[str], kind: str = "reshare",
                    with_text: bool = False) -> pd.DataFrame:
    """Every post in the trees rooted at ``roots`` (recursive query): root, post_id, parent, depth, author, time,
    sentiment, and the author's customer when linked.

    ``depth`` is 0 for the root. Rows come breadth-first (by root, depth, time).
    """
    col = _col(kind)
    roots = list(dict.fromkeys(roots))
    if not roots:
        cols = ["root", "post_id", "parent", "depth", "platform", "author_handle", "created_at", "sentiment",
                "customer_id"]
        return pd.DataFrame(columns=cols + (["text"] if with_text else []))
    text = ", p.text" if with_text else ""
    frames = []
    for start in range(0, len(roots), 500):
        chunk = roots[start:start + 500]
        frames.append(query_df(db, f"""
            WITH RECURSIVE tree(root, post_id, parent, depth) AS (
                SELECT post_id, post_id, NULL, 0 FROM posts WHERE post_id IN ({','.join('?' * len(chunk))})
                UNION ALL
                SELECT t.root, c.post_id, c.{col}, t.depth + 1 FROM posts c JOIN tree t ON c.{col} = t.post_id
                WHERE t.depth < {MAX_DEPTH}
            )
            SELECT t.root, t.post_id, t.parent, t.depth, p.platform, p.author_handle, p.created_at,
                   p.sentiment, i.customer_id{text}
            FROM tree t JOIN posts p ON p.post_id = t.post_id
            LEFT JOIN identities i ON i.platform = p.platform AND i.handle = p.author_handle
            ORDER BY t.root, t.depth, p.created_at, t.post_id""", chunk))
    return pd.concat(frames, ignore_index=True)


def linked_accounts(db: sqlite_utils.Database) -> pd.DataFrame:
    """Social accounts linked to CRM customers: platform, handle, customer_id, name, segment, region, value."""
    return query_df(db, """
        SELECT i.platform, i.handle, i.customer_id, c.name, c.segment, c.region, c.lifetime_value
        FROM identities i LEFT JOIN customers c ON c.customer_id = i.customer_id""")


def linked_author_sentiment(db: sqlite_utils.Database) -> pd.DataFrame:
    """Mean sentiment of each linked account's own posts (reshares excluded: their text is someone else's)."""
    return query_df(db, """
        SELECT i.platform, i.handle, i.customer_id, AVG(p.sentiment) AS mean_sentiment, COUNT(*) AS posts
        FROM identities i JOIN posts p ON p.platform = i.platform AND p.author_handle = i.handle
        WHERE p.reshare_of IS NULL AND p.sentiment IS NOT NULL
        GROUP BY i.platform, i.handle, i.customer_id""")


def linked_resharers(db: sqlite_utils.Database, kind: str = "reshare") -> pd.DataFrame:
    """Per linked customer, platform and day: reshares they made (carried) and reshares of those (passed_on).

    Grouped by day so the page can apply the global filters in pandas without asking again.
    """
    col = _col(kind)
    # Count each reshare's children before grouping: SQLite runs the correlated count once per post
    # this way, instead of again while aggregating.
    return query_df(db, f"""
        SELECT t.customer_id, t.platform, t.day, c.segment, c.region, COUNT(*) AS carried, SUM(t.n) AS passed_on
        FROM (
            SELECT i.customer_id, p.platform, substr(p.created_at, 1, 10) AS day,
                   (SELECT COUNT(*) FROM posts k WHERE k.{col} = p.post_id) AS n
            FROM identities i
            JOIN posts p ON p.platform = i.platform AND p.author_handle = i.handle
            WHERE p.{col} IS NOT NULL
        ) t
        LEFT JOIN customers c ON c.customer_id = t.customer_id
        GROUP BY t.customer_id, t.platform, t.day, c.segment, c.region""")


def follow_platforms(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.conn.execute("SELECT DISTINCT platform FROM follows ORDER BY 1")]


def follow_edge_count(db: sqlite_utils.Database, platform: str) -> int:
    return int(scalar(db, "SELECT COUNT(*) FROM follows WHERE platform = ?", (platform,)) or 0)


def follow_edges(db: sqlite_utils.Database, platform: str) -> tuple[np.ndarray, np.ndarray]:
    """Every follow on one platform as two object arrays (follower, followee)."""
    # Millions of row tuples make the cyclic collector rescan the heap many times over, which
    # triples the load time; none of these objects can form a cycle.
    enabled = gc.isenabled()
    gc.disable()
    try:
        rows = db.conn.execute("SELECT follower_handle, followee_handle FROM follows WHERE platform = ?",
                               (platform,)).fetchall()
        pairs = np.array(rows, dtype=object).reshape(-1, 2)
        del rows
    finally:
        if enabled:
            gc.enable()
    return pairs[:, 0], pairs[:, 1]
