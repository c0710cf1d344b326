"""Perception gap: what brands believe motivates consumers on social media versus what consumers say."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

import ui
from analysis import ingest
from analysis import perception as P
from analysis.charts import perception as figures

REFERENCE = "IBM IBV 2010 (reference)"
NONE = "—"
VIEW = dict(bind="query-params", persist_state="session")  # widgets that define the view live in the URL
WHAT_IF_SLOTS = 3

ui.page_intro(
    "perception",
    "Perception gap",
    "Asked why they interact with companies through social media, consumers in the IBM Institute for Business "
    "Value 2010 study put **getting discounts and purchasing** at the top and **feeling connected or being part "
    "of a community** near the bottom; the businesses surveyed believed otherwise, perhaps *projecting their "
    "own desire for intimacy onto customers' motivations*. This page shows that gap with honest statistics, "
    "runs the same comparison on your own surveys, and tests whether the brand's public content speaks to "
    "what consumers say they want.",
)

f = ui.filters()
present = ui.presentation()


# -- helpers -------------------------------------------------------------------------------

def _html_list(lines: list[str]) -> None:
    """Plain-words readings; they may quote user-supplied motive names, so they go out as escaped HTML."""
    if lines:
        items = "".join(f"<li style='margin-bottom:0.35rem'>{html.escape(x)}</li>" for x in lines)
        st.html(f"<ul style='font-size:1rem;line-height:1.5;margin:0 0 0.5rem 0'>{items}</ul>")


_md = ui.escape_md  # user text (study, segment, file names) made inert for st.markdown-based elements


def _caption(text: str) -> None:
    st.caption(_md(text))


def _downloads(df: pd.DataFrame, name: str, key: str) -> None:
    ui.table_downloads(df, name, key)


def _pct(v) -> str:
    return "" if v is None or not np.isfinite(v) else f"{100 * v:.0f}%"


def _ci(lo, hi, scale: float = 100.0, unit: str = "%") -> str:
    if lo is None or not np.isfinite(lo):
        return ""
    return f"{scale * lo:.0f}{unit} to {scale * hi:.0f}{unit}" if unit == "%" else f"{lo:+.0f} to {hi:+.0f}"


def _figures_table(gap: pd.DataFrame) -> pd.DataFrame:
    """The gap table in words and numbers, marking which figures are ranks and which are shares."""
    a, b = gap.attrs.get("a_label", "Consumers"), gap.attrs.get("b_label", "Businesses")
    tested = gap["p_value"].notna()
    out = pd.DataFrame({
        "Motive": gap["motive"],
        "Figures known": gap["basis"],
        f"{a}: rank": gap["consumer_rank"],
        f"{b}: rank": gap["business_rank"],
        "Rank gap (places)": gap["rank_gap"],
        f"{a}: share": gap["consumer_share"].map(_pct),
        f"{a}: 95% CI": [_ci(lo, hi) for lo, hi in zip(gap["consumer_lo"], gap["consumer_hi"])],
        f"{a}: n": gap["consumer_n"].where(gap["consumer_share"].notna()),
        f"{b}: share": gap["business_share"].map(_pct),
        f"{b}: 95% CI": [_ci(lo, hi) for lo, hi in zip(gap["business_lo"], gap["business_hi"])],
        f"{b}: n": gap["business_n"].where(gap["business_share"].notna()),
        "Gap (points, B − A)": gap["gap_points"].round(1),
        "Gap 95% CI": [_ci(lo, hi, unit="pts") for lo, hi in zip(gap["gap_lo"], gap["gap_hi"])],
        "p": [P.format_p(p) if t else "" for p, t in zip(gap["p_value"], tested)],
        "Holm p": [P.format_p(p) if t else "" for p, t in zip(gap["p_holm"], tested)],
        "BH p": [P.format_p(p) if t else "" for p, t in zip(gap["p_bh"], tested)],
        "Real after Holm?": np.where(tested, np.where(gap["significant_holm"], "yes", "no"), "no test (ranks only)"),
        "Direction": gap["direction"].fillna(""),
        "Reading": gap["reading"],
    })
    for c in ("share_confidence", "source"):
        if c in gap:
            out["Source confidence" if c == "share_confidence" else "Source"] = gap[c]
    return out


def _table_config(gap: pd.DataFrame) -> dict:
    a, b = gap.attrs.get("a_label", "Consumers"), gap.attrs.get("b_label", "Businesses")
    return {
        "Motive": st.column_config.TextColumn(pinned=True),
        f"{a}: rank": st.column_config.NumberColumn(format="%d", help="A rank: 1 = named most often"),
        f"{b}: rank": st.column_config.NumberColumn(format="%d", help="A rank: 1 = named most often"),
        "Rank gap (places)": st.column_config.NumberColumn(
            format="%+d", help=f"{a}' rank minus {b}' rank: positive when {b.lower()} put the motive higher"),
        f"{a}: share": st.column_config.TextColumn(help="A share: respondents naming the motive (blank: unknown)"),
        f"{b}: share": st.column_config.TextColumn(help="A share: respondents naming the motive (blank: unknown)"),
        f"{a}: n": st.column_config.NumberColumn(format=ui.COUNT_FORMAT),
        f"{b}: n": st.column_config.NumberColumn(format=ui.COUNT_FORMAT),
        "Gap (points, B − A)": st.column_config.NumberColumn(format="%+.0f"),
        "Reading": st.column_config.TextColumn(width="large"),
    }


def _headline_value(row) -> str:
    unit = str(row["unit"])
    if pd.isna(row["value_num"]):
        parts = [p.strip() for p in str(row["value"]).split("/")]
        try:
            return " / ".join(f"{100 * float(p):.0f}" for p in parts) + "%" if unit.startswith("share") \
                else str(row["value"])
        except ValueError:
            return str(row["value"])
    v = float(row["value_num"])
    if unit.startswith("share"):
        return ("≥ " if "at least" in unit else "") + f"{v:.0%}"
    return f"{v:,.0f}"


def _headline_cards(per_row: int = 4) -> None:
    heads = P.load_headlines()
    # The study's figures are sentences: let metric labels wrap instead of cutting them off with an ellipsis.
    st.html("<style>[data-testid='stMetricLabel'] *, [data-testid='stMetricValue'] * {white-space: normal "
            "!important; overflow: visible !important; text-overflow: clip !important; height: auto !important;}"
            "</style>")
    for start in range(0, len(heads), per_row):
        cols = st.columns(per_row)
        for col, (_, r) in zip(cols, heads.iloc[start:start + per_row].iterrows()):
            col.metric(r["figure"], _headline_value(r),
                       help=f"{r['figure']}: {r['value']} ({r['unit']}). Source: {r['source']}. "
                            f"Confidence: {r['confidence']}. Published figure as reported; the sample behind it "
                            "is not confirmed, so no interval is drawn.")


@st.cache_data(show_spinner=False)
def _reference() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    ref = P.load_reference()
    return ref, P.gap_table(ref), P.rank_agreement(ref)


def _samples(studies: pd.DataFrame, source: str) -> list[tuple]:
    """(study, group, survey segment or None) choices, the chosen study first."""
    out = []
    names = [source] + sorted(s for s in studies["study"].unique() if s != source)
    for study in names:
        part = studies[studies["study"] == study]
        for group in sorted(part["group"].unique()):
            out.append((study, group, None))
            segs = part.loc[(part["group"] == group) & part["segment"].notna(), "segment"]
            out += [(study, group, s) for s in sorted(segs.unique())]
    return out


def _sample_label(sample: tuple, source: str) -> str:
    study, group, segment = sample
    text = f"{group} · " + (f"segment {segment}" if segment is not None else "all respondents")
    return text if study == source else f"{text} · {study}"


def _default_index(samples: list[tuple], source: str, group: str, fallback: int) -> int:
    want = (source, group, None)
    return samples.index(want) if want in samples else min(fallback, len(samples) - 1)


def _import_survey() -> None:
    msg = st.session_state.pop("pg_import_msg", None)
    if msg:
        st.success(_md(msg))
    upload = st.file_uploader("Survey file (CSV, Excel or JSON)", type=["csv", "xlsx", "json", "jsonl"],
                              key="pg_upload")
    st.caption("Columns: study, group (consumer or business), motive, and either respondent_id with selected "
               "(0/1) or share with n; optional customer_id (to break consumers down by segment and region) "
               "and segment. All or nothing: on any bad row nothing is written.")
    if st.button("Import survey responses", disabled=upload is None, key="pg_import_go", type="primary"):
        with ui.connection() as conn:
            try:
                report = ingest.import_file(conn, "survey_responses", upload.getvalue(), name=upload.name)
            except ingest.ImportProblem as exc:
                st.error(_md(str(exc)))
            else:
                ui.clear_cache()
                st.session_state["pg_import_msg"] = report.summary() + " Choose the study under Source."
                st.rerun()

# -- source and groups ------------------------------------------------------------------------

studies = ui.cached(P.survey_studies)
study_names = sorted(studies["study"].dropna().unique().tolist())
top = st.columns([2, 3])
with top[0]:
    source = st.selectbox("Source", [REFERENCE] + study_names, key="pg_source", **VIEW,
                          help="The published IBM 2010 figures, or a survey study in your database.")
if not present:
    with top[1], st.expander("Add your own survey", icon=":material/upload_file:"):
        _import_survey()

survey = source != REFERENCE
if survey:
    samples = _samples(studies, source)
    g = st.columns(2)
    sample_a = g[0].selectbox("Group A (what people say)", samples,
                              index=_default_index(samples, source, "consumer", 0),
                              format_func=lambda s: _sample_label(s, source), key="pg_a", **VIEW,
                              help="The reference side: usually the consumers. Pick a survey segment, or a "
                                   "group from another study to compare waves.")
    sample_b = g[1].selectbox("Group B (compared with A)", samples,
                              index=_default_index(samples, source, "business", 1),
                              format_func=lambda s: _sample_label(s, source), key="pg_b", **VIEW,
                              help="Usually the businesses' belief; or a second segment or wave. Gaps are B − A.")
    if sample_a == sample_b:
        st.warning("Group A and group B are the same: pick two different groups to compare.")
        st.stop()
    shares = ui.cached(P.group_shares, sample_a[0], sample_a[1], sample_b[0], sample_b[1],
                        segment_a=sample_a[2], segment_b=sample_b[2], filters=f)
    gap = P.gap_table(shares)
    agreement = P.rank_agreement(shares)
    note = ("Segment and region filters apply to consumer respondents linked to customers; "
            "surveys carry no date, so dates and platforms do not apply.")
    chart_caption = f"{source} · {f.caption()}"
    for n in shares.attrs.get("notes", []):
        st.info(_md(n))
else:
    ref, gap, agreement = _reference()
    shares = ref
    chart_caption = "IBM IBV 2010 study, published figures; the global filters do not apply"
    note = None
    if not present:
        st.caption(P.CITATION)
    st.subheader("The study in figures")
    _headline_cards(3 if present else 4)
    st.caption("Only a minority of consumers go to social sites to interact with brands at all, and most say "
               "passion for a brand must exist before they engage. Hover over a card for its source and how far "
               "to trust it.")

a_label, b_label = gap.attrs["a_label"], gap.attrs["b_label"]

# -- the gap in shares ------------------------------------------------------------------------

st.subheader("The gap per motive")
with_shares = gap[gap["consumer_share"].notna() & gap["business_share"].notna()]
rank_only = int((gap["basis"] == "ranks only").sum())
if not survey:
    st.markdown(f"Shares are known for **{len(with_shares)} of {len(gap)}** motives; the other {rank_only} are "
                "**ranks only** and appear in the rank view below. Dots are the published shares, whiskers their "
                "95% Wilson intervals from the study's sample sizes.")
ui.chart(figures.perception_dumbbell(gap, chart_caption), key="pg_dumbbell")
_caption(chart_caption + (f". {note}" if note else ""))
if len(with_shares):
    real = with_shares[with_shares["significant_holm"]]
    st.markdown(f"**Which gaps are real?** A two-proportion z test per motive, corrected for testing "
                f"{len(with_shares)} motives at once (Holm; Benjamini–Hochberg in the table). "
                f"{len(real)} of {len(with_shares)} gaps stay clearly away from zero: on the chart, **real** means "
                "a Holm-adjusted p below 0.05, **within noise** a gap that could be zero.")
    _html_list(with_shares["reading"].tolist())

# -- the gap in ranks -------------------------------------------------------------------------

st.subheader("Where each group ranks the motives")
ui.chart(figures.rank_slope(gap, chart_caption), key="pg_slope")
_caption(chart_caption)
c = st.columns(3)
c[0].metric("Spearman ρ (rank correlation)", f"{agreement['spearman_rho']:+.2f}"
            if np.isfinite(agreement["spearman_rho"]) else "–",
            help=f"{P.format_p(agreement['spearman_p'])}, {agreement['spearman_method']}. +1: same order; "
                 "−1: mirror image; 0: unrelated.")
c[1].metric("Kendall τ", f"{agreement['kendall_tau']:+.2f}" if np.isfinite(agreement["kendall_tau"]) else "–",
            help=f"{P.format_p(agreement['kendall_p'])}, {agreement['kendall_method']}.")
c[2].metric("Motives ranked by both", f"{agreement['n']}")
_html_list([agreement["reading"]])

with st.expander("The figures: ranks and shares, with intervals and tests", expanded=not present):
    table = _figures_table(gap)
    ui.text_table(table, column_config=_table_config(gap), height=35 * (len(table) + 1) + 4,
                  placeholder="")  # unknown figures stay blank, as the caption says
    st.caption("A **rank** is a position (1 = named most often); a **share** is the fraction of respondents naming "
               "the motive. Blank share cells are unknown and are not filled. Gaps are B − A in percentage points. "
               "Intervals: Wilson 95% for shares, Newcombe hybrid score for gaps. Tests: pooled two-proportion z, "
               "adjusted across the motives with both shares (Holm controls the family-wise error, "
               "Benjamini–Hochberg the false discovery rate).")
    _downloads(table, "perception gap figures", "pg_table")

# -- breakdown --------------------------------------------------------------------------------

st.subheader("Consumers by segment or region")
consumer_side = None
if survey and sample_a[1] == "consumer":
    consumer_side = sample_a[0]
elif survey and sample_b[1] == "consumer":
    consumer_side = sample_b[0]
linked = 0
if consumer_side is not None:
    rows = studies[(studies["study"] == consumer_side) & (studies["group"] == "consumer")]
    linked = int(rows["linked_respondents"].sum())
if not survey:
    st.info("The published study gives no respondent-level data. Choose a survey study under Source to break "
            "consumers down by customer segment or region.")
elif consumer_side is None:
    st.info("Neither group is a consumer group, so there is no consumer side to break down.")
elif linked == 0:
    st.info("No consumer respondent in this study is linked to a customer (customer_id), so there is no segment "
            "or region to break down by.")
else:
    # No format_func: a bound widget writes the shown label into the URL, and "region" reads better there.
    by = st.radio("Break consumers down by customer", ["segment", "region"], horizontal=True, key="pg_by", **VIEW)
    breakdown = ui.cached(P.segment_breakdown, consumer_side, "consumer", by=by, filters=f)
    diffs = P.segment_differences(breakdown)
    caption = f"{consumer_side} · {linked:,} linked consumer respondents in all · {f.caption()}"
    ui.chart(figures.segment_heatmap(breakdown, caption, differences=diffs), key="pg_heatmap")
    _caption(caption + ". ◆ after a motive: its share differs between the groups after Holm correction.")
    if len(diffs):
        real = diffs[diffs["significant_holm"]]
        lines = []
        for _, r in real.iterrows():
            lines.append(f"'{r['motive']}' differs by {by}: {r['spread_points']:.0f} points between the highest "
                         f"({r['highest']}) and the lowest ({r['lowest']}); chi-square test, Holm-adjusted "
                         f"{P.format_p(r['p_holm'])}.")
        if not lines:
            lines.append(f"No motive's share differs between the {by}s by more than chance would produce "
                         f"(chi-square test per motive, Holm correction across {len(diffs)} motives).")
        if (diffs["min_expected"] < 5).any():
            lines.append("Some groups are small (expected counts below 5): read those tests with care.")
        _html_list(lines)
        with st.expander(f"Differences between {by}s, per motive", expanded=False):
            ui.text_table(diffs.assign(
                p_value=diffs["p_value"].map(P.format_p), p_holm=diffs["p_holm"].map(P.format_p),
                p_bh=diffs["p_bh"].map(P.format_p)).rename(columns={
                    "spread_points": "spread (points)", "significant_holm": "real after Holm"}))

# -- content alignment ------------------------------------------------------------------------

st.subheader("Does the brand's content speak to what consumers want?")
if not present:
    st.markdown("Each public message of the brand (posts by its accounts, outbound messages on public channels) "
                "is sorted into a motive by the keyword lexicon below; the mix is then compared with what "
                + ("group A says it wants." if survey else "the study's consumers say they want."))

with ui.connection() as conn:
    lexicon = P.lexicon_frame(conn)
lex = {m: tuple(part["keyword"]) for m, part in lexicon.groupby("motive", sort=False)}
mix, voice = ui.cached(P.brand_content, f, lexicon=lex)
interest = shares[["motive", "consumer_share"]]
before = P.alignment_score(mix, interest)

if not present:
    with st.expander("Keyword lexicon: how messages are sorted into motives", icon=":material/edit_note:"):
        msg = st.session_state.pop("pg_lex_msg", None)
        if msg:
            st.success(_md(msg))
        rev = st.session_state.get("pg_lex_rev", 0)
        motive_options = list(dict.fromkeys(list(P.MOTIVES) + lexicon["motive"].tolist()
                                            + shares["motive"].tolist()))
        edited = st.data_editor(
            lexicon, num_rows="dynamic", hide_index=True, key=f"pg_lexicon_{rev}",
            column_config={"motive": st.column_config.SelectboxColumn("Motive", options=motive_options,
                                                                      required=True, width="large"),
                           "keyword": st.column_config.TextColumn("Keyword or phrase", required=True)})
        st.caption("Matching ignores case, needs whole words (\"sale\" does not match \"wholesale\") and allows a "
                   "plural s. A message goes to the motive with the most keyword hits, else to 'other'.")
        b = st.columns([1, 1, 3])
        if b[0].button("Save lexicon", type="primary", key="pg_lex_save"):
            rows = edited.dropna(subset=["motive", "keyword"])
            rows = rows[rows["keyword"].astype(str).str.strip() != ""]
            with ui.connection() as conn:
                n = P.replace_lexicon(conn, rows)
            st.session_state["pg_lex_rev"] = rev + 1
            st.session_state["pg_lex_msg"] = f"Lexicon saved: {n:,} keywords."
            st.rerun()
        if b[1].button("Reset to defaults", key="pg_lex_reset"):
            with ui.connection() as conn:
                n = P.reset_lexicon(conn)
            st.session_state["pg_lex_rev"] = rev + 1
            st.session_state["pg_lex_msg"] = f"Default lexicon restored: {n:,} keywords."
            st.rerun()
        with st.form("pg_lex_add", clear_on_submit=True, border=False):
            fa = st.columns([2, 3, 1], vertical_alignment="bottom")
            add_motive = fa[0].selectbox("Add to motive", motive_options, key="pg_lex_add_motive")
            add_words = fa[1].text_input("Keywords (comma-separated)", key="pg_lex_add_words")
            if fa[2].form_submit_button("Add"):
                words = [w.strip() for w in add_words.split(",") if w.strip()]
                if words:
                    with ui.connection() as conn:
                        added = P.add_keywords(conn, add_motive, words)
                    st.session_state["pg_lex_rev"] = rev + 1
                    st.session_state["pg_lex_msg"] = f"{added} keyword(s) added to '{add_motive}'."
                    st.rerun()

if not voice["total"]:
    st.info("No public messages from the brand under these filters: name the brand's accounts in brand_accounts "
            "(Data page) or widen the filters.")
else:
    c = st.columns(3)
    c[0].metric("Alignment score", f"{before.score:.0f} / 100" if np.isfinite(before.score) else "–",
                help="100 × (1 − total variation distance) between the content mix and consumer interest, both "
                     "normalised over the motives with a known consumer share. 100: the same proportions; "
                     "0: content only where consumers show no interest.")
    c[1].metric("Content on the compared motives", _pct(before.coverage) or "–",
                help="Share of all the brand's messages that fall on the motives compared (the rest are on motives "
                     "with no known consumer share, or unclassified).")
    c[2].metric("Brand messages", f"{voice['total']:,}")
    _html_list([before.reading])
    if not survey:
        st.caption("Under the IBM preset only the three motives with a published consumer share can be compared; "
                   "choose a survey study for all of them.")

    # The what-if: up to three motives, each shifted by some points of the whole content mix.
    st.markdown("**What if** the brand shifted its content? Choose up to three motives and move points of the "
                "whole content mix onto them (or off them); the other motives give or take in proportion.")
    slots = st.columns(WHAT_IF_SLOTS)
    options = [NONE] + list(before.motives)
    changes: dict[str, float] = {}
    for i, col in enumerate(slots, start=1):
        with col:
            m = st.selectbox(f"Motive {i}", options, key=f"pg_wi_m{i}", **VIEW)
            pts = st.slider(f"Shift {i} (percentage points)", -50, 50, 0, step=1, key=f"pg_wi_s{i}", **VIEW,
                            disabled=m == NONE, help="Points of the brand's whole content mix")
            if m != NONE and pts:
                changes[m] = changes.get(m, 0.0) + float(pts)
    after = P.alignment_score(P.reallocate(mix, changes), interest) if changes else before
    # Like Continuum's what-if: intervals from redrawing what was sampled (the brand's messages and,
    # where the sample size is known, the consumer shares).
    unc = P.alignment_whatif(mix, shares, changes)
    c = st.columns([1, 2])
    moved = changes and np.isfinite(after.score) and np.isfinite(before.score)
    _, a_lo, a_hi = unc["after"]
    _, d_lo, d_hi = unc["change"]
    c[0].metric("Alignment after the what-if", f"{after.score:.0f} / 100" if np.isfinite(after.score) else "–",
                delta=(f"{after.score - before.score:+.1f} points; 95% interval {d_lo:+.1f} to {d_hi:+.1f}"
                       if moved and np.isfinite(d_lo) else None),
                help=f"The same score on the re-allocated content mix; 95% interval {a_lo:.0f} to {a_hi:.0f}."
                if np.isfinite(a_lo) else "The same score on the re-allocated content mix.")
    with c[1]:
        if moved:
            shifts = "; ".join(f"'{m}' {v:+.0f} points" for m, v in changes.items())
            b_lo, b_hi = unc["before"][1:]
            spread = (f"95% intervals: before {b_lo:.0f} to {b_hi:.0f}, after {a_lo:.0f} to {a_hi:.0f}, change "
                      f"{d_lo:+.1f} to {d_hi:+.1f} points, from {unc['draws']} redraws of the brand's messages"
                      + (" (the consumer shares are held fixed: this source publishes no sample sizes)."
                         if unc["fixed_interest"] else " and of the consumer shares (fixed seed)."))
            _html_list([f"Before → after: {before.score:.0f} → {after.score:.0f} of 100 ({shifts}).", after.reading,
                        spread])
        else:
            st.caption("Pick a motive and move its slider to see the score move.")
    caption = f"Brand accounts and public channels · {f.caption()} · consumer interest: {a_label}" + (
        f" ({source})" if survey else " (IBM IBV 2010)")
    ui.chart(figures.content_alignment(before.table, caption, after=after.table if changes else None,
                                  interest_label=a_label), key="pg_alignment")
    _caption(caption)

    st.markdown("**Broadcasting is not a conversation.** Content-centric, broadcast-only strategies mistake "
                "social channels for marketing channels: consumers come to them to connect with people and to get "
                "something of value, and they notice who listens and answers.")
    c = st.columns([1, 3])
    c[0].metric("Broadcast share", _pct(voice["broadcast_share"]),
                help=f"95% Wilson interval {_pct(voice['broadcast_lo'])} to {_pct(voice['broadcast_hi'])}. "
                     "A message is a response when it answers someone (an earlier inbound message in the same "
                     "thread, or a reply to a post by someone else); everything else is a broadcast.")
    with c[1]:
        _html_list([voice["reading"]])
        by_source = voice["by_source"].copy()
        if len(by_source):
            by_source["broadcast_share"] = by_source["broadcast_share"].map(_pct)
            ui.text_table(by_source.rename(columns={"broadcast_share": "broadcast share"}))
        if voice.get("counted_once"):
            st.caption(f"{voice['counted_once']:,} of the brand's posts are also recorded as outbound public "
                       "interactions (same id, or same text at the same second): each is counted once, as the "
                       "interaction.")
    ui.caption(f)

st.divider()
st.caption("Reference figures: " + P.CITATION)

ui.page_end()
