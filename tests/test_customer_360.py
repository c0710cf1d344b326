"""Customer 360 on hand-made data: search, timeline, threads, going public and each signal rule."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import customer_360 as c360
from analysis import store
from analysis.store import customer_360 as q


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db


def touch(iid, cid, thread, when, channel, direction, kind, text=None, amount=None):
    return {"interaction_id": iid, "customer_id": cid, "thread_id": thread, "occurred_at": when, "channel": channel,
            "direction": direction, "kind": kind, "text": text, "amount": amount}


def post(pid, handle, when, text, sentiment, platform="x", reshare_of=None, reply_to=None):
    return {"post_id": pid, "platform": platform, "author_handle": handle, "created_at": when, "text": text,
            "sentiment": sentiment, "sentiment_vader": sentiment, "reshare_of": reshare_of, "reply_to": reply_to}


def seed(db):
    store.upsert_rows(db, "customers", [
        {"customer_id": "C1", "name": "Ann Lee", "email": "ann.lee@example.com", "segment": "Value",
         "region": "Europe", "joined_at": "2020-01-01 00:00:00", "lifetime_value": 100.0},
        {"customer_id": "C2", "name": "Bob Annan", "email": "bob@example.com", "segment": "Premium",
         "region": "Europe", "joined_at": "2021-01-01 00:00:00", "lifetime_value": 900.0},
        {"customer_id": "C3", "name": "Cy 100%_Real", "email": "cy@example.com", "segment": "Value",
         "region": "Asia-Pacific", "joined_at": "2022-01-01 00:00:00", "lifetime_value": 10.0},
    ])
    store.upsert_rows(db, "identities", [{"customer_id": "C1", "platform": "x", "handle": "ann_x"},
                                         {"customer_id": "C2", "platform": "instagram", "handle": "bobby"}])
    store.upsert_rows(db, "interactions", [
        touch("I1", "C1", "T1", "2025-01-01 10:00:00", "web", "inbound", "purchase", amount=100.0),
        touch("I2", "C1", "S1", "2025-03-01 09:00:00", "phone", "inbound", "complaint",
              "My refund is still missing. Not happy."),
        touch("I3", "C1", "S1", "2025-03-01 12:00:00", "phone", "outbound", "response", "We are on it."),
        touch("I4", "C1", "S1", "2025-03-03 08:00:00", "email", "inbound", "follow_up", "Any update on my refund?"),
        touch("I5", "C1", "T5", "2025-03-05 09:00:00", "email", "outbound", "marketing", "Great offers, shop now!"),
        touch("J1", "C2", "S2", "2025-02-01 09:00:00", "chat", "inbound", "complaint", "Broken kettle."),
        touch("J2", "C2", "S2", "2025-02-02 09:00:00", "chat", "outbound", "resolution", "Thanks, resolved."),
        touch("J3", "C2", "T9", "2025-02-20 09:00:00", "review", "inbound", "kudos",
              "Great service, thank you so much!"),
        touch("K1", "C3", "T10", "2025-03-10 12:00:00", "store", "inbound", "purchase", amount=10.0),
    ])
    store.upsert_rows(db, "posts", [
        post("p1", "ann_x", "2025-03-02 10:00:00", "Day 1 waiting for @acme to sort my refund. Worst service ever.",
             -0.62),
        post("p2", "ann_x", "2025-02-01 10:00:00", "Love the kettle", 0.8),
        post("p3", "ann_x", "2025-03-04 10:00:00", "RT so true", 0.0, reshare_of="p99"),
        post("p4", "someone", "2025-03-04 11:00:00", "Not linked to anyone", 0.0),
    ])


# -- search ------------------------------------------------------------------------------------------

def test_find_by_id_email_name_word_and_handle(db):
    seed(db)
    assert c360.find(db, "c")["customer_id"].tolist() == ["C1", "C2", "C3"]  # id prefix, any case
    assert c360.find(db, "ann.lee@example.com")["customer_id"].tolist() == ["C1"]
    # "ann" starts Ann Lee's first name and Bob Annan's last name, and ann_x's handle.
    assert set(c360.find(db, "ann")["customer_id"]) == {"C1", "C2"}
    assert c360.find(db, "lee")["customer_id"].tolist() == ["C1"]
    assert c360.find(db, "@bobby")["customer_id"].tolist() == ["C2"]
    assert c360.find(db, "@bobby")["matched"].iloc[0] == "handle instagram @bobby"
    # LIKE wildcards in the query are plain characters.
    assert c360.find(db, "100%_")["customer_id"].tolist() == ["C3"]
    assert c360.find(db, "1%").empty
    assert c360.find(db, "   ").empty


def test_resolve_opens_exact_ids_emails_and_handles(db):
    seed(db)
    assert c360.resolve(db, "c2")[0] == "C2"  # an id, by key, any case
    assert c360.resolve(db, "bob@example.com")[0] == "C2"
    assert c360.resolve(db, "@ann_x")[0] == "C1"
    cid, cands = c360.resolve(db, "ann")
    assert cid is None and len(cands) == 2
    assert c360.resolve(db, "")[0] is None


def test_recent_public_complaints(db):
    seed(db)
    store.upsert_rows(db, "interactions", [
        touch("V1", "C2", "S3", "2025-03-06 09:00:00", "forum", "inbound", "complaint", "Still broken"),
        touch("V2", "C2", "S4", "2025-03-07 09:00:00", "public_reply", "inbound", "complaint", "Again"),
    ])
    r = c360.recent_public_complaints(db)
    assert r["customer_id"].tolist() == ["C2"]  # one row per customer, the phone complaint is private
    assert r["occurred_at"].iloc[0] == "2025-03-07 09:00:00"


# -- the view -------------------------------------------------------------------------------------------

def test_view_joins_interactions_and_posts_on_one_timeline(db):
    seed(db)
    v = c360.view(db, "C1")
    assert v.as_of == pd.Timestamp("2025-03-10 12:00:00")  # the last timestamp in the data (K1)
    assert len(v.items) == 5 + 3  # C1's interactions and the posts of ann_x, not someone's
    assert v.accounts.to_dict("records") == [{"platform": "x", "handle": "ann_x"}]
    posts = v.items[v.items["source"] == "post"].set_index("item_id")
    assert (posts["place"] == "Post on x").all() and (posts["publicness"] == 1.0).all()
    assert posts.loc["p3", "kind"] == "reshare" and posts.loc["p1", "kind"] == "post"
    phone = v.items.set_index("item_id").loc["I2"]
    assert phone["place"] == "Phone" and phone["publicness"] == 0.1 and not phone["public"]
    assert phone["sentiment"] < -0.05 and phone["sentiment_source"] == "scored now"
    assert v.items["when"].is_monotonic_increasing
    assert c360.view(db, "nobody") is None


def test_threads_status_and_going_public(db):
    seed(db)
    v = c360.view(db, "C1")
    th = v.threads.set_index("thread_id")
    assert list(th.index) == ["S1"]  # purchases and marketing are not service threads
    s1 = th.loc["S1"]
    assert s1["status"] == "open" and s1["waiting_on_us"]  # no resolution, the customer spoke last
    assert s1["path"] == "Phone → Email" and s1["touches"] == 3
    # Open from 1 March 09:00 to the data's end, 10 March 12:00: 9 days and 3 hours.
    assert s1["days"] == pytest.approx(9.125)
    assert s1["went_public"]
    # p1 (a public post while S1 was open) went public; p2 came before S1; p3 is a reshare.
    flagged = set(v.items.loc[v.items["went_public"], "item_id"])
    assert flagged == {"p1"}
    assert v.last_contact == pd.Timestamp("2025-03-03 08:00:00")  # marketing is not contact
    assert len(v.open_threads) == 1

    b = c360.view(db, "C2")
    s2 = b.threads.set_index("thread_id").loc["S2"]
    assert s2["status"] == "resolved" and not s2["waiting_on_us"] and s2["days"] == pytest.approx(1.0)
    assert not b.items["went_public"].any()  # the kudos review came after the resolution
    assert math.isclose(b.higher_value_share, 0.0) and math.isclose(v.higher_value_share, 1 / 3)


def test_timeline_rows_newest_first_or_grouped_by_service_thread(db):
    seed(db)
    v = c360.view(db, "C1")
    flat = c360.timeline_rows(v, grouped=False)
    assert flat["when"].is_monotonic_decreasing and len(flat) == len(v.items)
    assert set(flat.loc[flat["service_thread"].notna(), "service_thread"]) == {"S1"}
    grouped = c360.timeline_rows(v, grouped=True)
    in_s1 = grouped["service_thread"].eq("S1").to_numpy()
    n = int(in_s1.sum())
    assert n == 3 and in_s1[:n].all()  # the service thread first, its touches together
    assert grouped["when"].iloc[:n].is_monotonic_increasing  # in time order inside the thread
    assert grouped["when"].iloc[n:].is_monotonic_decreasing  # then the rest, newest first
    assert sorted(grouped["item_id"]) == sorted(v.items["item_id"])


def test_signals_of_the_seeded_customers(db):
    seed(db)
    rules = {s.rule: s for s in c360.view(db, "C1").signals}
    assert set(rules) == {"complaint_gone_public", "waiting_on_us"}
    gone = rules["complaint_gone_public"]
    assert gone.priority == 1
    assert gone.reason == "Complaint open 9 days (since 01 Mar 2025) and a negative public post on 02 Mar 2025."
    assert rules["waiting_on_us"].reason == "Their last message, on 03 Mar 2025, has waited 7 days for an answer."
    kudos = {s.rule: s for s in c360.view(db, "C2").signals}
    assert set(kudos) == {"kudos"}  # Bob has the top value but spoke to us 18 days ago: not quiet
    assert kudos["kudos"].reason.startswith("Public praise on 20 Feb 2025 (score +0.78)")


# -- each rule on its own ------------------------------------------------------------------------------------

def frame_interactions(rows):
    df = pd.DataFrame(rows, columns=["interaction_id", "thread_id", "occurred_at", "channel", "direction", "kind",
                                     "amount", "text", "channel_label", "publicness"])
    return df


def frame_posts(rows):
    return pd.DataFrame(rows, columns=["post_id", "platform", "author_handle", "created_at", "text", "reply_to",
                                       "reshare_of", "likes", "sentiment", "sentiment_vader", "sentiment_corrected"])


def make_view(inter=(), posts=(), as_of="2025-06-30 00:00:00", value=50.0, higher=0.5):
    return c360.assemble({"customer_id": "C9", "lifetime_value": value}, pd.DataFrame(columns=["platform", "handle"]),
                         frame_interactions(list(inter)), frame_posts(list(posts)), pd.Timestamp(as_of), higher)


def test_rule_waiting_on_us_needs_two_days_and_goes_stale():
    inter = [("a", "S", "2025-06-27 00:00:00", "email", "inbound", "inquiry", None, "Question", "Email", 0.25)]
    assert c360.rule_waiting_on_us(make_view(inter))[0].priority == 1  # 3 days
    assert c360.rule_waiting_on_us(make_view(inter, as_of="2025-06-28 12:00:00")) == []  # 1.5 days
    old = c360.rule_waiting_on_us(make_view(inter, as_of="2025-09-30 00:00:00"))[0]
    assert old.title == "Close the loop" and old.priority == 2  # 95 days: likely abandoned
    answered = inter + [("b", "S", "2025-06-28 00:00:00", "email", "outbound", "response", None, "Hi", "Email", 0.25)]
    assert c360.rule_waiting_on_us(make_view(answered)) == []  # open, but we spoke last


def test_rule_complaint_gone_public_is_urgent_only_when_recent():
    inter = [("a", "S", "2025-06-01 00:00:00", "phone", "inbound", "complaint", None, "Broken", "Phone", 0.1)]
    vent = [("p", "x", "h", "2025-06-20 00:00:00", "Awful", None, None, 0, -0.7, -0.7, 0)]
    s = c360.rule_complaint_gone_public(make_view(inter, vent))[0]
    assert s.priority == 1 and "open 29 days" in s.reason
    assert c360.rule_complaint_gone_public(make_view(inter, vent, as_of="2025-08-01 00:00:00"))[0].priority == 2
    happy = [("p", "x", "h", "2025-06-20 00:00:00", "Nice", None, None, 0, 0.7, 0.7, 0)]
    assert c360.rule_complaint_gone_public(make_view(inter, happy)) == []
    resolved = inter + [("b", "S", "2025-06-10 00:00:00", "phone", "outbound", "resolution", None, "Done", "Phone",
                         0.1)]
    assert c360.rule_complaint_gone_public(make_view(resolved, vent)) == []
    # A public-channel complaint counts even without a score.
    logged = inter + [("c", "S", "2025-06-05 00:00:00", "post", "inbound", "complaint", None, None, "Public post", 1.0)]
    assert "a negative public complaint on 05 Jun 2025" in c360.rule_complaint_gone_public(make_view(logged))[0].reason


def test_rule_high_value_quiet():
    old = [("a", "T", "2025-03-01 00:00:00", "store", "inbound", "purchase", 500.0, None, "Store", 0.0),
           ("m", "M", "2025-06-01 00:00:00", "email", "outbound", "marketing", None, "Sale", "Email", 0.25)]
    s = c360.rule_high_value_quiet(make_view(old, value=500.0, higher=0.05))
    assert len(s) == 1
    assert s[0].reason == ("Lifetime value 500.00 (top 5% of customers) and no contact for 121 days "
                           "(last on 01 Mar 2025).")
    assert c360.rule_high_value_quiet(make_view(old, value=500.0, higher=0.5)) == []  # not top fifth
    assert c360.rule_high_value_quiet(make_view(old, value=500.0, higher=0.05, as_of="2025-05-01 00:00:00")) == []
    assert "no contact on record" in c360.rule_high_value_quiet(make_view([], value=500.0, higher=0.1))[0].reason


def test_rule_kudos_needs_recent_public_praise():
    praise = [("p", "x", "h", "2025-06-20 00:00:00", "Love it", None, None, 0, 0.8, 0.8, 0)]
    s = c360.rule_kudos(make_view(posts=praise))[0]
    assert s.title == "Thank them publicly" and "20 Jun 2025 (score +0.80)" in s.reason
    assert c360.rule_kudos(make_view(posts=praise, as_of="2025-08-30 00:00:00")) == []  # 71 days ago
    mild = [("p", "x", "h", "2025-06-20 00:00:00", "ok", None, None, 0, 0.3, 0.3, 0)]
    assert c360.rule_kudos(make_view(posts=mild)) == []
    reshared = [("p", "x", "h", "2025-06-20 00:00:00", "RT Love it", None, "q", 0, 0.8, 0.8, 0)]
    assert c360.rule_kudos(make_view(posts=reshared)) == []


def test_rule_negative_review_after_purchase():
    buy = [("a", "T", "2025-06-01 00:00:00", "web", "inbound", "purchase", 45.0, None, "Web shop", 0.15)]
    review = [("r", "R", "2025-06-04 00:00:00", "review", "inbound", "review", None,
               "2 stars. Terrible, it broke after a week.", "Review", 0.95)]
    s = c360.rule_negative_review_after_purchase(make_view(buy + review))[0]
    assert s.reason == ("Negative review on 04 Jun 2025 (score -0.71), 3 days after a purchase of 45.00 on "
                        "01 Jun 2025.")
    late = [("r", "R", "2025-06-25 00:00:00", "review", "inbound", "review", None,
             "2 stars. Terrible, it broke after a week.", "Review", 0.95)]
    old_buy = [("a", "T", "2025-05-01 00:00:00", "web", "inbound", "purchase", 45.0, None, "Web shop", 0.15)]
    assert c360.rule_negative_review_after_purchase(make_view(old_buy + late)) == []  # 55 days after
    assert c360.rule_negative_review_after_purchase(make_view(review)) == []  # no purchase
    assert c360.rule_negative_review_after_purchase(make_view(buy + review, as_of="2025-12-31 00:00:00")) == []


def test_signals_are_sorted_by_priority_and_carry_no_imported_text():
    inter = [("a", "S", "2025-06-01 00:00:00", "phone", "inbound", "complaint", None, "<b>*Broken*</b>", "Phone",
              0.1)]
    vent = [("p", "x", "h", "2025-06-20 00:00:00", "[click](http://evil)", None, None, 0, -0.7, -0.7, 0),
            ("k", "x", "h", "2025-06-25 00:00:00", "Thanks *a lot*", None, None, 0, 0.9, 0.9, 0)]
    sig = c360.signals(make_view(inter, vent))
    assert [s.priority for s in sig] == sorted(s.priority for s in sig)
    assert {s.rule for s in sig} >= {"complaint_gone_public", "waiting_on_us", "kudos"}
    for s in sig:
        assert not any(ch in s.reason + s.title + s.action for ch in "*[]<>#`_")


def test_lifetime_value_rank_and_post_publicness(db):
    seed(db)
    assert q.lifetime_value_rank(db, 100.0) == (1, 3)
    assert q.post_publicness(db) == 1.0
    store.set_publicness(db, "post", 0.9)
    assert c360.view(db, "C1").items.query("source == 'post'")["publicness"].eq(0.9).all()


def test_timeline_figure_orders_channels_by_publicness(db):
    from analysis.charts import customer_360 as charts

    seed(db)
    v = c360.view(db, "C1")
    fig = charts.timeline(v.items, "caption")
    assert fig.layout.xaxis.type == "date"  # legend-only traces must not turn the axis numeric
    order = list(fig.layout.yaxis.categoryarray)
    assert order == ["Phone", "Web shop", "Email", "Post on x"]  # 0.10, 0.15, 0.25, 1.0: least public at the bottom
    names = {t.name for t in fig.data}
    assert "Went public during an open thread" in names and "Touches of one thread" in names
    assert charts.timeline(v.items.iloc[0:0]).layout.annotations  # an empty view says so
