"""The kinds vocabulary editor (glue shared by pages, not a page): what each interaction kind means."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from analysis import kind_vocabulary as kinds
from analysis import warm


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _save(pending: dict[str, str]) -> None:
    """Save meanings, then prepare the kept figures again (meanings decide conversations and revenue)."""
    with st.status(f"Saving {_plural(len(pending), 'meaning')}…", expanded=True) as status:
        bar = st.progress(0.0, text="Saving")
        with ui.connection() as conn:
            for kind, meaning in pending.items():
                kinds.set_kind(conn, kind, meaning)

            def progress(stage: str, done: int, total: int) -> None:
                bar.progress(min(1.0, done / total) if total else 1.0, text=f"{stage}: {done:,} of {total:,}")

            warm.warm(conn, progress)
        status.update(label="Saved", state="complete")
    ui.clear_cache()
    st.session_state.pop("kinds_editor", None)
    st.session_state["_kinds_saved"] = len(pending)


def editor(read_only: str | None = None) -> None:
    """The vocabulary with each kind's use; ``read_only`` (why the database cannot be written) turns saving off."""
    st.subheader("Kinds: what each interaction kind means")
    st.caption(
        "Figures never read a kind's name, only its meaning: **opens** starts a service conversation, "
        "**resolves** resolves it, **handoff_private** is a brand message moving the conversation to a private "
        "channel, **purchase** is an order (its amount is revenue), **other** is anything else. A kind an import "
        "brings that is not listed means *other* until you place it. Saved for everyone using this database; "
        "conversations, service timing, revenue and Customer 360 follow it.")
    # A scan of every interaction: cached per data version (an edit of the vocabulary moves it).
    vocab = ui.cached(kinds.vocabulary_with_usage)
    unlisted = vocab.loc[~vocab["listed"], "kind"].tolist()
    if unlisted:
        st.warning(f"Not in the vocabulary, so meaning 'other' until placed (the first rows below): "
                   f"{_plural(len(unlisted), 'kind')} in your data, "
                   + ", ".join(ui.escape_md(k) for k in unlisted[:20]) + (" …" if len(unlisted) > 20 else ""))
    shown = vocab[["kind", "meaning", "inbound", "outbound", "label", "description"]]
    edited = st.data_editor(
        shown, key="kinds_editor", hide_index=True, width="stretch", height=35 * (len(shown) + 1) + 3,
        placeholder="",  # a kind nobody has described yet: blank, not "None"
        disabled=["kind", "label", "description", "inbound", "outbound"],
        column_config={
            "kind": "Kind", "label": "Label", "description": "Description",
            "meaning": st.column_config.SelectboxColumn(
                "Meaning", options=list(kinds.MEANINGS), required=True,
                help="; ".join(f"{m}: {d}" for m, d in kinds.MEANINGS.items())),
            "inbound": st.column_config.NumberColumn("Inbound", format="localized"),
            "outbound": st.column_config.NumberColumn("Outbound", format="localized"),
        })
    changed = {k: m for k, m, old in zip(edited["kind"], edited["meaning"], shown["meaning"])
               if pd.notna(m) and m != old}
    c1, c2 = st.columns(2)
    pending = None
    if c1.button(f"Save {_plural(len(changed), 'meaning')}" if changed else "Save meanings", key="save_kinds",
                 disabled=not changed or bool(read_only), type="primary", help=read_only):
        pending = changed
    if unlisted and c2.button(f"Add the {_plural(len(unlisted), 'unlisted kind')} with the meanings above",
                              key="add_kinds", disabled=bool(read_only), help=read_only):
        pending = {k: m for k, m in zip(edited["kind"], edited["meaning"]) if k in set(unlisted) and pd.notna(m)}
    if pending:
        _save(pending)
        st.rerun()
    saved = st.session_state.pop("_kinds_saved", None)
    if saved:
        st.success(f"Saved the meaning of {_plural(saved, 'kind')}; the pages' figures follow it.")
