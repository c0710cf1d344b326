"""The domain lexicon: customer-service words and phrases with VADER valences that add to or
override VADER's own lexicon; shipped as data/sentiment_lexicon.csv, edited in the app."""

from __future__ import annotations

import functools
import math

import pandas as pd
import sqlite_utils

from analysis import sentiment
from analysis.store import PROJECT_ROOT
from analysis.store import sentiment as q

STARTER_FILE = PROJECT_ROOT / "data" / "sentiment_lexicon.csv"
COLUMNS = ("term", "valence", "source", "note")
# VADER's own valences lie between -4 (most negative) and +4.
VALENCE_RANGE = (-4.0, 4.0)


class LexiconError(ValueError):
    """A lexicon row that cannot be used; the message names the row and column."""


@functools.lru_cache(maxsize=1)
def _starter() -> pd.DataFrame:
    return validate(pd.read_csv(STARTER_FILE, dtype={"term": str, "source": str, "note": str}),
                    where=STARTER_FILE.name)


def starter() -> pd.DataFrame:
    """The shipped starter list (term, valence, source, note)."""
    return _starter().copy()


def validate(frame: pd.DataFrame, where: str = "the lexicon") -> pd.DataFrame:
    """Clean rows: terms lower-cased with single spaces, valences numbers in VADER's range,
    no term twice. Empty rows (no term, no valence) are dropped. Raises ``LexiconError``
    naming the row (1 = first data row) and column."""
    missing = [c for c in ("term", "valence") if c not in frame.columns]
    if missing:
        raise LexiconError(f"{where}: column {missing[0]!r} is missing")
    out = pd.DataFrame({c: (frame[c] if c in frame.columns else None) for c in COLUMNS}).astype(object)
    keep, seen = [], {}
    for i, row in enumerate(out.itertuples(index=False), start=1):
        term = "" if row.term is None or (isinstance(row.term, float) and math.isnan(row.term)) else \
            sentiment.normalise_term(row.term)
        empty_valence = row.valence is None or (isinstance(row.valence, float) and math.isnan(row.valence))
        if not term and empty_valence:
            continue
        if not term:
            raise LexiconError(f"{where}, row {i}, column 'term': a valence without a word or phrase")
        try:
            valence = float(row.valence)
        except (TypeError, ValueError):
            raise LexiconError(f"{where}, row {i}, column 'valence': {row.valence!r} is not a number") from None
        if math.isnan(valence):
            raise LexiconError(f"{where}, row {i}, column 'valence': '{term}' has no valence")
        if not VALENCE_RANGE[0] <= valence <= VALENCE_RANGE[1]:
            raise LexiconError(f"{where}, row {i}, column 'valence': {valence:g} is outside VADER's range "
                               f"{VALENCE_RANGE[0]:g} to {VALENCE_RANGE[1]:+g}")
        if term in seen:
            raise LexiconError(f"{where}, row {i}, column 'term': '{term}' is already on row {seen[term]}")
        seen[term] = i
        text = [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip() or None
                for v in (row.source, row.note)]
        keep.append((term, valence, *text))
    return pd.DataFrame(keep, columns=list(COLUMNS)).astype({"valence": float})


def entries(frame: pd.DataFrame) -> tuple[tuple[str, float], ...]:
    return tuple(zip(frame["term"].astype(str), frame["valence"].astype(float)))


def load(db: sqlite_utils.Database) -> pd.DataFrame:
    """The lexicon in use: the saved one, else the starter list."""
    saved = q.lexicon(db)
    return starter() if saved is None else saved


def is_saved(db: sqlite_utils.Database) -> bool:
    """Whether someone saved a lexicon (else the starter list applies)."""
    return q.get_meta(db, q.LEXICON_SEEDED) is not None


def save(db: sqlite_utils.Database, frame: pd.DataFrame) -> pd.DataFrame:
    """Validate and store an edited lexicon (all or nothing). Scores change only when the
    posts are rescored (``scoring.rescore``)."""
    clean = validate(frame)
    with db.atomic():
        q.save_lexicon(db, clean)
    return clean


def differs_from_vader(frame: pd.DataFrame) -> pd.DataFrame:
    """Each entry beside VADER's own valence for the same word (None: VADER does not know it)."""
    lex = sentiment.analyzer().lexicon
    out = frame.copy()
    out["vader"] = [lex.get(t) if not sentiment.is_phrase(t) else None for t in out["term"]]
    return out
