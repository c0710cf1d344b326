"""The public-versus-private continuum: channels on the axis, journeys between them, going public, talk/listen, what if.

Two kinds of input. Channel-level figures (volumes, customers, sentiment, mix) are aggregated in SQL
under the filters. Conversation-level figures (journeys, going public, the models) start from every
touch of every conversation, fetched once per data version (``service_base``) and then filtered and
aggregated in vectorised pandas, so a filter change costs milliseconds, not a scan.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import memo, sentiment, stats, store, whatif
from analysis.filters import Filters
from analysis.store import aggregates
from analysis.store import continuum as q
from analysis.store import kinds as kinds_store

# Practitioners' rule of thumb: a company should talk about a quarter of the time and listen the rest.
TALK_RULE = 0.25
PATH_SEP = ">"
TRUNCATED = "…"
MAX_PATH_STEPS = 8
# Distinct inbound texts scored per view, most frequent first (VADER runs at a few thousand texts a second).
MAX_SCORED_TEXTS = 5000
SCORED_TEXTS_KEPT = 200_000  # scores remembered in this process
# Drawn, not computed: the Sankey shows this many of the largest moves, the bar chart this many paths.
MAX_DRAWN_MOVES = 30
MAX_DRAWN_PATHS = 12
# Conversations above this count are "many": the page says that charts draw only the largest parts.
MANY_THREADS = 20_000

FIRST_RESPONSE_BINS = ([0, 1, 4, 24, 72, np.inf], ["under 1 h", "1–4 h", "4–24 h", "1–3 days", "over 3 days"])
RESOLUTION_BINS = ([0, 24, 72, 168, 336, np.inf], ["under 1 day", "1–3 days", "3–7 days", "1–2 weeks",
                                                    "over 2 weeks"])
NO_RESPONSE = "no response"
NOT_RESOLVED = "not resolved"
OUTCOMES = {"vent": "Public vent (negative post)", "kudos": "Kudos (positive post)"}


def prefetch(path: str, brand_only: bool = True) -> threading.Thread | None:
    """Load the in-memory activity, the conversations and the linked posts in the background (once per
    data version), so filter changes and the first visit to another tab do not wait for them.
    Returns the thread, or None when everything is already kept or loading."""
    with store.connection(path, create=False) as conn:
        if memo.kept_or_loading(conn, [("activity", ()), ("service_base", ()), ("linked_posts", (bool(brand_only),))]):
            return None

    def work():
        try:
            with store.connection(path, create=False) as c:
                # Filter changes come first on the page that was just drawn; other tabs after.
                activity_base(c)
                bases(c, brand_only)
        except Exception:  # a warm-up only: the tab that needs the data loads it and reports errors
            pass

    thread = threading.Thread(target=work, name="continuum-prefetch", daemon=True)
    thread.start()
    return thread


# -- the channel vocabulary ----------------------------------------------------------------

def vocabulary(db: sqlite_utils.Database) -> pd.DataFrame:
    """Channels with label, publicness and side, most public first."""
    return with_sides(store.channels(db))


def with_sides(vocab: pd.DataFrame) -> pd.DataFrame:
    v = vocab.copy()
    v["publicness"] = v["publicness"].astype(float)
    v["side"] = np.where(v["publicness"] >= store.PUBLIC_THRESHOLD, "public", "private")
    return v.sort_values(["publicness", "channel"], ascending=[False, True]).reset_index(drop=True)


def complete_vocab(vocab: pd.DataFrame, seen: Iterable[str]) -> pd.DataFrame:
    """Add channels seen in the data but missing from the vocabulary (placed at the threshold, flagged)."""
    known = set(vocab["channel"])
    extra = sorted({c for c in seen if c is not None and c not in known})
    v = vocab.assign(placed=True)
    if extra:
        v = pd.concat([v, pd.DataFrame({"channel": extra, "label": extra, "publicness": store.PUBLIC_THRESHOLD,
                                        "description": "Not in the channel list", "placed": False})],
                      ignore_index=True)
    return with_sides(v)


def labels_of(vocab: pd.DataFrame) -> dict[str, str]:
    return dict(zip(vocab["channel"], vocab["label"].fillna(vocab["channel"])))


def public_set(vocab: pd.DataFrame) -> set[str]:
    return set(vocab.loc[vocab["publicness"] >= store.PUBLIC_THRESHOLD, "channel"])


# -- selections (chart clicks) ---------------------------------------------------------------

def selected_values(selection, known: Iterable[str] | None = None) -> list[str]:
    """The values a Plotly selection points at, from each point's first ``customdata`` item.

    ``selection`` is what ``st.plotly_chart(on_select=...)`` returns (or its ``selection`` part).
    Values not in ``known`` (when given) are dropped; order is kept, duplicates removed.
    """
    if not selection:
        return []
    sel = selection.get("selection", selection) if hasattr(selection, "get") else selection
    points = sel.get("points", []) if hasattr(sel, "get") else []
    allowed = set(known) if known is not None else None
    out: list[str] = []
    for p in points or []:
        cd = p.get("customdata") if hasattr(p, "get") else None
        if isinstance(cd, (list, tuple)):
            cd = cd[0] if cd else None
        if cd is None or (isinstance(cd, float) and np.isnan(cd)):
            continue
        v = str(cd)
        if (allowed is None or v in allowed) and v not in out:
            out.append(v)
    return out


def focus_from_selection(selection, channels: Iterable[str]) -> list[str]:
    """Focus channels from a click on the continuum chart (empty when nothing valid was clicked)."""
    return selected_values(selection, channels)


def path_from_selection(selection) -> str | None:
    """The path (``a>b>c``) from a click on the path chart, or None."""
    vals = selected_values(selection)
    return vals[0] if vals else None


def path_channels(path: str) -> list[str]:
    return [p for p in path.split(PATH_SEP) if p and p != TRUNCATED]


def path_label(path: str, labels: dict[str, str]) -> str:
    parts = [labels.get(p, p) if p != TRUNCATED else TRUNCATED for p in path.split(PATH_SEP) if p]
    return " → ".join(parts)


def path_from_label(label: str, labels: dict[str, str]) -> str:
    """The path key of a path written in labels (``Phone → Email``), as a shared link carries it."""
    inverse = {v: k for k, v in labels.items()}
    parts = [p.strip() for p in str(label).split("→") if p.strip()]
    return PATH_SEP.join(TRUNCATED if p == TRUNCATED else inverse.get(p, p) for p in parts)


# -- channel view -----------------------------------------------------------------------------

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

    Until the in-memory copy of the activity is kept (``prefetch`` loads it in the background after
    the first view), the figures come straight from SQL: the same numbers, sooner on a cold start.
    """
    act = memo.peek(db, "activity")
    if act is None and store.database_file(db):
        r = channel_inputs(db, f)
        counts, customers, active, texts, posts = (r["counts"], r["customers"], r["active"], r["texts"],
                                                   r["posts"])
    else:
        act = act or activity_base(db)
        counts, customers, active = activity_counts(act, f)
        texts, posts = activity_texts(act, f), post_sentiment(act, f)
    text_sent, n_distinct, n_scored = text_sentiment(texts)
    table = summarise_channels(store.channels(db), counts, customers, active, text_sent, posts)
    return ChannelView(table=table, monthly=monthly_mix(counts, table), active_customers=active,
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


# -- channel activity in memory ------------------------------------------------------------------

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
    return Activity(
        day=(keys // 4 // slots).astype(np.int32), channel=(keys // 4 % slots).astype(np.int16),
        direction=(keys % 4).astype(np.int8), customer=np.asarray(customer_codes, dtype=np.int32),
        channels=np.array(channels, dtype=object),
        segment=segment, region=region,
        text_day=(text_keys // slots).astype(np.int32), text_channel=(text_keys % slots).astype(np.int16),
        text_channels=np.array(text_channels, dtype=object),
        text_customer=to_activity[np.asarray(text_customer_codes, dtype=np.int64)] if len(text_keys)
        else np.zeros(0, dtype=np.int32),
        text_code=np.asarray(text_codes, dtype=np.int32),
        texts=np.asarray(texts, dtype=object), posts=post_cube.reset_index(drop=True))


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
    rows, texts, names = fr["rows"], fr["texts"], fr["names"]
    return Activity(
        day=rows["day"].to_numpy(np.int32), channel=rows["channel"].to_numpy(np.int16),
        direction=rows["direction"].to_numpy(np.int8), customer=rows["customer"].to_numpy(np.int32),
        channels=_objects(names.loc[names["kind"] == "channel", "name"]),
        segment=_objects(fr["customers"]["segment"]), region=_objects(fr["customers"]["region"]),
        text_day=texts["day"].to_numpy(np.int32), text_channel=texts["channel"].to_numpy(np.int16),
        text_channels=_objects(names.loc[names["kind"] == "text_channel", "name"]),
        text_customer=texts["customer"].to_numpy(np.int32), text_code=texts["code"].to_numpy(np.int32),
        texts=_objects(fr["words"]["text"]), posts=fr["posts"].reset_index(drop=True))


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
        aggregates.memo_parts(db, "continuum.activity", _ACTIVITY_PARTS, scan)))


def _customer_ok(act: Activity, f: Filters) -> np.ndarray | None:
    """Per customer code: inside the segment and region filters (None: no such filter)."""
    if not (f.segments or f.regions):
        return None
    ok = np.ones(len(act.segment), dtype=bool)
    if f.segments:
        ok &= np.isin(act.segment, list(f.segments))
    if f.regions:
        ok &= np.isin(act.region, list(f.regions))
    return ok


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
    m = _day_mask(act.day, f)
    ok = _customer_ok(act, f)
    if ok is not None:
        m &= ok[act.customer]
    day, ch, dr, cu = act.day[m], act.channel[m].astype(np.int64), act.direction[m], act.customer[m]
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
    m = _day_mask(act.text_day, f)
    ok = _customer_ok(act, f)
    if ok is not None:
        m &= ok[act.text_customer]
    if not m.any():
        return pd.DataFrame(columns=["channel", "text", "n"])
    combined = act.text_channel[m].astype(np.int64) * max(len(act.texts), 1) + act.text_code[m]
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


def monthly_mix(counts: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    cols = ["month", "channel", "direction", "n", "label", "publicness", "side"]
    if counts is None or counts.empty:
        return pd.DataFrame(columns=cols)
    return counts.merge(table[["channel", "label", "publicness", "side"]], on="channel", how="left")[cols]


def focus_channels(table: pd.DataFrame, focus: Iterable[str]) -> pd.DataFrame:
    focus = list(focus or [])
    return table[table["channel"].isin(focus)] if focus else table


# -- talk / listen ------------------------------------------------------------------------------

@dataclass
class TalkListen:
    per_channel: pd.DataFrame   # channel, label, publicness, side, inbound, outbound, total, talk_share
    over_time: pd.DataFrame     # month, scope, inbound, outbound, total, talk_share
    inbound: int
    outbound: int

    @property
    def talk_share(self) -> float:
        total = self.inbound + self.outbound
        return self.outbound / total if total else float("nan")


def talk_listen(monthly: pd.DataFrame, focus: Iterable[str] = ()) -> TalkListen:
    """Outbound (talk) against inbound (listen) per channel, overall and per month, from monthly counts.

    ``monthly`` has month, channel, direction, n and the channel's label, publicness and side.
    """
    m = monthly if not list(focus or []) else monthly[monthly["channel"].isin(list(focus))]
    if m is None or m.empty:
        empty = pd.DataFrame(columns=["channel", "label", "publicness", "side", "inbound", "outbound", "total",
                                      "talk_share"])
        return TalkListen(empty, pd.DataFrame(columns=["month", "scope", "inbound", "outbound", "total",
                                                       "talk_share"]), 0, 0)
    m = m.assign(inbound=np.where(m["direction"] == "inbound", m["n"], 0),
                 outbound=np.where(m["direction"] == "outbound", m["n"], 0))
    per = (m.groupby(["channel", "label", "publicness", "side"], dropna=False)[["inbound", "outbound"]].sum()
           .reset_index())
    per["total"] = per["inbound"] + per["outbound"]
    per["talk_share"] = per["outbound"] / per["total"].where(per["total"] > 0)
    per = per.sort_values(["publicness", "channel"], ascending=[False, True]).reset_index(drop=True)
    overall = m.groupby("month")[["inbound", "outbound"]].sum().reset_index().assign(scope="All channels")
    halves = (m.groupby(["month", "side"])[["inbound", "outbound"]].sum().reset_index()
              .assign(scope=lambda d: np.where(d["side"] == "public", "Public half", "Private half"))
              .drop(columns="side"))
    over = pd.concat([overall, halves], ignore_index=True)
    over["total"] = over["inbound"] + over["outbound"]
    over["talk_share"] = over["outbound"] / over["total"].where(over["total"] > 0)
    over = over.sort_values(["scope", "month"]).reset_index(drop=True)
    return TalkListen(per, over[["month", "scope", "inbound", "outbound", "total", "talk_share"]],
                      int(per["inbound"].sum()), int(per["outbound"].sum()))


# -- conversations: the unfiltered base ------------------------------------------------------------

@dataclass
class ServiceBase:
    """Every conversation's touches, moves and per-thread facts (unfiltered, one per data version)."""

    touches: pd.DataFrame   # thread, t (epoch seconds), channel, inbound, kind; thread and time order
    moves: pd.DataFrame     # thread, t, src, dst, dst_kind: each change of channel inside a thread
    threads: pd.DataFrame   # one row per thread code (see build_service_base)


def epoch_seconds(values) -> np.ndarray:
    ts = pd.to_datetime(pd.Series(values), format="ISO8601")
    return ts.to_numpy().astype("datetime64[s]").astype(np.int64)


def _date_seconds(d: dt.date) -> int:
    return int(np.datetime64(d.isoformat(), "s").astype(np.int64))


def build_service_base(touches: pd.DataFrame, customers: pd.DataFrame | None = None,
                       max_steps: int = MAX_PATH_STEPS, meanings: dict[str, str] | None = None) -> ServiceBase:
    """Per-thread facts from the touches (thread_id, occurred_at, channel, direction, kind, customer_id,
    optionally account). ``meanings`` maps kinds to their meaning (``analysis.store.kinds``; the shipped
    vocabulary when None).

    Threads: thread_id, customer_id, segment, region, linked, start, last (epoch seconds),
    start_channel, opening_kind, opening_meaning, opened_inbound (the customer spoke first: a
    conversation, answered or not), n_touches, outbound_n, handoffs_n (outbound touches whose kind
    means 'handoff_private'), response_account (the account of the first response),
    first_response_h (first outbound touch after the first inbound one; NaN: unanswered),
    resolution_h (first touch whose kind means 'resolves', from the start), resolved,
    path (channels in order, repeats collapsed, ``>``-separated; ``…`` marks a path cut at
    ``max_steps``), path_steps. All vectorised: no loop over threads.
    """
    df = touches
    if not (df["thread_id"].is_monotonic_increasing if len(df) else True):
        df = df.sort_values(["thread_id", "occurred_at"], kind="mergesort")
    df = df.reset_index(drop=True)
    n = len(df)
    thread, thread_ids = pd.factorize(df["thread_id"], sort=False)
    thread = thread.astype(np.int64)
    t = epoch_seconds(df["occurred_at"]) if n else np.zeros(0, dtype=np.int64)
    if n:
        # Time order inside each thread (SQL already sorts; hand-made data may not).
        order = np.lexsort((t, thread))
        if not np.array_equal(order, np.arange(n)):
            df, thread, t = df.iloc[order].reset_index(drop=True), thread[order], t[order]
    channel = pd.Categorical(df["channel"])
    ch = channel.codes.astype(np.int64)
    cats = np.asarray(channel.categories, dtype=object)
    inbound = df["direction"].eq("inbound").to_numpy()
    kind = df["kind"].fillna("").astype(str).to_numpy(dtype=object)
    meaning = kinds_store.meaning_of(df["kind"].to_numpy(dtype=object), meanings if meanings is not None else
                                     {r["kind"]: r["meaning"] for r in kinds_store.DEFAULT_KINDS}).to_numpy()
    account = (df["account"].to_numpy(dtype=object) if "account" in df.columns
               else np.full(n, None, dtype=object))
    k = len(thread_ids)

    first = np.flatnonzero(np.r_[True, thread[1:] != thread[:-1]]) if n else np.zeros(0, dtype=int)
    last = np.r_[first[1:] - 1, n - 1] if n else np.zeros(0, dtype=int)

    def first_time(mask: np.ndarray) -> np.ndarray:
        out = np.full(k, np.nan)
        if mask.any():
            s = pd.Series(t[mask]).groupby(thread[mask]).min()
            out[s.index.to_numpy()] = s.to_numpy()
        return out

    first_in = first_time(inbound)
    fin_row = first_in[thread] if n else np.zeros(0)
    answers = ~inbound & (t >= fin_row)  # NaN comparisons are False: no inbound, no response
    first_out = first_time(answers)
    resolution = first_time(meaning == "resolves")
    # The account behind each thread's first response: rows are in thread and time order.
    response_account = np.full(k, None, dtype=object)
    ans = np.flatnonzero(answers)
    if len(ans):
        lead = ans[np.r_[True, thread[ans][1:] != thread[ans][:-1]]]
        response_account[thread[lead]] = account[lead]
    outbound_n = np.bincount(thread[~inbound], minlength=k) if n else np.zeros(0, dtype=int)
    handoffs_n = (np.bincount(thread[~inbound & (meaning == "handoff_private")], minlength=k) if n
                  else np.zeros(0, dtype=int))
    start = t[first].astype(float)

    # Paths: collapse repeats of a channel, then encode up to max_steps channels as one integer.
    keep = np.r_[True, (thread[1:] != thread[:-1]) | (ch[1:] != ch[:-1])] if n else np.zeros(0, dtype=bool)
    kt, kc, kidx = thread[keep], ch[keep], np.flatnonzero(keep)
    kfirst = np.r_[True, kt[1:] != kt[:-1]] if len(kt) else np.zeros(0, dtype=bool)
    start_pos = np.maximum.accumulate(np.where(kfirst, np.arange(len(kt)), 0)) if len(kt) else kt
    pos = np.arange(len(kt)) - start_pos
    steps = np.bincount(kt, minlength=k)
    base = len(cats) + 1
    cap = max(1, min(max_steps, int(61 // np.log2(max(base, 2)))))
    powers = base ** np.arange(cap, dtype=np.int64)
    contrib = np.where(pos < cap, (kc + 1) * powers[np.minimum(pos, cap - 1)], 0).astype(np.int64)
    code = np.add.reduceat(contrib, np.flatnonzero(kfirst)) if len(kt) else np.zeros(0, dtype=np.int64)
    truncated = steps > cap
    key = code * 2 + truncated.astype(np.int64)
    uniq, inverse = np.unique(key, return_inverse=True)
    ucode, utrunc = uniq // 2, (uniq % 2).astype(bool)
    names = np.full(len(uniq), "", dtype=object)
    for p in range(cap):  # positions, not threads: at most max_steps passes over the distinct paths
        digit = (ucode // powers[p]) % base
        part = np.where(digit > 0, cats[np.maximum(digit - 1, 0)] if len(cats) else "", "")
        names = np.where(part == "", names, np.where(names == "", part, names + PATH_SEP + part))
    names = np.where(utrunc, names + PATH_SEP + TRUNCATED, names)
    path = names[inverse] if k else np.zeros(0, dtype=object)

    threads = pd.DataFrame({
        "thread_id": np.asarray(thread_ids, dtype=object),
        "customer_id": df["customer_id"].to_numpy(dtype=object)[first],
        "start": start, "last": t[last].astype(float),
        "start_channel": cats[ch[first]] if n else np.zeros(0, dtype=object),
        "opening_kind": kind[first],
        "opening_meaning": meaning[first] if n else np.zeros(0, dtype=object),
        "opened_inbound": inbound[first] if n else np.zeros(0, dtype=bool),
        "n_touches": np.diff(np.r_[first, n]) if n else np.zeros(0, dtype=int),
        "outbound_n": outbound_n, "handoffs_n": handoffs_n, "response_account": response_account,
        "first_response_h": (first_out - first_in) / 3600.0,
        "resolution_h": (resolution - start) / 3600.0,
        "resolution_t": resolution,
        "resolved": ~np.isnan(resolution),
        "path": path, "path_steps": steps,
    })
    attrs = customers if customers is not None else pd.DataFrame(columns=["customer_id", "segment", "region",
                                                                          "linked"])
    threads = threads.merge(attrs[["customer_id", "segment", "region", "linked"]], on="customer_id", how="left")
    threads["linked"] = threads["linked"].fillna(0).astype(bool)

    has_prev = ~kfirst
    moves = pd.DataFrame({
        "thread": kt[has_prev], "t": t[kidx[has_prev]],
        "src": cats[kc[np.flatnonzero(has_prev) - 1]] if has_prev.any() else np.zeros(0, dtype=object),
        "dst": cats[kc[has_prev]] if has_prev.any() else np.zeros(0, dtype=object),
        "dst_kind": kind[kidx[has_prev]],
    })
    touches_out = pd.DataFrame({"thread": thread, "t": t, "channel": channel, "inbound": inbound,
                                "kind": pd.Categorical(kind)})
    return ServiceBase(touches=touches_out, moves=moves, threads=threads)


def service_base(db: sqlite_utils.Database) -> ServiceBase:
    """The conversations of the whole database, once per data version: read from the copy kept in
    the database when there is one, else fetched, prepared and kept for the next process."""
    def scan() -> dict[str, pd.DataFrame]:
        r = store.run_parallel(db, {"touches": q.service_touches, "attrs": q.customer_attributes})
        return vars(build_service_base(r["touches"], r["attrs"], meanings=kinds_store.meaning_map(db)))
    return memo.kept(db, "service_base", lambda: ServiceBase(**aggregates.memo_parts(
        db, SERVICE_MEMO_KEY, ("touches", "moves", "threads"), scan)))


# Where the conversations are kept in the database. "service2": the threads gained columns
# (conversations answered or not, hand-offs, accounts); a copy an older version kept is not read.
SERVICE_MEMO_KEY = "continuum.service2"


def thread_mask(base: ServiceBase, f: Filters, focus: Iterable[str] = (), path: str | None = None) -> np.ndarray:
    """Threads under the filters (start date, customer segment and region) and the focus.

    A thread is in focus when it started on a focus channel and, if a path is set, followed that path.
    """
    th = base.threads
    mask = np.ones(len(th), dtype=bool)
    if f.date_from:
        mask &= th["start"].to_numpy() >= _date_seconds(f.date_from)
    if f.date_to:
        mask &= th["start"].to_numpy() < _date_seconds(f.date_to + dt.timedelta(days=1))
    mask &= f.frame_mask(th, platform=False)
    focus = list(focus or [])
    if focus:
        mask &= th["start_channel"].isin(focus).to_numpy()
    if path:
        mask &= (th["path"] == path).to_numpy()
    return mask


# -- journeys ----------------------------------------------------------------------------------

@dataclass
class Journeys:
    threads: int
    resolved: int
    moves: pd.DataFrame          # src, dst, n, src_side, dst_side (every move, largest first)
    sides: pd.DataFrame          # src_side, dst_side, n
    paths: pd.DataFrame          # path, label, n, share, resolved_share, crossing (every path, commonest first)
    taken_offline: int           # threads with a public -> private move
    taken_offline_resolved: int
    went_public: int             # threads with a private -> public move
    went_public_resolved: int
    went_public_kinds: pd.DataFrame  # kind of the first public touch after a private one: kind, n

    @property
    def moves_total(self) -> int:
        return int(self.moves["n"].sum()) if len(self.moves) else 0


def journeys(base: ServiceBase, mask: np.ndarray, vocab: pd.DataFrame) -> Journeys:
    """Moves between channels and halves, paths, and the threads that crossed between the halves."""
    pub = public_set(vocab)
    labels = labels_of(vocab)
    th = base.threads[mask]
    n_threads = len(th)
    sel = mask[base.moves["thread"].to_numpy()] if len(base.moves) else np.zeros(0, dtype=bool)
    mv = base.moves[sel]
    src_pub = mv["src"].isin(pub).to_numpy()
    dst_pub = mv["dst"].isin(pub).to_numpy()
    side = np.array(["private", "public"], dtype=object)
    moves = (mv.groupby(["src", "dst"]).size().rename("n").reset_index()
             if len(mv) else pd.DataFrame(columns=["src", "dst", "n"]))
    moves["src_side"] = np.where(moves["src"].isin(pub), "public", "private")
    moves["dst_side"] = np.where(moves["dst"].isin(pub), "public", "private")
    moves = moves.sort_values(["n", "src", "dst"], ascending=[False, True, True]).reset_index(drop=True)
    sides = (pd.DataFrame({"src_side": side[src_pub.astype(int)], "dst_side": side[dst_pub.astype(int)]})
             .groupby(["src_side", "dst_side"]).size().rename("n").reset_index())

    offline_threads = np.unique(mv["thread"].to_numpy()[src_pub & ~dst_pub])
    public_moves = mv[~src_pub & dst_pub]
    public_threads = np.unique(public_moves["thread"].to_numpy())
    resolved = base.threads["resolved"].to_numpy()
    kinds = (public_moves.drop_duplicates("thread")["dst_kind"].replace("", "unknown").value_counts()
             .rename_axis("kind").rename("n").reset_index())

    flags = np.zeros(len(base.threads), dtype=int)
    flags[offline_threads] |= 1
    flags[public_threads] |= 2
    crossing = np.array(["stayed on one side", "taken private", "went public", "taken private and went public"],
                        dtype=object)
    if n_threads:
        pf = pd.DataFrame({"path": th["path"].to_numpy(), "resolved": th["resolved"].to_numpy(),
                           "flag": flags[mask]})
        paths = pf.groupby("path").agg(n=("resolved", "size"), resolved_share=("resolved", "mean"),
                                       flag=("flag", "max")).reset_index()
        paths = paths.sort_values(["n", "path"], ascending=[False, True]).reset_index(drop=True)
        paths["share"] = paths["n"] / n_threads
        paths["crossing"] = crossing[paths["flag"].to_numpy()]
        # Labels for every distinct path (not every thread); the page shows the commonest.
        paths["label"] = [path_label(p, labels) for p in paths["path"]]
        paths = paths[["path", "label", "n", "share", "resolved_share", "crossing"]]
    else:
        paths = pd.DataFrame(columns=["path", "label", "n", "share", "resolved_share", "crossing"])
    return Journeys(
        threads=n_threads, resolved=int(th["resolved"].sum()), moves=moves, sides=sides, paths=paths,
        taken_offline=len(offline_threads), taken_offline_resolved=int(resolved[offline_threads].sum()),
        went_public=len(public_threads), went_public_resolved=int(resolved[public_threads].sum()),
        went_public_kinds=kinds)


def journeys_view(db: sqlite_utils.Database, f: Filters, focus: tuple[str, ...] = (),
                  path: str | None = None) -> Journeys:
    base = service_base(db)
    return journeys(base, thread_mask(base, f, focus, path), vocabulary(db))


def path_options(db: sqlite_utils.Database, f: Filters, limit: int = 40) -> list[str]:
    """The commonest paths under the filters (the choices of the focus-path box), commonest first."""
    base = service_base(db)
    paths = base.threads.loc[thread_mask(base, f), "path"]
    counts = paths.value_counts().rename_axis("path").rename("n").reset_index()
    return counts.sort_values(["n", "path"], ascending=[False, True])["path"].head(limit).tolist()


def conversation_monthly(db: sqlite_utils.Database, f: Filters, focus: tuple[str, ...] = (),
                         path: str | None = None) -> pd.DataFrame:
    """Touches of the conversations in view per month, channel and direction (for talk/listen)."""
    base = service_base(db)
    mask = thread_mask(base, f, focus, path)
    return conversation_counts(base, mask, vocabulary(db))


def conversation_counts(base: ServiceBase, mask: np.ndarray, vocab: pd.DataFrame) -> pd.DataFrame:
    tc = base.touches
    sel = mask[tc["thread"].to_numpy()] if len(tc) else np.zeros(0, dtype=bool)
    t = tc[sel]
    if t.empty:
        return pd.DataFrame(columns=["month", "channel", "direction", "n", "label", "publicness", "side"])
    month = pd.to_datetime(t["t"].to_numpy(), unit="s").strftime("%Y-%m")
    counts = (pd.DataFrame({"month": month, "channel": t["channel"].astype(str).to_numpy(),
                            "direction": np.where(t["inbound"].to_numpy(), "inbound", "outbound")})
              .groupby(["month", "channel", "direction"]).size().rename("n").reset_index())
    v = complete_vocab(vocab, counts["channel"].unique())
    return monthly_mix(counts, v)


# -- going public --------------------------------------------------------------------------------

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
    is_reply), only those addressed to the brand when ``brand_only``; once per data version."""
    def load():
        p = q.linked_posts(db, brand_only)
        return pd.DataFrame({
            "customer_id": p["customer_id"].to_numpy(dtype=object), "post_id": p["post_id"].to_numpy(dtype=object),
            "platform": p["platform"].to_numpy(dtype=object),
            "t": epoch_seconds(p["created_at"]) if len(p) else np.zeros(0, dtype=np.int64),
            "sentiment": p["sentiment"].astype(float).to_numpy(),
            "is_reply": p["is_reply"].to_numpy(dtype=bool) if len(p) else np.zeros(0, dtype=bool)})
    return memo.kept(db, "linked_posts", load, (bool(brand_only),))


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


def rates(frame: pd.DataFrame, by: str, outcomes: Iterable[str] = ("vent", "kudos")) -> pd.DataFrame:
    """Rate of each outcome per group with a 95% Wilson interval (outcome, bin, n, events, rate, low, high)."""
    rows = []
    if frame.empty:
        return pd.DataFrame(columns=["outcome", "bin", "n", "events", "rate", "low", "high"])
    for outcome in outcomes:
        g = frame.groupby(by, observed=False)[outcome].agg(["size", "sum"]).reset_index()
        g.columns = ["bin", "n", "events"]
        g.insert(0, "outcome", outcome)
        rows.append(g)
    out = pd.concat(rows, ignore_index=True)
    out["n"] = out["n"].astype(int)
    out["events"] = out["events"].astype(int)
    out["rate"] = out["events"] / out["n"].where(out["n"] > 0)
    out["low"], out["high"] = stats.wilson_interval(out["events"].to_numpy(), out["n"].to_numpy())
    out["bin"] = out["bin"].astype(str)
    return out


def add_bins(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    frt = pd.cut(out["first_response_h"], FIRST_RESPONSE_BINS[0], labels=FIRST_RESPONSE_BINS[1], right=False)
    out["first_response_bin"] = pd.Categorical(frt.cat.add_categories([NO_RESPONSE]).fillna(NO_RESPONSE),
                                               categories=[*FIRST_RESPONSE_BINS[1], NO_RESPONSE], ordered=True)
    res = pd.cut(out["resolution_h"], RESOLUTION_BINS[0], labels=RESOLUTION_BINS[1], right=False)
    out["resolution_bin"] = pd.Categorical(res.cat.add_categories([NOT_RESOLVED]).fillna(NOT_RESOLVED),
                                           categories=[*RESOLUTION_BINS[1], NOT_RESOLVED], ordered=True)
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


# -- public-only data: escalation instead of going public --------------------------------------------

PUBLIC_ONLY_NOTE = (
    "Every conversation in this data is on public channels: there is no private channel (publicness below "
    "{threshold:g}) for a customer to go public from. Going public cannot be measured, and the models built "
    "on it cannot be fitted: each customer post would count as its own 'going public' moment, so the vent "
    "rate would merely restate how negative the posts are.")
ESCALATION_RULE = (
    "A conversation is one the customer started (its first touch is inbound). It is answered when the brand "
    "replied in it (an outbound touch), and escalated when, after the brand's first reply, the customer "
    "posted again in public in the same conversation (an inbound touch on a public channel, strictly later "
    "than that reply). The share escalated is of answered conversations; a customer who never heard back "
    "cannot escalate and is counted as unanswered. What happened in private after a hand-off is not in the data.")
WHATIF_PUBLIC_ONLY = ("The what-if models cannot be fitted on this data. "
                      + PUBLIC_ONLY_NOTE.format(threshold=store.PUBLIC_THRESHOLD)
                      + " The Going public tab measures escalation instead.")
# The meaning a brand reply's kind has when it asks to move to a private channel (the kinds vocabulary).
HANDOFF_MEANING = "handoff_private"


def public_only(db: sqlite_utils.Database) -> bool:
    """The data has interactions and none of them is on a private channel (a tweet dump, say)."""
    return store.scalar(db, "SELECT EXISTS (SELECT 1 FROM interactions)") == 1 and not q.private_channel_used(db)


@dataclass
class Escalation:
    conversations: int        # conversations in view that the customer started
    answered: int             # of which the brand replied
    escalated: int            # of which the customer posted again in public after the brand's first reply
    rate: float               # escalated / answered (NaN when none answered)
    low: float                # 95% Wilson interval of the rate
    high: float
    by_first_response: pd.DataFrame  # outcome ('escalated'), bin, n, events, rate, low, high
    by_first_reply: pd.DataFrame     # the same by what the brand's first reply did (answered in public / asked
    #                                  to move to private)

    @property
    def unanswered(self) -> int:
        return self.conversations - self.answered


FIRST_REPLY_KINDS = {True: "asked to move to a private channel", False: "answered in public"}


def escalation_frame(base: ServiceBase, mask: np.ndarray, vocab: pd.DataFrame,
                     meanings: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per conversation in ``mask`` that the customer started: thread (index into base.threads),
    first_response_h, answered, escalated, handoff (the brand's first reply asked to move to private).
    See ``ESCALATION_RULE``. ``meanings`` maps kinds to meanings (the shipped vocabulary when None): a
    first reply is a hand-off when its kind means 'handoff_private'. Vectorised over the touches."""
    cols = ["thread", "first_response_h", "answered", "escalated", "handoff"]
    tc = base.touches
    if tc.empty or not mask.any():
        return pd.DataFrame(columns=cols)
    thread = tc["thread"].to_numpy()
    keep = mask[thread]
    thread, t = thread[keep], tc["t"].to_numpy()[keep].astype(float)
    inbound = tc["inbound"].to_numpy()[keep].astype(bool)
    channel = tc["channel"].astype(str).to_numpy()[keep]
    kind = tc["kind"].astype(str).to_numpy()[keep]
    public = np.isin(channel, list(public_set(complete_vocab(vocab, np.unique(channel)))))
    # Touches are in thread and time order (build_service_base): a thread's first row is its opening.
    first = np.r_[True, thread[1:] != thread[:-1]]
    opened = pd.Series(inbound[first], index=thread[first])
    started = opened[opened].index.to_numpy()
    out_rows = ~inbound
    reply = pd.DataFrame({"thread": thread[out_rows], "t": t[out_rows], "kind": kind[out_rows]}
                         ).drop_duplicates("thread")  # the first outbound touch of each thread
    reply_t = pd.Series(reply["t"].to_numpy(), index=reply["thread"].to_numpy())
    reply_kind = pd.Series(reply["kind"].to_numpy(), index=reply["thread"].to_numpy())
    after = t > reply_t.reindex(thread).to_numpy(dtype=float)  # NaN (no reply): never after
    again = np.unique(thread[inbound & public & after])
    frame = pd.DataFrame({"thread": started})
    frame["first_response_h"] = base.threads["first_response_h"].to_numpy()[started]
    frame["answered"] = np.isin(started, reply_t.index.to_numpy())
    frame["escalated"] = np.isin(started, again)
    if meanings is None:
        meanings = {r["kind"]: r["meaning"] for r in kinds_store.DEFAULT_KINDS}
    frame["handoff"] = kinds_store.meaning_of(reply_kind.reindex(started).to_numpy(dtype=object),
                                              meanings).eq(HANDOFF_MEANING).to_numpy()
    return frame[cols]


def escalation_view(db: sqlite_utils.Database, f: Filters, focus: tuple[str, ...] = (),
                    path: str | None = None) -> Escalation:
    """Escalation (``ESCALATION_RULE``) of the conversations under the filters and focus."""
    base = service_base(db)
    return escalation(base, thread_mask(base, f, focus, path), vocabulary(db), kinds_store.meaning_map(db))


def escalation(base: ServiceBase, mask: np.ndarray, vocab: pd.DataFrame,
               meanings: dict[str, str] | None = None) -> Escalation:
    """Escalation of the conversations in ``mask`` (``ESCALATION_RULE``), overall, by time to the brand's
    first reply and by what that reply did."""
    e = escalation_frame(base, mask, vocab, meanings)
    answered = e[e["answered"]] if len(e) else e
    n, k = len(answered), int(answered["escalated"].sum()) if len(answered) else 0
    lo, hi = stats.wilson_interval(k, n)
    by_frt = pd.DataFrame(columns=["outcome", "bin", "n", "events", "rate", "low", "high"])
    by_reply = by_frt
    if n:
        binned = add_bins(answered.assign(resolution_h=np.nan))
        by_frt = rates(binned, "first_response_bin", outcomes=("escalated",))
        by_frt = by_frt[by_frt["bin"] != NO_RESPONSE].reset_index(drop=True)
        by_reply = rates(answered.assign(first_reply=answered["handoff"].map(FIRST_REPLY_KINDS)), "first_reply",
                         outcomes=("escalated",))
    return Escalation(conversations=len(e), answered=n, escalated=k, rate=k / n if n else float("nan"),
                      low=float(lo), high=float(hi), by_first_response=by_frt, by_first_reply=by_reply)


# -- what if ---------------------------------------------------------------------------------------

NUMERIC = ["log_resolution_h", "not_resolved", "log_first_response_h", "no_response"]
CATEGORICAL = ["start_channel", "segment"]
TERM_WORDS = {
    "log_resolution_h": "Resolution time (each doubling)",
    "not_resolved": "Not resolved (versus resolved in the average time)",
    "log_first_response_h": "First-response time (each doubling)",
    "no_response": "No response at all",
}
# Floors before taking logs: a minute for a first response, six minutes for a resolution.
MIN_RESPONSE_H = 1 / 60
MIN_RESOLUTION_H = 0.1


def model_covariates(threads: pd.DataFrame, resolution_factor: float = 1.0,
                     first_response_cap_h: float | None = None) -> pd.DataFrame:
    """The model's covariates per thread, optionally under a scenario.

    Scenario: every resolved thread's resolution time multiplied by ``resolution_factor``; every
    first response later than ``first_response_cap_h`` hours moved to that cap. Unresolved threads,
    threads never answered, the channel and the segment are held as they are.
    """
    res = threads["resolution_h"].to_numpy(dtype=float) * resolution_factor
    frt = threads["first_response_h"].to_numpy(dtype=float)
    if first_response_cap_h is not None:
        frt = np.where(np.isnan(frt), np.nan, np.minimum(frt, first_response_cap_h))
    resolved = ~np.isnan(res)
    responded = ~np.isnan(frt)
    return pd.DataFrame({
        "log_resolution_h": np.where(resolved, np.log(np.maximum(np.nan_to_num(res), MIN_RESOLUTION_H)), 0.0),
        "not_resolved": (~resolved).astype(float),
        "log_first_response_h": np.where(responded, np.log(np.maximum(np.nan_to_num(frt), MIN_RESPONSE_H)), 0.0),
        "no_response": (~responded).astype(float),
        "start_channel": threads["start_channel"].astype(str).to_numpy(),
        "segment": threads["segment"].fillna("unknown").astype(str).to_numpy(),
    }, index=threads.index)


@dataclass
class Model:
    outcome: str
    fit: whatif.LogitFit
    design: whatif.Design
    coefficients: pd.DataFrame   # term, words, coef, se, odds_ratio, or_low, or_high, p_value, doubling_or, ...


@dataclass
class WhatIf:
    models: dict[str, Model]             # by outcome; missing when there were too few events to fit
    notes: dict[str, str]                # why a model is missing
    population: int                      # threads the scenario applies to (filters and focus)
    observed: dict[str, int]             # observed events in that population
    effects: dict[str, dict[str, float]]  # outcome -> whatif.expected_change result
    resolution_cut: float
    first_response_cap_h: float | None
    warnings: list[str] = field(default_factory=list)  # where the scenario leaves the data's range


MIN_EVENTS = 10
# A scenario extrapolates when it puts more than this share of the conversations beyond the
# observed 1st (or 99th) percentile of a predictor: ten times as many as the data has there.
EXTRAPOLATION_SHARE = 0.10


def whatif_words(resolution_cut: float, first_response_cap_h: float | None) -> str:
    """The scenario in words: "resolution 50% faster and a first reply within 4 hours"."""
    parts = ([f"resolution {resolution_cut:.0%} faster"] if resolution_cut else []) + \
        ([f"a first reply within {_n_hours(first_response_cap_h)}"] if first_response_cap_h is not None else [])
    return " and ".join(parts) or "no change"


def _n_hours(h: float) -> str:
    return f"{h:g} hour" + ("" if h == 1 else "s")


def _hours(h: float) -> str:
    return f"{h * 60:.0f} minutes" if h < 1 else f"{h:,.1f} hours"


def extrapolation(population: pd.DataFrame, resolution_cut: float,
                  first_response_cap_h: float | None) -> list[str]:
    """Warnings, in words, when the scenario moves many conversations outside the observed range of
    resolution or first-response time: the model has seen almost no conversations there, so what it
    predicts is an extrapolation of its fitted curve, not something the data shows."""
    out = []
    res = population["resolution_h"].to_numpy(dtype=float) if len(population) else np.array([])
    res = res[~np.isnan(res)]
    if resolution_cut > 0 and len(res) >= 20:
        p1 = float(np.quantile(res, 0.01))
        below = float(np.mean(res * (1.0 - resolution_cut) < p1))
        if below > EXTRAPOLATION_SHARE:
            out.append(f"Beyond the data: resolution {resolution_cut:.0%} faster puts {below:.0%} of the resolved "
                       f"conversations below {_hours(p1)}, faster than all but 1% of the conversations observed. "
                       "The model has seen almost none that fast; its figures there extend the fitted curve and "
                       "are not supported by the data.")
    frt = population["first_response_h"].to_numpy(dtype=float) if len(population) else np.array([])
    frt = frt[~np.isnan(frt)]
    if first_response_cap_h is not None and len(frt) >= 20:
        p1 = float(np.quantile(frt, 0.01))
        moved = float(np.mean(np.minimum(frt, first_response_cap_h) < p1))
        if moved > EXTRAPOLATION_SHARE:
            out.append(f"Beyond the data: a first reply within {_n_hours(first_response_cap_h)} puts {moved:.0%} of "
                       f"the answered conversations below {_hours(p1)}, faster than all but 1% observed; the "
                       "model's figures there are an extrapolation.")
    return out


def fit_models(labelled: pd.DataFrame, ridge: float = whatif.DEFAULT_RIDGE,
               labels: dict[str, str] | None = None) -> tuple[dict[str, Model], dict[str, str]]:
    """One logistic model per outcome on the linked threads (needs 10 events and 10 non-events)."""
    models: dict[str, Model] = {}
    notes: dict[str, str] = {}
    if labelled.empty:
        return models, {o: "No conversations of linked customers under these filters." for o in OUTCOMES}
    cov = model_covariates(labelled)
    design = whatif.Design.from_frame(cov, NUMERIC, CATEGORICAL)
    X = design.matrix(cov)
    for outcome in OUTCOMES:
        y = labelled[outcome].to_numpy().astype(float)
        events, non = int(y.sum()), int(len(y) - y.sum())
        if events < MIN_EVENTS or non < MIN_EVENTS:
            notes[outcome] = (f"Too few cases to fit a model: {events:,} with and {non:,} without "
                              f"(at least {MIN_EVENTS} of each are needed).")
            continue
        fit = whatif.fit_logistic(X, y, design.names, ridge=ridge)
        table = fit.table()
        table["words"] = [_term_words(t, labels or {}) for t in table["term"]]
        # For the log terms, the odds ratio per doubling says it in words people use.
        doubling = table["term"].isin(["log_resolution_h", "log_first_response_h"])
        table["doubling_or"] = np.where(doubling, np.exp(table["coef"] * np.log(2)), np.nan)
        table["doubling_low"] = np.where(doubling, np.exp((table["coef"] - 1.959964 * table["se"]) * np.log(2)),
                                         np.nan)
        table["doubling_high"] = np.where(doubling, np.exp((table["coef"] + 1.959964 * table["se"]) * np.log(2)),
                                          np.nan)
        models[outcome] = Model(outcome, fit, design, table)
    return models, notes


def _term_words(term: str, labels: dict[str, str]) -> str:
    if term == "intercept":
        return "Baseline (commonest channel and segment, average times)"
    if term in TERM_WORDS:
        return TERM_WORDS[term]
    col, _, level = term.partition("=")
    return f"Started on {labels.get(level, level)}" if col == "start_channel" else f"Segment {level}"


def scenario_effects(models: dict[str, Model], population: pd.DataFrame, resolution_cut: float,
                     first_response_cap_h: float | None, draws: int = whatif.DEFAULT_DRAWS,
                     seed: int = whatif.DEFAULT_SEED) -> dict[str, dict[str, float]]:
    """Expected events in ``population`` now and under the scenario, per fitted model, with intervals."""
    if population.empty:
        return {}
    base_cov = model_covariates(population)
    scen_cov = model_covariates(population, 1.0 - resolution_cut, first_response_cap_h)
    out = {}
    for outcome, model in models.items():
        X0 = model.design.matrix(base_cov)
        X1 = model.design.matrix(scen_cov)
        out[outcome] = whatif.expected_change(model.fit, X0, X1, draws=draws, seed=seed)
    return out


def whatif_models(db: sqlite_utils.Database, f: Filters, window_days: int = 7,
                  brand_only: bool = True) -> tuple[dict[str, Model], dict[str, str], int]:
    """The fitted models on every linked conversation under the filters (not the focus)."""
    def fit():
        base, posts = bases(db, brand_only)
        labelled, _ = outcome_frame(base, posts, thread_mask(base, f), f, window_days)
        models, notes = fit_models(labelled, labels=labels_of(vocabulary(db)))
        return models, notes, len(labelled)
    return memo.kept(db, "whatif_models", fit, (f, int(window_days), bool(brand_only)), settings=True)


def whatif_view(db: sqlite_utils.Database, f: Filters, focus: tuple[str, ...] = (), path: str | None = None,
                window_days: int = 7, brand_only: bool = True, resolution_cut: float = 0.0,
                first_response_cap_h: float | None = None) -> WhatIf:
    """Models fitted on all linked conversations under the filters, applied to those in focus. On
    public-only data no model is fitted: every outcome's note says why (``PUBLIC_ONLY_NOTE``)."""
    if public_only(db):
        return WhatIf(models={}, notes={o: WHATIF_PUBLIC_ONLY for o in OUTCOMES}, population=0,
                      observed={o: 0 for o in OUTCOMES}, effects={}, resolution_cut=float(resolution_cut),
                      first_response_cap_h=first_response_cap_h)
    models, notes, _ = whatif_models(db, f, window_days, brand_only)
    base, posts = bases(db, brand_only)
    labelled, _ = outcome_frame(base, posts, thread_mask(base, f, focus, path), f, window_days)
    effects = scenario_effects(models, labelled, resolution_cut, first_response_cap_h)
    return WhatIf(models=models, notes=notes, population=len(labelled),
                  observed={o: int(labelled[o].sum()) if len(labelled) else 0 for o in OUTCOMES},
                  effects=effects, resolution_cut=float(resolution_cut), first_response_cap_h=first_response_cap_h,
                  warnings=extrapolation(labelled, resolution_cut, first_response_cap_h) if effects else [])
