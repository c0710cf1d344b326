"""The tweets format on real samples: figures computed here with pandas and networkx, not copied."""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from analysis import formats, ingest, store


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db

DATA = Path(__file__).parent / "data"
TWCS = DATA / "twcs" / "sample.csv"
TIMELINE = DATA / "twitter_api" / "user_timeline.json"
SEARCH = DATA / "twitter_api" / "search_tweets.jsonl"

# Written here independently of data/reference/handoff_phrases.txt: the phrases the README names.
HANDOFF = re.compile(r"\bDMs?\b|direct message|private message|e-?mail us|call us|phone us|give us a call",
                     re.IGNORECASE)


def snapshot(db) -> dict:
    return {t: store.query_df(db, f'SELECT * FROM "{t}" ORDER BY 1, 2').to_json() for t in store.TABLE_KEYS}


@pytest.fixture(scope="module")
def twcs():
    return pd.read_csv(TWCS, dtype=str)


@pytest.fixture(scope="module")
def loaded():
    db = store.memory_db()
    report = formats.import_format(db, "tweets", TWCS)
    return db, report


def trees(df: pd.DataFrame) -> tuple[nx.DiGraph, list[set]]:
    g = nx.DiGraph()
    g.add_nodes_from(df["tweet_id"])
    for child, parent in df[["tweet_id", "in_response_to_tweet_id"]].dropna().itertuples(index=False):
        g.add_edge(parent, child)
    return g, [c for c in nx.weakly_connected_components(g)]


def test_customers_brands_posts_and_reply_links(loaded, twcs):
    db, report = loaded
    inbound = twcs["inbound"] == "True"
    customers = set(twcs.loc[inbound, "author_id"])
    brands = set(twcs.loc[~inbound, "author_id"])
    assert not customers & brands
    assert set(store.query_df(db, "SELECT customer_id FROM customers")["customer_id"]) == customers
    assert set(store.query_df(db, "SELECT handle FROM identities WHERE platform = 'twitter'")["handle"]) == customers
    assert set(store.query_df(db, "SELECT handle FROM brand_accounts")["handle"]) == brands
    assert len(brands) == 13
    posts = store.query_df(db, "SELECT post_id, reply_to, created_at FROM posts")
    assert len(posts) == len(twcs) == 93
    links = dict(twcs[["tweet_id", "in_response_to_tweet_id"]].dropna().itertuples(index=False))
    assert dict(posts[["post_id", "reply_to"]].dropna().itertuples(index=False)) == links
    assert len(links) == 68
    # Twitter's own date form, in UTC.
    assert posts.set_index("post_id").loc["119237", "created_at"] == "2017-10-11 06:55:44"


def test_threads_are_the_reply_trees(loaded, twcs):
    db, _ = loaded
    g, comps = trees(twcs)
    inbound_ids = set(twcs.loc[twcs["inbound"] == "True", "tweet_id"])
    with_customer = [c for c in comps if c & inbound_ids]
    inter = store.query_df(db, "SELECT interaction_id, thread_id, direction, channel, kind, account, customer_id "
                               "FROM interactions")
    # One thread per reply tree that has a customer tweet; every tweet of those trees is a touch.
    assert inter["thread_id"].nunique() == len(with_customer)
    present = set(twcs["tweet_id"])
    assert set(inter["interaction_id"]) == set().union(*with_customer) & present
    for comp in with_customer:
        threads = set(inter.loc[inter["interaction_id"].isin(comp), "thread_id"])
        assert len(threads) == 1
    # Directions and accounts follow the inbound flag.
    by_id = twcs.set_index("tweet_id")
    out = inter[inter["direction"] == "outbound"]
    assert (by_id.loc[out["interaction_id"], "inbound"] == "False").all()
    assert list(out["account"]) == list(by_id.loc[out["interaction_id"], "author_id"])
    assert inter.loc[inter["direction"] == "inbound", "account"].isna().all()
    # Opening tweets that answer nothing are on the 'post' channel, every reply on 'public_reply'.
    roots = set(twcs.loc[twcs["in_response_to_tweet_id"].isna(), "tweet_id"])
    assert set(inter.loc[inter["channel"] == "post", "interaction_id"]) == roots & set(inter["interaction_id"])


def test_conversations_opened_by_customers_and_unanswered(loaded, twcs):
    _, report = loaded
    df = twcs.assign(at=pd.to_datetime(twcs["created_at"], format="%a %b %d %H:%M:%S %z %Y"))
    _, comps = trees(df)
    by_id = df.set_index("tweet_id")
    opened = unanswered = 0
    for comp in comps:
        rows = by_id.loc[sorted(comp & set(by_id.index))].sort_values(["at"])
        if rows["inbound"].iloc[0] == "True":
            opened += 1
            unanswered += int((rows["inbound"] == "True").all())
    assert report.figures["conversations"] == opened
    assert report.figures["unanswered_conversations"] == unanswered
    assert report.figures["customers"] == df.loc[df["inbound"] == "True", "author_id"].nunique()


def test_handoffs_to_private_are_brand_replies_asking_to_move(loaded, twcs):
    db, report = loaded
    _, comps = trees(twcs)
    inbound_ids = set(twcs.loc[twcs["inbound"] == "True", "tweet_id"])
    in_conversation = set().union(*[c for c in comps if c & inbound_ids])
    brand = twcs[(twcs["inbound"] == "False") & twcs["tweet_id"].isin(in_conversation)]
    expected = set(brand.loc[brand["text"].str.contains(HANDOFF), "tweet_id"])
    got = set(store.query_df(db, "SELECT interaction_id FROM interactions WHERE kind = 'handoff_private'")
              ["interaction_id"])
    assert got == expected
    assert report.figures["handoffs_to_private"] == len(expected) > 10
    # Customers never hand off, whatever they write.
    assert store.scalar(db, "SELECT COUNT(*) FROM interactions WHERE kind = 'handoff_private' "
                            "AND direction = 'inbound'") == 0


def test_twitter_api_json_with_nested_users_and_brand_named(db):
    tweets = json.loads(TIMELINE.read_text(encoding="utf-8"))
    report = formats.import_format(db, "tweets", TIMELINE, options={"brand": "@Twitter"})
    assert store.query_df(db, "SELECT platform, handle FROM brand_accounts").to_dict("records") == [
        {"platform": "twitter", "handle": "Twitter"}]
    posts = store.query_df(db, "SELECT post_id, author_handle, reply_to FROM posts")
    assert set(posts["post_id"]) == {t["id_str"] for t in tweets}
    replies = {t["id_str"]: t["in_reply_to_status_id_str"] for t in tweets if t["in_reply_to_status_id_str"]}
    assert dict(posts[["post_id", "reply_to"]].dropna().itertuples(index=False)) == replies
    assert len(replies) == 19
    # Only the brand speaks in this timeline: no customer, so no conversation is invented.
    assert store.scalar(db, "SELECT COUNT(*) FROM customers") == 0
    assert store.scalar(db, "SELECT COUNT(*) FROM interactions") == 0
    assert report.figures["conversations"] == 0


def test_twitter_api_jsonl_retweets_become_reshares(db):
    tweets = [json.loads(line) for line in SEARCH.read_text(encoding="utf-8").splitlines()]
    formats.import_format(db, "tweets", SEARCH, options={"brand": "tweepy_pie"})
    authors = {t["user"]["screen_name"] for t in tweets}
    assert store.scalar(db, "SELECT COUNT(*) FROM customers") == len(authors - {"tweepy_pie"})
    reshares = {t["id_str"]: t["retweeted_status"]["id_str"] for t in tweets if "retweeted_status" in t}
    got = store.query_df(db, "SELECT post_id, reshare_of FROM posts WHERE reshare_of IS NOT NULL")
    assert dict(got.itertuples(index=False)) == reshares and len(reshares) == 6


def test_api_export_without_inbound_needs_the_brand_named(db):
    before = snapshot(db)
    with pytest.raises(ingest.ImportProblem) as err:
        formats.import_format(db, "tweets", TIMELINE)
    assert "no 'inbound' column" in str(err.value) and "--brand" in str(err.value)
    assert snapshot(db) == before


def write(tmp_path, text, name="t.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


HEADER = ",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"


def test_float_ids_written_by_pandas_keep_reply_trees_whole(db, tmp_path):
    # pandas writes an id column with blanks as floats: 1.0 must still be the parent of the reply.
    p = write(tmp_path, HEADER + "0,1.0,c1,True,Wed Oct 11 06:55:44 +0000 2017,help,2.0,\n"
                                 "1,2.0,Brand,False,1507705000,@c1 DM us,,1.0\n"
                                 "2,3,c1,yes,1507705100000,thanks,,2\n")
    report = formats.import_format(db, "tweets", p)
    inter = store.query_df(db, "SELECT interaction_id, thread_id, occurred_at, kind FROM interactions "
                               "ORDER BY interaction_id")
    assert list(inter["interaction_id"]) == ["1", "2", "3"]
    assert set(inter["thread_id"]) == {"1"}
    assert list(inter["kind"]) == ["inquiry", "handoff_private", "message"]
    # Epoch seconds and milliseconds, told apart by size.
    assert list(inter["occurred_at"]) == ["2017-10-11 06:55:44", "2017-10-11 06:56:40", "2017-10-11 06:58:20"]
    assert report.figures["unanswered_conversations"] == 0


BAD = [
    ("a date no form reads", HEADER + "0,1,c1,True,yesterday,hi,,\n", "t.csv, row 2, column 'created_at'",
     "'yesterday'"),
    ("an unknown flag spelling", HEADER + "0,1,c1,maybe,2017-10-11,hi,,\n", "t.csv, row 2, column 'inbound'",
     "'maybe' is not a true/false value"),
    ("a duplicate tweet id", HEADER + "0,1,c1,True,2017-10-11,hi,,\n1,1.0,c2,True,2017-10-12,hi,,\n",
     "t.csv, row 3, column 'tweet_id'", "appears twice"),
    ("a blank author", HEADER + "0,1,,True,2017-10-11,hi,,\n", "t.csv, row 2, column 'author_id'",
     "an author is required"),
    ("a reply loop", HEADER + "0,1,c1,True,2017-10-11,hi,,2\n1,2,B,False,2017-10-12,hi,,1\n", "t.csv, row 2",
     "loop"),
]


@pytest.mark.parametrize("case,content,where,what", BAD, ids=[b[0] for b in BAD])
def test_bad_tweets_name_file_row_column_and_change_nothing(db, tmp_path, case, content, where, what):
    formats.import_format(db, "tweets", TWCS)
    before = snapshot(db)
    with pytest.raises(ingest.ImportProblem) as err:
        formats.import_format(db, "tweets", write(tmp_path, content))
    assert str(err.value).startswith(where), str(err.value)
    assert what in str(err.value)
    assert snapshot(db) == before


def test_every_problem_is_listed_not_only_the_first(db, tmp_path):
    rows = "".join(f"{i},{i + 1},c{i},{'perhaps' if i % 2 else 'True'},{'soon' if i < 3 else '2017-10-11'},x,,\n"
                   for i in range(6))
    with pytest.raises(formats.ImportProblems) as err:
        formats.import_format(db, "tweets", write(tmp_path, HEADER + rows))
    by_column = pd.DataFrame([vars(p) for p in err.value.problems]).groupby("column")["row"].apply(list)
    assert by_column["inbound"] == [3, 5, 7]
    assert by_column["created_at"] == [2, 3, 4]


def test_a_failure_while_writing_the_last_table_leaves_nothing(db, tmp_path, monkeypatch):
    before = snapshot(db)
    real = store.upsert_rows

    def failing(conn, table, rows, **kw):
        if table == "interactions":
            raise ingest.ImportProblem("sample.csv", "disk full")
        return real(conn, table, rows, **kw)

    monkeypatch.setattr(store, "upsert_rows", failing)
    with pytest.raises(ingest.ImportProblem):
        formats.import_format(db, "tweets", TWCS)
    assert snapshot(db) == before


def test_reimporting_the_same_export_changes_no_row(loaded):
    db, _ = loaded
    counts = store.table_counts(db)
    formats.import_format(db, "tweets", TWCS)
    assert store.table_counts(db) == counts


def test_cli_format_import_and_its_refusals(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    dbp = tmp_path / "cli.sqlite"

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "analysis", "import", *args, "--db", str(dbp)], cwd=root,
                              capture_output=True, text=True, timeout=300)

    ok = cli(str(TWCS), "--format", "tweets")
    assert ok.returncode == 0, ok.stderr
    # Tables in words, as the Data page names them (the summary once said "13 brand_accounts").
    assert "29 customers" in ok.stdout and "13 brand accounts" in ok.stdout
    assert "brand_accounts" not in ok.stdout
    no_brand = cli(str(TIMELINE), "--format", "tweets")
    assert no_brand.returncode == 2 and "--brand" in no_brand.stderr
    with_brand = cli(str(TIMELINE), "--format", "tweets", "--brand", "Twitter")
    assert with_brand.returncode == 0, with_brand.stderr
    bad = write(tmp_path, HEADER + "0,1,c1,True,soon,x,,\n1,2,c2,maybe,later,y,,\n")
    refused = cli(str(bad), "--format", "tweets")
    assert refused.returncode == 2
    assert "t.csv, row 2, column 'created_at'" in refused.stderr
    assert "column created_at: 2 problem(s) in rows 2, 3" in refused.stderr
    assert "column inbound: 1 problem(s) in rows 3" in refused.stderr
    db = store.connect(dbp)
    try:
        assert store.scalar(db, "SELECT COUNT(*) FROM posts") == 93 + 20
    finally:
        db.close()


def test_a_database_from_before_interactions_account_still_imports(db):
    db.conn.execute("ALTER TABLE interactions DROP COLUMN account")
    formats.import_format(db, "tweets", TWCS)
    assert store.scalar(db, "SELECT COUNT(*) FROM interactions") == 93
