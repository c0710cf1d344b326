"""Format ``tweets``: a customer-service tweet dump, one row (or JSON record) per tweet.

Columns read (names matched case-insensitively; other columns, such as an unnamed index, ignored):

| meaning | "Customer Support on Twitter" corpus | Twitter API export (JSON, JSONL or CSV) |
|---|---|---|
| tweet id | `tweet_id` | `id_str` or `id` |
| author | `author_id` | `user.screen_name`, else `user.id_str` / `user.id` (nested `user` objects are flattened) |
| customer or brand | `inbound` (True/False, yes/no, 1/0, t/f) | none: name the brand's handles (`--brand`) |
| time | `created_at` (`Wed Oct 11 06:55:44 +0000 2017`, ISO 8601 or epoch s/ms) | `created_at` |
| text | `text` | `full_text`, else `text` |
| the tweet it answers | `in_response_to_tweet_id` | `in_reply_to_status_id_str` / `in_reply_to_status_id` |
| the tweet it retweets | none | `retweeted_status.id_str` / `retweeted_status.id` (posts' `reshare_of`) |

`response_tweet_id` (the corpus's list of answers) is not needed: the reply links give the same tree.
When both an `inbound` column and `--brand` handles are given, the handles also count as brand.

What it writes, in one transaction:
- `customers` and `identities` (platform `twitter`): one per author of an inbound tweet; the
  customer id is the author's id or handle as written in the file (the corpus anonymises customers
  as numbers). An author who wrote any non-inbound tweet is the brand, not a customer.
- `brand_accounts`: every other author (platform `twitter`).
- `posts`: every tweet (platform `twitter`, `reply_to` = the tweet it answers), sentiment scored.
- `interactions`: every tweet of a conversation (a reply tree with at least one customer tweet):
  interaction id = the tweet id; thread id = the id of the tree's root (the topmost tweet in the
  file; when that one answers a tweet missing from the file, the missing tweet's id, so replies to
  the same missing tweet stay one thread); channel `post` for a thread's opening tweet that answers
  nothing, `public_reply` for every reply; direction inbound (customer) or outbound (brand);
  `account` = the brand handle that wrote an outbound tweet; customer = the tweet's author for
  inbound tweets, for brand tweets the author of the nearest customer tweet above it in the tree
  (else the thread's first customer).
- kinds: `inquiry` for a customer tweet that opens its thread (the thread's earliest tweet),
  `message` for later customer tweets, `reply` for brand tweets, and `handoff_private` for a brand
  reply that asks to move to a private channel, found by the phrases in
  `data/reference/handoff_phrases.txt` (DM us, direct/private message, email us, call us, ...).
  A hand-off is what was observed in public; nothing that happens in private afterwards is invented.
Threads of brand tweets only (announcements nobody answered) are posts, not conversations.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis import mapping, store
from analysis.formats import Built, Checker, pick, text

PLATFORM = "twitter"
PHRASES_FILE = store.PROJECT_ROOT / "data" / "reference" / "handoff_phrases.txt"


@lru_cache(maxsize=1)
def handoff_pattern() -> re.Pattern:
    """One case-insensitive regex of every phrase in ``PHRASES_FILE``."""
    lines = [ln.strip() for ln in PHRASES_FILE.read_text(encoding="utf-8").splitlines()]
    phrases = [ln for ln in lines if ln and not ln.startswith("#")]
    return re.compile("|".join(f"(?:{p})" for p in phrases), re.IGNORECASE)


def is_handoff(texts: pd.Series) -> pd.Series:
    """Which texts ask to move the conversation to a private channel."""
    return texts.fillna("").astype("str").str.contains(handoff_pattern(), regex=True)


def build(frame: pd.DataFrame, name: str, offset: int, row_label: str, brand: list[str] | str | None = None) -> Built:
    check = Checker(name, offset, row_label)
    frame = frame.reset_index(drop=True)
    col_id = pick(frame, "tweet_id", "id_str", "id")
    col_author = pick(frame, "author_id", "user.screen_name", "user.id_str", "user.id", "author", "screen_name")
    col_time = pick(frame, "created_at")
    col_text = pick(frame, "full_text", "text", "extended_tweet.full_text")
    col_reply = pick(frame, "in_response_to_tweet_id", "in_reply_to_status_id_str", "in_reply_to_status_id")
    col_inbound = pick(frame, "inbound")
    col_reshare = pick(frame, "retweeted_status.id_str", "retweeted_status.id")
    listed = brand.split(",") if isinstance(brand, str) else list(brand or [])
    brand_handles = {b.strip().lstrip("@").lower() for b in listed if b.strip()}
    for col, what in ((col_id, "tweet_id (or id)"), (col_author, "author_id (or user.screen_name / user.id)"),
                      (col_time, "created_at")):
        if col is None:
            check.add(f"no {what} column (found: {', '.join(map(str, frame.columns))})")
    if col_inbound is None and not brand_handles:
        check.add("no 'inbound' column to tell customers from the brand: name the brand's handles "
                  "(--brand on the command line, 'Brand handles' on the Data page)")
    check.raise_if_any()

    ids = text(frame[col_id])
    author = text(frame[col_author])
    when = mapping.parse_dates(frame[col_time])
    body = text(frame[col_text]) if col_text else pd.Series(None, index=frame.index, dtype=object)
    reply = text(frame[col_reply]) if col_reply else pd.Series(None, index=frame.index, dtype=object)
    reshare = text(frame[col_reshare]) if col_reshare else pd.Series(None, index=frame.index, dtype=object)
    check.flag(ids.isna(), col_id, lambda v: "a tweet id is required here")
    check.flag(author.isna(), col_author, lambda v: "an author is required here")
    check.flag(ids.notna() & ids.duplicated(keep="first"), col_id,
               lambda v: f"tweet id {v!r} appears twice", ids)
    raw_time = frame[col_time]
    filled = raw_time.notna() & raw_time.astype("str").str.strip().ne("")
    check.flag(~filled, col_time, lambda v: "a time is required here")
    check.flag(filled & when.isna(), col_time,
               lambda v: f"cannot read {str(v)!r} as a date (Twitter's 'Wed Oct 11 06:55:44 +0000 2017', "
                         "ISO 8601 or Unix epoch seconds/milliseconds)", raw_time)
    if col_inbound is not None:
        raw_in = frame[col_inbound]
        check.flag(mapping.bad_flags(raw_in), col_inbound,
                   lambda v: f"{str(v)!r} is not a true/false value ({mapping.FLAG_SPELLINGS})", raw_in)
        check.flag(raw_in.isna() | raw_in.astype("str").str.strip().eq(""), col_inbound,
                   lambda v: "inbound (True or False) is required here")
        inbound = mapping.parse_flags(raw_in).fillna(False).astype(bool)
    else:
        inbound = pd.Series(True, index=frame.index)
    check.raise_if_any()

    inbound &= ~author.str.lower().isin(brand_handles)
    # An author who wrote any non-inbound tweet is the brand.
    brand_authors = set(author[~inbound])
    inbound &= ~author.isin(brand_authors)

    tweets = pd.DataFrame({"id": ids, "author": author, "at": when, "text": body, "reply_to": reply,
                           "inbound": inbound})
    tweets["root"] = _roots(tweets, check)
    check.raise_if_any()
    tweets["time"] = mapping.date_text(tweets["at"])

    cols = {"post_id": col_id, "author_handle": col_author, "created_at": col_time, "text": col_text or "text",
            "reply_to": col_reply or "reply_to", "reshare_of": col_reshare or "reshare_of"}
    posts = pd.DataFrame({"post_id": tweets["id"], "platform": PLATFORM, "author_handle": tweets["author"],
                          "created_at": tweets["time"], "text": tweets["text"], "reply_to": tweets["reply_to"],
                          "reshare_of": reshare})

    customers_at = tweets.loc[tweets["inbound"], ["author"]].drop_duplicates("author")
    customers = pd.DataFrame({"customer_id": customers_at["author"]}, index=customers_at.index)
    identities = pd.DataFrame({"customer_id": customers_at["author"], "platform": PLATFORM,
                               "handle": customers_at["author"]}, index=customers_at.index)
    brand_at = tweets.loc[~tweets["inbound"], ["author"]].drop_duplicates("author")
    brands = pd.DataFrame({"platform": PLATFORM, "handle": brand_at["author"]}, index=brand_at.index)

    conv = _conversations(tweets)
    interactions = pd.DataFrame({
        "interaction_id": conv["id"], "customer_id": conv["customer"], "thread_id": conv["root"],
        "occurred_at": conv["time"], "channel": conv["channel"],
        "direction": np.where(conv["inbound"], "inbound", "outbound"), "kind": conv["kind"],
        "text": conv["text"], "account": conv["author"].where(~conv["inbound"], None)}, index=conv.index)

    by_author = {"customer_id": col_author, "handle": col_author}
    parts = [("customers", customers, by_author), ("identities", identities, by_author),
             ("brand_accounts", brands, by_author), ("posts", posts, cols),
             ("interactions", interactions, {"interaction_id": col_id, "occurred_at": col_time,
                                             "thread_id": col_reply or col_id, "customer_id": col_author})]
    opened = set(conv.loc[conv["kind"] == "inquiry", "root"])
    answered = set(conv.loc[~conv["inbound"], "root"])
    figures = {
        "customers": len(customers), "brand_accounts": len(brands), "tweets": len(tweets),
        "reply_links": int(tweets["reply_to"].notna().sum()),
        "conversations": len(opened),
        "unanswered_conversations": len(opened - answered),
        "handoffs_to_private": int((conv["kind"] == "handoff_private").sum()),
    }
    notes = []
    missing_parents = int((tweets["reply_to"].notna() & ~tweets["reply_to"].isin(set(tweets["id"]))).sum())
    if missing_parents:
        notes.append(f"{missing_parents:,} tweets answer a tweet that is not in the file; their thread is named "
                     "after that missing tweet.")
    return Built(parts, figures, notes)


def _roots(tweets: pd.DataFrame, check: Checker) -> pd.Series:
    """The root of each tweet's reply tree, by pointer doubling over the tweets in the file.

    A tweet whose parent is missing from the file has that parent's id as its root (so several
    replies to one missing tweet are one thread).
    """
    ids = tweets["id"]
    present = tweets["reply_to"].isin(set(ids))
    # anc: the highest known ancestor so far, as a position (or -1 once it leaves the file).
    pos_of = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    parent = np.where(present, pos_of.reindex(tweets["reply_to"].where(present)).to_numpy(dtype=float), -1)
    parent = np.nan_to_num(parent, nan=-1).astype(np.int64)
    anc = np.where(parent >= 0, parent, np.arange(len(ids)))
    for _ in range(64):
        nxt = anc[anc]
        if np.array_equal(nxt, anc):
            break
        anc = nxt
    # A true root answers nothing in the file; anything else found as a "root" sits on a loop.
    looped = np.flatnonzero(parent[anc] >= 0)
    if len(looped):
        check.add(f"reply links form a loop (tweet {ids.iloc[looped[0]]!r} answers a tweet that answers it, "
                  "directly or further up)", row=int(looped[0]) + check.offset)
        return ids
    top = tweets.iloc[anc]
    # The topmost tweet in the file: its missing parent (if any) names the thread, else itself.
    root = top["reply_to"].where(top["reply_to"].notna(), top["id"]).to_numpy()
    return pd.Series(root, index=tweets.index, dtype=object)


def _conversations(tweets: pd.DataFrame) -> pd.DataFrame:
    """The tweets of reply trees with at least one customer tweet, with customer, channel and kind."""
    has_customer = tweets.groupby("root")["inbound"].transform("any")
    conv = tweets[has_customer].copy()
    if conv.empty:
        return conv.assign(customer=[], channel=[], kind=[])
    conv = conv.sort_values(["root", "at", "id"], kind="stable")
    # The customer a brand tweet answers: the nearest inbound tweet above it (pointer walk, vectorised).
    by_id = conv.set_index("id")
    cust = conv["author"].where(conv["inbound"])
    up = conv["reply_to"]
    for _ in range(64):
        todo = cust.isna() & up.notna() & up.isin(by_id.index)
        if not todo.any():
            break
        parent_rows = by_id.loc[up[todo]]
        hit = parent_rows["inbound"].to_numpy()
        cust.loc[todo[todo].index[hit]] = parent_rows["author"].to_numpy()[hit]
        up.loc[todo] = parent_rows["reply_to"].to_numpy()
    first_customer = conv["author"].where(conv["inbound"]).groupby(conv["root"]).transform("first")
    conv["customer"] = cust.fillna(first_customer)
    conv["channel"] = np.where(conv["reply_to"].isna(), "post", "public_reply")
    opens = conv.groupby("root").cumcount().eq(0) & conv["inbound"]
    handoff = ~conv["inbound"] & is_handoff(conv["text"])
    conv["kind"] = np.select([opens, conv["inbound"], handoff], ["inquiry", "message", "handoff_private"], "reply")
    return conv.sort_index()
