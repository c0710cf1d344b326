"""The global filters as one object: built from widget values or URL parameters,
turned into parameterised SQL and into the English caption under every chart."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd


def _as_date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Filters:
    """Date range (inclusive days), segments, regions and social platforms.

    Empty tuples mean "all". Frozen and hashable so it can key caches.
    """

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    segments: tuple[str, ...] = field(default_factory=tuple)
    regions: tuple[str, ...] = field(default_factory=tuple)
    platforms: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        object.__setattr__(self, "date_from", _as_date(self.date_from))
        object.__setattr__(self, "date_to", _as_date(self.date_to))
        for name in ("segments", "regions", "platforms"):
            object.__setattr__(self, name, tuple(sorted(set(getattr(self, name) or ()))))
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date range is empty: {self.date_from} is after {self.date_to}")

    # -- SQL -------------------------------------------------------------
    def date_clauses(self, column: str) -> tuple[list[str], list]:
        """Inclusive days as ISO-text comparisons on ``column``: (clauses, params).

        The column is written ``(column || '')``, which keeps SQLite from driving the query by
        its time index: without range statistics it takes any date range for a narrow one, and
        for the aggregates the pages run, reading rows in time order through the index costs
        more than reading the table, already for a quarter of the data (4.2 s against 0.64 s for
        all but the first month of 1M interactions; 0.64 s against 0.26 s for the last 90 days).
        A server engine with range statistics would not need it; it is harmless there.
        """
        clauses, params = [], []
        if self.date_from:
            clauses.append(f"({column} || '') >= ?")
            params.append(self.date_from.isoformat())
        if self.date_to:
            # Timestamps are ISO text: everything on date_to sorts before the next day.
            clauses.append(f"({column} || '') < ?")
            params.append((self.date_to + dt.timedelta(days=1)).isoformat())
        return clauses, params

    def _customer_clause(self, customer_col: str, exists: bool = False) -> tuple[list[str], list]:
        clauses, params = [], []
        if (self.segments or self.regions) and exists:
            where, p = self.customers_where("c")
            clauses.append(f"EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = {customer_col} AND {where})")
            params += p
        elif self.segments or self.regions:
            sub, sub_params = [], []
            if self.segments:
                sub.append(f"segment IN ({','.join('?' * len(self.segments))})")
                sub_params += list(self.segments)
            if self.regions:
                sub.append(f"region IN ({','.join('?' * len(self.regions))})")
                sub_params += list(self.regions)
            clauses.append(f"{customer_col} IN (SELECT customer_id FROM customers WHERE {' AND '.join(sub)})")
            params += sub_params
        return clauses, params

    def interactions_where(self, alias: str = "", exists: bool = False) -> tuple[str, list]:
        """WHERE clause (without the keyword) for the interactions table.

        ``exists`` writes the segment/region condition as a correlated EXISTS, which SQLite
        plans better when the query is driven by another index than customer_id.
        """
        p = f"{alias}." if alias else ""
        c1, p1 = self.date_clauses(f"{p}occurred_at")
        # Inside EXISTS an unqualified customer_id would name the subquery's own column.
        c2, p2 = self._customer_clause(f"{p or 'interactions.'}customer_id" if exists else f"{p}customer_id",
                                       exists)
        clauses = c1 + c2
        return (" AND ".join(clauses) or "1=1"), p1 + p2

    def posts_where(self, alias: str = "", time_column: str = "created_at") -> tuple[str, list]:
        """WHERE clause for posts: dates, platforms, and, when segment or region is
        set, only posts by accounts linked to customers in them. ``time_column`` names the
        timestamp (or ISO day) column, for tables shaped like posts (the posts rollup)."""
        p = f"{alias}." if alias else ""
        clauses, params = self.date_clauses(f"{p}{time_column}")
        if self.platforms:
            # Not through the (platform, author) index: a platform is a large share of the posts,
            # read faster from the table (0.24 s against 1.25 s for one of three at 1.27M posts).
            clauses.append(f"({p}platform || '') IN ({','.join('?' * len(self.platforms))})")
            params += list(self.platforms)
        c2, p2 = self._customer_clause("i.customer_id")
        if c2:
            # A row-value semi-join: far faster than a correlated EXISTS, and portable SQL.
            clauses.append(f"({p}platform, {p}author_handle) IN "
                           f"(SELECT i.platform, i.handle FROM identities i WHERE {c2[0]})")
            params += p2
        return (" AND ".join(clauses) or "1=1"), params

    def customers_where(self, alias: str = "") -> tuple[str, list]:
        p = f"{alias}." if alias else ""
        clauses, params = [], []
        if self.segments:
            clauses.append(f"{p}segment IN ({','.join('?' * len(self.segments))})")
            params += list(self.segments)
        if self.regions:
            clauses.append(f"{p}region IN ({','.join('?' * len(self.regions))})")
            params += list(self.regions)
        return (" AND ".join(clauses) or "1=1"), params

    # -- in memory -------------------------------------------------------
    def frame_mask(self, frame: pd.DataFrame, date: str | None = None, platform: bool = True,
                   customer: bool = True) -> np.ndarray:
        """The same rules on rows already in memory: a boolean mask over ``frame``.

        ``date`` names a column of ISO days or timestamps (text); rows without one fail a date
        filter. ``platform`` applies the platforms to the ``platform`` column, ``customer`` the
        segments and regions to ``segment`` and ``region``.
        """
        mask = np.ones(len(frame), dtype=bool)
        if date is not None and (self.date_from or self.date_to):
            text = frame[date]
            mask &= text.notna().to_numpy()
            text = text.fillna("").astype(str)
            if self.date_from:
                mask &= (text >= self.date_from.isoformat()).to_numpy()
            if self.date_to:
                mask &= (text < (self.date_to + dt.timedelta(days=1)).isoformat()).to_numpy()
        if platform and self.platforms:
            mask &= frame["platform"].isin(self.platforms).to_numpy()
        if customer and self.segments:
            mask &= frame["segment"].isin(self.segments).to_numpy()
        if customer and self.regions:
            mask &= frame["region"].isin(self.regions).to_numpy()
        return mask

    # -- words -----------------------------------------------------------
    def caption(self) -> str:
        parts = []
        if self.date_from and self.date_to:
            parts.append(f"from {self.date_from:%d %b %Y} to {self.date_to:%d %b %Y}")
        elif self.date_from:
            parts.append(f"from {self.date_from:%d %b %Y}")
        elif self.date_to:
            parts.append(f"up to {self.date_to:%d %b %Y}")
        for label, values in (("segment", self.segments), ("region", self.regions),
                              ("platform", self.platforms)):
            if values:
                parts.append(f"{label} {_or_list(values)}")
        return "All data" if not parts else "Filtered: " + "; ".join(parts)

    # -- URL / state -----------------------------------------------------
    def to_params(self) -> dict[str, str]:
        d = {}
        if self.date_from:
            d["from"] = self.date_from.isoformat()
        if self.date_to:
            d["to"] = self.date_to.isoformat()
        for k in ("segments", "regions", "platforms"):
            if getattr(self, k):
                d[k] = ",".join(getattr(self, k))
        return d

    @classmethod
    def from_params(cls, params: dict) -> Filters:
        def split(v):
            if v is None:
                return ()
            if isinstance(v, (list, tuple)):
                return tuple(v)
            return tuple(x for x in str(v).split(",") if x)
        return cls(date_from=params.get("from"), date_to=params.get("to"),
                   segments=split(params.get("segments")), regions=split(params.get("regions")),
                   platforms=split(params.get("platforms")))

    def as_dict(self) -> dict:
        d = asdict(self)
        d["date_from"] = self.date_from.isoformat() if self.date_from else None
        d["date_to"] = self.date_to.isoformat() if self.date_to else None
        d["segments"], d["regions"], d["platforms"] = (list(self.segments), list(self.regions),
                                                       list(self.platforms))
        return d


def _or_list(values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return values[0]
    return ", ".join(values[:-1]) + " or " + values[-1]
