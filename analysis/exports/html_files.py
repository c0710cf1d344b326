"""Standalone HTML: one chart, or a report of sections, with plotly.js inline and a strict content policy."""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline

from analysis.exports.images import figure_svg
from analysis.exports.safe import with_index
from analysis.exports.sections import check_sections, format_value, notes_list, timestamp

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

# Belt and braces: even if something slipped through, the page may fetch nothing.
_CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:; connect-src 'none'; frame-src 'none'; form-action 'none'; "
        "base-uri 'none'")

_TAG = re.compile(r"<[^>]*>")


def _plain_title(fig) -> str:
    """The figure's title without plotly's pseudo-HTML tags (e.g. the <sup> caption)."""
    try:
        text = fig.layout.title.text if isinstance(fig, go.Figure) else fig.get("layout", {}).get("title", {})
        if isinstance(text, Mapping):
            text = text.get("text")
    except AttributeError:
        text = None
    return " ".join(html.unescape(_TAG.sub(" ", str(text))).split()) if text else ""


def figure_html(fig, title: str | None = None) -> str:
    """One interactive chart as a standalone HTML page, plotly.js inlined (opens offline)."""
    fig = go.Figure(fig) if isinstance(fig, Mapping) else fig
    page = pio.to_html(fig, include_plotlyjs=True, full_html=True, config=_PLOTLY_CONFIG)
    head = (f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
            f"    <title>{html.escape(title or _plain_title(fig) or 'Chart')}</title>\n")
    charset = '<meta charset="utf-8" />'
    if charset in page:
        return page.replace(charset, charset + "\n    " + head, 1)
    return page.replace("<head>", "<head>\n    " + head, 1)


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", str(text)) if b.strip()]
    return "\n".join("<p>" + html.escape(b).replace("\n", "<br>") + "</p>" for b in blocks)


_REPORT_CSS = """
body { font-family: Inter, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; line-height: 1.45;
       max-width: 1200px; margin: 2rem auto; padding: 0 1.25rem; }
header { border-bottom: 3px solid #0072B2; margin-bottom: 1.5rem; padding-bottom: .75rem; }
h1 { margin: 0 0 .4rem; font-size: 1.9rem; }
h2 { margin: 2rem 0 .5rem; font-size: 1.45rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.filters { font-weight: 600; margin: .2rem 0; }
.meta { color: #555; font-size: .9rem; margin: .2rem 0; }
.notes { background: #F4F8FB; border-left: 4px solid #56B4E9; padding: .5rem .9rem; margin: .75rem 0; }
.notes h3 { margin: 0 0 .3rem; font-size: 1rem; }
.metrics { display: flex; flex-wrap: wrap; gap: .75rem; margin: .75rem 0; }
.metric { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .9rem; min-width: 9rem; }
.metric .label { display: block; font-size: .85rem; color: #555; }
.metric .value { display: block; font-size: 1.45rem; font-weight: 600; }
.figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
.figure img { max-width: 100%; height: auto; }
table.data { border-collapse: collapse; font-size: .9rem; margin: .75rem 0; }
table.data th, table.data td { border-bottom: 1px solid #ddd; padding: .3rem .6rem; text-align: left;
                               vertical-align: top; }
table.data thead th { border-bottom: 2px solid #999; }
.table-note, .empty { color: #555; font-size: .9rem; }
footer { margin-top: 2.5rem; color: #777; font-size: .8rem; border-top: 1px solid #ddd; padding-top: .5rem; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 11pt; }
  section { break-before: page; page-break-before: always; }
  section:first-of-type { break-before: auto; page-break-before: auto; }
  .modebar-container, .modebar { display: none !important; }
  table.data { font-size: 9pt; }
  tr { break-inside: avoid; page-break-inside: avoid; }
}
"""


def _table_html(df: pd.DataFrame, max_rows: int) -> str:
    if df is None or df.shape[1] == 0 or df.empty:
        return '<p class="empty">No rows under these filters.</p>'
    frame = with_index(df)
    note = ""
    if len(frame) > max_rows:
        note = (f'<p class="table-note">Showing the first {max_rows:,} of {len(frame):,} rows; '
                "download the CSV or Excel file for all of them.</p>")
        frame = frame.head(max_rows)
    frame = frame.copy()
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if col.dtype == object:
            # na_rep misses None in mixed object columns; a blank cell reads as "missing".
            frame.isetitem(i, col.where(col.notna(), ""))
    table = frame.to_html(escape=True, index=False, na_rep="", border=0, classes="data")
    return table + note


def _figure_block(fig, div_id: str, static_images: bool) -> str:
    if static_images:
        svg = figure_svg(fig)
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        alt = html.escape(_plain_title(fig) or "Chart")
        # An <img> never runs scripts from the SVG it shows.
        return f'<div class="figure"><img alt="{alt}" src="data:image/svg+xml;base64,{data}"></div>'
    fig = go.Figure(fig) if isinstance(fig, Mapping) else fig
    body = pio.to_html(fig, include_plotlyjs=False, full_html=False, config=_PLOTLY_CONFIG, div_id=div_id,
                       default_height="450px")
    return f'<div class="figure">{body}</div>'


def html_report(title: str, sections: Sequence[Mapping], filters_caption: str | None, notes=None, *,
                generated_at: dt.datetime | None = None, static_images: bool = False,
                max_table_rows: int = 500) -> str:
    """One self-contained HTML file for a page or a deck (opens offline, prints one section per page).

    ``sections``: dicts with any of ``heading`` (str), ``text`` (plain text; blank lines
    split paragraphs), ``caption`` (this section's filters in words), ``notes`` (str or
    list), ``metrics`` ([(label, value)]), ``figures`` ([plotly Figure]) and ``tables``
    ([DataFrame]). Every string is HTML-escaped. Figures are interactive, with plotly.js
    inlined once; ``static_images=True`` embeds SVG images instead (needs Chromium; a
    smaller file with no script at all).
    """
    sections = check_sections(sections)
    when = timestamp(generated_at)
    esc = html.escape
    has_interactive = not static_images and any(f is not None for s in sections for f in s.get("figures") or [])
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             '<meta name="generator" content="Continuum">',
             f"<title>{esc(str(title or 'Continuum report'))}</title>",
             f"<style>{_REPORT_CSS}</style>"]
    if has_interactive:
        parts.append('<script type="text/javascript">' + plotly.offline.get_plotlyjs() + "</script>")
    parts += ["</head>", "<body>", "<header>", f"<h1>{esc(str(title or 'Continuum report'))}</h1>"]
    if filters_caption:
        parts.append(f'<p class="filters">Filters: {esc(str(filters_caption))}</p>')
    parts.append(f'<p class="meta">Generated <time datetime="{when.isoformat(timespec="seconds")}">'
                 f"{esc(when.strftime('%d %b %Y, %H:%M %Z').strip())}</time> by Continuum.</p>")
    top_notes = notes_list(notes)
    if top_notes:
        parts.append('<div class="notes"><h3>Notes</h3>' + "".join(_paragraphs(n) for n in top_notes) + "</div>")
    parts.append("</header>")
    if not sections:
        parts.append('<p class="empty">Nothing to show: this report has no sections.</p>')
    for i, sec in enumerate(sections):
        parts.append("<section>")
        if sec.get("heading"):
            parts.append(f"<h2>{esc(str(sec['heading']))}</h2>")
        if sec.get("caption"):
            parts.append(f'<p class="filters">Filters: {esc(str(sec["caption"]))}</p>')
        if sec.get("text"):
            parts.append(_paragraphs(sec["text"]))
        sec_notes = notes_list(sec.get("notes"))
        if sec_notes:
            parts.append('<div class="notes"><h3>Notes</h3>' + "".join(_paragraphs(n) for n in sec_notes)
                         + "</div>")
        metrics = list(sec.get("metrics") or [])
        if metrics:
            parts.append('<div class="metrics">' + "".join(
                f'<div class="metric"><span class="label">{esc(str(label))}</span>'
                f'<span class="value">{esc(format_value(value))}</span></div>' for label, value in metrics)
                + "</div>")
        for j, fig in enumerate(f for f in sec.get("figures") or [] if f is not None):
            parts.append(_figure_block(fig, f"figure-{i + 1}-{j + 1}", static_images))
        for table in sec.get("tables") or []:
            if table is not None:
                parts.append(_table_html(table, max_table_rows))
        parts.append("</section>")
    parts += ["<footer>Made with Continuum, offline: this file loads nothing from the network.</footer>",
              "</body>", "</html>"]
    return "\n".join(parts)
