"""A classifier trained on people's labels: TF-IDF over words and word pairs, then multinomial
logistic regression (scikit-learn). Offered only when it beats the lexicon scorer on held-out
labels in cross-validation. Kept as JSON (vocabulary, idf, coefficients), never pickled, and
applied with numpy/scipy, so a stored model does not depend on scikit-learn's internals."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlite_utils
from scipy import sparse

from analysis import agreement, scoring, sentiment
from analysis.store import sentiment as q

LABELS = agreement.LABELS
MIN_LABELS = 30  # fewer cannot be split into folds that say anything
FOLDS = 5
# The words (and pairs) scikit-learn's default tokeniser finds: two or more word characters.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
NGRAMS = (1, 2)


def _vectorizer(vocabulary=None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=NGRAMS, token_pattern=TOKEN_PATTERN, lowercase=True, sublinear_tf=True,
                           vocabulary=vocabulary, preprocessor=lambda t: sentiment.describe_emoji(str(t)).lower())


def fit(texts, labels, c: float = 4.0) -> dict:
    """Train on ``texts`` and their labels; returns the model as JSON-able data (``spec``)."""
    from sklearn.linear_model import LogisticRegression

    vec = _vectorizer()
    x = vec.fit_transform(list(texts))
    clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    clf.fit(x, list(labels))
    terms = [None] * len(vec.vocabulary_)
    for term, i in vec.vocabulary_.items():
        terms[i] = term
    coef = clf.coef_
    classes = [str(k) for k in clf.classes_]
    if len(classes) == 2:  # binary: scikit-learn keeps one row; make it one row per class
        coef = np.vstack([-coef[0], coef[0]])
        intercept = [-float(clf.intercept_[0]), float(clf.intercept_[0])]
    else:
        intercept = [float(v) for v in clf.intercept_]
    return {"kind": "model", "name": "classifier", "terms": terms, "idf": [float(v) for v in vec.idf_],
            "coef": np.round(coef, 8).tolist(), "intercept": intercept, "classes": classes}


@dataclass(frozen=True)
class ModelScorer:
    """Scores texts with a stored model: P(positive) - P(negative), 0 where neutral is likeliest."""

    spec_json: str

    @classmethod
    def from_spec(cls, spec: dict) -> ModelScorer:
        return cls(json.dumps(spec))

    def spec(self) -> dict:
        return json.loads(self.spec_json)

    @property
    def name(self) -> str:
        return "classifier"

    def _parts(self):
        cached = self.__dict__.get("_cache")
        if cached is None:
            s = self.spec()
            vocab = {t: i for i, t in enumerate(s["terms"])}
            vec = _vectorizer(vocab)
            vec.idf_ = np.asarray(s["idf"], dtype=float)
            cached = (vec, np.asarray(s["coef"], dtype=float), np.asarray(s["intercept"], dtype=float), s["classes"])
            object.__setattr__(self, "_cache", cached)
        return cached

    def probabilities(self, texts) -> pd.DataFrame:
        vec, coef, intercept, classes = self._parts()
        x = vec.transform([str(t) for t in texts])
        z = sparse.csr_matrix(x) @ coef.T + intercept
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        out = pd.DataFrame(p, columns=classes)
        for k in LABELS:
            if k not in out:
                out[k] = 0.0
        return out[list(LABELS)]

    def score_many(self, texts) -> list[float | None]:
        texts = list(texts)
        keep = [i for i, t in enumerate(texts) if t is not None and not (isinstance(t, float) and pd.isna(t))
                and str(t).strip()]
        out: list[float | None] = [None] * len(texts)
        if not keep:
            return out
        p = self.probabilities([texts[i] for i in keep])
        diff = (p["positive"] - p["negative"]).to_numpy()
        best = p.to_numpy().argmax(axis=1)
        # The label is the likeliest class; the score keeps VADER's thresholds meaning the same.
        score = np.where(best == 1, 0.0, np.sign(diff) * np.maximum(np.abs(diff), sentiment.POSITIVE))
        score = np.where((best == 0) & (score > -sentiment.POSITIVE), -sentiment.POSITIVE, score)
        score = np.where((best == 2) & (score < sentiment.POSITIVE), sentiment.POSITIVE, score)
        for i, v in zip(keep, score):
            out[i] = float(round(v, 4))
        return out

    def score(self, text) -> float | None:
        return self.score_many([text])[0]


@dataclass
class Evaluation:
    labels: int
    folds: int
    model_accuracy: float
    lexicon_accuracy: float
    model_folds: list[float]
    lexicon_folds: list[float]
    reason: str = ""

    @property
    def better(self) -> bool:
        return self.folds > 0 and self.model_accuracy > self.lexicon_accuracy

    def summary(self) -> str:
        if not self.folds:
            return self.reason
        return (f"On held-out labels ({self.folds}-fold cross-validation over {self.labels:,} labelled posts) the "
                f"classifier agrees with people on {self.model_accuracy:.0%}, the lexicon scorer on "
                f"{self.lexicon_accuracy:.0%}.")


def evaluate(texts, people, lexicon_labels, folds: int = FOLDS, seed: int = 15) -> Evaluation:
    """Stratified k-fold cross-validation: the classifier is trained on k-1 folds and scored on the
    held-out one; the lexicon (which learns nothing) is scored on the same held-out folds."""
    from sklearn.model_selection import StratifiedKFold

    texts, people, lex = list(texts), np.asarray(list(people)), np.asarray(list(lexicon_labels))
    n = len(texts)
    counts = pd.Series(people).value_counts()
    if n < MIN_LABELS:
        return Evaluation(n, 0, np.nan, np.nan, [], [], f"A classifier needs at least {MIN_LABELS} labelled posts "
                          f"to be tested fairly; there are {n}.")
    k = int(min(folds, counts.min()))
    if len(counts) < 2 or k < 2:
        return Evaluation(n, 0, np.nan, np.nan, [], [], "A classifier needs at least two posts of each label "
                          "people used, and at least two labels.")
    model_acc, lex_acc = [], []
    for train, test in StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(texts, people):
        m = ModelScorer.from_spec(fit([texts[i] for i in train], people[train]))
        guess = np.asarray([sentiment.label(s) for s in m.score_many([texts[i] for i in test])])
        model_acc.append(float((guess == people[test]).mean()))
        lex_acc.append(float((lex[test] == people[test]).mean()))
    return Evaluation(n, k, float(np.mean(model_acc)), float(np.mean(lex_acc)), model_acc, lex_acc)


def evaluate_db(db: sqlite_utils.Database) -> Evaluation:
    """Cross-validate a classifier on the database's labels against its lexicon scorer."""
    rows = q.labelled(db)
    lex = scoring.lexicon_scorer(db)
    lex_labels = [sentiment.label(s) if s is not None else "neutral" for s in lex.score_many(rows["text"].tolist())]
    return evaluate(rows["text"].fillna(""), rows["label"], lex_labels)


def train_db(db: sqlite_utils.Database, evaluation: Evaluation | None = None) -> int | None:
    """Train on every label and store the model, only if it beat the lexicon. Returns its id."""
    ev = evaluation or evaluate_db(db)
    if not ev.better:
        return None
    rows = q.labelled(db)
    spec = fit(rows["text"].fillna(""), rows["label"])
    return q.save_model(db, dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), len(rows), ev.model_accuracy,
                        ev.lexicon_accuracy, json.dumps(spec))


def latest(db: sqlite_utils.Database) -> dict | None:
    """The newest stored model (id, when, labels, both cross-validated accuracies), if any."""
    return q.latest_model(db)
