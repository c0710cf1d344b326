"""Warm-up: the activity, the conversations and the linked posts loaded on a thread of their own."""

from __future__ import annotations

import threading

from analysis import memo, store
from analysis.continuum.activity import activity_base
from analysis.continuum.going_public import bases


def prefetch(path: str, brand_only: bool = True) -> threading.Thread | None:
    """Load the in-memory activity, the conversations and the linked posts in the background (once per
    rows version), so filter changes and the first visit to another tab do not wait for them.
    Returns the thread, or None when everything is already kept or loading."""
    with store.connection(path, create=False) as conn:
        if memo.kept_or_loading(conn, [("activity", ()), ("service_base", ()), ("linked_posts", (bool(brand_only),))]):
            return None

    def work():
        try:
            with store.connection(path, create=False) as c:
                # Filter changes come first on the page that was just drawn; other tabs after.
                activity_base(c)
                bases(c, brand_only)
        except Exception:  # a warm-up only: the tab that needs the data loads it and reports errors
            pass

    thread = threading.Thread(target=work, name="continuum-prefetch", daemon=True)
    thread.start()
    return thread
