"""Customer 360: one customer's interactions and public posts on one timeline, threads, and signals to act on.

Definitions (stated on the page):
- a *service thread* is a thread whose first touch is inbound and of a kind that means ``opens``
  (the kinds vocabulary, ``analysis.store.kinds``: the demo's complaint and inquiry, for instance);
- it is *resolved* from its first touch of a kind that means ``resolves``, *open* while it has none;
- an open thread is *waiting on us* when its last touch is inbound (the customer spoke last);
- an item is *public* when its channel's publicness is at least ``PUBLIC_THRESHOLD`` (0.5);
  posts are public, placed at the publicness of the 'post' channel, and marked with their platform;
- the customer *went public* when a public item from them (a post or reply, not a reshare, or an
  inbound touch on a public channel) falls inside a service thread's open time (after it opened,
  up to its resolution);
- durations run to ``as_of``, the latest timestamp in the data, not to today's date, so an old
  dataset reads as it did when it was exported.

Signals are small rules over a ``CustomerView``; their reasons are built from our own words,
numbers and dates only (never from imported text), so a page may show them as Markdown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import sentiment
from analysis.store import PUBLIC_THRESHOLD
from analysis.store import customer_360 as q
from analysis.store import kinds as kinds_store

ITEM_COLUMNS = ["when", "source", "item_id", "channel", "place", "publicness", "public", "direction", "kind",
                "meaning", "thread_id", "text", "amount", "sentiment", "sentiment_source", "label", "platform",
                "reshare", "went_public"]


# -- finding a customer ------------------------------------------------------------------------------

def find(db: sqlite_utils.Database, query: str, limit: int = 20) -> pd.DataFrame:
    """Candidates for a search box: one row per customer, best match first."""
    rows = q.find(db, query, limit)
    return rows.drop_duplicates("customer_id").head(limit).reset_index(drop=True)


def resolve(db: sqlite_utils.Database, query: str | None) -> tuple[str | None, pd.DataFrame]:
    """The customer a search names exactly (id, email or handle), if any, and the candidates.

    An id is looked up by key first (instant); otherwise exactly one exact match on email or
    handle opens that customer; anything else leaves the choice to the person.
    """
    text = (query or "").strip()
    if not text:
        return None, find(db, "")
    for cid in dict.fromkeys([text, text.upper()]):
        if q.customer(db, cid) is not None:
            return cid, pd.DataFrame()
    cands = find(db, text)
    exact = cands[cands["rank"] <= 1]
    if exact["customer_id"].nunique() == 1:
        return str(exact["customer_id"].iloc[0]), cands
    return None, cands


def recent_public_complaints(db: sqlite_utils.Database, limit: int = 8) -> pd.DataFrame:
    return q.recent_public_complaints(db, limit)


# -- the timeline ----------------------------------------------------------------------------------------

def default_meanings() -> dict[str, str]:
    """The shipped kinds vocabulary (kind -> meaning), for rows loaded without a database."""
    return {k["kind"]: k["meaning"] for k in kinds_store.DEFAULT_KINDS}


def build_items(interactions: pd.DataFrame, posts: pd.DataFrame, post_publicness: float = 1.0,
                public_threshold: float = PUBLIC_THRESHOLD, meanings: dict[str, str] | None = None) -> pd.DataFrame:
    """Interactions and posts as one timeline (oldest first), before threads are analysed.

    ``meanings`` maps kinds to their meaning (the database's vocabulary; the shipped one when None);
    posts and unknown kinds mean 'other'.

    Interaction texts have no stored score: they are scored with VADER here, each distinct
    text once. Posts keep their stored score (a person's correction when there is one).
    """
    parts = []
    if len(interactions):
        i = interactions
        scores, _ = sentiment.score_texts(i["text"].tolist())
        label = i["channel_label"].where(i["channel_label"].notna(), i["channel"])
        publicness = pd.to_numeric(i["publicness"], errors="coerce")
        parts.append(pd.DataFrame({
            "when": pd.to_datetime(i["occurred_at"]), "source": "interaction", "item_id": i["interaction_id"],
            "channel": i["channel"], "place": label, "publicness": publicness,
            "direction": i["direction"], "kind": i["kind"],
            "meaning": kinds_store.meaning_of(i["kind"], meanings or default_meanings()).to_numpy(),
            "thread_id": i["thread_id"], "text": i["text"],
            "amount": pd.to_numeric(i["amount"], errors="coerce"),
            "sentiment": pd.Series(scores, index=i.index, dtype=float),
            "sentiment_source": np.where(pd.Series(scores, index=i.index).notna(), "scored now", None),
            "platform": None, "reshare": False,
        }))
    if len(posts):
        p = posts
        reshare = p["reshare_of"].notna() | p["text"].fillna("").str.startswith("RT ")
        kind = np.where(reshare, "reshare", np.where(p["reply_to"].notna(), "reply", "post"))
        corrected = p["sentiment_corrected"].fillna(0).astype(int) == 1
        parts.append(pd.DataFrame({
            "when": pd.to_datetime(p["created_at"]), "source": "post", "item_id": p["post_id"], "channel": "post",
            "place": "Post on " + p["platform"].astype(str), "publicness": float(post_publicness),
            "direction": "inbound", "kind": kind, "meaning": kinds_store.DEFAULT_MEANING, "thread_id": None,
            "text": p["text"], "amount": np.nan,
            "sentiment": pd.to_numeric(p["sentiment"], errors="coerce"),
            "sentiment_source": np.where(corrected, "corrected by a person",
                                         np.where(p["sentiment"].notna(), "stored", None)),
            "platform": p["platform"], "reshare": reshare.to_numpy(),
        }))
    if not parts:
        # A customer with no interactions or posts yet (just imported): typed columns, so that
        # date arithmetic and formatting on the empty timeline work as on a full one.
        empty = pd.DataFrame(columns=ITEM_COLUMNS).astype(object)
        return empty.astype({"when": "datetime64[ns]", "publicness": float, "amount": float, "sentiment": float,
                             "public": bool, "reshare": bool, "went_public": bool})
    items = pd.concat(parts, ignore_index=True)
    items["public"] = items["publicness"].fillna(0) >= public_threshold
    items["label"] = sentiment.labels(items["sentiment"])
    items["went_public"] = False
    return items.sort_values(["when", "source", "item_id"], kind="stable").reset_index(drop=True)[ITEM_COLUMNS]


def threads(items: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """Service threads of the customer: when they opened, how, their status and timing."""
    cols = ["thread_id", "opened", "kind", "first_channel", "path", "touches", "last_touch", "last_direction",
            "resolved_at", "status", "waiting_on_us", "days", "went_public"]
    inter = items[(items["source"] == "interaction") & items["thread_id"].notna()]
    if inter.empty:
        return pd.DataFrame(columns=cols)
    inter = inter.sort_values(["when", "item_id"], kind="stable")
    g = inter.groupby("thread_id", sort=False)
    first = g.head(1).set_index("thread_id")
    last = g.tail(1).set_index("thread_id")
    out = pd.DataFrame({"opened": first["when"], "kind": first["kind"], "first_channel": first["place"],
                        "first_direction": first["direction"], "first_meaning": first["meaning"]})
    out["path"] = g["place"].agg(lambda s: " → ".join(dict.fromkeys(s)))
    out["touches"] = g.size()
    out["last_touch"] = last["when"]
    out["last_direction"] = last["direction"]
    out["resolved_at"] = inter[inter["meaning"] == "resolves"].groupby("thread_id")["when"].min()
    out = out[(out["first_meaning"] == "opens") & (out["first_direction"] == "inbound")].drop(
        columns=["first_direction", "first_meaning"])
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["status"] = np.where(out["resolved_at"].notna(), "resolved", "open")
    out["waiting_on_us"] = (out["status"] == "open") & (out["last_direction"] == "inbound")
    end = out["resolved_at"].where(out["resolved_at"].notna(), as_of if as_of is not None else out["last_touch"])
    out["days"] = (pd.to_datetime(end) - out["opened"]).dt.total_seconds() / 86400
    out["went_public"] = False
    return out.reset_index().rename(columns={"index": "thread_id"}).sort_values("opened").reset_index(drop=True)[cols]


def mark_went_public(items: pd.DataFrame, th: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flag public items from the customer that fall inside a service thread's open time."""
    items = items.copy()
    th = th.copy()
    if items.empty or th.empty:
        return items, th
    from_customer = (items["direction"] == "inbound") & items["public"] & ~items["reshare"].astype(bool)
    cand = items[from_customer]
    if cand.empty:
        return items, th
    t_when = cand["when"].to_numpy()[:, None]
    opened = th["opened"].to_numpy()[None, :]
    # An unresolved thread is open past every item.
    later = cand["when"].max() + pd.Timedelta(days=1)
    closed = th["resolved_at"].where(th["resolved_at"].notna(), later).to_numpy()[None, :]
    inside = (t_when > opened) & (t_when <= closed)
    items.loc[cand.index, "went_public"] = inside.any(axis=1)
    th["went_public"] = inside.any(axis=0)
    return items, th


# -- signals ------------------------------------------------------------------------------------------------

@dataclass
class Signal:
    rule: str
    title: str
    reason: str
    action: str
    priority: int  # 1: act today, 2: this week, 3: when convenient
    when: pd.Timestamp | None = None


@dataclass
class CustomerView:
    customer: dict
    accounts: pd.DataFrame
    items: pd.DataFrame
    threads: pd.DataFrame
    as_of: pd.Timestamp | None
    higher_value_share: float  # share of customers with a higher lifetime value
    signals: list[Signal] = field(default_factory=list)

    @property
    def open_threads(self) -> pd.DataFrame:
        return self.threads[self.threads["status"] == "open"]

    @property
    def last_contact(self) -> pd.Timestamp | None:
        return last_contact(self.items)

    @property
    def went_public(self) -> pd.DataFrame:
        return self.items[self.items["went_public"]]


def last_contact(items: pd.DataFrame) -> pd.Timestamp | None:
    """The latest interaction in either direction, broadcast marketing left out."""
    touch = items[(items["source"] == "interaction") & (items["kind"] != "marketing")]
    return None if touch.empty else touch["when"].max()


def _day(ts) -> str:
    return f"{pd.Timestamp(ts):%d %b %Y}"


def _days(delta: pd.Timedelta) -> int:
    return int(delta.total_seconds() // 86400)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# Thresholds of the rules: named so the page can state them.
WAITING_DAYS = 2
STALE_DAYS = 60  # an unanswered thread older than this is more likely abandoned than pressing
RECENT_DAYS = 14  # a public complaint this recent makes reaching out urgent
QUIET_DAYS = 90
TOP_VALUE_SHARE = 0.2
KUDOS_DAYS = 30
KUDOS_SCORE = 0.5
REVIEW_AFTER_PURCHASE_DAYS = 30
REVIEW_RECENT_DAYS = 90


def _thread_noun(kind) -> str:
    """A thread named by the kind that opened it ('Complaint', 'Inquiry') when that kind is one of the
    shipped vocabulary's (our own words: reasons never carry imported text), else 'Service thread'."""
    return _SHIPPED_LABELS.get(kind, "Service thread")


_SHIPPED_LABELS = {k["kind"]: k["label"] for k in kinds_store.DEFAULT_KINDS}


def rule_complaint_gone_public(v: CustomerView) -> list[Signal]:
    """An open service thread, and since it opened a negative public post or a conversation opened in public."""
    open_c = v.open_threads
    if open_c.empty or v.as_of is None:
        return []
    it = v.items
    negative_public = it[(it["direction"] == "inbound") & it["public"] & ~it["reshare"].astype(bool)
                         & ((it["sentiment"] <= sentiment.NEGATIVE) | (it["meaning"] == "opens"))]
    hits = []
    for t in open_c.itertuples():
        after = negative_public[negative_public["when"] > t.opened]
        if len(after):
            hits.append((t, after.sort_values("when").iloc[-1]))
    if not hits:
        return []
    t, item = max(hits, key=lambda h: h[1]["when"])
    when = item["when"]
    what = ("review" if item["channel"] == "review" else "public post" if item["source"] == "post"
            else "public complaint" if item["meaning"] == "opens" else "public message")
    more = f" ({_plural(len(hits) - 1, 'other open thread')} too)" if len(hits) > 1 else ""
    recent = _days(v.as_of - when) <= RECENT_DAYS
    opened = f"{_thread_noun(t.kind)} open {_plural(_days(v.as_of - t.opened), 'day')} (since {_day(t.opened)})"
    return [Signal("complaint_gone_public", "Reach out privately",
                   f"{opened} and a "
                   f"negative {what} on {_day(when)}{more}.",
                   "Contact them privately (DM or phone), own the problem and resolve it; then answer the "
                   "public post so others see it handled.", 1 if recent else 2, when)]


def rule_waiting_on_us(v: CustomerView) -> list[Signal]:
    """An open thread whose last touch is the customer's, unanswered for days."""
    waiting = v.threads[v.threads["waiting_on_us"]] if len(v.threads) else v.threads
    if waiting.empty or v.as_of is None:
        return []
    oldest = waiting.sort_values("last_touch").iloc[0]
    days = _days(v.as_of - oldest["last_touch"])
    if days < WAITING_DAYS:
        return []
    more = f" ({_plural(len(waiting) - 1, 'other thread')} also waiting)" if len(waiting) > 1 else ""
    reason = (f"Their last message, on {_day(oldest['last_touch'])}, has waited {_plural(days, 'day')} "
              f"for an answer{more}.")
    if days > STALE_DAYS:
        return [Signal("waiting_on_us", "Close the loop", reason,
                       "Check whether it still matters to them; answer it or close it with a note.", 2,
                       oldest["last_touch"])]
    return [Signal("waiting_on_us", "Answer them", reason,
                   "Reply today, on the channel they used, with a named person and a date.", 1,
                   oldest["last_touch"])]


def rule_high_value_quiet(v: CustomerView) -> list[Signal]:
    """High lifetime value (top fifth) and no personal contact for months."""
    value = v.customer.get("lifetime_value")
    if value is None or pd.isna(value) or value <= 0 or v.as_of is None:
        return []
    if not v.higher_value_share <= TOP_VALUE_SHARE:
        return []
    last = v.last_contact
    if last is not None and _days(v.as_of - last) < QUIET_DAYS:
        return []
    since = f"no contact for {_plural(_days(v.as_of - last), 'day')} (last on {_day(last)})" if last is not None \
        else "no contact on record"
    top = max(v.higher_value_share, 0.001)
    return [Signal("high_value_quiet", "Get back in touch",
                   f"Lifetime value {value:,.2f} (top {top:.0%} of customers) and {since}.",
                   "Get in touch personally: a call from their account manager or a tailored offer, not a "
                   "newsletter.", 2, last)]


def rule_kudos(v: CustomerView) -> list[Signal]:
    """Recent public praise: a kudos touch or a clearly positive post."""
    if v.as_of is None:
        return []
    it = v.items
    since = v.as_of - pd.Timedelta(days=KUDOS_DAYS)
    praise = it[(it["when"] >= since) & (it["direction"] == "inbound") & it["public"] & ~it["reshare"].astype(bool)
                & ((it["kind"] == "kudos") | (it["sentiment"] >= KUDOS_SCORE))]
    if praise.empty:
        return []
    last = praise.sort_values("when").iloc[-1]
    score = f" (score {last['sentiment']:+.2f})" if pd.notna(last["sentiment"]) else ""
    return [Signal("kudos", "Thank them publicly",
                   f"Public praise on {_day(last['when'])}{score}; "
                   f"{_plural(len(praise), 'positive public item')} in the last {KUDOS_DAYS} days.",
                   "Thank them in public where they posted, and ask whether they would share a review.", 2,
                   last["when"])]


def rule_negative_review_after_purchase(v: CustomerView) -> list[Signal]:
    """A negative review or post within a month of a purchase, in the last three months."""
    if v.as_of is None:
        return []
    it = v.items
    buys = it[(it["source"] == "interaction") & (it["meaning"] == "purchase")]
    reviews = it[(it["direction"] == "inbound") & ~it["reshare"].astype(bool) & (it["sentiment"] <= sentiment.NEGATIVE)
                 & ((it["kind"] == "review") | (it["channel"] == "review") | (it["source"] == "post"))
                 & (it["when"] >= v.as_of - pd.Timedelta(days=REVIEW_RECENT_DAYS))]
    if buys.empty or reviews.empty:
        return []
    found = []
    for r in reviews.itertuples():
        window = r.when - pd.Timedelta(days=REVIEW_AFTER_PURCHASE_DAYS)
        before = buys[(buys["when"] <= r.when) & (buys["when"] >= window)]
        if len(before):
            found.append((r, before.iloc[-1]))
    if not found:
        return []
    r, buy = found[-1]
    what = "review" if (r.kind == "review" or r.channel == "review") else "public post"
    amount = f" of {buy['amount']:,.2f}" if pd.notna(buy["amount"]) else ""
    return [Signal("negative_review_after_purchase", "Help with the order",
                   f"Negative {what} on {_day(r.when)} (score {r.sentiment:+.2f}), "
                   f"{_plural(_days(r.when - buy['when']), 'day')} after a purchase{amount} on {_day(buy['when'])}.",
                   "Offer help with that order (replacement, refund or a call) and reply to the review once "
                   "it is sorted.", 1, r.when)]


RULES: list[Callable[[CustomerView], list[Signal]]] = [
    rule_complaint_gone_public, rule_waiting_on_us, rule_negative_review_after_purchase, rule_high_value_quiet,
    rule_kudos,
]


def timeline_rows(v: CustomerView, grouped: bool) -> pd.DataFrame:
    """The timeline's rows, newest first, with ``service_thread`` (the thread when it is a service
    thread). ``grouped``: each service thread's touches together in time order, newest-opened thread
    first, then everything outside a service thread, newest first."""
    service = set(v.threads["thread_id"]) if len(v.threads) else set()
    items = v.items.assign(service_thread=v.items["thread_id"].where(v.items["thread_id"].isin(service)))
    if not grouped:
        return items.sort_values("when", ascending=False)
    in_thread = items[items["service_thread"].notna()]
    in_thread = in_thread.assign(_opened=in_thread.groupby("service_thread")["when"].transform("min")).sort_values(
        ["_opened", "service_thread", "when"], ascending=[False, True, True]).drop(columns="_opened")
    return pd.concat([in_thread, items[items["service_thread"].isna()].sort_values("when", ascending=False)])


def signals(v: CustomerView) -> list[Signal]:
    """Every rule's signals, most urgent first, then most recent."""
    out = [s for rule in RULES for s in rule(v)]
    return sorted(out, key=lambda s: (s.priority, -(pd.Timestamp(s.when).value if s.when is not None else 0)))


# -- the whole view ---------------------------------------------------------------------------------------------

def assemble(customer: dict, accounts: pd.DataFrame, interactions: pd.DataFrame, posts: pd.DataFrame,
             as_of: pd.Timestamp | None, higher_value_share: float, post_publicness: float = 1.0,
             meanings: dict[str, str] | None = None) -> CustomerView:
    """Timeline, threads, going-public moments and signals from already loaded rows."""
    items = build_items(interactions, posts, post_publicness, meanings=meanings)
    th = threads(items, as_of)
    items, th = mark_went_public(items, th)
    v = CustomerView(customer=customer, accounts=accounts, items=items, threads=th, as_of=as_of,
                     higher_value_share=higher_value_share)
    v.signals = signals(v)
    return v


def view(db: sqlite_utils.Database, customer_id: str) -> CustomerView | None:
    """Everything the Customer 360 page shows about one customer (None if unknown)."""
    c = q.customer(db, customer_id)
    if c is None:
        return None
    end = q.data_end(db)
    higher, total = q.lifetime_value_rank(db, c.get("lifetime_value"))
    return assemble(c, q.accounts(db, customer_id), q.interactions(db, customer_id), q.posts(db, customer_id),
                    pd.Timestamp(end) if end else None, higher / total if total else float("nan"),
                    q.post_publicness(db), kinds_store.meaning_map(db))
