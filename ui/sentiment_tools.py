"""Sentiment quality on the Listening page: agreement with people, labelling, the domain lexicon,
bulk rules and the scorer in use. Glue only: every figure comes from ``analysis``."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from analysis import agreement, overview, scoring, sentiment_lexicon, sentiment_model, sentiment_rules
from analysis.authors import ROLE_LABELS, ROLES

MESSAGE = "st_message"


def agreement_note(help_only: bool = False) -> str:
    """The agreement caption under a sentiment figure (also returned, for a metric's tooltip)."""
    with ui.connection() as conn:
        text = agreement.caption(conn)
    if not help_only:
        st.caption(ui.escape_md(text))
    return text


def _progress(label: str):
    bar = st.progress(0.0, text=label)
    stages = {"score": "Scoring distinct texts", "write": "Writing new scores"}

    def report(stage: str, done: int, total: int) -> None:
        bar.progress(min(1.0, done / total) if total else 1.0,
                     text=f"{stages.get(stage, stage)}: {done:,} of {total:,}")

    return report


def _rescore(conn, label: str) -> None:
    report = scoring.rescore(conn, progress=_progress(label))
    st.session_state[MESSAGE] = report.summary()
    ui.clear_cache()


def _pct(v: float) -> str:
    return "–" if pd.isna(v) else f"{v:.0%}"


# -- tabs -----------------------------------------------------------------------------------------

def _agreement_tab(conn) -> None:
    a = agreement.agreement(conn, ui.cached(agreement.stratum_weights))
    if a.n == 0:
        st.info(agreement.no_labels_caption())
        if st.button(f"Draw {agreement.INVITE} posts to label", key="st_draw_first", type="primary"):
            agreement.draw_sample(conn, agreement.INVITE)
            st.session_state[MESSAGE] = f"{agreement.INVITE} posts are waiting in the 'Label posts' tab."
            st.rerun()
        return
    m = st.columns(4)
    m[0].metric("Posts labelled by people", f"{a.n:,}")
    m[1].metric("Machine agrees", _pct(a.accuracy),
                help=f"95% Wilson interval {_pct(a.accuracy_ci[0])}–{_pct(a.accuracy_ci[1])}")
    m[2].metric("Cohen's κ", f"{a.kappa:.2f}" if pd.notna(a.kappa) else "–",
                help=f"Agreement beyond chance (0: chance, 1: perfect). 95% bootstrap interval "
                     f"{a.kappa_ci[0]:.2f}–{a.kappa_ci[1]:.2f} ({agreement.BOOTSTRAP:,} resamples)")
    m[3].metric("Weighted by stratum size", _pct(a.weighted_accuracy),
                help="The sample gives every platform × machine label the same number of posts; this weights "
                     "each stratum's agreement by how many distinct texts it holds, an estimate for all posts.")
    st.caption(ui.escape_md(a.caption()) + f" Scorer: {ui.escape_md(a.scorer)}.")
    c = st.columns([2, 3])
    with c[0]:
        st.markdown("**Confusion matrix** (rows: people, columns: machine)")
        st.dataframe(a.matrix, key="st_confusion", placeholder=ui.MISSING)
    with c[1]:
        st.caption("The machine's label is its current score by VADER's convention (≥ +0.05 positive, ≤ −0.05 "
                   "negative), so this updates after a lexicon edit or a scorer switch. People's corrections and "
                   "rules are not counted as the machine. Labels are kept per post; draw more in 'Label posts'.")


def _label_tab(conn) -> None:
    sample = agreement.sample(conn)
    c = st.columns([1, 1, 2])
    size = c[0].number_input("Sample size", 10, 500, agreement.INVITE, step=10, key="st_sample_size")
    if c[1].button("Draw a new sample", key="st_draw"):
        agreement.draw_sample(conn, int(size))
        st.rerun()
    c[2].caption("A random sample of original posts, the same number from each platform × machine label "
                 "(negative, neutral, positive), one post per distinct text; posts already labelled are left out.")
    if sample.empty:
        st.info("No sample yet: draw one.")
        return
    todo = sample[sample["label"].isna()]
    st.progress((len(sample) - len(todo)) / len(sample),
                text=f"Labelled {len(sample) - len(todo):,} of {len(sample):,} in this sample")
    if not todo.empty:
        row = todo.iloc[0]
        with st.container(border=True):
            st.caption(f"Post {row['post_id']} on {row['platform']} — how does its author feel? "
                       "(The machine's score is hidden so it cannot sway you.)")
            st.text(row["text"])
            c = st.columns([3, 1, 1])
            choice = c[0].radio("Your label", list(agreement.LABELS), index=None, horizontal=True,
                                key=f"st_label_{row['post_id']}")
            if c[1].button("Save label", key="st_save_label", type="primary", disabled=choice is None):
                agreement.save_label(conn, row["post_id"], choice, row["stratum"])
                st.rerun()
            if c[2].button("Skip", key="st_skip", help="Unclear or not about the brand: leave it out"):
                agreement.skip(conn, row["post_id"])
                st.rerun()
    else:
        st.success("Every post of this sample is labelled: see the 'Agreement' tab.")
    done = sample[sample["label"].notna()]
    if len(done):
        with st.expander(f"Your labels in this sample ({len(done):,})"):
            ui.text_table(done[["post_id", "platform", "text", "label"]], key="st_done")


def _lexicon_tab(conn) -> None:
    lex = sentiment_lexicon.differs_from_vader(sentiment_lexicon.load(conn))
    saved = sentiment_lexicon.is_saved(conn)
    st.caption(
        "Words and phrases with a valence on VADER's scale (−4 most negative, +4 most positive) that add to or "
        "replace VADER's own words; 0 removes a word's sentiment (a product name such as 'gift card'). A phrase "
        "counts as one word, so VADER's negation still applies ('never stopped working'). "
        + ("This is your edited list." if saved else "This is the shipped starter list for customer-service "
           "language; 'source' says where each entry came from.") + " Add rows at the bottom; save to rescore.")
    edited = st.data_editor(
        lex, num_rows="dynamic", hide_index=True, key="st_lexicon", height=360, disabled=["vader"], placeholder="",
        column_config={
            "term": st.column_config.TextColumn("Word or phrase", required=True),
            "valence": st.column_config.NumberColumn("Valence", min_value=-4.0, max_value=4.0, step=0.1,
                                                     format="%+.1f", required=True),
            "source": st.column_config.TextColumn("Source", width="medium"),
            "note": st.column_config.TextColumn("Note", width="large"),
            "vader": st.column_config.NumberColumn("VADER's own", format="%+.1f",
                                                   help="The word's valence in VADER's lexicon (blank: unknown "
                                                        "to VADER, or a phrase)"),
        })
    c = st.columns([1, 1, 3])
    if c[0].button("Save and rescore", key="st_lexicon_save", type="primary"):
        try:
            sentiment_lexicon.save(conn, edited.drop(columns=["vader"]))
        except sentiment_lexicon.LexiconError as e:
            st.error(f"Nothing was saved: {e}.")
        else:
            _rescore(conn, "Rescoring posts with the edited lexicon")
            st.rerun()
    if c[1].button("Restore the starter list", key="st_lexicon_reset", disabled=not saved):
        sentiment_lexicon.save(conn, sentiment_lexicon.starter())
        _rescore(conn, "Rescoring posts with the starter lexicon")
        st.rerun()
    texts, posts = scoring.change_count(conn)
    if texts:
        st.markdown(f"**The last rescoring changed {texts:,} distinct texts ({posts:,} posts)**")
        ch = scoring.last_changes(conn, 200)
        ui.text_table(ch[["text", "posts", "previous", "previous label", "current", "new label"]],
                      key="st_changes", height=260, column_config={
                         "previous": st.column_config.NumberColumn("Previous machine score", format="%+.2f"),
                         "current": st.column_config.NumberColumn("New machine score", format="%+.2f")})
        st.caption("Scores people corrected (one by one or by a rule) keep the people's score; their machine score "
                   "is updated beside it.")


def _rules_tab(conn) -> None:
    st.caption("A rule sets every post it matches to negative, neutral or positive, like a person's correction "
               "(the machine score is kept, and the rule can be reverted). Preview first: nothing changes until "
               "you apply it.")
    c = st.columns([1, 3, 1, 1, 1])
    kind = c[0].selectbox("Match", list(sentiment_rules.KINDS), key="st_rule_kind",
                          format_func=lambda k: {"phrase": "Phrase", "pattern": "Regular expression"}[k])
    pattern = c[1].text_input("Phrase or pattern", key="st_rule_pattern",
                              placeholder="e.g. on hold for   or   refund (still )?not (here|received)")
    platforms = ui.cached(overview.filter_options)["platforms"]
    platform = c[2].selectbox("Platform", [None, *platforms], key="st_rule_platform",
                              format_func=lambda p: "Any platform" if p is None else p)
    role = c[3].selectbox("Author", [None, *ROLES], key="st_rule_role",
                          format_func=lambda r: "Anyone" if r is None else ROLE_LABELS[r])
    label = c[4].selectbox("Set to", list(sentiment_rules.RULE_SCORES), key="st_rule_label")
    if pattern and pattern.strip():
        try:
            rule = sentiment_rules.Rule(pattern.strip(), label, kind, platform, role)
        except sentiment_rules.RuleError as e:
            st.error(str(e))
        else:
            p = ui.cached(sentiment_rules.preview, rule)
            st.text(f"Rule: {rule.describe()}")
            if p.posts:
                m = st.columns(4)
                m[0].metric("Posts matched", f"{p.posts:,}", help=f"{p.texts:,} distinct texts; {p.corrected:,} "
                            "already corrected by a person or rule (the rule replaces those corrections)")
                m[1].metric("Negative share", f"{p.after.negative:.1%}",
                            f"{(p.after.negative - p.before.negative) * 100:+.1f} points", delta_color="off")
                m[2].metric("Positive share", f"{p.after.positive:.1%}",
                            f"{(p.after.positive - p.before.positive) * 100:+.1f} points", delta_color="off")
                m[3].metric("Mean sentiment", f"{p.after.mean:+.3f}", f"{p.after.mean - p.before.mean:+.3f}",
                            delta_color="off")
                st.caption(ui.escape_md(p.summary()))
                ui.text_table(p.examples[["text", "posts", "score", "label now"]],
                              key="st_rule_examples", column_config={
                                 "score": st.column_config.NumberColumn("Score now (mean)", format="%+.2f")})
                if st.button(f"Apply to {p.posts:,} posts", key="st_rule_apply", type="primary"):
                    rule_id, n = sentiment_rules.apply(conn, rule)
                    ui.clear_cache()
                    st.session_state[MESSAGE] = f"Rule {rule_id} applied: {n:,} posts now {label}."
                    st.rerun()
            else:
                st.info(p.summary())
    listed = sentiment_rules.rules(conn)
    st.markdown(f"**Rules ({len(listed):,})**")
    if listed.empty:
        st.caption("No rule yet.")
        return
    ui.text_table(listed[["rule_id", "rule", "posts", "created_at", "reverted_at"]],
                  key="st_rules", column_config={"rule_id": "Rule", "rule": st.column_config.TextColumn(
                     "What it says", width="large"), "posts": "Posts set", "created_at": "Applied",
                     "reverted_at": "Reverted"})
    active = listed[listed["active"]]
    c = st.columns([4, 1])
    pick = c[0].selectbox("Rule to revert", active["rule_id"].tolist(), index=None, key="st_rule_revert_pick",
                          format_func=lambda i: f"{i}: {active.set_index('rule_id').loc[i, 'rule']}")
    if c[1].button("Revert", key="st_rule_revert", disabled=pick is None):
        n = sentiment_rules.revert(conn, int(pick))
        ui.clear_cache()
        st.session_state[MESSAGE] = f"Rule {pick} reverted: {n:,} posts have their previous score back."
        st.rerun()


def _scorer_tab(conn) -> None:
    st.markdown(f"**In use:** {ui.escape_md(scoring.describe(conn))}.")
    n = len(agreement.labelled(conn))
    st.caption(f"A classifier (TF-IDF over words and word pairs, logistic regression) can learn from your "
               f"{n:,} labels. It is offered only when it agrees with people more often than the lexicon on posts "
               f"it was not trained on ({sentiment_model.FOLDS}-fold cross-validation).")
    if st.button("Test a classifier on my labels", key="st_evaluate", disabled=n < sentiment_model.MIN_LABELS,
                 help=f"Needs at least {sentiment_model.MIN_LABELS} labels"):
        with st.spinner("Cross-validating…"):
            st.session_state["st_evaluation"] = sentiment_model.evaluate_db(conn)
    ev = st.session_state.get("st_evaluation")
    if ev is not None:
        if ev.folds:
            m = st.columns(2)
            m[0].metric("Classifier on held-out labels", _pct(ev.model_accuracy))
            m[1].metric("Lexicon on the same posts", _pct(ev.lexicon_accuracy))
        st.caption(ui.escape_md(ev.summary()))
        if ev.better:
            if st.button("Train on every label and use the classifier", key="st_train", type="primary"):
                model_id = sentiment_model.train_db(conn, ev)
                report = scoring.use(conn, f"model:{model_id}", progress=_progress("Rescoring with the classifier"))
                st.session_state[MESSAGE] = report.summary()
                st.session_state.pop("st_evaluation", None)
                ui.clear_cache()
                st.rerun()
        elif ev.folds:
            st.info("The classifier does not beat the lexicon on your labels: the lexicon stays in use.")
    latest = sentiment_model.latest(conn)
    choice = scoring.scorer_choice(conn)
    if choice != scoring.LEXICON:
        if st.button("Go back to the lexicon scorer", key="st_use_lexicon"):
            report = scoring.use(conn, scoring.LEXICON, progress=_progress("Rescoring with the lexicon"))
            st.session_state[MESSAGE] = report.summary()
            ui.clear_cache()
            st.rerun()
    elif latest is not None:
        if st.button(f"Use classifier {latest['model_id']} (trained on {latest['labels']:,} labels: "
                     f"{_pct(latest['cv_model'])} against the lexicon's {_pct(latest['cv_lexicon'])})",
                     key="st_use_model"):
            report = scoring.use(conn, f"model:{latest['model_id']}", progress=_progress("Rescoring"))
            st.session_state[MESSAGE] = report.summary()
            ui.clear_cache()
            st.rerun()


def render() -> None:
    """The 'Sentiment quality' section."""
    st.subheader("Sentiment quality: agreement, labels, lexicon, rules, scorer")
    with ui.connection() as conn:
        if MESSAGE in st.session_state:
            st.success(st.session_state.pop(MESSAGE))
        tabs = st.tabs(["Agreement", "Label posts", "Domain lexicon", "Bulk rules", "Scorer"])
        with tabs[0]:
            _agreement_tab(conn)
        with tabs[1]:
            _label_tab(conn)
        with tabs[2]:
            _lexicon_tab(conn)
        with tabs[3]:
            _rules_tab(conn)
        with tabs[4]:
            _scorer_tab(conn)
