"""Queries behind Service timing: what the data can say about resolution, accounts and private channels.

The conversations themselves come from Continuum's kept copy (``analysis.continuum.service_base``);
durations are computed in pandas on those rows (``julianday`` is SQLite's only).
"""

from __future__ import annotations

import pandas as pd
import sqlite_utils

from analysis.store import PUBLIC_THRESHOLD, query_df


def coverage(db: sqlite_utils.Database) -> pd.DataFrame:
    """Interactions per kind meaning and direction, with how many name an account and how many are
    on a private channel (meaning, direction, n, with_account, private). Unknown kinds mean 'other';
    channels missing from the vocabulary count as public (they are placed at the threshold)."""
    return query_df(db, """
        SELECT COALESCE(k.meaning, 'other') AS meaning, i.direction, COUNT(*) AS n,
               SUM(CASE WHEN i.account IS NOT NULL AND i.account <> '' THEN 1 ELSE 0 END) AS with_account,
               SUM(CASE WHEN ch.publicness < ? THEN 1 ELSE 0 END) AS private
        FROM interactions i
        LEFT JOIN kinds k ON k.kind = i.kind
        LEFT JOIN channels ch ON ch.channel = i.channel
        GROUP BY COALESCE(k.meaning, 'other'), i.direction""", [PUBLIC_THRESHOLD])
