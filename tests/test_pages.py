"""Every registered page renders under AppTest on the small demo database, without an exception."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis.bench import page_files
from tests import pagetest
from tests.pagetest import assert_clean


def run_page(page: str, **query) -> AppTest:
    return pagetest.open_page(page, timeout=120, **query)


@pytest.mark.parametrize("page", page_files())
def test_page_renders_without_exception(app_db, page):
    at = run_page(page)
    assert_clean(at)
    assert at.title, "every page has a title"


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
