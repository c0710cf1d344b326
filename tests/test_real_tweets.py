"""Roles, sentiment by role, counted-once brand messages and escalation on real customer-service tweets
(tests/data/twcs: the Customer Support on Twitter corpus's own 93-tweet sample).

The tables are filled here by hand from the CSV with pandas, as a user converting the dump themselves
would: every tweet a post (with its reply link), inbound authors customers with an identity, the others
brand accounts, and each conversation (reply tree) a thread of interactions on the public channels. Every
expected figure is worked out from the CSV in this file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import continuum, listening, overview, perception, sentiment, store
from analysis.filters import Filters
from analysis.store import perception as sp

DATA = Path(__file__).parent / "data" / "twcs" / "sample.csv"
HANDOFF = re.compile(r"\b(?:DM|direct message|private message|e-?mail us|call us)\b", re.IGNORECASE)


def tweets() -> pd.DataFrame:
    raw = pd.read_csv(DATA, dtype=str)
    when = pd.to_datetime(raw["created_at"], format="%a %b %d %H:%M:%S %z %Y").dt.tz_convert(None)
    t = pd.DataFrame({
        "post_id": raw["tweet_id"], "author": raw["author_id"], "inbound": raw["inbound"].eq("True"),
        "at": when.dt.strftime("%Y-%m-%d %H:%M:%S"), "text": raw["text"],
        "reply_to": raw["in_response_to_tweet_id"].where(raw["in_response_to_tweet_id"].notna(), None)})
    t["sentiment"] = sentiment.score_texts(t["text"].tolist())[0]
    # The conversation: the root of each tweet's reply tree inside the file.
    parent = dict(zip(t["post_id"], t["reply_to"]))
    def root(pid):
        while parent.get(pid) in parent:
            pid = parent[pid]
        return pid
    t["thread"] = [root(p) for p in t["post_id"]]
    return t


@pytest.fixture(scope="module")
def data():
    return tweets()


@pytest.fixture
def tweet_db(db, data):
    load(db, data)
    return db


def load(db, t: pd.DataFrame) -> None:
    """The hand conversion: fill the tables of ``db`` from the tweets."""
    customers = sorted(t.loc[t["inbound"], "author"].unique())
    store.upsert_rows(db, "customers", [{"customer_id": f"tw{a}", "name": a} for a in customers])
    store.upsert_rows(db, "identities", [{"customer_id": f"tw{a}", "platform": "twitter", "handle": a}
                                         for a in customers])
    store.upsert_rows(db, "brand_accounts", [{"platform": "twitter", "handle": a}
                                             for a in sorted(t.loc[~t["inbound"], "author"].unique())])
    store.upsert_rows(db, "posts", pd.DataFrame({
        "post_id": t["post_id"], "platform": "twitter", "author_handle": t["author"], "created_at": t["at"],
        "text": t["text"], "reply_to": t["reply_to"], "sentiment": t["sentiment"], "sentiment_vader": t["sentiment"]}))
    # Conversations with a customer in them; the customer is the thread's first inbound author.
    s = t.sort_values(["thread", "at", "post_id"])
    owner = s[s["inbound"]].groupby("thread")["author"].first()
    conv = s[s["thread"].isin(owner.index)]
    first = ~conv["thread"].duplicated()
    kind = np.where(conv["inbound"], np.where(first, "inquiry", "message"),
                    np.where(conv["text"].str.contains(HANDOFF), "handoff_private", "reply"))
    store.upsert_rows(db, "interactions", pd.DataFrame({
        "interaction_id": conv["post_id"], "customer_id": "tw" + conv["thread"].map(owner),
        "thread_id": conv["thread"], "occurred_at": conv["at"],
        "channel": np.where(conv["reply_to"].isna(), "post", "public_reply"),
        "direction": np.where(conv["inbound"], "inbound", "outbound"), "kind": kind, "text": conv["text"]}))


def test_the_sample_is_what_its_readme_says(data):
    assert len(data) == 93 and int(data["inbound"].sum()) == 49
    assert data.loc[~data["inbound"], "author"].nunique() == 13


def test_posts_split_into_the_brand_and_its_customers_with_their_own_sentiment(tweet_db, data):
    t = overview.post_roles(tweet_db, Filters()).set_index("role")
    brand, customers = data[~data["inbound"]], data[data["inbound"]]
    assert t.loc["brand", "posts"] == len(brand) == 44
    assert t.loc["customer", "posts"] == len(customers) == 49
    assert t.loc["public", "posts"] == 0
    assert t.loc["brand", "mean_sentiment"] == pytest.approx(brand["sentiment"].mean())
    assert t.loc["customer", "mean_sentiment"] == pytest.approx(customers["sentiment"].mean())
    assert t.loc["customer", "negative_share"] == pytest.approx((customers["sentiment"] <= -0.05).mean())
    # Service agents are cheerful and customers are not: mixing them hides how customers feel.
    assert brand["sentiment"].mean() > 0.2 > customers["sentiment"].mean()
    k = overview.kpis(tweet_db, Filters(), roles=("customer", "public"))
    assert k.posts == 49 and k.mean_sentiment == pytest.approx(customers["sentiment"].mean())
    mixed = overview.kpis(tweet_db, Filters())
    assert mixed.mean_sentiment == pytest.approx(data["sentiment"].mean())


def test_agents_sign_offs_are_terms_of_the_brand_only(tweet_db, data):
    # Agents sign with their initials after '^', '/' or '-' ("... ^MM", "... /AY").
    initials = {m.lower() for text in data.loc[~data["inbound"], "text"]
                for m in re.findall(r"(?:\^|/|-)\s?([A-Z]{2})\b", text)}
    said_by_customers = {w.lower() for text in data.loc[data["inbound"], "text"] for w in re.findall(r"\w+", text)}
    agent_only = initials - said_by_customers
    assert len(agent_only) >= 3
    day = pd.Timestamp(data["at"].max()).date()
    p = listening.periods(pd.Timestamp(data["at"].min()).date(), day, recent_days=7, baseline_days=None)
    brand = listening.terms(tweet_db, Filters(), p, roles=("brand",))
    voices = listening.terms(tweet_db, Filters(), p, roles=("customer", "public"))
    assert agent_only & set(brand.table["term"])
    assert not agent_only & set(voices.table["term"])
    assert voices.n_all == int(data["inbound"].sum())  # no customer tweet here is a retweet


def test_each_brand_tweet_is_one_public_message(tweet_db, data):
    raw = sp.brand_public_messages(tweet_db)
    outbound = store.scalar(tweet_db, "SELECT COUNT(*) FROM interactions WHERE direction = 'outbound'")
    assert len(raw) == 44 + outbound  # each brand reply in a conversation is there twice
    msgs = perception.brand_messages(tweet_db)
    assert len(msgs) == 44 and msgs["message_id"].is_unique
    assert set(msgs["message_id"]) == set(data.loc[~data["inbound"], "post_id"])
    assert msgs.attrs["counted_once"] == outbound


def test_continuum_and_escalation_on_the_tweets(tweet_db, data):
    assert continuum.public_only(tweet_db)
    cv = continuum.channel_view(tweet_db, Filters())  # used to raise a TypeError under pandas 3
    touches = store.scalar(tweet_db, "SELECT COUNT(*) FROM interactions")
    assert cv.touches == touches and cv.public_share == 1.0
    # Escalation worked out from the CSV: conversations a customer opened, the brand's first reply in each,
    # and whether the customer tweeted again after it.
    s = data.sort_values(["thread", "at", "post_id"])
    opened = s.groupby("thread")["inbound"].first()
    opened = opened[opened].index
    answered, escalated = 0, 0
    for thread in opened:
        rows = s[s["thread"] == thread]
        replies = rows.loc[~rows["inbound"], "at"]
        if replies.empty:
            continue
        answered += 1
        escalated += int((rows["inbound"] & (rows["at"] > replies.min())).any())
    e = continuum.escalation_view(tweet_db, Filters())
    assert (e.answered, e.escalated) == (answered, escalated)
    assert 0 < escalated < answered
    assert e.rate == pytest.approx(escalated / answered)


@pytest.fixture
def tweet_app(tmp_path, monkeypatch, data):
    path = tmp_path / "tweets.sqlite"
    conn = store.connect(path)
    load(conn, data)
    conn.close()
    monkeypatch.setenv("CONTINUUM_DB", str(path))
    return path


def test_pages_on_the_tweets(tweet_app, data):
    from tests.pagetest import assert_clean, metrics, open_page

    customers = data[data["inbound"]]
    at = open_page("pages/overview.py")
    assert_clean(at)
    m = metrics(at)
    assert m["Public posts"] == "49" and m["Mean sentiment"] == f"{customers['sentiment'].mean():+.2f}"
    at = open_page("pages/overview.py", ov_roles="The brand's own accounts")
    assert metrics(at)["Mean sentiment"] == f"{data.loc[~data['inbound'], 'sentiment'].mean():+.2f}"
    at = open_page("pages/listening.py")
    assert_clean(at)
    assert metrics(at)["Posts"] == "49"
    at = open_page("pages/perception.py")
    assert_clean(at)
    outbound = int((data["thread"].isin(data.loc[data["inbound"], "thread"]) & ~data["inbound"]).sum())
    assert any(c.value.startswith(f"{outbound} of the brand's posts are also recorded") for c in at.caption)
    for section in ("Continuum", "Going public", "Talk / listen", "What if"):
        at = open_page("pages/continuum.py", section=section)
        assert_clean(at)


def test_filtered_overview_and_brand_messages_kept_in_memory_on_the_tweets(tweet_app, data):
    """The in-memory interactions cube and the brand's messages filtered in memory (issue #16), on real
    tweets and a date window that cuts the conversations, against counts worked out from the CSV."""
    from analysis import interaction_cube
    from analysis.store import rollups

    t = data
    s = t.sort_values(["thread", "at", "post_id"])
    owner = s[s["inbound"]].groupby("thread")["author"].first()
    conv = s[s["thread"].isin(owner.index)].assign(customer=lambda d: d["thread"].map(owner))
    with store.connection(tweet_app) as db:
        rollups.ensure(db)
        assert interaction_cube.usable(db)
        for lo, hi in ((None, None), ("2017-10-11", None), ("2017-10-11", "2017-10-11"), (None, "2017-10-10")):
            day = conv["at"].str[:10]
            inside = conv[(day >= (lo or "")) & (day <= (hi or "9999"))]
            f = Filters(date_from=lo, date_to=hi)
            got = rollups.interaction_totals(interaction_cube.interaction_days(db, f))
            assert got["interactions"] == len(inside), f
            assert got["active_customers"] == inside["customer"].nunique(), f
            assert got["threads"] == inside["thread"].nunique(), f
            assert got["inbound"] == int(inside["inbound"].sum()), f
            assert got["outbound"] == int((~inside["inbound"]).sum()), f
            # Each brand tweet of the window is one public message, whichever record (post or reply) it is.
            brand = t[~t["inbound"] & (t["at"].str[:10] >= (lo or "")) & (t["at"].str[:10] <= (hi or "9999"))]
            msgs = perception.brand_messages(db, f)
            assert sorted(msgs["message_id"]) == sorted(brand["post_id"]), f
