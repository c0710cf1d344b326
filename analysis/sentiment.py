"""VADER sentiment, loaded offline: NLTK's analyser with the lexicon file that the
vaderSentiment package installs (NLTK's own download needs the network).

We use NLTK's implementation (not vaderSentiment's) everywhere; the two differ on
some texts with emoji or negation. Scores are the compound score in [-1, 1];
VADER's convention: >= 0.05 positive, <= -0.05 negative, neutral between.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable

import pandas as pd

POSITIVE = 0.05
NEGATIVE = -0.05


@functools.lru_cache(maxsize=1)
def analyzer():
    import nltk
    import vaderSentiment
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    folder = os.path.dirname(vaderSentiment.__file__)
    # nltk 3.10 only opens resources under its data path; the package folder is added.
    if folder not in nltk.data.path:
        nltk.data.path.append(folder)
    return SentimentIntensityAnalyzer(lexicon_file="file:" + os.path.join(folder, "vader_lexicon.txt"))


def score(text: str | None) -> float | None:
    """Compound score of one text, None for no text."""
    if text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip():
        return None
    return float(analyzer().polarity_scores(str(text))["compound"])


def score_texts(texts: Iterable[str | None], progress: Callable[[int, int], None] | None = None,
                chunk: int = 2000) -> tuple[list[float | None], int]:
    """Score a sequence of texts, each distinct text once.

    Returns (scores aligned with ``texts``, number of distinct texts scored).
    ``progress(done, total)`` counts distinct texts.
    """
    series = pd.Series(list(texts), dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    total = len(uniques)
    sia = analyzer()
    scored: list[float | None] = [None] * total
    for start in range(0, total, chunk):
        for i in range(start, min(start + chunk, total)):
            t = uniques[i]
            scored[i] = float(sia.polarity_scores(str(t))["compound"]) if str(t).strip() else None
        if progress:
            progress(min(start + chunk, total), total)
    if progress and total == 0:
        progress(0, 0)
    out = [scored[c] if c >= 0 else None for c in codes]
    return out, total


def label(compound: float | None) -> str:
    if compound is None or pd.isna(compound):
        return "none"
    if compound >= POSITIVE:
        return "positive"
    if compound <= NEGATIVE:
        return "negative"
    return "neutral"


def labels(scores: pd.Series) -> pd.Series:
    """Vectorised ``label`` for a Series of compound scores."""
    out = pd.Series("neutral", index=scores.index, dtype=object)
    out[scores >= POSITIVE] = "positive"
    out[scores <= NEGATIVE] = "negative"
    out[scores.isna()] = "none"
    return out
