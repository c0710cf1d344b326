"""VADER sentiment, loaded offline, with emoji read as words and a domain lexicon.

The engine is NLTK's VADER with the lexicon file the vaderSentiment package installs
(NLTK's own download needs the network). Two steps of VADER's reference implementation
(vaderSentiment 3.3) that NLTK's lacks are added before scoring:
- each emoji is replaced by its words from ``emoji_utf8_lexicon.txt`` (shipped in the
  vaderSentiment package), exactly as the reference does: "😩" becomes "weary face";
- a domain lexicon (words and multi-word phrases with valences on VADER's -4..+4 scale)
  adds to or overrides VADER's words. A phrase ("stopped working") is replaced by one
  placeholder token carrying its valence, so VADER's negation and booster rules still
  apply around it ("never stopped working" is negated like a single word).
Emoticons (":)", ":(", ":/") are in VADER's own lexicon and count already.

Scores are the compound score in [-1, 1]; VADER's convention: >= 0.05 positive,
<= -0.05 negative, neutral between.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

POSITIVE = 0.05
NEGATIVE = -0.05
# Distinct texts above which scoring is spread over worker processes: starting a worker
# (spawned, so safe under Streamlit's threads) costs about a second, VADER scores ~10k texts/s.
PARALLEL_MIN = 40_000


def package_folder() -> str:
    import vaderSentiment

    return os.path.dirname(vaderSentiment.__file__)


@functools.lru_cache(maxsize=1)
def _fast_sentitext() -> None:
    """Give NLTK's VADER a faster tokeniser with the same output.

    NLTK's ``SentiText`` builds, for every text, two dictionaries of every word joined with
    every punctuation mark (17 x words entries) only to strip one leading or trailing mark; that
    is two thirds of VADER's time. A token maps to a word only when it is that word plus a mark
    from ``PUNC_LIST``, and a word holds no punctuation, so the split is unique: strip the run of
    punctuation at the end (else the start) and look both halves up. Same tokens, about three
    times faster (tests/test_sentiment_scorer.py compares both on the VADER tweets).
    """
    import string

    import nltk.sentiment.vader as vader

    if getattr(vader.SentiText, "_continuum_fast", False):
        return
    punct = string.punctuation

    class FastSentiText(vader.SentiText):
        _continuum_fast = True

        def _words_and_emoticons(self):
            marks = set(self.PUNC_LIST)
            words = {w for w in self.REGEX_REMOVE_PUNCTUATION.sub("", self.text).split() if len(w) > 1}
            out = []
            for we in self.text.split():
                if len(we) <= 1:
                    continue
                end = we.rstrip(punct)
                if end != we and we[len(end):] in marks and end in words:
                    we = end
                else:
                    start = we.lstrip(punct)
                    if start != we and we[:len(we) - len(start)] in marks and start in words:
                        we = start
                out.append(we)
            return out

    vader.OriginalSentiText = vader.SentiText
    vader.SentiText = FastSentiText


@functools.lru_cache(maxsize=1)
def analyzer():
    """NLTK's VADER with VADER's own lexicon only (no emoji, no domain words)."""
    import nltk
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    _fast_sentitext()

    folder = package_folder()
    # nltk 3.10 only opens resources under its data path; the package folder is added.
    if folder not in nltk.data.path:
        nltk.data.path.append(folder)
    return SentimentIntensityAnalyzer(lexicon_file="file:" + os.path.join(folder, "vader_lexicon.txt"))


@functools.lru_cache(maxsize=1)
def emoji_words() -> dict[str, str]:
    """Emoji -> words, from the vaderSentiment package's ``emoji_utf8_lexicon.txt``."""
    out: dict[str, str] = {}
    with open(os.path.join(package_folder(), "emoji_utf8_lexicon.txt"), encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and parts[0]:
                out[parts[0]] = parts[1]
    return out


def describe_emoji(text: str) -> str:
    """Emoji replaced by their words, character by character as vaderSentiment 3.3 does
    (a space before a description unless one is there; none added after it)."""
    if text.isascii():  # the common case: nothing to look up
        return text
    words = emoji_words()
    if not any(ch in words for ch in text):
        return text
    out: list[str] = []
    prev_space = True
    for ch in text:
        description = words.get(ch)
        if description is not None:
            if not prev_space:
                out.append(" ")
            out.append(description)
            prev_space = False
        else:
            out.append(ch)
            prev_space = ch == " "
    return "".join(out).strip()


_WORD = re.compile(r"^[a-z][a-z'\-]*$")


def normalise_term(term: str) -> str:
    """How a lexicon entry is matched: lower case, single spaces."""
    return " ".join(str(term).lower().split())


def is_phrase(term: str) -> bool:
    """Entries VADER's tokeniser cannot look up as one word are matched as phrases."""
    return not _WORD.match(normalise_term(term))


@dataclass(frozen=True)
class Scorer:
    """VADER plus emoji words plus ``entries`` ((term, valence) pairs of a domain lexicon).

    ``spec()`` is plain JSON-able data, so a worker process can rebuild the same scorer.
    """

    entries: tuple[tuple[str, float], ...] = ()
    emoji: bool = True
    name: str = "lexicon"

    def spec(self) -> dict:
        return {"kind": "lexicon", "entries": [list(e) for e in self.entries], "emoji": self.emoji,
                "name": self.name}

    @functools.cached_property
    def _engine(self):
        from nltk.sentiment.vader import SentimentIntensityAnalyzer

        base = analyzer()
        sia = SentimentIntensityAnalyzer.__new__(SentimentIntensityAnalyzer)
        sia.lexicon_file, sia.constants = base.lexicon_file, base.constants
        sia.lexicon = dict(base.lexicon)
        phrases: dict[str, str] = {}
        for i, (term, valence) in enumerate(self.entries):
            key = normalise_term(term)
            if not key:
                continue
            # A valence of 0 means "no sentiment": the word is taken out of the lexicon, because
            # VADER would still add a preceding booster's increment to a listed word of 0 valence.
            if is_phrase(key):
                # Letters and digits only: VADER's tokeniser keeps such a token whole and strips
                # punctuation next to it ("zzphrase3." is found as "zzphrase3").
                token = f"zzphrase{i}"
                phrases[key] = token
                if float(valence) != 0.0:
                    sia.lexicon[token] = float(valence)
            elif float(valence) != 0.0:
                sia.lexicon[key] = float(valence)
            else:
                sia.lexicon.pop(key, None)
        pattern = None
        if phrases:
            alternatives = sorted(phrases, key=len, reverse=True)
            pattern = re.compile(r"(?<![\w'])(" + "|".join(r"\s+".join(map(re.escape, k.split()))
                                                           for k in alternatives) + r")(?![\w'])", re.IGNORECASE)
        return sia, pattern, phrases

    def prepare(self, text: str) -> str:
        """The text VADER reads: emoji as words, phrases as their tokens."""
        if self.emoji:
            text = describe_emoji(text)
        _, pattern, phrases = self._engine
        if pattern is not None:
            text = pattern.sub(lambda m: " " + phrases[normalise_term(m.group(0))] + " ", text)
        return text

    def score(self, text) -> float | None:
        if text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip():
            return None
        return float(self._engine[0].polarity_scores(self.prepare(str(text)))["compound"])

    def score_many(self, texts: Sequence) -> list[float | None]:
        return [self.score(t) for t in texts]


PLAIN = Scorer(emoji=False, name="plain VADER")


def scorer_from_spec(spec: dict):
    """A scorer rebuilt from ``spec()`` data (lexicon scorer, or a trained model)."""
    if spec.get("kind") == "model":
        from analysis import sentiment_model

        return sentiment_model.ModelScorer.from_spec(spec)
    return Scorer(entries=tuple((str(t), float(v)) for t, v in spec.get("entries", [])),
                  emoji=bool(spec.get("emoji", True)), name=str(spec.get("name", "lexicon")))


@functools.lru_cache(maxsize=1)
def default_scorer() -> Scorer:
    """What ships: VADER, emoji words and the starter domain lexicon (data/sentiment_lexicon.csv)."""
    from analysis import sentiment_lexicon

    return Scorer(entries=sentiment_lexicon.entries(sentiment_lexicon.starter()))


def score(text: str | None, scorer=None) -> float | None:
    """Compound score of one text, None for no text."""
    return (scorer or default_scorer()).score(text)


# -- many texts, each distinct text once -------------------------------------------------------

_WORKER = None


@contextlib.contextmanager
def _main_script_hidden():
    """A spawned worker re-runs the parent's main script unless that has no file: under Streamlit
    or AppTest the script is app.py, which must not run again in a scoring worker. The workers
    need only ``analysis`` (importable from the inherited ``sys.path``)."""
    main = sys.modules.get("__main__")
    saved = {k: getattr(main, k) for k in ("__file__", "__spec__") if main is not None and hasattr(main, k)}
    try:
        if main is not None:
            main.__spec__ = None
            if hasattr(main, "__file__"):
                del main.__file__
        yield
    finally:
        for k, v in saved.items():
            setattr(main, k, v)


def _init_worker(spec: dict) -> None:
    global _WORKER
    _WORKER = scorer_from_spec(spec)


def _score_chunk(texts: list) -> list:
    return _WORKER.score_many(texts)


def score_distinct(uniques: Sequence, progress: Callable[[int, int], None] | None = None,
                   scorer=None, chunk: int = 2000, workers: int | None = None) -> list[float | None]:
    """Scores of ``uniques`` (already distinct), in order. With many texts, ``workers``
    processes (default: every core, at most 2 here) share the work."""
    scorer = scorer or default_scorer()
    total = len(uniques)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if total >= PARALLEL_MIN else 1
    out: list[float | None] = []
    if progress:
        progress(0, total)
    if workers > 1 and total > chunk:
        import multiprocessing

        chunks = [list(uniques[s:s + chunk]) for s in range(0, total, chunk)]
        # spawn, not fork: forking a process that runs threads (Streamlit, SQLite) can deadlock.
        # A Pool starts its workers in its constructor, so the main script is hidden only then.
        with _main_script_hidden():
            pool = multiprocessing.get_context("spawn").Pool(workers, _init_worker, (scorer.spec(),))
        try:
            for part in pool.imap(_score_chunk, chunks):
                out.extend(part)
                if progress:
                    progress(len(out), total)
        finally:
            pool.terminate()
            pool.join()
        return out
    for start in range(0, total, chunk):
        out.extend(scorer.score_many(uniques[start:start + chunk]))
        if progress:
            progress(len(out), total)
    return out


def score_texts(texts: Iterable[str | None], progress: Callable[[int, int], None] | None = None,
                chunk: int = 2000, scorer=None, workers: int | None = None) -> tuple[list[float | None], int]:
    """Score a sequence of texts, each distinct text once.

    Returns (scores aligned with ``texts``, number of distinct texts scored).
    ``progress(done, total)`` counts distinct texts.
    """
    series = pd.Series(list(texts), dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    scored = score_distinct(list(uniques), progress, scorer, chunk, workers)
    out = [scored[c] if c >= 0 else None for c in codes]
    return out, len(uniques)


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
