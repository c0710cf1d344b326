"""Page timings for ``python -m analysis bench``: every registered page's cold render, and its rerun after
each filter change, with Streamlit's AppTest."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from analysis import store
from analysis.bench import COLD_GOAL, REPEAT, RERUN_GOAL, Figure, filter_changes, median_of
from ui import registry


def page_files() -> list[str]:
    """Every registered page's file, relative to the project root (the registry's order)."""
    return [p.file for p in registry.PAGES]


def _apptest_startup() -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("pass", default_timeout=60)
    t0 = time.perf_counter()
    at.run()
    return time.perf_counter() - t0


def _page_run(page: str, params: dict | None = None) -> tuple[float, list[str]]:
    """One timed run of ``page`` in a fresh AppTest, with the sidebar filters set through the URL (as a
    shared link would); the first run (the app's root, the Overview) is not timed."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(registry.ROOT / "app.py"), default_timeout=300)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    if page != "pages/overview.py":
        at.run()
        at.switch_page(page)
    t0 = time.perf_counter()
    at.run()
    secs = time.perf_counter() - t0
    return secs, [str(e.value)[:200] for e in at.exception]


def bench_pages(source: Path, repeat: int = REPEAT, pages: list[str] | None = None) -> list[Figure]:
    """Cold render, and rerun after each filter change, of every page, with AppTest; each ``repeat``
    times, the median reported.

    Each repetition starts cold (Streamlit's cache emptied; what is kept in the database stays, as it
    would for a user opening the app), renders the page unfiltered (the cold figure), then reruns it
    after each filter change in turn, with the caches filled by the cold render warm, as in a session.
    """
    import streamlit as st

    os.environ["CONTINUUM_DB"] = str(source)
    conn = store.connect(source)
    changes = filter_changes(conn)
    conn.close()
    # Each run is timed in a fresh AppTest (AppTest drops the router's sidebar after its first
    # run, so a filter cannot be changed in place). A fresh AppTest first scans the installed
    # packages for components, which a running server does once at start-up: that fixed cost,
    # timed on an empty script, is included in each rerun and shown on its own line.
    startup = min(_apptest_startup() for _ in range(3))
    figs = [Figure("AppTest start-up, included in each rerun", startup, "s", "reported", None)]
    for page in pages or page_files():
        name = Path(page).stem
        cold: list[float] = []
        reruns: dict[str, list[float]] = {label: [] for label, _ in changes}
        errors: dict[str, list[str]] = {}
        for _ in range(max(1, repeat)):
            st.cache_data.clear()
            secs, errs = _page_run(page)
            cold.append(secs)
            if errs:
                errors.setdefault("cold render", errs)
            for label, params in changes:
                secs, errs = _page_run(page, params)
                reruns[label].append(secs)
                if errs:
                    errors.setdefault(label, errs)
        value = median_of(cold)
        figs.append(Figure(f"page {name}: cold render", value, "s", f"< {COLD_GOAL:.0f} s",
                           value < COLD_GOAL and "cold render" not in errors, len(cold), max(cold)))
        for label, samples in reruns.items():
            value = median_of(samples)
            figs.append(Figure(f"page {name}: rerun, filter {label}", value, "s", f"< {RERUN_GOAL:.0f} s",
                               value < RERUN_GOAL and label not in errors, len(samples), max(samples)))
        for label, errs in errors.items():
            print(f"  {name} ({label}): exception: {errs[0]}", file=sys.stderr)
    return figs


