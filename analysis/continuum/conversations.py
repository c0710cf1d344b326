"""Conversations: every thread's touches, moves and facts (first response, resolution, path), kept once per
rows version, and the threads under the filters and focus."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import memo, store
from analysis.continuum.selection import PATH_SEP, TRUNCATED
from analysis.filters import Filters
from analysis.store import aggregates
from analysis.store import continuum as q
from analysis.store import kinds as kinds_store

MAX_PATH_STEPS = 8

# Conversations above this count are "many": the page says that charts draw only the largest parts.
MANY_THREADS = 20_000


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
