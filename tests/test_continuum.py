"""The continuum's computations on small hand-made datasets whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import continuum, memo, sentiment, stats, store
from analysis.filters import Filters


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db

VOCAB = pd.DataFrame({
    "channel": ["post", "public_reply", "dm", "email", "phone"],
    "label": ["Public post", "Public reply", "Direct message", "Email", "Phone"],
    "publicness": [1.0, 0.9, 0.35, 0.25, 0.1],
    "description": [""] * 5,
})

# Three conversations:
#  A (C1, Premium, linked): phone complaint, answered after 1 h, vents in public at 10:00, is answered in public,
#    taken to DM and resolved after 48 h. Path phone > post > public_reply > dm: went public and taken private.
#  B (C2, Value, linked): complaint in a public reply, answered after 2 h, moved to DM, resolved after 5 h.
#    Path public_reply > dm: taken private.
#  C (C3, Value, not linked): email inquiry on 2 January, answered after 30 h, never resolved. Path email.
TOUCHES = pd.DataFrame([
    ("A", "2026-01-01 00:00:00", "phone", "inbound", "complaint", "C1"),
    ("A", "2026-01-01 01:00:00", "phone", "outbound", "response", "C1"),
    ("A", "2026-01-01 05:00:00", "phone", "inbound", "follow_up", "C1"),
    ("A", "2026-01-01 10:00:00", "post", "inbound", "complaint", "C1"),
    ("A", "2026-01-01 11:00:00", "public_reply", "outbound", "response", "C1"),
    ("A", "2026-01-01 12:00:00", "dm", "outbound", "response", "C1"),
    ("A", "2026-01-03 00:00:00", "dm", "outbound", "resolution", "C1"),
    ("B", "2026-01-01 00:00:00", "public_reply", "inbound", "complaint", "C2"),
    ("B", "2026-01-01 02:00:00", "public_reply", "outbound", "response", "C2"),
    ("B", "2026-01-01 03:00:00", "dm", "inbound", "follow_up", "C2"),
    ("B", "2026-01-01 05:00:00", "dm", "outbound", "resolution", "C2"),
    ("C", "2026-01-02 00:00:00", "email", "inbound", "inquiry", "C3"),
    ("C", "2026-01-03 06:00:00", "email", "outbound", "response", "C3"),
    ("C", "2026-01-03 16:00:00", "email", "inbound", "follow_up", "C3"),
], columns=["thread_id", "occurred_at", "channel", "direction", "kind", "customer_id"])

CUSTOMERS = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "segment": ["Premium", "Value", "Value"],
                          "region": ["Europe", "Europe", "Asia-Pacific"], "linked": [1, 1, 0]})


def _epoch(ts: str) -> int:
    return int(np.datetime64(ts.replace(" ", "T"), "s").astype(np.int64))


# C1 vents while A is open and thanks the brand two days after the resolution; a third post falls outside the
# 7-day window. C2 posts something neutral before B's first response and something before B started.
POSTS = pd.DataFrame({
    "customer_id": ["C1", "C1", "C1", "C2", "C2"],
    "post_id": ["P1", "P2", "P3", "P4", "P5"],
    "platform": ["x", "x", "instagram", "x", "x"],
    "t": [_epoch(t) for t in ("2026-01-01 10:00:00", "2026-01-05 00:00:00", "2026-01-20 00:00:00",
                              "2026-01-01 01:00:00", "2025-12-31 12:00:00")],
    "sentiment": [-0.6, 0.7, -0.9, 0.0, -0.8],
})


@pytest.fixture(scope="module")
def base():
    return continuum.build_service_base(TOUCHES, CUSTOMERS)


def _thread(base, tid):
    th = base.threads
    return th[th["thread_id"] == tid].iloc[0]


# -- the base: per-thread facts -----------------------------------------------------------------------

def test_thread_facts_by_hand(base):
    a, b, c = (_thread(base, t) for t in "ABC")
    assert (a["first_response_h"], a["resolution_h"], a["resolved"]) == (1.0, 48.0, True)
    assert (b["first_response_h"], b["resolution_h"], b["resolved"]) == (2.0, 5.0, True)
    assert c["first_response_h"] == 30.0 and not c["resolved"] and math.isnan(c["resolution_h"])
    assert (a["start_channel"], b["start_channel"], c["start_channel"]) == ("phone", "public_reply", "email")
    assert (a["path"], b["path"], c["path"]) == ("phone>post>public_reply>dm", "public_reply>dm", "email")
    assert list(base.threads["n_touches"]) == [7, 4, 3]
    assert a["segment"] == "Premium" and a["linked"] and not c["linked"]


def test_unsorted_input_gives_the_same_base(base):
    shuffled = TOUCHES.sample(frac=1.0, random_state=3)
    again = continuum.build_service_base(shuffled, CUSTOMERS)
    cols = ["thread_id", "path", "first_response_h", "resolution_h", "start_channel"]
    pd.testing.assert_frame_equal(again.threads[cols], base.threads[cols])


def test_moves_are_channel_changes_inside_a_thread(base):
    moves = base.moves.groupby(["src", "dst"]).size().to_dict()
    assert moves == {("phone", "post"): 1, ("post", "public_reply"): 1, ("public_reply", "dm"): 2}


def test_long_paths_are_cut_and_marked():
    chans = ["phone", "email"] * 5 + ["email"]
    t = pd.DataFrame({"thread_id": "T", "occurred_at": [f"2026-01-01 {h:02d}:00:00" for h in range(len(chans))],
                      "channel": chans, "direction": "inbound", "kind": "x", "customer_id": "C1"})
    b = continuum.build_service_base(t, CUSTOMERS, max_steps=3)
    assert b.threads["path"].iloc[0] == "phone>email>phone>…"
    assert b.threads["path_steps"].iloc[0] == 10  # repeats collapsed: the final email does not count again
    assert continuum.path_channels("phone>email>phone>…") == ["phone", "email", "phone"]
    labels = {"phone": "Phone", "email": "Email"}
    assert continuum.path_label("phone>email>…", labels) == "Phone → Email → …"
    assert continuum.path_from_label("Phone → Email → …", labels) == "phone>email>…"


# -- filters and focus ------------------------------------------------------------------------------

def _ids(base, mask):
    return list(base.threads.loc[mask, "thread_id"])


def test_thread_mask_filters_and_focus(base):
    assert _ids(base, continuum.thread_mask(base, Filters())) == ["A", "B", "C"]
    assert _ids(base, continuum.thread_mask(base, Filters(segments=("Premium",)))) == ["A"]
    assert _ids(base, continuum.thread_mask(base, Filters(regions=("Asia-Pacific",)))) == ["C"]
    # Dates apply to the day a conversation started.
    assert _ids(base, continuum.thread_mask(base, Filters(date_from="2026-01-02"))) == ["C"]
    assert _ids(base, continuum.thread_mask(base, Filters(date_to="2026-01-01"))) == ["A", "B"]
    assert _ids(base, continuum.thread_mask(base, Filters(), focus=("public_reply",))) == ["B"]
    assert _ids(base, continuum.thread_mask(base, Filters(), focus=("phone", "email"))) == ["A", "C"]
    assert _ids(base, continuum.thread_mask(base, Filters(), path="public_reply>dm")) == ["B"]
    assert _ids(base, continuum.thread_mask(base, Filters(), focus=("phone",), path="public_reply>dm")) == []


# -- journeys ----------------------------------------------------------------------------------------

def test_journeys_by_hand(base):
    j = continuum.journeys(base, continuum.thread_mask(base, Filters()), continuum.with_sides(VOCAB))
    assert (j.threads, j.resolved) == (3, 2)
    assert (j.taken_offline, j.taken_offline_resolved) == (2, 2)
    assert (j.went_public, j.went_public_resolved) == (1, 1)
    assert j.went_public_kinds.set_index("kind")["n"].to_dict() == {"complaint": 1}
    assert j.moves_total == 4
    assert j.moves.iloc[0][["src", "dst", "n"]].tolist() == ["public_reply", "dm", 2]
    sides = j.sides.set_index(["src_side", "dst_side"])["n"].to_dict()
    assert sides == {("private", "public"): 1, ("public", "public"): 1, ("public", "private"): 2}
    paths = j.paths.set_index("path")
    assert paths["n"].to_dict() == {"email": 1, "phone>post>public_reply>dm": 1, "public_reply>dm": 1}
    assert paths.loc["phone>post>public_reply>dm", "crossing"] == "taken private and went public"
    assert paths.loc["public_reply>dm", "crossing"] == "taken private"
    assert paths.loc["email", "crossing"] == "stayed on one side"
    assert paths.loc["email", "resolved_share"] == 0.0
    assert paths["share"].sum() == pytest.approx(1.0)
    assert paths.loc["public_reply>dm", "label"] == "Public reply → Direct message"


def test_journeys_follow_the_publicness(base):
    # Make the direct message public: B no longer leaves the public half, A's last move stays public too.
    vocab = VOCAB.assign(publicness=np.where(VOCAB["channel"] == "dm", 0.6, VOCAB["publicness"]))
    j = continuum.journeys(base, continuum.thread_mask(base, Filters()), continuum.with_sides(vocab))
    assert j.taken_offline == 0 and j.went_public == 1


def test_journeys_of_nothing(base):
    j = continuum.journeys(base, np.zeros(3, dtype=bool), continuum.with_sides(VOCAB))
    assert (j.threads, j.taken_offline, j.went_public, len(j.paths), j.moves_total) == (0, 0, 0, 0, 0)


# -- talk / listen -------------------------------------------------------------------------------------

def test_talk_listen_by_hand(base):
    monthly = continuum.conversation_counts(base, continuum.thread_mask(base, Filters()), VOCAB)
    tl = continuum.talk_listen(monthly)
    assert (tl.inbound, tl.outbound, tl.talk_share) == (7, 7, 0.5)
    share = tl.per_channel.set_index("channel")["talk_share"].to_dict()
    assert share == pytest.approx({"phone": 1 / 3, "post": 0.0, "public_reply": 2 / 3, "dm": 0.75, "email": 1 / 3})
    over = tl.over_time.set_index("scope")
    assert over.loc["All channels", "talk_share"] == 0.5
    assert over.loc["Public half", "talk_share"] == pytest.approx(2 / 4)   # post in, public_reply 1 in 2 out
    assert over.loc["Private half", "talk_share"] == pytest.approx(5 / 10)  # phone 2/1, dm 1/3, email 2/1
    focused = continuum.talk_listen(monthly, focus=["dm"])
    assert (focused.inbound, focused.outbound) == (1, 3)


# -- going public ---------------------------------------------------------------------------------------

def test_public_moments_are_matched_by_window_and_classified(base):
    mask = continuum.thread_mask(base, Filters()) & base.threads["linked"].to_numpy()
    th = base.threads[mask]
    m = continuum.match_public_moments(th, POSTS, window_days=7).set_index("post_id")
    assert sorted(m.index) == ["P1", "P2", "P4"]
    assert m.loc["P1", "moment"] == "vent" and m.loc["P1", "timing"] == "while open, after a first response"
    assert m.loc["P2", "moment"] == "kudos" and m.loc["P2", "timing"] == "after resolution"
    assert m.loc["P4", "moment"] == "neutral" and m.loc["P4", "timing"] == "before any response"
    # With no days after resolution the thank-you falls outside the window.
    assert sorted(continuum.match_public_moments(th, POSTS, window_days=0)["post_id"]) == ["P1", "P4"]


def test_going_public_rates_by_hand(base):
    g = continuum.going_public(base, POSTS, continuum.thread_mask(base, Filters()), Filters(), 7, True,
                               continuum.labels_of(VOCAB))
    assert (g.conversations, g.linked, g.vents, g.kudos, g.posts_matched) == (3, 2, 1, 1, 3)
    r = g.by_resolution.set_index(["outcome", "bin"])
    assert r.loc[("vent", "1–3 days"), ["n", "events"]].tolist() == [1, 1]   # A: 48 h
    assert r.loc[("vent", "under 1 day"), ["n", "events"]].tolist() == [1, 0]  # B: 5 h
    # Wilson's interval for 1 of 1 starts at 1 / (1 + z²).
    assert r.loc[("vent", "1–3 days"), "low"] == pytest.approx(1 / (1 + 1.959964 ** 2), rel=1e-5)
    assert r.loc[("vent", "1–3 days"), "high"] == pytest.approx(1.0)
    f = g.by_first_response.set_index(["outcome", "bin"])
    assert f.loc[("vent", "under 1 h"), "n"] == 0 and f.loc[("vent", "1–4 h"), ["n", "events"]].tolist() == [2, 1]
    ch = g.by_channel.set_index(["outcome", "bin"])
    assert ch.loc[("kudos", "Phone"), "rate"] == 1.0 and ch.loc[("kudos", "Public reply"), "rate"] == 0.0
    assert g.moments.set_index(["moment", "timing"])["n"].sum() == 3


def test_platform_filter_applies_to_posts(base):
    g = continuum.going_public(base, POSTS, continuum.thread_mask(base, Filters()), Filters(platforms=("instagram",)),
                               30, True)
    assert (g.vents, g.kudos, g.posts_matched) == (1, 0, 1)  # only P3, within 30 days of A's resolution


# -- selections -------------------------------------------------------------------------------------------

def test_selected_values_from_plotly_selection():
    sel = {"selection": {"points": [{"customdata": ["phone", "Phone"]}, {"customdata": ["phone", "x"]},
                                    {"customdata": "dm"}, {"customdata": ["nope"]}, {"x": 1}],
                         "point_indices": [0, 1, 2, 3, 4]}}
    assert continuum.focus_from_selection(sel, ["phone", "dm"]) == ["phone", "dm"]
    assert continuum.selected_values(sel) == ["phone", "dm", "nope"]
    assert continuum.focus_from_selection(None, ["phone"]) == []
    assert continuum.focus_from_selection({"selection": {"points": []}}, ["phone"]) == []
    assert continuum.path_from_selection({"selection": {"points": [{"customdata": ["email>dm", "Email → DM"]}]}}) \
        == "email>dm"
    assert continuum.path_from_selection({}) is None


# -- channel table ---------------------------------------------------------------------------------------------

def test_text_sentiment_weights_each_text_by_its_count():
    texts = pd.DataFrame({"channel": ["email", "email", "phone"],
                          "text": ["I love this, great help", "This is terrible and useless", "ok"],
                          "n": [3, 1, 2]})
    frame, distinct, scored = continuum.text_sentiment(texts)
    s_love, s_bad = sentiment.score(texts["text"][0]), sentiment.score(texts["text"][1])
    email = frame.set_index("channel").loc["email"]
    assert (distinct, scored) == (3, 3)
    assert email["n_scored"] == 4
    assert email["mean_sentiment"] == pytest.approx((3 * s_love + s_bad) / 4)
    assert (email["positive"], email["negative"]) == (3, 1)
    # Only the commonest distinct texts are scored when capped.
    _, distinct, scored = continuum.text_sentiment(texts, max_texts=1)
    assert (distinct, scored) == (3, 1)


def test_summarise_channels_by_hand():
    counts = pd.DataFrame({"month": ["2026-01", "2026-01", "2026-02", "2026-01", "2026-01"],
                           "channel": ["email", "email", "email", "post", "sms"],
                           "direction": ["inbound", "outbound", "outbound", "inbound", "outbound"],
                           "n": [2, 3, 5, 4, 1]})
    customers = pd.DataFrame({"channel": ["email", "post", "sms"], "customers": [5, 2, 1]})
    text_sent = pd.DataFrame({"channel": ["email"], "n_scored": [2], "mean_sentiment": [-0.5], "negative": [2],
                              "positive": [0]})
    post_sent = pd.DataFrame({"channel": ["post", "email"], "n_scored": [4, 9], "mean_sentiment": [0.3, 0.9],
                              "negative": [1, 0], "positive": [3, 9]})
    t = continuum.summarise_channels(VOCAB, counts, customers, 10, text_sent, post_sent).set_index("channel")
    assert t.loc["email", ["inbound", "outbound", "total", "customers"]].tolist() == [2, 8, 10, 5]
    assert t.loc["email", "customer_share"] == 0.5 and t.loc["email", "talk_share"] == 0.8
    # Messages come first; posts fill only channels without scored messages.
    assert t.loc["email", "sentiment"] == -0.5 and t.loc["email", "sentiment_source"] == "customers' messages"
    assert t.loc["post", "sentiment"] == 0.3 and t.loc["post", "sentiment_source"] == "customers' public posts"
    assert t.loc["post", "negative_share"] == 0.25
    assert math.isnan(t.loc["phone", "talk_share"]) and t.loc["phone", "total"] == 0
    # "No value" is a float NaN in float columns (never an object column holding None): a table shows it as
    # its placeholder and sorts it with the numbers.
    numbers = ["customer_share", "talk_share", "sentiment", "negative_share"]
    assert (t[numbers].dtypes == "float64").all(), t[numbers].dtypes
    assert math.isnan(t.loc["phone", "sentiment"]) and math.isnan(t.loc["sms", "sentiment"])
    # A channel seen in the data but missing from the list is added at the threshold and flagged.
    assert t.loc["sms", "publicness"] == store.PUBLIC_THRESHOLD and not t.loc["sms", "placed"]
    assert list(t.index[:2]) == ["post", "public_reply"]  # most public first


# -- through the store (in-memory database) ------------------------------------------------------------------

@pytest.fixture
def small_db(db):
    store.upsert_rows(db, "customers", CUSTOMERS.drop(columns="linked").assign(name="x"))
    store.upsert_rows(db, "identities", [{"customer_id": "C1", "platform": "x", "handle": "c1"},
                                         {"customer_id": "C2", "platform": "x", "handle": "c2"}])
    store.upsert_rows(db, "brand_accounts", [{"platform": "x", "handle": "acme"}])
    inter = TOUCHES.assign(interaction_id=[f"I{i:02d}" for i in range(len(TOUCHES))], text=None, amount=None)
    inter.loc[0, "text"] = "Terrible service, still broken"
    store.upsert_rows(db, "interactions", inter)
    store.upsert_rows(db, "posts", [
        {"post_id": "P1", "platform": "x", "author_handle": "c1", "created_at": "2026-01-01 10:00:00",
         "text": "@acme worst ever", "sentiment": -0.6},
        {"post_id": "P2", "platform": "x", "author_handle": "c1", "created_at": "2026-01-05 00:00:00",
         "text": "thanks @ACME, sorted!", "sentiment": 0.7},
        {"post_id": "P3", "platform": "x", "author_handle": "c1", "created_at": "2026-01-02 00:00:00",
         "text": "lovely weather", "sentiment": 0.6},
        {"post_id": "P4", "platform": "x", "author_handle": "acme", "created_at": "2026-01-02 00:00:00",
         "text": "news", "sentiment": 0.0},
        {"post_id": "P5", "platform": "x", "author_handle": "c2", "created_at": "2026-01-01 04:00:00",
         "text": "meh", "sentiment": -0.3, "reply_to": "P4"},
    ])
    for ch, p in zip(VOCAB["channel"], VOCAB["publicness"]):
        store.set_publicness(db, ch, p)
    return db


def test_views_through_the_store(small_db):
    f = Filters()
    j = continuum.journeys_view(small_db, f)
    assert (j.threads, j.taken_offline, j.went_public) == (3, 2, 1)
    g = continuum.going_public_view(small_db, f, window_days=7, brand_only=True)
    # Brand-only keeps the two @acme posts and the reply to the brand's post, not the weather.
    assert (g.linked, g.vents, g.kudos, g.posts_matched) == (2, 2, 1, 3)
    g_all = continuum.going_public_view(small_db, f, window_days=7, brand_only=False)
    assert g_all.posts_matched == 4
    cv = continuum.channel_view(small_db, f)
    t = cv.table.set_index("channel")
    assert cv.active_customers == 3 and cv.touches == len(TOUCHES)
    vocab = store.channels(small_db)
    public = set(vocab.loc[vocab["publicness"] >= store.PUBLIC_THRESHOLD, "channel"])
    assert cv.public_share == pytest.approx(TOUCHES["channel"].isin(public).mean())
    assert cv.channels_used == TOUCHES["channel"].nunique()
    assert t.loc["dm", ["inbound", "outbound"]].tolist() == [1, 3]
    assert t.loc["phone", "sentiment"] == pytest.approx(sentiment.score("Terrible service, still broken"))
    assert t.loc["post", "sentiment_source"] == "customers' public posts"  # the inbound post carries no text
    assert continuum.path_options(small_db, f) == ["email", "phone>post>public_reply>dm", "public_reply>dm"]
    assert continuum.brand_accounts_known(small_db)
    monthly = continuum.conversation_monthly(small_db, f, ("public_reply",))
    assert int(monthly["n"].sum()) == 4


def test_service_base_is_kept_per_rows_version(tmp_path):
    conn = store.connect(tmp_path / "c.sqlite")
    rows = TOUCHES.assign(interaction_id=[f"I{i}" for i in range(len(TOUCHES))])
    store.upsert_rows(conn, "interactions", rows)
    first = continuum.service_base(conn)
    assert continuum.service_base(conn) is first
    store.set_publicness(conn, "dm", 0.4)  # a setting: the conversations themselves did not change
    assert continuum.service_base(conn) is first
    with conn.atomic():  # a new conversation: the rows version moves, the kept base is stale
        store.upsert_rows(conn, "interactions", rows.iloc[:1].assign(interaction_id="I-new", thread_id="T-new"))
        store.bump_version(conn)
    again = continuum.service_base(conn)
    assert again is not first
    assert len(again.threads) == len(first.threads) + 1
    conn.close()


# -- the in-memory path against the same figures in SQL --------------------------------------------------------

@pytest.mark.parametrize("f", [
    Filters(), Filters(segments=("Premium",)), Filters(regions=("Europe", "Asia-Pacific")),
    Filters(date_from="2026-02-03", date_to="2026-05-17"), Filters(date_to="2025-12-31", segments=("Value",)),
    Filters(platforms=("x",), date_from="2026-03-01"),
], ids=["all", "segment", "regions", "dates", "dates+segment", "platform"])
def test_in_memory_channel_figures_match_sql(engine_demo_db, f):
    conn = store.connect(engine_demo_db, create=False)
    try:
        assert_in_memory_matches_sql(conn, continuum.activity_base(conn), f)
    finally:
        conn.close()


def assert_in_memory_matches_sql(conn, act, f: Filters) -> None:
    """The channel view's five inputs from the in-memory activity equal the four SQL scans under ``f``:
    monthly counts, customers per channel, active customers, inbound texts, linked posts' sentiment."""
    from analysis.store import continuum as q

    def norm(df, keys):
        return df.sort_values(keys).reset_index(drop=True).astype({k: str for k in keys})

    counts, customers, active = continuum.activity_counts(act, f)
    sql_customers, sql_active = q.channel_customers(conn, f)
    assert active == sql_active, f
    key = ["month", "channel", "direction"]
    pd.testing.assert_frame_equal(norm(counts, key), norm(q.channel_month_counts(conn, f), key), check_dtype=False,
                                  obj=str(f))
    pd.testing.assert_frame_equal(norm(customers, ["channel"]), norm(sql_customers, ["channel"]), check_dtype=False,
                                  obj=str(f))
    key = ["channel", "text"]
    pd.testing.assert_frame_equal(norm(continuum.activity_texts(act, f), key),
                                  norm(q.inbound_texts(conn, f)[["channel", "text", "n"]], key), check_dtype=False,
                                  obj=str(f))
    pd.testing.assert_frame_equal(norm(continuum.post_sentiment(act, f), ["channel"]),
                                  norm(q.customer_post_sentiment(conn, f), ["channel"]), check_dtype=False,
                                  atol=1e-9, obj=str(f))


def test_prefetch_loads_once_in_the_background(tmp_path):
    path = tmp_path / "p.sqlite"
    conn = store.connect(path)
    store.upsert_rows(conn, "interactions", TOUCHES.assign(interaction_id=[f"I{i}" for i in range(len(TOUCHES))]))
    thread = continuum.prefetch(str(path))
    assert thread is not None
    thread.join(timeout=30)
    first = continuum.service_base(conn)
    assert continuum.prefetch(str(path)) is None  # already kept
    assert continuum.service_base(conn) is first
    conn.close()


# -- figures: each one builds on the hand-made data and says plainly when there is nothing ------------------------

def test_figures_build_and_carry_the_caption(base):
    from analysis.charts import continuum as cc

    vocab = continuum.with_sides(VOCAB)
    labels = continuum.labels_of(vocab)
    mask = continuum.thread_mask(base, Filters())
    j = continuum.journeys(base, mask, vocab)
    monthly = continuum.conversation_counts(base, mask, VOCAB)
    tl = continuum.talk_listen(monthly)
    g = continuum.going_public(base, POSTS, mask, Filters(), 7, True, labels)
    table = continuum.summarise_channels(VOCAB, monthly, pd.DataFrame({"channel": ["dm"], "customers": [2]}), 3,
                                         pd.DataFrame(), pd.DataFrame())
    effects = {"vent": {"baseline": 10.0, "whatif": 8.0, "change": -2.0, "baseline_low": 9.0,
                        "baseline_high": 11.0, "whatif_low": 7.0, "whatif_high": 9.0, "change_low": -3.0,
                        "change_high": -1.0}}
    figures = [
        cc.channel_continuum(table, "CAP", focus=["dm"]), cc.channel_mix_over_time(monthly, "CAP"),
        cc.journey_sankey(j.moves, labels, "CAP"), cc.journey_sankey(j.moves, labels, "CAP", level="side"),
        cc.common_paths(j.paths, "CAP", focus_path="email"),
        cc.going_public_rates(g.by_resolution, "Rates", "CAP", order=list(continuum.RESOLUTION_BINS[1])),
        cc.talk_listen(tl.per_channel, "CAP", overall=tl.talk_share), cc.talk_listen_over_time(tl.over_time, "CAP"),
        cc.whatif_effect(effects, "CAP", whatif="faster"),
    ]
    for fig in figures:
        assert "CAP" in fig.layout.title.text and len(fig.data) >= 1
    # The continuum puts public on the left: the x axis runs from 1 down to 0.
    assert figures[0].layout.xaxis.range[0] > figures[0].layout.xaxis.range[1]
    # The talk/listen chart draws the 25% rule of thumb.
    assert any(getattr(s, "x0", None) == continuum.TALK_RULE for s in figures[6].layout.shapes)
    path_ids = {p for trace in figures[4].data for p in trace.customdata[:, 0]}
    assert path_ids == set(j.paths["path"])


def _bubble_table(shares, totals, publicness=None) -> pd.DataFrame:
    n = len(shares)
    publicness = np.linspace(1, 0, n) if publicness is None else publicness
    return pd.DataFrame({
        "channel": [f"c{i}" for i in range(n)], "label": [f"Channel {i}" for i in range(n)],
        "publicness": publicness, "total": totals, "inbound": totals, "outbound": 0, "customers": 1,
        "customer_share": shares, "talk_share": 0.0, "sentiment": [0.1 if i % 2 else np.nan for i in range(n)],
        "sentiment_source": ""})


def assert_bubbles_and_labels_inside(fig) -> None:
    """Every bubble, and its label on the side plotly draws it, lies inside the plot's y range: plotly puts a
    label's line (about one font size tall) ``radius / 0.8 + 1`` px from the marker's centre."""
    layout = fig.layout
    low, high = layout.yaxis.range
    plot_px = layout.height - layout.margin.t - layout.margin.b
    px_per_unit = plot_px / (high - low)
    assert low < 0 <= high  # the 0% line shows
    for trace in fig.data:
        font = trace.textfont.size
        for y, size, where in zip(trace.y, trace.marker.size, trace.textposition):
            above, below = (high - y) * px_per_unit, (y - low) * px_per_unit
            label = size / 2 / 0.8 + 1 + font
            assert above >= (label if where.startswith("top") else size / 2), (trace.text, y, size, where, above)
            assert below >= (label if where.startswith("bottom") else size / 2), (trace.text, y, size, where, below)


@pytest.mark.parametrize("table", [
    _bubble_table([1.0], [10]),  # one channel, everyone used it
    _bubble_table([1.0, 1.0, 0.0, 0.0, 1.0], [900, 1000, 800, 700, 5]),  # largest bubbles at both edges
    _bubble_table([0.01, 0.02, 0.005], [3, 1, 2]),  # small shares
    _bubble_table([0.0, 0.0], [4, 4]),  # touches by nobody known
], ids=["one", "edges", "small", "zero"])
@pytest.mark.parametrize("present", [False, True])
def test_channel_bubbles_and_their_labels_stay_inside_the_plot(table, present):
    from analysis import charts
    from analysis.charts import continuum as cc

    charts.set_presentation(present)
    try:
        assert_bubbles_and_labels_inside(cc.channel_continuum(table, "CAP"))
    finally:
        charts.set_presentation(False)


@pytest.mark.parametrize("f", [Filters(), Filters(segments=("Business",))], ids=["all", "segment"])
def test_the_demos_largest_bubble_keeps_its_label_inside_the_plot(demo_db, f):
    """The small demo's Web shop: the largest bubble, used by (nearly) every active customer, label above."""
    from analysis.charts import continuum as cc

    conn = store.connect(demo_db, create=False)
    try:
        table = continuum.channel_view(conn, f).table
    finally:
        conn.close()
    assert table["customer_share"].max() > 0.95  # a bubble right under the plot's top edge
    assert_bubbles_and_labels_inside(cc.channel_continuum(table, "CAP"))


def test_figures_on_nothing_say_so():
    from analysis.charts import continuum as cc

    empty = pd.DataFrame()
    for fig in (cc.channel_continuum(empty), cc.channel_mix_over_time(empty), cc.journey_sankey(empty, {}),
                cc.common_paths(empty), cc.going_public_rates(empty, "Rates"), cc.talk_listen(empty),
                cc.talk_listen_over_time(empty), cc.whatif_effect({})):
        assert fig.layout.annotations and not fig.data


def assert_same_channel_view(a, b) -> None:
    pd.testing.assert_frame_equal(a.table, b.table, check_dtype=False, atol=1e-9)
    key = ["month", "channel", "direction"]
    pd.testing.assert_frame_equal(a.monthly.sort_values(key).reset_index(drop=True),
                                  b.monthly.sort_values(key).reset_index(drop=True), check_dtype=False)
    assert (a.active_customers, a.texts_distinct) == (b.active_customers, b.texts_distinct)


@pytest.mark.parametrize("f", [Filters(segments=("Value", "Premium"), date_from="2025-09-01"), Filters()],
                         ids=["filtered-sql", "unfiltered-kept"])
def test_channel_view_is_the_same_from_sql_or_the_kept_copy_and_from_memory(demo_db_copy, f):
    """Before the activity is in memory, a filtered view's inputs come from the four SQL scans and the
    unfiltered view's from the copy kept in the database; both equal the view from the activity in memory."""
    from analysis import memo
    from analysis.continuum import channels
    from analysis.store import aggregates

    conn = store.connect(demo_db_copy, create=False)
    try:
        assert memo.peek(conn, "activity") is None
        if f == Filters():
            # The demo build prepared the first view's inputs, so a fresh server reads them.
            assert aggregates.load(conn, "continuum.counts", store.rows_version(conn)) is not None
            first = continuum.channel_view(conn, f)
            continuum.activity_base(conn)
        else:
            first = channels.view_from_inputs(conn, channels.channel_inputs(conn, f))  # the four SQL scans
            assert memo.peek(conn, "activity") is None
        # A filtered view loads the activity (the kept copy) rather than scanning in SQL: at 10M
        # interactions the scans took 22 s, the load about 1 s.
        memory = continuum.channel_view(conn, f)
        assert memo.peek(conn, "activity") is not None
    finally:
        conn.close()
    assert_same_channel_view(first, memory)


def test_activity_and_conversations_kept_in_the_database_equal_a_fresh_scan(demo_db_copy):
    from dataclasses import fields

    from analysis.continuum import ACTIVITY_MEMO_KEY
    from analysis.store import aggregates

    conn = store.connect(demo_db_copy, create=False)
    try:
        version = store.rows_version(conn)
        # Prepared by the demo build, so a fresh server reads them instead of scanning.
        assert aggregates.load(conn, f"{ACTIVITY_MEMO_KEY}.rows", version) is not None
        assert aggregates.load(conn, f"{continuum.SERVICE_MEMO_KEY}.threads", version) is not None
        kept_act, kept_base = continuum.activity_base(conn), continuum.service_base(conn)
        memo.clear()
        with conn.atomic():
            conn.conn.execute("DELETE FROM aggregates WHERE key LIKE 'continuum.%'")
        fresh_act, fresh_base = continuum.activity_base(conn), continuum.service_base(conn)
        # The fresh scan kept its result again.
        assert aggregates.load(conn, f"{ACTIVITY_MEMO_KEY}.rows", version) is not None
    finally:
        conn.close()
    for field in fields(continuum.Activity):
        a, b = getattr(kept_act, field.name), getattr(fresh_act, field.name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_dtype=False)
        else:
            assert a.dtype == b.dtype or a.dtype == object, field.name
            np.testing.assert_array_equal(a, b, err_msg=field.name)
    for name in ("touches", "moves", "threads"):
        pd.testing.assert_frame_equal(getattr(kept_base, name), getattr(fresh_base, name), obj=name)


# -- public-only data (a tweet dump: every touch on a public channel) -------------------------------------

def test_summarise_channels_when_every_post_channel_already_has_message_sentiment():
    """Public conversations recorded as interactions carry their texts, so message sentiment covers every
    channel that post sentiment covers: the posts fill nothing (this used to raise a TypeError under pandas 3)."""
    counts = pd.DataFrame({"month": ["2026-01"] * 3, "channel": ["post", "public_reply", "public_reply"],
                           "direction": ["inbound", "inbound", "outbound"], "n": [4, 2, 3]})
    customers = pd.DataFrame({"channel": ["post", "public_reply"], "customers": [3, 1]})
    text_sent = pd.DataFrame({"channel": ["post", "public_reply"], "n_scored": [4, 2],
                              "mean_sentiment": [-0.25, 0.5], "negative": [3, 0], "positive": [1, 2]})
    post_sent = pd.DataFrame({"channel": ["post"], "n_scored": [6], "mean_sentiment": [0.1], "negative": [1],
                              "positive": [2]})
    t = continuum.summarise_channels(VOCAB, counts, customers, 3, text_sent, post_sent).set_index("channel")
    assert t.loc["post", "sentiment"] == -0.25 and t.loc["post", "sentiment_n"] == 4
    assert t.loc["post", "negative_share"] == 0.75 and t.loc["post", "sentiment_source"] == "customers' messages"
    assert t.loc["public_reply", "negative_share"] == 0.0
    assert t.loc["public_reply", "talk_share"] == 0.6  # 3 outbound of 5
    assert t["negative_share"].dtype == float


def test_channel_view_of_public_only_conversations(db):
    from tests import public_only

    public_only.load(db)
    cv = continuum.channel_view(db, Filters())
    t = cv.table.set_index("channel")
    inter = pd.DataFrame(public_only.INTERACTIONS, columns=["id", "thread", "customer", "channel", "direction",
                                                            "kind"])
    assert cv.touches == len(inter) and cv.public_share == 1.0
    assert t.loc["public_reply", ["inbound", "outbound"]].tolist() == [2, 3]
    # The inbound tweets on 'post' are scored from their texts (messages), not from the posts table.
    texts = {p[0]: p[3] for p in public_only.POSTS}
    opening = [texts[i] for i in inter.loc[(inter["channel"] == "post"), "id"]]
    assert t.loc["post", "sentiment_source"] == "customers' messages"
    assert t.loc["post", "sentiment"] == pytest.approx(np.mean([sentiment.score(x) for x in opening]))
    tl = continuum.talk_listen(cv.monthly)
    assert (tl.inbound, tl.outbound) == (6, 3)


def _public_only_touches() -> pd.DataFrame:
    from tests import public_only

    when = {p[0]: p[2] for p in public_only.POSTS}
    t = pd.DataFrame(public_only.INTERACTIONS, columns=["interaction_id", "thread_id", "customer_id", "channel",
                                                        "direction", "kind"])
    return t.assign(occurred_at=t["interaction_id"].map(when))


def test_escalation_on_hand_made_public_threads():
    touches = _public_only_touches()
    # Edge cases: a thread the brand opened (not a customer's conversation); a customer who answers at the very
    # second of the brand's reply (not after it); a customer who carries on in a DM after the reply (not public).
    touches = pd.concat([touches, pd.DataFrame([
        ("B1", "B", "C9", "post", "outbound", "post", "2026-01-09 08:00:00"),
        ("B2", "B", "C9", "public_reply", "inbound", "message", "2026-01-09 09:00:00"),
        ("S1", "S", "C8", "post", "inbound", "inquiry", "2026-01-09 08:00:00"),
        ("S2", "S", "C8", "public_reply", "outbound", "reply", "2026-01-09 08:30:00"),
        ("S3", "S", "C8", "public_reply", "inbound", "message", "2026-01-09 08:30:00"),
        ("D1", "D", "C7", "post", "inbound", "inquiry", "2026-01-09 10:00:00"),
        ("D2", "D", "C7", "public_reply", "outbound", "handoff_private", "2026-01-09 16:00:00"),
        ("D3", "D", "C7", "dm", "inbound", "message", "2026-01-09 17:00:00"),
    ], columns=touches.columns)], ignore_index=True)
    base = continuum.build_service_base(touches.drop(columns="interaction_id"))
    mask = np.ones(len(base.threads), dtype=bool)
    frame = continuum.escalation_frame(base, mask, VOCAB)
    ids = base.threads["thread_id"].to_numpy()
    got = frame.assign(thread_id=ids[frame["thread"].to_numpy()]).set_index("thread_id")
    # Customers started 1, 7, 4, 6 (the tweet dataset) and S, D; the brand started B.
    assert sorted(got.index) == ["1", "4", "6", "7", "D", "S"]
    assert got["answered"].to_dict() == {"1": True, "7": True, "4": True, "6": False, "S": True, "D": True}
    assert got.index[got["escalated"]].tolist() == ["1"]
    assert got.index[got["handoff"]].tolist() == ["1", "D"]
    e = continuum.escalation(base, mask, VOCAB)
    assert (e.conversations, e.answered, e.unanswered, e.escalated) == (6, 5, 1, 1)
    assert e.rate == pytest.approx(1 / 5)
    lo, hi = stats.wilson_interval(1, 5)
    assert (e.low, e.high) == (pytest.approx(lo), pytest.approx(hi))
    # First replies after 0.5 h (1, S), 1 h (7), 2 h (4), 6 h (D).
    by_frt = e.by_first_response.set_index("bin")
    assert by_frt.loc["under 1 h", ["n", "events"]].tolist() == [2, 1]
    assert by_frt.loc["1–4 h", ["n", "events"]].tolist() == [2, 0]
    assert by_frt.loc["4–24 h", ["n", "events"]].tolist() == [1, 0]
    by_reply = e.by_first_reply.set_index("bin")
    assert by_reply.loc["asked to move to a private channel", ["n", "events"]].tolist() == [2, 1]
    assert by_reply.loc["answered in public", ["n", "events"]].tolist() == [3, 0]


def test_public_only_data_says_going_public_and_the_models_cannot_be_fitted(db):
    from tests import public_only

    public_only.load(db)
    assert continuum.public_only(db)
    gp = continuum.going_public_view(db, Filters())
    assert gp.public_only and gp.vents == 0 and gp.by_first_response.empty
    # Through the store, threads 1, 7 and 4 (several touches each) are the answered ones; 1 escalated.
    assert (gp.escalation.answered, gp.escalation.escalated) == (3, 1)
    wi = continuum.whatif_view(db, Filters())
    assert not wi.models and set(wi.notes) == set(continuum.OUTCOMES)
    assert all("cannot be fitted" in n for n in wi.notes.values())
    # One private touch makes it a dataset with a private side again.
    store.upsert_rows(db, "interactions", [{"interaction_id": "X", "customer_id": "C1", "thread_id": "1",
                                            "occurred_at": "2026-01-05 12:00:00", "channel": "dm",
                                            "direction": "inbound"}])
    assert not continuum.public_only(db)
    assert not continuum.going_public_view(db, Filters()).public_only


def test_channel_view_of_a_database_with_posts_and_no_interaction(db):
    store.upsert_rows(db, "posts", [{"post_id": "1", "platform": "x", "author_handle": "a",
                                     "created_at": "2025-01-01 00:00:00", "text": "hello"}])
    cv = continuum.channel_view(db, Filters())
    assert cv.touches == 0 and cv.public_share is None and not continuum.public_only(db)


def test_linked_posts_are_kept_per_rows_version_and_follow_an_import(engine_address):
    """The posts addressed to the brand are found once per rows version and kept in the database; a new
    post to the brand, or a new brand account, is seen after its import."""
    from analysis import memo
    from analysis.continuum.going_public import posts_base
    from analysis.store import aggregates

    memo.clear()
    with store.connection(engine_address, create=True) as db:
        store.upsert_rows(db, "customers", [{"customer_id": "C1"}, {"customer_id": "C2"}])
        store.upsert_rows(db, "identities", [{"customer_id": "C1", "platform": "x", "handle": "c1"},
                                             {"customer_id": "C2", "platform": "x", "handle": "c2"}])
        store.upsert_rows(db, "brand_accounts", [{"platform": "x", "handle": "acme"}])
        store.upsert_rows(db, "posts", [
            {"post_id": "P1", "platform": "x", "author_handle": "c1", "created_at": "2026-01-01 10:00:00",
             "text": "@acme worst ever", "sentiment": -0.6},
            {"post_id": "P2", "platform": "x", "author_handle": "c1", "created_at": "2026-01-02 00:00:00",
             "text": "lovely weather at @Shop", "sentiment": 0.6},
            {"post_id": "P3", "platform": "x", "author_handle": "acme", "created_at": "2026-01-02 00:00:00",
             "text": "news", "sentiment": 0.0},
            {"post_id": "P4", "platform": "x", "author_handle": "c2", "created_at": "2026-01-03 00:00:00",
             "text": "meh", "sentiment": -0.3, "reply_to": "P3"}])
        to_brand = posts_base(db, True)
        # P1 mentions @acme, P4 replies to the brand's P3; P2 is to a shop not (yet) the brand's, P3 is the
        # brand's own.
        assert sorted(to_brand["post_id"]) == ["P1", "P4"]
        assert to_brand.set_index("post_id").loc["P1", "t"] == 1767261600  # 2026-01-01 10:00:00 UTC
        assert sorted(posts_base(db, False)["post_id"]) == ["P1", "P2", "P4"]
        assert aggregates.load(db, "continuum.linked_posts.brand", store.rows_version(db)) is not None
        memo.clear()  # another process reads the kept copy: the same frame, the same types
        pd.testing.assert_frame_equal(posts_base(db, True), to_brand)
        store.upsert_rows(db, "brand_accounts", [{"platform": "x", "handle": "shop"}])
        assert sorted(posts_base(db, True)["post_id"]) == ["P1", "P2", "P4"]  # @Shop is the brand's now
        store.upsert_rows(db, "posts", [
            {"post_id": "P5", "platform": "x", "author_handle": "c2", "created_at": "2026-01-04 00:00:00",
             "text": "thanks @shop", "sentiment": 0.7}])
        assert sorted(posts_base(db, True)["post_id"]) == ["P1", "P2", "P4", "P5"]


def test_in_memory_channel_figures_on_tricky_rows(db):
    """Rows sorted by (segment, region) group and day, filtered by binary search: customers without a
    segment or region, a customer only in texts, days at the edges of the range; equal to the SQL."""
    store.upsert_rows(db, "customers", [{"customer_id": "A", "segment": "S1", "region": "R1"},
                                        {"customer_id": "B", "segment": "S1", "region": None},
                                        {"customer_id": "C", "segment": None, "region": "R1"},
                                        {"customer_id": "D", "segment": "S2", "region": "R1"}])
    rows = [("A", "2025-01-01 00:00:00", "email", "inbound", "hello"),
            ("A", "2025-01-31 23:59:59", "email", "outbound", None),
            ("B", "2025-01-31 10:00:00", "chat", "inbound", "hello"),
            ("B", "2025-02-01 00:00:00", "chat", "inbound", "late"),
            ("C", "2025-02-01 09:00:00", "phone", "inbound", "hello"),
            ("D", "2025-03-01 09:00:00", "email", "other", None),
            ("Z", "2025-02-15 09:00:00", "email", "inbound", "who am I"),  # no such customer
            ("D", "2025-01-15 09:00:00", "email", "inbound", "late")]
    store.upsert_rows(db, "interactions", [
        {"interaction_id": f"I{i}", "customer_id": c, "thread_id": f"T{i}", "occurred_at": at, "channel": ch,
         "direction": d, "kind": "inquiry", "text": t} for i, (c, at, ch, d, t) in enumerate(rows)])
    act = continuum.activity_base(db)
    days = [None, "2025-01-01", "2025-01-31", "2025-02-01", "2025-02-15", "2025-03-02"]
    for lo in days:
        for hi in days:
            if lo and hi and lo > hi:
                continue
            for seg, reg in (((), ()), (("S1",), ()), (("S2", "S1"), ("R1",)), ((), ("R1",)), (("S9",), ())):
                assert_in_memory_matches_sql(db, act, Filters(date_from=lo, date_to=hi, segments=seg, regions=reg))
    # By hand: segment S1 in January: A (email) and B (chat) active, 3 touches.
    counts, customers, active = continuum.activity_counts(act, Filters(segments=("S1",), date_from="2025-01-01",
                                                                      date_to="2025-01-31"))
    assert active == 2 and int(counts["n"].sum()) == 3
