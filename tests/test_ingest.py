"""Imports: formats, dates, idempotence, and every bad-input case leaving the database unchanged."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import ingest, store

ROOT = Path(__file__).resolve().parents[1]

CUSTOMERS = "customer_id,name,segment,region,joined_at,lifetime_value\nC1,Ann,Value,Europe,2024-01-05,10.5\n" \
            "C2,Bob,Premium,Europe,03/15/2024,200\n"
INTERACTIONS = ("interaction_id,customer_id,thread_id,occurred_at,channel,direction,kind,text\n"
                "I1,C1,T1,2025-01-01T10:00:00Z,phone,inbound,complaint,My order is late\n"
                "I2,C1,T1,2025-01-01 12:00,phone,outbound,response,Sorry!\n"
                "I3,C2,,15.01.2025,email,Inbound,inquiry,\n")


def snapshot(conn) -> str:
    """A digest of every row of every table: equal digests mean nothing changed."""
    h = hashlib.sha256()
    for line in conn.conn.iterdump():
        h.update(line.encode())
    return h.hexdigest()


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


@pytest.fixture
def db(engine_db):
    """Every test here runs on SQLite and on PostgreSQL."""
    return engine_db


@pytest.fixture
def loaded(db, tmp_path):
    ingest.import_file(db, "customers", write(tmp_path, "customers.csv", CUSTOMERS))
    return db


def test_customers_and_interactions_import_with_mixed_date_forms(loaded, tmp_path):
    report = ingest.import_file(loaded, "interactions", write(tmp_path, "touches.csv", INTERACTIONS))
    assert report.rows == 3
    rows = store.query_df(loaded, "SELECT * FROM interactions ORDER BY interaction_id")
    assert rows["occurred_at"].tolist() == ["2025-01-01 10:00:00", "2025-01-01 12:00:00", "2025-01-15 00:00:00"]
    # Direction is normalised; a touch without a thread is a thread of its own.
    assert rows["direction"].tolist() == ["inbound", "outbound", "inbound"]
    assert rows["thread_id"].tolist() == ["T1", "T1", "I3"]
    joined = store.query_df(loaded, "SELECT joined_at FROM customers ORDER BY customer_id")["joined_at"].tolist()
    assert joined == ["2024-01-05 00:00:00", "2024-03-15 00:00:00"]


def test_column_names_match_case_insensitively(db, tmp_path):
    ingest.import_file(db, "customers", write(tmp_path, "c.csv", "Customer_ID, NAME\nC9,Zed\n"))
    assert store.scalar(db, "SELECT name FROM customers WHERE customer_id = 'C9'") == "Zed"


def test_reimport_is_idempotent(loaded, tmp_path):
    f = write(tmp_path, "touches.csv", INTERACTIONS)
    ingest.import_file(loaded, "interactions", f)
    first = snapshot(loaded)
    ingest.import_file(loaded, "interactions", f)
    assert store.scalar(loaded, "SELECT COUNT(*) FROM interactions") == 3
    # Only the data-version counter moves; the rows are identical.
    assert store.query_df(loaded, "SELECT * FROM interactions").shape == (3, 10)  # account is the 10th
    assert first != "" and store.scalar(loaded, "SELECT COUNT(*) FROM customers") == 2


def test_posts_get_sentiment_scored_once_per_distinct_text(db, tmp_path):
    text = ("post_id,platform,author_handle,created_at,text\n"
            "p1,x,ann,2025-01-01,I love this brand\np2,x,bob,2025-01-02,I love this brand\n"
            "p3,x,cy,2025-01-03,Terrible awful service\np4,x,cy,2025-01-03,\n")
    report = ingest.import_file(db, "posts", write(tmp_path, "posts.csv", text))
    assert report.distinct_texts_scored == 2
    s = store.query_df(db, "SELECT post_id, sentiment FROM posts ORDER BY post_id").set_index("post_id")["sentiment"]
    assert s["p1"] == s["p2"] > 0.5
    assert s["p3"] < -0.5
    assert pd.isna(s["p4"])  # no text, no score


def test_person_corrected_sentiment_survives_reimport(db, tmp_path):
    f = write(tmp_path, "posts.csv", "post_id,platform,author_handle,created_at,text\np1,x,ann,2025-01-01,great\n")
    ingest.import_file(db, "posts", f)
    db.conn.execute("UPDATE posts SET sentiment = -0.9, sentiment_corrected = 1")
    ingest.import_file(db, "posts", f)
    assert store.scalar(db, "SELECT sentiment FROM posts") == -0.9


def test_xlsx_json_and_jsonl(db, tmp_path):
    xlsx = tmp_path / "customers.xlsx"
    pd.DataFrame({"customer_id": [1, 2], "Name": ["Ann", "Bob"],
                  "joined_at": pd.to_datetime(["2024-01-01", "2024-02-01"])}).to_excel(xlsx, index=False)
    ingest.import_file(db, "customers", xlsx)
    assert store.query_df(db, "SELECT customer_id, joined_at FROM customers ORDER BY 1").values.tolist() == [
        ["1", "2024-01-01 00:00:00"], ["2", "2024-02-01 00:00:00"]]
    recs = [{"customer_id": "1", "platform": "x", "handle": "ann"}]
    ingest.import_file(db, "identities", write(tmp_path, "ids.json", json.dumps(recs)))
    lines = "\n".join(json.dumps(r) for r in [{"platform": "x", "follower_handle": "a", "followee_handle": "b"}])
    ingest.import_file(db, "follows", write(tmp_path, "f.jsonl", lines))
    assert store.table_counts(db)["identities"] == 1 and store.table_counts(db)["follows"] == 1


def test_survey_rows_respondent_and_aggregate(db, tmp_path):
    text = ('study,group,motive,respondent_id,selected,share,n\n'
            'S,consumer,Discounts,r1,1,,\nS,consumer,Discounts,r2,0,,\nS,business,Discounts,,,0.6,300\n')
    ingest.import_file(db, "survey_responses", write(tmp_path, "s.csv", text))
    assert store.table_counts(db)["survey_responses"] == 3


def test_unknown_channel_is_added_to_the_vocabulary(loaded, tmp_path):
    text = "interaction_id,customer_id,occurred_at,channel,direction\nI1,C1,2025-01-01,WhatsApp,inbound\n"
    report = ingest.import_file(loaded, "interactions", write(tmp_path, "t.csv", text))
    assert report.new_channels == ["whatsapp"]
    assert store.scalar(loaded, "SELECT publicness FROM channels WHERE channel = 'whatsapp'") == 0.5


# -- bad input: a clear message naming file, row and column, and nothing changed ------------

BAD_CASES = [
    ("missing column", "interactions", "t.csv",
     "interaction_id,customer_id,channel,direction\nI1,C1,phone,inbound\n",
     ["t.csv", "missing required column", "occurred_at"]),
    ("bad date", "interactions", "t.csv",
     "interaction_id,customer_id,occurred_at,channel,direction\nI1,C1,2025-01-01,phone,inbound\n"
     "I2,C1,yesterday,phone,inbound\n",
     ["t.csv", "row 3", "column 'occurred_at'", "'yesterday'", "date"]),
    ("date beyond 2199", "interactions", "t.csv",
     "interaction_id,customer_id,occurred_at,channel,direction\nI1,C1,2025-01-01,phone,inbound\n"
     "I2,C1,2300-01-01 10:00:00,phone,inbound\n",
     ["t.csv", "row 3", "column 'occurred_at'", "'2300-01-01 10:00:00'", "between 1900 and 2199"]),
    ("date before 1900", "customers", "c.csv", "customer_id,joined_at\nC5,1500-03-01\n",
     ["c.csv", "row 2", "column 'joined_at'", "'1500-03-01'", "between 1900 and 2199"]),
    ("slashed date beyond 2199", "customers", "c.csv", "customer_id,joined_at\nC5,2400/03/01\n",
     ["c.csv", "row 2", "joined_at", "between 1900 and 2199"]),
    ("duplicate key", "interactions", "t.csv",
     "interaction_id,customer_id,occurred_at,channel,direction\nI1,C1,2025-01-01,phone,inbound\n"
     "I2,C1,2025-01-01,phone,inbound\nI1,C2,2025-01-02,email,inbound\n",
     ["t.csv", "row 4", "interaction_id", "duplicate key", "row 2"]),
    ("unknown foreign key", "interactions", "t.csv",
     "interaction_id,customer_id,occurred_at,channel,direction\nI1,C1,2025-01-01,phone,inbound\n"
     "I2,C404,2025-01-01,phone,inbound\n",
     ["t.csv", "row 3", "customer_id", "C404", "customers"]),
    ("bad direction", "interactions", "t.csv",
     "interaction_id,customer_id,occurred_at,channel,direction\nI1,C1,2025-01-01,phone,sideways\n",
     ["t.csv", "row 2", "direction", "inbound"]),
    ("missing value", "customers", "c.csv", "customer_id,name\nC5,Eve\n,Nobody\n",
     ["c.csv", "row 3", "customer_id", "required"]),
    ("not a number", "customers", "c.csv", "customer_id,lifetime_value\nC5,lots\n",
     ["c.csv", "row 2", "lifetime_value", "not a number"]),
    ("empty file", "customers", "c.csv", "", ["c.csv", "empty"]),
    ("header only", "customers", "c.csv", "customer_id,name\n", ["c.csv", "empty"]),
    ("wrong encoding", "customers", "c.csv", "customer_id,name\nC5,Ren\xe9e\n".encode("latin-1"),
     ["c.csv", "encoding", "UTF-8", "line 2"]),
    ("bad json", "customers", "c.jsonl", '{"customer_id": "C5"}\n{"customer_id": \n',
     ["c.jsonl", "line 2", "JSON"]),
    ("publicness out of range", "channels", "ch.csv", "channel,publicness\nwhatsapp,1.5\n",
     ["ch.csv", "row 2", "publicness", "between 0 and 1"]),
    ("survey aggregate without n", "survey_responses", "s.csv", "study,group,motive,share\nS,consumer,M,0.5\n",
     ["s.csv", "row 2", "share", "aggregate"]),
    ("unknown group", "survey_responses", "s.csv", "study,group,motive,respondent_id,selected\nS,staff,M,r1,1\n",
     ["s.csv", "row 2", "group", "consumer"]),
]


@pytest.mark.parametrize("case,table,name,content,expected", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_names_the_problem_and_changes_nothing(loaded, tmp_path, case, table, name, content, expected):
    before = snapshot(loaded)
    with pytest.raises(ingest.ImportProblem) as err:
        ingest.import_file(loaded, table, write(tmp_path, name, content))
    message = str(err.value)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "Nothing was imported" in message
    assert snapshot(loaded) == before


def test_a_failure_during_the_write_rolls_everything_back(loaded, tmp_path, monkeypatch):
    before = snapshot(loaded)
    rows = "interaction_id,customer_id,occurred_at,channel,direction\n" + "".join(
        f"I{i},C1,2025-01-01,newchannel,inbound\n" for i in range(10))
    real = store.upsert_rows

    def failing(db, table, frame, **kw):
        if table != "interactions":
            return real(db, table, frame, **kw)
        real(db, table, frame.iloc[:5], **kw)  # half the rows are written...
        raise RuntimeError("disk full")  # ...then the write fails

    monkeypatch.setattr(store, "upsert_rows", failing)
    with pytest.raises(RuntimeError):
        ingest.import_file(loaded, "interactions", write(tmp_path, "t.csv", rows))
    assert snapshot(loaded) == before  # neither rows nor the new channel remain


def test_cli_import_creates_the_database_and_fails_with_nonzero_exit(tmp_path):
    dbfile = tmp_path / "new" / "fresh.sqlite"
    good = write(tmp_path, "customers.csv", CUSTOMERS)
    ok = subprocess.run([sys.executable, "-m", "analysis", "import", "customers", str(good), "--db", str(dbfile)],
                        capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert "Imported 2 rows into customers" in ok.stdout
    bad = write(tmp_path, "bad.csv", "customer_id,lifetime_value\nC7,lots\n")
    fail = subprocess.run([sys.executable, "-m", "analysis", "import", "customers", str(bad), "--db", str(dbfile)],
                          capture_output=True, text=True, cwd=ROOT)
    assert fail.returncode != 0
    assert "bad.csv, row 2, column 'lifetime_value'" in fail.stderr
    conn = store.connect(dbfile)
    assert store.scalar(conn, "SELECT COUNT(*) FROM customers") == 2
    conn.close()


def test_excel_serial_and_named_month_dates():
    parsed = ingest.parse_dates(pd.Series(["45292", "5 Mar 2024", "2024/03/05", "13/03/2024", "bogus"]))
    assert parsed.dt.strftime("%Y-%m-%d").tolist()[:4] == ["2024-01-01", "2024-03-05", "2024-03-05", "2024-03-13"]
    assert pd.isna(parsed.iloc[4])


@pytest.mark.parametrize("table, n, words", [
    ("brand_accounts", 1, "1 brand account"), ("brand_accounts", 2, "2 brand accounts"),
    ("survey_responses", 1, "1 survey response"), ("survey_responses", 10800, "10,800 survey responses"),
    ("identities", 1, "1 identity"), ("identities", 267, "267 identities"), ("customers", 1, "1 customer"),
    ("posts", 0, "0 posts"), ("follows", 1530, "1,530 follows"), ("channels", 1, "1 channel"),
])
def test_summaries_say_a_tables_rows_in_words(table, n, words):
    assert ingest.rows_in_words(table, n) == words


def test_every_importable_table_has_its_words():
    """A table added to SPECS without words would show its raw name ("brand_accounts") in summaries."""
    assert set(ingest.ROW_WORDS) == set(ingest.TABLES)
    for table, (one, many) in ingest.ROW_WORDS.items():
        assert "_" not in one + many and many == ingest.table_words(table)


def test_import_and_format_summaries_use_the_words():
    from analysis import formats

    one = ingest.ImportReport(table="brand_accounts", file="b.csv", rows=1, seconds=0.5)
    assert one.summary() == "Imported 1 row into brand accounts from b.csv in 0.50 s."
    two = ingest.ImportReport(table="survey_responses", file="s.csv", rows=2, seconds=0.25)
    assert two.summary().startswith("Imported 2 rows into survey responses from s.csv")
    report = formats.FormatReport(format="tweets", file="t.csv", reports=[
        ingest.ImportReport(table="customers", file="t.csv", rows=1, seconds=0),
        ingest.ImportReport(table="brand_accounts", file="t.csv", rows=1, seconds=0),
        ingest.ImportReport(table="posts", file="t.csv", rows=1530, seconds=0)])
    assert report.summary() == "Imported t.csv as tweets: 1 customer, 1 brand account, 1,530 posts."
