"""Every registered page renders under AppTest on the small demo database, without an exception."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from bench.pages import page_files
from tests import pagetest
from tests.pagetest import assert_clean, plain


def run_page(page: str, **query) -> AppTest:
    return pagetest.open_page(page, timeout=120, **query)


@pytest.mark.parametrize("page", page_files())
def test_page_renders_without_exception(app_db, page):
    at = run_page(page)
    assert_clean(at)
    assert at.title, "every page has a title"


def _views() -> list[tuple[str, dict]]:
    """Every page under a segment, and the Continuum page's other tabs."""
    views = [(page, {}) for page in page_files()]
    views += [("pages/continuum.py", {"section": s}) for s in ("Journeys", "Going public", "What if")]
    return views


@pytest.mark.parametrize("page, query", _views(), ids=lambda v: v if isinstance(v, str) else ",".join(v.values()))
def test_no_table_shows_the_word_none_for_a_missing_value(app_db, page, query):
    """Streamlit writes "None" in every missing cell of a table that sets no placeholder: each table with a
    missing value under a segment (channels nobody used there, means of nothing) sets one."""
    if page == "pages/customer_360.py":  # one customer's timeline: touches without a thread, text or amount
        import sqlite3
        from contextlib import closing

        with closing(sqlite3.connect(app_db)) as con:
            query = {"customer": con.execute(
                "SELECT MIN(customer_id) FROM interactions JOIN customers USING (customer_id) "
                "WHERE segment = 'Business'").fetchone()[0]}
    at = run_page(page, segment="Business", **query)
    assert_clean(at)
    with_gaps = [d for d in at.dataframe if d.value.isna().any().any()]
    for d in with_gaps:
        assert d.proto.HasField("placeholder"), (page, list(d.value.columns))
    if page in ("pages/overview.py", "pages/continuum.py", "pages/listening.py", "pages/perception.py",
                "pages/customer_360.py") and "section" not in query:
        assert with_gaps, page  # the check above is not empty where the demo has gaps


def test_overview_shows_the_demo_figures(app_db):
    at = run_page("pages/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Customers"] == "600"
    assert metrics["Interactions"] != "0"
    assert "%" in metrics["Customers linked"]


def test_global_filter_from_the_url_narrows_the_overview(app_db):
    all_ = {m.label: m.value for m in run_page("pages/overview.py").metric}
    at = run_page("pages/overview.py", segment="Premium")
    assert_clean(at)
    premium = {m.label: m.value for m in at.metric}
    assert int(premium["Interactions"].replace(",", "")) < int(all_["Interactions"].replace(",", ""))
    assert at.multiselect(key="segment").value == ["Premium"]


def test_filters_survive_a_page_switch(app_db):
    at = run_page("pages/overview.py", segment="Value")
    at.switch_page("pages/data.py").run()
    at.switch_page("pages/overview.py").run()
    # AppTest drops sidebar elements after a page switch; the state behind them is what persists.
    assert at.session_state["filters"].segments == ("Value",)


def test_data_page_lists_tables(app_db):
    at = run_page("pages/data.py")
    assert_clean(at)
    assert at.selectbox(key="import_table").options[0] == "customers"


def test_overview_counts_missing_values_on_demand(app_db):
    at = run_page("pages/overview.py", ov_missing="true")
    assert_clean(at)
    assert at.toggle(key="ov_missing").value is True


def test_importing_on_the_data_page_prepares_the_pages_figures(demo_db_copy, monkeypatch):
    from analysis import store
    from analysis.store import rollups

    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    conn = store.connect(demo_db_copy)
    before = store.scalar(conn, "SELECT COUNT(*) FROM interactions")
    cid = store.scalar(conn, "SELECT customer_id FROM customers LIMIT 1")
    conn.close()
    at = run_page("pages/data.py")
    at.selectbox(key="import_table").select("interactions").run()
    good = ("interaction_id,customer_id,thread_id,occurred_at,channel,direction,kind\n"
            f"UP1,{cid},TUP,2026-01-05 10:00,email,inbound,complaint\n"
            f"UP2,{cid},TUP,2026-01-06 09:00,email,outbound,response\n").encode()
    at.file_uploader(key="import_file").upload("two.csv", good, "text/csv")
    at.run()
    at.button(key="import_go").click().run()
    assert_clean(at)
    assert any(plain(s.value).startswith("Imported 2 rows into interactions from two.csv") for s in at.success), \
        [s.value for s in at.success]
    conn = store.connect(demo_db_copy)
    try:
        assert store.scalar(conn, "SELECT COUNT(*) FROM interactions") == before + 2
        assert rollups.fresh(conn)  # filtered Overview figures come from the rebuilt rollup
    finally:
        conn.close()
    bad = f"interaction_id,customer_id,occurred_at,channel,direction\nUP3,{cid},someday,email,inbound\n".encode()
    at.file_uploader(key="import_file").upload("bad.csv", bad, "text/csv")
    at.run()
    at.button(key="import_go").click().run()
    assert at.error and "bad.csv, row 2, column 'occurred_at'" in plain(at.error[0].value)
    conn = store.connect(demo_db_copy)
    try:
        assert store.scalar(conn, "SELECT COUNT(*) FROM interactions") == before + 2
    finally:
        conn.close()


def test_import_messages_show_the_files_text_literally(demo_db_copy, monkeypatch):
    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    at = run_page("pages/data.py")
    at.selectbox(key="import_table").select("customers").run()
    hostile = b"customer_id,lifetime_value\nC9,![x](http://example.invalid/p.png) **lots**\n"
    at.file_uploader(key="import_file").upload("evil_[1].csv", hostile, "text/csv")
    at.run()
    at.button(key="import_go").click().run()
    body = at.error[0].value
    # Escaped: Markdown would otherwise fetch the image and embolden the text.
    assert "\\!\\[x\\]\\(http" in body and "\\*\\*lots\\*\\*" in body
    assert "evil_[1].csv, row 2, column 'lifetime_value'" in plain(body)
