"""Listening: volume and sentiment over time, terms and emerging terms, spikes, and people's corrections."""

import datetime as dt

import pandas as pd
import streamlit as st

import ui
from analysis import authors, listening
from analysis.charts import listening as figures
from ui import role_picker, sentiment_tools

ui.page_intro(
    "listening",
    "Listening",
    "What people say about the brand in public, and how it feels: volume and sentiment over time, the "
    "terms that are rising, the days that break out of the normal range, and the posts behind them. "
    "Sentiment is machine-scored (VADER) and can be wrong: every score sits next to its text, and anyone "
    "can correct it.",
)
if ui.no_data_notice():
    st.stop()

URL = dict(bind="query-params", persist_state="session")
f = ui.filters()
roles = role_picker.picker(key="ls_roles")
by = role_picker.words(roles)
cap = f"{f.caption()}; posts by {by}"

c = st.columns([2, 3])
grain = c[0].segmented_control("Time grain", list(listening.GRAINS), default="week", required=True,
                               key="ls_grain", **URL) or "week"
reshares = c[1].toggle("Count reshares in volume and sentiment", value=True, key="ls_reshares", **URL,
                       help="A reshare ('RT …', or a post marked as a reshare) repeats someone else's post. "
                            "Counting it measures how far a post travelled; leaving it out counts only what "
                            "people wrote. Term counts always leave reshares out.")

rows_all = ui.cached(listening.daily, listening.sql_filters(f))
view = listening.narrow(rows_all, f, reshares, roles=roles)
every_day = listening.narrow(rows_all, f, reshares, dates=False, roles=roles)
s = listening.summary(view)
corr = ui.cached(listening.corrections, 1000)
# The list of corrections is needed anyway; count separately only when it is cut.
n_corrected = len(corr) if len(corr) < 1000 else ui.cached(listening.correction_count)


def _keep_valid(key: str, options: list) -> None:
    """Forget a pick that the current filters no longer offer (the options change with them)."""
    if st.session_state.get(key) is not None and st.session_state[key] not in options:
        del st.session_state[key]


def pct(v: float) -> str:
    return "–" if pd.isna(v) else f"{v:.0%}"


st.subheader("Volume and sentiment")
st.caption(ui.escape_md(cap))
m = st.columns(6)
m[0].metric("Posts", f"{s.posts:,}", help=f"Of which {s.reshares:,} reshares" if reshares else
            "Reshares left out (see the toggle above)")
m[1].metric("Mean sentiment", "–" if pd.isna(s.mean_sentiment) else f"{s.mean_sentiment:+.2f}",
            help="Mean VADER compound score in [−1, 1] over posts that have a score (posts without text have none)")
m[2].metric("Positive", pct(s.positive_share), help="Compound score ≥ +0.05 (VADER's convention)")
m[3].metric("Neutral", pct(s.neutral_share), help="Compound score between −0.05 and +0.05")
m[4].metric("Negative", pct(s.negative_share), help="Compound score ≤ −0.05 (VADER's convention)")
m[5].metric("Corrected by people", f"{n_corrected:,}",
            help=f"Posts whose machine score a person replaced ({s.corrected:,} of them under these filters). "
                 "Every page uses the corrected score; the machine score is kept and can be restored below.")
st.caption("Labels follow VADER's convention: positive when the compound score is at least +0.05, negative "
           "when it is at most −0.05, neutral in between. Posts without a score are left out of the shares.")
with st.expander("By author role: linked customers, other public voices, the brand's own accounts", expanded=True):
    per_role = listening.role_summaries(listening.narrow(rows_all, f, reshares))
    ui.text_table(pd.DataFrame({
        "Authors": per_role["label"], "Posts": per_role["posts"], "Mean sentiment": per_role["mean_sentiment"],
        "Positive": per_role["positive_share"] * 100, "Neutral": per_role["neutral_share"] * 100,
        "Negative": per_role["negative_share"] * 100, "Shown above": per_role["role"].isin(roles)}),
        column_config={"Mean sentiment": st.column_config.NumberColumn(format="%+.2f"),
                       **{k: st.column_config.NumberColumn(format="%.0f%%") for k in ("Positive", "Neutral",
                                                                                     "Negative")}},
        key="ls_role_table")
    st.caption("Each post counts once, under its author's role: the brand (its accounts in brand_accounts), a "
               "customer (a handle linked in identities) or another public voice. Choose Authors above to see "
               "one voice alone, the brand's included.")
sentiment_tools.agreement_note()

if s.posts == 0:
    st.info("No posts under these filters.")
    st.stop()

lo, hi = listening.day_range(every_day if len(every_day) else rows_all, f)
partial = listening.partial_periods(lo, hi, grain)
ot = listening.over_time(view, grain)
ui.chart(figures.volume_by_platform(ot, grain, cap, partial), key="ls_volume")
c = st.columns(2)
with c[0]:
    ui.chart(figures.sentiment_by_platform(ot, grain, cap), key="ls_mean")
with c[1]:
    ui.chart(figures.sentiment_shares(listening.over_time(view, grain, by_platform=False), grain, cap),
              key="ls_shares")


# -- posts tables ---------------------------------------------------------------------------------

def show_posts(rows: pd.DataFrame, key: str | None = None, select: bool = False, height: int | str = "auto"):
    """Posts as text (never Markdown), score next to text, linked customers as links to their 360 view."""
    table = pd.DataFrame({
        "Posted": rows["created_at"],
        "Platform": rows["platform"],
        "Author": rows["author_handle"],
        "Author role": rows["role"].map(authors.ROLE_LABELS),
        "Customer": [ui.customer_url(cid) if isinstance(cid, str) and cid else None for cid in rows["customer_id"]],
        "Score": rows["sentiment"],
        "Text": rows["text"],
        "Label": rows["label"],
        "Machine score": rows["machine"],
        "Corrected": rows["corrected"],
        "Likes": rows["likes"],
        "Reshare": rows["reshare"].astype(bool),
        "Post": rows["post_id"],
    })
    config = {
        "Customer": st.column_config.LinkColumn("Customer", display_text=r"customer=(.*)$",
                                                help="Linked customer: opens their Customer 360 view"),
        "Score": st.column_config.NumberColumn("Score", format="%+.2f",
                                               help="Sentiment used everywhere (a person's correction if any)"),
        "Text": st.column_config.TextColumn("Text", width="large"),
        "Machine score": st.column_config.NumberColumn("Machine score", format="%+.2f",
                                                       help="VADER's score, kept when a person corrected it"),
    }
    kwargs = dict(column_config=config, key=key, height=height)
    if select:
        kwargs.update(on_select="rerun", selection_mode="single-row")
    return ui.text_table(table, **kwargs)


# -- terms ----------------------------------------------------------------------------------------

st.subheader("Terms and hashtags")
c = st.columns(2)
recent_days = c[0].selectbox("Recent period", [7, 14, 30], index=1, format_func=lambda d: f"The last {d} days",
                             key="ls_recent", **URL,
                             help="Ends on the last day of the date range in the sidebar.")
baseline_days = c[1].selectbox("Compared with", [30, 90, 180, 0], index=1,
                               format_func=lambda d: "Every earlier day in the range" if d == 0
                               else f"The {d} days before", key="ls_baseline", **URL)
periods = listening.periods(lo, hi, recent_days or 14, baseline_days or None)
terms = ui.cached(listening.terms, f, periods, roles=roles)
st.caption(
    f"{periods.describe()} Terms are counted over these two periods, in original posts by {by} only "
    f"({terms.n_all:,} posts; reshares repeat someone else's words), once per post, after dropping stop words, "
    "mentions, links and numbers; to count the whole date range, compare with every earlier day. "
    "A term is emerging when a larger share of recent posts uses it than of baseline posts and Dunning's "
    "log-likelihood G² (2×2 table: posts with and without the term, recent and baseline; one degree of "
    "freedom) stays significant after a Benjamini–Hochberg correction over every term tested (q < 0.05), "
    "with at least 5 recent posts.")
if terms.covered_share < 1:
    st.caption(f"Counts cover {terms.distinct_texts:,} distinct texts (the most repeated, then the newest): "
               f"{terms.covered_share:.0%} of original posts in the two periods. A larger range holds more different "
               "texts than can be read in about a second.")
tcap = (f"{f.caption()}; {role_picker.words(roles, short=True)}; "
        f"{periods.base_start:%d %b %Y} to {periods.end:%d %b %Y}")
c = st.columns(2)
with c[0]:
    ui.chart(figures.top_terms(terms.top("term", 20), "Top terms in original posts", tcap, total=terms.n_all),
              key="ls_top_terms")
with c[1]:
    ui.chart(figures.top_terms(terms.top("hashtag", 15), "Top hashtags in original posts", tcap,
                                colour=ui.charts.ORANGE, total=terms.n_all), key="ls_top_tags")

emerging = terms.emerging(25)
st.markdown("**Emerging terms**")
if not periods.has_baseline:
    st.info("The date range is too short to have a baseline before the recent period: widen it in the sidebar.")
elif emerging.empty:
    st.info(f"No term rose significantly in the recent period ({terms.n_recent:,} recent posts against "
            f"{terms.n_base:,} baseline posts).")
else:
    c = st.columns([2, 3])
    with c[0]:
        ui.chart(figures.emerging_terms(emerging.head(15), cap), key="ls_emerging")
    with c[1]:
        ui.text_table(pd.DataFrame({
            "Term": emerging["term"],
            "Recent posts": emerging["n_recent"],
            "Baseline posts": emerging["n_base"],
            "Recent share": emerging["share_recent"] * 100,
            "Baseline share": emerging["share_base"] * 100,
            "Rise": emerging["ratio"],
            "G²": emerging["g2"],
            "p": emerging["p"],
            "q (BH)": emerging["q"],
            "Example posts": [" · ".join(x) for x in emerging["examples"]],
        }), column_config={
            "Recent share": st.column_config.NumberColumn(format="%.2f%%"),
            "Baseline share": st.column_config.NumberColumn(format="%.2f%%"),
            "Rise": st.column_config.NumberColumn(format="×%.1f", help="Recent share / baseline share, with 0.5 "
                                                  "added to both counts so a new term has a finite rise"),
            "G²": st.column_config.NumberColumn(format="%.1f"),
            "p": st.column_config.NumberColumn(format="%.1e"),
            "q (BH)": st.column_config.NumberColumn(format="%.1e"),
            "Example posts": st.column_config.TextColumn(width="large"),
        })
    st.caption(f"{terms.n_recent:,} original posts in the recent period, {terms.n_base:,} in the baseline.")

term_options = list(dict.fromkeys([*emerging["term"], *terms.top("term", 20)["term"],
                                   *terms.top("hashtag", 15)["term"]]))
_keep_valid("ls_term", term_options)
term = st.selectbox("Show the posts that use a term", term_options, index=None, key="ls_term",
                    placeholder="Pick a term or hashtag")
if term:
    texts = tuple(terms.texts.get(term, [])[:200])
    rows = ui.cached(listening.posts, listening.window_filters(f, periods), texts=texts, reshares=False, limit=300,
                      roles=roles)
    st.caption("Original posts using the chosen term in the two compared periods, newest first (at most 300).")
    show_posts(rows, key="ls_term_posts", height=320)


# -- spikes ----------------------------------------------------------------------------------------

st.subheader("Spikes")
first_day = dt.date.fromisoformat(every_day["day"].min()) if len(every_day) else lo
totals = listening.daily_totals(every_day, first_day, max(hi, first_day))
sp_all = listening.spikes(totals)
sp = sp_all[(sp_all["day"] >= pd.Timestamp(lo)) & (sp_all["day"] <= pd.Timestamp(hi))]
flagged = sp[sp["spike"]].assign(strength=lambda d: d[["volume_z", "negative_z"]].max(axis=1))
st.caption(
    f"A day is a spike when its posts, or its share of negative posts, lie at least "
    f"{listening.SPIKE_THRESHOLD} robust standard deviations above the median of the "
    f"{listening.SPIKE_WINDOW} days before it (spread: the median absolute deviation × 1.4826, never below "
    f"the noise expected by chance) and at least {listening.SPIKE_MIN_RISE:g} times that usual level; a "
    f"negative-share spike also needs {listening.SPIKE_MIN_POINTS:.0%} points above the usual share and "
    f"{listening.SPIKE_MIN_NEGATIVE} negative posts that day. Days before the range serve as baseline for its "
    "first days.")
ordered = flagged.sort_values("strength", ascending=False)
spike_days = [d.strftime("%Y-%m-%d") for d in ordered["day"]]
reasons = dict(zip(spike_days, ordered["reason"]))
_keep_valid("ls_spike", spike_days)
c = st.columns([1, 4])
c[0].metric("Spike days", f"{len(flagged):,}", help=f"Of {len(sp):,} days in the range")
day = c[1].selectbox("Spike day (strongest first)", spike_days, index=0 if spike_days else None, key="ls_spike",
                     format_func=lambda d: f"{dt.date.fromisoformat(d):%a %d %b %Y}: {reasons.get(d, '')}",
                     placeholder="No spike in this range")
ui.chart(figures.spikes(sp, cap, selected=day), key="ls_spikes")
if day:
    neg = bool(flagged.loc[flagged["day"] == pd.Timestamp(day), "negative_spike"].any())
    # The day's posts do not depend on the date range around it: moving the range keeps them cached.
    rows = ui.cached(listening.posts, listening.day_filters(f), day=day, reshares=reshares,
                     order="negative" if neg else "likes", limit=300, roles=roles)
    n_day = int(sp.loc[sp["day"] == pd.Timestamp(day), "posts"].sum())
    st.caption(f"The posts of {dt.date.fromisoformat(day):%A %d %B %Y} ({n_day:,}), "
               + ("most negative first" if neg else "most liked first") + f"; showing {len(rows):,}.")
    show_posts(rows, key="ls_day_posts", height=360)


# -- posts and corrections -------------------------------------------------------------------------

st.subheader("Posts, and corrections by people")
st.caption("VADER reads words, not intent: it misses sarcasm, complaints without angry words ('Nobody answers "
           "the phone') and slang. Pick a post and set its sentiment: the correction is stored with the post, "
           "the machine score is kept beside it, every page uses the corrected score, and it can be reverted.")
c = st.columns([3, 2])
search = c[0].text_input("Text contains", key="ls_search", **URL, placeholder="e.g. refund")
label = c[1].selectbox("Sentiment", ["all", "negative", "neutral", "positive", "corrected"], key="ls_label", **URL,
                       format_func=lambda v: {"all": "All posts", "corrected": "Corrected by people"}.get(
                           v, v.capitalize()))
label_arg = None if label in (None, "all") else label
rows = ui.cached(listening.posts, f, search=search or None, label=label_arg, reshares=reshares, limit=500,
                  roles=roles)
if search or label_arg:
    total = ui.cached(listening.post_count, f, search=search or None, label=label_arg, reshares=reshares,
                       roles=roles)
else:
    total = s.posts
st.caption(f"{total:,} posts by {by} match; the newest {min(len(rows), 500):,} are listed. Select a row to "
           "correct it.")
event = show_posts(rows, key="ls_posts", select=True, height=420)

ids = rows["post_id"].tolist()
picked = event.selection.rows if event is not None and hasattr(event, "selection") else []
# Follow the table only when its selection changes, so a post picked in the box below stays picked.
picked_id = ids[picked[0]] if picked and picked[0] < len(ids) else None
if picked_id and picked_id != st.session_state.get("_ls_table_pick"):
    st.session_state["ls_correct_post"] = picked_id
st.session_state["_ls_table_pick"] = picked_id
_keep_valid("ls_correct_post", ids)
snippet = dict(zip(rows["post_id"], rows["text"].fillna("").str.slice(0, 90)))
post_id = st.selectbox("Post to correct", ids, index=None, key="ls_correct_post",
                       format_func=lambda pid: f"{pid} · {snippet.get(pid, '')}",
                       placeholder="Select a row in the table, or pick a post here")


def _save(ids_: list[str], choice: str) -> None:
    with ui.connection() as conn:
        n = listening.correct(conn, ids_, choice)
    st.session_state["ls_message"] = f"Saved: {n:,} post{'s' if n != 1 else ''} now scored {choice} " \
                                     f"({listening.CORRECTION_SCORES[choice]:+.2f})."


def _revert(ids_: list[str] | None) -> None:
    with ui.connection() as conn:
        n = listening.revert(conn, ids_)
    st.session_state["ls_message"] = f"Reverted: {n:,} post{'s' if n != 1 else ''} back to the machine score."


if post_id:
    row = rows.loc[rows["post_id"] == post_id].iloc[0]
    with st.container(border=True):
        st.text(row["text"] if isinstance(row["text"], str) else "(no text)")
        score_note = f"Score now {row['sentiment']:+.2f} ({row['label']})" if pd.notna(row["sentiment"]) \
            else "No score"
        if row["corrected"]:
            score_note += f", corrected by a person; machine score {row['sentiment_vader']:+.2f}"
        st.caption(score_note)
        c = st.columns([3, 2, 1])
        choice = c[0].select_slider("Correct the sentiment to", list(listening.CORRECTION_SCORES),
                                    value="neutral", key="ls_correct_to",
                                    format_func=lambda k: f"{k} ({listening.CORRECTION_SCORES[k]:+.1f})")
        same = ui.cached(listening.same_words, post_id)
        also = False
        if len(same) > 1:
            others = len(same) - 1
            also = c[1].checkbox(f"Also {others:,} more with these words", key="ls_correct_all",
                                 help="Posts with exactly this text, and reshares of it ('RT ' + text)")
        c[2].button("Save correction", key="ls_save", type="primary", on_click=_save,
                    args=(same if also else [post_id], choice))
if "ls_message" in st.session_state:
    st.success(st.session_state.pop("ls_message"))

with st.expander(f"Scores corrected by people: {n_corrected:,}", expanded=bool(n_corrected)):
    if corr.empty:
        st.caption("No correction yet.")
    else:
        show_posts(corr, key="ls_corrections", height="auto" if len(corr) < 8 else 300)
        c = st.columns([3, 1, 1])
        short = dict(zip(corr["post_id"], corr["text"].fillna("").str.slice(0, 80)))
        _keep_valid("ls_revert_post", corr["post_id"].tolist())
        undo = c[0].selectbox("Correction to revert", corr["post_id"].tolist(), index=None, key="ls_revert_post",
                              format_func=lambda pid: f"{pid} · {short.get(pid, '')}")
        c[1].button("Revert", key="ls_revert", disabled=undo is None, on_click=_revert, args=([undo],))
        c[2].button("Revert all", key="ls_revert_all", on_click=_revert, args=(None,))


# -- sentiment quality (issue #15: its own section) ------------------------------------------------

sentiment_tools.render()

ui.page_end()
