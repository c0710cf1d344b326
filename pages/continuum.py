"""Continuum: every channel from public to private, journeys between them, going public, talk/listen and what if."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from analysis import continuum, publicness
from analysis.charts import continuum as figures
from ui import sentiment_tools

ui.page_intro(
    "continuum",
    "Continuum: from public to private",
    "On the left of the continuum is the **social and public** (posts, public replies, reviews), on the right "
    "the **engaged and private**, one to one (DM, email, chat, phone, store). A conversation taken private "
    "stops being social until one side brings it back into public: a vent, a complaint, a review, kudos. "
    "This page tests whether slow or broken private processes are what sends customers public.",
)
if ui.no_data_notice():
    st.stop()

f = ui.filters()
caption = f.caption()
vocab = ui.cached(continuum.vocabulary)
channels = list(vocab["channel"])
labels = continuum.labels_of(vocab)


def _label(channel: str) -> str:
    return labels.get(channel, channel)


def _path_words(path: str) -> str:
    return "All journeys" if not path else continuum.path_label(path, labels)


def _param(key: str, default, cast):
    """A bound widget's value even when its tab has not been drawn yet: session, then URL, then default."""
    if key in st.session_state:
        return st.session_state[key]
    raw = st.query_params.get(key)
    try:
        return cast(raw) if raw is not None else default
    except (TypeError, ValueError):
        return default


# -- focus: set by the widgets, by a click on a chart, or by the URL -------------------------------

def _focus_from_chart() -> None:
    chosen = continuum.focus_from_selection(st.session_state.get("continuum_chart"), channels)
    if chosen:
        st.session_state["focus"] = chosen


def _path_from_chart() -> None:
    chosen = continuum.path_from_selection(st.session_state.get("paths_chart"))
    if chosen:
        st.session_state["focus_path"] = chosen


def _clear_focus() -> None:
    st.session_state["focus"] = []
    st.session_state["focus_path"] = ""


def _focus_path() -> str:
    """The focus journey, whichever tab is open: its widget lives on the Journeys tab."""
    if "focus_path" in st.session_state:
        return st.session_state["focus_path"] or ""
    # A shared link carries the journey in words, as the widget shows it.
    raw = st.query_params.get("focus_path")
    return continuum.path_from_label(raw, labels) if raw else ""


c1, c2 = st.columns([6, 1], vertical_alignment="bottom")
focus = c1.multiselect(
    "Focus channel", channels, key="focus", bind="query-params", persist_state="session", format_func=_label,
    placeholder="All channels",
    help="Narrows the page to these channels: channel charts show only them, conversation figures only "
         "conversations that started on them. Click a channel in the continuum chart to set it.")
path = _focus_path()
c2.button("Clear focus", key="clear_focus", on_click=_clear_focus, disabled=not (focus or path))
focus_t = tuple(focus)
chan_caption = caption + (f" · Channels: {', '.join(_label(c) for c in focus)}" if focus else "")
conv_caption = caption
if focus or path:
    parts = ([f"conversations that started on {', '.join(_label(c) for c in focus)}"] if focus else []) + \
        ([f"that followed {_path_words(path)}"] if path else [])
    # Under every chart and in every export, so a picture never loses what it was narrowed to.
    conv_caption = f"{caption} · Focus: {' '.join(parts)}"
    st.caption(ui.escape_md(conv_caption + (" (journey set on the Journeys tab)" if path else "")))

tabs = st.tabs(["Continuum", "Journeys", "Going public", "Talk / listen", "What if"], key="section",
               bind="query-params")


def _pct(v) -> str:
    return "–" if v is None or pd.isna(v) else f"{v:.0%}"


def _as_percent(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Shares as 0–100 for display with a % sign (st.column_config's "percent" shows two decimals)."""
    return df.assign(**{c: df[c].astype(float) * 100 for c in cols})


def _pct_col(label: str):
    return st.column_config.NumberColumn(label, format="%.0f%%")


# -- 1. the continuum itself ------------------------------------------------------------------------

with tabs[0]:
    if tabs[0].open:
        cv = ui.cached(continuum.channel_view, f)
        table = cv.table
        m = st.columns(4)
        m[0].metric("Touches", f"{cv.touches:,}", help="Every company–customer interaction under the filters")
        m[1].metric("On the public half", _pct(cv.public_share),
                    help=f"Touches on channels with publicness of at least {publicness.PUBLIC_THRESHOLD}")
        m[2].metric("Active customers", f"{cv.active_customers:,}")
        m[3].metric("Channels in use", f"{cv.channels_used:,} of {len(table):,}")
        ui.chart(figures.channel_continuum(table, chan_caption, focus, publicness.PUBLIC_THRESHOLD),
                 key="continuum_chart",
                  on_select=_focus_from_chart, selection_mode="points")
        st.caption(
            f"Sentiment is VADER's compound score of what customers wrote: their messages on each channel "
            f"(scored per distinct text: {cv.texts_scored:,} of {cv.texts_distinct:,}), and, for public posts "
            "and replies, the stored score of posts by accounts linked to customers. Company messages are "
            "not scored. Hollow circles: nothing customers wrote there.")
        sentiment_tools.agreement_note()
        shown = continuum.focus_channels(table, focus)
        ui.text_table(
            _as_percent(shown, ["customer_share", "talk_share"])[
                ["label", "publicness", "inbound", "outbound", "customers", "customer_share", "talk_share",
                 "sentiment", "sentiment_n", "sentiment_source"]],
            column_config={
                "label": "Channel", "publicness": st.column_config.NumberColumn("Publicness", format="%.2f"),
                "inbound": st.column_config.NumberColumn("Customers → company", format="localized"),
                "outbound": st.column_config.NumberColumn("Company → customers", format="localized"),
                "customers": st.column_config.NumberColumn("Customers", format="localized"),
                "customer_share": _pct_col("Share of customers"), "talk_share": _pct_col("Company talk share"),
                "sentiment": st.column_config.NumberColumn("Mean sentiment", format="%+.2f"),
                "sentiment_n": st.column_config.NumberColumn("Scored", format="localized"),
                "sentiment_source": "Sentiment of",
            }, width="stretch", height=35 * (len(shown) + 1) + 3, export_name="Channels on the continuum",
            key="channels_table")
        with st.expander("Place the channels on the continuum (saved for everyone using this database)"):
            st.caption("1 is fully public, 0 private and one to one; from "
                       f"{publicness.PUBLIC_THRESHOLD} up a channel counts as public. Every figure on this page "
                       "follows the saved placement.")
            editor_df = vocab[["channel", "label", "publicness", "description"]].reset_index(drop=True)
            edited = st.data_editor(
                editor_df, key="publicness_editor", hide_index=True, disabled=["channel", "label", "description"],
                column_config={"publicness": st.column_config.NumberColumn(
                    "Publicness", min_value=0.0, max_value=1.0, step=0.05, format="%.2f", required=True)},
                width="stretch")
            changes = {ch: float(new) for ch, new, old in
                       zip(edited["channel"], edited["publicness"], editor_df["publicness"])
                       if pd.notna(new) and abs(float(new) - float(old)) > 1e-9}

            def _save(pending: dict[str, float]) -> None:
                with ui.connection() as conn:
                    publicness.save(conn, pending)
                ui.clear_cache()
                st.session_state.pop("publicness_editor", None)
                st.session_state["_publicness_saved"] = len(pending)

            st.button(f"Save {len(changes)} change{'s' if len(changes) != 1 else ''}" if changes else "Save",
                      key="save_publicness", on_click=_save, args=(changes,), disabled=not changes, type="primary")
            saved = st.session_state.pop("_publicness_saved", None)
            if saved:
                st.success(f"Saved the publicness of {saved} channel{'s' if saved != 1 else ''}.")
        ui.chart(figures.channel_mix_over_time(cv.monthly, chan_caption, focus), key="mix")

# -- 2. journeys -----------------------------------------------------------------------------------

with tabs[1]:
    if tabs[1].open:
        path_choices = ui.cached(continuum.path_options, f)
        if path and path not in path_choices:
            path_choices = [path, *path_choices]
        path = st.selectbox(
            "Focus journey", ["", *path_choices], key="focus_path", bind="query-params", persist_state="session",
            format_func=_path_words,
            help="Only conversations that followed exactly this path (channels in order, repeats collapsed), "
                 "on every tab. Click a bar in the commonest journeys chart to set it.") or ""
        jv = ui.cached(continuum.journeys_view, f, focus_t, path or None)
        m = st.columns(4)
        m[0].metric("Conversations", f"{jv.threads:,}",
                    help="Threads with at least two touches, started under the filters (and the focus)")
        m[1].metric("Resolved", _pct(jv.resolved / jv.threads if jv.threads else None),
                    help="Share with a touch whose kind means 'resolves' (the kinds vocabulary, on the Data page)")
        m[2].metric("Taken private", f"{jv.taken_offline:,}",
                    delta=(f"{jv.taken_offline_resolved / jv.taken_offline:.0%} resolved"
                           if jv.taken_offline else None), delta_color="off", delta_arrow="off",
                    help="Conversations with a move from a public channel to a private one")
        m[3].metric("Went public", f"{jv.went_public:,}",
                    delta=f"{jv.went_public_resolved / jv.went_public:.0%} resolved" if jv.went_public else None,
                    delta_color="off", delta_arrow="off",
                    help="Conversations with a move from a private channel to a public one")
        if jv.went_public and len(jv.went_public_kinds):
            kinds = ", ".join(f"{r.kind} {r.n:,} ({r.n / jv.went_public:.0%})" for r in
                              jv.went_public_kinds.itertuples())
            st.caption(ui.escape_md(f"First public touch after a private one, by kind: {kinds}."))
        if jv.threads > continuum.MANY_THREADS:
            st.info(f"{jv.threads:,} conversations: every number is computed over all of them; the charts draw "
                    f"only the {continuum.MAX_DRAWN_MOVES} largest flows and the "
                    f"{continuum.MAX_DRAWN_PATHS} commonest journeys.")
        level = st.radio("Show moves between", ["Channels", "Public and private halves"], key="sankey_level",
                         horizontal=True, bind="query-params", persist_state="session")
        ui.chart(figures.journey_sankey(jv.moves, labels, conv_caption,
                                    level="side" if level.startswith("Public") else "channel",
                                    max_links=continuum.MAX_DRAWN_MOVES), key="sankey")
        ui.chart(figures.common_paths(jv.paths, conv_caption, max_paths=continuum.MAX_DRAWN_PATHS,
                                      focus_path=path or None),
                  key="paths_chart", on_select=_path_from_chart, selection_mode="points")
        ui.text_table(
            _as_percent(jv.paths.head(50), ["share", "resolved_share"])[
                ["label", "n", "share", "resolved_share", "crossing"]],
            column_config={"label": "Journey (channels in order)",
                           "n": st.column_config.NumberColumn("Conversations", format="localized"),
                           "share": _pct_col("Share"), "resolved_share": _pct_col("Resolved"),
                           "crossing": "Crossed the halves"}, width="stretch", export_name="Commonest journeys",
            key="paths_table")
        if len(jv.paths) > 50:
            st.caption(f"The 50 commonest of {len(jv.paths):,} distinct journeys.")

# -- 3. going public ------------------------------------------------------------------------------

with tabs[2]:
    if tabs[2].open and ui.cached(continuum.public_only):
        esc = ui.cached(continuum.escalation_view, f, focus_t, path or None)
        st.warning(continuum.PUBLIC_ONLY_NOTE.format(threshold=publicness.PUBLIC_THRESHOLD)
                   + " Measured instead: escalation.", icon=":material/info:")
        m = st.columns(4)
        m[0].metric("Conversations started by customers", f"{esc.conversations:,}")
        m[1].metric("Answered by the brand", f"{esc.answered:,}",
                    delta=f"{esc.unanswered:,} unanswered", delta_color="off", delta_arrow="off")
        m[2].metric("Escalated", _pct(esc.rate if esc.answered else None),
                    delta=f"{esc.escalated:,} of {esc.answered:,} answered", delta_color="off", delta_arrow="off",
                    help=f"95% Wilson interval {_pct(esc.low)} to {_pct(esc.high)}")
        st.caption(continuum.ESCALATION_RULE)
        ui.chart(figures.going_public_rates(
            esc.by_first_response, "Escalation by time to the brand's first reply", conv_caption,
            x_title="Time to the brand's first reply", order=list(continuum.FIRST_RESPONSE_BINS[1])),
            key="esc_first_response")
        ui.chart(figures.going_public_rates(
            esc.by_first_reply, "Escalation by what the brand's first reply did", conv_caption,
            x_title="The brand's first reply"), key="esc_first_reply")
        st.caption("Bars are shares of answered conversations; whiskers are 95% Wilson intervals and n is the "
                   "number of conversations in each group. A reply that asks to move to a private channel is "
                   f"one whose kind means '{continuum.HANDOFF_MEANING}' (the kinds vocabulary on the Data page).")
    elif tabs[2].open:
        has_brand = ui.cached(continuum.brand_accounts_known)
        c1, c2 = st.columns(2)
        window = c1.slider("Days after resolution that still count", 0, 30, 7, key="gp_window",
                           bind="query-params", persist_state="session",
                           help="A post counts when it falls between the conversation's start and this many days "
                                "after its resolution (after its last touch when it was never resolved).")
        brand_only = c2.toggle("Only posts addressed to the brand", value=has_brand, key="gp_brand",
                               bind="query-params", persist_state="session", disabled=not has_brand,
                               help="Posts that mention a brand account (@handle) or reply to one of its posts. "
                                    "Off: any post by the customer in the window.")
        gp = ui.cached(continuum.going_public_view, f, focus_t, path or None, int(window),
                        bool(brand_only and has_brand))
        m = st.columns(4)
        m[0].metric("Linked conversations", f"{gp.linked:,}",
                    delta=f"of {gp.conversations:,} ({gp.linked / gp.conversations:.0%})" if gp.conversations
                    else None, delta_color="off", delta_arrow="off",
                    help="Only customers linked to a social account (identities) can be seen going public")
        m[1].metric("Followed by a public vent", _pct(gp.vents / gp.linked if gp.linked else None),
                    delta=f"{gp.vents:,} conversations", delta_color="off", delta_arrow="off",
                    help="A negative post (VADER ≤ −0.05) by the customer in the window")
        m[2].metric("Followed by kudos", _pct(gp.kudos / gp.linked if gp.linked else None),
                    delta=f"{gp.kudos:,} conversations", delta_color="off", delta_arrow="off",
                    help="A positive post (VADER ≥ +0.05) by the customer in the window")
        m[3].metric("Public posts matched", f"{gp.posts_matched:,}")
        ui.chart(figures.going_public_rates(
            gp.by_resolution, "Going public by resolution time", conv_caption,
            x_title="Time from first contact to resolution",
            order=[*continuum.RESOLUTION_BINS[1], continuum.NOT_RESOLVED]), key="gp_resolution")
        ui.chart(figures.going_public_rates(
            gp.by_first_response, "Going public by first-response time", conv_caption,
            x_title="Time to the company's first reply",
            order=[*continuum.FIRST_RESPONSE_BINS[1], continuum.NO_RESPONSE]), key="gp_first_response")
        ui.chart(figures.going_public_rates(
            gp.by_channel, "Going public by the channel the conversation started on", conv_caption,
            x_title="Starting channel"), key="gp_channel")
        st.caption("Bars are shares of conversations with a linked customer; whiskers are 95% Wilson intervals "
                   "and n is the number of conversations in each group.")
        if len(gp.moments):
            st.markdown("**When the public moments happened** (distinct posts)")
            mom = gp.moments.pivot_table(index="moment", columns="timing", values="n", fill_value=0, aggfunc="sum")
            ui.text_table(mom.reset_index().rename(columns={"moment": "Moment"}))

# -- 4. talk / listen --------------------------------------------------------------------------------

with tabs[3]:
    if tabs[3].open:
        scope = st.radio("Touches counted", ["All touches", "Conversations only"], key="tl_scope", horizontal=True,
                         bind="query-params", persist_state="session",
                         help="All touches includes marketing sends (talk) and orders (listen), as on the "
                              "Overview; conversations only counts service threads and follows the focus journey.")
        if scope == "All touches":
            monthly = ui.cached(continuum.channel_view, f).monthly
        else:
            monthly = ui.cached(continuum.conversation_monthly, f, focus_t, path or None)
        tl = continuum.talk_listen(monthly, focus)
        tl_caption = chan_caption if scope == "All touches" else conv_caption
        m = st.columns(4)
        m[0].metric("Company talk share", _pct(tl.talk_share),
                    delta=(f"{(tl.talk_share - continuum.TALK_RULE) * 100:+.0f} pts vs "
                           f"{continuum.TALK_RULE:.0%} rule") if tl.inbound + tl.outbound else None,
                    delta_color="inverse", help="Outbound touches ÷ all touches")
        m[1].metric("Listen share", _pct(1 - tl.talk_share if tl.inbound + tl.outbound else None))
        m[2].metric("Company → customers", f"{tl.outbound:,}")
        m[3].metric("Customers → company", f"{tl.inbound:,}")
        ui.chart(figures.talk_listen(tl.per_channel, tl_caption, overall=tl.talk_share, rule=continuum.TALK_RULE),
                  key="talk_listen")
        ui.chart(figures.talk_listen_over_time(tl.over_time, tl_caption, rule=continuum.TALK_RULE), key="talk_time")
        st.caption(f"The {continuum.TALK_RULE:.0%}/{1 - continuum.TALK_RULE:.0%} talk/listen split is a "
                   "practitioners' rule of thumb, drawn as a reference, not a target computed from the data.")

# -- 5. what if ------------------------------------------------------------------------------------

with tabs[4]:
    if tabs[4].open and ui.cached(continuum.public_only):
        st.warning(continuum.WHATIF_PUBLIC_ONLY, icon=":material/info:")
    elif tabs[4].open:
        has_brand = ui.cached(continuum.brand_accounts_known)
        window = int(_param("gp_window", 7, int))
        brand_only = bool(_param("gp_brand", has_brand, lambda v: str(v).lower() in ("true", "1"))) and has_brand
        c1, c2 = st.columns(2)
        cut = c1.slider("Resolution time −X%", 0, 90, 30, step=5, key="wi_cut", format="%d%%",
                        bind="query-params", persist_state="session",
                        help="Every resolved conversation resolved this much faster")
        cap = c2.select_slider("First response within Y hours", ["no change", 72, 48, 24, 12, 8, 4, 2, 1],
                               value=24, key="wi_frt", bind="query-params", persist_state="session",
                               help="Every first reply that came later than this arrives at this time")
        cap_h = None if cap == "no change" else float(cap)
        wi = ui.cached(continuum.whatif_view, f, focus_t, path or None, window, brand_only, cut / 100, cap_h)
        whatif_words = continuum.whatif_words(cut / 100, cap_h)
        st.markdown(f"**What if:** {whatif_words}, applied to the {wi.population:,} conversations with a "
                    "linked customer in view. Going public is counted as on the Going public tab "
                    f"(posts up to {window} days after resolution"
                    f"{', addressed to the brand' if brand_only else ''}).")
        m = st.columns(2)
        for col, outcome in zip(m, ("vent", "kudos")):
            e = wi.effects.get(outcome)
            name = figures.OUTCOME_NAMES[outcome]
            if e is None:
                col.metric(name, "–", help=wi.notes.get(outcome, "No model"))
                continue
            col.metric(f"{name}: expected", f"{e['baseline']:,.0f} → {e['whatif']:,.0f}",
                       delta=(f"{e['change']:+,.0f} ({e['relative']:+.0%}); 95% interval "
                              f"{e['change_low']:+,.0f} to {e['change_high']:+,.0f}"),
                       delta_color="inverse" if outcome == "vent" else "normal",
                       help=f"Observed now: {wi.observed[outcome]:,}. Expected values are sums of the model's "
                            "probabilities over the conversations in view.")
        for outcome, note in wi.notes.items():
            st.info(f"{figures.OUTCOME_NAMES[outcome]}: {note}")
        for warning in wi.warnings:  # the slider went beyond what the data contains
            st.warning(warning, icon=":material/warning:")
        ui.chart(figures.whatif_effect(wi.effects, conv_caption, whatif=f"What if: {whatif_words}"), key="whatif")
        st.markdown(
            "**What this assumes.** The model describes how going public went together with resolution time, "
            "first-response time, starting channel and segment in these conversations; it is associational, "
            "not causal. The what-if changes only the times you set and holds everything else as it is: the "
            "channel, the segment, conversations never resolved or never answered, and the window in which a "
            "post counts. Customers who are slow to be helped may differ in other ways the data does not "
            "record. Intervals come from redrawing the coefficients from their estimated uncertainty "
            f"({next(iter(wi.effects.values()))['draws'] if wi.effects else 0} draws, fixed seed); they do not "
            "include the chance variation of future events.")
        for outcome, model in wi.models.items():
            fit = model.fit
            with st.expander(f"The {figures.OUTCOME_NAMES[outcome].lower()} model: coefficients and fit quality"):
                q = st.columns(5)
                q[0].metric("Conversations (n)", f"{fit.n:,}")
                q[1].metric("With the outcome", f"{fit.events:,}")
                q[2].metric("Log-likelihood", f"{fit.loglik:,.1f}", help=f"Intercept only: {fit.loglik_null:,.1f}")
                q[3].metric("McFadden pseudo-R²", f"{fit.mcfadden_r2:.3f}")
                q[4].metric("AUC", f"{fit.auc:.3f}", help="Chance of ranking a conversation with the outcome "
                                                           "above one without; 0.5 is a coin toss")
                doubling = model.coefficients.dropna(subset=["doubling_or"])
                for r in doubling.itertuples():
                    st.markdown("- " + ui.escape_md(f"{r.words}: odds × {r.doubling_or:.2f} (95% CI "
                                                     f"{r.doubling_low:.2f} to {r.doubling_high:.2f})"))
                state = "converged" if fit.converged else "NOT converged"
                st.caption(f"Logistic regression fitted by Newton's method with a ridge penalty of {fit.ridge:g} on "
                           f"the slopes ({fit.iterations} iterations, {state}); fitted on all {fit.n:,} linked "
                           "conversations under the filters, not only the focus. "
                           f"Hosmer–Lemeshow {fit.hosmer_lemeshow:.1f}, p = {fit.hosmer_lemeshow_p:.2f}.")
                ui.text_table(model.coefficients[["words", "odds_ratio", "or_low", "or_high", "p_value", "coef",
                                                   "se"]], column_config={
                    "words": "Term", "odds_ratio": st.column_config.NumberColumn("Odds ratio", format="%.2f"),
                    "or_low": st.column_config.NumberColumn("95% low", format="%.2f"),
                    "or_high": st.column_config.NumberColumn("95% high", format="%.2f"),
                    "p_value": st.column_config.NumberColumn("p-value", format="%.3g"),
                    "coef": st.column_config.NumberColumn("Coefficient", format="%.3f"),
                    "se": st.column_config.NumberColumn("Std. error", format="%.3f")}, width="stretch",
                    height=35 * (len(model.coefficients) + 1) + 3)
                ui.chart(figures.calibration(fit.calibration, outcome, caption), key=f"calibration_{outcome}")
                ui.text_table(_as_percent(fit.calibration, ["predicted", "observed", "low", "high"])[
                    ["group", "n", "predicted", "events", "observed", "low", "high"]],
                               column_config={
                                   "group": "Decile", "predicted": st.column_config.NumberColumn(
                                       "Predicted", format="%.1f%%"),
                                   "observed": st.column_config.NumberColumn("Observed", format="%.1f%%"),
                                   "low": st.column_config.NumberColumn("95% low", format="%.1f%%"),
                                   "high": st.column_config.NumberColumn("95% high", format="%.1f%%")})

# Conversations and linked posts load in the background after the first view, so the next tab is quick.
continuum.prefetch(ui.db_path(),
                   bool(_param("gp_brand", True, lambda v: str(v).lower() in ("true", "1")))
                   and ui.cached(continuum.brand_accounts_known))

ui.page_end()
