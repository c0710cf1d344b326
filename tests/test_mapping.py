"""Column mappings and value transforms; ids normalised in the plain importer; the CLI's import forms."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import ingest, mapping, store
from analysis.formats import checks
from analysis.store import mappings


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db

ROOT = Path(__file__).resolve().parents[1]


def snapshot(db) -> dict:
    return {t: store.query_df(db, f'SELECT * FROM "{t}" ORDER BY 1').to_json() for t in store.TABLE_KEYS}


def test_date_forms():
    s = pd.Series(["Wed Oct 11 06:55:44 +0000 2017", "Wed Oct 11 08:55:44 +0200 2017"])
    assert list(mapping.date_text(mapping.parse_dates(s, "twitter"))) == ["2017-10-11 06:55:44"] * 2
    # 1507704944 s after 1970-01-01 00:00:00 UTC is 2017-10-11 06:55:44 (17450 days + 24944 s).
    assert 17450 * 86400 + 6 * 3600 + 55 * 60 + 44 == 1507704944
    assert list(mapping.date_text(mapping.parse_dates(pd.Series(["1507704944"]), "epoch_s"))) == ["2017-10-11 06:55:44"]
    assert list(mapping.date_text(mapping.parse_dates(pd.Series(["1507704944123"]), "epoch_ms"))) == \
        ["2017-10-11 06:55:44"]
    auto = mapping.parse_dates(pd.Series(["1507704944", "1507704944000", "Wed Oct 11 06:55:44 +0000 2017",
                                          "2017-10-11 06:55:44", "11/10/2017 06:55"]), "auto")
    assert list(mapping.date_text(auto)[:4]) == ["2017-10-11 06:55:44"] * 4
    assert list(mapping.date_text(mapping.parse_dates(pd.Series(["11/10/2017 06:55"]), "%d/%m/%Y %H:%M"))) == \
        ["2017-10-11 06:55:00"]
    assert mapping.parse_dates(pd.Series(["soon"]), "twitter").isna().all()


def test_flags_in_common_spellings():
    words = pd.Series(["True", "false", "YES", "no", "1", "0", "y", "N", "t", "F", None, "maybe"])
    assert list(mapping.parse_flags(words)) == [True, False, True, False, True, False, True, False, True, False,
                                                None, None]
    assert list(mapping.bad_flags(words)) == [False] * 11 + [True]


def test_plain_import_normalises_float_ids(db, tmp_path):
    # A reply written by pandas as 1.0 answers the post written 1: one reply tree, not two.
    f = tmp_path / "posts.csv"
    f.write_text("post_id,platform,author_handle,created_at,reply_to\n1,x,a,2024-01-01,\n2.0,x,b,2024-01-02,1.0\n"
                 "3,x,c,2024-01-03,2\n", encoding="utf-8")
    ingest.import_file(db, "posts", f)
    got = db.conn.execute("SELECT post_id, reply_to FROM posts ORDER BY post_id").fetchall()
    assert got == [("1", None), ("2", "1"), ("3", "2")]
    assert ingest.normalise_ids(pd.Series(["3.0", "0042", "A-3.0", "3.5", None])).tolist() == \
        ["3", "0042", "A-3.0", "3.5", None]


def test_brand_accounts_import(db, tmp_path):
    f = tmp_path / "brand.csv"
    f.write_text("Platform,Handle\ntwitter,AcmeHelp\ntwitter,Acme\n", encoding="utf-8")
    ingest.import_file(db, "brand_accounts", f)
    assert store.query_df(db, "SELECT handle FROM brand_accounts ORDER BY handle")["handle"].tolist() == \
        ["Acme", "AcmeHelp"]


HELPDESK = ("Ticket ID,Requester,Created (ms),Via,From customer,Body\n"
            "101.0,C1,1507704944000,Email,yes,My order is late\n"
            "102,C2,1507705944000,Web,Y,Refund please\n"
            "103,C1,1507706944000,Email,no,We are on it\n")

SPEC = {"table": "interactions",
        "columns": {"interaction_id": "Ticket ID", "customer_id": "Requester", "occurred_at": "Created (ms)",
                    "channel": "Via", "direction": "From customer", "text": "Body", "kind": {"value": "ticket"}},
        "transforms": {"occurred_at": "epoch_ms", "direction": "flag:inbound/outbound"}}


@pytest.fixture
def with_customers(db, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("customer_id\nC1\nC2\n", encoding="utf-8")
    ingest.import_file(db, "customers", f)
    return db


def test_mapping_reads_the_files_own_columns(with_customers, tmp_path):
    db = with_customers
    f = tmp_path / "helpdesk.csv"
    f.write_text(HELPDESK, encoding="utf-8")
    m = mapping.Mapping.from_dict(SPEC)
    mapping.import_mapped(db, m, f)
    got = store.query_df(db, "SELECT interaction_id, customer_id, occurred_at, channel, direction, kind "
                             "FROM interactions ORDER BY interaction_id")
    assert got.to_dict("records") == [
        {"interaction_id": "101", "customer_id": "C1", "occurred_at": "2017-10-11 06:55:44", "channel": "email",
         "direction": "inbound", "kind": "ticket"},
        {"interaction_id": "102", "customer_id": "C2", "occurred_at": "2017-10-11 07:12:24", "channel": "web",
         "direction": "inbound", "kind": "ticket"},
        {"interaction_id": "103", "customer_id": "C1", "occurred_at": "2017-10-11 07:29:04", "channel": "email",
         "direction": "outbound", "kind": "ticket"}]
    described = m.describe().set_index("column")
    assert described.loc["occurred_at", "from"] == "Created (ms)" and described.loc["kind", "from"] == "= ticket"


@pytest.mark.parametrize("content,where,what", [
    (HELPDESK.replace("Y,Refund", "perhaps,Refund"), "helpdesk.csv, row 3, column 'From customer'",
     "'perhaps' is not a true/false value"),
    (HELPDESK.replace("1507705944000", "tomorrow"), "helpdesk.csv, row 3, column 'Created (ms)'",
     "cannot read 'tomorrow' as a date"),
    (HELPDESK.replace("C2,", "C9,"), "helpdesk.csv, row 3, column 'Requester'", "unknown customer_id 'C9'"),
    (HELPDESK.replace("Via,", "Source,"), "helpdesk.csv:", "takes interactions.channel from column 'Via'"),
])
def test_bad_mapped_input_names_the_files_own_column_and_changes_nothing(with_customers, tmp_path, content, where,
                                                                         what):
    db = with_customers
    f = tmp_path / "helpdesk.csv"
    f.write_text(content, encoding="utf-8")
    before = snapshot(db)
    with pytest.raises(ingest.ImportProblem) as err:
        mapping.import_mapped(db, mapping.Mapping.from_dict(SPEC), f)
    assert str(err.value).startswith(where), str(err.value)
    assert what in str(err.value)
    assert snapshot(db) == before


def test_mapping_must_fill_required_columns_and_name_real_ones():
    with pytest.raises(ingest.ImportProblem, match="no column 'when'"):
        mapping.Mapping.from_dict({"table": "posts", "columns": {"when": "x"}})
    m = mapping.Mapping.from_dict({"table": "posts", "columns": {"post_id": "id"}})
    assert m.missing() == ["platform", "author_handle", "created_at"]


def test_saved_mappings_are_listed_and_reused(db):
    mappings.save(db, "helpdesk", SPEC)
    assert mappings.names(db) == ["helpdesk"]
    assert mapping.load("helpdesk", db).to_dict() == mapping.Mapping.from_dict(SPEC).to_dict()
    listing = mappings.listing(db)
    assert "direction <- From customer" in listing.loc[0, "columns"] and "kind <- ticket" in listing.loc[0, "columns"]
    with pytest.raises(ingest.ImportProblem, match="saved: helpdesk"):
        mapping.load("nosuch", db)


def test_every_problem_of_a_plain_import_grouped_by_column(tmp_path):
    frame = pd.DataFrame({"customer_id": ["C1", "C2", "C1", None] + [f"C{i}" for i in range(3, 33)],
                          "lifetime_value": ["x", "1", "y", "2"] + ["z"] * 30})
    problems = checks.table_problems(frame, "customers", "c.csv", 2)
    grouped = checks.by_column(problems, limit=20).set_index("column")
    assert grouped.loc["lifetime_value", "problems"] == 2 + 30
    assert grouped.loc["lifetime_value", "rows"].endswith("… and 12 more")
    # The repeated C1 (row 4) and the blank (row 5), in row order.
    assert grouped.loc["customer_id", "problems"] == 2
    assert grouped.loc["customer_id", "rows"] == "4, 5"
    dup = [p for p in problems if p.reason.startswith("duplicate key")]
    assert [p.row for p in dup] == [4]


def cli(*args, db):
    return subprocess.run([sys.executable, "-m", "analysis", "import", *args, "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_cli_mapping_file_saved_then_reused_by_name(tmp_path):
    dbp = tmp_path / "m.sqlite"
    (tmp_path / "c.csv").write_text("customer_id\nC1\nC2\n", encoding="utf-8")
    (tmp_path / "helpdesk.csv").write_text(HELPDESK, encoding="utf-8")
    (tmp_path / "more.csv").write_text(HELPDESK.replace("10", "20"), encoding="utf-8")
    (tmp_path / "m.json").write_text(json.dumps(SPEC), encoding="utf-8")
    assert cli("customers", str(tmp_path / "c.csv"), db=dbp).returncode == 0
    r = cli("interactions", str(tmp_path / "helpdesk.csv"), "--mapping", str(tmp_path / "m.json"),
            "--save-mapping", "desk", db=dbp)
    assert r.returncode == 0, r.stderr
    r = cli("interactions", str(tmp_path / "more.csv"), "--mapping", "desk", db=dbp)
    assert r.returncode == 0, r.stderr
    listed = cli("--list-mappings", db=dbp)
    assert "desk" in listed.stdout and "interactions" in listed.stdout
    db = store.connect(dbp)
    assert store.scalar(db, "SELECT COUNT(*) FROM interactions") == 6
    r = cli("posts", str(tmp_path / "more.csv"), "--mapping", "desk", db=dbp)
    assert r.returncode == 2 and "fills table interactions, not posts" in r.stderr


def test_cli_lists_every_problem(tmp_path):
    dbp = tmp_path / "p.sqlite"
    (tmp_path / "c.csv").write_text("customer_id,lifetime_value\nC1,x\nC2,y\nC1,3\n", encoding="utf-8")
    r = cli("customers", str(tmp_path / "c.csv"), db=dbp)
    assert r.returncode == 2
    assert "column lifetime_value: 2 problem(s) in rows 2, 3" in r.stderr
    assert "row 4: duplicate key" in r.stderr


def test_a_mapping_reads_nested_json_fields(db):
    timeline = Path(__file__).parent / "data" / "twitter_api" / "user_timeline.json"
    tweets = json.loads(timeline.read_text(encoding="utf-8"))
    m = mapping.Mapping.from_dict({"table": "posts", "columns": {
        "post_id": "id_str", "platform": {"value": "twitter"}, "author_handle": "user.screen_name",
        "created_at": "created_at", "text": "text", "reply_to": "in_reply_to_status_id_str"},
        "transforms": {"created_at": "twitter"}})
    mapping.import_mapped(db, m, timeline)
    assert store.scalar(db, "SELECT COUNT(*) FROM posts WHERE author_handle = 'Twitter'") == len(tweets) == 20
    assert store.scalar(db, "SELECT COUNT(*) FROM posts WHERE reply_to IS NOT NULL") == \
        sum(1 for t in tweets if t["in_reply_to_status_id_str"])


def test_saved_mappings_are_listed_one_row_per_mapped_column_in_the_tables_order(db):
    mappings.save(db, "helpdesk", SPEC)
    mappings.save(db, "crm", {"table": "brand_accounts", "columns": {"handle": "Handle", "platform": {"value": "x"}}})
    listed = mapping.saved_listing(db)
    assert list(listed.columns) == ["mapping", "table", "column", "from", "read as"]
    # Names in order, and each mapping's columns in the order ingest.SPECS gives its table's columns.
    assert listed["mapping"].tolist() == ["crm"] * 2 + ["helpdesk"] * 7
    crm = listed[listed["mapping"] == "crm"]
    assert crm["table"].tolist() == ["brand accounts"] * 2
    assert crm[["column", "from"]].values.tolist() == [["platform", "= x"], ["handle", "Handle"]]
    desk = listed[listed["mapping"] == "helpdesk"].set_index("column")
    assert desk.index.tolist() == ["interaction_id", "customer_id", "occurred_at", "channel", "direction", "kind",
                                   "text"]
    assert desk.loc["kind", "from"] == "= ticket" and desk.loc["text", "from"] == "Body"
    assert desk.loc["occurred_at", "read as"] == "epoch_ms" and desk.loc["direction", "read as"] == \
        "flag:inbound/outbound" and desk.loc["channel", "read as"] == ""


def test_no_saved_mapping_lists_nothing(db):
    assert mapping.saved_listing(db).empty
