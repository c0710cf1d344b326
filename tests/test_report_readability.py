"""Reading like a report: labels instead of keys, readable tables, KPI changes against the previous
period, chart ticks on small data, and a what-if that says when it leaves the data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis import charts, continuum, exports, overview, scenarios
from analysis.filters import Filters


def test_settings_in_words_not_keys():
    words = scenarios.describe({"wi_cut": "50", "wi_frt": "4", "segment": ["Value"], "ls_reshares": "false"})
    assert words == ("What if: resolution faster by: 50%; What if: first response within: 4 hours; "
                     "Segment: Value; Reshares counted: off")
    assert "wi_" not in words
    assert scenarios.value_words("dates", ["2024-01-01", "2024-03-31"]) == "2024-01-01 to 2024-03-31"
    assert scenarios.value_words("focus", None) == "–"


def test_readable_tables_round_and_leave_missing_blank():
    df = pd.DataFrame({"mean_sentiment": [0.123456, np.nan], "p_value": [1.23456e-8, 0.5],
                       "first_response_h": [123.456789, 2.0], "notes": [None, "ok"]})
    out = exports.readable(df)
    assert list(out.columns) == ["Mean sentiment", "P value", "First response (hours)", "Notes"]
    assert out["Mean sentiment"].iloc[0] == 0.1235 and out["P value"].iloc[0] == pytest.approx(1.235e-8)
    assert out["First response (hours)"].iloc[0] == 123.5
    csv = exports.to_csv_bytes(out).decode("utf-8-sig")
    assert "None" not in csv and "nan" not in csv.lower()
    assert csv.splitlines()[2] == ",0.5,2.0,ok"
    assert exports.report_title("Continuum") == "Report: Continuum page"


def test_previous_period_of_the_same_length():
    f = Filters(date_from="2024-03-11", date_to="2024-03-20", segments=("A",))
    p = overview.previous_period(f, "2024-01-01 08:00:00", "2024-06-30 10:00:00")
    assert (p.first, p.last, p.days) == (dt.date(2024, 3, 1), dt.date(2024, 3, 10), 10)
    assert p.filters == Filters(date_from="2024-03-01", date_to="2024-03-10", segments=("A",))
    assert p.words() == "Change against the 10 days before: 01 Mar 2024 to 10 Mar 2024"
    # All data: nothing of the same length comes before it.
    assert overview.previous_period(Filters(), "2024-01-01", "2024-06-30") is None
    # An earlier period only partly covered by the data is not compared with.
    assert overview.previous_period(Filters(date_from="2024-01-05"), "2024-01-01", "2024-06-30") is None


def test_kpi_changes_by_hand():
    now = overview.Kpis(interactions=120, active_customers=10, threads=30, inbound=90, outbound=30, revenue=0.0,
                        posts=50, mean_sentiment=0.20, negative_share=0.10, positive_share=0.5, reshares=5)
    before = overview.Kpis(interactions=100, active_customers=12, threads=30, inbound=80, outbound=20,
                           revenue=0.0, posts=40, mean_sentiment=0.25, negative_share=0.15, positive_share=0.5,
                           reshares=0)
    d = overview.kpi_changes(now, before)
    assert d["interactions"] == "+20 (+20%)" and d["active_customers"] == "-2 (-17%)"
    assert d["threads"] == "+0 (+0%)" and d["reshares"] == "+5"   # nothing to divide by before
    assert d["outbound_share"] == "+5.0 pts"                     # 25% now, 20% before
    assert d["negative_share"] == "-5.0 pts" and d["mean_sentiment"] == "-0.05"


def test_one_month_of_data_has_readable_axes():
    one = charts.monthly_activity(pd.DataFrame({"month": ["2024-03"], "source": ["Interactions"], "n": [3]}))
    assert one.layout.xaxis.dtick == "M1" and one.layout.xaxis.tickformat == "%b %Y"
    assert one.layout.yaxis.dtick == 1 and one.layout.yaxis.tickformat == ",d"  # no half-steps on counts
    days = pd.DataFrame({"month": ["2024-03-02", "2024-03-05"], "source": ["Posts"] * 2, "n": [2, 4]})
    fig = charts.monthly_activity(days)
    assert fig.layout.xaxis.dtick == 86_400_000 and fig.layout.xaxis.tickformat == "%d %b %Y"
    big = charts.monthly_activity(pd.DataFrame({"month": [f"2024-{m:02d}" for m in range(1, 13)],
                                                "source": ["Posts"] * 12, "n": range(1000, 1012)}))
    assert big.layout.xaxis.dtick is None and big.layout.yaxis.dtick is None  # plotly's own choice


def test_whatif_warns_beyond_the_observed_range():
    # 100 resolved conversations, 1 to 100 hours; the observed 1st percentile is 1.99 hours.
    pop = pd.DataFrame({"resolution_h": np.arange(1, 101, dtype=float), "first_response_h": np.full(100, 5.0)})
    assert continuum.extrapolation(pop, 0.3, None) == []         # 0.7 × 1..100 h: 1% below 1.99 h
    warn = continuum.extrapolation(pop, 0.9, None)               # 0.1 × 1..100 h: 19 of 100 below 1.99 h
    assert len(warn) == 1 and "19%" in warn[0] and "Beyond the data" in warn[0]
    # Every first reply at 5 h: a cap of 1 h puts them all below anything observed.
    assert "first reply within 1 hour puts" in continuum.extrapolation(pop, 0.0, 1.0)[0]
    assert continuum.whatif_words(0.5, 4.0) == "resolution 50% faster and a first reply within 4 hours"


def test_content_mix_whatif_has_an_interval_that_narrows_with_more_messages():
    from analysis import perception as P

    shares = pd.DataFrame({"motive": ["a", "b", "c"], "consumer_share": [0.2, 0.3, 0.5],
                           "consumer_n": [400, 400, 400]})
    small = pd.DataFrame({"motive": ["a", "b", "c"], "messages": [12, 6, 2]})
    large = small.assign(messages=small["messages"] * 1000)
    s, big = P.alignment_whatif(small, shares, {"c": 20}), P.alignment_whatif(large, shares, {"c": 20})
    # By hand: mix (0.6, 0.3, 0.1) against interest (0.2, 0.3, 0.5): TVD 0.4, score 60; shifting 'c' by
    # 20 points gives (0.4667, 0.2333, 0.3): TVD 0.2667, score 73.3.
    assert s["before"][0] == pytest.approx(60.0) and s["after"][0] == pytest.approx(73.33, abs=0.01)
    for est in (s, big):
        for key in ("before", "after"):
            value, lo, hi = est[key]
            assert lo <= value + 1 and hi >= value - 1 and lo < hi
    width = lambda r, k: r[k][2] - r[k][1]  # noqa: E731
    assert width(big, "before") < width(s, "before") / 2
    assert P.alignment_whatif(small, shares, {"c": 20}) == s  # fixed seed: the same interval
    none = P.alignment_whatif(small, shares.drop(columns="consumer_n"), {})
    assert none["change"] == (0.0, 0.0, 0.0) and none["fixed_interest"]


def test_a_legend_under_the_plot_gets_its_own_band_below_the_axis_title():
    import plotly.graph_objects as go

    fig = go.Figure([go.Scatter(x=["2024-01-01", "2024-06-01"], y=[1.5, 2.5], name=f"series number {i}")
                     for i in range(8)])
    fig.update_layout(legend=dict(orientation="h", y=-0.16, x=0))
    out = charts.finish(fig, "t", x_title="Date")
    # Pinned to the figure's bottom edge, in a margin tall enough for the axis title and its rows
    # (8 names of 15 characters, with their symbols, take three rows of 520 px).
    assert out.layout.legend.yref == "container" and out.layout.legend.y == 0
    assert out.layout.legend.yanchor == "bottom"
    assert out.layout.margin.b == 78 + 24 * 3 + 10
