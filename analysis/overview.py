"""Dataset health and headline KPIs for the Overview page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import pandas as pd
import sqlite_utils

from analysis import interaction_cube, listening, memo, store
from analysis.filters import Filters
from analysis.store import aggregates, rollups
from analysis.store import overview as q
from analysis.store import roles as roles_


@dataclass
class Health:
    counts: dict[str, int]
    date_range: tuple[str | None, str | None]
    link: dict[str, int]
    warnings: list[str] = field(default_factory=list)

    @property
    def customer_link_rate(self) -> float:
        return _rate(self.link["linked_customers"], self.link["customers"])

    @property
    def author_link_rate(self) -> float:
        return _rate(self.link["linked_authors"], self.link["authors"])

    @property
    def post_link_rate(self) -> float:
        return _rate(self.link["linked_posts"], self.link["posts"])


def _rate(a: float, b: float) -> float:
    return a / b if b else float("nan")


def health(db: sqlite_utils.Database) -> Health:
    """Row counts, date range and link rates (missing values separately: a full scan of every table)."""
    kept = aggregates.memo(db, "overview.health", lambda: {"counts": store.table_counts(db),
                                                           "link": q.link_counts(db)})
    counts = kept["counts"]
    h = Health(counts=counts, date_range=store.date_bounds(db), link=kept["link"])
    if counts["customers"] == 0:
        h.warnings.append("No customers loaded: import customers on the Data page or build the demo.")
    if counts["posts"] and h.link["linked_authors"] == 0:
        h.warnings.append("No social account is linked to a customer: import identities to join the two sides.")
    return h


def missing_values(db: sqlite_utils.Database) -> pd.DataFrame:
    """Per table and column: rows, missing values and their share, and a warning where it matters."""
    missing = q.missing_values(db)
    missing["missing_share"] = missing["missing"] / missing["rows"].where(missing["rows"] > 0)
    return missing


@dataclass
class Kpis:
    interactions: int
    active_customers: int
    threads: int
    inbound: int
    outbound: int
    revenue: float
    posts: int
    mean_sentiment: float
    negative_share: float
    positive_share: float
    reshares: int

    @property
    def outbound_share(self) -> float:
        """The company's share of the conversation (talk / (talk + listen))."""
        return _rate(self.outbound, self.inbound + self.outbound)


def role_key(roles) -> tuple[str, ...]:
    """A choice of author roles in canonical order; every role (or none chosen) is ``()``: all posts."""
    chosen = tuple(r for r in roles_.ROLES if r in set(roles or ()))
    return () if set(chosen) == set(roles_.ROLES) else chosen


def _memo_key(name: str, roles: tuple[str, ...]) -> str:
    return f"{name}.{'+'.join(roles)}" if roles else name


def kpis(db: sqlite_utils.Database, f: Filters, roles=None) -> Kpis:
    """The headline figures under ``f``; the post figures count authors of ``roles`` (None: every
    author; the page passes its choice, by default ``roles.DEFAULT_ROLES``)."""
    return _kpis(_kpi_rows(db, f, roles=role_key(roles)))


POST_DAY_COLUMNS = ["posts", "scored", "sentiment_sum", "negative", "positive", "reshares"]


def _cube_rows(db: sqlite_utils.Database, f: Filters, roles: tuple[str, ...] = ()) -> pd.DataFrame:
    rows = listening.cube(db)
    keep = f.frame_mask(rows, date="day")
    if roles:
        keep &= rows["role"].isin(list(roles)).to_numpy()
    rows = rows[keep]
    return rows.assign(reshares=rows["posts"] - rows["roots_reshare"])


def post_days(db: sqlite_utils.Database, f: Filters, roles: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per day under ``f``: posts, scored, sentiment_sum, negative, positive and reshares (posts with a
    reshare parent) by authors of ``roles`` (() : all), summed from the posts' per-day cube kept per
    rows version (``listening.cube``): no query proportional to the posts on a filter change."""
    out = _cube_rows(db, f, roles).groupby("day", as_index=False, sort=True)[POST_DAY_COLUMNS].sum()
    return out.astype({c: "int64" for c in POST_DAY_COLUMNS if c != "sentiment_sum"})


def _post_kpis(db: sqlite_utils.Database, f: Filters, roles: tuple[str, ...] = ()) -> dict[str, float]:
    return rollups.post_totals(post_days(db, f, roles))


def _kpi_rows(db: sqlite_utils.Database, f: Filters, extra: dict | None = None, roles: tuple[str, ...] = ()) -> dict:
    if f != Filters() and not extra and interaction_cube.usable(db):
        # A filter is a selection of the interactions rollup kept in memory and of the posts' cube.
        days = interaction_cube.interaction_days(db, f)
        return {"i": rollups.interaction_totals(days), "p": _post_kpis(db, f, roles)}
    post_job = (lambda c: _post_kpis(c, f, roles)) if f != Filters() else (lambda c: q.post_kpis(c, f, roles))
    jobs = {"i": lambda c: q.interaction_kpis(c, f), "p": post_job, **(extra or {})}
    if extra:
        return store.run_parallel(db, jobs)
    # The scans are independent: SQLite releases the GIL, so they run side by side. The unfiltered
    # figures (every cold Overview) are kept in the database per rows version.
    return memo.unfiltered_kept(db, f, _memo_key("overview.kpis", roles), lambda: store.run_parallel(db, jobs))


def _kpis(rows: dict) -> Kpis:
    i, p = rows["i"], rows["p"]
    posts = int(p["posts"] or 0) if p["posts"] == p["posts"] else 0
    return Kpis(
        interactions=int(i["interactions"]), active_customers=int(i["active_customers"]),
        threads=int(i["threads"]), inbound=int(i["inbound"]), outbound=int(i["outbound"]),
        revenue=float(i["revenue"]), posts=posts, mean_sentiment=p["mean_sentiment"],
        negative_share=_rate(p["negative"], posts) if posts else float("nan"),
        positive_share=_rate(p["positive"], posts) if posts else float("nan"),
        reshares=int(p["reshares"] or 0) if posts else 0,
    )


def view(db: sqlite_utils.Database, f: Filters, roles=None) -> tuple[Kpis, pd.DataFrame]:
    """The Overview's figures and monthly series under ``f`` (posts by authors of ``roles``, None:
    every author), their three scans run side by side."""
    roles = role_key(roles)
    if f == Filters():
        return kpis(db, f, roles), monthly_activity(db, f, roles)
    if interaction_cube.usable(db):
        # Both rollups are kept in memory: a filter change selects their rows, with no scan.
        irow, prow, monthly = rollups.overview(db, f, roles, posts=post_days(db, f, roles),
                                               days=interaction_cube.interaction_days(db, f))
        return _kpis({"i": irow, "p": prow}), monthly
    rows = _kpi_rows(db, f, {"m": lambda c: q.monthly_activity(c, f, roles)}, roles)
    return _kpis(rows), rows["m"]


def monthly_activity(db: sqlite_utils.Database, f: Filters, roles=None) -> pd.DataFrame:
    roles = role_key(roles)
    return memo.unfiltered_kept(db, f, _memo_key("overview.monthly", roles), lambda: q.monthly_activity(db, f, roles))


def post_roles(db: sqlite_utils.Database, f: Filters) -> pd.DataFrame:
    """Public posts by author role under ``f``: one row per role in ``roles.ROLES`` order (roles
    without posts included) with role, label, posts, scored, mean_sentiment, negative_share,
    positive_share (of posts, as the headline figures) and reshares. The brand's own sentiment is its row."""
    if f == Filters():
        raw = aggregates.memo(db, "overview.post_roles", lambda: q.post_roles(db, f))
    else:
        raw = _cube_rows(db, f).groupby("role", as_index=False)[POST_DAY_COLUMNS].sum()
    cols = ["posts", "scored", "sentiment_sum", "negative", "positive", "reshares"]
    t = (raw.set_index("role")[cols].apply(pd.to_numeric, errors="coerce").astype(float)
         .reindex(list(roles_.ROLES)).fillna(0.0))
    scored = t["scored"].where(t["scored"] > 0)
    posts = t["posts"].where(t["posts"] > 0)
    out = pd.DataFrame({"role": list(roles_.ROLES), "label": [roles_.ROLE_LABELS[r] for r in roles_.ROLES],
                        "posts": t["posts"].astype(int).to_numpy(), "scored": t["scored"].astype(int).to_numpy(),
                        "mean_sentiment": (t["sentiment_sum"] / scored).to_numpy(),
                        "negative_share": (t["negative"] / posts).to_numpy(),
                        "positive_share": (t["positive"] / posts).to_numpy(),
                        "reshares": t["reshares"].astype(int).to_numpy()})
    return out


def partial_months(first_day: dt.date | None, last_day: dt.date | None) -> list[str]:
    """Months ('YYYY-MM') at the edges of the view that it covers only in part: their counts are
    low because the view holds fewer of their days, not because activity fell."""
    if first_day is None or last_day is None:
        return []
    out = []
    if first_day.day != 1:
        out.append(f"{first_day:%Y-%m}")
    if (last_day + dt.timedelta(days=1)).day != 1 and f"{last_day:%Y-%m}" not in out:
        out.append(f"{last_day:%Y-%m}")
    return out


def view_days(f: Filters, data_first: str | None, data_last: str | None) -> tuple[dt.date | None, dt.date | None]:
    """First and last day of the view: the filter's dates, else the data's (ISO day text)."""
    lo = f.date_from or (dt.date.fromisoformat(data_first[:10]) if data_first else None)
    hi = f.date_to or (dt.date.fromisoformat(data_last[:10]) if data_last else None)
    return lo, hi


# -- change against the previous period ---------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """The period just before the view, of the same length, as filters and in words."""

    filters: Filters
    first: dt.date
    last: dt.date
    days: int

    def words(self) -> str:
        return (f"Change against the {self.days:,} days before: {self.first:%d %b %Y} to {self.last:%d %b %Y}")


def previous_period(f: Filters, data_first: str | None, data_last: str | None) -> Period | None:
    """The same filters over the ``n`` days just before the view's ``n`` days; None when the data do not
    cover all of that earlier period (a change against a half-empty period would mislead)."""
    lo, hi = view_days(f, data_first, data_last)
    if lo is None or hi is None or not data_first:
        return None
    days = (hi - lo).days + 1
    last = lo - dt.timedelta(days=1)
    first = lo - dt.timedelta(days=days)
    if first < dt.date.fromisoformat(data_first[:10]):
        return None
    return Period(replace(f, date_from=first, date_to=last), first, last, days)


def kpi_changes(now: Kpis, before: Kpis) -> dict[str, str]:
    """Each headline figure's change in words: counts as +n (+x%), shares in percentage points,
    mean sentiment in score units. A figure with nothing to compare gets no entry."""
    out: dict[str, str] = {}

    def count(name: str, a: int, b: int) -> None:
        rel = f" ({(a - b) / b:+.0%})" if b else ""
        out[name] = f"{a - b:+,}{rel}"

    count("interactions", now.interactions, before.interactions)
    count("active_customers", now.active_customers, before.active_customers)
    count("threads", now.threads, before.threads)
    count("posts", now.posts, before.posts)
    count("reshares", now.reshares, before.reshares)
    if now.interactions and before.interactions:
        out["outbound_share"] = f"{(now.outbound_share - before.outbound_share) * 100:+.1f} pts"
    if now.posts and before.posts:
        out["negative_share"] = f"{(now.negative_share - before.negative_share) * 100:+.1f} pts"
        if now.mean_sentiment == now.mean_sentiment and before.mean_sentiment == before.mean_sentiment:
            out["mean_sentiment"] = f"{now.mean_sentiment - before.mean_sentiment:+.2f}"
    return out


def filter_options(db: sqlite_utils.Database) -> dict:
    """What the sidebar's global filters offer: segments, regions, platforms, and the first and last day
    in the data (ISO dates, None for an empty database)."""
    lo, hi = store.date_bounds(db)
    return {"segments": store.distinct_values(db, "customers", "segment"),
            "regions": store.distinct_values(db, "customers", "region"),
            "platforms": store.distinct_values(db, "posts", "platform"),
            "lo": lo, "hi": hi}


def is_empty(db: sqlite_utils.Database) -> bool:
    """No interaction and no post: nothing for any page to show."""
    return not q.has_activity(db)


def refresh_rollups(path: str):
    """Rebuild the per-day rollups on a thread when they are stale (after a change made in the app that no
    import followed); the Overview counts directly meanwhile. Returns the thread, or None."""
    return rollups.refresh_in_background(path)
