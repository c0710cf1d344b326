"""Agreement between machine and people, checked against a confusion matrix and kappa worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import agreement, store

PEOPLE = ["negative"] * 4 + ["positive"] * 3 + ["neutral"] * 3
MACHINE = ["negative", "negative", "negative", "neutral", "positive", "positive", "negative",
           "neutral", "neutral", "positive"]


def test_confusion_matrix_accuracy_and_kappa_by_hand():
    a = agreement.measure(PEOPLE, MACHINE)
    # Rows people, columns machine (negative, neutral, positive).
    assert a.matrix.to_numpy().tolist() == [[3, 1, 0], [0, 2, 1], [1, 0, 2]]
    assert a.n == 10 and a.accuracy == pytest.approx(0.7)
    # Chance agreement: (4*4 + 3*3 + 3*3) / 100 = 0.34; kappa = (0.7 - 0.34) / (1 - 0.34) = 0.5454...
    assert a.kappa == pytest.approx(0.36 / 0.66)
    # Wilson 95% interval for 7 of 10.
    assert a.accuracy_ci == pytest.approx((0.3968, 0.8922), abs=1e-4)
    lo, hi = a.kappa_ci
    assert lo < a.kappa < hi and -1 <= lo and hi <= 1
    assert "70% of 10 posts" in a.caption() and "κ 0.55" in a.caption() and "Few labels" in a.caption()


def test_perfect_and_chance_level_agreement():
    assert agreement.kappa([[5, 0, 0], [0, 5, 0], [0, 0, 5]]) == 1.0
    # Every cell equal: observed agreement 1/3 equals chance, kappa 0.
    assert agreement.kappa(np.ones((3, 3))) == pytest.approx(0.0)


def test_stratum_weighted_accuracy():
    people = ["negative", "negative", "positive", "positive"]
    machine = ["negative", "neutral", "positive", "positive"]
    a = agreement.measure(people, machine, strata=["A", "A", "B", "B"], weights={"A": 100, "B": 300})
    assert a.accuracy == pytest.approx(0.75)
    assert a.weighted_accuracy == pytest.approx(0.5 * 0.25 + 1.0 * 0.75)


def test_without_labels_the_caption_invites_fifty():
    a = agreement.measure([], [])
    assert a.n == 0 and "not measured yet" in a.caption() and "Label 50 posts" in a.caption()


def test_allocation_is_even_and_capped():
    assert agreement._allocate(np.array([1, 10, 10]), 9).tolist() == [1, 4, 4]
    assert agreement._allocate(np.array([2, 3]), 50).tolist() == [2, 3]


def test_a_sample_is_stratified_labelled_and_measured(demo_db_copy):
    db = store.connect(demo_db_copy)
    assert "not measured yet" in agreement.caption(db)
    sample = agreement.draw_sample(db, 30, seed=1)
    assert len(sample) == 30 and sample["post_id"].is_unique
    marks = ",".join("?" * 30)
    posts = store.query_df(db, f"SELECT post_id, platform, text, reshare_of FROM posts WHERE post_id IN ({marks})",
                           sample["post_id"].tolist())
    assert not posts.duplicated(["platform", "text"]).any() and posts["reshare_of"].isna().all()
    # Platforms x machine labels, as evenly as their sizes allow: computed here with pandas.
    pool = store.query_df(db, "SELECT platform, text, sentiment_vader FROM posts WHERE text IS NOT NULL "
                              "AND reshare_of IS NULL AND text NOT LIKE 'RT %'").drop_duplicates(["platform", "text"])
    pool["band"] = np.where(pool["sentiment_vader"] >= 0.05, "positive",
                            np.where(pool["sentiment_vader"] <= -0.05, "negative", "neutral"))
    sizes = (pool["platform"] + " / " + pool["band"]).value_counts()
    per = sample["stratum"].value_counts().reindex(sizes.index, fill_value=0)
    fair = 30 // len(sizes)
    assert len(sizes) >= 6 and (per >= np.minimum(sizes, fair)).all() and (per <= sizes).all()
    stored = agreement.sample(db)
    assert stored["post_id"].tolist() == sample["post_id"].tolist() and stored["label"].isna().all()
    # People agree with the machine on the first 20 and disagree on the last 10.
    flip = {"negative": "positive", "neutral": "negative", "positive": "neutral"}
    for i, row in enumerate(stored.itertuples()):
        machine = agreement.band(stored["machine"]).iloc[i]
        agreement.save_label(db, row.post_id, machine if i < 20 else flip[machine], row.stratum)
    a = agreement.agreement(db, agreement.stratum_weights(db))
    assert a.n == 30 and a.accuracy == pytest.approx(20 / 30)
    # Weighted by stratum size, computed here from the labels and the pandas pool above.
    lab = agreement.labelled(db)
    per = (lab["label"] == lab["machine_label"]).groupby(lab["stratum"]).mean()
    w = sizes.reindex(per.index)
    assert a.weighted_accuracy == pytest.approx(float((per * w).sum() / w.sum()))
    assert "67% of 30 posts" in agreement.caption(db)
    again = agreement.draw_sample(db, 30, seed=2)
    assert not set(again["post_id"]) & set(stored["post_id"])  # labelled posts are not drawn again
    with pytest.raises(ValueError):
        agreement.save_label(db, row.post_id, "angry")
