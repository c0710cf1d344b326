"""Every interaction as small integers, kept once per rows version, filtered in memory (counts, texts, posts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import memo, store
from analysis.filters import Filters
from analysis.store import aggregates
from analysis.store import continuum as q


def day_key(d: dt.date) -> int:
    """The store's integer per calendar day (``q.day_key_sql``) for a date."""
    return d.year * 372 + (d.month - 1) * 31 + d.day - 1


def _month_labels(day_keys: np.ndarray) -> np.ndarray:
    months = np.asarray(day_keys) // 31
    uniq, inverse = np.unique(months, return_inverse=True)
    names = np.array([f"{m // 12:04d}-{m % 12 + 1:02d}" for m in uniq], dtype=object)  # one per month
    return names[inverse]


@dataclass
class Activity:
    """Every interaction as small integers, with customers' words and public posts (one per data version)."""

    day: np.ndarray          # day key per interaction
    channel: np.ndarray      # code into ``channels``
    direction: np.ndarray    # 1 inbound, 2 outbound, 0 anything else
    customer: np.ndarray     # code into ``segment`` / ``region``
    channels: np.ndarray
    segment: np.ndarray      # per customer code (None when unknown)
    region: np.ndarray
    text_day: np.ndarray     # inbound interactions with a text
    text_channel: np.ndarray  # code into ``text_channels``
    text_channels: np.ndarray
    text_customer: np.ndarray
    text_code: np.ndarray    # code into ``texts``
    texts: np.ndarray
    posts: pd.DataFrame      # linked customers' own posts summed (see ``q.post_sentiment_cube``)
    # Rows and texts are sorted by their customer's (segment, region) group, then by day: a filter is one
    # slice of days per group chosen (``_spans``), so its work is the rows in view, never every row.
    group: np.ndarray = None        # per customer code: its (segment, region) group
    blocks: np.ndarray = None       # rows of group g: blocks[g]:blocks[g + 1]
    text_blocks: np.ndarray = None


def _groups(segment: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Per customer code, a code per distinct (segment, region) pair (missing values are a value)."""
    seg = pd.factorize(pd.Series(segment, dtype=object), use_na_sentinel=False)[0]
    reg = pd.factorize(pd.Series(region, dtype=object), use_na_sentinel=False)[0]
    return pd.factorize(seg.astype(np.int64) * (int(reg.max(initial=0)) + 1) + reg)[0].astype(np.int32)


def _blocks(row_groups: np.ndarray, n_groups: int) -> np.ndarray:
    return np.r_[0, np.cumsum(np.bincount(row_groups, minlength=n_groups))].astype(np.int64)


def _grouped(act: Activity) -> Activity:
    """``act`` with its rows and texts in (group, day) order and the blocks of each group."""
    group = _groups(act.segment, act.region)
    n = int(group.max(initial=-1)) + 1
    order = np.lexsort((act.day, group[act.customer]))
    t_order = np.lexsort((act.text_day, group[act.text_customer]))
    act.day, act.channel, act.direction, act.customer = (a[order] for a in (act.day, act.channel, act.direction,
                                                                            act.customer))
    act.text_day, act.text_channel, act.text_customer, act.text_code = (
        a[t_order] for a in (act.text_day, act.text_channel, act.text_customer, act.text_code))
    return _with_blocks(act, group, n)


def _with_blocks(act: Activity, group: np.ndarray, n: int) -> Activity:
    act.group = group
    act.blocks = _blocks(group[act.customer], n)
    act.text_blocks = _blocks(group[act.text_customer], n)
    return act


def build_activity(keys: np.ndarray, customer_codes: np.ndarray, customer_ids: np.ndarray, channels: list[str],
                   text_keys: np.ndarray, text_customer_codes: np.ndarray, text_customer_ids: np.ndarray,
                   text_codes: np.ndarray, texts: np.ndarray, text_channels: list[str],
                   attributes: pd.DataFrame, post_cube: pd.DataFrame) -> Activity:
    """Decode the store's packed rows (see ``q.activity_rows`` and ``q.inbound_text_rows``) into arrays,
    the texts' customers coded like the interactions' ones."""
    keys = np.asarray(keys, dtype=np.int64)
    index = pd.Index(pd.Series(customer_ids, dtype=object))
    unknown = len(index)  # customers met only in texts
    to_activity = index.get_indexer(pd.Series(text_customer_ids, dtype=object)) if len(text_customer_ids) \
        else np.zeros(0, dtype=np.int64)
    to_activity = np.where(to_activity < 0, unknown, to_activity).astype(np.int32)
    attrs = attributes.drop_duplicates("customer_id").set_index("customer_id")
    segment = np.append(attrs["segment"].reindex(index).to_numpy(dtype=object), None)
    region = np.append(attrs["region"].reindex(index).to_numpy(dtype=object), None)
    text_keys = np.asarray(text_keys, dtype=np.int64)
    slots = q.CHANNEL_SLOTS
    # Direction sits in the lowest two bits, then the channel code, then the day key.
    return _grouped(Activity(
        day=(keys // 4 // slots).astype(np.int32), channel=(keys // 4 % slots).astype(np.int16),
        direction=(keys % 4).astype(np.int8), customer=np.asarray(customer_codes, dtype=np.int32),
        channels=np.array(channels, dtype=object),
        segment=segment, region=region,
        text_day=(text_keys // slots).astype(np.int32), text_channel=(text_keys % slots).astype(np.int16),
        text_channels=np.array(text_channels, dtype=object),
        text_customer=to_activity[np.asarray(text_customer_codes, dtype=np.int64)] if len(text_keys)
        else np.zeros(0, dtype=np.int32),
        text_code=np.asarray(text_codes, dtype=np.int32),
        texts=np.asarray(texts, dtype=object), posts=post_cube.reset_index(drop=True)))


def activity_frames(act: Activity) -> dict[str, pd.DataFrame]:
    """The activity as frames of plain columns, to keep in the database (Parquet, never pickle)."""
    return {
        "rows": pd.DataFrame({"day": act.day, "channel": act.channel, "direction": act.direction,
                              "customer": act.customer}),
        "texts": pd.DataFrame({"day": act.text_day, "channel": act.text_channel, "customer": act.text_customer,
                               "code": act.text_code}),
        "customers": pd.DataFrame({"segment": act.segment, "region": act.region}),
        "names": pd.DataFrame({"kind": ["channel"] * len(act.channels) + ["text_channel"] * len(act.text_channels),
                               "name": [*act.channels, *act.text_channels]}),
        "words": pd.DataFrame({"text": act.texts}),
        "posts": act.posts,
    }


def _objects(column: pd.Series) -> np.ndarray:
    return column.astype(object).where(column.notna(), None).to_numpy(dtype=object)


def activity_from_frames(fr: dict[str, pd.DataFrame]) -> Activity:
    """The activity from its kept frames (rows and texts already in group and day order)."""
    rows, texts, names = fr["rows"], fr["texts"], fr["names"]
    act = Activity(
        day=rows["day"].to_numpy(np.int32), channel=rows["channel"].to_numpy(np.int16),
        direction=rows["direction"].to_numpy(np.int8), customer=rows["customer"].to_numpy(np.int32),
        channels=_objects(names.loc[names["kind"] == "channel", "name"]),
        segment=_objects(fr["customers"]["segment"]), region=_objects(fr["customers"]["region"]),
        text_day=texts["day"].to_numpy(np.int32), text_channel=texts["channel"].to_numpy(np.int16),
        text_channels=_objects(names.loc[names["kind"] == "text_channel", "name"]),
        text_customer=texts["customer"].to_numpy(np.int32), text_code=texts["code"].to_numpy(np.int32),
        texts=_objects(fr["words"]["text"]), posts=fr["posts"].reset_index(drop=True))
    group = _groups(act.segment, act.region)
    return _with_blocks(act, group, int(group.max(initial=-1)) + 1)


_ACTIVITY_PARTS = ("rows", "texts", "customers", "names", "words", "posts")


def activity_base(db: sqlite_utils.Database) -> Activity:
    """All interactions, inbound texts and linked posts of the database, once per data version in this
    process: read from the copy kept in the database per rows version when there is one (0.04 s at 1M
    interactions, against 3 s of scans), else scanned, coded and kept for the next process."""
    def scan() -> dict[str, pd.DataFrame]:
        r = store.run_parallel(db, {"rows": q.activity_rows, "texts": q.inbound_text_rows,
                                "attrs": q.customer_attributes, "posts": q.post_sentiment_cube})
        return activity_frames(build_activity(*r["rows"], *r["texts"], r["attrs"], r["posts"]))
    return memo.kept(db, "activity", lambda: activity_from_frames(
        aggregates.memo_parts(db, ACTIVITY_MEMO_KEY, _ACTIVITY_PARTS, scan)))


# Where the activity is kept in the database. "continuum.activity2": rows in (group, day) order; a copy an
# older version kept (in scan order) is not read.
ACTIVITY_MEMO_KEY = "continuum.activity2"


def _chosen_groups(act: Activity, f: Filters) -> np.ndarray:
    """The (segment, region) groups inside the segment and region filters."""
    n = len(act.blocks) - 1
    if not (f.segments or f.regions):
        return np.arange(n)
    ok = np.ones(len(act.segment), dtype=bool)
    if f.segments:
        ok &= np.isin(act.segment, list(f.segments))
    if f.regions:
        ok &= np.isin(act.region, list(f.regions))
    return np.unique(act.group[ok])


def _spans(act: Activity, days: np.ndarray, blocks: np.ndarray, f: Filters) -> list[tuple[int, int]]:
    """The rows under ``f`` as (start, stop) spans: in each chosen group's block, the days of the date
    range, found by binary search (the rows are in day order inside a block)."""
    lo_key = day_key(f.date_from) if f.date_from else None
    hi_key = day_key(f.date_to) if f.date_to else None
    spans = []
    for g in _chosen_groups(act, f):
        a, b = int(blocks[g]), int(blocks[g + 1])
        lo = a + int(np.searchsorted(days[a:b], lo_key, side="left")) if lo_key is not None else a
        hi = a + int(np.searchsorted(days[a:b], hi_key, side="right")) if hi_key is not None else b
        if hi > lo:
            spans.append((lo, hi))
    return spans


def _take(spans: list[tuple[int, int]], *arrays: np.ndarray) -> list[np.ndarray]:
    """The rows of ``spans`` of each array: slices joined (a copy of the rows in view, nothing else)."""
    merged: list[list[int]] = []
    for lo, hi in spans:  # adjacent blocks (no segment or region filter, no dates) join into one slice
        if merged and merged[-1][1] == lo:
            merged[-1][1] = hi
        else:
            merged.append([lo, hi])
    if len(merged) == 1:
        return [a[merged[0][0]:merged[0][1]] for a in arrays]
    return [np.concatenate([a[lo:hi] for lo, hi in merged]) if merged else a[:0] for a in arrays]


def _day_mask(days: np.ndarray, f: Filters) -> np.ndarray:
    m = np.ones(len(days), dtype=bool)
    if f.date_from:
        m &= days >= day_key(f.date_from)
    if f.date_to:
        m &= days <= day_key(f.date_to)
    return m


def activity_counts(act: Activity, f: Filters) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Under the filters: touches per month, channel and direction; distinct customers per channel; and
    distinct active customers (the same figures as ``q.channel_month_counts`` and ``q.channel_customers``)."""
    day, ch, dr, cu = _take(_spans(act, act.day, act.blocks, f), act.day, act.channel, act.direction, act.customer)
    ch = ch.astype(np.int64)
    n_ch, n_cu = len(act.channels), len(act.segment)
    months = day // 31
    if len(months):
        lo = int(months.min())
        combined = ((months - lo) * n_ch + ch) * 3 + dr
        counts = np.bincount(combined)
        nz = np.flatnonzero(counts)
        month_idx = nz // 3 // n_ch + lo
        frame = pd.DataFrame({
            "month": _month_labels(month_idx * 31), "channel": act.channels[nz // 3 % n_ch],
            "direction": np.array(["other", "inbound", "outbound"], dtype=object)[nz % 3],
            "n": counts[nz].astype(int)})
    else:
        frame = pd.DataFrame(columns=["month", "channel", "direction", "n"])
    # Distinct (channel, customer) pairs; a dense count is faster while channels × customers stays small.
    pairs = ch * n_cu + cu
    if n_ch * n_cu <= 50_000_000:
        seen = np.bincount(pairs, minlength=n_ch * n_cu).reshape(n_ch, n_cu) > 0
        per_channel = seen.sum(axis=1)
        active = int(seen.any(axis=0).sum())
    else:
        per_channel = np.bincount(np.unique(pairs) // n_cu, minlength=n_ch)
        active = int(np.unique(cu).size)
    used = np.flatnonzero(per_channel)
    customers = pd.DataFrame({"channel": act.channels[used], "customers": per_channel[used].astype(int)})
    return frame, customers, active


def activity_texts(act: Activity, f: Filters) -> pd.DataFrame:
    """Each distinct inbound text per channel with how often it was sent, under the filters."""
    channel, code = _take(_spans(act, act.text_day, act.text_blocks, f), act.text_channel, act.text_code)
    if not len(channel):
        return pd.DataFrame(columns=["channel", "text", "n"])
    combined = channel.astype(np.int64) * max(len(act.texts), 1) + code
    uniq, n = np.unique(combined, return_counts=True)
    return pd.DataFrame({"channel": act.text_channels[uniq // max(len(act.texts), 1)],
                         "text": act.texts[uniq % max(len(act.texts), 1)], "n": n.astype(int)})


def post_sentiment(act: Activity, f: Filters) -> pd.DataFrame:
    """Sentiment of linked customers' own posts under the filters: originals as the 'post' channel,
    replies as 'public_reply' (the same figures as ``q.customer_post_sentiment``)."""
    cols = ["channel", "n_scored", "mean_sentiment", "negative", "positive"]
    p = act.posts
    if p.empty:
        return pd.DataFrame(columns=cols)
    m = _day_mask(p["day_key"].to_numpy(), f) & f.frame_mask(p)
    g = p[m].groupby("is_reply")[["n_scored", "total", "negative", "positive"]].sum()
    g = g[g["n_scored"] > 0]
    out = pd.DataFrame({"channel": np.where(g.index.to_numpy() == 1, "public_reply", "post"),
                        "n_scored": g["n_scored"].astype(int).to_numpy(),
                        "mean_sentiment": (g["total"] / g["n_scored"]).to_numpy(dtype=float),
                        "negative": g["negative"].astype(int).to_numpy(),
                        "positive": g["positive"].astype(int).to_numpy()})
    return out[cols]
