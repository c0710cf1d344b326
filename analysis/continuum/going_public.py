"""Going public: linked customers' public posts matched to their open conversations (vents and kudos),
rates against first-response and resolution time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import memo, sentiment, store
from analysis.continuum.conversations import ServiceBase, epoch_seconds, service_base, thread_mask
from analysis.continuum.escalation import Escalation, escalation, public_only
from analysis.continuum.rates import add_bins, rates
from analysis.continuum.vocabulary import labels_of, vocabulary
from analysis.filters import Filters
from analysis.store import aggregates
from analysis.store import continuum as q
from analysis.store import kinds as kinds_store

OUTCOMES = {"vent": "Public vent (negative post)", "kudos": "Kudos (positive post)"}


@dataclass
class GoingPublic:
    conversations: int          # threads in view
    linked: int                 # of which the customer has a linked social account (the denominator)
    vents: int                  # linked threads with a negative public post in the window
    kudos: int                  # ... with a positive one
    posts_matched: int          # distinct posts matched to a thread
    by_first_response: pd.DataFrame   # outcome, bin, n, events, rate, low, high
    by_resolution: pd.DataFrame
    by_channel: pd.DataFrame
    moments: pd.DataFrame       # moment (vent/kudos/neutral), timing, n (distinct posts)
    window_days: int
    brand_only: bool
    # No private channel in the data: going public cannot be measured (see ``PUBLIC_ONLY_NOTE``); the
    # tab measures escalation instead.
    public_only: bool = False
    escalation: Escalation | None = None


def brand_accounts_known(db: sqlite_utils.Database) -> bool:
    """Whether the brand's own social accounts are listed (needed to tell posts addressed to it)."""
    return q.brand_account_count(db) > 0


def posts_base(db: sqlite_utils.Database, brand_only: bool) -> pd.DataFrame:
    """Linked customers' public posts (customer_id, post_id, platform, t in epoch seconds, sentiment,
    is_reply), only those addressed to the brand when ``brand_only``; once per rows version, kept in the
    database (finding the posts addressed to the brand reads every post: 4 s of CPU and 8 s at 5.7M
    posts, in the background prefetch of every process, competing with the first filtered views)."""
    def query() -> pd.DataFrame:
        p = q.linked_posts(db, brand_only)
        return pd.DataFrame({
            "customer_id": p["customer_id"].to_numpy(dtype=object), "post_id": p["post_id"].to_numpy(dtype=object),
            "platform": p["platform"].to_numpy(dtype=object),
            "t": epoch_seconds(p["created_at"]) if len(p) else np.zeros(0, dtype=np.int64),
            "sentiment": p["sentiment"].astype(float).to_numpy(),
            "is_reply": p["is_reply"].to_numpy(dtype=bool) if len(p) else np.zeros(0, dtype=bool)})

    def load() -> pd.DataFrame:
        p = aggregates.memo(db, f"continuum.linked_posts.{'brand' if brand_only else 'all'}", query)
        # The same types as the query gives (Parquet reads text back as pandas' string type).
        return pd.DataFrame({"customer_id": _objects(p["customer_id"]), "post_id": _objects(p["post_id"]),
                             "platform": _objects(p["platform"]), "t": p["t"].to_numpy(dtype=np.int64),
                             "sentiment": p["sentiment"].to_numpy(dtype=float),
                             "is_reply": p["is_reply"].to_numpy(dtype=bool)})
    return memo.kept(db, "linked_posts", load, (bool(brand_only),))


def _objects(column: pd.Series) -> np.ndarray:
    return column.astype(object).where(column.notna(), None).to_numpy(dtype=object)


def bases(db: sqlite_utils.Database, brand_only: bool) -> tuple[ServiceBase, pd.DataFrame]:
    """The conversations and the linked posts, fetched side by side when neither is kept yet."""
    r = store.run_parallel(db, {"base": service_base, "posts": lambda c: posts_base(c, brand_only)})
    return r["base"], r["posts"]


def match_public_moments(threads: pd.DataFrame, posts: pd.DataFrame, window_days: float) -> pd.DataFrame:
    """Each (thread, post) pair where the thread's customer posted between the thread's start and
    ``window_days`` after its resolution (after its last touch when unresolved).

    Returns thread index, post_id, t, sentiment, moment (vent / kudos / neutral by VADER's ±0.05)
    and timing (before the first response / while open / after resolution).
    """
    cols = ["thread", "post_id", "t", "sentiment", "moment", "timing"]
    if threads.empty or posts.empty:
        return pd.DataFrame(columns=cols)
    th = threads[["customer_id", "start", "last", "resolution_t", "first_response_h"]].copy()
    th["thread"] = threads.index.to_numpy()
    end_of_case = np.where(np.isnan(th["resolution_t"].to_numpy()), th["last"].to_numpy(),
                           th["resolution_t"].to_numpy())
    th["window_end"] = end_of_case + window_days * 86400.0
    th["end_of_case"] = end_of_case
    m = th.merge(posts, on="customer_id", how="inner")
    tt = m["t"].to_numpy(dtype=float)
    m = m[(tt >= m["start"].to_numpy()) & (tt <= m["window_end"].to_numpy())]
    if m.empty:
        return pd.DataFrame(columns=cols)
    s = m["sentiment"].to_numpy(dtype=float)
    m = m.assign(moment=np.where(s <= sentiment.NEGATIVE, "vent", np.where(s >= sentiment.POSITIVE, "kudos",
                                                                              "neutral")))
    first_resp = m["start"].to_numpy() + m["first_response_h"].to_numpy() * 3600.0
    resolved = ~np.isnan(m["resolution_t"].to_numpy())
    tt = m["t"].to_numpy(dtype=float)
    timing = np.where(resolved & (tt > m["end_of_case"].to_numpy()), "after resolution",
                      np.where(~np.isnan(first_resp) & (tt >= first_resp), "while open, after a first response",
                               "before any response"))
    m = m.assign(timing=timing)
    return m[cols].reset_index(drop=True)


def label_outcomes(threads: pd.DataFrame, moments: pd.DataFrame) -> pd.DataFrame:
    """Threads with vent / kudos flags (any negative / positive public moment in the window)."""
    out = threads.copy()
    for outcome in ("vent", "kudos"):
        hit = moments.loc[moments["moment"] == outcome, "thread"].unique() if len(moments) else []
        out[outcome] = out.index.isin(hit)
    return out


def outcome_frame(base: ServiceBase, posts: pd.DataFrame, mask: np.ndarray, f: Filters,
                   window_days: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Linked threads in the mask with vent/kudos flags, and the matched public moments."""
    th = base.threads[mask & base.threads["linked"].to_numpy()]
    p = posts[posts["platform"].isin(f.platforms)] if f.platforms else posts
    moments = match_public_moments(th, p, window_days)
    return label_outcomes(th, moments), moments


def going_public(base: ServiceBase, posts: pd.DataFrame, mask: np.ndarray, f: Filters, window_days: float,
                 brand_only: bool, labels: dict[str, str] | None = None) -> GoingPublic:
    labelled, moments = outcome_frame(base, posts, mask, f, window_days)
    labelled = add_bins(labelled)
    labels = labels or {}
    start = labelled["start_channel"].astype(str)
    mapped = start.map(labels)
    start_label = np.where(mapped.isna(), start.to_numpy(dtype=object), mapped.to_numpy(dtype=object))
    by_channel = rates(labelled.assign(start_label=start_label), "start_label")
    if len(by_channel):
        by_channel = by_channel[by_channel["n"] > 0].reset_index(drop=True)
    distinct = moments.drop_duplicates("post_id") if len(moments) else moments
    mom = (distinct.groupby(["moment", "timing"]).size().rename("n").reset_index()
           if len(distinct) else pd.DataFrame(columns=["moment", "timing", "n"]))
    return GoingPublic(
        conversations=int(mask.sum()), linked=len(labelled), vents=int(labelled["vent"].sum()),
        kudos=int(labelled["kudos"].sum()), posts_matched=len(distinct),
        by_first_response=rates(labelled, "first_response_bin"), by_resolution=rates(labelled, "resolution_bin"),
        by_channel=by_channel, moments=mom, window_days=int(window_days), brand_only=bool(brand_only))


def going_public_view(db: sqlite_utils.Database, f: Filters, focus: tuple[str, ...] = (), path: str | None = None,
                      window_days: int = 7, brand_only: bool = True) -> GoingPublic:
    """Going public under the filters and focus; on public-only data (``public_only``) the rates are
    left empty and the conversations' escalation is measured instead."""
    if public_only(db):
        base = service_base(db)
        mask = thread_mask(base, f, focus, path)
        empty = rates(pd.DataFrame(), "bin")
        return GoingPublic(conversations=int(mask.sum()), linked=0, vents=0, kudos=0, posts_matched=0,
                           by_first_response=empty, by_resolution=empty, by_channel=empty,
                           moments=pd.DataFrame(columns=["moment", "timing", "n"]), window_days=int(window_days),
                           brand_only=bool(brand_only), public_only=True,
                           escalation=escalation(base, mask, vocabulary(db), kinds_store.meaning_map(db)))
    base, posts = bases(db, brand_only)
    return going_public(base, posts, thread_mask(base, f, focus, path), f, window_days, brand_only,
                        labels_of(vocabulary(db)))
