"""Workshop glue shared by every page (not a page itself): save the view as a scenario,
compare this page's scenarios, the page report, and the deck bar of presentation mode."""

from __future__ import annotations

import html
import json
from urllib.parse import urlencode

import streamlit as st

import ui
from analysis import exports, scenarios, summaries
from ui import registry

# Keys in the URL that steer the workshop, not the view: never saved as part of a scenario.
NOT_A_SETTING = ("present", "deck", "step", "cmp_a", "cmp_b", "deck_pick")


DEFAULT_PAGE = registry.DEFAULT_PAGE


def href(url: str) -> str:
    """A scenario's link as the browser must follow it: Streamlit serves the default page at the app's
    root (its own path answers "Page not found"), so "overview?x=1" becomes "./?x=1"."""
    page, sep, query = url.partition("?")
    return ("./" + sep + query) if page == DEFAULT_PAGE else url


def summary_of(db, page: str, params: dict) -> summaries.Summary:
    return summaries.summarise(db, page, params)


def slide_url(item: scenarios.Scenario, deck: str, step: int, present: bool = True) -> str:
    """A slide is its scenario's own link plus the deck and the slide number.

    Each slide is opened as a link (a fresh page load), exactly as the scenario's "Open view" link
    opens: the page's widgets take every setting from the URL, so a slide always shows its own
    filters and what-if settings, whatever the previous slide had set. (Setting bound widgets'
    query parameters from Python is refused by Streamlit, and carrying them in session state would
    need every widget's value type.)
    """
    extra = urlencode([("deck", deck), ("step", str(step))] + ([("present", "true")] if present else []))
    url = href(item.url())
    return url + ("&" if "?" in url else "?") + extra


def _deck_nav_html(urls: dict[str, str | None], position: str) -> str:
    """Previous / Next / First / Last as plain links (Tab and Enter reach them) and arrow keys,
    Page Up/Down (what presentation clickers send), Home and End."""
    def link(name: str, label: str, key_hint: str) -> str:
        url = urls.get(name)
        if url is None:
            return (f'<span class="deck-nav deck-off" aria-disabled="true" data-testid="deck-{name}">'
                    f'{html.escape(label)}</span>')
        return (f'<a class="deck-nav" href="{html.escape(url)}" target="_self" data-testid="deck-{name}" '
                f'title="{html.escape(key_hint)}">{html.escape(label)}</a>')

    keys = json.dumps({k: v for k, v in {
        "ArrowRight": urls.get("next"), "PageDown": urls.get("next"), " ": urls.get("next"),
        "ArrowLeft": urls.get("previous"), "PageUp": urls.get("previous"),
        "Home": urls.get("first"), "End": urls.get("last")}.items() if v})
    return (
        "<style>.deck-bar{display:flex;gap:.6rem;align-items:center;flex-wrap:wrap;margin:.2rem 0 .4rem 0}"
        ".deck-nav{padding:.35rem .9rem;border:1px solid #bbb;border-radius:.5rem;text-decoration:none;"
        "color:inherit;font-size:1.05rem}.deck-nav:focus{outline:3px solid #0072B2}"
        ".deck-off{opacity:.35}.deck-pos{font-weight:600;font-size:1.1rem;margin:0 .4rem}</style>"
        f'<nav class="deck-bar" aria-label="Deck slides">{link("first", "« First", "Home")}'
        f'{link("previous", "◀ Previous", "Left arrow or Page Up")}'
        f'<span class="deck-pos" data-testid="deck-position">{html.escape(position)}</span>'
        f'{link("next", "Next ▶", "Right arrow, Page Down or Space")}{link("last", "Last »", "End")}</nav>'
        # The keys only follow the links above; they are ignored while typing in a field.
        "<script>(function(){const keys=" + keys.replace("<", "\\u003c") + ";"
        "if(window.__deckKeys){window.removeEventListener('keydown',window.__deckKeys);}"
        "window.__deckKeys=function(e){const t=e.target&&e.target.tagName;"
        "if(t==='INPUT'||t==='TEXTAREA'||e.altKey||e.ctrlKey||e.metaKey)return;"
        "const u=keys[e.key];if(u){e.preventDefault();window.location.assign(u);}};"
        "window.addEventListener('keydown',window.__deckKeys);})();</script>"
    )


def deck_bar() -> None:
    """First / Previous / Next / Last through a deck of scenarios (``?deck=NAME&step=i`` in the URL),
    with the slide's scenario, its filters and settings in words."""
    deck = st.query_params.get("deck")
    if not deck:
        return
    with ui.connection() as conn:
        try:
            items = scenarios.load_deck(conn, deck)
        except scenarios.DeckNotFound:
            st.warning(f"No deck named {ui.escape_md(repr(deck))}.")  # the name comes from the URL
            return
    if not items:
        st.warning(f"The deck {ui.escape_md(repr(deck))} has no scenarios.")
        return
    try:
        step = scenarios.deck_step(len(items), int(st.query_params.get("step", 0)), 0)
    except ValueError:
        step = 0
    current = items[step]
    present = ui.presentation()
    last = len(items) - 1
    urls = {"first": slide_url(items[0], deck, 0, present) if step > 0 else None,
            "previous": slide_url(items[step - 1], deck, step - 1, present) if step > 0 else None,
            "next": slide_url(items[step + 1], deck, step + 1, present) if step < last else None,
            "last": slide_url(items[last], deck, last, present) if step < last else None}
    with st.container(key="deck_bar"):
        st.html(_deck_nav_html(urls, f"{step + 1} / {len(items)}"), unsafe_allow_javascript=True)
        st.markdown(f"Deck *{ui.escape_md(deck)}* · scenario **{ui.escape_md(current.name)}**")
        problem = current.problem
        if problem:
            st.warning(ui.escape_md(f"This scenario cannot be shown as saved: {problem}"))
        else:
            own = current.page_settings()
            st.caption(ui.escape_md(current.caption() + (f" · {own}" if own else "")))
        if current.notes:
            st.text(current.notes)
        if not present:
            st.html(f'<a href="{html.escape(href(current.url()))}" target="_self" data-testid="deck-leave">'
                    "Leave the deck (keep this view)</a>")


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
                    params = scenarios.params_from_query(st.query_params, exclude=NOT_A_SETTING)
                    with ui.connection() as conn:
                        try:
                            s = scenarios.save(conn, name, url_path, params, notes, overwrite=overwrite)
                        except (ValueError, TypeError) as exc:
                            st.error(ui.escape_md(str(exc)))
                        else:
                            own = s.page_settings()
                            st.success(ui.escape_md(f"Saved “{s.name}”: {s.caption()}" + (f"; {own}." if own else ".")))
                            ui.clear_cache()
    with right:
        report = st.session_state.get("_report") or {}
        figures, tables = list(report.get("figures", [])), list(report.get("tables", []))
        caption = ui.filters().caption()
        section = {"heading": title, "caption": caption, "figures": figures,
                   "tables": [exports.readable(df) for _name, df in tables]}
        st.download_button("Report of this page (HTML)", icon=":material/description:", key="page_report",
                           data=lambda: exports.html_report(exports.report_title(title), [section], caption),
                           file_name=f"continuum-{url_path}.html", mime="text/html", on_click="ignore",
                           disabled=not (figures or tables))


def _scenario_side(page: str, s: scenarios.Scenario):
    """A scenario's summary, or the note that says why it cannot be shown (never an exception)."""
    if s.problem:
        return None, s.problem
    try:
        return ui.cached(summary_of, page, s.params), None
    except (ValueError, TypeError, KeyError) as exc:
        return None, f"its figures could not be computed ({exc})."


def compare_panel(url_path: str) -> None:
    """Two saved scenarios of this page side by side: key numbers, charts and their difference."""
    with ui.connection() as conn:
        saved = scenarios.list_scenarios(conn, page=url_path)
    if len(saved) < 2:
        return
    with st.expander(f"Compare saved scenarios of this page ({len(saved)})", icon=":material/compare:"):
        names = saved["name"].tolist()
        c1, c2 = st.columns(2)
        a_name = c1.selectbox("Scenario A", names, index=0, key="cmp_a", bind="query-params")
        b_name = c2.selectbox("Scenario B", names, index=1, key="cmp_b", bind="query-params")
        with ui.connection() as conn:
            a, b = scenarios.load(conn, a_name), scenarios.load(conn, b_name)
        sa, note_a = _scenario_side(url_path, a)
        sb, note_b = _scenario_side(url_path, b)
        for s, note in ((a, note_a), (b, note_b)):
            if note:
                st.warning(ui.escape_md(f"“{s.name}” cannot be compared: {note}"))
        if sa is None or sb is None:
            ui.text_table(scenarios.compare(a, b))
            return
        st.caption(ui.escape_md(f"A: {a.caption()} · B: {b.caption()}"))
        diff = summaries.difference(sa, sb).drop(columns="difference")
        ui.text_table(diff.rename(columns={"A": a.name, "B": b.name}), key="cmp_figures")
        for note in dict.fromkeys(sa.notes + sb.notes):
            st.warning(note)
        ui.text_table(scenarios.compare(a, b))
        for i, (fa, fb) in enumerate(zip(sa.figures, sb.figures, strict=False)):
            left, right = st.columns(2)
            with left:
                st.caption(ui.escape_md(a.name))
                ui.chart(fa, key=f"cmp_a_{i}", export=False)
            with right:
                st.caption(ui.escape_md(b.name))
                ui.chart(fb, key=f"cmp_b_{i}", export=False)
