"""Open every page in a real browser and fail on any exception or error box."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import open_page, shoot, wait_for_app
from ui import registry

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def page_paths() -> list[str]:
    return [p.url_path for p in registry.PAGES]


def assert_no_errors(pg, where: str) -> None:
    exceptions = pg.locator("[data-testid='stException']")
    assert exceptions.count() == 0, f"{where}: exception shown: {exceptions.first.inner_text()[:500]}"
    errors = pg.locator("[data-testid='stAlertContentError']")
    assert errors.count() == 0, f"{where}: error box shown: {errors.first.inner_text()[:500]}"


@pytest.mark.parametrize("url_path", page_paths())
def test_page_opens_without_errors(engine, engine_server, page, url_path):
    """On SQLite and on PostgreSQL: the server's CONTINUUM_DB is the demo file or its postgresql:// address."""
    open_page(page, f"{engine_server}/{url_path}")
    wait_for_app(page)
    assert_no_errors(page, url_path)
    shoot(page, url_path if engine == "sqlite" else f"{url_path}-postgresql")
    assert not page.external_requests, f"requests left the machine: {page.external_requests[:5]}"


def test_sidebar_filters_survive_navigation_and_live_in_the_url(server, page):
    open_page(page, f"{server}/overview?segment=Premium")
    wait_for_app(page)
    assert "segment=Premium" in page.url
    sidebar = page.locator("[data-testid='stSidebar']")
    assert "Premium" in sidebar.inner_text()
    # The navigation is the registry's links in the sidebar (each carries the filters in its URL).
    page.locator("[data-testid='stSidebar'] a[href^='data']").first.dispatch_event("click")
    wait_for_app(page)
    assert "/data" in page.url and "segment=Premium" in page.url
    assert "Premium" in page.locator("[data-testid='stSidebar']").inner_text()


def test_save_a_view_as_a_scenario_and_reopen_it(demo_db_copy, browser):
    from analysis import scenarios, store
    from tests.e2e.conftest import Server

    srv = Server(demo_db_copy)
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    try:
        page = context.new_page()
        open_page(page, f"{srv.url}/overview?segment=Premium")
        wait_for_app(page)
        page.get_by_text("Save this view as a scenario").click()
        page.get_by_label("Name", exact=True).fill("Premium view")
        page.get_by_label("Notes", exact=True).fill("For the <b>Monday</b> workshop")
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Saved “Premium view”").wait_for(timeout=20_000)
        conn = store.connect(demo_db_copy)
        s = scenarios.load(conn, "Premium view")
        conn.close()
        assert s.filters().segments == ("Premium",)
        open_page(page, f"{srv.url}/workshop")
        wait_for_app(page)
        # Tables are drawn on a canvas; the rename box holds the newest scenario's name.
        assert "Premium view" in page.content()
        assert_no_errors(page, "workshop")
    finally:
        context.close()
        srv.stop()
