"""Listening on hand-made data: daily aggregates, G² by hand, BH, terms, spikes and corrections."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from analysis import listening, store
from analysis.filters import Filters
from analysis.store import listening as q


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db


def post(pid, day, text, platform="x", author="ann", sentiment=None, reshare_of=None, likes=0, hour=12):
    return {"post_id": pid, "platform": platform, "author_handle": author,
            "created_at": f"{day} {hour:02d}:00:00", "text": text, "reshare_of": reshare_of, "likes": likes,
            "sentiment": sentiment, "sentiment_vader": sentiment}


def seed_small(db):
    store.upsert_rows(db, "customers", [
        {"customer_id": "C1", "name": "Ann Lee", "segment": "Value", "region": "Europe"},
        {"customer_id": "C2", "name": "Bob Ray", "segment": "Premium", "region": "Europe"},
    ])
    store.upsert_rows(db, "identities", [
        {"customer_id": "C1", "platform": "x", "handle": "ann"},
        {"customer_id": "C2", "platform": "instagram", "handle": "bob"},
    ])
    store.upsert_rows(db, "posts", [
        post("p1", "2025-03-03", "Refund still missing", sentiment=-0.6),
        post("p2", "2025-03-03", "RT Refund still missing", author="zed", sentiment=-0.6, reshare_of="p1"),
        post("p3", "2025-03-04", "RT someone said this", author="zed", sentiment=0.0),  # reshare by text only
        post("p4", "2025-03-04", "Love the new kettle", platform="instagram", author="bob", sentiment=0.7),
        post("p5", "2025-03-10", None, author="zed"),  # no text, no score
        post("p6", "2025-03-10", "It is ok", sentiment=0.02),
    ])


# -- SQL aggregates --------------------------------------------------------------------------------

def test_daily_aggregate_by_hand(db):
    seed_small(db)
    # Rows are per author role too; summed over roles here (roles are tested on their own).
    d = listening.daily(db, Filters()).drop(columns="role").groupby(["day", "platform", "reshare"]).sum()
    assert d["posts"].sum() == 6
    # 3 March on x: p1 original (negative), p2 reshare (negative).
    assert d.loc[("2025-03-03", "x", 0), ["posts", "negative", "positive"]].tolist() == [1, 1, 0]
    assert d.loc[("2025-03-03", "x", 1), "posts"] == 1
    # "RT ..." without reshare_of still counts as a reshare.
    assert d.loc[("2025-03-04", "x", 1), "posts"] == 1
    # 10 March: one post without a score, one neutral (+0.02 is inside ±0.05).
    row = d.loc[("2025-03-10", "x", 0)]
    assert (row["posts"], row["scored"], row["neutral"]) == (2, 1, 1)
    s = listening.summary(listening.narrow(d.reset_index(), Filters()))
    assert (s.posts, s.reshares, s.scored) == (6, 2, 5)
    assert math.isclose(s.mean_sentiment, (-0.6 - 0.6 + 0.0 + 0.7 + 0.02) / 5)
    assert math.isclose(s.negative_share, 2 / 5) and math.isclose(s.positive_share, 1 / 5)


def test_narrow_applies_dates_platforms_and_reshares_in_pandas(db):
    seed_small(db)
    rows = listening.daily(db, Filters())
    f = Filters(date_from="2025-03-04", date_to="2025-03-04", platforms=("x",))
    assert listening.summary(listening.narrow(rows, f)).posts == 1  # p3 only
    assert listening.summary(listening.narrow(rows, f, reshares=False)).posts == 0
    # dates=False keeps every day (the spike baseline needs the days before the range).
    assert listening.summary(listening.narrow(rows, f, dates=False)).posts == 5


def test_segment_join_gives_the_same_posts_as_posts_where(db):
    seed_small(db)
    for f in (Filters(segments=("Premium",)), Filters(regions=("Europe",)),
              Filters(segments=("Value",), platforms=("x",), date_from="2025-03-03", date_to="2025-03-03")):
        where, params = f.posts_where("p")
        expected = {r[0] for r in db.conn.execute(f"SELECT post_id FROM posts p WHERE {where}", params)}
        for scan in (False, True):
            src, w, p = q.source(f, scan=scan)
            got = {r[0] for r in db.conn.execute(f"SELECT p.post_id FROM {src} WHERE {w}", p)}
            assert got == expected, (f, scan)
    assert listening.summary(listening.daily(db, Filters(segments=("Premium",)))).posts == 1  # p4 by bob


def test_over_time_weeks_start_on_monday_and_partial_periods():
    rows = pd.DataFrame({"day": ["2025-03-02", "2025-03-03", "2025-03-09", "2025-03-10"], "platform": "x",
                         "reshare": 0, "posts": [1, 2, 3, 4], "scored": [1, 2, 3, 4],
                         "sentiment_sum": [0.5, 0.0, -0.3, 0.4], "positive": [1, 0, 0, 1], "neutral": [0, 2, 2, 3],
                         "negative": [0, 0, 1, 0], "corrected": 0})
    w = listening.over_time(rows, "week")
    # 2 March 2025 is a Sunday: week of 24 Feb; 3 and 9 March: week of 3 March; 10 March: week of 10 March.
    assert w["period"].dt.strftime("%Y-%m-%d").tolist() == ["2025-02-24", "2025-03-03", "2025-03-10"]
    assert w["posts"].tolist() == [1, 5, 4]
    assert math.isclose(w.loc[1, "mean_sentiment"], -0.3 / 5)
    assert listening.over_time(rows, "month")["posts"].tolist() == [10]  # all in March
    part = listening.partial_periods(dt.date(2025, 3, 2), dt.date(2025, 3, 10), "week")
    assert [p.strftime("%Y-%m-%d") for p in part] == ["2025-02-24", "2025-03-10"]
    assert listening.partial_periods(dt.date(2025, 3, 3), dt.date(2025, 3, 16), "week") == []
    assert listening.partial_periods(dt.date(2025, 3, 1), dt.date(2025, 3, 31), "month") == []


# -- statistics by hand -----------------------------------------------------------------------------

def test_g2_of_a_2x2_table_by_hand():
    # Term in 20 of 100 recent posts and 20 of 400 baseline posts. Margins: 40 with the term,
    # 460 without; 100 recent, 400 baseline; 500 in all. Expected counts:
    #   E(a) = 40*100/500 = 8, E(b) = 40*400/500 = 32, E(c) = 460*100/500 = 92, E(d) = 460*400/500 = 368.
    # G² = 2 [20 ln(20/8) + 20 ln(20/32) + 80 ln(80/92) + 380 ln(380/368)]
    #    = 2 [18.3258 - 9.4001 - 11.1810 + 12.1936] = 2 * 9.9383 = 19.8767
    g = listening.g2(20, 20, 100, 400)
    assert math.isclose(float(g), 19.8767, abs_tol=1e-4)
    # One degree of freedom: P(chi2_1 > 19.88) = 8.26e-6.
    assert math.isclose(float(listening.g2_pvalue(g)), 8.26e-6, rel_tol=1e-2)
    # Same share in both periods: no evidence at all.
    assert float(listening.g2(5, 20, 100, 400)) == pytest.approx(0.0, abs=1e-12)
    # A zero cell is fine (0 ln 0 = 0) and gives a finite value.
    assert np.isfinite(listening.g2(0, 10, 50, 50))


def test_benjamini_hochberg_by_hand():
    # Sorted p: 0.01, 0.03, 0.04, 0.5 (n = 4); p*n/rank: 0.04, 0.06, 0.0533, 0.5; running minimum
    # from the largest rank down: 0.04, 0.0533, 0.0533, 0.5.
    qv = listening.bh_qvalues([0.01, 0.04, 0.03, 0.5])
    assert qv == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])


def test_terms_of_uses_tweet_tokens_and_the_stop_words():
    assert listening.terms_of("RT @acme: Next-day delivery is SO bad!!! #Fail :( http://x.co 5 stars, Acme’s "
                              "delivery") == ("next-day", "delivery", "bad", "#fail", "stars", "acme")
    assert "the" in listening.stopwords() and "rt" in listening.stopwords()


def test_periods_are_the_last_days_and_the_days_before():
    p = listening.periods(dt.date(2025, 1, 1), dt.date(2025, 3, 31), recent_days=14, baseline_days=30)
    assert (p.recent_start, p.base_start) == (dt.date(2025, 3, 18), dt.date(2025, 2, 16))
    assert "17 Mar 2025" in p.describe() and p.has_baseline
    everything = listening.periods(dt.date(2025, 3, 1), dt.date(2025, 3, 31), 14, None)
    assert everything.base_start == dt.date(2025, 3, 1)
    short = listening.periods(dt.date(2025, 3, 25), dt.date(2025, 3, 31), 14, 90)
    assert not short.has_baseline


def seed_terms(db):
    """Baseline 1-10 March: 10 posts, 'refund' in 1. Recent 11-14 March: 8 posts, 'refund' in 6."""
    rows = []
    for i in range(9):
        rows.append(post(f"b{i}", f"2025-03-{i + 1:02d}", "Lovely kettle #tea", sentiment=0.5))
    rows.append(post("b9", "2025-03-10", "Refund refund refund please", sentiment=-0.2))
    for i in range(6):
        # The same text six times: tokenised once, weighted six times.
        rows.append(post(f"r{i}", f"2025-03-{11 + i % 4:02d}", "Where is my refund? #fail", sentiment=-0.4))
    rows.append(post("r6", "2025-03-12", "Lovely kettle #tea", sentiment=0.5))
    rows.append(post("r7", "2025-03-13", "Lovely kettle", sentiment=0.5))
    rows.append(post("s1", "2025-03-13", "RT Where is my refund? #fail", reshare_of="r0", sentiment=-0.4))
    store.upsert_rows(db, "posts", rows)


def test_terms_count_posts_once_leave_reshares_out_and_find_the_rise(db):
    seed_terms(db)
    p = listening.periods(dt.date(2025, 3, 1), dt.date(2025, 3, 14), recent_days=4, baseline_days=None)
    t = listening.terms(db, Filters(), p)
    assert (t.n_all, t.n_recent, t.n_base) == (18, 8, 10)  # the reshare s1 is not counted
    row = t.table.set_index("term").loc["refund"]
    # "Refund refund refund" counts once (per post).
    assert (row["n_all"], row["n_recent"], row["n_base"]) == (7, 6, 1)
    assert math.isclose(row["g2"], float(listening.g2(6, 1, 8, 10)))
    assert row["emerging"]
    assert "refund" in t.emerging()["term"].tolist()
    # Examples of an emerging term come from the recent period.
    assert t.table.set_index("term").loc["refund", "examples"] == ["Where is my refund? #fail"]
    assert t.top("hashtag")["term"].tolist() == ["#tea", "#fail"]
    assert t.texts["refund"][0] == "Where is my refund? #fail"
    # kettle: 9 of 10 baseline, 2 of 8 recent: it fell, so it is not emerging.
    assert not t.table.set_index("term").loc["kettle", "emerging"]


def test_terms_cap_reports_coverage(db):
    seed_terms(db)
    p = listening.periods(dt.date(2025, 3, 1), dt.date(2025, 3, 14), 4, None)
    t = listening.terms(db, Filters(), p, cap=2)
    # The two most repeated texts: "Lovely kettle #tea" (10) and "Where is my refund? #fail" (6).
    assert t.distinct_texts == 2 and t.n_all == 16
    assert math.isclose(t.covered_share, 16 / 18)


def test_terms_are_counted_over_the_two_periods_only(db):
    seed_terms(db)
    # Recent 11-14 March, baseline the 3 days before (8-10 March): 1 March to 7 March is not counted.
    p = listening.periods(dt.date(2025, 3, 1), dt.date(2025, 3, 14), recent_days=4, baseline_days=3)
    assert p.base_start == dt.date(2025, 3, 8)
    t = listening.terms(db, Filters(), p)
    assert (t.n_all, t.n_recent, t.n_base) == (11, 8, 3)
    assert listening.window_filters(Filters(platforms=("x",)), p) == Filters(
        date_from="2025-03-08", date_to="2025-03-14", platforms=("x",))


# -- spikes -------------------------------------------------------------------------------------------

def series(posts, negative=None, scored=None):
    days = pd.date_range("2025-01-01", periods=len(posts), freq="D")
    negative = negative if negative is not None else [0] * len(posts)
    scored = scored if scored is not None else posts
    t = pd.DataFrame({"day": days, "posts": posts, "scored": scored, "negative": negative})
    t["negative_share"] = t["negative"] / t["scored"]
    return t


def test_volume_spike_in_a_hand_made_series():
    # 28 days alternating 10 and 12: median 11, MAD 1 (scaled 1.48), Poisson floor sqrt(11) = 3.32.
    # Day 29 has 40 posts: z = (40 - 11) / 3.32 = 8.7 -> spike. Day 30 has 14: z = 0.9 -> normal.
    posts = [10, 12] * 14 + [40, 14]
    sp = listening.spikes(series(posts))
    assert sp["volume_spike"].tolist() == [False] * 28 + [True, False]
    assert sp.loc[28, "volume_z"] == pytest.approx(29 / math.sqrt(11))
    assert sp.loc[28, "baseline_posts"] == 11
    assert "40 posts against a usual 11" in sp.loc[28, "reason"]
    # Fewer than 7 days of history: no verdict.
    assert not listening.spikes(series([10, 10, 10, 50]))["spike"].any()


def test_negative_share_spike_needs_size_and_count():
    # 100 posts a day, 10 negative (10%), then a day with 30 negative: binomial floor
    # sqrt(0.1 * 0.9 / 100) = 0.03, z = (0.30 - 0.10) / 0.03 = 6.7 -> spike.
    neg = [10] * 28 + [30]
    sp = listening.spikes(series([100] * 29, negative=neg))
    assert sp.loc[28, "negative_spike"] and not sp.loc[28, "volume_spike"]
    assert sp.loc[28, "negative_z"] == pytest.approx(0.2 / 0.03)
    # 3 negative of 5 posts is 60%, but fewer than 5 negative posts: not flagged.
    small = listening.spikes(series([5] * 29, negative=[0] * 28 + [3]))
    assert not small.loc[28, "negative_spike"]


def test_daily_totals_fill_empty_days():
    rows = pd.DataFrame({"day": ["2025-01-01", "2025-01-03"], "platform": "x", "reshare": 0, "posts": [2, 4],
                         "scored": [2, 4], "negative": [1, 0]})
    t = listening.daily_totals(rows)
    assert t["posts"].tolist() == [2, 0, 4]
    assert math.isnan(t.loc[1, "negative_share"]) and t.loc[0, "negative_share"] == 0.5


# -- posts and corrections ------------------------------------------------------------------------------

def test_posts_search_labels_days_and_customer_links(db):
    seed_small(db)
    store.upsert_rows(db, "posts", [post("p7", "2025-03-11", "50% off_today", sentiment=0.1)])
    found = listening.posts(db, Filters(), search="50%")
    assert found["post_id"].tolist() == ["p7"]
    assert listening.posts(db, Filters(), search="f_t")["post_id"].tolist() == ["p7"]  # _ is literal
    assert listening.posts(db, Filters(), search="5_%").empty
    neg = listening.posts(db, Filters(), label="negative")
    assert sorted(neg["post_id"]) == ["p1", "p2"]
    assert listening.post_count(db, Filters(), label="negative") == 2
    day = listening.posts(db, Filters(), day="2025-03-04")
    assert sorted(day["post_id"]) == ["p3", "p4"]
    linked = listening.posts(db, Filters()).set_index("post_id")["customer_id"]
    assert linked["p1"] == "C1" and linked["p4"] == "C2" and pd.isna(linked["p2"])
    assert listening.posts(db, Filters(), texts=["Love the new kettle"])["post_id"].tolist() == ["p4"]
    assert listening.posts(db, Filters(), reshares=False, day="2025-03-03")["post_id"].tolist() == ["p1"]


def test_a_correction_is_stored_counted_used_and_reverted(db):
    seed_small(db)
    before = store.data_version(db)
    assert listening.correct(db, ["p6"], "very negative") == 1
    assert store.data_version(db) == before + 1
    row = db.conn.execute("SELECT sentiment, sentiment_vader, sentiment_corrected FROM posts "
                          "WHERE post_id = 'p6'").fetchone()
    assert row == (-0.8, 0.02, 1)
    assert listening.correction_count(db) == 1
    # Every figure now uses the corrected score.
    s = listening.summary(listening.daily(db, Filters()))
    assert s.corrected == 1 and math.isclose(s.negative_share, 3 / 5)
    view = listening.corrections(db)
    assert view["post_id"].tolist() == ["p6"] and view["machine"].iloc[0] == 0.02
    assert listening.revert(db, ["p6"]) == 1
    row = db.conn.execute("SELECT sentiment, sentiment_corrected FROM posts WHERE post_id = 'p6'").fetchone()
    assert row == (0.02, 0)
    assert listening.correction_count(db) == 0
    with pytest.raises(ValueError):
        listening.correct(db, ["p6"], "furious")
    with pytest.raises(ValueError):
        q.set_sentiment(db, ["p6"], 2.0)


def test_same_words_finds_the_text_and_its_reshares(db):
    seed_small(db)
    assert listening.same_words(db, "p1") == ["p1", "p2"]
    assert listening.same_words(db, "p2") == ["p1", "p2"]
    listening.correct(db, listening.same_words(db, "p2"), "negative")
    listening.correct(db, ["p4"], "positive")
    assert listening.correction_count(db) == 3
    assert listening.revert(db) == 3  # revert all
    assert listening.correction_count(db) == 0


def test_correction_keeps_a_missing_machine_score(db):
    store.upsert_rows(db, "posts", [{"post_id": "z", "platform": "x", "author_handle": "a",
                                     "created_at": "2025-01-01 00:00:00", "text": "meh", "sentiment": 0.3}])
    listening.correct(db, ["z"], "negative")
    assert db.conn.execute("SELECT sentiment_vader FROM posts WHERE post_id = 'z'").fetchone()[0] == 0.3


def test_figures_build_on_hand_made_rows(db):
    from analysis.charts import listening as charts

    seed_terms(db)
    rows = listening.daily(db, Filters())
    ot = listening.over_time(rows, "day")
    assert len(charts.volume_by_platform(ot, "day", "All data").data) == 1
    assert charts.sentiment_by_platform(ot, "day").data[-1].name == "All platforms"
    sp = listening.spikes(listening.daily_totals(rows))
    assert charts.spikes(sp, "All data", selected="2025-03-05").layout.title.text.startswith("Spikes")
    p = listening.periods(dt.date(2025, 3, 1), dt.date(2025, 3, 14), 4, None)
    t = listening.terms(db, Filters(), p)
    assert len(charts.emerging_terms(t.emerging()).data) == len(t.emerging()) + 2
    assert charts.top_terms(t.top(), "Top terms", total=t.n_all).data[0].orientation == "h"
    assert charts.volume_by_platform(ot.iloc[0:0], "day").layout.annotations  # empty says so


def test_term_charts_show_user_text_as_text():
    import pandas as pd

    from analysis.charts import listening as lc

    d = pd.DataFrame({"term": ["<b>bold</b>", "#ok"], "n_all": [3, 2]})
    fig = lc.top_terms(d, "Top terms")
    assert "&lt;b&gt;bold&lt;/b&gt;" in list(fig.data[0].y) and "<b>bold</b>" not in list(fig.data[0].y)


# -- author roles ----------------------------------------------------------------------------------------

def seed_roles(db):
    """40 days: customer 'ann' and bystander 'zed' write 10 posts a day about deliveries; the brand 'acme'
    answers twice a day, signing '^AB', until its agents post 60 signed replies on day 35 (9 Feb)."""
    store.upsert_rows(db, "customers", [{"customer_id": "C1", "name": "Ann"}])
    store.upsert_rows(db, "identities", [{"customer_id": "C1", "platform": "x", "handle": "ann"}])
    store.upsert_rows(db, "brand_accounts", [{"platform": "x", "handle": "acme"}])
    rows = []
    start = dt.date(2025, 1, 6)
    for d in range(40):
        day = (start + dt.timedelta(days=d)).isoformat()
        for k in range(10):
            who = "ann" if k % 2 else "zed"
            rows.append(post(f"c{d}_{k}", day, f"delivery late again {k}", author=who, sentiment=-0.4 if k < 3 else 0.3,
                             hour=8 + k))
        for k in range(60 if d == 34 else 2):
            rows.append(post(f"b{d}_{k}", day, f"@ann Thanks for waiting, it ships today ^AB {k}", author="acme",
                             sentiment=0.6, hour=9))
    store.upsert_rows(db, "posts", rows)
    return pd.DataFrame(rows)


def test_daily_rows_carry_the_author_role_and_narrow_by_it(db):
    posts = seed_roles(db)
    rows = listening.daily(db, Filters())
    role = np.where(posts["author_handle"] == "acme", "brand", np.where(posts["author_handle"] == "ann",
                                                                        "customer", "public"))
    for r in ("brand", "customer", "public"):
        s = listening.summary(listening.narrow(rows, Filters(), roles=(r,)))
        part = posts[role == r]
        assert s.posts == len(part)
        assert s.mean_sentiment == pytest.approx(part["sentiment"].mean())
        assert s.negative_share == pytest.approx((part["sentiment"] <= -0.05).mean())
    table = listening.role_summaries(rows).set_index("role")
    assert table.loc["brand", "posts"] == 2 * 39 + 60 and table.loc["brand", "mean_sentiment"] == pytest.approx(0.6)
    default = listening.summary(listening.narrow(rows, Filters(), roles=("customer", "public")))
    assert default.posts == 400 and default.mean_sentiment == pytest.approx((3 * -0.4 + 7 * 0.3) / 10)


def test_brand_sign_offs_are_not_emerging_terms_of_the_market(db):
    seed_roles(db)
    p = listening.periods(dt.date(2025, 1, 6), dt.date(2025, 2, 14), recent_days=7, baseline_days=None)
    everyone = listening.terms(db, Filters(), p)
    voices = listening.terms(db, Filters(), p, roles=("customer", "public"))
    brand = listening.terms(db, Filters(), p, roles=("brand",))
    # Counted by hand: 10 market posts a day for 40 days; the brand's 2 a day plus 58 more on 9 Feb.
    assert voices.n_all == 400 and brand.n_all == 138 and everyone.n_all == 538
    # The agents' initials rise with the brand's burst: an emerging "term" when the brand is counted ...
    assert "ab" in set(everyone.emerging()["term"])
    assert "ab" in set(brand.table["term"])
    # ... and not at all in what customers and other people write.
    assert "ab" not in set(voices.table["term"])
    assert voices.emerging().empty
    top = voices.top("term", 3)  # "again" is a stop word
    assert top["term"].tolist() == ["delivery", "late"] and top["n_all"].tolist() == [400, 400]


def test_spikes_per_role(db):
    seed_roles(db)
    rows = listening.daily(db, Filters())
    burst = pd.Timestamp("2025-02-09")

    def spike_days(roles):
        t = listening.spikes(listening.daily_totals(listening.narrow(rows, Filters(), roles=roles)))
        return set(t.loc[t["volume_spike"], "day"])

    assert burst in spike_days(("brand",)) and burst in spike_days(None)
    assert spike_days(("customer", "public")) == set()


def test_listed_posts_carry_their_author_role_and_follow_the_roles(db):
    seed_roles(db)
    rows = listening.posts(db, Filters(), day="2025-02-09", roles=("brand",), limit=1000)
    assert len(rows) == 60 and set(rows["role"]) == {"brand"}
    assert listening.post_count(db, Filters(), day="2025-02-09", roles=("customer", "public")) == 10
    mixed = listening.posts(db, Filters(), day="2025-02-09", limit=1000).set_index("author_handle")["role"]
    assert mixed.groupby(level=0).first().to_dict() == {"acme": "brand", "ann": "customer", "zed": "public"}


def test_terms_of_a_role_whose_posts_have_no_text(db):
    """The brand's posts in the view carry no text (images only, say): no term, no error."""
    store.upsert_rows(db, "brand_accounts", [{"platform": "x", "handle": "acme"}])
    store.upsert_rows(db, "posts", [post("b1", "2025-03-03", None, author="acme"),
                                    post("c1", "2025-03-03", "Refund still missing", sentiment=-0.6)])
    p = listening.periods(dt.date(2025, 3, 1), dt.date(2025, 3, 10))
    t = listening.terms(db, Filters(), p, roles=("brand",))
    assert t.n_all == 0 and t.table.empty and t.emerging().empty and t.top("term").empty


def test_rolling_median_and_mad_of_the_days_before_match_a_plain_loop():
    import numpy as np

    rng = np.random.default_rng(3)
    x = pd.Series(rng.poisson(20, 60).astype(float))
    x.iloc[[5, 17, 18]] = np.nan
    med, mad = listening._rolling_median_mad(x, window=10, min_days=4)
    for i in range(len(x)):
        before = x.iloc[max(0, i - 10):i].dropna().to_numpy()
        if len(before) < 4:
            assert np.isnan(med.iloc[i]) and np.isnan(mad.iloc[i])
        else:
            m = np.median(before)
            assert med.iloc[i] == m and mad.iloc[i] == np.median(np.abs(before - m))
