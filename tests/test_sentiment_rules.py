"""Bulk sentiment rules, worked by hand on six posts."""

from __future__ import annotations

import pytest

from analysis import listening, sentiment_rules, store
from analysis.sentiment_rules import Rule, RuleError

POSTS = [
    # post_id, platform, author, text, sentiment
    ("p1", "x", "cust1", "The app keeps crashing again", 0.0),
    ("p2", "instagram", "stranger", "app KEEPS   crashing, help", 0.4),
    ("p3", "x", "stranger", "waves crashing on the beach, lovely", 0.6),
    ("p4", "x", "acme", "Sorry the app keeps crashing, a fix is coming", -0.2),
    ("p5", "x", "cust1", "Refund #123 still not here", 0.0),
    ("p6", "x", "stranger", "Refund #9 still not here", 0.0),
]


@pytest.fixture
def posts_db(db):
    store.upsert_rows(db, "customers", [{"customer_id": "C1"}])
    store.upsert_rows(db, "identities", [{"customer_id": "C1", "platform": "x", "handle": "cust1"}])
    store.upsert_rows(db, "brand_accounts", [{"platform": "x", "handle": "acme"}])
    store.upsert_rows(db, "posts", [{"post_id": i, "platform": pl, "author_handle": a, "text": t,
                                     "created_at": "2026-01-01 10:00:00", "sentiment": s, "sentiment_vader": s}
                                    for i, pl, a, t, s in POSTS])
    return db


def scores(db) -> dict:
    return {r[0]: (r[1], r[2]) for r in db.conn.execute("SELECT post_id, sentiment, sentiment_corrected FROM posts")}


def test_a_phrase_matches_whole_words_in_any_case_and_spacing(posts_db):
    texts = sentiment_rules.matching_texts(posts_db, Rule("keeps crashing", "negative"))
    assert sorted(texts["text"]) == sorted([POSTS[0][3], POSTS[1][3], POSTS[3][3]])  # not "waves crashing"


def test_scope_by_platform_and_author_role(posts_db):
    on_x = sentiment_rules.matching_texts(posts_db, Rule("keeps crashing", "negative", platform="x"))
    assert sorted(on_x["text"]) == sorted([POSTS[0][3], POSTS[3][3]])
    customers = sentiment_rules.matching_texts(posts_db, Rule("keeps crashing", "negative", role="customer"))
    assert customers["text"].tolist() == [POSTS[0][3]]
    public = sentiment_rules.matching_texts(posts_db, Rule("keeps crashing", "negative", role="public"))
    assert public["text"].tolist() == [POSTS[1][3]]


def test_a_pattern_rule_uses_a_regular_expression(posts_db):
    texts = sentiment_rules.matching_texts(posts_db, Rule(r"refund #\d+ still not", "negative", kind="pattern"))
    assert sorted(texts["text"]) == sorted([POSTS[4][3], POSTS[5][3]])
    with pytest.raises(RuleError, match="not a valid regular expression"):
        Rule("refund (", "negative", kind="pattern")
    with pytest.raises(RuleError):
        Rule("x", "angry")


def test_preview_counts_posts_and_moves_the_headline_by_hand(posts_db):
    p = sentiment_rules.preview(posts_db, Rule("keeps crashing", "negative"))
    # Matches p1 (0.0, neutral), p2 (+0.4, positive), p4 (-0.2, negative).
    assert (p.posts, p.texts) == (3, 3)
    assert p.already == {"negative": 1, "neutral": 1, "positive": 1}
    # Before: scores 0, .4, .6, -.2, 0, 0 -> mean 0.8 / 6; negative 1/6, positive 2/6.
    assert p.before.mean == pytest.approx(0.8 / 6) and p.before.negative == pytest.approx(1 / 6)
    # After: p1, p2, p4 at -0.4 -> 0.6 + 3 * -0.4 = -0.6 over 6; negative 3/6, positive 1/6 (p3), neutral 2/6.
    assert p.after.mean == pytest.approx(-0.6 / 6)
    assert (p.after.negative, p.after.positive, p.after.neutral) == pytest.approx((3 / 6, 1 / 6, 2 / 6))
    assert scores(posts_db)["p1"] == (0.0, 0)  # a preview writes nothing


def test_apply_counts_like_corrections_and_revert_restores_what_was_there(posts_db):
    listening.correct(posts_db, ["p2"], "very positive")  # a person's earlier correction: +0.8
    version = store.data_version(posts_db)
    rule_id, n = sentiment_rules.apply(posts_db, Rule("keeps crashing", "negative", platform="x"))
    assert n == 2 and store.data_version(posts_db) > version
    s = scores(posts_db)
    assert s["p1"] == (-0.4, 1) and s["p4"] == (-0.4, 1) and s["p2"] == (0.8, 1) and s["p3"] == (0.6, 0)
    assert listening.correction_count(posts_db) == 3
    # A person later corrects p4 again: that decision outlives the rule's revert.
    listening.correct(posts_db, ["p4"], "neutral")
    assert sentiment_rules.revert(posts_db, rule_id) == 1
    s = scores(posts_db)
    assert s["p1"] == (0.0, 0) and s["p4"] == (0.0, 1)
    listed = sentiment_rules.rules(posts_db)
    assert listed["rule"].tolist() == ["posts containing “keeps crashing” on x are negative"]
    assert not listed["active"].iloc[0] and listed["posts"].iloc[0] == 2
    assert sentiment_rules.revert(posts_db, rule_id) == 0  # once only


def test_a_later_rule_wins_and_reverting_it_gives_back_the_earlier_rule(posts_db):
    first, _ = sentiment_rules.apply(posts_db, Rule("refund", "negative"))
    second, _ = sentiment_rules.apply(posts_db, Rule("refund #9", "neutral"))
    assert scores(posts_db)["p6"] == (0.0, 1) and scores(posts_db)["p5"] == (-0.4, 1)
    sentiment_rules.revert(posts_db, second)
    assert scores(posts_db)["p6"] == (-0.4, 1)
    sentiment_rules.revert(posts_db, first)
    assert scores(posts_db)["p6"] == (0.0, 0) and scores(posts_db)["p5"] == (0.0, 0)
