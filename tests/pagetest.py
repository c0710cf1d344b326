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


class Downloads:
    """The files a page's download buttons give when clicked. A button whose data is a callable (made only on
    click) registers it with Streamlit's media file manager (``add_deferred``), which runs it when the browser
    asks; AppTest has no browser, so this keeps each registered callable by its id and ``data(at, key)`` runs
    the one of the button with that key, as a click would."""

    def __init__(self, monkeypatch):
        from streamlit.runtime.media_file_manager import MediaFileManager

        self.made: dict[str, object] = {}
        add = MediaFileManager.add_deferred

        def keep(mgr, data_callable, *args, **kwargs):
            file_id = add(mgr, data_callable, *args, **kwargs)
            self.made[file_id] = data_callable
            return file_id

        monkeypatch.setattr(MediaFileManager, "add_deferred", keep)

    def data(self, at: AppTest, key: str) -> bytes:
        button = next(b for b in at.get("download_button") if b.proto.id.endswith(f"-{key}"))
        out = self.made[button.proto.deferred_file_id]()
        return out.encode() if isinstance(out, str) else out
