"""Open every page in a real browser and fail on any exception or error box."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import shoot, wait_for_app

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def page_paths() -> list[str]:
    src = (ROOT / "app.py").read_text()
    start = src.index("PAGES = [")
    scope: dict = {}
    exec(src[start:src.index("]\n", start) + 1], scope)  # only the literal list of pages
    return [url for f, _t, _i, url in scope["PAGES"] if (ROOT / f).exists()]


def assert_no_errors(pg, where: str) -> None:
    exceptions = pg.locator("[data-testid='stException']")
    assert exceptions.count() == 0, f"{where}: exception shown: {exceptions.first.inner_text()[:500]}"
    errors = pg.locator("[data-testid='stAlertContentError']")
    assert errors.count() == 0, f"{where}: error box shown: {errors.first.inner_text()[:500]}"


@pytest.mark.parametrize("url_path", page_paths())
def test_page_opens_without_errors(server, page, url_path):
    page.goto(f"{server}/{url_path}")
    wait_for_app(page)
    assert_no_errors(page, url_path)
    shoot(page, url_path)
    assert not page.external_requests, f"requests left the machine: {page.external_requests[:5]}"


def test_sidebar_filters_survive_navigation_and_live_in_the_url(server, page):
    page.goto(f"{server}/overview?segment=Premium")
    wait_for_app(page)
    assert "segment=Premium" in page.url
    sidebar = page.locator("[data-testid='stSidebar']")
    assert "Premium" in sidebar.inner_text()
    page.locator("[data-testid='stSidebarNav'] a[href$='/data']").first.dispatch_event("click")
    wait_for_app(page)
    assert "/data" in page.url and "segment=Premium" in page.url
    assert "Premium" in page.locator("[data-testid='stSidebar']").inner_text()
