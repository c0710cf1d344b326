"""Public-only data: going public cannot be measured there, so conversations' escalation is measured instead."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import stats, store
from analysis.continuum.conversations import ServiceBase, service_base, thread_mask
from analysis.continuum.rates import NO_RESPONSE, add_bins, rates
from analysis.continuum.vocabulary import complete_vocab, public_set, vocabulary
from analysis.filters import Filters
from analysis.store import continuum as q
from analysis.store import kinds as kinds_store

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
