"""Perception gap: the IBM preset, user surveys, the motive lexicon and content alignment on hand-made data."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analysis import perception as P
from analysis import stats, store
from analysis.filters import Filters
from analysis.perception.lexicon import _motive_regex
from analysis.store import perception as sp


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db

DISCOUNTS, PURCHASE, CONNECTED, COMMUNITY, SERVICE = (
    "Get discounts or coupons", "Purchase products or services", "Feel connected", "Be part of a community",
    "Customer service")


# -- the IBM preset ---------------------------------------------------------------

def test_reference_keeps_unknowns_unknown():
    ref = P.load_reference()
    assert len(ref) == 12 and list(ref["motive"]) == list(P.MOTIVES)
    assert sorted(ref["consumer_rank"]) == list(range(1, 13)) == sorted(ref["business_rank"])
    assert set(ref.loc[ref["has_consumer_share"], "motive"]) == {DISCOUNTS, CONNECTED, COMMUNITY}
    assert set(ref.loc[ref["has_business_share"], "motive"]) == {DISCOUNTS, CONNECTED, COMMUNITY}
    assert ref["consumer_share"].isna().sum() == 9 and ref["business_share"].isna().sum() == 9
    assert "IBM Institute for Business Value" in P.CITATION and "1,056" in P.CITATION
    heads = P.load_headlines()
    assert {"figure", "value", "value_num", "unit", "confidence", "source"} <= set(heads.columns)
    assert heads["value_num"].isna().sum() == 1  # '0.05 / 0.75 / 0.20' is not one number


def test_gap_table_on_ibm_preset():
    g = P.gap_table(P.load_reference()).set_index("motive")
    fc = g.loc[CONNECTED]
    assert fc["gap_points"] == pytest.approx(31.0)  # 0.64 - 0.33
    assert fc["direction"] == "business overestimates" and fc["basis"] == "shares and ranks"
    assert fc["gap_lo"] < 31 < fc["gap_hi"] and fc["gap_lo"] > 0
    assert fc["consumer_lo"] < 0.33 < fc["consumer_hi"] and fc["consumer_n"] == 1056 and fc["business_n"] == 331
    assert "overestimate 'Feel connected' by 31 points" in fc["reading"] and "real after Holm" in fc["reading"]
    # Three motives with both shares: Holm multiplies the smallest p by 3.
    both = g[g["basis"] == "shares and ranks"]
    assert len(both) == 3
    smallest = both["p_value"].idxmin()
    assert both.loc[smallest, "p_holm"] == pytest.approx(min(1.0, 3 * both.loc[smallest, "p_value"]))
    disc = g.loc[DISCOUNTS]
    assert disc["gap_points"] == pytest.approx(-1.0) and disc["direction"] == "business underestimates"
    assert not disc["significant_holm"] and "not distinguishable from zero" in disc["reading"]
    assert "business low" in disc["reading"]  # the weak source is named
    # Rank-only motives: no shares, no test, but ranks and a rank gap.
    new = g.loc["Learn about new products"]
    assert new["basis"] == "ranks only"
    assert math.isnan(new["consumer_share"]) and math.isnan(new["gap_points"]) and math.isnan(new["p_holm"])
    assert (new["consumer_rank"], new["business_rank"], new["rank_gap"]) == (6, 1, 5)
    assert new["reading"].startswith("Ranks only")
    # Sorted by the share gap, then the rank-only motives by rank gap.
    order = list(g.index)
    assert order[:3] == [COMMUNITY, CONNECTED, DISCOUNTS]
    assert order[3] == "Learn about new products" and order[-1] == PURCHASE


def test_gap_table_with_a_share_on_one_side_only():
    df = pd.DataFrame({"motive": ["A", "B", "C"], "consumer_rank": [1, 2, 3], "business_rank": [3, 1, 2],
                       "consumer_share": [0.5, np.nan, 0.4], "business_share": [0.6, 0.7, np.nan],
                       "consumer_n": [200, 200, 200], "business_n": [100, 100, 100]})
    g = P.gap_table(df).set_index("motive")
    assert g.loc["A", "basis"] == "shares and ranks" and np.isfinite(g.loc["A", "p_value"])
    assert g.loc["B", "basis"] == "ranks; business share only" and math.isnan(g.loc["B", "gap_points"])
    assert g.loc["C", "basis"] == "ranks; consumer share only" and math.isnan(g.loc["C", "p_holm"])
    assert g.loc["B", "business_lo"] < 0.7 < g.loc["B", "business_hi"]
    assert g.loc["A", "p_holm"] == pytest.approx(g.loc["A", "p_value"])  # one test only: nothing to correct


def test_rank_agreement_reports_what_the_ibm_ranks_say():
    ref = P.load_reference()
    res = P.rank_agreement(ref, n_permutations=5000)
    assert res["spearman_rho"] == pytest.approx(sps.spearmanr(ref["consumer_rank"], ref["business_rank"]).statistic)
    exact = sps.kendalltau(ref["consumer_rank"], ref["business_rank"], method="exact")
    assert res["kendall_tau"] == pytest.approx(exact.statistic) and res["kendall_p"] == pytest.approx(exact.pvalue)
    assert "exact" in res["kendall_method"] and "permutation" in res["spearman_method"]
    # The twelve ranks are not a mirror image: rho is about 0, not strongly negative.
    assert abs(res["spearman_rho"]) < 0.1 and "essentially unrelated" in res["reading"]
    assert res["largest_disagreements"][0] == (DISCOUNTS, 1, 12)


# -- user surveys ---------------------------------------------------------------------

def _seed_survey(db):
    store.upsert_rows(db, "customers", [
        {"customer_id": "C1", "segment": "Premium", "region": "Europe"},
        {"customer_id": "C2", "segment": "Value", "region": "Europe"},
        {"customer_id": "C3", "segment": "Value", "region": "Asia"},
    ])
    rows = []
    # Three consumers; 'Feel connected': R1 and R2 yes, R3 no -> 2/3. R3 has no row for discounts
    # (a multi-select question: counted as not chosen), so discounts is 1/3.
    for rid, cid, seg, conn, disc in (("R1", "C1", "Premium", 1, 1), ("R2", "C2", "Value", 1, 0),
                                      ("R3", "C3", "Value", 0, None)):
        rows.append({"motive": CONNECTED, "respondent_id": rid, "selected": conn, "customer_id": cid, "segment": seg})
        if disc is not None:
            rows.append({"motive": DISCOUNTS, "respondent_id": rid, "selected": disc, "customer_id": cid,
                         "segment": seg})
    for r in rows:
        r.update(study="W1", group="consumer")
    # Business side as published aggregates only.
    rows += [{"study": "W1", "group": "business", "motive": CONNECTED, "share": 0.9, "n": 10},
             {"study": "W1", "group": "business", "motive": DISCOUNTS, "share": 0.2, "n": 10}]
    # A second wave: R1 again (a panel) plus an aggregate row for the same group and motive.
    rows += [{"study": "W2", "group": "consumer", "motive": CONNECTED, "respondent_id": "R1", "selected": 0,
              "customer_id": "C1", "segment": "Premium"},
             {"study": "W2", "group": "consumer", "motive": CONNECTED, "share": 0.5, "n": 10}]
    frame = pd.DataFrame(rows)
    frame["response_key"] = (frame["study"] + "|" + frame["group"] + "|" + frame["respondent_id"].fillna("*")
                             + "|" + frame["motive"])
    store.upsert_rows(db, "survey_responses", frame)


def test_group_shares_from_respondents_and_aggregates(db):
    _seed_survey(db)
    gs = P.group_shares(db, "W1", "consumer", "W1", "business").set_index("motive")
    assert gs.loc[CONNECTED, "consumer_share"] == pytest.approx(2 / 3, abs=5e-4)  # 0.667
    assert gs.loc[CONNECTED, "consumer_n"] == 3 and gs.loc[CONNECTED, "consumer_selected"] == 2
    assert gs.loc[DISCOUNTS, "consumer_share"] == pytest.approx(1 / 3) and gs.loc[DISCOUNTS, "consumer_n"] == 3
    assert gs.loc[CONNECTED, "business_share"] == pytest.approx(0.9) and gs.loc[CONNECTED, "business_n"] == 10
    assert (gs.loc[CONNECTED, "consumer_rank"], gs.loc[DISCOUNTS, "consumer_rank"]) == (1, 2)
    g = P.gap_table(P.group_shares(db, "W1", "consumer", "W1", "business")).set_index("motive")
    assert g.loc[CONNECTED, "gap_points"] == pytest.approx(100 * (0.9 - 2 / 3))
    assert g.loc[CONNECTED, "direction"] == "business overestimates"
    lo, hi = stats.wilson_interval(2, 3)
    assert (g.loc[CONNECTED, "consumer_lo"], g.loc[CONNECTED, "consumer_hi"]) == pytest.approx((lo, hi))


def test_group_shares_pools_aggregate_rows_and_flags_a_panel(db):
    _seed_survey(db)
    gs = P.group_shares(db, "W2", "consumer", "W1", "consumer")
    row = gs.set_index("motive").loc[CONNECTED]
    # Wave 2: R1 did not select it (0 of 1) plus an aggregate 0.5 of 10: 5 of 11.
    assert row["consumer_selected"] == pytest.approx(5) and row["consumer_n"] == 11
    assert row["consumer_share"] == pytest.approx(5 / 11)
    assert gs.attrs["b_is_belief"] is False and "W1" in gs.attrs["b_label"]
    assert any("not independent" in n for n in gs.attrs["notes"])
    g = P.gap_table(gs)
    assert g.loc[g["motive"] == CONNECTED, "direction"].iloc[0].endswith("higher")


def test_group_shares_segments_and_filters(db):
    _seed_survey(db)
    seg = P.group_shares(db, "W1", "consumer", "W1", "consumer", segment_a="Value", segment_b="Premium")
    row = seg.set_index("motive").loc[CONNECTED]
    assert (row["consumer_selected"], row["consumer_n"]) == (1, 2)
    assert (row["business_selected"], row["business_n"]) == (1, 1)
    f = Filters(segments=("Premium",), date_from="2020-01-01")
    filt = P.group_shares(db, "W1", "consumer", "W1", "business", filters=f).set_index("motive")
    assert filt.loc[CONNECTED, "consumer_n"] == 1 and filt.loc[CONNECTED, "consumer_share"] == 1.0
    assert filt.loc[CONNECTED, "business_n"] == 10  # executives are not customers: no customer filter
    notes = " ".join(filt.attrs["notes"])
    assert "linked to customers" in notes and "Date and platform filters do not apply" in notes
    # Aggregate rows cannot be matched to customers, so a customer filter leaves them out.
    w2 = P.group_shares(db, "W2", "consumer", "W1", "business", filters=f).set_index("motive")
    assert w2.loc[CONNECTED, "consumer_n"] == 1


def test_survey_studies_and_segment_breakdown(db):
    _seed_survey(db)
    st = P.survey_studies(db)
    w1c = st[(st["study"] == "W1") & (st["group"] == "consumer")].set_index("segment")
    assert w1c.loc["Value", "respondents"] == 2 and w1c.loc["Premium", "linked_respondents"] == 1
    w1b = st[(st["study"] == "W1") & (st["group"] == "business")].iloc[0]
    assert w1b["respondents"] == 0 and w1b["aggregate_rows"] == 2 and w1b["aggregate_n_max"] == 10
    br = P.segment_breakdown(db, "W1", "consumer", by="region").set_index(["region", "motive"])
    assert br.loc[("Europe", CONNECTED), "share"] == 1.0 and br.loc[("Europe", CONNECTED), "n"] == 2
    assert br.loc[("Asia", CONNECTED), "share"] == 0.0 and br.loc[("Asia", CONNECTED), "n"] == 1
    only_value = P.segment_breakdown(db, "W1", "consumer", by="segment", filters=Filters(segments=("Value",)))
    assert set(only_value["segment"]) == {"Value"}
    diff = P.segment_differences(P.segment_breakdown(db, "W1", "consumer", by="region"))
    assert set(diff["motive"]) == {CONNECTED, DISCOUNTS} and (diff["dof"] == 1).all()
    # Feel connected: 2/2 vs 0/1 -> expected 4/3, 2/3, 2/3, 1/3; chi2 = 3.0 by hand.
    assert diff.set_index("motive").loc[CONNECTED, "chi2"] == pytest.approx(3.0)
    with pytest.raises(ValueError):
        P.segment_breakdown(db, "W1", "consumer", by="name")


# -- lexicon and classification -------------------------------------------------------

def test_lexicon_seeds_edits_and_persists(db):
    lex = P.lexicon_frame(db)
    assert set(lex["motive"]) == set(P.MOTIVES) and not lex.duplicated().any()
    assert "coupon" in P.lexicon_dict(db)[DISCOUNTS]
    assert P.add_keywords(db, DISCOUNTS, ["  Price   Match ", "coupon"]) == 1
    assert "price match" in P.lexicon_dict(db)[DISCOUNTS]
    assert P.remove_keywords(db, DISCOUNTS, "price match") == 1
    assert P.remove_keywords(db, COMMUNITY) > 0 and COMMUNITY not in P.lexicon_dict(db)
    assert P.replace_lexicon(db, {"A": ["x", "y"], "B": "z"}) == 3
    assert P.lexicon_dict(db) == {"A": ["x", "y"], "B": ["z"]}
    P.replace_lexicon(db, {})
    assert P.lexicon_frame(db).empty  # an emptied lexicon stays empty
    assert P.reset_lexicon(db) == sum(len(set(v)) for v in P.DEFAULT_LEXICON.values())


def test_classify_messages_four_texts():
    texts = pd.Series(["20% OFF all boots this weekend, use our coupons!",
                       "Sorry to hear that. Please DM us your order number.",
                       "Thank you to our amazing fans, we love you",
                       "The weather is nice in the wholesale district"],
                      index=[10, 11, 12, 13])
    out = P.classify_messages(texts)
    assert list(out.index) == [10, 11, 12, 13] and out.name == "motive"
    assert list(out) == [DISCOUNTS, SERVICE, CONNECTED, P.OTHER]  # 'wholesale' is not 'sale'
    hits = P.keyword_hits(texts)
    assert hits.loc[10, DISCOUNTS] == 2  # "% off" and "coupons" (plural allowed)


def test_keyword_hits_shortcut_matches_the_plain_regex():
    """The substring pre-filter in keyword_hits must not change a single count."""
    texts = pd.Series([
        "20% OFF all boots, use our coupons!", "promo\n\tcode SPRING", "PROMO  CODES everywhere",
        "the wholesale district", "\u212aelvin-sign DEAL and a \u017fale",  # non-ASCII: IGNORECASE folds these
        "pre-orders open; pre-order now", "Let US know what you think", "#TBT to 2019", "", "dm me, DMs open",
        "caf\u00e9 club meetup", "Caf\u00c9 deals", "help,help;HELP", "5  stars from 5 stars fans",
        "a.b and axb", "(VIP) c++ [new] $5 off 5* what? yes", "c+ cc++ what",
    ] * 3)
    lex = dict(P.DEFAULT_LEXICON)
    lex["Caf\u00e9"] = ["caf\u00e9", "\u00e9t\u00e9 sale"]  # a non-ASCII keyword: no shortcut for this motive
    lex["Meta"] = ["a.b", "(vip)", "5*", "c++", "[new]", "$5 off", "what?", "x|y", "^a", "{n}"]  # regex metacharacters
    got = P.keyword_hits(texts, lex)
    for motive, kws in lex.items():
        rx = _motive_regex(list(kws))
        expected = [len(re.findall(rx, t, flags=re.IGNORECASE)) for t in texts]
        assert got[motive].tolist() == expected, motive
    assert got[DISCOUNTS].iloc[4] == 2  # the long s in "\u017fale" matches "sale" under IGNORECASE
    assert got["Caf\u00e9"].iloc[11] == 1
    assert got["Meta"].iloc[15] == 6 and got["Meta"].iloc[14] == 1


def test_classify_most_hits_then_lexicon_order():
    lex = {"A": ["alpha"], "B": ["beta", "gamma"]}
    out = P.classify_messages(["alpha beta gamma", "alpha beta", None, "ALPHA"], lex)
    assert list(out) == ["B", "A", P.OTHER, "A"]
    assert list(P.classify_messages(["anything"], {})) == [P.OTHER]


# -- the brand's messages ----------------------------------------------------------------

def _seed_brand(db):
    store.upsert_rows(db, "customers", [{"customer_id": "C1", "segment": "Premium"},
                                        {"customer_id": "C2", "segment": "Value"}])
    store.upsert_rows(db, "brand_accounts", [{"platform": "x", "handle": "acme"}])
    store.upsert_rows(db, "posts", [
        {"post_id": "p1", "platform": "x", "author_handle": "acme", "created_at": "2025-01-01 10:00:00",
         "text": "Flash sale: 30% off today"},
        {"post_id": "p2", "platform": "x", "author_handle": "ann", "created_at": "2025-01-02 10:00:00",
         "text": "My order never came"},
        {"post_id": "p3", "platform": "x", "author_handle": "acme", "created_at": "2025-01-02 11:00:00",
         "text": "Sorry to hear this, please DM us", "reply_to": "p2"},
        {"post_id": "p4", "platform": "x", "author_handle": "acme", "created_at": "2025-01-03 11:00:00",
         "text": "Also: join our community forum", "reply_to": "p1"},
        {"post_id": "p5", "platform": "instagram", "author_handle": "acme", "created_at": "2025-01-03 11:00:00",
         "text": "Nice day"},  # not a brand account on instagram
    ])
    store.upsert_rows(db, "interactions", [
        {"interaction_id": f"I{i}", "customer_id": c, "thread_id": t, "occurred_at": d, "channel": ch,
         "direction": dr, "kind": k, "text": tx}
        for i, (c, t, d, ch, dr, k, tx) in enumerate([
            ("C1", "T1", "2025-01-05 09:00:00", "post", "outbound", "marketing", "New coupons inside"),
            ("C2", "T2", "2025-01-05 09:00:00", "email", "outbound", "marketing", "Coupon for you"),  # private
            ("C2", "T3", "2025-01-06 09:00:00", "forum", "inbound", "complaint", "Broken"),
            ("C2", "T3", "2025-01-06 10:00:00", "public_reply", "outbound", "response", "We can help, DM us"),
            ("C1", "T4", "2025-03-01 09:00:00", "post", "outbound", "marketing", "Thank you all"),
        ])])


def test_brand_messages_modes_and_mix(db):
    _seed_brand(db)
    msgs = P.brand_messages(db).set_index("message_id")
    assert set(msgs.index) == {"p1", "p3", "p4", "I0", "I3", "I4"}
    assert msgs.loc["p3", "mode"] == "response" and msgs.loc["p4", "mode"] == "broadcast"
    assert msgs.loc["I3", "mode"] == "response" and msgs.loc["I0", "mode"] == "broadcast"
    assert msgs.loc["p1", "motive"] == DISCOUNTS and msgs.loc["p4", "motive"] == COMMUNITY
    mix = P.brand_content_mix(db).set_index("motive")
    assert mix.loc[DISCOUNTS, "messages"] == 2 and mix.loc[SERVICE, "messages"] == 2
    assert mix.loc[SERVICE, "responses"] == 2 and mix.loc[DISCOUNTS, "broadcasts"] == 2
    assert mix["messages"].sum() == 6 and mix["share"].sum() == pytest.approx(1.0)
    assert list(mix.index)[-1] == P.OTHER and len(mix) == 13
    bl = P.broadcast_vs_listen(db)
    assert (bl["total"], bl["broadcast"], bl["response"]) == (6, 4, 2)
    assert bl["broadcast_share"] == pytest.approx(4 / 6)
    assert bl["broadcast_lo"] < 4 / 6 < bl["broadcast_hi"] and "6 public messages" in bl["reading"]
    assert set(bl["by_source"]["source"]) == {"interaction", "post"}


def test_brand_content_equals_the_two_separate_calls(db):
    _seed_brand(db)
    f = Filters(date_to="2025-02-01")
    mix, voice = P.brand_content(db, f)
    pd.testing.assert_frame_equal(mix, P.brand_content_mix(db, f))
    alone = P.broadcast_vs_listen(db, f)
    assert {k: v for k, v in voice.items() if k != "by_source"} == \
        {k: v for k, v in alone.items() if k != "by_source"}
    pd.testing.assert_frame_equal(voice["by_source"].reset_index(drop=True), alone["by_source"].reset_index(drop=True))


def test_brand_messages_under_filters(db):
    _seed_brand(db)
    jan = P.brand_messages(db, Filters(date_from="2025-01-01", date_to="2025-01-31"))
    assert "I4" not in set(jan["message_id"]) and len(jan) == 5
    # A customer segment narrows the interactions (the customer addressed), not the brand's posts.
    prem = P.brand_messages(db, Filters(segments=("Premium",)))
    assert set(prem["message_id"]) == {"p1", "p3", "p4", "I0", "I4"}
    assert P.brand_messages(db, Filters(platforms=("instagram",)))["source"].eq("interaction").all()
    empty = P.broadcast_vs_listen(store.memory_db())
    assert empty["total"] == 0 and math.isnan(empty["broadcast_share"])


def test_brand_messages_remember_classifications_per_lexicon(db):
    _seed_brand(db)
    first = P.brand_messages(db, lexicon={"Sale talk": ["sale"]}).set_index("message_id")["motive"]
    other = P.brand_messages(db, lexicon={"Help": ["dm"]}).set_index("message_id")["motive"]
    again = P.brand_messages(db, lexicon={"Sale talk": ["sale"]}).set_index("message_id")["motive"]
    assert first["p1"] == "Sale talk" and other["p1"] == P.OTHER and other["p3"] == "Help"
    pd.testing.assert_series_equal(first, again)
    direct = P.classify_messages(P.brand_messages(db)["text"], P.lexicon_dict(db))
    assert list(P.brand_messages(db)["motive"]) == list(direct)


def test_brand_messages_date_range_matches_the_sql_filter(db):
    """brand_messages applies dates in pandas (a faster plan); it must select exactly what the SQL does."""
    _seed_brand(db)
    for f in (Filters(date_from="2025-01-02"), Filters(date_to="2025-01-05"),
              Filters(date_from="2025-01-02", date_to="2025-01-05", segments=("Value",)),
              Filters(date_from="2025-01-06", date_to="2025-01-06", platforms=("x",))):
        ours = P.brand_messages(db, f).drop(columns="motive")
        sql = sp.brand_public_messages(db, f)
        key = ["source", "message_id"]
        pd.testing.assert_frame_equal(ours.sort_values(key).reset_index(drop=True),
                                      sql.sort_values(key).reset_index(drop=True))
        assert P.broadcast_vs_listen(db, f)["total"] == len(sql)


# -- alignment -------------------------------------------------------------------------

def test_alignment_identical_and_hand_computed():
    same = P.alignment_score({"A": 3, "B": 1}, {"A": 0.6, "B": 0.2})
    assert same.score == pytest.approx(100.0) and same.tvd == pytest.approx(0.0)
    # Content 1/2, 1/2; interest 0.6, 0.2 normalised to 3/4, 1/4: TVD = (1/4 + 1/4) / 2 = 1/4 -> 75.
    a = P.alignment_score({"A": 1, "B": 1, P.OTHER: 2}, {"A": 0.6, "B": 0.2})
    assert a.score == pytest.approx(75.0) and a.coverage == pytest.approx(0.5)
    assert list(a.table["interest_share"]) == pytest.approx([0.75, 0.25])
    # Counting 'other' as zero interest: content 1/4, 1/4, 1/2 vs 3/4, 1/4, 0: TVD = (1/2 + 0 + 1/2) / 2 -> 50.
    b = P.alignment_score({"A": 1, "B": 1, P.OTHER: 2}, {"A": 0.6, "B": 0.2}, count_other=True)
    assert b.score == pytest.approx(50.0) and b.coverage == pytest.approx(1.0)


def test_alignment_leaves_unknown_interest_out():
    ref = P.load_reference()
    mix = pd.Series({DISCOUNTS: 5, CONNECTED: 3, COMMUNITY: 2, "Learn about new products": 10})
    a = P.alignment_score(mix, ref)
    assert set(a.motives) == {DISCOUNTS, CONNECTED, COMMUNITY}
    assert a.coverage == pytest.approx(0.5)
    interest = np.array([0.61, 0.33, 0.20]) / 1.14
    content = np.array([0.5, 0.3, 0.2])
    expected = 100 * (1 - 0.5 * np.abs(content - interest).sum())
    assert a.score == pytest.approx(expected) and "3 motives" in a.reading
    none = P.alignment_score({"Learn about new products": 1}, ref)
    assert math.isnan(none.score) and none.reading.startswith("No score")


def test_reallocate_shifts_and_renormalises():
    mix = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    up = P.reallocate(mix, {"A": 10})
    assert list(up) == pytest.approx([0.6, 0.24, 0.16]) and up.sum() == pytest.approx(1.0)
    down = P.reallocate(mix, {"A": -80})
    assert list(down) == pytest.approx([0.0, 0.6, 0.4])
    over = P.reallocate(mix, {"A": 60, "B": 40})
    assert list(over) == pytest.approx([1.1 / 1.8, 0.7 / 1.8, 0.0])
    added = P.reallocate(pd.DataFrame({"motive": ["A", "B"], "messages": [3, 1]}), {"Z": 50})
    assert added["Z"] == pytest.approx(0.5) and added["A"] == pytest.approx(0.375)
    interest = {"A": 0.5, "B": 0.3, "C": 0.2}
    assert P.alignment_score(P.reallocate(mix, {}), interest).score == pytest.approx(100.0)
    assert P.alignment_score(up, interest).score == pytest.approx(90.0)


def test_no_sql_or_streamlit_outside_the_store():
    src = Path(P.__file__).read_text()
    assert "streamlit" not in src and "SELECT " not in src and ".execute(" not in src
    assert "streamlit" not in Path(sp.__file__).read_text()


def test_blank_editor_cells_are_not_stored_as_keywords(db):
    from analysis.store import perception as sp

    frame = pd.DataFrame({"motive": ["Feel connected", "Feel connected", None],
                          "keyword": ["community", None, "sale"]})
    sp.replace_lexicon(db, frame)
    assert P.lexicon_frame(db)["keyword"].tolist() == ["community"]


# -- a brand's public reply recorded both as a post and as an outbound interaction ------------------------

def test_a_brand_reply_that_is_both_a_post_and_an_interaction_is_counted_once(db):
    from tests import public_only

    public_only.load(db)
    raw = sp.brand_public_messages(db)
    # Each of the brand's three tweets is in the data twice: a post by @AcmeHelp and an outbound public touch.
    assert sorted(raw["source"]) == ["interaction"] * 3 + ["post"] * 3
    msgs = P.brand_messages(db)
    assert sorted(msgs["message_id"]) == ["2", "5", "9"] and set(msgs["source"]) == {"interaction"}
    voice = P.broadcast_vs_listen(messages=msgs)
    assert voice["total"] == 3 and voice["response"] == 3 and voice["counted_once"] == 3
    assert int(P.brand_content_mix(db)["messages"].sum()) == 3


def test_the_same_message_under_two_ids_is_matched_by_text_and_second(db):
    store.upsert_rows(db, "customers", [{"customer_id": "C1"}])
    store.upsert_rows(db, "brand_accounts", [{"platform": "x", "handle": "acme"}])
    store.upsert_rows(db, "channels", [{"channel": "public_reply", "label": "Public reply", "publicness": 0.9}])
    store.upsert_rows(db, "interactions", [
        {"interaction_id": "I1", "customer_id": "C1", "thread_id": "T", "occurred_at": "2025-01-01 10:00:00",
         "channel": "public_reply", "direction": "outbound", "kind": "reply", "text": "New range out today!"},
        {"interaction_id": "I2", "customer_id": "C1", "thread_id": "T2", "occurred_at": "2025-01-02 10:00:00",
         "channel": "public_reply", "direction": "outbound", "kind": "reply", "text": "Same words, other time"}])
    store.upsert_rows(db, "posts", [
        # The same message as I1 under its own id, written at the same second (with a 'T' separator).
        {"post_id": "P1", "platform": "x", "author_handle": "acme", "created_at": "2025-01-01T10:00:00",
         "text": "New range out today!"},
        # Same text as I2 a minute later: another message.
        {"post_id": "P2", "platform": "x", "author_handle": "acme", "created_at": "2025-01-02 10:01:00",
         "text": "Same words, other time"},
        {"post_id": "P3", "platform": "x", "author_handle": "acme", "created_at": "2025-01-03 10:00:00",
         "text": None}])
    msgs = P.brand_messages(db)
    assert sorted(msgs["message_id"]) == ["I1", "I2", "P2", "P3"]
    assert msgs.attrs["counted_once"] == 1


def test_brand_messages_chosen_in_memory_equal_the_query_under_every_kind_of_filter(demo_db_copy):
    """The page filters the brand's messages read once; the query applies the same filters in SQL."""
    import datetime as dt

    from analysis.perception import content
    from analysis.store import perception as sp

    db = store.connect(demo_db_copy)
    lo, hi = store.date_bounds(db)
    mid = dt.date.fromisoformat(lo[:10]) + (dt.date.fromisoformat(hi[:10]) - dt.date.fromisoformat(lo[:10])) / 2
    filters = [Filters(), Filters(segments=("Business",)), Filters(regions=("Europe", "Asia-Pacific")),
               Filters(platforms=("x",)), Filters(date_from=mid), Filters(date_to=mid),
               Filters(date_from=mid - dt.timedelta(days=40), date_to=mid, segments=("Value", "Premium"),
                       platforms=("instagram", "facebook"))]
    cols = list(sp.MESSAGE_COLUMNS)
    for f in filters:
        fast = content._public_messages(db, f).sort_values(["source", "message_id"]).reset_index(drop=True)
        direct = P.once_each(sp.brand_public_messages(db, f)).sort_values(["source", "message_id"])
        assert len(fast) > 0 or f.platforms
        pd.testing.assert_frame_equal(fast[cols].astype(object), direct[cols].reset_index(drop=True).astype(object))
    # A channel made private is no longer public: the kept messages follow the setting.
    before = content._public_messages(db, Filters())
    channel = before.loc[before["source"] == "interaction", "place"].value_counts().index[0]
    store.set_publicness(db, channel, 0.0)
    after = content._public_messages(db, Filters())
    assert channel not in set(after.loc[after["source"] == "interaction", "place"])
    assert len(after) == len(before) - int((before["place"] == channel).sum())
    db.close()


def test_brand_messages_twins_under_filters_on_kept_codes(engine_address):
    """Posts that repeat an interaction (same id, or same text to the second) are dropped only when the
    twin is in view: a segment that leaves the twin out keeps the post, as the query does. The codes
    are made once per data version (kept in this process); a new twin is seen after an import."""
    from analysis import memo
    from analysis.store import perception as sp

    memo.clear()
    with store.connection(engine_address, create=True) as db:
        store.upsert_rows(db, "customers", [{"customer_id": "C1", "segment": "Premium"},
                                            {"customer_id": "C2", "segment": "Value"}])
        store.upsert_rows(db, "brand_accounts", [{"platform": "x", "handle": "acme"}])
        store.upsert_rows(db, "posts", [
            # the same tweet as interaction t1 (same id), answering ann's post: lifts t1 to a response
            {"post_id": "t1", "platform": "x", "author_handle": "acme", "created_at": "2025-01-05 10:00:00",
             "text": "Sorry, DM us", "reply_to": "a1"},
            {"post_id": "a1", "platform": "x", "author_handle": "ann", "created_at": "2025-01-05 09:00:00",
             "text": "Broken again"},
            # the same words at the same second as interaction J2 (to C2, Value)
            {"post_id": "q2", "platform": "x", "author_handle": "acme", "created_at": "2025-01-06 10:00:00",
             "text": "Thanks for waiting"},
            {"post_id": "q3", "platform": "x", "author_handle": "acme", "created_at": "2025-01-07 10:00:00",
             "text": "New range out now"}])
        store.upsert_rows(db, "interactions", [
            {"interaction_id": "t1", "customer_id": "C1", "thread_id": "T1", "occurred_at": "2025-01-05 10:00:00",
             "channel": "public_reply", "direction": "outbound", "kind": "marketing", "text": "Sorry, DM us"},
            {"interaction_id": "J2", "customer_id": "C2", "thread_id": "T2", "occurred_at": "2025-01-06 10:00:00",
             "channel": "public_reply", "direction": "outbound", "kind": "marketing", "text": "Thanks for waiting"}])

        def ids(f):
            msgs = P.brand_messages(db, f)
            direct = P.once_each(sp.brand_public_messages(db, f))
            assert sorted(msgs["message_id"]) == sorted(direct["message_id"])
            assert msgs.attrs["counted_once"] == direct.attrs["counted_once"]
            return dict(zip(msgs["message_id"], msgs["mode"]))

        # Unfiltered: t1 and q2 are twins of interactions (counted once); t1 answers ann, so its
        # interaction is a response; q3 and a broadcast J2 stay.
        assert ids(Filters()) == {"t1": "response", "J2": "broadcast", "q3": "broadcast"}
        # Premium: J2 (Value) is out of view, so the post q2 is the only record of that message.
        assert ids(Filters(segments=("Premium",))) == {"t1": "response", "q2": "broadcast", "q3": "broadcast"}
        # Value: t1's interaction is out of view; posts are not chosen by segment.
        assert ids(Filters(segments=("Value",))) == {"t1": "response", "J2": "broadcast", "q3": "broadcast"}
        assert ids(Filters(date_from="2025-01-06")) == {"J2": "broadcast", "q3": "broadcast"}
        # Another process reads the codes and motives kept in the database: the same messages.
        first = P.brand_messages(db, Filters())
        memo.clear()
        pd.testing.assert_frame_equal(P.brand_messages(db, Filters()), first)
        assert list(first["motive"]) == list(P.classify_messages(first["text"], P.lexicon_dict(db)))
        # An import: q3 now has a twin interaction (to C1), so it is counted once.
        store.upsert_rows(db, "interactions", [
            {"interaction_id": "J3", "customer_id": "C1", "thread_id": "T3", "occurred_at": "2025-01-07 10:00:00",
             "channel": "public_reply", "direction": "outbound", "kind": "marketing", "text": "New range out now"}])
        assert ids(Filters()) == {"t1": "response", "J2": "broadcast", "J3": "broadcast"}


def test_once_each_never_takes_different_words_for_twins():
    """More distinct times than texts: each (text, second) pair is its own, so a post is dropped only for
    an interaction with its very words at its very second (pairs once collided: 'x' at the fifth time was
    taken for 'y' at the second)."""
    times = [f"2025-01-0{d} 10:00:00" for d in range(1, 6)]
    msgs = pd.DataFrame({
        "source": ["post", "interaction", "post", "post", "post"],
        "message_id": ["p0", "i1", "p2", "p3", "p4"], "at": times,
        "place": ["x", "public_reply", "x", "x", "x"], "kind": "post",
        "text": ["x", "y", "x", "x", "x"], "mode": "broadcast"})
    out = P.once_each(msgs)
    assert list(out["message_id"]) == ["p0", "i1", "p2", "p3", "p4"] and out.attrs["counted_once"] == 0
    twin = pd.concat([msgs, msgs.iloc[[1]].assign(source="post", message_id="p5", place="x")], ignore_index=True)
    assert list(P.once_each(twin)["message_id"]) == ["p0", "i1", "p2", "p3", "p4"]
