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
    # The one URL vocabulary of the global filters. The sidebar's widgets use these names as
    # their keys (Streamlit binds a widget to the query parameter of its key), scenarios store
    # them, and summaries, compare, reports and slides read them back through from_params.
    DATES, SEGMENT, REGION, PLATFORM = "dates", "segment", "region", "platform"
    URL_KEYS = (DATES, SEGMENT, REGION, PLATFORM)
    # An earlier spelling (from/to and comma-joined plurals), still read so old saved views open.
    LEGACY_KEYS = ("from", "to", "segments", "regions", "platforms")

    def to_params(self) -> dict[str, list[str]]:
        """The filters as URL parameters: ``dates`` (one or two ISO days; an open start is
        written as an empty first value), ``segment``, ``region``, ``platform`` (lists).
        Only what is set appears; ``Filters.from_params(f.to_params()) == f``."""
        d: dict[str, list[str]] = {}
        if self.date_from or self.date_to:
            d[self.DATES] = [self.date_from.isoformat() if self.date_from else ""]
            if self.date_to:
                d[self.DATES].append(self.date_to.isoformat())
        for key, values in ((self.SEGMENT, self.segments), (self.REGION, self.regions),
                            (self.PLATFORM, self.platforms)):
            if values:
                d[key] = list(values)
        return d

    def widget_state(self, lo: dt.date | None, hi: dt.date | None) -> dict:
        """The sidebar widgets' values for these filters (an open end takes the data's bound)."""
        out: dict = {self.SEGMENT: list(self.segments), self.REGION: list(self.regions),
                     self.PLATFORM: list(self.platforms)}
        if lo and hi:
            out[self.DATES] = (max(lo, min(hi, self.date_from or lo)), min(hi, max(lo, self.date_to or hi)))
        return out

    @classmethod
    def from_widgets(cls, dates, segments, regions, platforms, lo: dt.date | None = None,
                     hi: dt.date | None = None) -> Filters:
        """From the sidebar's values; a date range equal to the data's bounds means "no date filter"
        (captions stay short and shared links clean)."""
        dates = list(dates) if isinstance(dates, (tuple, list)) else ([dates] if dates else [])
        date_from = dates[0] if dates else None
        date_to = dates[1] if len(dates) > 1 else None
        if lo is not None and date_from == lo:
            date_from = None
        if hi is not None and date_to == hi:
            date_to = None
        return cls(date_from=date_from, date_to=date_to, segments=tuple(segments or ()),
                   regions=tuple(regions or ()), platforms=tuple(platforms or ()))

    @classmethod
    def from_params(cls, params) -> Filters:
        """Parse URL parameters (a dict of text or lists, or ``st.query_params``).

        Reads the URL vocabulary above and translates the legacy one. Raises FilterError, whose
        message says which parameter is wrong and how, for a date that is not a date, more than
        two dates, or a start after the end. Other keys (a page's own settings) are ignored.
        """
        def values(key: str, split: bool = False) -> list[str]:
            if key not in params:
                return []
            raw = params.get_all(key) if hasattr(params, "get_all") else params.get(key)
            items = list(raw) if isinstance(raw, (list, tuple)) else [raw]
            out = ["" if v is None else str(v).strip() for v in items]
            if split:
                out = [y.strip() for x in out for y in x.split(",")]
            return out

        def day(text: str, key: str) -> dt.date | None:
            if text == "":
                return None
            try:
                return dt.date.fromisoformat(text[:10])
            except ValueError:
                raise FilterError(f"{key}={text!r} is not a date (write YYYY-MM-DD).") from None

        dates = values(cls.DATES)
        if len(dates) > 2:
            raise FilterError(f"dates has {len(dates)} values; a date range has a start and an end.")
        date_from = day(dates[0], cls.DATES) if dates else None
        date_to = day(dates[1], cls.DATES) if len(dates) > 1 else None
        for key in ("from", "to"):  # legacy spelling
            legacy = [v for v in values(key) if v]
            if len(legacy) > 1:
                raise FilterError(f"{key} has {len(legacy)} values; give one date.")
            if legacy:
                if key == "from":
                    date_from = day(legacy[0], key)
                else:
                    date_to = day(legacy[0], key)
        if date_from and date_to and date_from > date_to:
            raise FilterError(f"the date range is empty: it starts on {date_from} and ends on {date_to}.")

        def names(key: str, legacy: str) -> tuple[str, ...]:
            return tuple(v for v in values(key) + values(legacy, split=True) if v)

        return cls(date_from=date_from, date_to=date_to, segments=names(cls.SEGMENT, "segments"),
                   regions=names(cls.REGION, "regions"), platforms=names(cls.PLATFORM, "platforms"))

    @classmethod
    def is_filter_key(cls, key: str) -> bool:
        return key in cls.URL_KEYS or key in cls.LEGACY_KEYS

    def as_dict(self) -> dict:
        d = asdict(self)
        d["date_from"] = self.date_from.isoformat() if self.date_from else None
        d["date_to"] = self.date_to.isoformat() if self.date_to else None
        d["segments"], d["regions"], d["platforms"] = (list(self.segments), list(self.regions),
                                                       list(self.platforms))
        return d


class FilterError(ValueError):
    """URL parameters that do not make a set of filters; the message names the parameter."""


def _or_list(values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return values[0]
    return ", ".join(values[:-1]) + " or " + values[-1]
