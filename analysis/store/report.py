"""Queries behind the headless report that no page helper already answers: post sentiment per author
role, and the share of touches on the public half of the continuum."""

from __future__ import annotations

import pandas as pd
import sqlite_utils

from analysis.filters import Filters
from analysis.store import PUBLIC_THRESHOLD, query_df
from analysis.store.roles import author_role_sql


def sentiment_by_role(db: sqlite_utils.Database, f: Filters) -> pd.DataFrame:
    """Posts under the filters, reshares left out (their words are someone else's), per author role
    (brand, customer, public): role, posts, n_scored, mean, negative, positive (VADER's ±0.05)."""
    where, params = f.posts_where("p")
    role = author_role_sql("p")
    return query_df(db, f"""
        SELECT {role} AS role, COUNT(*) AS posts, COUNT(p.sentiment) AS n_scored, AVG(p.sentiment) AS mean,
               SUM(CASE WHEN p.sentiment <= -0.05 THEN 1 ELSE 0 END) AS negative,
               SUM(CASE WHEN p.sentiment >= 0.05 THEN 1 ELSE 0 END) AS positive
        FROM posts p
        WHERE p.reshare_of IS NULL AND {where}
        GROUP BY {role}""", params)


def public_touch_share(db: sqlite_utils.Database, f: Filters) -> tuple[int, int]:
    """Interactions under the filters, and how many are on a public channel (publicness >= the threshold)."""
    where, params = f.interactions_where("i")
    row = query_df(db, f"""
        SELECT COUNT(*) AS n, SUM(CASE WHEN ch.publicness >= ? THEN 1 ELSE 0 END) AS public
        FROM interactions i LEFT JOIN channels ch ON ch.channel = i.channel
        WHERE {where}""", [PUBLIC_THRESHOLD, *params]).iloc[0]
    return int(row["n"] or 0), int(row["public"] or 0)


def has_reshares(db: sqlite_utils.Database) -> bool:
    return db.conn.execute("SELECT 1 FROM posts WHERE reshare_of IS NOT NULL LIMIT 1").fetchone() is not None
