"""Editing the domain lexicon and rescoring: distinct texts only, corrections kept, previous scores kept."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import listening, scoring, sentiment, sentiment_lexicon, store

TEXTS = {"p1": "what a letdown", "p2": "what a letdown", "p3": "RT what a letdown", "p4": "the kettle is grand",
         "p5": "the kettle is grand", "p6": None}


@pytest.fixture
def posts_db(db):
    rows = [{"post_id": k, "platform": "x", "author_handle": "a", "created_at": "2026-01-01 00:00:00", "text": t}
            for k, t in TEXTS.items()]
    scores, _ = sentiment.score_texts([r["text"] for r in rows], scorer=scoring.current_scorer(db))
    for r, s in zip(rows, scores):
        r["sentiment"] = r["sentiment_vader"] = s
    store.upsert_rows(db, "posts", rows)
    return db


def scores(db):
    return {r[0]: (r[1], r[2], r[3]) for r in
            db.conn.execute("SELECT post_id, sentiment, sentiment_vader, sentiment_corrected FROM posts")}


def test_the_starter_lexicon_applies_until_someone_saves_one(posts_db):
    assert sentiment_lexicon.load(posts_db).equals(sentiment_lexicon.starter())
    # 'letdown' is -2.2 in the starter list: one token alone scores -2.2 / sqrt(2.2^2 + 15).
    assert scores(posts_db)["p1"][0] == pytest.approx(-2.2 / (2.2 ** 2 + 15) ** 0.5, abs=1e-4)
    assert "starter domain lexicon" in scoring.describe(posts_db)


def test_an_edit_rescores_distinct_texts_keeps_corrections_and_previous_scores(posts_db):
    listening.correct(posts_db, ["p2"], "very negative")  # a person's score: -0.8
    before = scores(posts_db)
    lex = sentiment_lexicon.load(posts_db)
    lex = pd.concat([lex[lex["term"] != "letdown"],
                     pd.DataFrame([{"term": "grand", "valence": 3.0, "source": "test", "note": None}])])
    sentiment_lexicon.save(posts_db, lex)
    version = store.data_version(posts_db)
    seen = []
    report = scoring.rescore(posts_db, progress=lambda stage, d, t: seen.append((stage, d, t)))
    # Distinct texts: "what a letdown", "RT what a letdown", "the kettle is grand".
    assert report.distinct_texts == 3 and report.changed_texts == 3
    assert ("score", 3, 3) in seen
    after = scores(posts_db)
    assert after["p1"][0] == 0.0 and after["p1"][1] == 0.0  # 'letdown' is unknown to VADER itself
    assert after["p2"] == (-0.8, 0.0, 1)  # the person's score stays; the machine's follows the lexicon
    assert after["p4"][0] == pytest.approx(3.0 / (9 + 15) ** 0.5, abs=1e-4)  # VADER has grand +2.0
    assert after["p6"] == (None, None, 0)
    changes = scoring.last_changes(posts_db)
    row = changes.set_index("text").loc["what a letdown"]
    assert row["previous"] == pytest.approx(before["p1"][1]) and row["current"] == 0.0 and row["posts"] == 2
    assert row["previous label"] == "negative" and row["new label"] == "neutral"
    assert scoring.change_count(posts_db) == (3, 5)
    assert store.data_version(posts_db) > version
    again = scoring.rescore(posts_db)
    assert again.changed_texts == 0 and again.posts_updated == 0


def test_a_bad_edit_changes_nothing(posts_db):
    with pytest.raises(sentiment_lexicon.LexiconError, match="row 2, column 'valence'"):
        sentiment_lexicon.save(posts_db, pd.DataFrame({"term": ["a", "b"], "valence": [1.0, 9.0]}))
    assert sentiment_lexicon.load(posts_db).equals(sentiment_lexicon.starter())


def test_the_rescore_command_reports_texts_per_second(demo_db_copy, capsys):
    from analysis.__main__ import main

    assert main(["rescore", "--db", str(demo_db_copy), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    distinct = store.scalar(store.connect(demo_db_copy), "SELECT COUNT(DISTINCT text) FROM posts")
    assert "starter domain lexicon" in out
    assert f"Rescored {distinct:,} distinct texts" in out and "texts/s" in out
    assert "0 changed score" in out  # the demo was scored with the same scorer when it was built
