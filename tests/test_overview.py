"""Overview numbers on a hand-made dataset whose answers can be checked by hand."""

from __future__ import annotations

import math

import pytest

from analysis import overview, store
from analysis.filters import Filters


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db


def seed(db):
    store.upsert_rows(db, "customers", [
        {"customer_id": "C1", "segment": "Value", "region": "Europe", "email": "a@x"},
        {"customer_id": "C2", "segment": "Premium", "region": "Europe", "email": None},
    ])
    store.upsert_rows(db, "identities", [{"customer_id": "C1", "platform": "x", "handle": "ann"}])
    store.upsert_rows(db, "interactions", [
        {"interaction_id": f"I{i}", "customer_id": c, "thread_id": t, "occurred_at": d, "channel": "phone",
         "direction": dr, "kind": k, "amount": a}
        for i, (c, t, d, dr, k, a) in enumerate([
            ("C1", "T1", "2025-01-01 09:00:00", "inbound", "complaint", None),
            ("C1", "T1", "2025-01-01 10:00:00", "outbound", "response", None),
            ("C2", "T2", "2025-02-01 09:00:00", "inbound", "purchase", 30.0),
            ("C2", "T3", "2025-02-02 09:00:00", "inbound", "purchase", 20.0)])])
    store.upsert_rows(db, "posts", [
        {"post_id": "p1", "platform": "x", "author_handle": "ann", "created_at": "2025-01-02 00:00:00",
         "sentiment": -0.6},
        {"post_id": "p2", "platform": "x", "author_handle": "bob", "created_at": "2025-01-03 00:00:00",
         "sentiment": 0.4, "reshare_of": "p1"},
    ])


def test_kpis_by_hand(db):
    seed(db)
    k = overview.kpis(db, Filters())
    assert (k.interactions, k.active_customers, k.threads, k.inbound, k.outbound) == (4, 2, 3, 3, 1)
    assert k.revenue == 50.0 and k.outbound_share == 0.25
    assert k.posts == 2 and math.isclose(k.mean_sentiment, -0.1) and k.negative_share == 0.5 and k.reshares == 1
    v = overview.kpis(db, Filters(segments=("Value",)))
    assert v.interactions == 2 and v.posts == 1 and v.negative_share == 1.0


def test_health_reports_link_rates_and_missing_values(db):
    seed(db)
    h = overview.health(db)
    assert h.customer_link_rate == 0.5  # C1 of C1, C2
    assert h.author_link_rate == 0.5  # ann of ann, bob
    missing = overview.missing_values(db).set_index(["table", "column"])
    assert missing.loc[("customers", "email"), "missing"] == 1
    assert h.date_range == ("2025-01-01", "2025-02-02")


def test_empty_database_warns(db):
    h = overview.health(db)
    assert any("No customers" in w for w in h.warnings)
    k = overview.kpis(db, Filters())
    assert k.interactions == 0 and k.posts == 0 and math.isnan(k.negative_share)


def test_view_gives_the_same_figures_as_its_parts(db):
    seed(db)
    for f in (Filters(), Filters(segments=("Value",))):
        k, monthly = overview.view(db, f)
        assert k == overview.kpis(db, f)
        assert monthly.equals(overview.monthly_activity(db, f))


def test_partial_months_are_the_edges_of_the_view_that_miss_days():
    import datetime as dt

    from analysis import overview
    from analysis.filters import Filters

    d = dt.date
    assert overview.partial_months(d(2025, 5, 29), d(2026, 11, 19)) == ["2025-05", "2026-11"]
    assert overview.partial_months(d(2025, 5, 1), d(2026, 11, 30)) == []
    assert overview.partial_months(d(2025, 5, 2), d(2025, 5, 20)) == ["2025-05"]  # one month, once
    assert overview.partial_months(d(2024, 2, 1), d(2024, 2, 29)) == []  # leap February is whole
    assert overview.partial_months(None, d(2025, 1, 1)) == []
    f = Filters(date_from="2025-07-01")
    assert overview.view_days(f, "2025-05-29", "2026-11-19 10:00:00") == (d(2025, 7, 1), d(2026, 11, 19))


def test_monthly_chart_marks_partial_months_hollow_and_says_so():
    import pandas as pd

    from analysis import charts

    df = pd.DataFrame({"month": ["2025-05", "2025-06", "2025-07"] * 2,
                       "source": ["Interactions"] * 3 + ["Public posts"] * 3, "n": [5, 50, 60, 1, 10, 12]})
    fig = charts.monthly_activity(df, "All data", partial=["2025-05"])
    for trace in fig.data:
        assert list(trace.marker.symbol) == ["circle-open", "circle", "circle"]
    title = fig.layout.title.text
    assert "Hollow points" in title and "May 2025" in title
    plain = charts.monthly_activity(df, "All data")
    assert all(list(t.marker.symbol) == ["circle"] * 3 for t in plain.data)
    assert "Hollow" not in plain.layout.title.text


def test_post_figures_split_by_author_role_on_a_tweet_dataset(db):
    """Customers' tweets, the brand's replies and a bystander's tweet, counted apart (by hand from the data)."""
    import pandas as pd

    from analysis.store import rollups
    from tests import public_only

    public_only.load(db)
    posts = public_only.posts_frame()
    brand = posts["author_handle"] == public_only.BRAND
    customer = posts["author_handle"].isin(public_only.HANDLES.values())
    expected = {"brand": posts[brand], "customer": posts[customer], "public": posts[~brand & ~customer]}
    assert [len(v) for v in expected.values()] == [3, 6, 1]
    t = overview.post_roles(db, Filters()).set_index("role")
    for role, part in expected.items():
        assert t.loc[role, "posts"] == len(part)
        assert t.loc[role, "mean_sentiment"] == pytest.approx(part["sentiment"].mean())
        assert t.loc[role, "negative_share"] == pytest.approx((part["sentiment"] <= -0.05).mean())
    # The page's default: customers and other public voices, not the brand's own replies.
    k = overview.kpis(db, Filters(), roles=("customer", "public"))
    voices = pd.concat([expected["customer"], expected["public"]])
    assert k.posts == 7 and k.mean_sentiment == pytest.approx(voices["sentiment"].mean())
    assert overview.kpis(db, Filters(), roles=("brand",)).mean_sentiment == pytest.approx(
        expected["brand"]["sentiment"].mean())
    assert overview.kpis(db, Filters()).posts == overview.kpis(db, Filters(), roles=("brand", "customer", "public")
                                                               ).posts == 10
    # Filtered figures from the rollups, with the same role split.
    rollups.build(db)
    f = Filters(date_from="2026-01-06")
    k, monthly = overview.view(db, f, roles=("customer", "public"))
    later = voices[voices["created_at"] >= "2026-01-06"]
    assert k.posts == len(later) == 5
    assert k.mean_sentiment == pytest.approx(later["sentiment"].mean())
    assert int(monthly.loc[monthly["source"] == "Public posts", "n"].sum()) == 5
    assert overview.post_roles(db, f).set_index("role").loc["brand", "posts"] == 2


def test_a_demo_build_keeps_the_overviews_default_figures(demo_db):
    """The first Overview (customers and other public voices, every role side by side) reads kept figures."""
    from analysis.store import aggregates

    conn = store.connect(demo_db, create=False)
    try:
        version = store.rows_version(conn)
        for key in ("overview.kpis.customer+public", "overview.monthly.customer+public", "overview.post_roles"):
            assert aggregates.load(conn, key, version) is not None, key
    finally:
        conn.close()


def test_monthly_chart_counts_a_month_without_rows_as_zero():
    """Tweets of October 2017 imported beside data from 2025: the months between have no rows and are drawn
    at 0, not bridged by a straight line that shows counts nobody made."""
    import pandas as pd

    from analysis import charts

    df = pd.DataFrame({"month": ["2017-10", "2018-01", "2017-10"], "source": ["Interactions", "Interactions",
                                                                               "Public posts"], "n": [93, 40, 50]})
    fig = charts.monthly_activity(df, "All data")
    by_source = {t.name: dict(zip(t.x, t.y, strict=True)) for t in fig.data}
    # By hand: October 2017 to January 2018 is four months; each source has a point in every one.
    assert by_source["Interactions"] == {"2017-10": 93, "2017-11": 0, "2017-12": 0, "2018-01": 40}
    assert by_source["Public posts"] == {"2017-10": 50, "2017-11": 0, "2017-12": 0, "2018-01": 0}
