"""The kinds vocabulary: shipped meanings, unknown kinds from imports, edits, and every figure that reads
kinds going through meanings (conversations answered or not, resolution, revenue, Customer 360)."""

from __future__ import annotations

import math
import sqlite3

import pandas as pd
import pytest

from analysis import continuum, overview, store
from analysis import customer_360 as c360
from analysis.filters import Filters
from analysis.store import continuum as qc
from analysis.store import kinds


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db


def test_shipped_meanings_cover_the_demo_and_the_import_formats(db):
    m = kinds.meaning_map(db)
    # The demo's kinds.
    assert (m["complaint"], m["inquiry"], m["resolution"], m["purchase"]) == ("opens", "opens", "resolves", "purchase")
    assert {m[k] for k in ("follow_up", "response", "marketing", "review", "kudos")} == {"other"}
    # The tweets format: inquiry opens, message and reply are other, handoff_private is a hand-off.
    assert (m["message"], m["reply"], m["handoff_private"]) == ("other", "other", "handoff_private")
    # The tickets format: resolution resolves, satisfaction is other.
    assert m["satisfaction"] == "other"
    assert set(m.values()) <= set(kinds.MEANINGS)
    assert kinds.with_meaning(db, "opens") == ["complaint", "inquiry"]


def test_unknown_kinds_are_added_as_other_and_listed(db):
    assert kinds.ensure_kinds(db, ["complaint", "ticket_opened", None, "", "ticket_opened", "chargeback"]) == [
        "chargeback", "ticket_opened"]
    assert kinds.meaning_map(db)["ticket_opened"] == "other"
    assert kinds.ensure_kinds(db, ["ticket_opened"]) == []  # known now


def test_a_refused_import_adds_no_kind(db):
    with pytest.raises(RuntimeError):
        with db.atomic():
            assert kinds.ensure_kinds(db, ["brand_new"]) == ["brand_new"]
            raise RuntimeError("the import found a bad row")
    assert "brand_new" not in kinds.meaning_map(db)


def test_editing_a_meaning_is_saved_and_makes_kept_figures_stale(db):
    before = store.rows_version(db)
    kinds.set_kind(db, "ticket_solved", "resolves")
    assert kinds.meaning_map(db)["ticket_solved"] == "resolves"
    assert store.rows_version(db) == before + 1
    kinds.set_kind(db, "complaint", "other")
    assert kinds.meaning_map(db)["complaint"] == "other"
    assert kinds.kinds(db).set_index("kind").loc["complaint", "label"] == "Complaint"  # label kept
    with pytest.raises(ValueError, match="unknown meaning"):
        kinds.set_kind(db, "complaint", "escalates")


def test_kinds_used_but_not_listed_mean_other(db):
    store.upsert_rows(db, "interactions", [
        {"interaction_id": "1", "customer_id": "C", "thread_id": None, "occurred_at": "2025-01-01 00:00:00",
         "channel": "web", "direction": "inbound", "kind": "mystery"}])
    assert kinds.unlisted_kinds(db) == ["mystery"]
    assert list(kinds.meaning_of(["mystery", None, "purchase"], kinds.meaning_map(db))) == ["other", "other",
                                                                                         "purchase"]


def test_an_older_database_gains_the_kinds_table_and_the_account_column(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE channels (channel TEXT PRIMARY KEY, label TEXT, publicness REAL NOT NULL, description TEXT);
        CREATE TABLE interactions (interaction_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, thread_id TEXT,
            occurred_at TEXT NOT NULL, channel TEXT NOT NULL, direction TEXT NOT NULL, kind TEXT, amount REAL,
            text TEXT);
        INSERT INTO interactions VALUES ('1', 'C', 'T', '2025-01-01 00:00:00', 'email', 'inbound', 'complaint',
                                         NULL, 'help');""")
    conn.commit()
    conn.close()
    db = store.connect(path)
    cols = [r[1] for r in db.conn.execute("PRAGMA table_info(interactions)")]
    assert cols[-1] == "account"
    assert db.conn.execute("SELECT account, text FROM interactions").fetchall() == [(None, "help")]
    assert kinds.meaning_map(db)["resolution"] == "resolves"
    db.close()


# -- conversations through meanings ----------------------------------------------------------------------------

def _touch(iid, thread, when, direction, kind, channel="email", cid="C1", account=None, amount=None):
    return {"interaction_id": iid, "customer_id": cid, "thread_id": thread, "occurred_at": when,
            "channel": channel, "direction": direction, "kind": kind, "amount": amount, "account": account}


def _seed_help_desk(db):
    """A help desk with its own kinds: ticket_opened opens, ticket_solved resolves, order is a purchase.

    T1: opened 09:00, answered 09:30 by team_a, solved 13:00 (first response 0.5 h, resolution 4 h).
    T2: opened and never answered (one touch: a complaint nobody answered).
    T3: one order with a thread id: not a conversation.
    """
    for kind, meaning in (("ticket_opened", "opens"), ("ticket_solved", "resolves"), ("order", "purchase")):
        kinds.set_kind(db, kind, meaning)
    store.upsert_rows(db, "customers", [{"customer_id": "C1", "name": "Dee", "segment": "Value", "region": "EU",
                                         "lifetime_value": 50.0}])
    store.upsert_rows(db, "interactions", [
        _touch("a1", "T1", "2025-05-01 09:00:00", "inbound", "ticket_opened"),
        _touch("a2", "T1", "2025-05-01 09:30:00", "outbound", "agent_reply", account="team_a"),
        _touch("a3", "T1", "2025-05-01 13:00:00", "outbound", "ticket_solved", account="team_a"),
        _touch("b1", "T2", "2025-05-02 10:00:00", "inbound", "ticket_opened"),
        _touch("c1", "T3", "2025-05-03 10:00:00", "inbound", "order", channel="web", amount=80.0),
    ])


def test_an_unanswered_complaint_is_a_conversation_with_no_response(db):
    _seed_help_desk(db)
    touches = qc.service_touches(db)
    assert sorted(touches["thread_id"].unique()) == ["T1", "T2"]  # the lone order is not a conversation
    base = continuum.build_service_base(touches, qc.customer_attributes(db), meanings=kinds.meaning_map(db))
    th = base.threads.set_index("thread_id")
    assert th.loc["T1", "first_response_h"] == 0.5 and th.loc["T1", "resolution_h"] == 4.0
    assert th.loc["T1", "response_account"] == "team_a"
    assert math.isnan(th.loc["T2", "first_response_h"]) and not th.loc["T2", "resolved"]
    assert th["opened_inbound"].all()
    # "no response" on the Going public charts is no longer always empty.
    bins = continuum.add_bins(base.threads).set_index("thread_id")["first_response_bin"]
    assert bins.loc["T2"] == continuum.NO_RESPONSE


def test_revenue_counts_the_kinds_that_mean_purchase(db):
    _seed_help_desk(db)
    assert overview.kpis(db, Filters()).revenue == 80.0
    kinds.set_kind(db, "order", "other")
    assert overview.kpis(db, Filters()).revenue == 0.0


def test_customer_360_works_with_kinds_that_are_not_the_demo_names(db):
    _seed_help_desk(db)
    v = c360.view(db, "C1")
    th = v.threads.set_index("thread_id")
    assert sorted(th.index) == ["T1", "T2"]
    assert th.loc["T1", "status"] == "resolved"
    assert th.loc["T1", "resolved_at"] == pd.Timestamp("2025-05-01 13:00:00")
    assert th.loc["T2", "status"] == "open" and th.loc["T2", "waiting_on_us"]
    # The same customer with the shipped vocabulary only: their kinds mean nothing, so no service thread.
    plain = c360.assemble(v.customer, v.accounts, c360.q.interactions(db, "C1"), c360.q.posts(db, "C1"),
                          v.as_of, v.higher_value_share, meanings={})
    assert plain.threads.empty


def test_a_negative_post_after_an_order_of_a_custom_kind_raises_the_order_signal(db):
    _seed_help_desk(db)
    store.upsert_rows(db, "identities", [{"customer_id": "C1", "platform": "x", "handle": "dee"}])
    store.upsert_rows(db, "posts", [{"post_id": "p1", "platform": "x", "author_handle": "dee",
                                     "created_at": "2025-05-04 10:00:00", "text": "Awful order, broken.",
                                     "sentiment": -0.7}])
    rules = {s.rule: s for s in c360.view(db, "C1").signals}
    assert "negative_review_after_purchase" in rules
    assert "80.00" in rules["negative_review_after_purchase"].reason
