"""The classifier trained on people's labels: kept as JSON, applied without pickles, offered only
when it beats the lexicon on held-out labels."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from analysis import agreement, scoring, sentiment, sentiment_model, store

NEG = ["the order is late again", "late delivery and no refund", "refund still missing", "late and missing parcel",
       "no refund after two weeks", "missing item, late too"]
POS = ["arrived early, thank you", "early delivery, great", "thank you for the quick refund", "great quick service",
       "quick and early", "thank you, arrived quick"]
NEU = ["order placed today", "the parcel is in transit", "placed an order for boots", "boots in transit",
       "order number is here", "today the order was placed"]


def corpus(times: int = 1):
    texts = (NEG + POS + NEU) * times
    labels = (["negative"] * 6 + ["positive"] * 6 + ["neutral"] * 6) * times
    return texts, labels


def test_the_stored_model_gives_scikit_learns_probabilities():
    texts, labels = corpus()
    spec = sentiment_model.fit(texts, labels)
    spec = json.loads(json.dumps(spec))  # what the database keeps
    m = sentiment.scorer_from_spec(spec)
    # The same model fitted here with scikit-learn's own pipeline.
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    x = vec.fit_transform(texts)
    clf = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(x, labels)
    probe = ["refund missing and late", "great, thank you", "the boots order", "nothing known here"]
    expected = clf.predict_proba(vec.transform(probe))
    got = m.probabilities(probe)[list(clf.classes_)].to_numpy()
    assert got == pytest.approx(expected, abs=1e-6)
    labels_out = [sentiment.label(s) for s in m.score_many(probe)]
    assert labels_out[:3] == [clf.classes_[i] for i in expected.argmax(axis=1)][:3]
    assert m.score_many([None, ""]) == [None, None]


def test_cross_validation_offers_the_model_only_when_it_beats_the_lexicon():
    texts, people = corpus(2)
    # A lexicon that calls everything neutral is right on a third of the held-out posts.
    ev = sentiment_model.evaluate(texts, people, ["neutral"] * len(texts))
    assert ev.folds == 5 and ev.lexicon_accuracy == pytest.approx(1 / 3, abs=0.05)
    assert ev.model_accuracy > 0.8 and ev.better
    # A lexicon that is always right cannot be beaten.
    ev = sentiment_model.evaluate(texts, people, people)
    assert ev.lexicon_accuracy == 1.0 and not ev.better
    few = sentiment_model.evaluate(texts[:10], people[:10], people[:10])
    assert few.folds == 0 and "at least 30" in few.summary()


def test_training_and_switching_rescores_with_the_model(demo_db_copy):
    db = store.connect(demo_db_copy)
    rows = store.query_df(db, "SELECT post_id, text FROM posts WHERE reshare_of IS NULL AND text IS NOT NULL "
                              "GROUP BY text ORDER BY text LIMIT 300")
    # People call every post mentioning 'kettle' negative and everything else neutral, whatever its words.
    for r in rows.itertuples():
        agreement.save_label(db, r.post_id, "negative" if "kettle" in r.text else "neutral")
    ev = sentiment_model.evaluate_db(db)
    assert ev.better, ev.summary()
    model_id = sentiment_model.train_db(db, ev)
    report = scoring.use(db, f"model:{model_id}")
    assert report.distinct_texts == store.scalar(db, "SELECT COUNT(DISTINCT text) FROM posts")
    assert "classifier" in scoring.describe(db)
    kettle = store.query_df(db, "SELECT sentiment_vader FROM posts WHERE text LIKE '%kettle%' "
                                "AND sentiment_corrected = 0")["sentiment_vader"]
    assert (kettle <= -0.05).mean() > 0.9
    back = scoring.use(db, "lexicon")
    assert back.changed_texts > 0 and scoring.describe(db).startswith("VADER")
    with pytest.raises(ValueError):
        scoring.use(db, "model:999")
    assert np.isfinite(agreement.agreement(db).accuracy)
