"""The kept per-day cube of the posts (``listening.cube``): Listening's daily rows under a segment or
region, and the cascades' count of originals, read from it equal counts made here from the raw tables."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import cascades, listening, store
from analysis.filters import Filters
from analysis.store import aggregates

FILTERS = [
    Filters(),
    Filters(segments=("Premium",)),
    Filters(regions=("Europe",)),
    Filters(segments=("Value", "Standard"), regions=("North America",)),
    Filters(date_from="2025-03-01", date_to="2025-05-31"),
    Filters(date_from="2025-02-01", platforms=("x",), segments=("Premium",)),
]


@pytest.fixture
def raw(demo_db_copy):
    conn = store.connect(demo_db_copy)
    posts = store.query_df(conn, "SELECT post_id, platform, author_handle, created_at, text, sentiment, "
                                 "sentiment_corrected, reshare_of, reply_to FROM posts")
    ids = store.query_df(conn, "SELECT platform, handle AS author_handle, customer_id FROM identities")
    cust = store.query_df(conn, "SELECT customer_id, segment, region FROM customers")
    brand = store.query_df(conn, "SELECT platform, handle AS author_handle FROM brand_accounts")
    p = posts.merge(ids, on=["platform", "author_handle"], how="left").merge(cust, on="customer_id", how="left")
    p["day"] = p["created_at"].str[:10]
    is_brand = p.set_index(["platform", "author_handle"]).index.isin(
        brand.set_index(["platform", "author_handle"]).index)
    p["role"] = ["brand" if b else ("customer" if isinstance(c, str) else "public")
                 for b, c in zip(is_brand, p["customer_id"])]
    p["reshare"] = (p["reshare_of"].notna() | p["text"].fillna("").str.startswith("RT ")).astype(int)
    yield conn, p
    conn.close()


def _select(p: pd.DataFrame, f: Filters) -> pd.DataFrame:
    keep = pd.Series(True, index=p.index)
    if f.date_from:
        keep &= p["day"] >= f.date_from.isoformat()
    if f.date_to:
        keep &= p["day"] <= f.date_to.isoformat()
    if f.platforms:
        keep &= p["platform"].isin(f.platforms)
    if f.segments:
        keep &= p["segment"].isin(f.segments)
    if f.regions:
        keep &= p["region"].isin(f.regions)
    return p[keep]


@pytest.mark.parametrize("f", FILTERS[:4])
def test_daily_under_a_segment_or_region_counts_the_linked_authors_posts(raw, f):
    conn, p = raw
    sel = _select(p, f)
    got = listening.daily(conn, f)
    assert int(got["posts"].sum()) == len(sel) > 0
    s = sel["sentiment"]
    assert int(got["scored"].sum()) == int(s.notna().sum())
    assert float(got["sentiment_sum"].sum()) == pytest.approx(float(s.sum()))
    assert int(got["negative"].sum()) == int((s <= -0.05).sum())
    assert int(got["positive"].sum()) == int((s >= 0.05).sum())
    by = sel.groupby(["day", "platform", "reshare", "role"]).size()
    mine = got.set_index(["day", "platform", "reshare", "role"])["posts"]
    assert mine.sort_index().to_dict() == by.sort_index().to_dict()


@pytest.mark.parametrize("f", FILTERS)
@pytest.mark.parametrize("kind,column", [("reshare", "reshare_of"), ("reply", "reply_to")])
def test_root_count_from_the_cube_equals_a_count_of_the_posts(raw, f, kind, column):
    conn, p = raw
    sel = _select(p, f)
    assert cascades.root_count(conn, f, kind) == int(sel[column].isna().sum())


def test_the_cube_and_observed_cascades_are_kept_per_rows_version(raw):
    conn, p = raw
    listening.cube(conn)
    first = cascades.observed_cascades(conn, "reshare")
    version = store.rows_version(conn)
    assert aggregates.load(conn, "listening.daily_cube", version) is not None
    kept = aggregates.load(conn, "cascades.observed.reshare.table", version)
    assert kept is not None and len(kept) == len(first.table)
    # Read back from the database: the same cascades, sizes and virality.
    again = cascades.observed_cascades(conn, "reshare")
    pd.testing.assert_frame_equal(again.table.reset_index(drop=True), first.table.reset_index(drop=True),
                                  check_dtype=False)
    assert int(again.table["size"].sum()) == int(first.table["size"].sum())


@pytest.mark.parametrize("f", FILTERS)
@pytest.mark.parametrize("roles", [None, ("customer", "public")])
def test_term_text_counts_from_the_kept_texts_equal_a_count_of_the_original_posts(raw, f, roles):
    import datetime as dt

    conn, p = raw
    lo = f.date_from or dt.date.fromisoformat(p["day"].min())
    hi = f.date_to or dt.date.fromisoformat(p["day"].max())
    per = listening.periods(lo, hi, 14, 30)
    sel = _select(p, listening.window_filters(f, per))
    sel = sel[(sel["reshare"] == 0) & sel["text"].notna()]
    if roles:
        sel = sel[sel["role"].isin(roles)]
    recent = sel["day"] >= per.recent_start.isoformat()
    base = (sel["day"] >= per.base_start.isoformat()) & ~recent
    want = pd.DataFrame({"n_all": sel.groupby("text").size(), "n_recent": recent.groupby(sel["text"]).sum(),
                         "n_base": base.groupby(sel["text"]).sum()})
    got, total = listening.text_counts(conn, listening.window_filters(f, per), per.recent_start, per.base_start,
                                       10**6, roles=roles)
    assert total == len(sel)
    assert got.set_index("text")[["n_all", "n_recent", "n_base"]].sort_index().to_dict() == \
        want.sort_index().astype(int).to_dict()
    # Most repeated first.
    assert list(got["n_all"]) == sorted(got["n_all"], reverse=True)
    capped, _ = listening.text_counts(conn, listening.window_filters(f, per), per.recent_start, per.base_start,
                                      5, roles=roles)
    assert list(capped["text"]) == list(got["text"].head(5))


@pytest.mark.parametrize("f", FILTERS[1:])
def test_overview_post_figures_from_the_cube_equal_a_count_of_the_posts(raw, f):
    from analysis import overview

    conn, p = raw
    sel = _select(p, f)
    k = overview.kpis(conn, f, ("customer", "public"))
    mine = sel[sel["role"].isin(["customer", "public"])]
    assert k.posts == len(mine)
    assert k.reshares == int(mine["reshare_of"].notna().sum())
    assert k.negative_share == pytest.approx((mine["sentiment"] <= -0.05).sum() / len(mine))
    roles = overview.post_roles(conn, f).set_index("role")
    for role in ("brand", "customer", "public"):
        assert roles.loc[role, "posts"] == int((sel["role"] == role).sum())


@pytest.mark.parametrize("f", FILTERS[1:4])
def test_newest_posts_of_a_segment_are_the_same_read_newest_first(raw, f):
    from analysis.store import listening as q

    conn, p = raw
    a = q.posts(conn, f, limit=50, by_time=True)
    b = q.posts(conn, f, limit=50, by_time=False)
    assert list(a["post_id"]) == list(b["post_id"])
    sel = _select(p, f).sort_values(["created_at", "post_id"], ascending=[False, True]).head(50)
    assert list(a["created_at"]) == list(sel["created_at"])


def test_brand_messages_under_a_date_range_follow_a_change_of_publicness(demo_db_copy):
    from analysis import perception

    conn = store.connect(demo_db_copy)
    try:
        f = Filters(date_from="2025-02-01")
        before = perception.brand_messages(conn, f)
        chans = store.channels(conn)
        public = chans.loc[chans["publicness"] >= 0.5, "channel"].tolist()
        used = [c for c in public if (before["place"] == c).any()]
        assert used
        store.set_publicness(conn, used[0], 0.0)
        after = perception.brand_messages(conn, f)
        assert not (after["place"] == used[0]).any()
        assert len(after) == len(before) - int((before["place"] == used[0]).sum())
    finally:
        conn.close()
