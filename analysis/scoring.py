"""Which scorer a database uses (the lexicon scorer, or a model trained on people's labels),
and rescoring every post with it: each distinct text once, on every core, with progress."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import sentiment, sentiment_lexicon
from analysis.store import sentiment as q

LEXICON = "lexicon"


def scorer_choice(db: sqlite_utils.Database) -> str:
    """'lexicon', or 'model:<id>' when a trained model scores the posts."""
    return q.get_meta(db, q.SCORER) or LEXICON


def lexicon_scorer(db: sqlite_utils.Database) -> sentiment.Scorer:
    return sentiment.Scorer(entries=sentiment_lexicon.entries(sentiment_lexicon.load(db)))


def current_scorer(db: sqlite_utils.Database):
    """The scorer new and rescored posts get."""
    choice = scorer_choice(db)
    if choice.startswith("model:"):
        stored = q.model(db, int(choice.split(":", 1)[1]))
        if stored is not None:
            return sentiment.scorer_from_spec(json.loads(stored["spec"]))
    return lexicon_scorer(db)


def describe(db: sqlite_utils.Database) -> str:
    """The scorer in use, in words."""
    choice = scorer_choice(db)
    if choice.startswith("model:"):
        stored = q.model(db, int(choice.split(":", 1)[1]))
        if stored is not None:
            return (f"a classifier trained on {stored['labels']:,} of your labels (TF-IDF and logistic regression, "
                    f"model {stored['model_id']}, trained {stored['created_at']})")
    saved = q.lexicon(db)
    n = len(sentiment_lexicon.load(db))
    return (f"VADER with emoji read as words and {'your' if saved is not None else 'the starter'} domain lexicon "
            f"({n:,} entries)")


@dataclass
class RescoreReport:
    distinct_texts: int
    changed_texts: int
    posts_updated: int
    seconds: float

    @property
    def texts_per_second(self) -> float:
        return self.distinct_texts / self.seconds if self.seconds > 0 else float("nan")

    def summary(self) -> str:
        return (f"Rescored {self.distinct_texts:,} distinct texts in {self.seconds:.1f} s "
                f"({self.texts_per_second:,.0f} texts/s): {self.changed_texts:,} changed score, "
                f"{self.posts_updated:,} posts updated.")


def rescore(db: sqlite_utils.Database, scorer=None, progress: Callable[[str, int, int], None] | None = None,
            workers: int | None = None) -> RescoreReport:
    """Score every distinct post text with ``scorer`` (default: the database's current one) and
    write the texts whose machine score changed. People's corrections stay as they set them."""
    t0 = time.perf_counter()
    scorer = scorer or current_scorer(db)
    texts = q.distinct_texts(db)
    new = sentiment.score_distinct(texts["text"].tolist(),
                                   (lambda d, t: progress("score", d, t)) if progress else None,
                                   scorer=scorer, workers=workers)
    current = pd.Series(new, index=texts.index, dtype=float)
    previous = texts["score"].astype(float)
    same = np.isclose(previous.fillna(9.0), current.fillna(9.0), atol=1e-9, rtol=0)
    changed = pd.DataFrame({"text": texts["text"], "previous": previous, "current": current,
                            "posts": texts["posts"]})[~same]
    updated = q.write_scores(db, changed, (lambda d, t: progress("write", d, t)) if progress else None) \
        if len(changed) else 0
    return RescoreReport(len(texts), len(changed), updated, time.perf_counter() - t0)


def use(db: sqlite_utils.Database, choice: str, progress=None) -> RescoreReport:
    """Switch scorer ('lexicon' or 'model:<id>') and rescore the posts with it."""
    if choice != LEXICON:
        if not choice.startswith("model:") or q.model(db, int(choice.split(":", 1)[1])) is None:
            raise ValueError(f"no such scorer: {choice!r}")
    with db.atomic():
        q.set_meta(db, q.SCORER, choice)
    return rescore(db, progress=progress)


def last_changes(db: sqlite_utils.Database, limit: int = 200) -> pd.DataFrame:
    """The texts the last rescoring changed, with previous and new machine scores and labels."""
    out = q.changes(db, limit)
    out["previous label"] = sentiment.labels(out["previous"].astype(float))
    out["new label"] = sentiment.labels(out["current"].astype(float))
    return out


def change_count(db: sqlite_utils.Database) -> tuple[int, int]:
    """(texts, posts) the last rescoring changed."""
    return q.change_count(db)
