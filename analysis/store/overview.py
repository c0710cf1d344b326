"""Queries behind the Overview page: dataset health and headline figures."""

from __future__ import annotations

import pandas as pd
import sqlite_utils

from analysis.filters import Filters
from analysis.store import kinds, query_df, rollups, scalar
from analysis.store.roles import author_role_sql, roles_clause

# Columns whose missing values the health check counts (optional in imports).
HEALTH_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("name", "email", "segment", "region", "joined_at", "lifetime_value"),
    "interactions": ("thread_id", "kind", "amount", "text"),
    "posts": ("text", "likes", "sentiment"),
}


def missing_values(db: sqlite_utils.Database) -> pd.DataFrame:
    """Per table and column: rows, missing count (one aggregate query per table)."""
    frames = []
    for table, cols in HEALTH_COLUMNS.items():
        sums = ", ".join(f'SUM(CASE WHEN "{c}" IS NULL THEN 1 ELSE 0 END) AS "{c}"' for c in cols)
        row = query_df(db, f'SELECT COUNT(*) AS rows_, {sums} FROM "{table}"')
        total = int(row["rows_"].iloc[0] or 0)
        for c in cols:
            frames.append({"table": table, "column": c, "rows": total, "missing": int(row[c].iloc[0] or 0)})
    return pd.DataFrame(frames)


def link_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Counts behind the match rates between CRM customers and social accounts (one pass over posts)."""
    row = query_df(db, """
        SELECT COUNT(*) AS authors, SUM(linked) AS linked_authors, SUM(n) AS posts, SUM(n * linked) AS linked_posts
        FROM (SELECT p.platform, p.author_handle, COUNT(*) AS n,
                     MAX(CASE WHEN i.handle IS NULL THEN 0 ELSE 1 END) AS linked
              FROM posts p LEFT JOIN identities i ON i.platform = p.platform AND i.handle = p.author_handle
              GROUP BY p.platform, p.author_handle) a""").iloc[0]
    return {
        "customers": int(scalar(db, "SELECT COUNT(*) FROM customers")),
        "linked_customers": int(scalar(db, "SELECT COUNT(DISTINCT customer_id) FROM identities")),
        **{k: int(row[k] or 0) for k in ("authors", "linked_authors", "posts", "linked_posts")},
    }


def interaction_kpis(db: sqlite_utils.Database, f: Filters) -> dict[str, float]:
    """Touches, active customers, conversations, inbound, outbound and revenue under ``f``.

    From the interactions rollup when it is fresh (sums over about 0.9 rows per interaction:
    0.04–0.2 s at 1M interactions under any segment or date filter), else counted directly
    (0.3–0.9 s, the conversations' DISTINCT dominating).
    """
    if f != Filters() and rollups.fresh(db):
        row = rollups.interaction_kpis(db, f)
        if rollups.shared_threads(db):  # a thread shared by customers: the rollup counts it per customer
            where, params = f.interactions_where()
            row["threads"] = float(scalar(db, f"SELECT COUNT(DISTINCT thread_id) FROM interactions WHERE {where}",
                                          params) or 0)
        return row
    # The IN (customers of the segment) form reads each customer's rows through their index,
    # which also serves COUNT(DISTINCT customer_id): 0.34–0.94 s per segment against 1.4–1.6 s
    # for a correlated EXISTS at 1M interactions.
    where, params = f.interactions_where()
    row = query_df(db, f"""
        SELECT COUNT(*) AS interactions,
               COUNT(DISTINCT customer_id) AS active_customers,
               COUNT(DISTINCT thread_id) AS threads,
               SUM(CASE WHEN direction = 'inbound' THEN 1 ELSE 0 END) AS inbound,
               SUM(CASE WHEN direction = 'outbound' THEN 1 ELSE 0 END) AS outbound,
               SUM(CASE WHEN {kinds.meaning_sql('kind', 'purchase')} THEN amount ELSE 0 END) AS revenue
        FROM interactions WHERE {where}""", params)
    return {k: float(v or 0) for k, v in row.iloc[0].items()}


def _posts_where(f: Filters, roles) -> tuple[str, list]:
    where, params = f.posts_where("p")
    rc, rp = roles_clause(roles, "p")
    return (f"{where} AND {rc}", params + rp) if rc else (where, params)


def post_kpis(db: sqlite_utils.Database, f: Filters, roles=None) -> dict[str, float]:
    """Posts, mean sentiment, negative, positive and reshares under ``f`` by authors of ``roles``
    (None: every author)."""
    if f != Filters() and rollups.fresh(db):
        return rollups.post_kpis(db, f, roles)
    where, params = _posts_where(f, roles)
    row = query_df(db, f"""
        SELECT COUNT(*) AS posts,
               AVG(p.sentiment) AS mean_sentiment,
               SUM(CASE WHEN p.sentiment <= -0.05 THEN 1 ELSE 0 END) AS negative,
               SUM(CASE WHEN p.sentiment >= 0.05 THEN 1 ELSE 0 END) AS positive,
               SUM(CASE WHEN p.reshare_of IS NOT NULL THEN 1 ELSE 0 END) AS reshares
        FROM posts p WHERE {where}""", params)
    return {k: (float(v) if v is not None else float("nan")) for k, v in row.iloc[0].items()}


def post_roles(db: sqlite_utils.Database, f: Filters) -> pd.DataFrame:
    """Per author role under ``f``: posts, scored, sentiment_sum, negative, positive, reshares."""
    if f != Filters() and rollups.fresh(db):
        return rollups.post_roles(db, f)
    where, params = f.posts_where("p")
    return query_df(db, f"""
        SELECT role, COUNT(*) AS posts, COUNT(sentiment) AS scored, SUM(sentiment) AS sentiment_sum,
               SUM(CASE WHEN sentiment <= -0.05 THEN 1 ELSE 0 END) AS negative,
               SUM(CASE WHEN sentiment >= 0.05 THEN 1 ELSE 0 END) AS positive,
               SUM(CASE WHEN reshare_of IS NOT NULL THEN 1 ELSE 0 END) AS reshares
        FROM (SELECT {author_role_sql("p")} AS role, p.sentiment, p.reshare_of FROM posts p WHERE {where}) t
        GROUP BY role ORDER BY role""", params)


def monthly_activity(db: sqlite_utils.Database, f: Filters, roles=None) -> pd.DataFrame:
    """Interactions and posts (by authors of ``roles``) per month under the filters (month as 'YYYY-MM')."""
    if f != Filters() and rollups.fresh(db):
        return rollups.overview(db, f, roles)[2]
    wi, pi = f.interactions_where()
    wp, pp = _posts_where(f, roles)
    return query_df(db, f"""
        SELECT month, source, SUM(n) AS n FROM (
            SELECT substr(occurred_at, 1, 7) AS month, 'Interactions' AS source, COUNT(*) AS n
            FROM interactions WHERE {wi} GROUP BY 1
            UNION ALL
            SELECT substr(p.created_at, 1, 7), 'Public posts', COUNT(*)
            FROM posts p WHERE {wp} GROUP BY 1) t
        GROUP BY month, source ORDER BY month, source""", pi + pp)


def has_activity(db: sqlite_utils.Database) -> bool:
    """At least one interaction or post (two index probes, never a count of a large table)."""
    return bool(db.conn.execute("SELECT EXISTS (SELECT 1 FROM interactions) OR EXISTS (SELECT 1 FROM posts)")
                .fetchone()[0])
