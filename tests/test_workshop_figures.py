"""Scenarios show their own numbers: two views with different filters or settings give the figures
counted directly from the tables, and their difference; a bad saved scenario never breaks anything.

Every test runs on SQLite and on PostgreSQL (the same demo on each); the figures by hand are always
counted from the SQLite file's tables, so PostgreSQL's must equal SQLite's."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis import scenarios, store, summaries

ROOT = Path(__file__).resolve().parents[1]


def tables(path) -> dict[str, pd.DataFrame]:
    conn = store.connect(path)
    try:
        return {t: pd.read_sql_query(f"SELECT * FROM {t}", conn.conn)
                for t in ("customers", "interactions", "posts", "identities")}
    finally:
        conn.close()


def by_hand(t: dict[str, pd.DataFrame], segment: str) -> dict[str, int]:
    """The headline counts of one segment, from the raw tables with pandas."""
    ids = set(t["customers"].loc[t["customers"]["segment"] == segment, "customer_id"])
    i = t["interactions"][t["interactions"]["customer_id"].isin(ids)]
    linked = t["identities"][t["identities"]["customer_id"].isin(ids)][["platform", "handle"]]
    p = t["posts"].merge(linked, left_on=["platform", "author_handle"], right_on=["platform", "handle"])
    return {"Interactions": len(i), "Active customers": i["customer_id"].nunique(),
            "Conversations": i["thread_id"].dropna().nunique(), "Public posts": len(p),
            "Reshares": int(p["reshare_of"].notna().sum())}


@pytest.fixture(scope="module")
def raw(demo_db):
    """The SQLite demo's tables, for counting by hand (the PostgreSQL demo holds the same rows)."""
    return tables(demo_db)


@pytest.fixture
def db(engine_db):
    return engine_db


def test_two_segments_differ_by_the_amounts_counted_directly(engine_demo_db, raw):
    conn = store.connect(engine_demo_db)
    try:
        a = summaries.summarise(conn, "overview", {"segment": ["Premium"]})
        b = summaries.summarise(conn, "overview", {"segment": ["Value"]})
    finally:
        conn.close()
    premium, value = by_hand(raw, "Premium"), by_hand(raw, "Value")
    assert premium["Interactions"] != value["Interactions"]  # the demo's segments differ in size
    diff = summaries.difference(a, b).set_index("figure")
    for name in premium:
        assert a.metrics[name] == premium[name], name
        assert b.metrics[name] == value[name], name
        assert diff.loc[name, "difference"] == value[name] - premium[name], name
        assert diff.loc[name, "B − A"] == f"{value[name] - premium[name]:+,}", name
    # Each summary's chart is drawn under its own filters.
    assert "segment Premium" in a.figures[0].layout.title.text
    assert "segment Value" in b.figures[0].layout.title.text


def test_legacy_scenarios_open_with_the_same_figures(engine_demo_db, raw):
    conn = store.connect(engine_demo_db)
    try:
        old = summaries.summarise(conn, "overview", {"segments": "Premium"})
    finally:
        conn.close()
    assert old.metrics["Interactions"] == by_hand(raw, "Premium")["Interactions"]


def test_listening_scenarios_count_their_own_posts(engine_demo_db, raw):
    conn = store.connect(engine_demo_db)
    try:
        a = summaries.summarise(conn, "listening", {"segment": "Premium", "ls_grain": "month"})
        b = summaries.summarise(conn, "listening", {"segment": "Value", "ls_reshares": "false"})
    finally:
        conn.close()
    premium, value = by_hand(raw, "Premium"), by_hand(raw, "Value")
    assert a.metrics["Posts"] == premium["Public posts"]
    assert b.metrics["Posts"] == value["Public posts"] - value["Reshares"]  # reshares left out in B
    d = summaries.difference(a, b).set_index("figure")
    assert d.loc["Posts", "difference"] == value["Public posts"] - value["Reshares"] - premium["Public posts"]
    assert "per month" in a.figures[0].layout.title.text and "per week" in b.figures[0].layout.title.text


def test_whatif_settings_change_the_what_if_figures(engine_demo_db):
    conn = store.connect(engine_demo_db)
    try:
        none = summaries.summarise(conn, "continuum", {"wi_cut": "0", "wi_frt": "no change"})
        half = summaries.summarise(conn, "continuum", {"wi_cut": "50", "wi_frt": "no change"})
    finally:
        conn.close()
    if "Kudos expected now" not in none.metrics:
        pytest.skip("the small demo has too few kudos to fit the model")
    # No change at all: the scenario is the present, exactly.
    assert none.metrics["Kudos expected under the what-if"] == pytest.approx(none.metrics["Kudos expected now"])
    assert none.metrics["Kudos: change"] == pytest.approx(0.0)
    # Same data, same model: "now" agrees; faster resolution raises expected kudos (the demo's mechanism).
    assert half.metrics["Kudos expected now"] == pytest.approx(none.metrics["Kudos expected now"])
    assert half.metrics["Kudos expected under the what-if"] > none.metrics["Kudos expected under the what-if"]
    d = summaries.difference(none, half).set_index("figure")
    assert d.loc["Kudos expected under the what-if", "difference"] > 0.5
    assert d.loc["Kudos expected now", "B − A"] in ("+0", "-0")  # and only that one is unchanged


def test_bad_params_are_refused_when_saved(db):
    for params, words in [({"dates": ["2024-03-01", "2024-01-01"]}, "starts on 2024-03-01"),
                          ({"dates": "garbage"}, "not a date"), ({"from": "garbage"}, "not a date"),
                          ({"wi_cut": 150}, "between 0 and 90"), ({"wi_frt": "soon"}, "it can be")]:
        with pytest.raises(ValueError, match=words):
            scenarios.save(db, "bad", "listening", params)
    assert scenarios.list_scenarios(db).empty


def _store_raw(db, name: str, page: str, params_text: str) -> None:
    db.conn.execute("INSERT INTO scenarios (name, page, notes, params, created_at, updated_at) "
                    "VALUES (?, ?, '', ?, '2026-01-01 00:00:00', '2026-01-01 00:00:00')", (name, page, params_text))
    db.conn.commit()


def test_bad_saved_scenarios_say_why_on_their_own_row(db):
    scenarios.save(db, "good", "listening", {"segment": "Value"})
    _store_raw(db, "reversed", "listening", json.dumps({"dates": ["2024-03-01", "2024-01-01"]}))
    _store_raw(db, "garbage", "listening", json.dumps({"from": "garbage"}))
    _store_raw(db, "unreadable", "listening", "{not json")
    listed = scenarios.list_scenarios(db).set_index("name")
    assert listed.loc["good", "problem"] == ""
    assert "starts on 2024-03-01" in listed.loc["reversed", "problem"]
    assert "'garbage' is not a date" in listed.loc["garbage", "problem"]
    assert "cannot be read" in listed.loc["unreadable", "problem"]
    assert scenarios.load(db, "unreadable").caption().startswith("Cannot be shown")
    scenarios.save_deck(db, "mixed", ["good", "unreadable", "reversed"])
    assert [s.problem is None for s in scenarios.load_deck(db, "mixed")] == [True, False, False]


@pytest.fixture
def writable_app(engine_demo_copy, monkeypatch):
    monkeypatch.setenv("CONTINUUM_DB", str(engine_demo_copy))
    return engine_demo_copy


def test_a_bad_scenario_never_breaks_the_page_or_the_compare_panel(writable_app):
    conn = store.connect(writable_app)
    scenarios.save(conn, "Premium", "overview", {"segment": ["Premium"]})
    _store_raw(conn, "Tampered", "overview", json.dumps({"dates": "garbage", "segment": ["Value"]}))
    conn.conn.execute("UPDATE scenarios SET updated_at = '2099-01-01 00:00:00' WHERE name = 'Tampered'")
    conn.conn.commit()
    conn.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    notes = [w.value for w in at.warning]
    assert any("Tampered" in n and "not a date" in n for n in notes), notes
    at.switch_page("pages/workshop.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Tampered" in w.value and "not a date" in w.value for w in at.warning)


def test_compare_panel_shows_the_counted_difference(writable_app, raw):
    conn = store.connect(writable_app)
    scenarios.save(conn, "Value", "overview", {"segment": ["Value"]})
    scenarios.save(conn, "Premium", "overview", {"segment": ["Premium"]})  # newest: scenario A
    conn.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "B − A" in d.value.columns).set_index("figure")
    want = by_hand(raw, "Value")["Interactions"] - by_hand(raw, "Premium")["Interactions"]
    assert want != 0 and table.loc["Interactions", "B − A"] == f"{want:+,}"
    assert table.loc["Interactions", "Premium"] == f"{by_hand(raw, 'Premium')['Interactions']:,}"


def test_cascade_scenarios_count_their_own_cascades(engine_demo_db, raw):
    conn = store.connect(engine_demo_db)
    try:
        everyone = summaries.summarise(conn, "cascades", {})
        value = summaries.summarise(conn, "cascades", {"segment": "Value"})
    finally:
        conn.close()
    posts, ident, customers = raw["posts"], raw["identities"], raw["customers"]
    reshared = set(posts["reshare_of"].dropna())

    def by_hand(p: pd.DataFrame) -> tuple[int, int]:
        originals = p[p["reshare_of"].isna()]
        return len(originals), int(originals["post_id"].isin(reshared).sum())

    ids = set(customers.loc[customers["segment"] == "Value", "customer_id"])
    linked = ident[ident["customer_id"].isin(ids)][["platform", "handle"]]
    value_posts = posts.merge(linked, left_on=["platform", "author_handle"], right_on=["platform", "handle"])
    assert (everyone.metrics["Original posts"], everyone.metrics["Cascades"]) == by_hand(posts)
    assert (value.metrics["Original posts"], value.metrics["Cascades"]) == by_hand(value_posts)
    d = summaries.difference(everyone, value).set_index("figure")
    assert d.loc["Cascades", "difference"] == by_hand(value_posts)[1] - by_hand(posts)[1] < 0


def test_perception_scenarios_show_their_content_shift(engine_demo_db):
    conn = store.connect(engine_demo_db)
    try:
        same = summaries.summarise(conn, "perception", {})
        shifted = summaries.summarise(conn, "perception", {"pg_wi_m1": "Feel connected", "pg_wi_s1": "10"})
    finally:
        conn.close()
    if not same.metrics["Brand messages"]:
        pytest.skip("no brand messages in the small demo")
    assert same.metrics["Alignment change"] == 0 and same.metrics["Alignment score"] == shifted.metrics[
        "Alignment score"]
    m = shifted.metrics
    assert m["Alignment change"] == pytest.approx(m["Alignment after the what-if"] - m["Alignment score"])
    assert m["Alignment change (95% low)"] <= m["Alignment change (95% high)"]
    d = summaries.difference(same, shifted).set_index("figure")
    assert d.loc["Alignment after the what-if", "difference"] == pytest.approx(m["Alignment change"])
    assert d.loc["Alignment after the what-if", "difference"] != 0
