"""The motive lexicon: editable keywords per motive, and messages classified into motives with it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import sqlite_utils

from analysis.store import perception as sp
from analysis.store.perception import DEFAULT_LEXICON

OTHER = "other"

LexiconLike = Mapping[str, Iterable[str]] | pd.DataFrame


def lexicon_frame(db: sqlite_utils.Database) -> pd.DataFrame:
    """The stored lexicon (motive, keyword), seeded with DEFAULT_LEXICON the first time."""
    return sp.lexicon(db)


def lexicon_dict(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """The stored lexicon as {motive: [keywords]} in the IBM consumer motive order."""
    return as_lexicon(sp.lexicon(db))


def add_keywords(db: sqlite_utils.Database, motive: str, keywords: Iterable[str] | str) -> int:
    return sp.add_keywords(db, motive, keywords)


def remove_keywords(db: sqlite_utils.Database, motive: str, keywords: Iterable[str] | str | None = None) -> int:
    return sp.remove_keywords(db, motive, keywords)


def replace_lexicon(db: sqlite_utils.Database, new: LexiconLike) -> int:
    return sp.replace_lexicon(db, new)


def reset_lexicon(db: sqlite_utils.Database) -> int:
    return sp.reset_lexicon(db)


def as_lexicon(lexicon: LexiconLike | None) -> dict[str, list[str]]:
    if lexicon is None:
        lexicon = DEFAULT_LEXICON
    if isinstance(lexicon, pd.DataFrame):
        out: dict[str, list[str]] = {}
        for m, k in zip(lexicon["motive"], lexicon["keyword"]):
            out.setdefault(str(m), []).append(str(k))
        return out
    return {str(m): ([kws] if isinstance(kws, str) else [str(k) for k in kws]) for m, kws in lexicon.items()}


def keyword_pattern(keyword: str) -> str:
    """The regular expression one keyword matches (used with re.IGNORECASE).

    Whole words: no letter or digit may touch a keyword edge that is itself a letter or digit
    ("sale" does not match "wholesale", "% off" matches "20% off"); any run of whitespace matches a
    space; a final word of three or more letters may carry a plural "s" or "es" ("coupons").
    """
    k = " ".join(str(keyword).lower().split())
    if not k:
        raise ValueError("empty keyword")
    body = r"\s+".join(re.escape(w) for w in k.split(" "))
    last = k.split(" ")[-1]
    if len(last) >= 3 and last[-3:].isalpha():
        body += "(?:e?s)?"
    pre = r"(?<!\w)" if (k[0].isalnum() or k[0] == "_") else ""
    post = r"(?!\w)" if (k[-1].isalnum() or k[-1] == "_") else ""
    return pre + body + post


def _motive_regex(keywords: list[str]) -> str | None:
    kws = sorted({" ".join(k.lower().split()) for k in keywords if str(k).strip()}, key=len, reverse=True)
    return "|".join(f"(?:{keyword_pattern(k)})" for k in kws) if kws else None


def _literal(text: str) -> str:
    # Escapes only the metacharacters RE2 and Python's re share, so the pattern means the same in both.
    return "".join("\\" + ch if ch in "\\.^$|?*+()[]{}" else ch for ch in text)


def _normalised_keywords(keywords: list[str]) -> set[str]:
    return {" ".join(str(k).lower().split()) for k in keywords if str(k).strip()}


def keyword_hits(texts: Iterable[str | None] | pd.Series, lexicon: LexiconLike | None = None) -> pd.DataFrame:
    """Keyword matches per text and motive (non-overlapping counts); index follows ``texts``.

    Each distinct text is matched once; the loop runs over motives, not rows.
    """
    s = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    lex = as_lexicon(lexicon)
    codes, uniques = pd.factorize(s.astype(object).where(s.notna(), ""), use_na_sentinel=False)
    u = pd.Series(uniques, dtype=object).astype(str)
    # The alternation regexes cost tens of microseconds per text, so a substring test picks the
    # candidates first: with whitespace runs collapsed to one space (re's \s and str.split agree on
    # what whitespace is) every match contains its keyword. That holds exactly for ASCII text and
    # ASCII keywords, where lower() is the only case folding; re.IGNORECASE also pairs some ASCII
    # letters with non-ASCII ones (Kelvin sign, dotless i, long s), so non-ASCII texts always go
    # to the regex and a motive with a non-ASCII keyword skips the shortcut.
    flat = pd.Series([" ".join(t.lower().split()) for t in u], dtype="string", index=u.index)
    non_ascii = np.fromiter((not t.isascii() for t in u), dtype=bool, count=len(u))
    cols = {}
    for motive, kws in lex.items():
        rx = _motive_regex(kws)
        counts = np.zeros(len(u), dtype="int64")
        if rx and len(u):
            words = _normalised_keywords(kws)
            if all(w.isascii() for w in words):
                # One alternation of literals per motive: a linear-time scan in Arrow's RE2.
                literal = "|".join(_literal(w) for w in sorted(words))
                cand = non_ascii | flat.str.contains(literal, regex=True).to_numpy(dtype=bool, na_value=False)
            else:
                cand = np.ones(len(u), dtype=bool)
            if cand.any():
                counts[cand] = u[cand].str.count(rx, flags=re.IGNORECASE).to_numpy(dtype="int64")
        cols[motive] = counts
    hits = pd.DataFrame(cols, index=range(len(u)), columns=list(lex))
    return pd.DataFrame(hits.to_numpy()[codes] if len(s) else np.zeros((0, len(lex)), dtype="int64"),
                        index=s.index, columns=list(lex))


def classify_messages(texts: Iterable[str | None] | pd.Series, lexicon: LexiconLike | None = None) -> pd.Series:
    """The motive of each text: the motive with the most keyword hits; ties go to the motive listed
    first in the lexicon (the IBM consumer order for the default); 'other' when nothing matches.

    Returns a Series named 'motive' with the index of ``texts``.
    """
    hits = keyword_hits(texts, lexicon)
    if hits.shape[1] == 0:
        return pd.Series(OTHER, index=hits.index, name="motive", dtype=object)
    arr = hits.to_numpy()
    best = arr.argmax(axis=1)
    labels = np.asarray(hits.columns, dtype=object)[best]
    labels = np.where(arr.max(axis=1) > 0, labels, OTHER)
    return pd.Series(labels, index=hits.index, name="motive", dtype=object)
