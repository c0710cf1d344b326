"""Filters' one URL vocabulary: written and read back, the old spelling translated, bad input named."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis.filters import FilterError, Filters

D = dt.date


@pytest.mark.parametrize("f", [
    Filters(),
    Filters(date_from="2025-01-01"),
    Filters(date_to="2025-03-31"),
    Filters(date_from="2025-01-01", date_to="2025-03-31"),
    Filters(segments=("Value", "Premium")),
    Filters(regions=("North",), platforms=("x", "facebook")),
    Filters(date_from="2024-02-29", date_to="2024-02-29", segments=("A, with comma",), regions=("é",)),
], ids=["all", "from", "to", "range", "segments", "regions+platforms", "one-day+odd-names"])
def test_url_round_trip(f):
    params = f.to_params()
    assert set(params) <= set(Filters.URL_KEYS)  # only the one vocabulary is written
    assert Filters.from_params(params) == f


@pytest.mark.parametrize("params, expected", [
    ({}, Filters()),
    ({"dates": ["2024-01-01", "2024-03-31"]}, Filters(date_from=D(2024, 1, 1), date_to=D(2024, 3, 31))),
    ({"dates": "2024-01-01"}, Filters(date_from=D(2024, 1, 1))),
    ({"dates": ["", "2024-03-31"]}, Filters(date_to=D(2024, 3, 31))),
    ({"segment": ["Value", "Premium"], "region": "North", "platform": ["x"]},
     Filters(segments=("Premium", "Value"), regions=("North",), platforms=("x",))),
    # the old spelling, as scenarios saved before this change hold it
    ({"from": "2024-01-01", "to": "2024-02-01", "segments": "A,B", "regions": "N", "platforms": "x,facebook"},
     Filters(date_from=D(2024, 1, 1), date_to=D(2024, 2, 1), segments=("A", "B"), regions=("N",),
             platforms=("facebook", "x"))),
    ({"segment": "A", "segments": "B"}, Filters(segments=("A", "B"))),
    ({"focus": "phone", "wi_cut": "50"}, Filters()),  # a page's own settings are not filters
    ({"segment": ""}, Filters()),  # a cleared widget
], ids=["empty", "range", "start-only", "end-only", "lists", "legacy", "both-spellings", "page-settings",
        "cleared"])
def test_from_params(params, expected):
    assert Filters.from_params(params) == expected


@pytest.mark.parametrize("params, message", [
    ({"dates": ["2024-03-01", "2024-01-01"]}, "starts on 2024-03-01 and ends on 2024-01-01"),
    ({"from": "2024-03-01", "to": "2024-01-01"}, "starts on 2024-03-01"),
    ({"dates": "garbage"}, "dates='garbage' is not a date"),
    ({"from": "garbage"}, "from='garbage' is not a date"),
    ({"to": "2024-13-45"}, "to='2024-13-45' is not a date"),
    ({"dates": ["2024-01-01", "2024-02-01", "2024-03-01"]}, "dates has 3 values"),
    ({"from": ["2024-01-01", "2024-02-01"]}, "from has 2 values"),
], ids=["reversed", "legacy-reversed", "garbage", "legacy-garbage", "impossible-day", "three-dates",
        "two-starts"])
def test_bad_params_name_the_parameter(params, message):
    with pytest.raises(FilterError, match=message.replace("(", r"\(")):
        Filters.from_params(params)
    assert issubclass(FilterError, ValueError)


def test_reads_streamlit_query_params_shape():
    class QueryParams(dict):  # st.query_params: get() gives the last value, get_all() every value
        def get(self, key, default=None):
            v = super().get(key, default)
            return v[-1] if isinstance(v, list) else v

        def get_all(self, key):
            v = super().get(key, [])
            return list(v) if isinstance(v, list) else [v]

    q = QueryParams(dates=["2024-01-01", "2024-01-31"], segment=["Value", "Premium"])
    assert Filters.from_params(q) == Filters(date_from="2024-01-01", date_to="2024-01-31",
                                             segments=("Premium", "Value"))


@pytest.mark.parametrize("f", [Filters(), Filters(date_from="2024-02-01"), Filters(date_to="2024-05-01"),
                               Filters(date_from="2024-02-01", date_to="2024-05-01", segments=("A",))])
def test_sidebar_widgets_round_trip(f):
    lo, hi = D(2024, 1, 1), D(2024, 12, 31)
    w = f.widget_state(lo, hi)
    assert Filters.from_widgets(w["dates"], w["segment"], w["region"], w["platform"], lo, hi) == f


def test_full_range_means_no_date_filter():
    lo, hi = D(2024, 1, 1), D(2024, 12, 31)
    f = Filters.from_widgets((lo, hi), ["A"], [], [], lo, hi)
    assert f == Filters(segments=("A",)) and f.caption() == "Filtered: segment A"
    # A range picked half-way (one date so far) filters from that day.
    assert Filters.from_widgets((D(2024, 3, 1),), [], [], [], lo, hi) == Filters(date_from="2024-03-01")
