"""Workshop glue shared by every page (not a page itself): save the view as a scenario,
compare this page's scenarios, the page report, and the deck bar of presentation mode."""

from __future__ import annotations

import streamlit as st

from analysis import exports, scenarios, summaries
from pages import _ui


def page_file(url_path: str, pages: list[tuple]) -> str | None:
    for f, _title, _icon, url in pages:
        if url == url_path:
            return f
    return None


def summary_of(db, page: str, params: dict) -> summaries.Summary:
    return summaries.summarise(db, page, params)


def deck_bar(pages: list[tuple]) -> None:
    """Previous / next through a deck of scenarios (``?deck=NAME&step=i`` in the URL)."""
    deck = st.query_params.get("deck")
    if not deck:
        return
    conn = _ui.db()
    try:
        items = scenarios.load_deck(conn, deck)
    except scenarios.DeckNotFound:
        st.warning(f"No deck named {_ui.escape_md(repr(deck))}.")  # the name comes from the URL
        return
    finally:
        conn.close()
    if not items:
        return
    try:
        step = scenarios.deck_step(len(items), int(st.query_params.get("step", 0)), 0)
    except ValueError:
        step = 0
    current = items[step]

    def go(delta: int) -> None:
        target = items[scenarios.deck_step(len(items), step, delta)]
        new_step = scenarios.deck_step(len(items), step, delta)
        f = page_file(target.page, pages)
        if f:
            st.switch_page(f, query_params={**{k: v for k, v in target.params.items() if v not in (None, [])},
                                            "present": "true", "deck": deck, "step": str(new_step)})

    left, mid, right = st.columns([1, 6, 1])
    left.button("◀ Previous", key="deck_prev", disabled=step == 0, on_click=go, args=(-1,))
    right.button("Next ▶", key="deck_next", disabled=step >= len(items) - 1, on_click=go, args=(1,))
    mid.markdown(f"**{len(items) and step + 1} / {len(items)}** · deck *{_ui.escape_md(deck)}* · "
                 f"scenario **{_ui.escape_md(current.name)}**")
    if current.notes:
        mid.text(current.notes)


def page_tools(url_path: str, title: str) -> None:
    """Save this view as a scenario; download this page's report."""
    st.divider()
    left, right = st.columns([3, 1])
    with left:
        with st.expander("Save this view as a scenario", icon=":material/bookmark_add:"):
            with st.form("save_scenario", clear_on_submit=True, border=False):
                name = st.text_input("Name", max_chars=120)
                notes = st.text_area("Notes", height=80)
                overwrite = st.checkbox("Replace a scenario with the same name")
                if st.form_submit_button("Save", type="primary"):
                    params = scenarios.params_from_query(st.query_params)
                    conn = _ui.db()
                    try:
                        s = scenarios.save(conn, name, url_path, params, notes, overwrite=overwrite)
                    except (ValueError, TypeError) as exc:
                        st.error(_ui.escape_md(str(exc)))
                    else:
                        st.success(_ui.escape_md(f"Saved {s.name!r}: {s.settings() or 'all data'}."))
                        _ui.clear_cache()
                    finally:
                        conn.close()
    with right:
        report = st.session_state.get("_report") or {}
        figures, tables = list(report.get("figures", [])), list(report.get("tables", []))
        caption = _ui.filters().caption()
        section = {"heading": title, "caption": caption, "figures": figures,
                   "tables": [df for _name, df in tables]}
        st.download_button("Report of this page (HTML)", icon=":material/description:", key="page_report",
                           data=lambda: exports.html_report(f"Continuum · {title}", [section], caption),
                           file_name=f"continuum-{url_path}.html", mime="text/html", on_click="ignore",
                           disabled=not (figures or tables))


def compare_panel(url_path: str) -> None:
    """Two saved scenarios of this page side by side: key numbers, charts and their difference."""
    conn = _ui.db()
    try:
        saved = scenarios.list_scenarios(conn, page=url_path)
    finally:
        conn.close()
    if len(saved) < 2:
        return
    with st.expander(f"Compare saved scenarios of this page ({len(saved)})", icon=":material/compare:"):
        names = saved["name"].tolist()
        c1, c2 = st.columns(2)
        a_name = c1.selectbox("Scenario A", names, index=0, key="cmp_a", bind="query-params")
        b_name = c2.selectbox("Scenario B", names, index=1, key="cmp_b", bind="query-params")
        conn = _ui.db()
        try:
            a, b = scenarios.load(conn, a_name), scenarios.load(conn, b_name)
        finally:
            conn.close()
        sa = _ui.cached(summary_of, url_path, a.params)
        sb = _ui.cached(summary_of, url_path, b.params)
        st.dataframe(summaries.difference(sa, sb).rename(columns={"A": a.name, "B": b.name}), hide_index=True)
        _ui.text_table(scenarios.compare(a, b))
        for i, (fa, fb) in enumerate(zip(sa.figures, sb.figures, strict=False)):
            left, right = st.columns(2)
            with left:
                st.caption(_ui.escape_md(a.name))
                _ui.chart(fa, key=f"cmp_a_{i}", export=False)
            with right:
                st.caption(_ui.escape_md(b.name))
                _ui.chart(fb, key=f"cmp_b_{i}", export=False)
