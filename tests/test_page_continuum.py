"""The Continuum page under AppTest on the small demo: every tab, the focus from the URL, the publicness editor."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis import continuum, store
from analysis.filters import Filters
from tests.pagetest import assert_clean, metrics, open_page

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "pages/continuum.py"
TABS = ["Continuum", "Journeys", "Going public", "Talk / listen", "What if"]


def run_page(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(PAGE).run()
    return at




def as_int(text: str) -> int:
    return int(text.replace(",", ""))


def read(path, sql: str) -> pd.DataFrame:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return pd.read_sql_query(sql, conn)
    finally:
        conn.close()


def start_channels(path) -> pd.Series:
    """Each conversation's starting channel, worked out independently of the page's code."""
    t = read(path, "SELECT thread_id, occurred_at, interaction_id, channel FROM interactions "
                   "WHERE thread_id IS NOT NULL")
    t = t[t.groupby("thread_id")["thread_id"].transform("size") >= 2]
    return t.sort_values(["thread_id", "occurred_at", "interaction_id"]).groupby("thread_id")["channel"].first()


def test_continuum_tab_shows_every_channel(app_db):
    at = run_page()
    assert_clean(at)
    m = metrics(at)
    total = int(read(app_db, "SELECT COUNT(*) AS n FROM interactions")["n"][0])
    assert as_int(m["Touches"]) == total
    customers = int(read(app_db, "SELECT COUNT(DISTINCT customer_id) AS n FROM interactions")["n"][0])
    assert as_int(m["Active customers"]) == customers
    assert m["Channels in use"].endswith(f"of {len(read(app_db, 'SELECT * FROM channels'))}")
    assert "Phone" in at.multiselect(key="focus").options
    table = at.dataframe[0].value
    assert len(table) == len(read(app_db, "SELECT * FROM channels"))


def test_channel_table_shows_a_dash_where_a_channel_has_no_value(app_db):
    """Under a segment, a channel nobody used there has no company talk share, and a private channel where
    its customers wrote nothing has no mean sentiment: the table holds float NaN in those cells and shows
    them as a dash, never as the word "None"."""
    import ui

    at = open_page(PAGE, segment="Business")  # the filter in the URL of the first request, as a link gives
    assert_clean(at)
    assert at.session_state["filters"].segments == ("Business",)
    shown = next(d for d in at.dataframe if "talk_share" in d.value.columns)
    assert shown.proto.placeholder == ui.MISSING == "–"
    table = shown.value.set_index("label")
    touches = read(app_db, "SELECT ch.label, ch.publicness, i.direction, i.text FROM interactions i "
                           "JOIN customers c USING (customer_id) JOIN channels ch USING (channel) "
                           "WHERE c.segment = 'Business'")
    sides = touches.pivot_table(index="label", columns="direction", values="publicness", aggfunc="size",
                                fill_value=0).reindex(table.index, fill_value=0)
    talk = sides["outbound"] / (sides["inbound"] + sides["outbound"]).where(lambda n: n > 0)
    assert talk.isna().any() and talk.notna().any()  # the demo has both kinds of channel under Business
    for column in ("talk_share", "sentiment"):
        assert table[column].dtype == "float64", column
    pd.testing.assert_series_equal(table["talk_share"], talk * 100, check_names=False, atol=1e-9)
    channels = read(app_db, "SELECT label, publicness FROM channels").set_index("label")["publicness"]
    private = channels[channels < 0.5].index
    wrote = touches[(touches["direction"] == "inbound") & touches["text"].fillna("").ne("")]["label"].unique()
    silent = [c for c in private if c not in wrote]
    assert silent and table.loc[silent, "sentiment"].isna().all()
    assert table.loc[[c for c in private if c in wrote], "sentiment"].notna().all()


@pytest.mark.parametrize("section, label", [
    ("Journeys", "Went public"), ("Going public", "Followed by a public vent"),
    ("Talk / listen", "Company talk share"), ("What if", "Public vent (negative post): expected")])
def test_every_tab_renders_with_its_key_numbers(app_db, section, label):
    at = run_page(section=section)
    assert_clean(at)
    m = metrics(at)
    assert label in m and m[label] not in ("", "–")


def test_journey_numbers_match_the_data(app_db):
    at = run_page(section="Journeys")
    assert_clean(at)
    starts = start_channels(app_db)
    assert as_int(metrics(at)["Conversations"]) == len(starts)


def test_focus_channel_from_the_url_narrows_the_page(app_db):
    all_ = metrics(run_page(section="Journeys"))
    # The link carries the channel as it is shown (its label).
    at = run_page(section="Journeys", focus="Phone")
    assert_clean(at)
    assert at.multiselect(key="focus").value == ["phone"]
    phone = metrics(at)
    starts = start_channels(app_db)
    assert as_int(phone["Conversations"]) == int((starts == "phone").sum()) < as_int(all_["Conversations"])
    # The channel table narrows to the focus as well.
    at = run_page(focus="Phone")
    assert_clean(at)
    assert at.dataframe[0].value["label"].tolist() == ["Phone"]


def test_focus_journey_from_the_url_and_clearing_the_focus(app_db):
    conn = store.connect(app_db, create=False)
    try:
        paths = continuum.journeys_view(conn, Filters()).paths.set_index("path")
    finally:
        conn.close()
    at = run_page(section="Journeys", focus_path="Public reply → Direct message")
    assert_clean(at)
    assert at.selectbox(key="focus_path").value == "public_reply>dm"
    assert as_int(metrics(at)["Conversations"]) == int(paths.loc["public_reply>dm", "n"])
    at.button(key="clear_focus").click().run()
    assert_clean(at)
    assert at.selectbox(key="focus_path").value == ""
    assert as_int(metrics(at)["Conversations"]) == int(paths["n"].sum())


def test_a_what_if_moves_expected_vents(app_db):
    at = run_page(section="What if")
    assert_clean(at)
    at.slider(key="wi_cut").set_value(0)
    at.select_slider(key="wi_frt").set_value("no change")
    at.run()
    assert_clean(at)
    before, after = metrics(at)["Public vent (negative post): expected"].split(" → ")
    assert before == after  # no change in, no change out
    at.slider(key="wi_cut").set_value(50).run()
    before, after = metrics(at)["Public vent (negative post): expected"].split(" → ")
    assert as_int(after) < as_int(before)
    assert metrics(at)["AUC"]


def test_editing_publicness_persists(demo_db_copy, monkeypatch):
    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    at = run_page()
    assert_clean(at)
    public_before = metrics(at)["On the public half"]
    order = read(demo_db_copy, "SELECT channel FROM channels ORDER BY publicness DESC, channel")["channel"].tolist()
    row = order.index("email")
    at.session_state["publicness_editor"] = {"edited_rows": {row: {"publicness": 0.6}}, "added_rows": [],
                                             "deleted_rows": []}
    at.run()
    save = at.button(key="save_publicness")
    assert not save.disabled
    save.click().run()
    assert_clean(at)
    saved = read(demo_db_copy, "SELECT publicness FROM channels WHERE channel = 'email'")["publicness"][0]
    assert saved == pytest.approx(0.6)
    # Email (the busiest channel by touches) now sits on the public half, and the page says so.
    assert float(metrics(at)["On the public half"].rstrip("%")) > float(public_before.rstrip("%"))
    assert any("Saved the publicness" in s.value for s in at.success)


@pytest.fixture
def public_only_db(tmp_path, monkeypatch):
    """A database of public conversations only (tweets), as the tweets format gives."""
    from tests import public_only

    path = tmp_path / "public.sqlite"
    conn = store.connect(path)
    public_only.load(conn)
    conn.close()
    monkeypatch.setenv("CONTINUUM_DB", str(path))
    return path


@pytest.mark.parametrize("section", TABS)
def test_every_tab_renders_on_public_only_data(public_only_db, section):
    at = run_page(section=section)
    assert_clean(at)
    if section == "Continuum":
        assert metrics(at)["Touches"] == "9"
    if section == "Going public":
        # No private channel: the tab says so and measures escalation (1 of the 3 answered conversations).
        assert any("cannot be measured" in w.value for w in at.warning)
        m = metrics(at)
        assert m["Escalated"] == "33%" and m["Answered by the brand"] == "3"
        assert "Followed by a public vent" not in m
    if section == "What if":
        assert any("cannot be fitted" in w.value for w in at.warning)
        assert not at.slider
