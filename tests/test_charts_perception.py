"""Perception gap figures: they build from the IBM preset and from tiny frames, with the traces and labels expected."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import charts
from analysis import perception as P
from analysis.charts import perception as C

CONNECTED, COMMUNITY, DISCOUNTS = "Feel connected", "Be part of a community", "Get discounts or coupons"


@pytest.fixture(scope="module")
def ibm_gap() -> pd.DataFrame:
    return P.gap_table(P.load_reference())


@pytest.fixture(autouse=True)
def _normal_scale():
    charts.set_presentation(False)
    yield
    charts.set_presentation(False)


def _annotations(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def _tiny_shares(a_share=(0.5, 0.2), b_share=(0.5, 0.6), n=(200, 100)) -> pd.DataFrame:
    df = pd.DataFrame({
        "motive": ["Alpha motive", "Beta motive"],
        "consumer_rank": [1, 2], "business_rank": [2, 1],
        "consumer_share": list(a_share), "business_share": list(b_share),
        "consumer_n": [n[0]] * 2, "business_n": [n[1]] * 2,
    })
    df.attrs.update(a_label="Consumers (segment Premium)", b_label="Consumers (segment Value)",
                    a_short="consumer (segment Premium)", b_short="consumer (segment Value)", b_is_belief=False)
    return df


# -- dumbbell ---------------------------------------------------------------------------

def test_dumbbell_on_the_ibm_preset(ibm_gap):
    fig = C.perception_dumbbell(ibm_gap, "IBM IBV 2010 study")
    title = fig.layout.title.text
    assert title.startswith("Share naming each motive: consumers versus businesses") and "IBM IBV 2010" in title
    # Only the three motives with shares; the largest gap is drawn on top (last category).
    order = list(fig.layout.yaxis.categoryarray)
    assert order == [DISCOUNTS, CONNECTED, COMMUNITY]
    markers = [t for t in fig.data if t.mode == "markers"]
    assert [t.name for t in markers] == ["Consumers", "Businesses"]
    assert markers[0].marker.color == charts.BLUE and markers[1].marker.color == charts.ORANGE
    # Whiskers are the Wilson interval from the table.
    row = ibm_gap.set_index("motive").loc[CONNECTED]
    consumers = markers[0]
    i = list(consumers.y).index(CONNECTED)
    assert consumers.x[i] == pytest.approx(0.33)
    assert consumers.error_x.array[i] == pytest.approx(row["consumer_hi"] - 0.33)
    assert consumers.error_x.arrayminus[i] == pytest.approx(0.33 - row["consumer_lo"])
    notes = _annotations(fig)
    assert any("+31 pts" in t and "real" in t for t in notes)
    assert any("-1 pts" in t and "within noise" in t for t in notes)
    # The key names both groups in their colours (an annotation: a legend would wrap in the narrow plot area).
    assert fig.layout.showlegend is False
    assert any(charts.BLUE in t and "Consumers" in t and charts.ORANGE in t and "Businesses" in t for t in notes)
    # One connector trace with a segment per motive with both shares.
    lines = [t for t in fig.data if t.mode == "lines"]
    assert len(lines) == 1 and sum(v is None for v in lines[0].x) == 3
    assert fig.layout.xaxis.tickfont.size >= 14 and fig.layout.yaxis.tickfont.size >= 14


def test_dumbbell_on_a_tiny_frame_with_one_side_missing():
    df = _tiny_shares(a_share=(0.5, np.nan))
    gap = P.gap_table(df)
    fig = C.perception_dumbbell(gap, "All data")
    assert "consumers (segment Premium) versus consumers (segment Value)" in fig.layout.title.text
    markers = {t.name: t for t in fig.data if t.mode == "markers"}
    assert list(markers["Consumers (segment Premium)"].y) == ["Alpha motive"]
    assert sorted(markers["Consumers (segment Value)"].y) == ["Alpha motive", "Beta motive"]
    assert any("one side only" in t for t in _annotations(fig))


def test_dumbbell_without_any_share_says_so():
    df = _tiny_shares(a_share=(np.nan, np.nan), b_share=(np.nan, np.nan))
    fig = C.perception_dumbbell(P.gap_table(df))
    assert not fig.data and "rank view" in _annotations(fig)[0]


# -- rank slope -------------------------------------------------------------------------

def test_rank_slope_on_the_ibm_preset(ibm_gap):
    fig = C.rank_slope(ibm_gap, "IBM IBV 2010 study")
    assert "rank each motive" in fig.layout.title.text
    assert len(fig.data) == 12  # one line per motive
    assert fig.layout.showlegend is False
    texts = _annotations(fig)
    for motive in P.MOTIVES:  # every name in full, on both sides
        assert sum(motive in t for t in texts) == 2, motive
    # Shares known for three motives: their names are bold, and the footnote says what bold means.
    assert sum(t.startswith("<b>Feel connected</b>") or t.endswith("<b>Feel connected</b>") for t in texts) == 2
    assert any("ranks only" in t for t in texts)
    by_name = {t.hovertemplate.split("<br>")[0]: t for t in fig.data}
    new = by_name["Learn about new products"]  # consumers 6th, businesses 1st
    assert list(new.y) == [6, 1] and new.line.color == charts.ORANGE and new.line.dash == "solid"
    disc = by_name[DISCOUNTS]  # consumers 1st, businesses 12th
    assert list(disc.y) == [1, 12] and disc.line.color == charts.BLUE and disc.line.dash == "dash"
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # rank 1 on top
    # The name columns fit the longest motive name.
    assert fig.layout.margin.l >= 0.45 * 15 * len("Submit opinion on current products or services")


def test_rank_slope_tiny_frame_ties_and_no_bold_when_all_have_shares():
    df = _tiny_shares()
    df.loc[1, "business_rank"] = 2  # the same place for Beta
    fig = C.rank_slope(P.gap_table(df))
    assert len(fig.data) == 2
    dashes = sorted(t.line.dash for t in fig.data)
    assert dashes == ["dash", "dot"]  # Alpha: B ranks it lower (2nd against 1st); Beta: the same place
    assert not any("<b>Alpha" in t for t in _annotations(fig))
    assert C.rank_slope(P.gap_table(df.assign(consumer_rank=np.nan))).data == ()


# -- segment heatmap ----------------------------------------------------------------------

def _tiny_breakdown() -> pd.DataFrame:
    rows = []
    for seg, n, sel in (("Premium", 100, (80, 10)), ("Value", 50, (20, 5))):
        for motive, s in zip(("Alpha motive", "Beta motive"), sel):
            rows.append({"segment": seg, "motive": motive, "selected": float(s), "n": n})
    t = pd.DataFrame(rows)
    t["share"] = t["selected"] / t["n"]
    t["share_lo"], t["share_hi"] = t["share"] - 0.05, t["share"] + 0.05
    t.attrs["by"] = "segment"
    return t


def test_segment_heatmap_tiny_frame():
    bd = _tiny_breakdown()
    diffs = P.segment_differences(bd)
    fig = C.segment_heatmap(bd, "All data", differences=diffs)
    heat = fig.data[0]
    assert heat.type == "heatmap" and np.asarray(heat.z).shape == (2, 2)
    assert list(heat.y) == ["Beta motive", "Alpha motive ◆"]  # most named on top; Alpha differs (80% vs 40%)
    assert list(heat.x) == ["Premium<br>(n = 100)", "Value<br>(n = 50)"]
    assert heat.text[1] == ["80%", "40%"]
    assert fig.layout.title.text.startswith("Share of consumers naming each motive, by segment")


def test_segment_heatmap_empty():
    bd = _tiny_breakdown().assign(n=0)
    assert not C.segment_heatmap(bd).data


# -- content alignment --------------------------------------------------------------------

def test_content_alignment_pairs_and_what_if():
    mix = pd.DataFrame({"motive": ["Alpha motive", "Beta motive", "other"], "messages": [90, 10, 5]})
    interest = pd.DataFrame({"motive": ["Alpha motive", "Beta motive"], "consumer_share": [0.2, 0.6]})
    before = P.alignment_score(mix, interest)
    fig = C.content_alignment(before.table, "All data")
    assert [t.name for t in fig.data] == ["Brand content now", "Consumers: interest"]
    assert fig.data[0].marker.color == charts.ORANGE and fig.data[1].marker.color == charts.BLUE
    assert list(fig.data[1].y) == ["Alpha motive", "Beta motive"]  # most wanted on top (last)
    assert list(fig.data[1].x) == pytest.approx([0.25, 0.75])
    after = P.alignment_score(P.reallocate(mix, {"Beta motive": 30}), interest)
    fig2 = C.content_alignment(before.table, after=after.table)
    assert fig2.data[0].name == "Brand content after the what-if" and fig2.layout.legend.traceorder == "reversed"
    assert max(fig2.layout.xaxis.tickvals) <= 1.0 < fig2.layout.xaxis.range[1]
    empty = P.alignment_score(mix, interest.assign(consumer_share=np.nan))
    assert not C.content_alignment(empty.table).data


def test_presentation_mode_enlarges_ticks(ibm_gap):
    normal = C.perception_dumbbell(ibm_gap).layout.xaxis.tickfont.size
    charts.set_presentation(True)
    assert C.perception_dumbbell(ibm_gap).layout.xaxis.tickfont.size > normal
