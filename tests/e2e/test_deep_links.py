"""A shared link opened in a fresh browser, as the first request a fresh server gets: the page named in
the URL runs with the filters from the URL, the sidebar and the workshop tools, and the server never
falls back to Streamlit's mixed multipage mode."""

from __future__ import annotations

import sqlite3

import pytest

from tests.e2e.conftest import Server, open_page, wait_for_app

pytestmark = pytest.mark.e2e

# What Streamlit logs or shows when st.navigation meets a pages/ folder, or a URL names no page.
MIXED_MODE = ("st.navigation was called in an app with a pages/ directory", "Page not found",
              "no corresponding file was found")


def _window(db) -> tuple[str, str, str]:
    """A segment and a date window inside the data: the second and third quarter of its days."""
    with sqlite3.connect(db) as conn:
        segment = conn.execute("SELECT segment FROM customers GROUP BY segment ORDER BY COUNT(*) LIMIT 1").fetchone()[0]
        days = [r[0] for r in conn.execute(
            "SELECT DISTINCT substr(occurred_at, 1, 10) FROM interactions ORDER BY 1")]
    return segment, days[len(days) // 4], days[3 * len(days) // 4]


def _interactions(db, segment: str, first: str, last: str) -> int:
    """Counted here from the tables: the customers of the segment, their touches on those days."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM interactions i JOIN customers c ON c.customer_id = i.customer_id "
            "WHERE c.segment = ? AND substr(i.occurred_at, 1, 10) BETWEEN ? AND ?", (segment, first, last)
        ).fetchone()[0]


def test_a_deep_link_with_filters_opens_filtered_with_the_sidebar_and_workshop_tools(demo_db, browser):
    segment, first, last = _window(demo_db)
    expected = _interactions(demo_db, segment, first, last)
    srv = Server(demo_db)  # a fresh process: the link below is the first page it ever serves
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    try:
        page = context.new_page()
        open_page(page, f"{srv.url}/overview?segment={segment}&dates={first}&dates={last}")
        wait_for_app(page)
        metric = page.locator("[data-testid='stMetric']").filter(has_text="Interactions").first
        assert f"{expected:,}" in metric.inner_text()
        sidebar = page.locator("[data-testid='stSidebar']").inner_text()
        assert segment in sidebar and first.replace("-", "") in sidebar.replace("\n", "").replace(" ", "").replace(
            "-", "") and "Continuum" in sidebar  # the filters, and the registry's links
        # The workshop tools close the page: on a busy machine the script may still be drawing them (the
        # frame reruns once to write the kept filters into the URL), so wait for them as a person would.
        for text in ("Save this view as a scenario", "Report of this page (HTML)"):
            page.get_by_text(text).first.wait_for(timeout=60_000)
            assert page.get_by_text(text).count() == 1

        # Another page's own URL in a new tab (a new session): the same frame, the same filters.
        other = context.new_page()
        open_page(other, f"{srv.url}/service?segment={segment}")
        wait_for_app(other)
        assert other.locator("h1").first.inner_text().startswith("Service timing")
        assert segment in other.locator("[data-testid='stSidebar']").inner_text()
        assert other.get_by_text("Save this view as a scenario").count() == 1
        for pg in (page, other):
            assert pg.locator("[data-testid='stException']").count() == 0
        log = srv.log_tail(200_000)
        assert not [m for m in MIXED_MODE if m in log], log[-3000:]
        assert "Traceback" not in log, log[-3000:]
    finally:
        context.close()
        srv.stop()
