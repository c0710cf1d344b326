"""Helpers for the AppTest page tests: open a page through the router, check it is clean."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def open_page(page: str, timeout: int = 180, **query) -> AppTest:
    """Run app.py with ``query`` in the URL, then switch to ``page`` (e.g. "pages/listening.py")."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def plain(markdown: str) -> str:
    """The text of a Markdown body the page escaped (user text is shown literally)."""
    return markdown.replace("\\", "")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}
