"""The Perception gap page under AppTest: IBM preset, the demo survey, URL state, what-if, lexicon edits, imports."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis import perception as P
from analysis import store
from tests import pagetest
from tests.pagetest import plain

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/perception.py"
DEMO_STUDY = "Acme motive survey 2026 (demo)"


def open_page(**query) -> AppTest:
    return pagetest.open_page(PAGE, **query)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def html_text(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def metrics(at: AppTest) -> dict[str, object]:
    return {m.label: m for m in at.metric}


def test_ibm_preset_shows_the_feel_connected_gap(app_db):
    at = open_page()
    assert_clean(at)
    assert at.title[0].value == "Perception gap"
    assert at.selectbox(key="pg_source").value == "IBM IBV 2010 (reference)"
    text = html_text(at)
    assert "Businesses overestimate &#x27;Feel connected&#x27; by 31 points" in text
    assert "real after Holm correction" in text and "not a mirror image" in text
    table = at.dataframe[0].value.set_index("Motive")
    assert table.loc["Feel connected", "Gap (points, B − A)"] == pytest.approx(31.0)
    assert table.loc["Feel connected", "Real after Holm?"] == "yes"
    assert table.loc["Learn about new products", "Figures known"] == "ranks only"
    assert table.loc["Learn about new products", "Consumers: share"] == ""  # unknown stays blank
    m = metrics(at)
    assert m["Spearman ρ (rank correlation)"].value == "-0.01"
    assert m["Consumers who go to social sites to interact with brands"].value == "23%"
    assert "Confidence: high" in m["Consumers who go to social sites to interact with brands"].help
    assert any(P.CITATION in c.value for c in at.caption)
    assert at.info  # no breakdown for the published study, said plainly


def test_switching_the_source_to_the_demo_study(app_db):
    at = open_page()
    at.selectbox(key="pg_source").select(DEMO_STUDY).run()
    assert_clean(at)
    assert at.selectbox(key="pg_a").value == (DEMO_STUDY, "consumer", None)
    assert at.selectbox(key="pg_b").value == (DEMO_STUDY, "business", None)
    table = at.dataframe[0].value
    assert len(table) == 12 and set(table["Figures known"]) == {"shares and ranks"}
    assert at.radio(key="pg_by").value == "segment"
    assert "Alignment score" in metrics(at)
    at.radio(key="pg_by").set_value("region").run()
    assert_clean(at)
    # Two consumer segments of the survey: no belief, so higher/lower instead of over/underestimates.
    premium = next(o for o in at.selectbox(key="pg_b").options if "segment Premium" in o)
    at.selectbox(key="pg_b").set_value((DEMO_STUDY, "consumer", "Premium")).run()
    assert_clean(at)
    assert premium
    directions = set(at.dataframe[0].value["Direction"]) - {""}
    assert directions and all("estimates" not in d for d in directions)


def test_the_same_group_twice_is_refused_politely(app_db):
    at = open_page(pg_source=DEMO_STUDY)
    at.selectbox(key="pg_b").set_value((DEMO_STUDY, "consumer", None)).run()
    assert_clean(at)
    assert "same" in at.warning[0].value


def test_url_query_params_reopen_the_same_view(app_db):
    at = open_page(pg_source=DEMO_STUDY, pg_by="region", pg_wi_m1="Feel connected", pg_wi_s1="15",
                   pg_wi_m2="Get discounts or coupons", pg_wi_s2="-20")
    assert_clean(at)
    assert at.selectbox(key="pg_source").value == DEMO_STUDY
    assert at.selectbox(key="pg_source").proto.query_param_key == "pg_source"
    assert at.radio(key="pg_by").value == "region"
    assert at.selectbox(key="pg_wi_m1").value == "Feel connected" and at.slider(key="pg_wi_s1").value == 15
    after = metrics(at)["Alignment after the what-if"]
    assert after.delta.startswith("+")  # less discount push, more connection: closer to what consumers say
    assert "Before → after" in html_text(at)
    for key in ("pg_a", "pg_b", "pg_wi_m1", "pg_wi_s1", "pg_by"):
        el = at.slider(key=key) if key.startswith("pg_wi_s") else (
            at.radio(key=key) if key == "pg_by" else at.selectbox(key=key))
        assert el.proto.query_param_key == key


def test_the_filters_narrow_the_survey_and_the_content(app_db):
    at = open_page(pg_source=DEMO_STUDY, segment="Premium")
    assert_clean(at)
    assert at.session_state["filters"].segments == ("Premium",)
    assert any("linked to customers matching the filters" in plain(i.value) for i in at.info)
    n = at.dataframe[0].value["Consumers: n"].dropna().iloc[0]
    assert 0 < n < 1000  # only the linked Premium consumers


def test_a_lexicon_edit_persists(demo_db_copy, monkeypatch):
    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    at = open_page()
    assert_clean(at)
    editor = at.data_editor[0].value
    assert "flash sale" not in set(editor["keyword"])
    at.selectbox(key="pg_lex_add_motive").set_value("Get discounts or coupons")
    at.text_input(key="pg_lex_add_words").input("flash sale, Mega Deal")
    next(b for b in at.button if b.label == "Add").click().run()
    assert_clean(at)
    assert any("2 keyword(s) added" in plain(s.value) for s in at.success)
    conn = store.connect(demo_db_copy)
    try:
        assert {"flash sale", "mega deal"} <= set(P.lexicon_dict(conn)["Get discounts or coupons"])
    finally:
        conn.close()
    again = open_page()  # a new session reads the stored lexicon
    assert {"flash sale", "mega deal"} <= set(again.data_editor[0].value["keyword"])
    next(b for b in again.button if b.label == "Reset to defaults").click().run()
    assert_clean(again)
    assert "flash sale" not in set(again.data_editor[0].value["keyword"])


def test_importing_a_survey_here(demo_db_copy, monkeypatch):
    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    at = open_page()
    good = (b"study,group,motive,share,n\n"
            b"Wave 2,consumer,Feel connected,0.4,500\nWave 2,consumer,Get discounts or coupons,0.6,500\n"
            b"Wave 2,business,Feel connected,0.7,120\nWave 2,business,Get discounts or coupons,0.5,120\n")
    at.file_uploader(key="pg_upload").upload("wave2.csv", good, "text/csv")
    at.run()
    next(b for b in at.button if b.label == "Import survey responses").click().run()
    assert_clean(at)
    assert "Wave 2" in at.selectbox(key="pg_source").options
    at.selectbox(key="pg_source").select("Wave 2").run()
    assert_clean(at)
    assert len(at.dataframe[0].value) == 2
    bad = b"study,group,motive,share,n\nWave 3,consumer,Feel connected,lots,500\n"
    at.file_uploader(key="pg_upload").upload("bad.csv", bad, "text/csv")
    at.run()
    next(b for b in at.button if b.label == "Import survey responses").click().run()
    assert at.error and "bad.csv, row 2" in plain(at.error[0].value)
    assert "Wave 3" not in at.selectbox(key="pg_source").options
