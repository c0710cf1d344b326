"""The Listening page's 'Sentiment quality' section under AppTest: labelling, agreement, a rule
previewed, applied and reverted, a lexicon edit rescoring the posts."""

from __future__ import annotations

import sqlite3

import pytest

from analysis import agreement, store
from tests import pagetest

PAGE = "pages/listening.py"


@pytest.fixture
def writable(demo_db_copy, monkeypatch):
    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    return demo_db_copy


def open_page():
    at = pagetest.open_page(PAGE)
    pagetest.assert_clean(at)
    return at


def count(path, sql: str, params=()) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchone()[0]


def test_no_labels_invites_fifty_then_labelling_shows_agreement(writable):
    at = open_page()
    assert any("Label 50 posts" in i.value for i in at.info)
    assert any("not measured yet" in c.value for c in at.caption)  # under the headline figures too
    at.button(key="st_draw_first").click().run()
    pagetest.assert_clean(at)
    assert count(writable, "SELECT COUNT(*) FROM sentiment_sample") == 50
    # Label three posts: the first as the machine sees it, the next two as the opposite.
    with sqlite3.connect(writable) as conn:
        rows = conn.execute("SELECT s.post_id, p.sentiment_vader FROM sentiment_sample s JOIN posts p "
                            "USING (post_id) ORDER BY s.position LIMIT 3").fetchall()
    machine = [("positive" if v >= 0.05 else "negative" if v <= -0.05 else "neutral") for _, v in rows]
    wanted = [machine[0], *("negative" if m != "negative" else "positive" for m in machine[1:])]
    for (post_id, _), label in zip(rows, wanted):
        at.radio(key=f"st_label_{post_id}").set_value(label).run()
        at.button(key="st_save_label").click().run()
        pagetest.assert_clean(at)
    m = pagetest.metrics(at)
    assert m["Posts labelled by people"] == "3"
    assert m["Machine agrees"] == "33%"
    assert any("33% of 3 posts" in c.value for c in at.caption)


def test_a_rule_is_previewed_applied_and_reverted(writable):
    phrase_posts = count(writable, "SELECT COUNT(*) FROM posts WHERE text LIKE '%Same here%'")
    assert phrase_posts > 0
    at = open_page()
    at.text_input(key="st_rule_pattern").set_value("same here").run()
    at.selectbox(key="st_rule_label").set_value("negative").run()
    pagetest.assert_clean(at)
    assert pagetest.metrics(at)["Posts matched"] == f"{phrase_posts:,}"
    assert count(writable, "SELECT COUNT(*) FROM posts WHERE sentiment_corrected = 1") == 0  # preview only
    at.button(key="st_rule_apply").click().run()
    pagetest.assert_clean(at)
    assert count(writable, "SELECT COUNT(*) FROM posts WHERE sentiment_corrected = 1 AND sentiment = -0.4") \
        == phrase_posts
    at.selectbox(key="st_rule_revert_pick").set_value(1).run()
    at.button(key="st_rule_revert").click().run()
    pagetest.assert_clean(at)
    assert count(writable, "SELECT COUNT(*) FROM posts WHERE sentiment_corrected = 1") == 0


def test_restoring_the_starter_lexicon_after_an_edit_rescores(writable):
    db = store.connect(writable)
    from analysis import scoring, sentiment_lexicon

    lex = sentiment_lexicon.starter()
    sentiment_lexicon.save(db, lex[lex["term"] != "letdown"])
    scoring.rescore(db)
    letdown = "SELECT COUNT(*) FROM posts WHERE text LIKE '%letdown%' AND sentiment <= -0.05"
    fewer = count(writable, letdown)
    at = open_page()
    at.button(key="st_lexicon_reset").click().run()
    pagetest.assert_clean(at)
    assert count(writable, letdown) > fewer
    assert count(writable, "SELECT COUNT(*) FROM posts WHERE text LIKE '%letdown%'") == count(writable, letdown)
    assert agreement.caption(db)


def test_every_page_with_sentiment_carries_the_agreement(writable):
    db = store.connect(writable)
    with sqlite3.connect(writable) as conn:
        cid = conn.execute("SELECT customer_id FROM identities ORDER BY customer_id LIMIT 1").fetchone()[0]
        post = conn.execute("SELECT post_id, sentiment_vader FROM posts WHERE text IS NOT NULL AND reshare_of IS NULL "
                            "ORDER BY post_id LIMIT 1").fetchone()
    pages = [("pages/overview.py", {}), ("pages/continuum.py", {}), ("pages/customer_360.py", {"customer": cid}),
             ("pages/listening.py", {})]
    for page, query in pages:
        at = pagetest.open_page(page, **query)
        pagetest.assert_clean(at)
        assert any("not measured yet" in c.value for c in at.caption), page
    # One label, which the machine agrees with: every page now says 100% of 1 post.
    agreement.save_label(db, post[0], "positive" if post[1] >= 0.05 else "negative" if post[1] <= -0.05 else "neutral")
    for page, query in pages:
        at = pagetest.open_page(page, **query)
        assert any("100% of 1 post " in c.value for c in at.caption), page


def test_skipping_a_post_leaves_it_out_of_the_sample_unlabelled(writable):
    db = store.connect(writable)
    agreement.draw_sample(db, 10, seed=3)
    first = agreement.sample(db)["post_id"].iloc[0]
    at = open_page()
    at.button(key="st_skip").click().run()
    pagetest.assert_clean(at)
    left = agreement.sample(db)
    assert len(left) == 9 and first not in set(left["post_id"])
    assert count(writable, "SELECT COUNT(*) FROM sentiment_labels") == 0
