"""The Customer 360 page under AppTest on the small demo database, on each engine (SQLite, and the same
demo on PostgreSQL): open by URL, search, signals."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis import customer_360, store
from tests import pagetest
from tests.pagetest import assert_clean, metrics

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/customer_360.py"


@pytest.fixture
def app_db(engine_app_db):
    """The app on the small demo, on each engine; what a test expects is read from that engine's rows."""
    return engine_app_db


def row(address, sql: str, params=()) -> tuple:
    """The first row of a query on either engine (a file or a PostgreSQL address)."""
    with store.connection(address) as db:
        return tuple(store.query_df(db, sql, params).iloc[0])


def open_page(**query) -> AppTest:
    at = pagetest.open_page(PAGE, **query)
    assert_clean(at)
    return at


def busy_customer(path) -> str:
    """A demo customer with a linked account, posts and a service thread."""
    return row(path, """
        SELECT i.customer_id FROM identities i JOIN posts p ON p.platform = i.platform
          AND p.author_handle = i.handle
        WHERE i.customer_id IN (SELECT customer_id FROM interactions WHERE kind = 'complaint')
        GROUP BY i.customer_id ORDER BY COUNT(*) DESC, i.customer_id LIMIT 1""")[0]


def test_url_opens_that_customer(app_db):
    cid = busy_customer(app_db)
    at = open_page(customer=cid)
    assert at.text_input(key="customer").value == cid
    assert at.query_params["customer"] in (cid, [cid])
    profile = next(d.value for d in at.dataframe if "Field" in d.value.columns).set_index("Field")["Value"]
    assert profile["Customer id"] == cid
    name, value = row(app_db, "SELECT name, lifetime_value FROM customers WHERE customer_id = ?", (cid,))
    n_inter = row(app_db, "SELECT COUNT(*) FROM interactions WHERE customer_id = ?", (cid,))[0]
    assert profile["Name"] == name
    assert profile["Linked social accounts"] != "not linked"
    m = metrics(at)
    assert m["Lifetime value"] == f"{value:,.2f}"
    conn = store.connect(app_db)
    try:
        v = customer_360.view(conn, cid)
    finally:
        conn.close()
    assert m["Open threads"] == f"{len(v.open_threads):,}"
    timeline = next(d.value for d in at.dataframe if "Publicness" in d.value.columns)
    assert (timeline["Who"] == "customer").any()
    assert len(timeline) == n_inter + (v.items["source"] == "post").sum()
    assert at.get("plotly_chart"), "the timeline chart is drawn"
    # Every signal is shown with its reason.
    shown = [w.value for w in at.warning] + [i.value for i in at.info]
    for s in v.signals:
        assert any(s.reason in text for text in shown)


def test_search_by_name_then_open(app_db):
    at = open_page()
    last = row(app_db, "SELECT name FROM customers ORDER BY customer_id LIMIT 1")[0].split()[-1]
    at.text_input(key="customer").input(last).run()
    assert_clean(at)
    pick = at.selectbox(key="c360_pick")
    assert len(pick.options) >= 1 and all(last in o for o in pick.options)
    at.button(key="c360_open").click().run()
    assert_clean(at)
    cid = at.text_input(key="customer").value
    assert cid.startswith("C") and at.query_params["customer"] in (cid, [cid])
    assert "Lifetime value" in metrics(at)


def test_email_opens_directly_and_unknown_says_so(app_db):
    cid, email = row(app_db, "SELECT customer_id, email FROM customers ORDER BY customer_id DESC LIMIT 1")
    at = open_page(customer=email.upper())
    profile = next(d.value for d in at.dataframe if "Field" in d.value.columns).set_index("Field")["Value"]
    assert profile["Customer id"] == cid
    at = open_page(customer="zzzz-nobody")
    assert any("No customer" in i.value for i in at.info)


def test_start_page_lists_recent_public_complaints(app_db):
    at = open_page()
    table = next(d.value for d in at.dataframe if "Opened on" in d.value.columns)
    assert len(table) > 0 and table["Customer"].str.startswith("customer_360?customer=").all()
    at.button(key="c360_open_recent").click().run()
    assert_clean(at)
    assert at.text_input(key="customer").value == table["Customer"].iloc[0].split("=", 1)[1]


def test_grouping_by_thread_keeps_every_item(app_db):
    cid = busy_customer(app_db)
    at = open_page(customer=cid)
    n = len(next(d.value for d in at.dataframe if "Publicness" in d.value.columns))
    at.toggle(key="c360_group").set_value(True).run()
    assert_clean(at)
    grouped = next(d.value for d in at.dataframe if "Publicness" in d.value.columns)
    assert len(grouped) == n
    threads = grouped["Thread"].dropna()
    # Touches of one service thread sit together.
    assert (threads != threads.shift()).sum() == threads.nunique()
    again = open_page(customer=cid, c360_group="true")  # a shared link keeps the grouping
    assert_clean(again)
    assert again.toggle(key="c360_group").value is True


def test_typing_an_exact_email_puts_the_id_in_the_url(app_db):
    cid, email = row(app_db, "SELECT customer_id, email FROM customers ORDER BY customer_id LIMIT 1")
    at = open_page()
    at.text_input(key="customer").input(email).run()
    assert_clean(at)
    assert at.text_input(key="customer").value == cid
    assert at.query_params["customer"] in (cid, [cid])
