"""The brand's public content: its messages (each once), their motives, the content mix and broadcast
against listening."""

from __future__ import annotations

import hashlib
import json
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
        c = _message_codes(messages)
        dup, lift = _twins(c["inter"], c["post"], c["has_text"], c["id_code"], c["pair_code"],
                           messages["mode"].to_numpy() == "response")
        if dup.any():
            out = messages.copy()
            out.loc[lift, "mode"] = "response"
            out = out[~dup].reset_index(drop=True)
    out.attrs["counted_once"] = int(len(messages) - len(out))
    return out


def _message_codes(messages: pd.DataFrame) -> dict[str, np.ndarray]:
    """What ``once_each`` compares, as integers: each message's id and (text, second) pair coded, and
    whether it is an interaction, a post, and has a text."""
    text = messages["text"].astype(object)
    # Set membership by hashing each value once (factorize), not through Python sets of strings:
    # a wide date range holds some 150k messages (0.9 s with ``isin`` of a set, 0.05 s so).
    second = messages["at"].astype(str).str.slice(0, 19).str.replace("T", " ", regex=False)
    return {"inter": messages["source"].to_numpy() == "interaction", "post": messages["source"].to_numpy() == "post",
            "has_text": text.notna().to_numpy(), "id_code": pd.factorize(messages["message_id"].astype(str))[0],
            "pair_code": _pair_codes(text.where(text.notna(), ""), second)}


def _twins(inter: np.ndarray, post: np.ndarray, has_text: np.ndarray, id_code: np.ndarray, pair_code: np.ndarray,
           response: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(posts that repeat an interaction among these rows, interactions that become responses because a
    post repeating them answers someone): ``once_each``'s rule on coded rows."""
    same_id = _member(id_code, inter)
    same_words = _member(pair_code, inter & has_text) & has_text
    dup = post & (same_id | same_words)
    if not dup.any():
        return dup, np.zeros(len(dup), dtype=bool)
    answering = dup & response
    lift = inter & (_member(id_code, answering) | (_member(pair_code, answering) & has_text))
    return dup, lift


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
    return _view(db, filters)[0]


def _view(db: sqlite_utils.Database, filters: Filters | None) -> tuple[pd.DataFrame, np.ndarray]:
    """``_public_messages`` and each of its rows' text code (into ``_indexed(db)["texts"]``).

    Which posts repeat an interaction is decided among the rows in view (a post whose twin interaction
    a segment leaves out stays, as in the query), on integer codes made once per data version: the
    hashing of ids, texts and times (2.5 s of CPU over the 1.4M messages of 10M interactions) is not
    repeated per filter."""
    f = filters or Filters()
    ix = _indexed(db)
    msgs = ix["messages"]
    keep = None
    if f != Filters():
        keep = f.frame_mask(msgs, date="at", platform=False, customer=False)
        inter = ix["inter"]
        if f.segments:
            keep &= ~inter | msgs["segment"].isin(f.segments).to_numpy()
        if f.regions:
            keep &= ~inter | msgs["region"].isin(f.regions).to_numpy()
        if f.platforms:
            keep &= inter | msgs["place"].isin(f.platforms).to_numpy()

    def rows(a: np.ndarray) -> np.ndarray:
        return a if keep is None else a[keep]
    mode = rows(ix["response"])
    dup, lift = _twins(rows(ix["inter"]), rows(ix["post"]), rows(ix["has_text"]), rows(ix["id_code"]),
                       rows(ix["pair_code"]), mode)
    out = msgs[list(sp.MESSAGE_COLUMNS)]
    if keep is not None:
        out = out[keep]
    out = out[~dup].reset_index(drop=True)
    if lift.any():
        out.loc[lift[~dup], "mode"] = "response"
    out.attrs["counted_once"] = int(dup.sum())
    return out, rows(ix["text_code"])[~dup]


_CODE_COLUMNS = ("inter", "post", "has_text", "id_code", "pair_code", "text_code")


def _indexed(db: sqlite_utils.Database) -> dict:
    """The kept messages with ``once_each``'s codes and each distinct text coded, once per data version
    in this process; the codes are kept in the database too (hashing 815,000 messages' ids, texts and
    times cost 4 s of CPU at 10M interactions on every cold start)."""
    def codes_of(msgs: pd.DataFrame) -> pd.DataFrame:
        text = msgs["text"].astype(object)
        text_code, _ = pd.factorize(text.where(text.notna(), ""), use_na_sentinel=False)
        c = _message_codes(msgs) if len(msgs) else {k: np.zeros(0, dtype=np.int64) for k in _CODE_COLUMNS}
        return pd.DataFrame({**{k: c[k] for k in _CODE_COLUMNS[:5]}, "text_code": text_code})

    def texts_of(msgs: pd.DataFrame) -> pd.DataFrame:
        text = msgs["text"].astype(object)
        _, texts = pd.factorize(text.where(text.notna(), ""), use_na_sentinel=False)
        return pd.DataFrame({"text": pd.Series([str(t) for t in texts], dtype=object)})

    def load() -> dict:
        msgs = _read_public_messages(db)
        codes = aggregates.memo(db, "perception.message_codes", lambda: codes_of(msgs), settings=True)
        texts = aggregates.memo(db, "perception.message_texts", lambda: texts_of(msgs), settings=True)
        if len(codes) != len(msgs):  # kept by another build of the same version (never expected): recode
            codes, texts = codes_of(msgs), texts_of(msgs)
        out = {k: codes[k].to_numpy(dtype=bool if k in ("inter", "post", "has_text") else np.int64)
               for k in _CODE_COLUMNS}
        return {"messages": msgs, **out, "response": msgs["mode"].to_numpy() == "response" if len(msgs)
                else np.zeros(0, dtype=bool), "texts": texts["text"].astype(object).tolist()}
    return memo.kept(db, "perception.indexed_messages", load, settings=True)


def kept_public_messages(db: sqlite_utils.Database) -> pd.DataFrame:
    """Every public message of the brand with its customer's segment and region, read once per data
    version: kept in the database (the channels' publicness, a setting, decides which are public, so
    per data version rather than rows version) and in this process (with its codes, ``_indexed``)."""
    return _indexed(db)["messages"]


def _read_public_messages(db: sqlite_utils.Database) -> pd.DataFrame:
    return aggregates.memo(db, "perception.brand_public_messages",
                           lambda: sp.brand_public_messages(db, Filters(), customer_columns=True), settings=True)


def brand_messages(db: sqlite_utils.Database, filters: Filters | None = None,
                   lexicon: LexiconLike | None = None) -> pd.DataFrame:
    """The brand's public messages (see ``analysis.store.perception.brand_public_messages``) with a motive.

    Columns: source, message_id, at, place, kind, text, mode ('broadcast'|'response'), motive.
    ``lexicon`` defaults to the stored one.
    """
    msgs, text_code = _view(db, filters)
    lex = as_lexicon(lexicon if lexicon is not None else sp.lexicon(db))
    msgs["motive"] = _motives(db, lex)[text_code] if len(msgs) else pd.Series(dtype=object)
    return msgs


def _motives(db: sqlite_utils.Database, lex: dict[str, list[str]]) -> np.ndarray:
    """The motive of each distinct text of the kept messages (``_indexed(db)["texts"]``) under ``lex``,
    once per data version and lexicon in this process."""
    key = tuple((m, tuple(kws)) for m, kws in lex.items())
    texts = _indexed(db)["texts"]
    # Kept in the database per lexicon too: classifying 52,000 distinct texts is 5 s of CPU at 10M.
    name = "perception.motives." + hashlib.sha1(json.dumps(key).encode()).hexdigest()[:16]

    def classify() -> pd.DataFrame:
        return pd.DataFrame({"motive": pd.Series(_classify_memo(pd.Series(texts, dtype=object), lex), dtype=object)})

    def load() -> np.ndarray:
        kept = aggregates.memo(db, name, classify, settings=True)
        if len(kept) != len(texts):
            kept = classify()
        return kept["motive"].astype(object).to_numpy(dtype=object)
    return memo.kept(db, "perception.motives", load, (key,), settings=True)


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
