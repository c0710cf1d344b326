"""The interactions rollup in memory: the Overview's interaction figures under any filter without a scan.

``store.rollups.interaction_days`` answers a filter with one scan of the rollup (0.3–0.8 s at 1M
interactions, and the Overview needs it twice: the period shown and the one before). The rollup's
rows are read once per rows version into a few numpy columns (days and their "previous active day"
as positions in the sorted list of days, segment and region as codes), and a filter change is then a
mask and a ``bincount`` per figure: the same per-day figures, tested equal to the query's.

The rows of the rollup that agree on day, segment, region and both "previous day" positions are one
row of the cube, with their sums and how many they are (``w``): every figure is still a sum over the
cube's rows, and the cube's size is bounded by days² × segments × regions, not by the interactions
(at 10M interactions, 9M rollup rows become 1.0M: 3 s of CPU to read them on the first filtered view
of a process, and 1 s per filter change, become a tenth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import memo
from analysis.filters import Filters
from analysis.store import aggregates, rollups

FIGURES = ("interactions", "active_customers", "threads", "inbound", "outbound", "revenue")


@dataclass(frozen=True)
class Cube:
    days: np.ndarray          # the sorted distinct days (ISO text)
    day: np.ndarray           # each row's day, a position in ``days``
    cust_prev: np.ndarray     # the customer's previous active day (position; -1: none or not first of the day)
    thread_prev: np.ndarray   # the conversation's previous day (position; -1: none; rows without a thread: huge)
    segment: np.ndarray       # codes into ``segments`` (-1: none)
    segments: np.ndarray
    region: np.ndarray
    regions: np.ndarray
    n: np.ndarray
    inbound: np.ndarray
    outbound: np.ndarray
    revenue: np.ndarray
    w: np.ndarray             # rollup rows summed into this row (customers or conversations it counts)


_NEVER = np.iinfo(np.int32).max  # a position no window starts after: the row never counts


def _positions(days: np.ndarray, values: pd.Series, missing: int) -> np.ndarray:
    text = values.to_numpy(dtype=object, na_value=None)
    present = pd.notna(text)
    out = np.full(len(text), missing, dtype=np.int32)
    out[present] = np.searchsorted(days, text[present].astype(str))
    return out


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int16), np.asarray(uniques, dtype=object)


def build(rows: pd.DataFrame) -> Cube:
    """The in-memory cube of ``rollups.interaction_rows``."""
    day_text = rows["day"].astype(str).to_numpy(dtype=object)
    days, day = np.unique(day_text.astype(str), return_inverse=True)
    days = days.astype(object)
    first = rows["day_first"].to_numpy() == 1
    cust_prev = _positions(days, rows["cust_prev"], -1)
    cust_prev[~first] = _NEVER
    thread_prev = _positions(days, rows["thread_prev"], -1)
    thread_prev[rows["has_thread"].to_numpy() == 0] = _NEVER
    segment, segments = _codes(rows["segment"])
    region, regions = _codes(rows["region"])
    grouped = pd.DataFrame({
        "day": day.astype(np.int32), "cust_prev": cust_prev, "thread_prev": thread_prev, "segment": segment,
        "region": region, "n": rows["n"].to_numpy(dtype=np.int64),
        "inbound": rows["inbound"].to_numpy(dtype=np.int64), "outbound": rows["outbound"].to_numpy(dtype=np.int64),
        "revenue": rows["revenue"].to_numpy(dtype=np.float64), "w": np.ones(len(rows), dtype=np.int64),
    }).groupby(["day", "cust_prev", "thread_prev", "segment", "region"], sort=True, dropna=False).sum().reset_index()
    return Cube(days=days, day=grouped["day"].to_numpy(np.int32), cust_prev=grouped["cust_prev"].to_numpy(np.int32),
                thread_prev=grouped["thread_prev"].to_numpy(np.int32), segment=grouped["segment"].to_numpy(np.int16),
                segments=segments, region=grouped["region"].to_numpy(np.int16), regions=regions,
                n=grouped["n"].to_numpy(np.int64), inbound=grouped["inbound"].to_numpy(np.int64),
                outbound=grouped["outbound"].to_numpy(np.int64), revenue=grouped["revenue"].to_numpy(np.float64),
                w=grouped["w"].to_numpy(np.int64))


_COLUMNS = ("day", "cust_prev", "thread_prev", "segment", "region", "n", "inbound", "outbound", "revenue", "w")
_LABELS = ("days", "segments", "regions")


def _parts(c: Cube) -> dict:
    return {"columns": pd.DataFrame({k: getattr(c, k) for k in _COLUMNS}),
            "labels": {k: [None if v is None or v != v else str(v) for v in getattr(c, k)] for k in _LABELS}}


def _from_parts(parts: dict) -> Cube:
    cols, labels = parts["columns"], parts["labels"]
    return Cube(**{k: cols[k].to_numpy() for k in _COLUMNS},
                **{k: np.asarray(labels[k], dtype=object) for k in _LABELS})


# Where the cube is kept in the database. "interaction_cube2": rows grouped, with their weight ``w``;
# a copy an older version kept (one row per rollup row, no weight) is not read.
MEMO_KEY = "interaction_cube2"


def cube(db: sqlite_utils.Database) -> Cube:
    """The cube of this database: built once per rows version and kept in the database (numeric
    columns as Parquet, 10 numbers a row), read once per process."""
    def load():
        return _from_parts(aggregates.memo_parts(db, MEMO_KEY, ("columns", "labels"),
                                                 lambda: _parts(build(rollups.interaction_rows(db)))))
    return memo.kept(db, "interaction_cube", load)


def _chosen(codes: np.ndarray, names: np.ndarray, wanted) -> np.ndarray:
    keep = np.flatnonzero(np.isin(names, list(wanted)))
    return np.isin(codes, keep)


def days(c: Cube, f: Filters) -> pd.DataFrame:
    """Per day under ``f``, exactly as ``store.rollups.interaction_days``: interactions, customers and
    conversations counted on their first day in the window, inbound, outbound, revenue."""
    mask = np.ones(len(c.day), dtype=bool)
    start = 0
    if f.date_from:
        start = int(np.searchsorted(c.days, f.date_from.isoformat()))
        mask &= c.day >= start
    if f.date_to:
        mask &= c.day < int(np.searchsorted(c.days, f.date_to.isoformat(), side="right"))
    if f.segments:
        mask &= _chosen(c.segment, c.segments, f.segments)
    if f.regions:
        mask &= _chosen(c.region, c.regions, f.regions)
    day = c.day[mask]
    size = len(c.days)

    def total(weights=None):
        return np.bincount(day, weights=weights, minlength=size)

    present = total() > 0
    out = pd.DataFrame({
        "day": c.days[present].astype(object),
        "interactions": total(c.n[mask])[present].astype(np.int64),
        "active_customers": total(np.where(c.cust_prev[mask] < start, c.w[mask], 0))[present].astype(np.int64),
        "threads": total(np.where(c.thread_prev[mask] < start, c.w[mask], 0))[present].astype(np.int64),
        "inbound": total(c.inbound[mask])[present].astype(np.int64),
        "outbound": total(c.outbound[mask])[present].astype(np.int64),
        "revenue": total(c.revenue[mask])[present].astype(np.float64),
    })
    return out


def usable(db: sqlite_utils.Database) -> bool:
    """The rollup describes the data and counts every conversation once (no thread shared by customers)."""
    return rollups.fresh(db) and not rollups.shared_threads(db)


def interaction_days(db: sqlite_utils.Database, f: Filters) -> pd.DataFrame:
    """``store.rollups.interaction_days`` from the cube kept in memory (call ``usable`` first)."""
    return days(cube(db), f)
