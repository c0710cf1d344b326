"""Service timing on hand-made conversations whose medians, p90s, unanswered counts and hand-off shares
are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import service, store
from analysis.filters import Filters
from analysis.store import kinds


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db

# Five conversations and one thread the brand started (not a conversation), all on 1 March 2026:
#  T1 phone (private), Premium: answered after 30 min by desk, resolved after 120 min.
#  T2 email (private), Value: answered after 600 min by desk, never resolved.
#  T3 public_reply (public), Value: a hand-off to private after 5 min by acme, resolved after 60 min.
#  T4 public_reply (public), Premium: one complaint, never answered.
#  T5 post (public), Value: answered after 20 min (no account recorded), then a hand-off by acme.
#  T6 email: a marketing send answered by the customer: started by the brand.
TOUCHES = [
    ("T1", "00:00", "phone", "inbound", "complaint", "C1", None),
    ("T1", "00:30", "phone", "outbound", "response", "C1", "desk"),
    ("T1", "02:00", "phone", "outbound", "resolution", "C1", "desk"),
    ("T2", "01:00", "email", "inbound", "inquiry", "C2", None),
    ("T2", "11:00", "email", "outbound", "response", "C2", "desk"),
    ("T3", "03:00", "public_reply", "inbound", "inquiry", "C2", None),
    ("T3", "03:05", "public_reply", "outbound", "handoff_private", "C2", "acme"),
    ("T3", "04:00", "dm", "outbound", "resolution", "C2", "acme"),
    ("T4", "05:00", "public_reply", "inbound", "complaint", "C1", None),
    ("T5", "06:00", "post", "inbound", "inquiry", "C3", None),
    ("T5", "06:20", "public_reply", "outbound", "reply", "C3", None),
    ("T5", "06:30", "public_reply", "inbound", "message", "C3", None),
    ("T5", "06:40", "public_reply", "outbound", "handoff_private", "C3", "acme"),
    ("T6", "07:00", "email", "outbound", "marketing", "C3", "crm"),
    ("T6", "08:00", "email", "inbound", "follow_up", "C3", None),
]


def seed(db, touches=TOUCHES):
    store.upsert_rows(db, "customers", [
        {"customer_id": "C1", "segment": "Premium", "region": "Europe"},
        {"customer_id": "C2", "segment": "Value", "region": "Europe"},
        {"customer_id": "C3", "segment": "Value", "region": "Asia"}])
    store.upsert_rows(db, "interactions", [
        {"interaction_id": f"{t}-{i}", "thread_id": t, "occurred_at": f"2026-03-01 {hm}:00", "channel": ch,
         "direction": d, "kind": k, "customer_id": c, "account": a}
        for i, (t, hm, ch, d, k, c, a) in enumerate(touches)])


@pytest.fixture
def view(db):
    seed(db)
    return service.service_view(db, Filters())


def test_conversations_answered_or_not(view):
    assert view.conversations == 5  # T6 was started by the brand
    assert (view.answered, view.unanswered) == (4, 1)
    assert view.unanswered_share == 0.2
    assert set(view.frame.loc[~view.frame["answered"], "thread_id"]) == {"T4"}


def test_unanswered_conversations_are_listed_oldest_first(db):
    seed(db, TOUCHES + [("T7", "00:10", "email", "inbound", "complaint", "C3", None)])
    w = service.unanswered(service.service_view(db, Filters()).frame)
    assert w["thread_id"].tolist() == ["T7", "T4"]  # 00:10 waited longer than 05:00
    assert w["customer_id"].tolist() == ["C3", "C1"] and w["start_side"].tolist() == ["private", "public"]


def test_first_response_median_and_p90_by_hand(view):
    # 30, 600, 5, 20 minutes -> sorted 5, 20, 30, 600. Median (20 + 30) / 2 = 25.
    # p90 at rank 0.9 * 3 = 2.7: 30 + 0.7 * (600 - 30) = 429.
    t = view.first_response
    assert (t.n, t.median) == (4, 25.0)
    assert t.p90 == pytest.approx(429.0)


def test_resolution_median_and_p90_by_hand(view):
    # T1 120 min, T3 60 min: median 90, p90 at rank 0.9: 60 + 0.9 * 60 = 114.
    assert view.resolution_known and view.resolved == 2
    assert (view.resolution.n, view.resolution.median) == (2, 90.0)
    assert view.resolution.p90 == pytest.approx(114.0)


def test_handoff_share_is_over_the_brands_messages(view):
    # Brand messages: T1 2, T2 1, T3 2, T5 2 = 7 (T6 is not a conversation); hand-offs T3 1, T5 1.
    assert (view.handoffs, view.brand_messages) == (2, 7)
    assert view.handoff_share == pytest.approx(2 / 7)
    assert view.handoff_known and view.accounts_recorded and view.private_channels


def test_going_public_and_the_queue(view):
    b = service.breakdown(view.frame, "start_side").set_index("group")
    pub, priv = b.loc["Started in public"], b.loc["Started in private"]
    # Public: T3 (5), T4 (unanswered), T5 (20). Private: T1 (30), T2 (600).
    assert (pub["conversations"], pub["answered"], pub["unanswered"]) == (3, 2, 1)
    assert pub["unanswered_share"] == pytest.approx(1 / 3)
    assert (pub["first_response_median"], pub["first_response_p90"]) == (12.5, pytest.approx(18.5))
    assert (priv["first_response_median"], priv["first_response_p90"]) == (315.0, pytest.approx(543.0))
    assert pub["handoffs"] == 2 and pub["brand_messages"] == 4 and pub["handoff_share"] == 0.5
    # Mann–Whitney: both public times (5, 20) are below both private ones (30, 600), so U = 0; of the
    # C(4, 2) = 6 equally likely splits one gives U = 0 and one U = 4: two-sided p = 2/6.
    assert service.queue_test(view.frame) == pytest.approx(1 / 3)
    text = service.queue_answer(view.frame)
    assert "12 min" in text and "5.2 h" in text and "answered faster" in text and "p = 0.33" in text


def test_per_account_channel_segment_and_month(view):
    acc = service.breakdown(view.frame, "account").set_index("group")
    assert acc["conversations"].to_dict() == {"desk": 2, "acme": 1, service.NO_ANSWER: 1,
                                              service.NOT_RECORDED: 1}
    assert acc.loc["desk", "first_response_median"] == 315.0
    ch = service.breakdown(view.frame, "channel").set_index("group")
    assert ch["conversations"].to_dict() == {"Public reply": 2, "Email": 1, "Phone": 1, "Public post": 1}
    assert ch.loc["Public reply", "unanswered"] == 1
    seg = service.breakdown(view.frame, "segment").set_index("group")
    assert seg["conversations"].to_dict() == {"Value": 3, "Premium": 2}
    assert seg.loc["Value", "first_response_median"] == 20.0  # 600, 5, 20
    month = service.monthly(view.frame)
    assert month["month"].tolist() == ["2026-03"] and month["conversations"].tolist() == [5]


def test_filters_narrow_the_conversations(db):
    seed(db)
    v = service.service_view(db, Filters(segments=("Premium",)))
    assert (v.conversations, v.unanswered, v.first_response.median) == (2, 1, 30.0)
    assert service.service_view(db, Filters(date_from="2026-03-02")).conversations == 0


def test_public_only_data_has_no_resolution(db):
    """A tweet dump: inquiries, replies and hand-offs on public channels, nothing resolves."""
    seed(db, [t for t in TOUCHES if t[0] in ("T4", "T5")])
    v = service.service_view(db, Filters())
    assert not v.resolution_known and not v.private_channels
    assert v.resolution.n == 0 and math.isnan(v.resolution.median)
    assert (v.conversations, v.unanswered, v.first_response.median) == (2, 1, 20.0)


def test_a_kind_renamed_to_resolve_changes_the_figures(db):
    seed(db, [t for t in TOUCHES if t[0] in ("T4", "T5")])
    kinds.set_kind(db, "handoff_private", "resolves")  # say the hand-off closes the public case
    v = service.service_view(db, Filters())
    assert v.resolution_known and v.resolution.median == 40.0  # 06:00 -> 06:40
    assert not v.handoff_known


def test_distribution_on_log_bins_by_hand(view):
    d = service.distribution(view.frame, "first_response")
    # Quarter-decade bins from 1 to 1000 minutes: 5 in [10^0.5, 10^0.75), 20 and 30 in [10^1.25, 10^1.5),
    # 600 in [10^2.75, 10^3).
    assert len(d) == 12 and d["n"].sum() == 4
    hits = d[d["n"] > 0]
    assert np.allclose(hits["lo"], [10 ** 0.5, 10 ** 1.25, 10 ** 2.75])
    assert hits["n"].tolist() == [1, 2, 1] and hits["share"].tolist() == [0.25, 0.5, 0.25]


def test_ecdf_by_hand(view):
    e = service.ecdf(view.frame, "first_response", "start_side")
    pub = e[e["group"] == "Started in public"]
    assert pub["minutes"].tolist() == [5.0, 20.0] and pub["share"].tolist() == [0.5, 1.0]
    priv = e[e["group"] == "Started in private"]
    assert priv["minutes"].tolist() == [30.0, 600.0] and priv["share"].tolist() == [0.5, 1.0]


def test_ecdf_is_thinned_but_keeps_its_ends():
    frame = pd.DataFrame({
        "first_response_min": np.arange(1, 1001, dtype=float), "start_side": "public"})
    e = service.ecdf(frame, "first_response", points=100)
    assert len(e) <= 101 and e["share"].iloc[-1] == 1.0 and e["minutes"].iloc[0] == 1.0
    assert e["share"].iloc[0] == pytest.approx(0.001)


def test_durations_in_words():
    assert [service.format_minutes(m) for m in (0.5, 12.4, 90, 60 * 50, float("nan"))] == [
        "30 s", "12 min", "1.5 h", "2.1 days", "–"]


def test_a_saved_view_summarises_its_figures_for_scenario_comparisons(db):
    from analysis import summaries

    seed(db)
    s = summaries.summarise(db, "service", {"segments": ["Premium"], "service_compare": "Where it started (public "
                                                                                    "or private)"})
    # Premium: T1 (answered after 30 min, resolved after 120) and T4 (never answered).
    assert s.metrics["Conversations started by customers"] == 2
    assert s.metrics["Unanswered share"] == 0.5
    assert s.metrics["First response median (min)"] == 30.0
    assert s.metrics["Resolution median (min)"] == 120.0
    names = {t.name for t in s.figures[-1].data}
    assert names == {"Started in private (1)"}


def test_coverage_is_kept_in_the_database_and_follows_a_channel_made_private(demo_db_copy):
    """Counted once per data version (a scan of every interaction) and kept; a publicness edit, a setting,
    is seen at once."""
    from analysis import memo
    from analysis.store import aggregates

    with store.connection(demo_db_copy) as db:
        direct = pd.read_sql_query("SELECT COUNT(*) AS n FROM interactions WHERE channel = 'email'", db.conn)
        before = service.coverage(db)
        assert aggregates.load(db, "service.coverage", store.data_version(db)) is not None
        memo.clear()  # another process reads the kept copy
        assert service.coverage(db).equals(before)
        publicness = store.scalar(db, "SELECT publicness FROM channels WHERE channel = 'email'")
        email_private = publicness < store.PUBLIC_THRESHOLD
        store.set_publicness(db, "email", 1.0 if email_private else 0.0)
        after = service.coverage(db)
        change = int(direct["n"].iloc[0])
        assert int(after["private"].sum()) == int(before["private"].sum()) + (-change if email_private else change)


def _direct(db, f: Filters) -> pd.DataFrame:
    """The conversations under ``f`` built from the threads, as before they were kept."""
    from analysis import continuum

    base = continuum.service_base(db)
    return service.conversations(base.threads[continuum.thread_mask(base, f)], continuum.vocabulary(db))


def test_kept_conversations_follow_imports_and_settings(engine_address):
    """Every conversation's row is kept (in the database and in this process) per data version: a filter
    only masks it, a channel moved to the public side or a new conversation is seen at once."""
    from analysis import memo
    from analysis.store import aggregates

    memo.clear()
    with store.connection(engine_address, create=True) as db:
        seed(db)
        v = service.service_view(db, Filters())
        assert (v.conversations, v.unanswered, v.first_response.median) == (5, 1, 25.0)
        assert aggregates.load(db, service.CONVERSATIONS_MEMO_KEY, store.data_version(db)) is not None
        memo.clear()  # another process reads the kept copy
        again = service.service_view(db, Filters())
        pd.testing.assert_frame_equal(again.frame, v.frame)
        # Premium: T1 (answered after 30 min) and T4 (never answered); Value from 1 March: T2, T3, T5.
        premium = service.service_view(db, Filters(segments=("Premium",)))
        assert (premium.conversations, premium.unanswered, premium.first_response.median) == (2, 1, 30.0)
        assert service.service_view(db, Filters(regions=("Asia",))).conversations == 1  # T5 (C3)
        assert service.service_view(db, Filters(date_from="2026-03-02")).conversations == 0
        # A setting: email made public, T2 (started on email) now started in public.
        assert v.frame.set_index("thread_id").loc["T2", "start_side"] == "private"
        store.set_publicness(db, "email", 1.0)
        moved = service.service_view(db, Filters())
        assert moved.frame.set_index("thread_id").loc["T2", "start_side"] == "public"
        assert (moved.frame["start_side"] == "public").sum() == 4  # T2, T3, T4, T5
        # An import: a new conversation on 2 March, answered after 15 minutes.
        store.upsert_rows(db, "interactions", [
            {"interaction_id": "T7-0", "thread_id": "T7", "occurred_at": "2026-03-02 09:00:00", "channel": "chat",
             "direction": "inbound", "kind": "inquiry", "customer_id": "C1", "account": None},
            {"interaction_id": "T7-1", "thread_id": "T7", "occurred_at": "2026-03-02 09:15:00", "channel": "chat",
             "direction": "outbound", "kind": "response", "customer_id": "C1", "account": "desk"}])
        later = service.service_view(db, Filters(date_from="2026-03-02"))
        assert (later.conversations, later.first_response.median) == (1, 15.0)
        assert service.service_view(db, Filters()).conversations == 6


@pytest.mark.parametrize("f", [
    Filters(), Filters(segments=("Business",)), Filters(regions=("Europe", "Asia-Pacific")),
    Filters(date_from="2025-09-01", date_to="2026-02-28"), Filters(platforms=("x",)),
    Filters(segments=("Premium",), regions=("Europe",), date_from="2026-01-01")])
def test_kept_conversations_equal_the_direct_computation_on_the_demo(engine_demo_db, f):
    from analysis import memo

    memo.clear()
    with store.connection(engine_demo_db, create=False) as db:
        kept = service.service_view(db, f).frame
        direct = _direct(db, f)
        assert len(kept) == len(direct) > 0
        pd.testing.assert_frame_equal(kept, direct)
