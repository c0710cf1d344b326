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


class _Server:
    """What a running Streamlit server does once and keeps, shared by the benchmark's AppTests.

    A fresh AppTest scans the installed packages for components on its first run (0.15–0.6 s here)
    and compiles each page's script on every run (0.1–0.3 s for a long page), while a server does
    both once and keeps the compiled scripts. Timing those would add to every figure a cost no user
    waits for after the app has started, and only to some pages (the scan falls into the timed run
    for the Overview alone). AppTest has no public hook for either, so its two attributes are set
    here; if a Streamlit release renames them the benchmark says so and times the plain AppTest.
    """

    def __init__(self):
        self.components = None
        self.script_cache = None
        self._saved = None  # AppTest's own ScriptCache while the shared one stands in

    def attach(self, at) -> None:
        try:
            from streamlit.runtime.scriptrunner import script_cache as sc
            from streamlit.testing.v1 import app_test

            if self.components is None:
                warm = type(at).from_string("pass", default_timeout=60)
                warm.run()
                self.components = warm._bidi_component_manager
                self.script_cache = sc.ScriptCache()
            if not hasattr(at, "_bidi_component_manager") or not hasattr(app_test, "ScriptCache"):
                raise AttributeError("AppTest internals moved")
            at._bidi_component_manager = self.components
            self._saved = self._saved or app_test.ScriptCache
            app_test.ScriptCache = lambda: self.script_cache
        except (AttributeError, ImportError) as exc:
            print(f"  (AppTest's start-up and compiling are timed: {exc})", file=sys.stderr)

    def detach(self) -> None:
        """AppTest as it was (other AppTests in this process compile their scripts again)."""
        saved = self._saved
        if saved is not None:
            from streamlit.testing.v1 import app_test

            app_test.ScriptCache = saved
            self._saved = None


_SERVER = _Server()


def _page_run(page: str, params: dict | None = None) -> tuple[float, float, list[str]]:
    """One timed run of ``page`` in a fresh AppTest, with the sidebar filters set through the URL (as a
    shared link would); the first run (the app's root, the Overview) is not timed.
    Returns wall seconds, the process's CPU seconds, and the exceptions shown."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(registry.ROOT / "app.py"), default_timeout=300)
    _SERVER.attach(at)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    if page != "pages/overview.py":
        at.run()
        at.switch_page(page)
    t0, c0 = time.perf_counter(), time.process_time()
    at.run()
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    return secs, cpu, [str(e.value)[:200] for e in at.exception]


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
    figs = [Figure("AppTest start-up (a server's once; not in the page figures)", startup, "s", "reported", None)]
    try:
        for page in pages or page_files():
            figs += _bench_page(page, changes, repeat, st)
    finally:
        _SERVER.detach()
    return figs


def _bench_page(page: str, changes, repeat: int, st) -> list[Figure]:
    """Cold render and reruns of one page (see ``bench_pages``)."""
    figs: list[Figure] = []
    name = Path(page).stem
    cold: list[float] = []
    cold_cpu: list[float] = []
    reruns: dict[str, list[float]] = {label: [] for label, _ in changes}
    rerun_cpu: dict[str, list[float]] = {label: [] for label, _ in changes}
    errors: dict[str, list[str]] = {}
    for _ in range(max(1, repeat)):
        st.cache_data.clear()
        secs, cpu, errs = _page_run(page)
        cold.append(secs)
        cold_cpu.append(cpu)
        if errs:
            errors.setdefault("cold render", errs)
        for label, params in changes:
            secs, cpu, errs = _page_run(page, params)
            reruns[label].append(secs)
            rerun_cpu[label].append(cpu)
            if errs:
                errors.setdefault(label, errs)
    value = median_of(cold)
    figs.append(Figure(f"page {name}: cold render", value, "s", f"< {COLD_GOAL:.0f} s",
                       value < COLD_GOAL and "cold render" not in errors, len(cold), max(cold),
                       median_of(cold_cpu)))
    for label, samples in reruns.items():
        value = median_of(samples)
        figs.append(Figure(f"page {name}: rerun, filter {label}", value, "s", f"< {RERUN_GOAL:.0f} s",
                           value < RERUN_GOAL and label not in errors, len(samples), max(samples),
                           median_of(rerun_cpu[label])))
    for label, errs in errors.items():
        print(f"  {name} ({label}): exception: {errs[0]}", file=sys.stderr)
    return figs
