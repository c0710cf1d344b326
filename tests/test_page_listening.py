"""The Listening page under AppTest on the small demo database: numbers, links and a stored correction.
The read-only tests run on each engine (SQLite, and the same demo on PostgreSQL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis import listening, store
from analysis.filters import Filters
from tests import pagetest

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/listening.py"


@pytest.fixture
def app_db(engine_app_db):
    """The app on the small demo, on each engine; each expected figure is counted in that engine's rows."""
    return engine_app_db


def open_page(**query) -> AppTest:
    at = pagetest.open_page(PAGE, **query)
    pagetest.assert_clean(at)
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def count(address, sql: str) -> int:
    """One count on either engine (a file or a PostgreSQL address)."""
    with store.connection(address) as db:
        return int(store.scalar(db, sql))


# The page counts customers and other public voices by default: the brand's own posts are left out.
NOT_BRAND = ("NOT EXISTS (SELECT 1 FROM brand_accounts b WHERE b.platform = posts.platform "
             "AND b.handle = posts.author_handle)")


def test_listening_shows_the_key_numbers(app_db):
    at = open_page()
    m = metrics(at)
    assert m["Posts"] == f"{count(app_db, f'SELECT COUNT(*) FROM posts WHERE {NOT_BRAND}'):,}"
    neg = count(app_db, f"SELECT COUNT(*) FROM posts WHERE sentiment <= -0.05 AND {NOT_BRAND}")
    scored = count(app_db, f"SELECT COUNT(sentiment) FROM posts WHERE {NOT_BRAND}")
    assert m["Negative"] == f"{neg / scored:.0%}"
    assert m["Corrected by people"] == "0"
    assert "Spike days" in m
    assert len(at.get("plotly_chart")) >= 5  # volume, mean, shares, top terms, hashtags, spikes
    assert any("±" in c.value or "0.05" in c.value for c in at.caption)  # the convention is stated


def test_reshares_toggle_and_segment_filter(app_db):
    all_posts = int(metrics(open_page())["Posts"].replace(",", ""))
    originals = count(app_db, "SELECT COUNT(*) FROM posts WHERE reshare_of IS NULL AND substr(text, 1, 3) != 'RT ' "
                              f"AND {NOT_BRAND}")
    at = open_page(ls_reshares="false")
    assert at.toggle(key="ls_reshares").value is False
    assert int(metrics(at)["Posts"].replace(",", "")) == originals < all_posts
    premium = int(metrics(open_page(segment="Premium"))["Posts"].replace(",", ""))
    conn = store.connect(app_db)
    try:
        daily = listening.daily(conn, Filters(segments=("Premium",)))
        expected = listening.summary(daily[daily["role"] != "brand"]).posts
    finally:
        conn.close()
    assert premium == expected < all_posts


def test_posts_link_linked_authors_to_their_360_view(app_db):
    at = open_page()
    table = next(d.value for d in at.dataframe if "Customer" in d.value.columns and len(d.value) == 500)
    links = table["Customer"].dropna()
    assert len(links) > 0 and links.str.startswith("customer_360?customer=C").all()
    # A linked author's link names the customer their account is linked to.
    row = table.dropna(subset=["Customer"]).iloc[0]
    cid = row["Customer"].split("=", 1)[1]
    linked = count(app_db, f"SELECT COUNT(*) FROM identities WHERE customer_id = '{cid}' "
                           f"AND handle = '{row['Author']}' AND platform = '{row['Platform']}'")
    assert linked == 1


def test_a_correction_is_stored_counted_and_reverted(demo_db_copy, monkeypatch):
    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    at = open_page()
    # Options are shown as "post id · text"; the value set is the post id.
    post_id = at.selectbox(key="ls_correct_post").options[0].split(" · ")[0]
    at.selectbox(key="ls_correct_post").set_value(post_id).run()
    at.select_slider(key="ls_correct_to").set_value("very negative").run()
    at.button(key="ls_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with sqlite3.connect(demo_db_copy) as conn:
        score, machine, corrected = conn.execute(
            "SELECT sentiment, sentiment_vader, sentiment_corrected FROM posts WHERE post_id = ?",
            (post_id,)).fetchone()
    assert (score, corrected) == (-0.8, 1) and machine is not None
    assert metrics(at)["Corrected by people"] == "1"
    assert any("Saved" in s.value for s in at.success)
    # Revert it from the list of corrections.
    assert at.selectbox(key="ls_revert_post").options[0].startswith(post_id)
    at.selectbox(key="ls_revert_post").set_value(post_id).run()
    at.button(key="ls_revert").click().run()
    with sqlite3.connect(demo_db_copy) as conn:
        score2, corrected2 = conn.execute("SELECT sentiment, sentiment_corrected FROM posts WHERE post_id = ?",
                                          (post_id,)).fetchone()
    assert corrected2 == 0 and score2 == machine
    assert metrics(at)["Corrected by people"] == "0"


def test_spike_day_shows_its_posts(app_db):
    at = open_page()
    days = at.selectbox(key="ls_spike").options
    if not days:
        return  # no spike in this demo: nothing to select
    day = at.selectbox(key="ls_spike").value
    posts = next(d.value for d in at.dataframe if len(d.value) and "Posted" in d.value.columns)
    assert posts["Posted"].str.startswith(day[:10] if len(day) >= 10 else day).all()


def test_the_url_reopens_the_same_view(app_db):
    # Bound selectboxes keep their shown label in the URL, as the browser writes it.
    at = open_page(ls_grain="month", ls_recent="The last 30 days", ls_label="Negative", ls_search="refund",
                   ls_reshares="false")
    assert at.segmented_control(key="ls_grain").value == "month"
    assert at.selectbox(key="ls_recent").value == 30
    assert at.selectbox(key="ls_label").value == "negative"
    assert at.text_input(key="ls_search").value == "refund"
    posts = next(d.value for d in at.dataframe if d.key == "ls_posts")
    assert len(posts) > 0
    assert (posts["Score"] <= -0.05).all() and posts["Text"].str.lower().str.contains("refund").all()
    assert not posts["Reshare"].any()
