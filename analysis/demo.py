"""A seeded, deterministic demo dataset that shows mechanisms, not painted results.

What the generator builds in, so every page finds something real to measure:
- service cases start on a channel (phone and email busiest), get a first response
  and a resolution after heavy-tailed delays; some fail;
- the slower or failed the resolution, the likelier the customer goes public with a
  negative post (logistic in log resolution time); an incident fortnight slows the
  contact centre, so vents spike then;
- public complaints are answered publicly and then taken private (DM or phone);
- fast resolutions sometimes end in public kudos;
- follower counts are heavy-tailed; reshare cascades spread over the follower graph
  (an independent cascade per post), so most are tiny and a few are large;
- only part of the social accounts are linked to customers (``identities``);
- a consumer and a business motive survey (synthetic, anchored on the IBM 2010
  shares where known) with consumers linked to customers.
Everything is vectorised over numpy arrays; a Python loop runs only over
generations of a cascade, motives, or the few template lists.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import ingest, store
from analysis.store import leftovers

SCALES = {
    "small": dict(customers=600, interactions=12_000, posts=6_000, follows=25_000),
    "default": dict(customers=5_000, interactions=100_000, posts=50_000, follows=250_000),
    "large": dict(customers=50_000, interactions=1_000_000, posts=1_000_000, follows=5_000_000),
}
# Scales built as several independent communities of this size (customers, handles, ids never
# shared), one at a time, so memory stays that of one part: ``huge`` is ten parts of 50k customers
# and 1M interactions each, about 10M interactions and 10M posts (the post count varies with the seed).
PARTS = {
    "huge": (10, dict(customers=50_000, interactions=1_000_000, posts=700_000, follows=2_500_000)),
}

END = dt.datetime(2026, 11, 20)
DAYS = 540
START = END - dt.timedelta(days=DAYS)
INCIDENT_DAY = 400  # days after START: a fortnight when the contact centre falls behind
INCIDENT_DAYS = 14

SEGMENTS = np.array(["Value", "Mainstream", "Premium", "Business"])
SEGMENT_P = [0.35, 0.35, 0.2, 0.1]
REGIONS = np.array(["North America", "Europe", "Asia-Pacific", "Latin America"])
REGION_P = [0.4, 0.3, 0.2, 0.1]
PLATFORMS = np.array(["x", "instagram", "facebook"])
PLATFORM_P = [0.5, 0.3, 0.2]
BRAND = "acme"
# The brand account or team that answers on each channel (interactions.account).
SERVICE_ACCOUNTS = {"post": BRAND, "public_reply": BRAND, "forum": BRAND, "dm": BRAND, "review": BRAND,
                    "phone": "contact centre", "chat": "contact centre", "email": "email team",
                    "store": "store staff", "web": "contact centre", "sms": "contact centre",
                    "kiosk": "store staff"}

FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Farah", "Gus", "Hana", "Ivan", "Jia", "Kofi", "Lena",
         "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Vik", "Wen", "Yara",
         "Zoe", "Leo", "Mia", "Noah", "Ava", "Luca", "Ines", "Raj", "Sofia", "Tom", "Aiko", "Bruno"]
LAST = ["Silva", "Smith", "Okafor", "Kumar", "Yilmaz", "Haddad", "Berg", "Sato", "Petrov", "Chen",
        "Mensah", "Novak", "Garcia", "Kelly", "Rahman", "Patel", "Murphy", "Rossi", "Lee", "Nasser",
        "Iyer", "Moreau", "Wang", "Costa", "Fischer", "Dubois", "Khan", "Lopez", "Brown", "Tanaka"]
ISSUES = np.array(["refund", "delivery", "billing error", "broken item", "account access",
                   "warranty claim", "missing parcel", "double charge"])
PRODUCTS = ["the X200 headphones", "the new app update", "the loyalty card", "the summer range",
            "next-day delivery", "the Main St store", "the checkout", "the Acme smart kettle",
            "the winter boots", "the gift cards"]
POS_VERDICT = ["is brilliant", "works great", "made my day", "is worth every penny", "is so good",
               "exceeded my expectations", "is my new favourite"]
NEG_VERDICT = ["keeps crashing", "is a letdown", "broke after a week", "is overpriced junk",
               "is so disappointing", "stopped working"]
NEU_VERDICT = ["arrived today", "is out now", "anyone tried it?", "is on my list", "got announced",
               "is in stores next week"]
TAGS = ["#acme", "#newlaunch", "#weekend", "#shopping", "#tech", "#deals", "", "", ""]
ANGRY = ["Absolutely useless.", "Worst service ever.", "Nobody answers the phone.", "So frustrated.",
         "Never again.", "This is a joke.", "Still no reply, terrible."]
HAPPY = ["Great service!", "Really impressed.", "Thank you so much!", "Brilliant team.",
         "Made my week.", "Loyal customer for life."]
OFFERS = ["20% off", "Free delivery", "Two for one", "Members-only early access", "New colours",
          "Flash sale", "Win a year of free coffee"]
CALLS = ["Shop now.", "Today only.", "Link in bio.", "Tell us what you think!"]
OPENERS = ["Honestly,", "Update:", "So", "PSA:", "Just saying,", "Wow,", ""]
VENT_TAGS = ["#fail", "#customerservice", ""]
BRAND_REPLY = "We are sorry to hear this. Please check your DMs so we can help."
REPLIES = ["Same here!", "Totally agree", "Not my experience", "Ha, true", "Thanks for sharing", "Ugh, same problem",
           "Love this"]
REPLY_ENDS = ["", "!", " :)", " :(", "..."]
# What each reply means when it is clear on its own ("Same here!" depends on the post it answers).
REPLY_MEANT = {"Thanks for sharing": "positive", "Ugh, same problem": "negative", "Love this": "positive"}


@dataclass
class DemoReport:
    path: Path
    scale: str
    seed: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    distinct_texts: int = 0

    def summary(self) -> str:
        rows = ", ".join(ingest.rows_in_words(k, v) for k, v in self.counts.items())
        return (f"Demo database {self.path} (scale {self.scale}, seed {self.seed}) built in "
                f"{self.seconds:.1f} s: {rows}.")


def _sizes(scale: str | int) -> dict[str, int]:
    if isinstance(scale, str) and scale in SCALES:
        return dict(SCALES[scale])
    if isinstance(scale, str) and scale in PARTS:
        parts, size = PARTS[scale]
        return {k: v * parts for k, v in size.items()}
    try:
        n = int(scale)
    except (TypeError, ValueError):
        raise ValueError(f"scale must be small, default, large, huge or a number of customers, not {scale!r}") from None
    if n < 50:
        raise ValueError("a numeric scale needs at least 50 customers")
    return dict(customers=n, interactions=20 * n, posts=10 * n, follows=50 * n)


def _ts(days: np.ndarray) -> np.ndarray:
    """Fractional days since START to ISO timestamps (vectorised)."""
    base = np.datetime64(START.replace(microsecond=0), "s")
    secs = np.round(np.asarray(days, dtype=float) * 86400).astype("int64")
    iso = np.datetime_as_string(base + secs.astype("timedelta64[s]"), unit="s")
    return np.char.replace(iso, "T", " ").astype(object)


def _pick(rng, options, n, p=None) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=p)]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _concat(*parts) -> np.ndarray:
    """Element-wise string concatenation of arrays and scalars."""
    out = None
    for part in parts:
        arr = np.asarray(part, dtype=object)
        out = arr if out is None else out + arr
    return out


# -- people ------------------------------------------------------------------------

def make_customers(rng, n: int) -> pd.DataFrame:
    first = _pick(rng, FIRST, n)
    last = _pick(rng, LAST, n)
    ids = np.array([f"C{i:06d}" for i in range(1, n + 1)], dtype=object)
    seg = SEGMENTS[rng.choice(4, size=n, p=SEGMENT_P)]
    num = rng.integers(1, 999, size=n).astype(str).astype(object)
    email = _concat(np.char.lower(first.astype(str)).astype(object), ".",
                    np.char.lower(last.astype(str)).astype(object), num, "@example.com")
    joined = rng.uniform(-5 * 365, DAYS - 30, size=n)
    return pd.DataFrame({
        "customer_id": ids, "name": _concat(first, " ", last), "email": email, "segment": seg,
        "region": REGIONS[rng.choice(4, size=n, p=REGION_P)],
        "joined_at": _ts(joined), "lifetime_value": 0.0,
        "_joined_day": joined,
    })


def make_accounts(rng, customers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Social accounts: some customers have one (of those, most are linked), plus the public."""
    n = len(customers)
    has = rng.random(n) < 0.65
    owners = customers.loc[has, "customer_id"].to_numpy()
    public = int(n * 1.1)
    total = len(owners) + public
    platform = PLATFORMS[rng.choice(3, size=total, p=PLATFORM_P)]
    stems = _pick(rng, ["sun", "pixel", "blue", "wild", "happy", "urban", "nova", "echo", "maple",
                        "river", "lucky", "metro", "coffee", "retro", "quiet"], total)
    tails = _pick(rng, ["fox", "cat", "rider", "maker", "fan", "cook", "owl", "dev", "kid", "nomad"], total)
    handle = _concat(stems, "_", tails, np.arange(total).astype(str).astype(object))
    accounts = pd.DataFrame({
        "handle": handle, "platform": platform,
        "customer_id": np.concatenate([owners, np.full(public, None, dtype=object)]),
    })
    # Heavy-tailed popularity (Pareto) decides who gets followed; activity who posts.
    accounts["popularity"] = rng.pareto(1.3, size=total) + 1.0
    accounts["activity"] = rng.lognormal(0.0, 1.0, size=total)
    linked = accounts["customer_id"].notna() & (rng.random(total) < 0.7)
    identities = accounts.loc[linked, ["customer_id", "platform", "handle"]].reset_index(drop=True)
    brand = pd.DataFrame({"handle": BRAND, "platform": PLATFORMS, "customer_id": None,
                          "popularity": 400.0, "activity": 1.0})
    accounts = pd.concat([accounts, brand], ignore_index=True)
    return accounts, identities


def make_follows(rng, accounts: pd.DataFrame, target: int) -> pd.DataFrame:
    """Each account follows others on its platform, chosen by popularity (heavy-tailed in-degree)."""
    frames = []
    per_account = target / max(len(accounts), 1)
    for plat in PLATFORMS:
        idx = np.flatnonzero(accounts["platform"].to_numpy() == plat)
        if len(idx) < 2:
            continue
        outdeg = np.maximum(1, rng.lognormal(np.log(per_account) - 0.5, 1.0, size=len(idx)).astype(int))
        weights = accounts["popularity"].to_numpy()[idx]
        src = np.repeat(idx, outdeg)
        dst = idx[rng.choice(len(idx), size=len(src), p=weights / weights.sum())]
        keep = src != dst
        pairs = np.unique(np.stack([src[keep], dst[keep]], axis=1), axis=0)
        frames.append(pd.DataFrame({"platform": plat, "follower": pairs[:, 0], "followee": pairs[:, 1]}))
    edges = pd.concat(frames, ignore_index=True)
    handles = accounts["handle"].to_numpy()
    edges["follower_handle"] = handles[edges["follower"].to_numpy()]
    edges["followee_handle"] = handles[edges["followee"].to_numpy()]
    return edges


# -- CRM -------------------------------------------------------------------------

def make_cases(rng, customers: pd.DataFrame, n_cases: int) -> pd.DataFrame:
    """Service cases with their timing and outcome; the mechanism behind going public."""
    n = len(customers)
    seg_idx = customers["segment"].map({s: i for i, s in enumerate(SEGMENTS)}).to_numpy()
    # Value customers contact more; Premium and Business get faster service.
    contact_w = np.array([1.3, 1.0, 0.8, 1.1])[seg_idx]
    who = rng.choice(n, size=n_cases, p=contact_w / contact_w.sum())
    start = rng.uniform(0, DAYS - 2, size=n_cases)
    channels = np.array(["phone", "email", "chat", "dm", "store", "public_reply", "forum"], dtype=object)
    ch = rng.choice(len(channels), size=n_cases, p=[0.34, 0.30, 0.14, 0.08, 0.07, 0.04, 0.03])
    median_frt = np.array([0.15, 18.0, 0.1, 3.0, 0.05, 5.0, 30.0])  # hours
    frt = median_frt[ch] * rng.lognormal(0, 0.9, size=n_cases)
    speed = np.array([1.15, 1.0, 0.7, 0.6])[seg_idx[who]]
    incident = (start >= INCIDENT_DAY) & (start < INCIDENT_DAY + INCIDENT_DAYS)
    res = 30.0 * speed * rng.lognormal(0, 1.1, size=n_cases) * np.where(incident, 3.0, 1.0) + frt
    failed = rng.random(n_cases) < np.where(incident, 0.25, 0.1)
    kind = np.where(rng.random(n_cases) < 0.55, "complaint", "inquiry")
    seg_public = np.array([0.2, 0.0, -0.1, -0.4])[seg_idx[who]]
    logit = (-3.0 + 0.9 * np.log(res / 24.0) + 1.8 * failed + 0.5 * (frt > 24)
             + 0.6 * (kind == "complaint") + seg_public)
    went_public = rng.random(n_cases) < _sigmoid(logit)
    public_start = np.isin(channels[ch], ["public_reply", "forum"])
    kudos = (~failed & ~went_public & (rng.random(n_cases) < _sigmoid(-2.2 - 0.7 * np.log(res / 24.0))))
    return pd.DataFrame({
        "case": np.arange(n_cases), "customer_idx": who, "customer_id": customers["customer_id"].to_numpy()[who],
        "start": start, "channel": channels[ch], "first_response_h": frt, "resolution_h": res,
        "failed": failed, "kind": kind, "went_public": went_public & ~public_start,
        "kudos": kudos, "issue": ISSUES[rng.integers(0, len(ISSUES), size=n_cases)],
        "public_start": public_start,
    })


def case_touches(rng, cases: pd.DataFrame) -> pd.DataFrame:
    """All interactions of the service cases, in order, thread by thread."""
    n = len(cases)
    tid = np.array([f"S{i:07d}" for i in cases["case"]], dtype=object)
    start, frt, res = cases["start"].to_numpy(), cases["first_response_h"].to_numpy() / 24, \
        cases["resolution_h"].to_numpy() / 24
    issue = cases["issue"].to_numpy(dtype=object)
    ch = cases["channel"].to_numpy(dtype=object)
    parts = []

    def add(mask, day, channel, direction, kind, text, step):
        m = np.asarray(mask, dtype=bool)
        if not m.any():
            return
        parts.append(pd.DataFrame({
            "thread_id": tid[m], "customer_id": cases["customer_id"].to_numpy()[m],
            "occurred_at_day": np.asarray(day, dtype=float)[m] if np.ndim(day) else np.full(m.sum(), day),
            "channel": np.asarray(channel, dtype=object)[m] if np.ndim(channel) else channel,
            "direction": direction, "kind": np.asarray(kind, dtype=object)[m] if np.ndim(kind) else kind,
            "text": np.asarray(text, dtype=object)[m] if np.ndim(text) else text, "step": step,
        }))

    everyone = np.ones(n, dtype=bool)
    opening = np.where(cases["kind"] == "complaint",
                       _concat("My ", issue, " is still not sorted. ",
                               _pick(rng, ["Please help.", "This is the second time.", "Not happy.",
                                           "Can someone call me?"], n)),
                       _concat("Quick question about my ", issue, "."))
    add(everyone, start, ch, "inbound", cases["kind"].to_numpy(dtype=object), opening, 0)
    public_start = cases["public_start"].to_numpy()
    # A public complaint gets a public answer, then moves to DM or phone (taken private).
    # The public answer asks the customer to move to DM: an observed hand-off to private.
    add(everyone, start + frt, ch, "outbound", np.where(public_start, "handoff_private", "response"),
        np.where(public_start, "Sorry to hear this. Please DM us your order number so we can help.",
                 _concat("Thanks for getting in touch about your ", issue, ". We are on it.")), 1)
    private_ch = np.where(rng.random(n) < 0.6, "dm", "phone").astype(object)
    follow_ch = np.where(public_start, private_ch, ch)
    n_mid = rng.poisson(0.6 + np.minimum(res, 20) / 4)
    mid_frac = rng.random(n)
    add(n_mid >= 1, start + frt + (res - frt) * mid_frac * 0.5, follow_ch, "inbound", "follow_up",
        _concat("Any update on my ", issue, "?"), 2)
    add(n_mid >= 2, start + frt + (res - frt) * (0.5 + mid_frac * 0.3), follow_ch, "outbound", "response",
        "We are still looking into it, thank you for your patience.", 3)
    # Going public mid-case: the vent is a public touch the company sees (linked or not,
    # the post exists; the company logs it when it knows the customer).
    went = cases["went_public"].to_numpy()
    vent_day = start + np.minimum(res * rng.uniform(0.3, 0.9, n), frt + rng.exponential(2.0, n))
    cases["vent_day"] = vent_day
    add(went, vent_day, "post", "inbound", "complaint", "(public post)", 4)
    add(went, vent_day + rng.exponential(0.2, n), "public_reply", "outbound", "handoff_private",
        "We are sorry. We have sent you a DM to sort this out.", 5)
    add(went, vent_day + 0.3 + rng.exponential(0.3, n), private_ch, "outbound", "response",
        _concat("Following up privately on your ", issue, "."), 6)
    failed = cases["failed"].to_numpy()
    end_ch = np.where(went, private_ch, follow_ch)
    add(~failed, start + res, end_ch, "outbound", "resolution",
        _concat("Your ", issue, " has been resolved. Anything else we can do?"), 7)
    kudos = cases["kudos"].to_numpy()
    kudos_day = start + res + rng.exponential(1.0, n)
    cases["kudos_day"] = kudos_day
    kudos_ch = np.where(rng.random(n) < 0.6, "post", "review").astype(object)
    cases["kudos_channel"] = kudos_ch
    add(kudos, kudos_day, kudos_ch, "inbound", "kudos", "(public post)", 8)
    touches = pd.concat(parts, ignore_index=True)
    touches = touches[touches["occurred_at_day"] < DAYS]
    return touches.sort_values(["thread_id", "occurred_at_day", "step"], kind="stable")


def make_commerce(rng, customers: pd.DataFrame, n_purchases: int, n_marketing: int,
                  n_reviews: int) -> pd.DataFrame:
    n = len(customers)
    seg_idx = customers["segment"].map({s: i for i, s in enumerate(SEGMENTS)}).to_numpy()
    buy_w = np.array([0.8, 1.0, 1.4, 1.8])[seg_idx]
    who = rng.choice(n, size=n_purchases, p=buy_w / buy_w.sum())
    joined = np.maximum(customers["_joined_day"].to_numpy()[who], 0)
    day = joined + rng.random(n_purchases) * (DAYS - joined)
    amount = np.round(np.array([25, 45, 90, 220])[seg_idx[who]] * rng.lognormal(0, 0.7, n_purchases), 2)
    purchases = pd.DataFrame({
        "thread_id": None, "customer_id": customers["customer_id"].to_numpy()[who], "occurred_at_day": day,
        "channel": _pick(rng, ["store", "web", "kiosk", "phone"], n_purchases, p=[0.4, 0.45, 0.1, 0.05]),
        "direction": "inbound", "kind": "purchase", "amount": amount, "text": None, "step": 0,
    })
    who_m = rng.integers(0, n, size=n_marketing)
    marketing = pd.DataFrame({
        "thread_id": None, "customer_id": customers["customer_id"].to_numpy()[who_m],
        "occurred_at_day": rng.uniform(0, DAYS, n_marketing),
        "channel": _pick(rng, ["email", "sms", "post", "dm"], n_marketing, p=[0.55, 0.2, 0.2, 0.05]),
        "direction": "outbound", "kind": "marketing", "amount": None,
        "text": _concat(_pick(rng, OFFERS, n_marketing), " on ", _pick(rng, PRODUCTS, n_marketing),
                        ". Shop now!"), "step": 0,
    })
    pick = rng.integers(0, n_purchases, size=n_reviews)
    stars = rng.choice([1, 2, 3, 4, 5], size=n_reviews, p=[0.08, 0.07, 0.15, 0.3, 0.4])
    good = stars >= 4
    review_text = _concat(stars.astype(str).astype(object), " stars. ",
                          _pick(rng, PRODUCTS, n_reviews), " ",
                          np.where(good, _pick(rng, POS_VERDICT, n_reviews), _pick(rng, NEG_VERDICT, n_reviews)))
    reviews = pd.DataFrame({
        "thread_id": None, "customer_id": purchases["customer_id"].to_numpy()[pick],
        "occurred_at_day": np.minimum(day[pick] + rng.exponential(5, n_reviews), DAYS - 0.01),
        "channel": "review", "direction": "inbound", "kind": "review", "amount": None,
        "text": review_text, "step": 0,
    })
    return pd.concat([purchases, marketing, reviews], ignore_index=True)


# -- public posts ----------------------------------------------------------------

def vent_text(days, issue, angry, tag):
    """A customer going public about a slow case (element-wise over arrays, or one text)."""
    return _concat("Day ", days, " waiting for @acme to sort my ", issue, ". ", angry, " ", tag)


def kudos_text(issue, happy):
    """A customer thanking the brand in public for a fast fix."""
    return _concat("Big thanks to @acme for fixing my ", issue, " so fast! ", happy)


def tidy(text: str) -> str:
    """Single spaces, no space at the ends: what every demo text gets before it is stored."""
    return " ".join(str(text).split())


def meant_texts() -> pd.DataFrame:
    """Every text the post templates can write (vents with a few waiting times), with the
    sentiment the generator means by it and whether that meaning is clear from the text alone.

    Not clear: replies that depend on the post they answer ("Same here!"), replies whose
    emoticon contradicts their words ("Love this :("), the brand's offers and apology, and a
    neutral remark opened with "Wow," (an exclamation reads as excitement).
    """
    rows: list[tuple[str, str, str, bool]] = []
    for days in ("1", "3", "12"):
        for issue in ISSUES:
            for angry in ANGRY:
                for tag in VENT_TAGS:
                    rows.append(("vent", vent_text(days, issue, angry, tag), "negative", True))
    for issue in ISSUES:
        for happy in HAPPY:
            rows.append(("kudos", kudos_text(issue, happy), "positive", True))
    for mood, verdicts in (("positive", POS_VERDICT), ("negative", NEG_VERDICT), ("neutral", NEU_VERDICT)):
        for opener in OPENERS:
            for product in PRODUCTS:
                for verdict in verdicts:
                    for tag in dict.fromkeys(TAGS):
                        clear = not (mood == "neutral" and opener == "Wow,")
                        rows.append(("chatter", _concat(opener, " ", product, " ", verdict, " ", tag), mood, clear))
    against = {"positive": " :(", "negative": " :)"}
    for reply in REPLIES:
        for end in REPLY_ENDS:
            meant = REPLY_MEANT.get(reply)
            rows.append(("reply", _concat(reply, " ", end), meant or "neutral",
                         meant is not None and end != against[meant]))
    rows.append(("brand reply", "@someone " + BRAND_REPLY, "neutral", False))
    for offer in OFFERS:
        for product in PRODUCTS:
            for call in CALLS:
                rows.append(("offer", _concat(offer, " on ", product, "! ", call, " #acme"), "positive", False))
    out = pd.DataFrame(rows, columns=["template", "text", "meant", "clear"])
    out["text"] = out["text"].map(tidy)
    return out.drop_duplicates("text", ignore_index=True)


def _chatter(rng, n) -> np.ndarray:
    mood = rng.choice(3, size=n, p=[0.45, 0.25, 0.30])
    verdict = np.where(mood == 0, _pick(rng, POS_VERDICT, n),
                       np.where(mood == 1, _pick(rng, NEG_VERDICT, n), _pick(rng, NEU_VERDICT, n)))
    opener = _pick(rng, OPENERS, n)
    return _concat(opener, " ", _pick(rng, PRODUCTS, n), " ", verdict, " ", _pick(rng, TAGS, n))


def make_posts(rng, accounts: pd.DataFrame, follows: pd.DataFrame, cases: pd.DataFrame,
               target: int) -> pd.DataFrame:
    handles = accounts["handle"].to_numpy()
    platform = accounts["platform"].to_numpy()
    acc_of_customer = accounts.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    acc_index = pd.Series(acc_of_customer.index.to_numpy(), index=acc_of_customer["customer_id"].to_numpy())
    frames = []
    # Vents and kudos come from the CRM mechanism, posted by the customer's account if they have one.
    for flag, day_col, mood in (("went_public", "vent_day", "vent"), ("kudos", "kudos_day", "kudos")):
        c = cases[cases[flag] & cases["customer_id"].isin(acc_index.index)]
        c = c[c[day_col] < DAYS]
        acc = acc_index.loc[c["customer_id"].to_numpy()].to_numpy()
        k = len(c)
        issue = c["issue"].to_numpy(dtype=object)
        if mood == "vent":
            days_waiting = np.maximum(1, np.round(c["vent_day"].to_numpy() - c["start"].to_numpy())).astype(int)
            text = vent_text(days_waiting.astype(str).astype(object), issue, _pick(rng, ANGRY, k),
                             _pick(rng, VENT_TAGS, k))
        else:
            text = kudos_text(issue, _pick(rng, HAPPY, k))
        frames.append(pd.DataFrame({"acc": acc, "day": c[day_col].to_numpy(), "text": text,
                                    "appeal": rng.lognormal(0.3 if mood == "vent" else 0.0, 0.8, k),
}))
    n_brand = max(20, target // 150)
    brand_idx = np.flatnonzero(handles == BRAND)
    frames.append(pd.DataFrame({
        "acc": brand_idx[rng.integers(0, len(brand_idx), n_brand)], "day": rng.uniform(0, DAYS, n_brand),
        "text": _concat(_pick(rng, OFFERS, n_brand), " on ", _pick(rng, PRODUCTS, n_brand), "! ",
                        _pick(rng, CALLS, n_brand),
                        " #acme"),
        "appeal": rng.lognormal(-0.3, 0.7, n_brand)}))
    used = sum(len(f) for f in frames)
    n_chatter = max(0, int(target * 0.45) - used)
    act = accounts["activity"].to_numpy()
    who = rng.choice(len(accounts), size=n_chatter, p=act / act.sum())
    day = rng.uniform(0, DAYS, n_chatter)
    # Launch weeks: more chatter around a product launch.
    launch = rng.random(n_chatter) < 0.08
    day[launch] = 200 + rng.exponential(3, launch.sum())
    frames.append(pd.DataFrame({"acc": who, "day": day, "text": _chatter(rng, n_chatter),
                                "appeal": rng.lognormal(0, 1.0, n_chatter)}))
    originals = pd.concat(frames, ignore_index=True)
    originals = originals[originals["day"] < DAYS].reset_index(drop=True)
    originals["root"] = np.arange(len(originals))

    reshares = _reshare_cascades(rng, accounts, follows, originals, budget=int(target * 10))
    posts = pd.concat([originals.assign(parent=-1), reshares], ignore_index=True)
    posts["post_id"] = np.array([f"P{i:08d}" for i in range(len(posts))], dtype=object)
    posts["reshare_of"] = np.where(posts["parent"] >= 0,
                                   posts["post_id"].to_numpy()[np.maximum(posts["parent"].to_numpy(), 0)], None)
    # Replies: the brand answers vents in public; others chat under popular posts.
    vent_rows = np.flatnonzero(posts["text"].str.startswith("Day ").to_numpy() & (posts["parent"] < 0).to_numpy())
    brand_by_platform = {platform[i]: i for i in brand_idx}
    n_replies = max(0, target - len(posts) - len(vent_rows))
    weights = posts["appeal"].to_numpy() * (posts["parent"].to_numpy() < 0)
    parents = rng.choice(len(posts), size=n_replies, p=weights / weights.sum())
    repliers = rng.choice(len(accounts), size=n_replies, p=act / act.sum())
    replies = pd.DataFrame({
        "acc": np.concatenate([[brand_by_platform[platform[a]] for a in posts["acc"].to_numpy()[vent_rows]],
                               repliers]).astype(int),
        "day": np.concatenate([posts["day"].to_numpy()[vent_rows] + rng.exponential(0.15, len(vent_rows)),
                               posts["day"].to_numpy()[parents] + rng.exponential(0.5, n_replies)]),
        "text": np.concatenate([
            _concat("@", handles[posts["acc"].to_numpy()[vent_rows]],
                    " " + BRAND_REPLY),
            _concat(_pick(rng, REPLIES, n_replies), " ", _pick(rng, REPLY_ENDS, n_replies))]),
        "reply_to": posts["post_id"].to_numpy()[np.concatenate([vent_rows, parents])],
        "appeal": 0.3,
    })
    replies = replies[replies["day"] < DAYS]
    replies["post_id"] = np.array([f"P{i:08d}" for i in range(len(posts), len(posts) + len(replies))], dtype=object)
    posts = pd.concat([posts, replies], ignore_index=True)
    pop = accounts["popularity"].to_numpy()[posts["acc"].to_numpy()]
    likes = rng.poisson(np.minimum(posts["appeal"].to_numpy() * np.sqrt(pop) * 1.5, 5000))
    posts = posts.assign(
        platform=platform[posts["acc"].to_numpy()], author_handle=handles[posts["acc"].to_numpy()],
        created_at=_ts(posts["day"].to_numpy()), likes=likes.astype(int),
    )
    posts["text"] = posts["text"].astype(object).str.replace(r"\s+", " ", regex=True).str.strip()
    for col in ("reply_to", "reshare_of"):
        if col not in posts:
            posts[col] = None
        posts[col] = posts[col].astype(object).where(posts[col].notna(), None)
    return posts[["post_id", "platform", "author_handle", "created_at", "text", "reply_to", "reshare_of", "likes"]]


def _reshare_cascades(rng, accounts, follows, originals, budget: int) -> pd.DataFrame:
    """Independent cascades over the follower graph, all posts at once, generation by generation."""
    n_acc = len(accounts)
    # followers of v: accounts u with an edge u -> v (u follows v); CSR by followee.
    order = np.argsort(follows["followee"].to_numpy(), kind="stable")
    followers = follows["follower"].to_numpy()[order]
    indptr = np.zeros(n_acc + 1, dtype=np.int64)
    np.add.at(indptr, follows["followee"].to_numpy() + 1, 1)
    indptr = np.cumsum(indptr)
    deg = np.diff(indptr)
    mean_deg = max(deg.mean(), 1.0)
    # Per-post reshare probability as a branching factor R / mean degree: appeal-driven and
    # subcritical (R <= 0.7) for almost all posts, slightly supercritical for a rare few, so
    # most cascades are tiny, some run many generations deep and a handful grow large.
    p_post = np.minimum(originals["appeal"].to_numpy() * 0.3, 0.7) / mean_deg
    viral = rng.random(len(originals)) < 0.002
    p_post[viral] = rng.uniform(1.05, 1.5, viral.sum()) / mean_deg
    cap = max(50, n_acc // 10)
    frontier_casc = np.arange(len(originals))
    frontier_acc = originals["acc"].to_numpy().astype(np.int64)
    frontier_post = np.arange(len(originals))  # index in the combined post list
    frontier_day = originals["day"].to_numpy()
    seen = frontier_casc.astype(np.int64) * n_acc + frontier_acc
    sizes = np.ones(len(originals), dtype=np.int64)
    out = []
    next_post = len(originals)
    for _generation in range(15):
        counts = deg[frontier_acc]
        total = int(counts.sum())
        if total == 0 or next_post - len(originals) >= budget:
            break
        rep = np.repeat(np.arange(len(frontier_acc)), counts)
        offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        cand = followers[indptr[frontier_acc][rep] + offs]
        casc = frontier_casc[rep]
        hit = rng.random(total) < p_post[casc]
        rep, cand, casc = rep[hit], cand[hit], casc[hit]
        key = casc.astype(np.int64) * n_acc + cand
        fresh = ~np.isin(key, seen)
        rep, cand, casc, key = rep[fresh], cand[fresh], casc[fresh], key[fresh]
        _, first = np.unique(key, return_index=True)
        first = np.sort(first)
        rep, cand, casc, key = rep[first], cand[first], casc[first], key[first]
        room = sizes[casc] < cap
        rep, cand, casc, key = rep[room], cand[room], casc[room], key[room]
        left = budget - (next_post - len(originals))
        if len(cand) > left:  # a safety net: keep a random part of the last generation
            pick = np.sort(rng.choice(len(cand), size=left, replace=False))
            rep, cand, casc, key = rep[pick], cand[pick], casc[pick], key[pick]
        if len(cand) == 0:
            break
        np.add.at(sizes, casc, 1)
        seen = np.union1d(seen, key)
        day = frontier_day[rep] + rng.exponential(0.4, len(cand)) * (1 + _generation * 0.5)
        ids = np.arange(next_post, next_post + len(cand))
        next_post += len(cand)
        out.append(pd.DataFrame({"acc": cand, "day": day, "parent": frontier_post[rep], "root": casc}))
        frontier_casc, frontier_acc, frontier_post, frontier_day = casc, cand, ids, day
    if not out:
        return pd.DataFrame(columns=["acc", "day", "parent", "root", "text", "appeal"])
    res = pd.concat(out, ignore_index=True)
    res["text"] = _concat("RT ", originals["text"].to_numpy(dtype=object)[res["root"].to_numpy()])
    res["appeal"] = 0.2
    # Posts after the end of the window never happened.
    keep = res["day"].to_numpy() < DAYS
    if not keep.all():
        # Dropping a reshare drops its descendants' parent: keep only rows whose chain stays in the window.
        valid = np.ones(len(originals) + len(res), dtype=bool)
        valid[len(originals):] = keep
        parent = res["parent"].to_numpy()
        for _ in range(16):
            ok = valid[len(originals):] & valid[parent]
            if (ok == valid[len(originals):]).all():
                break
            valid[len(originals):] = ok
        res = res[valid[len(originals):]]
        # Re-number parents after dropping rows.
        old_ids = np.concatenate([np.arange(len(originals)), len(originals) + np.flatnonzero(valid[len(originals):])])
        new_of_old = np.full(len(valid), -1, dtype=np.int64)
        new_of_old[old_ids] = np.arange(len(old_ids))
        res = res.assign(parent=new_of_old[res["parent"].to_numpy()])
    return res.reset_index(drop=True)


# -- surveys -----------------------------------------------------------------------

def make_surveys(rng, customers: pd.DataFrame) -> pd.DataFrame:
    """A synthetic consumer survey (linked to customers) and a business survey.

    Selection probabilities are anchored on the IBM 2010 shares where the study gives
    them and interpolated by rank in between: a demo survey, not the study's data.
    """
    ref = pd.read_csv(store.PROJECT_ROOT / "data" / "reference" / "ibm_2010_motives.csv")
    motives = ref["motive"].to_numpy()

    def curve(ranks, anchors):
        xs, ys = zip(*sorted(anchors.items()))
        return np.interp(ranks, xs, ys)

    p_cons = curve(ref["consumer_rank"].to_numpy(), {1: 0.61, 10: 0.33, 12: 0.20})
    p_bus = curve(ref["business_rank"].to_numpy(), {1: 0.74, 6: 0.64, 9: 0.61, 12: 0.52})
    n_c = min(1000, len(customers))
    resp = customers.sample(n=n_c, random_state=int(rng.integers(1 << 31)))
    seg = resp["segment"].to_numpy()
    tilt = np.zeros((n_c, len(motives)))
    tilt[seg == "Value", 0] += 0.1    # discounts
    tilt[seg == "Premium", 4] += 0.1  # exclusive information
    tilt[seg == "Premium", 9] += 0.08  # feel connected
    sel_c = rng.random((n_c, len(motives))) < np.clip(p_cons + tilt, 0, 1)
    n_b = 300
    sel_b = rng.random((n_b, len(motives))) < p_bus
    study = "Acme motive survey 2026 (demo)"
    cons = pd.DataFrame({
        "study": study, "group": "consumer", "motive": np.tile(motives, n_c),
        "respondent_id": np.repeat(resp["customer_id"].str.replace("C", "R", regex=False).to_numpy(), len(motives)),
        "selected": sel_c.ravel().astype(int), "customer_id": np.repeat(resp["customer_id"].to_numpy(), len(motives)),
        "segment": np.repeat(seg, len(motives)),
    })
    bus = pd.DataFrame({
        "study": study, "group": "business", "motive": np.tile(motives, n_b),
        "respondent_id": np.repeat(np.array([f"E{i:04d}" for i in range(n_b)], dtype=object), len(motives)),
        "selected": sel_b.ravel().astype(int), "customer_id": None, "segment": None,
    })
    out = pd.concat([cons, bus], ignore_index=True)
    out["share"], out["n"] = None, None
    out["response_key"] = out["study"] + "|" + out["group"] + "|" + out["respondent_id"] + "|" + out["motive"]
    return out


# -- build -------------------------------------------------------------------------

def generate_parts(scale: str | int = "default", seed: int = 7) -> Iterator[dict[str, pd.DataFrame]]:
    """The demo tables part by part: one part for most scales, several independent communities for
    the ``PARTS`` scales (ids, handles and threads shifted so no two parts share one; the surveys and
    brand accounts come with the first part only)."""
    if not (isinstance(scale, str) and scale in PARTS):
        yield generate(scale, seed)
        return
    parts, size = PARTS[scale]
    shift = dict(customers=0, interactions=0, posts=0, cases=0)
    for k in range(parts):
        tables = _generate(size, np.random.default_rng([seed, k]))
        if k:
            tables = _shifted(tables, k, shift)
            tables["survey_responses"] = tables["survey_responses"].iloc[0:0]
            tables["brand_accounts"] = tables["brand_accounts"].iloc[0:0]
        shift["customers"] += size["customers"]
        shift["interactions"] = _next_number(tables["interactions"]["interaction_id"], "I", shift["interactions"])
        shift["posts"] = _next_number(tables["posts"]["post_id"], "P", shift["posts"])
        shift["cases"] = _next_number(tables["interactions"]["thread_id"], "S", shift["cases"])
        yield tables


def _next_number(values: pd.Series, prefix: str, current: int) -> int:
    """One past the largest ``prefix``-number among ``values`` (``current`` when there is none)."""
    ok = values.notna() & values.astype(object).fillna("").str.startswith(prefix)
    nums = values[ok].str[len(prefix):].astype("int64")
    return int(nums.max()) + 1 if len(nums) else current


def _renumber(values: pd.Series, prefix: str, width: int, offset: int) -> pd.Series:
    """``P00000012`` → ``P`` + (12 + offset) zero-padded: the generator's ids moved past an earlier part's."""
    ok = values.notna() & values.astype(object).fillna("").str.startswith(prefix)
    nums = values.where(ok).str[len(prefix):].astype("float").fillna(-1).astype("int64") + offset
    return values.where(~ok, prefix + nums.astype(str).str.zfill(width)).astype(object)


def _shifted(tables: dict[str, pd.DataFrame], k: int, shift: dict[str, int]) -> dict[str, pd.DataFrame]:
    """Part ``k``'s tables with ids and handles that no earlier part uses."""
    def cust(s):
        return _renumber(s, "C", 6, shift["customers"])

    def handle(s):
        return s.where(s.eq(BRAND) | s.isna(), s + f"_{k}")

    t = {name: f.copy() for name, f in tables.items()}
    t["customers"]["customer_id"] = cust(t["customers"]["customer_id"])
    t["identities"]["customer_id"] = cust(t["identities"]["customer_id"])
    t["identities"]["handle"] = handle(t["identities"]["handle"])
    inter = t["interactions"]
    inter["customer_id"] = cust(inter["customer_id"])
    inter["interaction_id"] = _renumber(inter["interaction_id"], "I", 8, shift["interactions"])
    inter["thread_id"] = _renumber(_renumber(inter["thread_id"], "T", 8, shift["interactions"]),
                                   "S", 7, shift["cases"])
    posts = t["posts"]
    for col in ("post_id", "reply_to", "reshare_of"):
        posts[col] = _renumber(posts[col], "P", 8, shift["posts"])
    posts["author_handle"] = handle(posts["author_handle"])
    # The brand's public answers name the customer: "@sun_fox12 We are sorry..." follows the handle.
    mention = posts["text"].astype(object).fillna("").str.match(r"@(?!acme\b)\w")
    posts.loc[mention, "text"] = posts.loc[mention, "text"].str.replace(r"^@(\w+)", rf"@\1_{k}", regex=True)
    for col in ("follower_handle", "followee_handle"):
        t["follows"][col] = handle(t["follows"][col])
    return t


def generate(scale: str | int = "default", seed: int = 7) -> dict[str, pd.DataFrame]:
    """All demo tables as DataFrames in the import format (no database involved).

    The ``PARTS`` scales are generated whole here too (memory grows with them): ``build`` writes
    them part by part instead."""
    if isinstance(scale, str) and scale in PARTS:
        parts = list(generate_parts(scale, seed))
        return {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in parts[0]}
    return _generate(_sizes(scale), np.random.default_rng(seed))


def _generate(size: dict[str, int], rng) -> dict[str, pd.DataFrame]:
    customers = make_customers(rng, size["customers"])
    accounts, identities = make_accounts(rng, customers)
    follows = make_follows(rng, accounts, size["follows"])
    budget = size["interactions"]
    n_cases = max(10, int(budget * 0.055))
    cases = make_cases(rng, customers, n_cases)
    touches = case_touches(rng, cases)
    rest = max(0, budget - len(touches))
    commerce = make_commerce(rng, customers, int(rest * 0.55), int(rest * 0.4), int(rest * 0.05))
    inter = pd.concat([touches, commerce], ignore_index=True)
    inter = inter[inter["occurred_at_day"] < DAYS].reset_index(drop=True)
    inter["interaction_id"] = np.array([f"I{i:08d}" for i in range(len(inter))], dtype=object)
    own = inter["thread_id"].isna()
    inter.loc[own, "thread_id"] = "T" + inter.loc[own, "interaction_id"].str[1:]
    inter["occurred_at"] = _ts(inter["occurred_at_day"].to_numpy())
    # Who answered: the team behind each channel (broadcast marketing names no account).
    answers = (inter["direction"] == "outbound") & (inter["kind"] != "marketing")
    inter["account"] = inter["channel"].map(SERVICE_ACCOUNTS).where(answers)
    posts = make_posts(rng, accounts, follows, cases, size["posts"])
    # The vent/kudos interaction carries the text of the customer's public post when linked.
    inter.loc[inter["text"].eq("(public post)"), "text"] = None
    spend = inter.loc[inter["kind"] == "purchase"].groupby("customer_id")["amount"].sum()
    customers["lifetime_value"] = np.round(customers["customer_id"].map(spend).fillna(0.0).to_numpy(), 2)
    surveys = make_surveys(rng, customers)
    return {
        "customers": customers.drop(columns=["_joined_day"]),
        "identities": identities,
        "interactions": inter[["interaction_id", "customer_id", "thread_id", "occurred_at", "channel",
                               "direction", "kind", "amount", "text", "account"]],
        "posts": posts,
        "follows": follows[["platform", "follower_handle", "followee_handle"]],
        "survey_responses": surveys[["response_key", "study", "group", "motive", "respondent_id", "selected",
                                     "share", "n", "customer_id", "segment"]],
        "brand_accounts": pd.DataFrame({"platform": PLATFORMS, "handle": BRAND}),
    }


def build(path: str | Path | None = None, scale: str | int = "default", seed: int = 7,
          progress: Callable[[str, int, int], None] | None = None, replace: bool = False) -> DemoReport:
    """Generate the demo data and write it to ``path``; never leaves a half-built database.

    A new database (or ``replace``) is built in a temporary file beside ``path`` and moved into
    place only when complete, page preparation included: a build that is interrupted, even
    killed, leaves ``path`` as it was. Into an existing database (not ``replace``) the demo rows
    are written in one transaction. Builds of the same path take turns (a lock file beside it).
    """
    t0 = time.perf_counter()
    p = store.db_path(path)
    if isinstance(p, store.pg.Address):
        return _build_postgres(p, scale, seed, progress, replace, t0)
    if p.is_dir():
        raise store.NotADatabase(f"{p} cannot be opened as a Continuum database (it is a directory).")
    p.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(p, progress):
        leftovers.remove_stale(p, "building")  # under the build lock
        report = DemoReport(path=p, scale=str(scale), seed=seed, seconds=0.0)
        if p.exists() and not replace:
            with store.connection(p) as db:
                with store.transaction(db, waiting=_waiting(progress)):
                    _write(db, report, scale, seed, progress)
                _finish(db, progress)
        else:
            tmp = p.with_name(f".{p.name}.building-{os.getpid()}")
            try:
                with store.connection(tmp) as db:
                    _write(db, report, scale, seed, progress)
                    _finish(db, progress)
                    # Everything into the main file, so nothing is left in a -wal beside it to move.
                    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                # A -wal or -shm left by a previous file of this name belongs to that file, not this one.
                for suffix in ("-wal", "-shm"):
                    Path(str(p) + suffix).unlink(missing_ok=True)
                os.replace(tmp, p)
            finally:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(str(tmp) + suffix).unlink(missing_ok=True)
    report.seconds = time.perf_counter() - t0
    return report


def _build_postgres(p, scale, seed: int, progress, replace: bool, t0: float) -> DemoReport:
    """The demo on a PostgreSQL server: its rows in one transaction (``replace`` empties Continuum's tables in
    that same transaction), so a build that fails or is killed leaves the database as it was."""
    report = DemoReport(path=p, scale=str(scale), seed=seed, seconds=0.0)
    with store.connection(p) as db:
        with store.transaction(db, waiting=_waiting(progress)):
            if replace:
                store.empty_tables(db)
            _write(db, report, scale, seed, progress)
        _finish(db, progress)
    report.seconds = time.perf_counter() - t0
    return report


def _write(db, report: DemoReport, scale, seed: int, progress) -> None:
    """Generate and write the demo, part by part for the ``PARTS`` scales (one part's tables in memory)."""
    n_parts = PARTS[scale][0] if isinstance(scale, str) and scale in PARTS else 1
    parts = generate_parts(scale, seed)
    for k in range(n_parts):
        if progress:
            progress("generate" if n_parts == 1 else f"generate part {k + 1} of {n_parts}", 0, 1)
        tables = next(parts)
        if progress:
            progress("generate" if n_parts == 1 else f"generate part {k + 1} of {n_parts}", 1, 1)
        _write_tables(db, tables, report, progress)
        del tables
    store.set_meta(db, "demo", f"scale={scale} seed={seed}")  # read by ``status``: the build is complete


def _write_tables(db, tables: dict[str, pd.DataFrame], report: DemoReport, progress) -> None:
    for name in ("customers", "identities", "interactions", "posts", "follows", "survey_responses"):
        frame = tables[name]
        if name == "posts":
            r = ingest.import_frame(db, name, frame.copy(), f"demo:{name}", 0, progress=progress)
            report.distinct_texts += r.distinct_texts_scored
        else:
            store.upsert_rows(db, name, frame,
                              progress=(lambda d, t, n=name: progress(f"write {n}", d, t)) if progress else None)
        report.counts[name] = report.counts.get(name, 0) + len(frame)
    store.upsert_rows(db, "brand_accounts", tables["brand_accounts"])


def _finish(db, progress) -> None:
    db.conn.execute("ANALYZE")
    from analysis import warm  # the pages' heavy aggregates, computed once now

    warm.warm(db, progress)


def _waiting(progress):
    if progress is None:
        return None
    return lambda waited, timeout: progress(ingest.WAITING, int(waited), int(timeout))


_HELD: set[str] = set()  # paths whose build lock this process holds
WAITING_FOR_BUILD = "waiting for another demo build of this database (seconds)"


@contextlib.contextmanager
def _build_lock(p: Path, progress):
    """Builds of one path take turns: an exclusive lock on a file beside it (released on exit, also
    when the process is killed). Without fcntl (Windows) builds are not serialised."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux or macOS
        yield
        return
    key = str(p.resolve())
    if key in _HELD:  # ``ensure`` holds it and calls ``build``
        yield
        return
    lock_path = p.with_name(f".{p.name}.lock")
    with open(lock_path, "a+b") as fh:
        t0 = time.monotonic()
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if progress:
                    progress(WAITING_FOR_BUILD, int(time.monotonic() - t0), 0)
                time.sleep(0.5)
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)
            fcntl.flock(fh, fcntl.LOCK_UN)


    return True


def status(path: str | Path | None = None) -> str:
    """'missing', 'complete' (a finished demo build), 'empty' (no rows), 'incomplete' (a demo build
    an older version left half-done: the demo's customers, no brand accounts, no completion mark) or
    'data' (someone's own data). Raises NotADatabase for a file that is not a Continuum database."""
    p = store.db_path(path)
    if not p.exists():
        return "missing"
    with store.connection(p) as db:
        if store.get_meta(db, "demo"):
            return "complete"
        counts = store.table_counts(db)
        if not any(counts[t] for t in ("customers", "interactions", "posts", "follows", "survey_responses")):
            return "empty"
        n = counts["customers"]
        lo, hi = db.conn.execute("SELECT MIN(customer_id), MAX(customer_id) FROM customers").fetchone()
        demo_ids = n >= 50 and lo == "C000001" and hi == f"C{n:06d}"  # the generator's ids, its minimum size
        return "incomplete" if demo_ids and counts["brand_accounts"] == 0 else "data"


def ensure(path: str | Path | None = None, scale: str | int = "default", seed: int = 7,
           progress: Callable[[str, int, int], None] | None = None) -> tuple[str, DemoReport | None]:
    """Build the demo unless ``path`` already holds a complete one or someone's own data (``make run``).

    An incomplete build left by an older version is moved aside (``<name>.incomplete-<time>``), never
    deleted, and built again. Returns (what was found, the build's report or None).
    """
    p = store.db_path(path)
    if isinstance(p, store.pg.Address):  # writers take turns on the server (store.transaction)
        found = status(p)
        if found in ("complete", "data"):
            return found, None
        return found, build(p, scale=scale, seed=seed, progress=progress, replace=True)
    p.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(p, progress):  # a build under way finishes first, then counts as complete
        found = status(p)
        if found == "incomplete":
            aside = p.with_name(f"{p.name}.incomplete-{time.strftime('%Y%m%d-%H%M%S')}")
            for suffix in ("", "-wal", "-shm"):
                if Path(str(p) + suffix).exists():
                    os.replace(str(p) + suffix, str(aside) + suffix)
        if found in ("complete", "data"):
            return found, None
        return found, build(p, scale=scale, seed=seed, progress=progress, replace=True)
