"""The tickets format: a real Zendesk API sample, Zendesk/Freshdesk CSV column names, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis import formats, ingest, store


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db

ZENDESK = Path(__file__).parent / "data" / "zendesk" / "tickets.jsonl"


def snapshot(db) -> dict:
    return {t: store.query_df(db, f'SELECT * FROM "{t}" ORDER BY 1').to_json() for t in store.TABLE_KEYS}


def test_real_zendesk_records(db):
    records = [json.loads(line) for line in ZENDESK.read_text(encoding="utf-8").splitlines()]
    report = formats.import_format(db, "tickets", ZENDESK)
    assert set(store.query_df(db, "SELECT customer_id FROM customers")["customer_id"]) == \
        {str(r["requester_id"]) for r in records}
    got = store.query_df(db, "SELECT thread_id, channel, kind, direction, occurred_at FROM interactions")
    # One opening touch per ticket, on the ticket's channel (Zendesk's "voice" is the phone channel).
    assert sorted(got["thread_id"]) == sorted(str(r["id"]) for r in records)
    assert set(got["kind"]) == {"inquiry"} and set(got["direction"]) == {"inbound"}
    assert dict(zip(got["thread_id"], got["channel"], strict=True)) == {"145": "phone", "1": "sample_ticket",
                                                                         "146": "web"}
    assert dict(zip(got["thread_id"], got["occurred_at"], strict=True))["146"] == "2023-06-19 16:28:23"
    # "offered"/"unoffered" are not ratings; nothing says when anyone replied.
    assert report.figures["satisfaction_scores"] == 0 and report.figures["first_replies"] == 0
    assert report.new_channels == ["sample_ticket"]


ZENDESK_CSV = (
    "Id,Requester,Requester email,Via,Status,Created at,Solved at,First reply time in minutes,"
    "Satisfaction Score,Assignee,Subject\n"
    "1001,Ann,ann@example.com,Mail,Solved,2024-03-01 09:00:00,2024-03-01 15:00:00,30,Good,Kim,Late parcel\n"
    "1002,Bob,bob@example.com,Voice,Closed,2024-03-02 10:00:00,2024-03-03 10:00:00,90,Bad,Lee,Refund\n"
    "1003,Ann,ann@example.com,Web Form,Open,2024-03-05 08:00:00,,,Offered,,Login\n"
    "1004,Cy,cy@example.com,Twitter,New,2024-03-06 08:00:00,,,,,Broken\n"
)

FRESHDESK_CSV = (
    "Ticket ID,Contact ID,Full name,Source,Status,Created time,Resolved time,First response time (in hrs),"
    "Survey results,Group\n"
    "7,c-1,Dee,Email,Closed,05/03/2024 09:00,05/03/2024 17:30,1.5,4,Billing\n"
    "8,c-2,Eve,Phone,Resolved,05/04/2024 11:00,05/04/2024 11:45,0.25,5,Billing\n"
    "9,c-1,Dee,Chat,Pending,05/06/2024 12:00,,2,,Support\n"
)


def test_zendesk_csv_export(db, tmp_path):
    f = tmp_path / "zendesk.csv"
    f.write_text(ZENDESK_CSV, encoding="utf-8")
    report = formats.import_format(db, "tickets", f)
    df = pd.read_csv(f)
    # Requesters by hand: Ann (two tickets), Bob, Cy.
    assert set(store.query_df(db, "SELECT customer_id FROM customers")["customer_id"]) == set(df["Requester"])
    assert store.scalar(db, "SELECT email FROM customers WHERE customer_id = 'Bob'") == "bob@example.com"
    inter = store.query_df(db, "SELECT interaction_id, thread_id, occurred_at, channel, direction, kind, amount, "
                               "account FROM interactions").set_index("interaction_id")
    # 4 openings + 2 replies + 2 resolutions (solved and closed) + 2 ratings (Good, Bad).
    assert len(inter) == 4 + 2 + 2 + 2
    assert inter.loc["1001:reply", "occurred_at"] == "2024-03-01 09:30:00"  # 30 minutes after creation
    assert inter.loc["1002:reply", "occurred_at"] == "2024-03-02 11:30:00"
    assert inter.loc["1002:solved", "kind"] == "resolution" and inter.loc["1002:solved", "account"] == "Lee"
    assert inter.loc["1001:satisfaction", "amount"] == 1.0 and inter.loc["1002:satisfaction", "amount"] == 0.0
    assert dict(inter.loc[[f"{t}:opened" for t in df["Id"]], "channel"]) == {
        "1001:opened": "email", "1002:opened": "phone", "1003:opened": "web", "1004:opened": "twitter"}
    assert pd.isna(inter.loc["1003:opened", "account"])
    assert report.new_channels == ["twitter"]
    assert report.figures == {"tickets": 4, "customers": 3, "first_replies": 2, "resolutions": 2,
                              "satisfaction_scores": 2}


def test_freshdesk_csv_export_with_hours_and_day_first_dates(db, tmp_path):
    f = tmp_path / "freshdesk.csv"
    f.write_text(FRESHDESK_CSV, encoding="utf-8")
    formats.import_format(db, "tickets", f)
    inter = store.query_df(db, "SELECT interaction_id, occurred_at, amount, account, kind FROM interactions"
                           ).set_index("interaction_id")
    # 05/03/2024 is read month first (US spreadsheets), 1.5 hours later is the first response.
    assert inter.loc["7:opened", "occurred_at"] == "2024-05-03 09:00:00"
    assert inter.loc["7:reply", "occurred_at"] == "2024-05-03 10:30:00"
    assert inter.loc["8:reply", "occurred_at"] == "2024-05-04 11:15:00"
    assert inter.loc["8:satisfaction", "amount"] == 5.0 and inter.loc["7:solved", "account"] == "Billing"
    assert "9:solved" not in inter.index  # pending: not resolved
    assert store.scalar(db, "SELECT name FROM customers WHERE customer_id = 'c-1'") == "Dee"


BAD = [
    ("no created column", "Id,Requester\n1,Ann\n", "t.csv: no created time column", "found: id, requester"),
    ("unreadable created", ZENDESK_CSV.replace("2024-03-02 10:00:00", "next week"), "t.csv, row 3, column 'created at'",
     "'next week'"),
    ("reply before creation", ZENDESK_CSV.replace("2024-03-02 10:00:00,2024-03-03", "2024-03-02 10:00:00,2024-03-01"),
     "t.csv, row 3, column 'solved at'", "before the ticket was created"),
    ("a bad score", ZENDESK_CSV.replace(",Good,", ",great,"), "t.csv, row 2, column 'satisfaction score'",
     "'great' is not a satisfaction score"),
    ("a duplicate ticket", ZENDESK_CSV.replace("1002,Bob", "1001,Bob"), "t.csv, row 3, column 'id'", "appears twice"),
    ("a blank requester", ZENDESK_CSV.replace("1004,Cy,", "1004,,"), "t.csv, row 5, column 'requester'",
     "a requester is required"),
]


@pytest.mark.parametrize("case,content,where,what", BAD, ids=[b[0] for b in BAD])
def test_bad_tickets_change_nothing(db, tmp_path, case, content, where, what):
    ok = tmp_path / "ok.csv"
    ok.write_text(ZENDESK_CSV, encoding="utf-8")
    formats.import_format(db, "tickets", ok)
    before = snapshot(db)
    f = tmp_path / "t.csv"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(ingest.ImportProblem) as err:
        formats.import_format(db, "tickets", f)
    assert str(err.value).startswith(where), str(err.value)
    assert what in str(err.value)
    assert snapshot(db) == before
