"""The channel view: volumes in and out, customers, sentiment and the monthly mix per channel, under the filters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import memo, sentiment, store
from analysis.continuum.activity import activity_base, activity_counts, activity_texts, post_sentiment
from analysis.continuum.vocabulary import complete_vocab
from analysis.filters import Filters
from analysis.store import continuum as q

# Distinct inbound texts scored per view, most frequent first (VADER runs at a few thousand texts a second).
MAX_SCORED_TEXTS = 5000
SCORED_TEXTS_KEPT = 200_000  # scores remembered in this process


def _scores_for(texts: list[str]) -> dict[str, float | None]:
    """VADER scores for texts, each scored once per process (interaction sentiment is not stored)."""
    return memo.per_text("continuum.vader", (), texts, lambda missing: sentiment.score_texts(missing)[0],
                         limit=SCORED_TEXTS_KEPT)


def text_sentiment(texts: pd.DataFrame, max_texts: int = MAX_SCORED_TEXTS) -> tuple[pd.DataFrame, int, int]:
    """Per channel: messages scored, mean VADER compound and negative/positive counts, weighting each
    distinct text by how often it was sent. Only the ``max_texts`` most frequent distinct texts are scored.

    Returns (frame, distinct texts, distinct texts scored).
    """
    cols = ["channel", "n_scored", "mean_sentiment", "negative", "positive"]
    if texts is None or texts.empty:
        return pd.DataFrame(columns=cols), 0, 0
    totals = texts.groupby("text", sort=False)["n"].sum().sort_values(ascending=False, kind="mergesort")
    chosen = list(totals.index[:max_texts])
    scores = _scores_for(chosen)
    t = texts[texts["text"].isin(set(chosen))].copy()
    t["score"] = t["text"].map(scores).astype(float)
    t = t[t["score"].notna()]
    if t.empty:
        return pd.DataFrame(columns=cols), len(totals), len(chosen)
    t["w"] = t["score"] * t["n"]
    t["neg"] = np.where(t["score"] <= sentiment.NEGATIVE, t["n"], 0)
    t["pos"] = np.where(t["score"] >= sentiment.POSITIVE, t["n"], 0)
    g = t.groupby("channel").agg(n_scored=("n", "sum"), w=("w", "sum"), negative=("neg", "sum"),
                                 positive=("pos", "sum")).reset_index()
    g["mean_sentiment"] = g["w"] / g["n_scored"]
    return g[cols], len(totals), len(chosen)


@dataclass
class ChannelView:
    table: pd.DataFrame      # one row per channel, most public first
    monthly: pd.DataFrame    # month, channel, label, publicness, side, direction, n
    active_customers: int
    texts_distinct: int
    texts_scored: int

    @property
    def touches(self) -> int:
        return int(self.table["total"].sum()) if len(self.table) else 0

    @property
    def public_share(self) -> float | None:
        """Share of the touches on channels of the public half (None without touches)."""
        if not self.touches:
            return None
        return float(self.table.loc[self.table["side"] == "public", "total"].sum()) / self.touches

    @property
    def channels_used(self) -> int:
        return int((self.table["total"] > 0).sum()) if len(self.table) else 0


def summarise_channels(vocab: pd.DataFrame, counts: pd.DataFrame, customers: pd.DataFrame, active: int,
                       text_sent: pd.DataFrame, post_sent: pd.DataFrame) -> pd.DataFrame:
    """The channel table: volumes by direction, customers, talk share and sentiment with its source."""
    v = complete_vocab(vocab, counts["channel"].unique() if len(counts) else [])
    by_dir = (counts.pivot_table(index="channel", columns="direction", values="n", aggfunc="sum", fill_value=0)
              if len(counts) else pd.DataFrame())
    t = v.copy()
    for d in ("inbound", "outbound"):
        t[d] = t["channel"].map(by_dir[d] if d in by_dir else {}).fillna(0).astype(int)
    t["total"] = t["inbound"] + t["outbound"]
    t["customers"] = t["channel"].map(dict(zip(customers["channel"], customers["customers"]))
                                      if len(customers) else {}).fillna(0).astype(int)
    t["customer_share"] = t["customers"] / active if active else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        t["talk_share"] = np.where(t["total"] > 0, t["outbound"] / t["total"].where(t["total"] > 0), np.nan)
    t["sentiment"] = np.nan
    t["sentiment_n"] = 0
    t["negative_share"] = np.nan
    t["sentiment_source"] = ""
    for frame, source in ((text_sent, "customers' messages"), (post_sent, "customers' public posts")):
        if frame is None or frame.empty:
            continue
        # Numbers as floats, aligned on the table's channels, before any arithmetic: a lookup over no
        # channel (every channel with post sentiment already has message sentiment, as public
        # conversations recorded as interactions give) keeps the text dtype of the channel column,
        # and pandas 3 cannot divide text.
        f = (frame.set_index("channel")[["n_scored", "mean_sentiment", "negative"]]
             .apply(pd.to_numeric, errors="coerce").astype(float))
        f = f[f["n_scored"].fillna(0) > 0]
        at = f.reindex(t["channel"].to_numpy())
        # Messages first; posts fill public channels whose messages carry no text.
        fill = at["n_scored"].notna().to_numpy() & (t["sentiment_n"] == 0).to_numpy()
        if not fill.any():
            continue
        n = at["n_scored"].to_numpy()[fill]
        t.loc[fill, "sentiment"] = at["mean_sentiment"].to_numpy()[fill]
        t.loc[fill, "sentiment_n"] = n.astype(int)
        t.loc[fill, "negative_share"] = at["negative"].to_numpy()[fill] / n
        t.loc[fill, "sentiment_source"] = source
    return t


def channel_view(db: sqlite_utils.Database, f: Filters) -> ChannelView:
    """Everything the continuum chart, the channel table and the mix over time need, under the filters.

    The unfiltered view (every first visit) comes from the copy kept in the database until the
    in-memory copy of the activity is loaded (``prefetch`` loads it in the background after the first
    view): the same numbers, sooner on a cold start. A filtered view always uses the activity, waiting
    for the prefetch's load if it is under way: loading it reads the copy kept per rows version (0.07 s
    at 1M interactions, about 1 s at 10M), where the four SQL scans of a filtered view took 0.3 s at 1M
    and 22 s at 10M (a segment or region joins every interaction to its customer).
    """
    act = memo.peek(db, "activity")
    if act is None and store.database_file(db) and f == Filters():
        return view_from_inputs(db, channel_inputs(db, f))
    act = act or activity_base(db)
    counts, customers, active = activity_counts(act, f)
    return view_from_inputs(db, {"counts": counts, "customers": customers, "active": active,
                                 "texts": activity_texts(act, f), "posts": post_sentiment(act, f)})


def view_from_inputs(db: sqlite_utils.Database, r: dict) -> ChannelView:
    """The channel view from its inputs (``channel_inputs``' five, from SQL or from the activity)."""
    text_sent, n_distinct, n_scored = text_sentiment(r["texts"])
    table = summarise_channels(store.channels(db), r["counts"], r["customers"], r["active"], text_sent, r["posts"])
    return ChannelView(table=table, monthly=monthly_mix(r["counts"], table), active_customers=r["active"],
                       texts_distinct=n_distinct, texts_scored=n_scored)


_CHANNEL_INPUTS = ("counts", "customers", "active", "texts", "posts")


def channel_inputs(db: sqlite_utils.Database, f: Filters) -> dict:
    """The channel view's inputs from SQL, four scans side by side. Unfiltered (every first visit),
    they are kept in the database per rows version, as the other pages' first views are."""
    def scan() -> dict:
        r = store.run_parallel(db, {
            "counts": lambda c: q.channel_month_counts(c, f), "customers": lambda c: q.channel_customers(c, f),
            "texts": lambda c: q.inbound_texts(c, f), "posts": lambda c: q.customer_post_sentiment(c, f)})
        return {"counts": r["counts"], "customers": r["customers"][0], "active": int(r["customers"][1]),
                "texts": r["texts"], "posts": r["posts"]}
    return memo.unfiltered_kept(db, f, "continuum", scan, parts=_CHANNEL_INPUTS)


def monthly_mix(counts: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    cols = ["month", "channel", "direction", "n", "label", "publicness", "side"]
    if counts is None or counts.empty:
        return pd.DataFrame(columns=cols)
    return counts.merge(table[["channel", "label", "publicness", "side"]], on="channel", how="left")[cols]


def focus_channels(table: pd.DataFrame, focus: Iterable[str]) -> pd.DataFrame:
    focus = list(focus or [])
    return table[table["channel"].isin(focus)] if focus else table
