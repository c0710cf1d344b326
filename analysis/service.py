"""Service timing: first response and resolution time (median, p90, distribution), unanswered
conversations and hand-offs to private, overall and per brand account, channel, month, segment and
where the conversation started.

Definitions (stated on the page and in the README):
- a *conversation* is a thread the customer started (its first touch inbound), answered or not;
  a thread of a single touch counts when that touch's kind means ``opens`` (see
  ``analysis.store.continuum.service_touches``);
- *first response*: from the customer's first touch to the brand's first outbound touch after it;
  a conversation without one is *unanswered* (counted, never in the medians);
- *resolution*: from the first touch to the first touch whose kind means ``resolves``; open
  conversations are not in its medians, and when no kind in the data means ``resolves`` (public-only
  data such as a tweet dump), resolution time is unknown, not zero and not "never";
- a *hand-off to private* is an outbound touch whose kind means ``handoff_private``; its share is
  taken over all the brand's outbound touches in the conversations;
- percentiles interpolate linearly between order statistics (numpy's and pandas' default);
- filters: the conversation's start date, the customer's segment and region; interactions carry
  no platform, so the platform filter does not apply here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import continuum, memo, store
from analysis.filters import Filters
from analysis.store import aggregates
from analysis.store import service as q

MEASURES = {"first_response": "First response", "resolution": "Resolution"}
DIMENSIONS = {
    "start_side": "Where it started (public or private)",
    "channel": "Channel it started on",
    "account": "Brand account that answered first",
    "month": "Month it started",
    "segment": "Customer segment",
}
NO_ANSWER = "no answer yet"
NOT_RECORDED = "account not recorded"
NO_SEGMENT = "no segment"
SIDES = {"public": "Started in public", "private": "Started in private"}
# Durations shorter than this are drawn at this value on log axes (a log axis has no zero).
FLOOR_MINUTES = 1 / 60
FRAME_COLUMNS = ["thread_id", "customer_id", "started", "first_response_min", "resolution_min", "answered",
                 "resolved", "outbound_n", "handoffs_n", "start_side", "channel", "account", "month", "segment"]


@dataclass
class Timing:
    """One duration's figures over a set of conversations (minutes)."""

    n: int
    median: float
    p90: float

    def as_dict(self) -> dict:
        return {"n": self.n, "median": _none(self.median), "p90": _none(self.p90)}


def _none(x):
    return None if x is None or (isinstance(x, float) and not np.isfinite(x)) else float(x)


def timing(minutes) -> Timing:
    v = pd.Series(minutes, dtype=float).dropna().to_numpy()
    if not len(v):
        return Timing(0, float("nan"), float("nan"))
    return Timing(len(v), float(np.percentile(v, 50)), float(np.percentile(v, 90)))


def conversations(threads: pd.DataFrame, vocab: pd.DataFrame) -> pd.DataFrame:
    """One row per conversation (threads the customer started) with its durations in minutes and the
    groups it belongs to (FRAME_COLUMNS)."""
    th = threads[threads["opened_inbound"].astype(bool)] if len(threads) else threads
    if th.empty:
        return pd.DataFrame(columns=FRAME_COLUMNS)
    v = continuum.complete_vocab(vocab, th["start_channel"].unique())
    public = set(v.loc[v["publicness"].astype(float) >= store.PUBLIC_THRESHOLD, "channel"])
    labels = continuum.labels_of(v)
    start_channel = th["start_channel"].astype(str)
    frt = th["first_response_h"].to_numpy(dtype=float) * 60.0
    answered = ~np.isnan(frt)
    account = th["response_account"].astype(object)
    account = np.where(~answered, NO_ANSWER,
                       np.where(account.isna() | (account.astype(str) == ""), NOT_RECORDED, account.astype(str)))
    segment = th["segment"].astype(object)
    return pd.DataFrame({
        "thread_id": th["thread_id"].to_numpy(dtype=object),
        "customer_id": th["customer_id"].to_numpy(dtype=object),
        "started": pd.to_datetime(th["start"].to_numpy(dtype=float), unit="s"),
        "first_response_min": frt,
        "resolution_min": th["resolution_h"].to_numpy(dtype=float) * 60.0,
        "answered": answered,
        "resolved": th["resolved"].to_numpy(dtype=bool),
        "outbound_n": th["outbound_n"].to_numpy(dtype=np.int64),
        "handoffs_n": th["handoffs_n"].to_numpy(dtype=np.int64),
        "start_side": np.where(start_channel.isin(public), "public", "private"),
        "channel": start_channel.map(labels).fillna(start_channel).to_numpy(dtype=object),
        "account": account,
        "month": pd.to_datetime(th["start"].to_numpy(dtype=float), unit="s").strftime("%Y-%m").to_numpy(
            dtype=object),
        "segment": np.where(segment.isna(), NO_SEGMENT, segment.astype(str)),
    })[FRAME_COLUMNS].reset_index(drop=True)


BREAKDOWN_COLUMNS = ["group", "conversations", "answered", "unanswered", "unanswered_share",
                     "first_response_median", "first_response_p90", "resolved", "resolution_median",
                     "resolution_p90", "brand_messages", "handoffs", "handoff_share"]


def breakdown(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Counts, medians and p90s (minutes) per value of ``by`` (one of DIMENSIONS), largest group first
    (months in order)."""
    if by not in DIMENSIONS:
        raise ValueError(f"unknown breakdown {by!r}")
    if frame.empty:
        return pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    g = frame.groupby(by, sort=True)
    out = pd.DataFrame({
        "conversations": g.size(),
        "answered": g["answered"].sum(),
        "resolved": g["resolved"].sum(),
        "brand_messages": g["outbound_n"].sum(),
        "handoffs": g["handoffs_n"].sum(),
        "first_response_median": g["first_response_min"].median(),
        "first_response_p90": g["first_response_min"].quantile(0.9),
        "resolution_median": g["resolution_min"].median(),
        "resolution_p90": g["resolution_min"].quantile(0.9),
    })
    out["unanswered"] = out["conversations"] - out["answered"]
    out["unanswered_share"] = out["unanswered"] / out["conversations"]
    out["handoff_share"] = out["handoffs"] / out["brand_messages"].where(out["brand_messages"] > 0)
    out = out.rename_axis("group").reset_index()
    if by == "start_side":
        out["group"] = out["group"].map(SIDES)
    if by != "month":
        out = out.sort_values(["conversations", "group"], ascending=[False, True], kind="stable")
    for c in ("conversations", "answered", "unanswered", "resolved", "brand_messages", "handoffs"):
        out[c] = out[c].astype(np.int64)
    return out[BREAKDOWN_COLUMNS].reset_index(drop=True)


def _groups(frame: pd.DataFrame, by: str | None, top: int) -> pd.Series:
    """The group of each row for a chart: the ``top`` largest groups by name, the rest 'other groups'."""
    if not by:
        return pd.Series("All conversations", index=frame.index)
    g = frame[by].astype(str)
    if by == "start_side":
        return g.map(SIDES)
    if by == "month":
        return g
    keep = g.value_counts().head(top).index
    return g.where(g.isin(keep), "other groups")


def log_edges(values: np.ndarray, per_decade: int = 4) -> np.ndarray:
    """Bin edges evenly spaced on a log scale, whole decades at the ends, covering every value."""
    v = np.maximum(values[np.isfinite(values)], FLOOR_MINUTES)
    if not len(v):
        return np.zeros(0)
    lo, hi = np.floor(np.log10(v.min())), np.ceil(np.log10(v.max()))
    hi = max(hi, lo + 1)
    return 10.0 ** np.linspace(lo, hi, int(round((hi - lo) * per_decade)) + 1)


def distribution(frame: pd.DataFrame, measure: str, by: str | None = None, top: int = 6,
                 per_decade: int = 4) -> pd.DataFrame:
    """Histogram on a log time axis: group, lo, hi (minutes), n, share (of the group's measured
    conversations). Durations under FLOOR_MINUTES fall in the first bin."""
    col = f"{measure}_min"
    cols = ["group", "lo", "hi", "n", "share"]
    d = frame[frame[col].notna()] if len(frame) else frame
    if d.empty:
        return pd.DataFrame(columns=cols)
    values = np.maximum(d[col].to_numpy(dtype=float), FLOOR_MINUTES)
    edges = log_edges(values, per_decade)
    idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    groups = _groups(d, by, top).to_numpy(dtype=object)
    counts = (pd.DataFrame({"group": groups, "bin": idx}).groupby(["group", "bin"]).size()
              .unstack(fill_value=0).reindex(columns=range(len(edges) - 1), fill_value=0).stack()
              .rename("n").reset_index())
    counts["lo"], counts["hi"] = edges[counts["bin"].to_numpy()], edges[counts["bin"].to_numpy() + 1]
    counts["share"] = counts["n"] / counts.groupby("group")["n"].transform("sum")
    return counts[cols].reset_index(drop=True)


def ecdf(frame: pd.DataFrame, measure: str, by: str | None = None, top: int = 6, points: int = 200) -> pd.DataFrame:
    """The empirical distribution function per group, at most ``points`` steps per group: group,
    minutes, share (of the group's measured conversations answered within that time), n."""
    col = f"{measure}_min"
    cols = ["group", "minutes", "share", "n"]
    d = frame[frame[col].notna()] if len(frame) else frame
    if d.empty:
        return pd.DataFrame(columns=cols)
    # In numpy on group codes: half the time of pandas sorting and grouping (0.45 s of CPU at 520,000
    # conversations).
    codes, names = pd.factorize(_groups(d, by, top).to_numpy(dtype=object), sort=True)
    minutes = np.maximum(d[col].to_numpy(dtype=float), FLOOR_MINUTES)
    order = np.lexsort((minutes, codes))
    g, m = codes[order], minutes[order]
    size = np.bincount(g, minlength=len(names))
    begin = np.r_[0, np.cumsum(size)[:-1]]
    n = size[g]
    share = (np.arange(len(g)) - begin[g] + 1) / n
    # The last row of each run of equal values carries the share at that value; then thin to a grid.
    last = np.r_[(g[1:] != g[:-1]) | (m[1:] != m[:-1]), True]
    g, m, n, share = g[last], m[last], n[last], share[last]
    kept_size = np.bincount(g, minlength=len(names))
    kept_begin = np.r_[0, np.cumsum(kept_size)[:-1]]
    rank = np.arange(len(g)) - kept_begin[g]
    step = np.maximum(1, np.ceil(kept_size[g] / points)).astype(int)
    keep = (rank % step == 0) | (rank == kept_size[g] - 1)
    return pd.DataFrame({"group": np.asarray(names, dtype=object)[g[keep]], "minutes": m[keep],
                         "share": share[keep], "n": n[keep]})[cols]


@dataclass
class ServiceView:
    conversations: int
    answered: int
    unanswered: int
    resolved: int
    first_response: Timing
    resolution: Timing
    brand_messages: int
    handoffs: int
    resolution_known: bool        # some kind in the data means 'resolves'
    handoff_known: bool           # some kind in the data means 'handoff_private'
    accounts_recorded: bool       # some outbound touch names an account
    private_channels: bool        # some interaction is on a private channel
    frame: pd.DataFrame = field(repr=False)

    @property
    def unanswered_share(self) -> float:
        return self.unanswered / self.conversations if self.conversations else float("nan")

    @property
    def handoff_share(self) -> float:
        return self.handoffs / self.brand_messages if self.brand_messages else float("nan")

    def sides(self) -> set[str]:
        return set(self.frame["start_side"]) if len(self.frame) else set()


def view_of(frame: pd.DataFrame, cov: pd.DataFrame) -> ServiceView:
    """The headline figures of ``frame`` (from ``conversations``), knowing what the data records (``cov``)."""
    answered = int(frame["answered"].sum()) if len(frame) else 0
    resolution_known = bool(cov.loc[cov["meaning"] == "resolves", "n"].sum() > 0) if len(cov) else False
    out = cov[cov["direction"] == "outbound"] if len(cov) else cov
    return ServiceView(
        conversations=len(frame), answered=answered, unanswered=len(frame) - answered,
        resolved=int(frame["resolved"].sum()) if len(frame) else 0,
        first_response=timing(frame["first_response_min"] if len(frame) else []),
        resolution=timing(frame["resolution_min"] if len(frame) else []),
        brand_messages=int(frame["outbound_n"].sum()) if len(frame) else 0,
        handoffs=int(frame["handoffs_n"].sum()) if len(frame) else 0,
        resolution_known=resolution_known,
        handoff_known=bool(cov.loc[cov["meaning"] == "handoff_private", "n"].sum() > 0) if len(cov) else False,
        accounts_recorded=bool(out["with_account"].sum() > 0) if len(out) else False,
        private_channels=bool(cov["private"].sum() > 0) if len(cov) else False,
        frame=frame)


def service_view(db: sqlite_utils.Database, f: Filters) -> ServiceView:
    """Service timing under the filters (the conversation's start date, segment and region): the rows of
    every conversation (``all_conversations``, prepared once per data version) that the filters keep."""
    every = all_conversations(db)
    mask = continuum.thread_mask(continuum.ServiceBase(None, None, every["keys"]), f)
    frame = every["frame"][mask].reset_index(drop=True) if not mask.all() else every["frame"]
    return view_of(frame, coverage(db))


# Where every conversation's row is kept in the database ("frame": FRAME_COLUMNS; "keys": what the
# filters read, the thread's start in epoch seconds and the customer's segment and region as recorded).
CONVERSATIONS_MEMO_KEY = "service.conversations"
_KEY_COLUMNS = ["start", "segment", "region"]


def all_conversations(db: sqlite_utils.Database) -> dict[str, pd.DataFrame]:
    """Every conversation of the database as ``conversations`` gives it, with the filters' keys beside it,
    once per data version (channel labels and publicness are settings): kept in this process and in the
    database, so a filter change only masks rows. Building the rows costs 2 s of CPU at 550,000
    conversations (10M interactions), the mask milliseconds; the cold render reads the kept copy instead
    of the threads (and their touches and moves, which this page does not need)."""
    def build() -> pd.DataFrame:
        th = _threads(db)
        opened = th[th["opened_inbound"].astype(bool)] if len(th) else th
        frame = conversations(opened, continuum.vocabulary(db))
        keys = (opened[_KEY_COLUMNS].reset_index(drop=True) if len(opened)
                else pd.DataFrame({c: pd.Series(dtype=float if c == "start" else object) for c in _KEY_COLUMNS}))
        return pd.concat([frame, keys.add_prefix("key_")], axis=1)

    def load() -> dict[str, pd.DataFrame]:
        kept = aggregates.memo(db, CONVERSATIONS_MEMO_KEY, build, settings=True)
        keys = kept[[f"key_{c}" for c in _KEY_COLUMNS]]
        keys.columns = _KEY_COLUMNS
        return {"frame": kept[FRAME_COLUMNS], "keys": keys}
    return memo.kept(db, "service_conversations", load, settings=True)


def _threads(db: sqlite_utils.Database) -> pd.DataFrame:
    """The conversations' threads: from Continuum's copy in this process when it is there, else only the
    threads' part of the copy kept in the database (the touches and moves are ten times its rows)."""
    base = memo.peek(db, "service_base")
    if base is None and store.database_file(db):
        threads = aggregates.load(db, f"{continuum.SERVICE_MEMO_KEY}.threads", store.rows_version(db))
        if threads is not None:
            return threads
    return (base or continuum.service_base(db)).threads


def coverage(db: sqlite_utils.Database):
    """What the data records (``analysis.store.service.coverage``), once per data version: a scan of every
    interaction (0.3 s at 100,000, 12 s at 10M) that no filter changes, kept in the database (prepared
    after a build or an import) and in this process."""
    return memo.kept(db, "service_coverage",
                     lambda: aggregates.memo(db, "service.coverage", lambda: q.coverage(db), settings=True),
                     settings=True)


def unanswered(frame: pd.DataFrame, limit: int = 200) -> pd.DataFrame:
    """Conversations nobody answered, oldest first (the longest wait): thread_id, customer_id, started,
    channel, start_side, segment."""
    cols = ["thread_id", "customer_id", "started", "channel", "start_side", "segment"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    out = frame.loc[~frame["answered"], cols].sort_values(["started", "thread_id"], kind="stable")
    return out.head(limit).reset_index(drop=True)


def monthly(frame: pd.DataFrame) -> pd.DataFrame:
    """Per month the conversation started: conversations, unanswered share, first-response and
    resolution median and p90 (minutes)."""
    return breakdown(frame, "month").rename(columns={"group": "month"})


def format_minutes(minutes) -> str:
    """A duration for people: '45 s', '12 min', '3.5 h', '2.1 days'; '–' when unknown."""
    if minutes is None or not np.isfinite(minutes):
        return "–"
    m = float(minutes)
    if m < 1:
        return f"{m * 60:.0f} s"
    if m < 60:
        return f"{m:.0f} min"
    if m < 48 * 60:
        return f"{m / 60:.1f} h"
    return f"{m / 1440:.1f} days"


def queue_test(frame: pd.DataFrame) -> float | None:
    """Two-sided Mann–Whitney U test of first response, conversations started in public against those
    started in private (exact for small samples without ties, scipy's choice otherwise): its p-value, or
    None when a side has no answered conversation. It asks whether one side tends to be answered sooner,
    not whether the medians differ."""
    from scipy.stats import mannwhitneyu

    if frame.empty:
        return None
    answered = frame[frame["answered"]]
    pub = answered.loc[answered["start_side"] == "public", "first_response_min"].to_numpy(dtype=float)
    priv = answered.loc[answered["start_side"] == "private", "first_response_min"].to_numpy(dtype=float)
    if not len(pub) or not len(priv):
        return None
    return float(mannwhitneyu(pub, priv, alternative="two-sided").pvalue)


def queue_answer(frame: pd.DataFrame) -> str | None:
    """One sentence on whether conversations started in public got a faster first response than those
    started in private (medians), or None when one side has no answered conversation."""
    b = breakdown(frame, "start_side").set_index("group") if len(frame) else None
    if b is None or not {SIDES["public"], SIDES["private"]} <= set(b.index):
        return None
    pub, priv = b.loc[SIDES["public"]], b.loc[SIDES["private"]]
    if not (np.isfinite(pub["first_response_median"]) and np.isfinite(priv["first_response_median"])):
        return None
    faster = pub["first_response_median"] < priv["first_response_median"]
    p = queue_test(frame)
    verdict = ("going public was answered faster" if faster else "going public did not jump the queue")
    if p is not None:
        verdict += (f" (Mann–Whitney two-sided p = {p:.2g}: " +
                    ("unlikely to be chance alone)." if p < 0.05 else "could be chance).")
                    )
    else:
        verdict += "."
    return (f"Conversations started in public got a first response in a median "
            f"{format_minutes(pub['first_response_median'])} (p90 {format_minutes(pub['first_response_p90'])}, "
            f"{int(pub['answered']):,} answered of {int(pub['conversations']):,}), against "
            f"{format_minutes(priv['first_response_median'])} (p90 {format_minutes(priv['first_response_p90'])}, "
            f"{int(priv['answered']):,} of {int(priv['conversations']):,}) for those started in private: "
            + verdict)


def summary(db: sqlite_utils.Database, f: Filters, params: dict):
    """Key numbers and the first-response chart of a saved Service timing view (scenario comparisons,
    deck reports)."""
    from analysis import summaries
    from analysis.charts import service as charts

    v = service_view(db, f)
    measure = _choice(params.get("service_measure"), MEASURES) or "first_response"
    by = _choice(params.get("service_compare"), DIMENSIONS)
    s = summaries.Summary(
        metrics={"Conversations started by customers": v.conversations, "Unanswered share": v.unanswered_share,
                 "First response median (min)": v.first_response.median,
                 "First response p90 (min)": v.first_response.p90,
                 "Resolution median (min)": v.resolution.median if v.resolution_known else float("nan"),
                 "Replies moving to private": v.handoff_share if v.handoff_known else float("nan")},
        formats={"Unanswered share": ".0%", "Replies moving to private": ".0%",
                 "First response median (min)": ",.1f", "First response p90 (min)": ",.1f",
                 "Resolution median (min)": ",.1f"})
    s.figures.append(charts.duration_ecdf(ecdf(v.frame, measure, by), MEASURES[measure], f.caption()))
    return s


def _choice(value, options: dict[str, str]) -> str | None:
    """A view control's key from its URL value, which is the key or (for bound selectboxes) its label."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value in options:
        return value
    return next((k for k, label in options.items() if label == value), None)
