"""Workshop: saved scenarios, decks for presentation mode, and hand-outs (HTML report, PPTX)."""

import html

import pandas as pd
import streamlit as st

import ui
from analysis import exports, scenarios
from ui import registry, workshop_tools

ui.page_intro(
    "workshop",
    "Workshop",
    "Keep a view, share it, show it and hand it out. Save any page's current view (filters and what-if "
    "settings) with **Save this view as a scenario** at the bottom of the page; every view is also in its URL, so a "
    "copied link reopens it. Here you open, rename and delete scenarios, put them in order as a **deck**, "
    "present the deck full screen with next/previous, and download it as a one-file HTML report or slides.",
)


def apply(fn, *args, **kwargs) -> None:
    """Run one scenario/deck write, then refresh; a refused write shows why and changes nothing."""
    with ui.connection() as conn:
        try:
            fn(conn, *args, **kwargs)
        except (ValueError, LookupError) as exc:
            st.error(ui.escape_md(str(exc)))  # may quote a scenario's name
            return
    ui.clear_cache()
    st.rerun()


with ui.connection() as conn:
    saved = scenarios.list_scenarios(conn)
    decks = scenarios.list_decks(conn)

st.subheader("Scenarios")
if saved.empty:
    st.info("No scenarios yet. On any page, set the filters and what-if controls, then use "
            "**Save this view as a scenario** at the bottom of the page.")
else:
    # The link comes right after the name, so it is visible without scrolling sideways.
    view = pd.DataFrame({
        "Scenario": saved["name"], "Open": saved["url"].map(workshop_tools.href),
        "Page": saved["page"].map(registry.title_of),
        "Settings": saved["settings"], "Notes": saved["notes"].fillna(""),
        "Problem": saved["problem"].fillna(""), "Saved": saved["updated_at"].fillna("")})
    if not view["Problem"].str.len().any():
        view = view.drop(columns="Problem")
    for row in saved[saved["problem"].str.len() > 0].itertuples():
        st.warning(ui.escape_md(f"“{row.name}” cannot be shown as saved: {row.problem}"))
    ui.text_table(view, export_name="scenarios", key="scenario_table",
                   column_config={"Open": st.column_config.LinkColumn("Open", display_text="Open view", width="small"),
                                  "Scenario": st.column_config.TextColumn(width="medium")})
    names = saved["name"].tolist()
    c1, c2 = st.columns(2)
    with c1.form("rename_scenario", border=True):
        old = st.selectbox("Rename scenario", names, key="rename_old")
        new = st.text_input("New name", max_chars=120, key="rename_new")
        if st.form_submit_button("Rename"):
            apply(scenarios.rename, old, new)
    with c2.form("delete_scenario", border=True):
        gone = st.selectbox("Delete scenario", names, key="delete_name")
        sure = st.checkbox("Yes, delete it (it also leaves any deck)")
        if st.form_submit_button("Delete"):
            if not sure:
                st.warning("Tick the box to confirm.")
            else:
                apply(scenarios.delete, gone)

st.subheader("Decks")
if not saved.empty:
    with st.form("new_deck", border=True):
        st.markdown("**Make a deck**: pick scenarios in the order to show them.")
        deck_name = st.text_input("Deck name", max_chars=120)
        order = st.multiselect("Scenarios, in order", saved["name"].tolist())
        deck_notes = st.text_area("Notes for the deck", height=70)
        replace = st.checkbox("Replace a deck with the same name")
        if st.form_submit_button("Save deck", type="primary"):
            apply(scenarios.save_deck, deck_name, order, deck_notes, overwrite=replace)

if decks.empty:
    st.caption("No decks yet.")
else:
    ui.text_table(decks[["name", "n_scenarios", "scenarios", "notes"]].fillna("").rename(columns={
        "name": "Deck", "n_scenarios": "Slides", "scenarios": "Scenarios in order", "notes": "Notes"}),
        key="deck_table")
    deck = st.selectbox("Deck", decks["name"].tolist(), key="deck_pick", bind="query-params")
    with ui.connection() as conn:
        items = scenarios.load_deck(conn, deck)
    if items:
        c1, c2, c3, c4 = st.columns(4)
        # A link, not in-app navigation: the slide opens like a shared link, every setting from its URL.
        c1.html(f'<a href="{html.escape(workshop_tools.slide_url(items[0], deck, 0))}" target="_self" '
                'data-testid="present-deck" style="display:inline-block;padding:.45rem 1rem;border-radius:.5rem;'
                'background:#0072B2;color:#fff;text-decoration:none;font-weight:600">▶ Present this deck</a>')

        def deck_sections() -> list[dict]:
            out = []
            with ui.connection() as conn:
                for s in items:
                    section = {"heading": f"{s.name} ({registry.title_of(s.page)})",
                               "notes": [s.notes] if s.notes else []}
                    if s.problem:
                        out.append({**section, "text": f"This scenario cannot be shown as saved: {s.problem}"})
                        continue
                    summ = workshop_tools.summary_of(conn, s.page, s.params)
                    own = s.page_settings()
                    out.append({**section, "text": f"Settings: {own}" if own else "", "caption": s.caption(),
                                "notes": section["notes"] + summ.notes,
                                "metrics": list(summ.formatted().items()), "figures": summ.figures})
            return out

        deck_row = decks.set_index("name").loc[deck]
        c2.download_button("Deck report (HTML)", icon=":material/description:", key="deck_html",
                           data=lambda: exports.html_report(f"Deck: {deck}", deck_sections(),
                                                            "Each section states its own filters",
                                                            notes=str(deck_row["notes"] or "")),
                           file_name=f"continuum-deck-{ui._slug(deck)}.html", mime="text/html",
                           on_click="ignore")
        c3.download_button("Deck slides (PPTX)", icon=":material/slideshow:", key="deck_pptx",
                           data=lambda: exports.pptx_deck(f"Deck: {deck}", deck_sections(),
                                                          "Each slide states its own filters",
                                                          notes=str(deck_row["notes"] or "")),
                           file_name=f"continuum-deck-{ui._slug(deck)}.pptx",
                           mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                           on_click="ignore")
        with c4.form("delete_deck", border=False):
            if st.form_submit_button("Delete this deck"):
                apply(scenarios.delete_deck, deck)
        ui.text_table(pd.DataFrame([{"#": i + 1, "Scenario": s.name, "Page": registry.title_of(s.page),
                                     "Filters": s.caption(), "Page settings": s.page_settings(), "Notes": s.notes}
                                    for i, s in enumerate(items)]), key="deck_items")

ui.page_end()
