"""Exports that keep, share, show and hand out a view: safe CSV/XLSX, chart images, standalone HTML and slides.

Nothing here reaches the network: chart images are drawn by the system Chromium
through kaleido (with MathJax off and a dead proxy, so the browser cannot fetch
anything), and every HTML file carries plotly.js inline.

One topic per module; this package names what it offers (``from analysis import exports``):

- ``safe``: formula injection neutralised, characters XML cannot hold removed
- ``tables``: readable tables, CSV and XLSX bytes
- ``images``: chart PNG and SVG through the system Chromium
- ``sections``: the sections of a report or deck, checked, values in words
- ``html_files``: a chart or a report as one standalone HTML file
- ``slides``: a deck as PPTX
"""

from analysis.exports.html_files import figure_html, html_report
from analysis.exports.images import (
    DEFAULT_IMAGE_HEIGHT,
    DEFAULT_IMAGE_WIDTH,
    ChromiumNotFound,
    chromium_path,
    figure_png,
    figure_svg,
    stop_renderer,
)
from analysis.exports.safe import (
    FORMULA_TRIGGERS,
    NON_TEXT_KINDS,
    XML_ILLEGAL,
    clean_text,
    neutralise_cell,
    prefix_triggers,
    safe_frame,
    with_index,
)
from analysis.exports.sections import SECTION_KEYS, check_sections, format_value, notes_list, timestamp
from analysis.exports.slides import pptx_deck
from analysis.exports.tables import column_label, readable, report_title, to_csv_bytes, to_xlsx_bytes

__all__ = [
    "FORMULA_TRIGGERS",
    "NON_TEXT_KINDS",
    "XML_ILLEGAL",
    "neutralise_cell",
    "prefix_triggers",
    "safe_frame",
    "with_index",
    "clean_text",
    "column_label",
    "readable",
    "report_title",
    "to_csv_bytes",
    "to_xlsx_bytes",
    "ChromiumNotFound",
    "DEFAULT_IMAGE_WIDTH",
    "DEFAULT_IMAGE_HEIGHT",
    "chromium_path",
    "stop_renderer",
    "figure_png",
    "figure_svg",
    "format_value",
    "notes_list",
    "SECTION_KEYS",
    "check_sections",
    "timestamp",
    "figure_html",
    "html_report",
    "pptx_deck",
]
