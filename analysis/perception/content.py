"""The brand's public content: its messages (each once), their motives, the content mix and broadcast
against listening."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import memo, stats
from analysis.filters import Filters
from analysis.perception.gaps import CONFIDENCE
from analysis.perception.lexicon import OTHER, LexiconLike, as_lexicon, classify_messages
from analysis.store import aggregates
from analysis.store import perception as sp
from analysis.store.perception import MOTIVES


def once_each(messages: pd.DataFrame) -> pd.DataFrame:
    """The brand's public messages with each message once.

    A brand's public reply is often in the data twice: as a post by a brand account and as an outbound
    interaction on a public channel (the tweets format records every tweet of a conversation both ways).
    A post is the same message as an outbound public interaction when they have the same id (the
    tweets format gives both the tweet id), or the same text at the same time to the second (a hand
    conversion that numbered them apart). The interaction is kept, as a response when either record
    says it answers someone; the post is dropped. ``attrs["counted_once"]`` holds how many posts were.
    """
    out = messages
    if len(messages):
        inter = messages["source"].to_numpy() == "interaction"
        post = messages["source"].to_numpy() == "post"
        text = messages["text"].astype(object)
        has_text = text.notna().to_numpy()
        # Set membership by hashing each value once (factorize), not through Python sets of strings:
        # a wide date range holds some 150k messages (0.9 s with ``isin`` of a set, 0.05 s so).
        id_code = pd.factorize(messages["message_id"].astype(str))[0]
        second = messages["at"].astype(str).str.slice(0, 19).str.replace("T", " ", regex=False)
        pair_code = _pair_codes(text.where(text.notna(), ""), second)
        same_id = _member(id_code, inter)
        same_words = _member(pair_code, inter & has_text) & has_text
        dup = post & (same_id | same_words)
        if dup.any():
            # A duplicate post that answers someone makes its interaction a response too.
            answering = dup & (messages["mode"].to_numpy() == "response")
            lift = inter & (_member(id_code, answering) | (_member(pair_code, answering) & has_text))
            out = messages.copy()
            out.loc[lift, "mode"] = "response"
            out = out[~dup].reset_index(drop=True)
    out.attrs["counted_once"] = int(len(messages) - len(out))
    return out


def _pair_codes(a: pd.Series, b: pd.Series) -> np.ndarray:
    """One integer per distinct (a, b) pair of values."""
    ca, _ = pd.factorize(a)
    cb, ub = pd.factorize(b)
    # Room for every code of ``b`` (not of ``a``): with more distinct times than texts, pairs collided.
    return pd.factorize(ca.astype(np.int64) * (len(ub) + 1) + cb)[0]


def _member(codes: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Whether each row's code is the code of some row where ``among`` holds."""
    seen = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=bool)
    seen[codes[among]] = True
    return seen[codes]


def _public_messages(db: sqlite_utils.Database, filters: Filters | None) -> pd.DataFrame:
    """``brand_public_messages`` under ``filters`` with each message once (``once_each``), the filters
    applied in memory to every message read once per data version (``kept_public_messages``).

    The same rules as the query's: an interaction is chosen by its time and its customer's segment
    and region, a brand post by its time and platform. In SQL, a date range made SQLite walk the
    time index over every interaction in the range (seconds on a million interactions), and a
    segment cost a scan per filter change (0.8 s).
    """
    f = filters or Filters()
    msgs = kept_public_messages(db)
    if f != Filters():
        keep = f.frame_mask(msgs, date="at", platform=False, customer=False)
        inter = (msgs["source"] == "interaction").to_numpy()
        if f.segments:
            keep &= ~inter | msgs["segment"].isin(f.segments).to_numpy()
        if f.regions:
            keep &= ~inter | msgs["region"].isin(f.regions).to_numpy()
        if f.platforms:
            keep &= inter | msgs["place"].isin(f.platforms).to_numpy()
        msgs = msgs[keep]
    return once_each(msgs[list(sp.MESSAGE_COLUMNS)].reset_index(drop=True))


def kept_public_messages(db: sqlite_utils.Database) -> pd.DataFrame:
    """Every public message of the brand with its customer's segment and region, read once per data
    version: kept in the database (the channels' publicness, a setting, decides which are public, so
    per data version rather than rows version) and in this process."""
    def load():
        return aggregates.memo(db, "perception.brand_public_messages",
                               lambda: sp.brand_public_messages(db, Filters(), customer_columns=True), settings=True)
    return memo.kept(db, "perception.brand_public_messages", load, settings=True)


def brand_messages(db: sqlite_utils.Database, filters: Filters | None = None,
                   lexicon: LexiconLike | None = None) -> pd.DataFrame:
    """The brand's public messages (see ``analysis.store.perception.brand_public_messages``) with a motive.

    Columns: source, message_id, at, place, kind, text, mode ('broadcast'|'response'), motive.
    ``lexicon`` defaults to the stored one.
    """
    msgs = _public_messages(db, filters)
    lex = as_lexicon(lexicon if lexicon is not None else sp.lexicon(db))
    msgs["motive"] = _classify_memo(msgs["text"], lex) if len(msgs) else pd.Series(dtype=object)
    return msgs


# The brand repeats itself, and a new filter mostly brings back texts already classified: each distinct
# text's motive is remembered per lexicon (a pure function of both).
def _classify_memo(texts: pd.Series, lex: dict[str, list[str]]) -> np.ndarray:
    key = tuple((m, tuple(kws)) for m, kws in lex.items())
    filled = texts.astype(object).where(texts.notna(), "")
    codes, uniques = pd.factorize(filled, use_na_sentinel=False)
    uniques = [str(u) for u in uniques]
    motives = memo.per_text("perception.motive", key, uniques,
                            lambda new: classify_messages(pd.Series(new, dtype=object), lex).tolist())
    return np.asarray([motives[u] for u in uniques], dtype=object)[codes]


def content_mix(messages: pd.DataFrame, motives: Iterable[str] | None = None) -> pd.DataFrame:
    """Counts per motive from classified messages: motive, messages, share (of all messages, 'other'
    included), broadcasts, responses. Every motive in ``motives`` (default: the twelve) appears, then 'other'."""
    order = list(dict.fromkeys(list(motives if motives is not None else MOTIVES)))
    found = messages["motive"].dropna().unique().tolist() if len(messages) else []  # distinct first: no per-row loop
    extra = sorted(set(found) - set(order) - {OTHER})
    order = order + extra + [OTHER]
    if len(messages):
        mode = messages["mode"] if "mode" in messages else pd.Series("broadcast", index=messages.index)
        counts = pd.crosstab(messages["motive"], mode)
    else:
        counts = pd.DataFrame()
    counts = counts.reindex(index=order, columns=["broadcast", "response"], fill_value=0).fillna(0).astype("int64")
    out = pd.DataFrame({"motive": order, "broadcasts": counts["broadcast"].to_numpy(),
                        "responses": counts["response"].to_numpy()})
    out["messages"] = out["broadcasts"] + out["responses"]
    total = out["messages"].sum()
    out["share"] = out["messages"] / total if total else np.nan
    return out[["motive", "messages", "share", "broadcasts", "responses"]]


def brand_content_mix(db: sqlite_utils.Database, filters: Filters | None = None,
                      lexicon: LexiconLike | None = None) -> pd.DataFrame:
    """The brand's public content mix over motives: ``content_mix(brand_messages(db, filters, lexicon))``."""
    lex = as_lexicon(lexicon if lexicon is not None else sp.lexicon(db))
    return content_mix(brand_messages(db, filters, lex), motives=list(lex))


def broadcast_vs_listen(db: sqlite_utils.Database | None = None, filters: Filters | None = None,
                        messages: pd.DataFrame | None = None, confidence: float = CONFIDENCE) -> dict:
    """How much of the brand's public voice is broadcast rather than response.

    Pass ``messages`` (from ``brand_messages``) to avoid a second query. Returns a dict: total,
    broadcast, response, broadcast_share, broadcast_lo, broadcast_hi (Wilson), by_source
    (DataFrame: source, broadcast, response, total, broadcast_share) and reading.
    """
    if messages is None:
        if db is None:
            raise ValueError("give a database or the messages")
        messages = _public_messages(db, filters)
    total = len(messages)
    broadcast = int((messages["mode"] == "broadcast").sum()) if total else 0
    response = total - broadcast
    lo, hi = stats.wilson_interval(broadcast, total, confidence)
    share = broadcast / total if total else math.nan
    if total:
        by = pd.crosstab(messages["source"], messages["mode"]).reindex(columns=["broadcast", "response"],
                                                                         fill_value=0)
        by = by.rename_axis(None, axis=1).reset_index()
        by["total"] = by["broadcast"] + by["response"]
        by["broadcast_share"] = by["broadcast"] / by["total"]
    else:
        by = pd.DataFrame(columns=["source", "broadcast", "response", "total", "broadcast_share"])
    if not total:
        reading = "No public messages from the brand under these filters."
    else:
        reading = (f"Of the brand's {total:,} public messages, {share:.0%} ({confidence:.0%} CI {lo:.0%} to "
                   f"{hi:.0%}) are broadcasts and {1 - share:.0%} answer someone. ")
        if share >= 0.75:
            reading += ("A voice that mostly broadcasts treats social channels as one more marketing channel; "
                        "consumers come to them to connect and to get something of value, and notice who listens.")
        elif share >= 0.5:
            reading += "Broadcasting still outweighs listening."
        else:
            reading += "Most of the brand's public voice is responding rather than broadcasting."
    return {"total": total, "broadcast": broadcast, "response": response, "broadcast_share": share,
            "broadcast_lo": lo, "broadcast_hi": hi, "by_source": by, "reading": reading,
            "counted_once": int(messages.attrs.get("counted_once", 0))}


def brand_content(db: sqlite_utils.Database, filters: Filters | None = None,
                  lexicon: LexiconLike | None = None) -> tuple[pd.DataFrame, dict]:
    """``(brand_content_mix(...), broadcast_vs_listen(...))`` from one read of the brand's messages.

    The page needs both; reading the messages once halves the work on a large database.
    """
    lex = as_lexicon(lexicon if lexicon is not None else sp.lexicon(db))
    msgs = brand_messages(db, filters, lex)
    return content_mix(msgs, motives=list(lex)), broadcast_vs_listen(messages=msgs)
