"""Workshop mode end to end in AppTest: save a view as a scenario, list it, compare two, decks, URL state, the
deck's and the pages' exports. Every test runs on SQLite and on PostgreSQL (the same demo on each)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis import scenarios, store, summaries
from analysis.filters import Filters
from bench.pages import page_files
from tests import expected, pagetest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def writable_app(engine_demo_copy, monkeypatch):
    """A private copy of the small demo on each engine, opened by the app."""
    monkeypatch.setenv("CONTINUUM_DB", str(engine_demo_copy))
    return engine_demo_copy


@pytest.fixture
def db(engine_db):
    return engine_db


@pytest.fixture
def app_db(engine_app_db):
    return engine_app_db


def app(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def test_every_page_offers_save_and_report_tools(app_db):
    # AppTest keeps the router's own elements only on the first run (a limit of AppTest with
    # st.navigation); the save flow itself is exercised in the browser test.
    at = app(segment="Premium")
    assert not at.exception
    assert at.text_input[0].label == "Name"
    assert any(b.label == "Report of this page (HTML)" for b in at.get("download_button"))


def test_scenario_from_url_state_round_trips(db):
    params = scenarios.params_from_query({"segment": ["Premium", "Value"], "present": "true", "focus": "phone"})
    s = scenarios.save(db, "Premium view", "continuum", params, "For the Monday workshop")
    again = scenarios.load(db, "Premium view")
    assert again.params == {"segment": ["Premium", "Value"], "focus": "phone"}  # presentation is not a setting
    assert again.filters().segments == ("Premium", "Value")
    assert s.url() == "continuum?segment=Premium&segment=Value&focus=phone"


def test_workshop_page_lists_scenarios_and_decks(writable_app):
    conn = store.connect(writable_app)
    scenarios.save(conn, "All", "overview", {})
    scenarios.save(conn, "Value only", "overview", {"segment": ["Value"]}, "cheaper customers")
    scenarios.save_deck(conn, "Monday", ["All", "Value only"], "two views")
    conn.close()
    at = app()
    at.switch_page("pages/workshop.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="deck_pick").value == "Monday"
    frames = [d.value for d in at.dataframe]
    assert any("Value only" in f.to_string() for f in frames)


def test_compare_panel_shows_both_scenarios_and_their_difference(writable_app):
    conn = store.connect(writable_app)
    scenarios.save(conn, "All", "overview", {})
    scenarios.save(conn, "Value only", "overview", {"segment": ["Value"]})
    everyone = store.scalar(conn, "SELECT COUNT(*) FROM interactions")
    value = store.scalar(conn, "SELECT COUNT(*) FROM interactions WHERE customer_id IN "
                               "(SELECT customer_id FROM customers WHERE segment = 'Value')")
    conn.close()
    at = app()
    assert not at.exception, [e.value for e in at.exception]
    diff = next(d.value for d in at.dataframe if "B − A" in d.value.columns)
    row = diff.set_index("figure").loc["Interactions"]
    # A is the newest scenario ("Value only"), B the other: the difference is counted, not just signed.
    assert value < everyone and row["B − A"] == f"{everyone - value:+,}"


def test_deck_presentation_shows_the_slide_and_links_to_its_neighbours(writable_app):
    conn = store.connect(writable_app)
    scenarios.save(conn, "All", "overview", {})
    scenarios.save(conn, "Value only", "overview", {"segment": ["Value"]})
    scenarios.save_deck(conn, "Monday", ["All", "Value only"])
    conn.close()
    at = app(deck="Monday", step="0", present="true")
    assert not at.exception, [e.value for e in at.exception]
    nav = next(h.proto.body for h in at.get("html") if "deck-bar" in h.proto.body)
    assert '<span class="deck-pos" data-testid="deck-position">1 / 2</span>' in nav
    assert 'data-testid="deck-previous">' in nav and "deck-off" in nav  # nothing before the first slide
    assert 'href="./?segment=Value&amp;deck=Monday&amp;step=1&amp;present=true"' in nav
    assert at.session_state["present"] is True


def test_summary_difference_by_hand(db):
    a = summaries.Summary(metrics={"Interactions": 10, "Share": 0.25}, formats={"Share": ".0%"})
    b = summaries.Summary(metrics={"Interactions": 7, "Share": 0.5}, formats={"Share": ".0%"})
    d = summaries.difference(a, b).set_index("figure")
    assert d.loc["Interactions", "B − A"] == "-3" and d.loc["Share", "B − A"] == "+25%"
    s = summaries.headline(db, Filters())
    assert s.metrics["Interactions"] == 0 and len(s.figures) == 1


@pytest.mark.parametrize("page", page_files())
def test_a_shared_link_reopens_the_same_filters_on_every_page(app_db, page):
    at = app(segment="Value", region="Europe", present="true")
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    f = at.session_state["filters"]
    assert (f.segments, f.regions) == (("Value",), ("Europe",))
    assert at.session_state["present"] is True


def test_deck_report_and_slides_carry_each_scenarios_own_figures(writable_app, demo_db, monkeypatch):
    """The Workshop page's deck exports (HTML report, PPTX slides), made as a click makes them, show each
    scenario's figures as counted from the SQLite demo's tables: on PostgreSQL too."""
    from pptx import Presentation

    downloads = pagetest.Downloads(monkeypatch)
    with store.connection(writable_app) as conn:
        scenarios.save(conn, "Premium overview", "overview", {"segment": ["Premium"]})
        scenarios.save(conn, "Value listening", "listening", {"segment": ["Value"], "ls_grain": "month"})
        scenarios.save(conn, "Spring in Europe", "overview", {"dates": ["2026-03-01", "2026-05-31"],
                                                              "region": ["Europe"]})
        scenarios.save_deck(conn, "Monday", ["Premium overview", "Value listening", "Spring in Europe"],
                            "for the <b>team</b>")
    # Each scenario's one headline figure (label, value), in the deck's order.
    want = [(name, *next(iter(figures.items()))) for name, figures in expected.scenario_figures(demo_db).items()]
    at = app(deck_pick="Monday")
    at.switch_page("pages/workshop.py").run()
    assert not at.exception, [e.value for e in at.exception]
    report = downloads.data(at, "deck_html").decode()
    assert [name for name, _label, _value in want] == ["Premium overview", "Value listening", "Spring in Europe"]
    for _name, label, value in want:
        assert f'<span class="label">{label}</span><span class="value">{value:,}</span>' in report, (label, value)
    assert "segment Premium" in report and "from 01 Mar 2026 to 31 May 2026" in report
    assert "for the &lt;b&gt;team&lt;/b&gt;" in report and "<b>team" not in report
    slides = Presentation(io.BytesIO(downloads.data(at, "deck_pptx"))).slides
    text = ["\n".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in slides]
    assert len(text) == 4  # the title slide, then one per scenario in the deck's order
    for i, (name, _label, value) in enumerate(want):
        assert name in text[i + 1] and f"{value:,}" in text[i + 1], (name, text[i + 1])


def _page_exports(address: str, monkeypatch) -> dict[str, bytes]:
    monkeypatch.setenv("CONTINUUM_DB", str(address))
    downloads = pagetest.Downloads(monkeypatch)
    at = pagetest.open_page("pages/service.py", segment="Value", region="Europe")
    assert not at.exception, [e.value for e in at.exception]
    return {key: downloads.data(at, key) for key in ("csv_service_table", "xlsx_service_table", "page_report")}


def test_a_pages_exports_are_the_same_on_both_engines(demo_db, pg_demo_db, monkeypatch):
    """The table's CSV and Excel files and the page report (figures and tables) from PostgreSQL equal
    SQLite's on the same demo, under the same filters."""
    import pandas as pd

    lite, pg = _page_exports(demo_db, monkeypatch), _page_exports(pg_demo_db, monkeypatch)
    assert lite["csv_service_table"] == pg["csv_service_table"]
    table = pd.read_csv(io.BytesIO(lite["csv_service_table"]))
    assert len(table) > 1 and table.select_dtypes("number").to_numpy().sum() > 0  # not an empty table
    pd.testing.assert_frame_equal(pd.read_excel(io.BytesIO(lite["xlsx_service_table"]), header=None),
                                  pd.read_excel(io.BytesIO(pg["xlsx_service_table"]), header=None))

    def stable(html: bytes) -> str:
        """The report without what changes between any two runs: the time it was made, plotly's div ids."""
        text = re.sub(r"<time [^>]*>.*?</time>", "", html.decode())
        return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", text)

    assert "segment Value" in stable(lite["page_report"])
    assert stable(lite["page_report"]) == stable(pg["page_report"])
