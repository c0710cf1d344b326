"""A workshop in a real browser: save three views on three pages (different filters, one what-if),
make them a deck, present it, step through every slide and back, and open the exported files."""

from __future__ import annotations

import io
import re

import pytest

from tests import expected
from tests.e2e.conftest import Server, open_page, shoot

pytestmark = pytest.mark.e2e

# (scenario, page URL with its view in the query, what the slide's caption must say)
VIEWS = [
    ("Premium overview", "?segment=Premium", "segment Premium"),
    ("Value listening", "listening?segment=Value&ls_grain=month", "segment Value"),
    ("North America what-if", "continuum?region=North+America&wi_cut=90&wi_frt=4&section=What+if",
     "region North America"),
    ("Spring in Europe", "?dates=2026-03-01&dates=2026-05-31&region=Europe",
     "from 01 Mar 2026 to 31 May 2026"),
]


def wait_ready(pg, timeout_ms: int = 90_000) -> None:
    pg.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout_ms)
    pg.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=timeout_ms)
    pg.wait_for_timeout(1200)


def metric(pg, label: str) -> str:
    box = pg.locator("[data-testid='stMetric']").filter(
        has=pg.locator("[data-testid='stMetricLabel']", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    box.first.wait_for(timeout=60_000)
    return box.first.locator("[data-testid='stMetricValue']").inner_text().strip()


def no_exception(pg, where: str) -> None:
    exc = pg.locator("[data-testid='stException']")
    assert exc.count() == 0, f"{where}: {exc.first.inner_text()[:600]}"


def save_view(pg, base: str, name: str, path: str) -> None:
    open_page(pg, f"{base}/{path}")
    wait_ready(pg)
    no_exception(pg, path)
    summary = pg.locator("[data-testid='stExpander'] summary", has_text="Save this view as a scenario")
    summary.scroll_into_view_if_needed()
    summary.click()
    pg.get_by_label("Name", exact=True).fill(name)
    pg.get_by_role("button", name="Save", exact=True).click()
    # The Continuum what-if view reruns its models before the save message: allow for a loaded machine.
    pg.get_by_text(f"Saved “{name}”").wait_for(timeout=180_000)
    no_exception(pg, f"{path} after saving")


def check_slide(pg, number: int, total: int, name: str, words: str, figures: dict, shot: str) -> None:
    pg.get_by_test_id("deck-position").filter(has_text=f"{number} / {total}").wait_for(timeout=90_000)
    wait_ready(pg)
    no_exception(pg, name)
    assert f"step={number - 1}" in pg.url and "present=true" in pg.url
    # Presentation mode: no sidebar, no navigation, no controls, only the way out and the deck links.
    assert not pg.locator("[data-testid='stSidebar']").is_visible()
    assert pg.get_by_role("button", name=re.compile("Exit presentation mode")).is_visible()
    assert not pg.locator("summary", has_text="Save this view as a scenario").first.is_visible()
    bar = pg.locator(".st-key-deck_bar").inner_text()
    assert name in bar and words in bar, bar
    for label, value in figures.items():
        assert metric(pg, label) == f"{value:,}", (name, label)
    if "what-if" in name:
        assert "What if: resolution faster by: 90%" in bar
        text = pg.locator("[data-testid='stMain']").inner_text()
        assert "What if: resolution 90% faster and a first reply within 4 hours" in text.replace("**", "")
        assert "Beyond the data" in text  # the slider went past what the data contains, and it says so
    shoot(pg, shot)


# The longest browser flow (four saved views, a deck, eleven slide loads, two exports): once in about
# four full-suite runs on this shared 2-core machine one page load outran its wait, and it passed when
# run again. One rerun keeps CI from failing on that; a real fault fails both runs.
@pytest.mark.flaky(reruns=1, reruns_delay=2)
def test_build_present_and_export_a_deck(engine, engine_demo_copy, demo_db, browser, tmp_path):
    """On SQLite and on PostgreSQL (a private copy of the demo on each); every figure is counted from the
    SQLite demo's tables, which the PostgreSQL demo holds too."""
    srv = Server(engine_demo_copy)
    tag = "" if engine == "sqlite" else "-postgresql"  # screenshot names
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
    try:
        pg = context.new_page()
        pg.set_default_timeout(120_000)  # the machine is shared: pages can take a while to settle
        for name, path, _words in VIEWS:
            save_view(pg, srv.url, name, path)

        # Make the deck on the Workshop page, in order.
        open_page(pg, f"{srv.url}/workshop")
        wait_ready(pg)
        no_exception(pg, "workshop")
        form = pg.locator("[data-testid='stForm']").filter(has_text="Make a deck")
        form.get_by_label("Deck name").fill("Monday")
        for name, _path, _words in VIEWS:
            form.locator("[data-testid='stMultiSelect']").click()
            pg.get_by_role("option", name=name, exact=True).click()
            pg.keyboard.press("Escape")  # close the list of options
        shoot(pg, f"deck-form{tag}")
        form.get_by_role("button", name="Save deck").click()
        pg.get_by_test_id("present-deck").wait_for(timeout=60_000)
        wait_ready(pg)
        no_exception(pg, "workshop after saving the deck")

        figures = expected.scenario_figures(demo_db)
        total = len(VIEWS)
        pg.get_by_test_id("present-deck").click()
        for i, (name, _path, words) in enumerate(VIEWS):
            check_slide(pg, i + 1, total, name, words, figures.get(name, {}), f"deck-slide-{i + 1}{tag}")
            if i < total - 1:
                if i == 1:
                    pg.keyboard.press("ArrowRight")  # presenters use the keyboard or a clicker
                else:
                    pg.get_by_test_id("deck-next").click()
        assert pg.get_by_test_id("deck-next").get_attribute("aria-disabled") == "true"  # the last slide
        for i in range(total - 2, -1, -1):
            pg.get_by_test_id("deck-previous").click()
            name, _path, words = VIEWS[i]
            check_slide(pg, i + 1, total, name, words, figures.get(name, {}), f"deck-slide-{i + 1}-back{tag}")
        pg.get_by_test_id("deck-last").click()
        check_slide(pg, total, total, VIEWS[-1][0], VIEWS[-1][2], figures[VIEWS[-1][0]], f"deck-last{tag}")

        # The way back to normal mode: the sidebar and the controls return, the view stays.
        pg.get_by_role("button", name=re.compile("Exit presentation mode")).click()
        pg.locator("[data-testid='stSidebar']").wait_for(state="visible", timeout=60_000)
        wait_ready(pg)
        assert metric(pg, "Interactions") == f"{figures[VIEWS[-1][0]]['Interactions']:,}"

        # The exported deck report and slides carry each scenario's own figures.
        open_page(pg, f"{srv.url}/workshop?deck_pick=Monday")
        wait_ready(pg)
        with pg.expect_download(timeout=180_000) as got:
            pg.get_by_role("button", name=re.compile("Deck report")).click()
        report = (tmp_path / "deck.html")
        got.value.save_as(report)
        text = report.read_text(encoding="utf-8")
        for name, _path, words in VIEWS:
            assert name in text and words in text
        premium = figures["Premium overview"]["Interactions"]
        spring = figures["Spring in Europe"]["Interactions"]
        assert f'<span class="label">Interactions</span><span class="value">{premium:,}</span>' in text
        assert f'<span class="label">Interactions</span><span class="value">{spring:,}</span>' in text
        assert "What if: resolution faster by: 90%" in text and "wi_cut" not in text
        with pg.expect_download(timeout=300_000) as got:
            pg.get_by_role("button", name=re.compile("Deck slides")).click()
        from pptx import Presentation

        deck = Presentation(io.BytesIO(got.value.path().read_bytes()))
        slide_text = ["\n".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in deck.slides]
        notes = [s.notes_slide.notes_text_frame.text if s.has_notes_slide else "" for s in deck.slides]
        for name, _path, words in VIEWS:
            assert any(name in t and words in t for t in slide_text), name
        assert any(f"{premium:,}" in t and "Premium overview" in t for t in slide_text)
        assert any(f"{figures['Value listening']['Posts']:,}" in t and "Value listening" in t for t in slide_text)
        assert not any("wi_cut" in n or "wi_frt" in n for n in notes + slide_text)
    finally:
        context.close()
        srv.stop()
