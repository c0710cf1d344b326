"""The Service timing page and the kinds editor under AppTest: figures recomputed here from the database's
own rows with pandas, the global filters, URL state, and honest notes on public-only data. The tests on
the demo run on both engines (SQLite, and the same demo on PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import store
from analysis.store import kinds
from tests import pagetest
from tests.pagetest import assert_clean, metrics

PAGE = "pages/service.py"


@pytest.fixture
def app_db(engine_app_db):
    """The app on the small demo, on each engine: each figure is recomputed from that engine's own rows."""
    return engine_app_db


def open_page(**query):
    at = pagetest.open_page(PAGE, **query)
    assert_clean(at)
    return at


def expected(address, segment: str | None = None) -> dict:
    """Conversations (threads whose first touch is inbound), unanswered ones and the median first
    response in minutes, from the interactions' raw rows (a file or a PostgreSQL address) with pandas."""
    with store.connection(address) as db:
        i = store.query_df(db, "SELECT i.thread_id, i.occurred_at, i.direction, i.interaction_id, c.segment "
                               "FROM interactions i LEFT JOIN customers c ON c.customer_id = i.customer_id "
                               "WHERE i.thread_id IS NOT NULL")
    i["t"] = pd.to_datetime(i["occurred_at"])
    i = i.sort_values(["thread_id", "t", "interaction_id"])
    size = i.groupby("thread_id")["t"].transform("size")
    first = i.groupby("thread_id").head(1)
    conv = first[(first["direction"] == "inbound")]
    # One-touch threads count only when their kind opens a conversation: none in the demo is inbound and alone
    # apart from orders, reviews and kudos, which do not open one.
    conv = conv[conv["thread_id"].isin(i.loc[size >= 2, "thread_id"])]
    if segment:
        conv = conv[conv["segment"] == segment]
    ids = set(conv["thread_id"])
    start = conv.set_index("thread_id")["t"]
    out = i[(i["direction"] == "outbound") & i["thread_id"].isin(ids)]
    first_out = out.groupby("thread_id")["t"].min()
    minutes = ((first_out - start.reindex(first_out.index)) / pd.Timedelta(minutes=1)).dropna()
    return {"conversations": len(ids), "unanswered": len(ids - set(first_out.index)),
            "median": float(np.median(minutes))}


def test_headline_figures_match_the_database(app_db):
    at = open_page()
    m = metrics(at)
    e = expected(app_db)
    assert m["Conversations"] == f"{e['conversations']:,}"
    assert m["Unanswered"] == f"{e['unanswered']:,}"
    assert m["First response, median"] == f"{e['median']:.0f} min"
    assert m["Replies moving to private"].endswith("%")
    # The going-public comparison and the per-account table are there.
    assert any("going public" in md.value for md in at.markdown)
    tables = [d.value for d in at.dataframe]
    assert any(set(t["group"]) == {"Started in public", "Started in private"} for t in tables)
    assert any("contact centre" in set(t["group"]) for t in tables)


def test_the_segment_filter_narrows_the_conversations(app_db):
    at = open_page(segment="Premium")
    assert at.session_state["filters"].segments == ("Premium",)
    assert metrics(at)["Conversations"] == f"{expected(app_db, 'Premium')['conversations']:,}"


def test_view_controls_live_in_the_url(app_db):
    at = open_page(service_compare="Channel it started on", service_per="Month it started",
                   service_measure="Resolution")
    assert at.selectbox(key="service_compare").value == "channel"
    assert at.selectbox(key="service_per").value == "month"
    months = next(d.value for d in at.dataframe if d.value["group"].astype(str).str.match(r"\d{4}-\d{2}").all())
    assert months["conversations"].sum() == expected(app_db)["conversations"]


def test_public_only_data_says_resolution_is_unknown(tmp_path, monkeypatch):
    path = tmp_path / "tweets.sqlite"
    db = store.connect(path)
    store.upsert_rows(db, "customers", [{"customer_id": "c1"}, {"customer_id": "c2"}])
    store.upsert_rows(db, "interactions", [
        {"interaction_id": "1", "customer_id": "c1", "thread_id": "1", "occurred_at": "2026-01-01 10:00:00",
         "channel": "post", "direction": "inbound", "kind": "inquiry"},
        {"interaction_id": "2", "customer_id": "c1", "thread_id": "1", "occurred_at": "2026-01-01 10:45:00",
         "channel": "public_reply", "direction": "outbound", "kind": "handoff_private", "account": "AcmeHelp"},
        {"interaction_id": "3", "customer_id": "c2", "thread_id": "3", "occurred_at": "2026-01-02 10:00:00",
         "channel": "post", "direction": "inbound", "kind": "inquiry"}])
    db.close()
    monkeypatch.setenv("CONTINUUM_DB", str(path))
    at = open_page()
    m = metrics(at)
    assert (m["Conversations"], m["Unanswered"], m["First response, median"]) == ("2", "1", "45 min")
    assert m["Replies moving to private"] == "100%"
    notes = " ".join(i.value for i in at.info)
    assert "Resolution time is unknown here" in notes and "Public-only data" in notes
    assert "Resolution, median" not in m
    waiting = next(d.value for d in at.dataframe if "Customer" in d.value.columns)
    assert waiting["Customer"].tolist() == ["customer_360?customer=c2"]


def test_the_data_page_places_kinds_the_vocabulary_does_not_list(demo_db_copy, monkeypatch):
    db = store.connect(demo_db_copy)
    store.upsert_rows(db, "interactions", [
        {"interaction_id": "X1", "customer_id": "C00001", "thread_id": "X", "occurred_at": "2026-01-01 10:00:00",
         "channel": "email", "direction": "inbound", "kind": "ticket_opened"}])
    db.close()
    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    at = pagetest.open_page("pages/data.py")
    assert_clean(at)
    assert any("ticket_opened" in pagetest.plain(w.value) for w in at.warning)
    at.button(key="add_kinds").click().run()
    assert_clean(at)
    assert any("Saved the meaning of 1 kind" in s.value for s in at.success)
    db = store.connect(demo_db_copy)
    assert kinds.meaning_map(db)["ticket_opened"] == "other"
    assert kinds.unlisted_kinds(db) == []
    db.close()
