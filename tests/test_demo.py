"""The demo data shows mechanisms: each test checks one of them on the generated tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import demo, store


@pytest.fixture(scope="module")
def tables():
    return demo.generate("default", seed=7)


def service_threads(inter: pd.DataFrame) -> pd.DataFrame:
    s = inter[inter["thread_id"].str.startswith("S")].copy()
    s["t"] = pd.to_datetime(s["occurred_at"])
    g = s.groupby("thread_id")
    out = pd.DataFrame({
        "start": g["t"].min(),
        "first_channel": g["channel"].first(),
        "went_public": g.apply(lambda x: ((x["channel"] == "post") & (x["kind"] == "complaint")).any(),
                               include_groups=False),
    })
    res = s[s["kind"] == "resolution"].groupby("thread_id")["t"].min()
    out["resolution_h"] = (res - out["start"]).dt.total_seconds() / 3600
    return out


def test_same_seed_same_data_and_different_seed_different_data():
    a, b, c = demo.generate("small", 3), demo.generate("small", 3), demo.generate("small", 4)
    pd.testing.assert_frame_equal(a["interactions"], b["interactions"])
    pd.testing.assert_frame_equal(a["posts"], b["posts"])
    assert not a["posts"]["text"].equals(c["posts"]["text"])


def test_default_scale_sizes(tables):
    assert len(tables["customers"]) == 5000
    assert 90_000 <= len(tables["interactions"]) <= 110_000
    assert 40_000 <= len(tables["posts"]) <= 60_000


def test_slow_resolution_raises_the_chance_of_going_public(tables):
    t = service_threads(tables["interactions"]).dropna(subset=["resolution_h"])
    q = t["resolution_h"].quantile([0.25, 0.75])
    fast = t.loc[t["resolution_h"] <= q.iloc[0], "went_public"].mean()
    slow = t.loc[t["resolution_h"] >= q.iloc[1], "went_public"].mean()
    assert slow > 2 * fast


def test_public_complaints_are_taken_private(tables):
    inter = tables["interactions"]
    s = inter[inter["thread_id"].str.startswith("S")]
    public_start = s.groupby("thread_id")["channel"].first().isin(["public_reply", "forum"])
    later = s[s["thread_id"].isin(public_start[public_start].index)]
    moved = later.groupby("thread_id")["channel"].apply(lambda c: bool(set(c) & {"dm", "phone"}))
    assert moved.mean() > 0.9


def test_kudos_follow_resolution(tables):
    inter = tables["interactions"]
    kudos_threads = set(inter.loc[inter["kind"] == "kudos", "thread_id"])
    resolved = set(inter.loc[inter["kind"] == "resolution", "thread_id"])
    assert kudos_threads and kudos_threads <= resolved


def test_phone_and_email_are_the_busiest_service_channels(tables):
    inter = tables["interactions"]
    service = inter[inter["thread_id"].str.startswith("S")]
    top2 = service["channel"].value_counts().index[:3].tolist()
    assert "phone" in top2 and "email" in top2


def test_follower_counts_are_heavy_tailed(tables):
    indeg = tables["follows"].groupby("followee_handle").size()
    assert indeg.max() > 20 * indeg.median()


def test_cascades_mostly_tiny_a_few_large(tables):
    posts = tables["posts"]
    parent = posts.set_index("post_id")["reshare_of"]
    root = parent.copy()
    generations = 0
    for _ in range(40):  # follow reshare chains up to their root
        up = root.map(parent)
        nxt = up.where(up.notna(), root)
        if nxt.equals(root):
            break
        root = nxt
        generations += 1
    reshares = posts[posts["reshare_of"].notna()]
    sizes = reshares["post_id"].map(root).value_counts()
    originals = posts[posts["reshare_of"].isna() & posts["reply_to"].isna()]
    share_zero = 1 - len(sizes) / len(originals)
    assert share_zero > 0.5
    assert sizes.max() >= 100
    assert generations >= 5  # some cascades run many generations deep, not just one or two


def test_only_part_of_the_accounts_are_linked(tables):
    authors = tables["posts"][["platform", "author_handle"]].drop_duplicates()
    linked = authors.merge(tables["identities"], left_on=["platform", "author_handle"],
                           right_on=["platform", "handle"])
    assert 0.1 < len(linked) / len(authors) < 0.7


def test_consumer_and_business_surveys_present(tables):
    s = tables["survey_responses"]
    assert set(s["group"]) == {"consumer", "business"}
    shares = s.groupby(["group", "motive"])["selected"].mean()
    # The consumer side puts discounts above community, as in the IBM study.
    assert shares["consumer", "Get discounts or coupons"] > shares["consumer", "Be part of a community"] + 0.2


def test_build_writes_the_database_and_scores_every_post(tmp_path):
    report = demo.build(tmp_path / "d.sqlite", scale="small", seed=1)
    conn = store.connect(tmp_path / "d.sqlite")
    assert store.scalar(conn, "SELECT COUNT(*) FROM posts WHERE text IS NOT NULL AND sentiment IS NULL") == 0
    assert report.counts["customers"] == 600
    assert np.isclose(store.scalar(conn, "SELECT COUNT(*) FROM interactions"), report.counts["interactions"])
    conn.close()


@pytest.fixture()
def three_parts(monkeypatch):
    """A scale built like ``huge`` (independent parts written one at a time), at a size a test can afford."""
    monkeypatch.setitem(demo.PARTS, "tiny-parts", (3, dict(customers=300, interactions=6_000, posts=3_000,
                                                            follows=12_000)))
    return "tiny-parts"


def test_parted_scales_never_share_an_id_a_handle_or_a_thread(three_parts):
    t = demo.generate(three_parts, seed=3)
    assert len(t["customers"]) == 900 and t["customers"]["customer_id"].is_unique
    for table, key in (("interactions", ["interaction_id"]), ("posts", ["post_id"]),
                       ("identities", ["platform", "handle"]), ("follows", list(t["follows"].columns))):
        assert not t[table].duplicated(key).any(), table
    posts, inter = t["posts"], t["interactions"]
    ids = set(posts["post_id"])
    assert posts["reshare_of"].dropna().isin(ids).all() and posts["reply_to"].dropna().isin(ids).all()
    assert inter["customer_id"].isin(t["customers"]["customer_id"]).all()
    assert t["identities"]["customer_id"].isin(t["customers"]["customer_id"]).all()
    # A thread (a case or a single touch) belongs to one customer, so parts were not merged into each other.
    assert inter.groupby("thread_id")["customer_id"].nunique().max() == 1
    # Reshares stay inside a part: a reshare's author is of the same part as the post it reshares.
    part = posts["author_handle"].str.extract(r"_(\d)$")[0].fillna("0")
    by_id = pd.Series(part.to_numpy(), index=posts["post_id"])
    reshares = posts["reshare_of"].notna() & posts["author_handle"].ne(demo.BRAND)
    parent_brand = posts.set_index("post_id")["author_handle"].reindex(posts.loc[reshares, "reshare_of"]).eq(demo.BRAND)
    mine = part[reshares].to_numpy()[~parent_brand.to_numpy()]
    theirs = by_id.reindex(posts.loc[reshares, "reshare_of"]).to_numpy()[~parent_brand.to_numpy()]
    assert (mine == theirs).all()
    # The brand's public answer names the customer whose post it answers, in every part.
    answers = posts[posts["text"].str.startswith("@") & posts["author_handle"].eq(demo.BRAND)]
    named = answers["text"].str.extract(r"^@(\S+)")[0].to_numpy()
    answered = posts.set_index("post_id")["author_handle"].loc[answers["reply_to"]].to_numpy()
    assert len(answers) and (named == answered).all()
    # Surveys and brand accounts come once.
    assert len(t["brand_accounts"]) == 3
    assert t["survey_responses"]["response_key"].is_unique


def test_parted_build_writes_every_part(tmp_path, three_parts):
    path = tmp_path / "parts.sqlite"
    report = demo.build(path, scale=three_parts, seed=3)
    t = demo.generate(three_parts, seed=3)
    db = store.connect(path)
    try:
        for name in ("customers", "interactions", "posts", "follows"):
            assert db[name].count == len(t[name]) == report.counts[name]
        assert store.get_meta(db, "demo") == f"scale={three_parts} seed=3"
    finally:
        db.close()
    assert demo.status(path) == "complete"


def test_huge_is_about_ten_million_interactions():
    sizes = demo._sizes("huge")
    assert sizes["interactions"] == 10_000_000 and sizes["customers"] == 500_000
