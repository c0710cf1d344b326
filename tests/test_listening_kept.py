"""Listening's faster paths against direct computations: term counts from the coded text index, and one
day's posts of a segment read account by account, equal to pandas over the raw tables on both engines."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis import listening, store
from analysis.filters import Filters
from analysis.store import listening as q

ROLES_ALL = (None, ("customer", "public"), ("brand",), ("customer",))


def raw_posts(db) -> pd.DataFrame:
    """Every post with its author's role, reshare flag, segment and region, read with plain SELECTs and
    joined in pandas (no code of the program's queries)."""
    posts = store.query_df(db, "SELECT post_id, platform, author_handle, created_at, text, reshare_of, likes, "
                               "sentiment FROM posts")
    ids = store.query_df(db, "SELECT platform, handle, customer_id FROM identities")
    cust = store.query_df(db, "SELECT customer_id, segment, region FROM customers")
    brand = store.query_df(db, "SELECT platform, handle FROM brand_accounts")
    linked = ids.merge(cust, on="customer_id", how="left")
    out = posts.merge(linked.rename(columns={"handle": "author_handle"}), on=["platform", "author_handle"],
                      how="left")
    brand_keys = set(zip(brand["platform"], brand["handle"]))
    id_keys = set(zip(ids["platform"], ids["handle"]))
    keys = list(zip(out["platform"], out["author_handle"]))
    out["role"] = ["brand" if k in brand_keys else "customer" if k in id_keys else "public" for k in keys]
    text = out["text"].astype(object)
    out["reshare"] = out["reshare_of"].notna() | text.map(lambda t: isinstance(t, str) and t.startswith("RT "))
    out["day"] = out["created_at"].astype(str).str.slice(0, 10)
    return out


def expected_text_counts(raw: pd.DataFrame, view: Filters, recent: dt.date, base: dt.date, cap: int,
                         roles) -> tuple[pd.DataFrame, int]:
    d = raw[raw["text"].notna() & ~raw["reshare"]]
    if view.date_from:
        d = d[d["day"] >= view.date_from.isoformat()]
    if view.date_to:
        d = d[d["day"] <= view.date_to.isoformat()]
    for col, values in (("platform", view.platforms), ("segment", view.segments), ("region", view.regions),
                        ("role", roles)):
        if values:
            d = d[d[col].isin(list(values))]
    d = d.assign(r=(d["day"] >= recent.isoformat()).astype(int),
                 b=((d["day"] >= base.isoformat()) & (d["day"] < recent.isoformat())).astype(int))
    g = d.groupby("text").agg(n_all=("post_id", "size"), n_recent=("r", "sum"), n_base=("b", "sum"),
                              last=("created_at", "max")).reset_index()
    total = int(g["n_all"].sum())
    g = g.sort_values(["n_all", "last", "text"], ascending=[False, False, True])
    return g.head(cap).reset_index(drop=True), total


def check_text_counts(db, view, recent, base, cap, roles):
    raw = raw_posts(db)
    got, total = listening.text_counts(db, view, recent, base, cap, roles=roles)
    want, want_total = expected_text_counts(raw, view, recent, base, cap, roles)
    assert total == want_total
    assert got["text"].tolist() == want["text"].tolist()
    for c in ("n_all", "n_recent", "n_base"):
        assert got[c].tolist() == want[c].astype(int).tolist(), c
    return got


def post(pid, when, text, author="ann", platform="x", reshare_of=None, likes=0, sentiment=0.1):
    return {"post_id": pid, "platform": platform, "author_handle": author, "created_at": when, "text": text,
            "reshare_of": reshare_of, "likes": likes, "sentiment": sentiment, "sentiment_vader": sentiment}


def seed_tricky(db):
    """Ties in posts and in latest time (text order decides), texts without words, reshares by mark and by
    'RT ', the brand's posts, a segment nobody in which wrote anything, and two platforms."""
    store.upsert_rows(db, "customers", [
        {"customer_id": "C1", "name": "Ann", "segment": "Value", "region": "Europe"},
        {"customer_id": "C2", "name": "Bob", "segment": "Premium", "region": "Asia"},
        {"customer_id": "C3", "name": "Cy", "segment": "Silent", "region": "Europe"},
    ])
    store.upsert_rows(db, "identities", [
        {"customer_id": "C1", "platform": "x", "handle": "ann"},
        {"customer_id": "C2", "platform": "instagram", "handle": "bob"},
        {"customer_id": "C3", "platform": "x", "handle": "cy"},
    ])
    store.upsert_rows(db, "brand_accounts", [{"platform": "x", "handle": "acme"}])
    rows = [
        # "beta" and "alpha" both twice, both last at 10:00 on 3 March: alphabetical order breaks the tie.
        post("a1", "2025-03-01 09:00:00", "beta kettle"), post("a2", "2025-03-03 10:00:00", "beta kettle"),
        post("a3", "2025-03-02 09:00:00", "alpha kettle", author="zed"),
        post("a4", "2025-03-03 10:00:00", "alpha kettle", author="bob", platform="instagram"),
        # Same count, a later last time: comes first.
        post("a5", "2025-03-04 08:00:00", "gamma refund", author="zed"),
        post("a6", "2025-03-04 08:00:01", "gamma refund", author="zed"),
        post("a7", "2025-03-02 12:00:00", None, author="zed"),  # no text: never a term
        post("a8", "2025-03-03 12:00:00", "RT beta kettle", author="zed"),  # reshare by text
        post("a9", "2025-03-03 13:00:00", "beta kettle", author="zed", reshare_of="a1"),  # reshare by mark
        post("b1", "2025-03-04 09:00:00", "Thanks for waiting ^AB", author="acme"),
        post("b2", "2025-03-05 09:00:00", "Thanks for waiting ^AB", author="acme"),
        post("b3", "2025-03-05 10:00:00", "delta", author="ann"),
        post("b4", "2025-02-20 10:00:00", "old news", author="bob", platform="instagram"),
    ]
    store.upsert_rows(db, "posts", rows)


@pytest.fixture
def tricky(engine_address):
    with store.connection(engine_address) as db:
        seed_tricky(db)
    with store.connection(engine_address) as db:
        yield db


@pytest.mark.parametrize("roles", ROLES_ALL)
def test_text_counts_equal_pandas_on_tricky_rows(tricky, roles):
    recent, base = dt.date(2025, 3, 4), dt.date(2025, 2, 25)
    for view in (Filters(date_from=base, date_to=dt.date(2025, 3, 5)), Filters(),
                 Filters(date_from=dt.date(2025, 3, 3), date_to=dt.date(2025, 3, 3)),
                 Filters(segments=("Value", "Premium")), Filters(segments=("Silent",)),
                 Filters(regions=("Europe",), platforms=("x",)), Filters(date_to=dt.date(2025, 3, 2))):
        for cap in (50, 2, 1, 0):
            check_text_counts(tricky, view, recent, base, cap, roles)


def test_text_counts_ties_by_hand(tricky):
    got, total = listening.text_counts(tricky, Filters(), dt.date(2025, 3, 4), dt.date(2025, 2, 25), 50,
                                       roles=("customer", "public"))
    # gamma: 2 posts, last 08:00:01 on 4 March; alpha and beta: 2 each, last 10:00 on 3 March (alphabetical);
    # delta, old news: 1 each (delta newer). Reshares, the text-less post and the brand's posts left out.
    assert got["text"].tolist() == ["gamma refund", "alpha kettle", "beta kettle", "delta", "old news"]
    assert got["n_all"].tolist() == [2, 2, 2, 1, 1] and total == 8
    assert got["n_recent"].tolist() == [2, 0, 0, 1, 0]
    assert got["n_base"].tolist() == [0, 2, 2, 0, 0]  # old news (20 February) is before the baseline


def test_text_counts_of_a_segment_without_posts_are_empty(tricky):
    got, total = listening.text_counts(tricky, Filters(segments=("Silent",)), dt.date(2025, 3, 4),
                                       dt.date(2025, 2, 25), 50)
    assert got.empty and total == 0
    t = listening.terms(tricky, Filters(segments=("Silent",)), listening.periods(dt.date(2025, 2, 1),
                                                                                dt.date(2025, 3, 5)))
    assert t.n_all == 0 and t.table.empty


def test_text_counts_equal_pandas_on_the_demo(engine_demo_db):
    with store.connection(engine_demo_db) as db:
        lo, hi = (dt.date.fromisoformat(v[:10]) for v in store.date_bounds(db))
        segment = store.distinct_values(db, "customers", "segment")[0]
        region = store.distinct_values(db, "customers", "region")[-1]
        platform = store.distinct_values(db, "posts", "platform")[0]
        recent = hi - dt.timedelta(days=13)
        base = recent - dt.timedelta(days=90)
        for view, roles, cap in ((Filters(date_from=base, date_to=hi), ("customer", "public"), 20_000),
                                 (Filters(date_from=lo, date_to=hi), None, 100),
                                 (Filters(date_from=base, date_to=hi, segments=(segment,)), None, 20_000),
                                 (Filters(date_from=lo, date_to=hi, regions=(region,), platforms=(platform,)),
                                  ("customer",), 20_000),
                                 (Filters(date_from=base, date_to=hi), ("brand",), 7)):
            got = check_text_counts(db, view, recent, base, cap, roles)
            assert len(got) > 0


def test_order_key_follows_text_order():
    for values in (["2025-01-02 03:04:05", "2024-12-31 23:59:59", "2025-01-02 03:04:05", "2025-01-02 03:04:06"],
                   ["2025-01-02T03:04:05", "2025-01-02 03:04:05"],  # mixed forms: ranked as text
                   ["2025-13-02 03:04:05", "2025-01-02 03:04:05"],  # not a time
                   ["2025-01-02 03:04:05.5", "2025-01-02 03:04:05"]):
        for s in (pd.Series(values), pd.Series(values, dtype=object)):
            key = listening._order_key(s)
            ref = np.array([[(a > b) - (a < b) for b in values] for a in values])
            assert (np.sign(key[:, None] - key[None, :]) == ref).all(), values


# -- one day of a segment ------------------------------------------------------------------------------

def expected_day_posts(raw, f: Filters, day: str, order: str, limit: int, roles) -> list[str]:
    d = raw[raw["day"] == day]
    for col, values in (("segment", f.segments), ("region", f.regions), ("platform", f.platforms),
                        ("role", roles)):
        if values:
            d = d[d["role"].isin(list(values))] if col == "role" else d[d[col].isin(list(values))]
    if order == "likes":
        d = d.sort_values(["likes", "created_at", "post_id"], ascending=[False, False, True])
    else:
        d = d.sort_values(["sentiment", "likes", "post_id"], ascending=[True, False, True], na_position="last")
    return d["post_id"].head(limit).tolist()


def test_one_day_of_a_segment_equals_pandas_either_way(engine_demo_db):
    with store.connection(engine_demo_db) as db:
        raw = raw_posts(db)
        linked = raw[raw["segment"].notna()]
        day = linked["day"].value_counts().index[0]  # the busiest day of linked customers
        for segment in [*store.distinct_values(db, "customers", "segment"), "Nobody"]:
            f = Filters(segments=(segment,))
            for order in ("likes", "negative"):
                for roles in (("customer", "public"), None):
                    want = expected_day_posts(raw, f, day, order, 40, roles)
                    for by_account in (False, True):
                        got = q.posts(db, f, day=day, order=order, limit=40, roles=roles, by_account=by_account)
                        assert got["post_id"].tolist() == want, (segment, order, roles, by_account)
                    assert listening.posts(db, f, day=day, order=order, limit=40,
                                           roles=roles)["post_id"].tolist() == want


def test_the_accounts_lead_when_fewer_than_the_days_posts(tricky, monkeypatch):
    """One account in segment Value against the day's posts: the accounts lead; the answer is the same."""
    seen = []
    real = q.posts

    def spy(db, f, **kw):
        seen.append(kw.get("by_account"))
        return real(db, f, **kw)

    monkeypatch.setattr(q, "posts", spy)
    f = Filters(segments=("Value",), regions=("Europe",))
    rows = listening.posts(tricky, f, day="2025-03-03", order="likes", limit=10)
    assert rows["post_id"].tolist() == ["a2"]  # ann's post that day; zed and bob are not in Value
    rows = listening.posts(tricky, Filters(segments=("Premium",)), day="2025-02-20", order="likes", limit=10)
    assert rows["post_id"].tolist() == ["b4"]
    assert seen == [True, False]  # 1 account < 5 posts on 3 March; 1 account = 1 post on 20 February: not fewer


def test_day_filters_drop_only_the_dates():
    f = Filters(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 2, 1), segments=("A",), regions=("B",),
                platforms=("x",))
    assert listening.day_filters(f) == Filters(segments=("A",), regions=("B",), platforms=("x",))
