"""Exports that keep, share, show and hand out a view: safe CSV/XLSX, chart images, standalone HTML and slides.

Nothing here reaches the network: chart images are drawn by the system Chromium
through kaleido (with MathJax off and a dead proxy, so the browser cannot fetch
anything), and every HTML file carries plotly.js inline.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import concurrent.futures
import datetime as dt
import html
import io
import numbers
import os
import re
import shutil
import threading
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline

__all__ = [
    "ChromiumNotFound", "neutralise_cell", "safe_frame", "to_csv_bytes", "to_xlsx_bytes", "chromium_path",
    "figure_png", "figure_svg", "figure_html", "html_report", "pptx_deck", "format_value", "stop_renderer",
    "FORMULA_TRIGGERS",
]

# A spreadsheet treats a cell starting with one of these as a formula (or, for tab
# and CR, may shift it into one); OWASP's "CSV injection" list and ASVS 5.0 1.2.10 (NUL too).
# The full-width forms are there because spreadsheets in East Asian locales (and some importers'
# normalisation) read a leading ＝ ＋ － ＠ as the ASCII sign.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# inferred kinds (pandas.api.types.infer_dtype) that hold no text to neutralise
NON_TEXT_KINDS = frozenset({
    "empty", "integer", "floating", "mixed-integer-float", "decimal", "complex", "boolean", "datetime64",
    "datetime", "date", "time", "timedelta64", "timedelta", "period", "interval",
})

# Excel's own limits; openpyxl does not check them and Excel then "repairs" the file.
_EXCEL_MAX_ROWS = 1_048_576
_EXCEL_MAX_CHARS = 32_767
# XML 1.0 forbids these control characters (openpyxl and python-pptx raise on them).
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# -- formula injection ------------------------------------------------------
def _is_kept_as_is(value) -> bool:
    """Numbers, dates, times and bytes are not text a spreadsheet could evaluate."""
    return isinstance(value, (numbers.Number, np.generic, dt.date, dt.time, dt.timedelta, bytes)) \
        and not isinstance(value, str)


def neutralise_cell(value):
    """One cell made safe for a spreadsheet: text starting with = + - @ tab or CR gets a leading '.

    Numbers (Python, numpy, bool), dates and missing values come back unchanged;
    any other object is turned into its text first, so nothing reaches a file unchecked.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
    if _is_kept_as_is(value):
        return value
    try:
        if pd.isna(value):
            return value
    except (TypeError, ValueError):  # list-likes: not a missing value
        pass
    return neutralise_cell(str(value))


def prefix_triggers(texts: pd.Series) -> pd.Series:
    hit = texts.str.startswith(FORMULA_TRIGGERS, na=False)
    if not hit.any():
        return texts
    out = texts.copy()
    out[hit] = "'" + texts[hit]
    return out


def _safe_series(s: pd.Series) -> pd.Series:
    dtype = s.dtype
    if (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
            or pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype)):
        return s
    if isinstance(dtype, pd.CategoricalDtype):
        s = s.astype(object)
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in NON_TEXT_KINDS:
        return s
    if kind == "string":
        return prefix_triggers(s)
    # Mixed column: numbers stay numbers, text is checked, other objects become checked text.
    s = s.astype(object)
    is_str = s.map(lambda v: isinstance(v, str)).astype(bool)
    kept = s.isna() | s.map(_is_kept_as_is).astype(bool)
    other = ~(is_str | kept)
    out = s.copy()
    if other.any():
        out[other] = s[other].map(str)
    texts = is_str | other
    if texts.any():
        out[texts] = prefix_triggers(out[texts].astype(str))
    return out


def _safe_labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(neutralise_cell(x) for x in t) for t in index], names=index.names)
    return pd.Index([neutralise_cell(x) for x in index], name=index.name)


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) cannot run as spreadsheet formulas.

    Works column by column with pandas string methods; numeric, boolean and date
    columns are returned untouched, and numbers inside text columns stay numbers.
    """
    out = pd.DataFrame({i: _safe_series(df.iloc[:, i]) for i in range(df.shape[1])}, index=df.index)
    out.columns = _safe_labels(df.columns)
    return out


def with_index(df: pd.DataFrame) -> pd.DataFrame:
    """Keep an index that carries information (named, several levels, or labels) as columns."""
    idx = df.index
    if isinstance(idx, pd.MultiIndex) or any(n is not None for n in idx.names) \
            or not pd.api.types.is_integer_dtype(idx.dtype):
        return df.reset_index()
    return df


# -- tables -----------------------------------------------------------------
_WORDS = {"id": "ID", "ci95": "95% CI", "p": "p", "n": "n", "ltv": "LTV", "url": "Link", "frt": "first response",
          "pct": "%", "h": "(hours)", "s": "(s)", "avg": "average", "std": "std. dev.", "pg": "", "ls": "",
          "wi": "what-if", "qty": "quantity"}


def column_label(name) -> str:
    """A column name as a report prints it: "mean_sentiment" → "Mean sentiment", "p_value" → "P value",
    "first_response_h" → "First response (hours)". Names that already read as words are kept."""
    text = str(name)
    if "_" not in text and (not text.islower() or " " in text):
        return text
    words = [_WORDS.get(w, w) for w in text.split("_") if w]
    words = [w for w in words if w]
    out = " ".join(words) or text
    return out[:1].upper() + out[1:]


def _round_significant(values: np.ndarray, digits: int = 4) -> np.ndarray:
    """Round to ``digits`` significant figures (whole numbers above 10^digits keep their integer part)."""
    x = values.astype(float)
    finite = np.isfinite(x) & (x != 0)
    out = x.copy()
    mag = np.zeros_like(x)
    mag[finite] = np.floor(np.log10(np.abs(x[finite])))
    decimals = np.clip(digits - 1 - mag, 0, 12)
    scale = 10.0 ** decimals
    out[finite] = np.round(x[finite] * scale[finite]) / scale[finite]
    return out


def readable(df: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """A table for people: readable column names, floats to ``digits`` significant figures, missing
    values blank (never "None" or "nan"). Numbers stay numbers; text stays text."""
    frame = with_index(df)
    out = {}
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if pd.api.types.is_float_dtype(col.dtype):
            col = pd.Series(_round_significant(col.to_numpy(dtype=float, na_value=np.nan), digits), index=col.index)
        elif col.dtype == object:
            col = col.where(col.notna(), None).map(lambda v: "" if v is None else v)
        out[i] = col
    result = pd.DataFrame(out, index=frame.index)
    result.columns = [column_label(c) for c in frame.columns]
    return result


def report_title(page_title: str) -> str:
    """A page report's title, named after the page: "Report: Continuum page"."""
    return f"Report: {page_title} page"


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV as UTF-8 with a byte-order mark (so Excel reads accents), formula-safe."""
    frame = safe_frame(with_index(df))
    if frame.shape[1] == 0:
        return "\ufeff".encode()
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _sheet_title(name: str) -> str:
    title = re.sub(r"[\[\]:*?/\\]", " ", str(name or "")).strip().strip("'")[:31]
    return title or "data"


def _excel_value(value):
    """A value openpyxl can write: None for missing, plain Python numbers, naive datetimes."""
    if value is None or isinstance(value, str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Excel has no time zones: write the wall-clock time in UTC.
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, (numbers.Number, dt.date, dt.time, dt.timedelta)):
        return value
    return neutralise_cell(clean_text(value))


def _excel_text(s: pd.Series) -> pd.Series:
    """Strip characters XML cannot hold, re-check for formulas and cut to Excel's cell limit, column-wise.

    Stripping comes before the check: "\x01=cmd" must not turn into "=cmd" unchecked.
    """
    if pd.api.types.infer_dtype(s, skipna=True) in NON_TEXT_KINDS:
        return s
    is_str = s.map(lambda v: isinstance(v, str)).astype(bool)
    if not is_str.any():
        return s
    texts = s[is_str].astype(str)
    dirty = texts.str.contains(XML_ILLEGAL, regex=True)
    long = texts.str.len() > _EXCEL_MAX_CHARS
    if not (dirty.any() or long.any()):
        return s
    cleaned = prefix_triggers(texts.str.replace(XML_ILLEGAL, "", regex=True)).str.slice(0, _EXCEL_MAX_CHARS)
    out = s.astype(object).copy()
    out[is_str] = cleaned
    return out


def _header_value(label):
    if isinstance(label, tuple):
        label = " / ".join("" if x is None else str(x) for x in label)
    if isinstance(label, str):
        return neutralise_cell(clean_text(label))
    return _excel_value(label)


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "data", caption: str | None = None) -> bytes:
    """One worksheet, formula-safe: text is written as text (never as a formula).

    ``caption`` (the filters in words) goes in the first row, above the header.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    frame = safe_frame(with_index(df))
    if len(frame) + 2 > _EXCEL_MAX_ROWS:
        raise ValueError(f"{len(frame):,} rows do not fit in one Excel sheet (at most {_EXCEL_MAX_ROWS - 2:,} "
                         "here); export CSV instead.")
    columns = [_excel_text(frame.iloc[:, i]).astype(object).tolist() for i in range(frame.shape[1])]
    headers = [_header_value(c) for c in frame.columns]

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(sheet_name))
    # Rough column widths from the header and the first rows (Excel has no autofit on open).
    for i, head in enumerate(headers):
        longest = max([len(str(head))] + [len(str(v)) for v in columns[i][:200] if v is not None])
        ws.column_dimensions[get_column_letter(i + 1)].width = min(60, max(8, longest + 2))
    # A write-only sheet takes its frozen rows only before the first row is written.
    ws.freeze_panes = "A3" if caption else "A2"
    if caption:
        cell = WriteOnlyCell(ws, value=neutralise_cell(clean_text(caption))[:_EXCEL_MAX_CHARS])
        cell.font = Font(italic=True)
        ws.append([cell])
    head_cells = []
    for head in headers:
        cell = WriteOnlyCell(ws, value=head)
        cell.font = Font(bold=True)
        head_cells.append(cell)
    ws.append(head_cells)
    for row in zip(*columns):
        ws.append([_excel_value(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def clean_text(text) -> str:
    return XML_ILLEGAL.sub("", str(text))


# -- chart images (kaleido + system Chromium) -------------------------------
class ChromiumNotFound(RuntimeError):
    """Chart images need a Chromium (or Chrome) executable and none was found."""


_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_START_TIMEOUT = 60.0
_RENDER_TIMEOUT = 60.0
# Chromium gets this as its proxy: any request a figure or the browser itself tries
# fails at once instead of leaving the machine (local files are not proxied).
_NO_NETWORK_PROXY = "http://127.0.0.1:9"
DEFAULT_IMAGE_WIDTH = 1100
DEFAULT_IMAGE_HEIGHT = 500


def _is_exe(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def chromium_path() -> str:
    """The browser kaleido drives: $CONTINUUM_CHROMIUM, else chromium/chrome on PATH, else /usr/bin/chromium."""
    explicit = os.environ.get("CONTINUUM_CHROMIUM")
    if explicit:
        if _is_exe(explicit):
            return explicit
        raise ChromiumNotFound(f"CONTINUUM_CHROMIUM is set to {explicit!r}, which is not an executable file.")
    for name in _BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    if _is_exe("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    raise ChromiumNotFound(
        "Chart images (PNG, SVG and slides) need Chromium, which is not installed on this machine. "
        "Install it with `apt-get install chromium` (or set CONTINUUM_CHROMIUM to a Chromium or Chrome "
        "executable). The interactive HTML export works without it.")


class _Renderer:
    """One headless Chromium, kept open on its own event-loop thread.

    kaleido's ``start_sync_server`` does the same but waits forever when the
    browser fails to start or dies (its queue has no timeout) and hands results
    back through a queue that is not safe with several callers; Streamlit serves
    sessions from several threads. Futures give each call its own result and a timeout.
    """

    def __init__(self, browser: str):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="continuum-kaleido", daemon=True)
        self._thread.start()
        self._kaleido = None
        try:
            self._kaleido = self._call(self._open(browser), _START_TIMEOUT)
        except BaseException:
            self.close()
            raise

    @staticmethod
    async def _open(browser: str):
        import kaleido

        k = kaleido.Kaleido(path=browser, mathjax=False, timeout=_RENDER_TIMEOUT, proxy_server=_NO_NETWORK_PROXY)
        await k.open()
        return k

    def _call(self, coro, timeout: float):
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"Chromium did not answer within {timeout:.0f} s") from None

    def render(self, fig_dict: dict, opts: dict) -> bytes:
        return self._call(self._kaleido.calc_fig(fig_dict, opts=opts), _RENDER_TIMEOUT + 10)

    def close(self) -> None:
        if self._kaleido is not None:
            try:
                self._call(self._kaleido.close(), 15)
            except Exception:  # a dead browser has nothing left to close
                pass
            self._kaleido = None
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)


_renderer: _Renderer | None = None
_renderer_lock = threading.Lock()


def _get_renderer() -> _Renderer:
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = _Renderer(chromium_path())
        return _renderer


def stop_renderer() -> None:
    """Close the shared Chromium (it is started again on the next image)."""
    global _renderer
    with _renderer_lock:
        if _renderer is not None:
            _renderer.close()
            _renderer = None


atexit.register(stop_renderer)


def _figure_dict(fig) -> dict:
    if isinstance(fig, go.Figure):
        return fig.to_dict()
    if isinstance(fig, Mapping):
        return go.Figure(fig).to_dict()
    raise TypeError(f"expected a plotly Figure, got {type(fig).__name__}")


def _image(fig, fmt: str, scale: float, width: int | None, height: int | None) -> bytes:
    from choreographer.errors import BrowserClosedError, BrowserFailedError, ChannelClosedError

    d = _figure_dict(fig)
    layout = d.get("layout", {})
    opts = {"format": fmt, "scale": scale,
            "width": int(width or layout.get("width") or DEFAULT_IMAGE_WIDTH),
            "height": int(height or layout.get("height") or DEFAULT_IMAGE_HEIGHT)}
    renderer = _get_renderer()
    try:
        return renderer.render(d, opts)
    except (TimeoutError, BrowserClosedError, BrowserFailedError, ChannelClosedError):
        # The browser is gone or stuck: drop it so the next export starts a fresh one.
        global _renderer
        with _renderer_lock:
            if _renderer is renderer:
                _renderer = None
        renderer.close()
        raise


def figure_png(fig, scale: float = 2, *, width: int | None = None, height: int | None = None) -> bytes:
    """The chart as PNG bytes (``scale`` 2 suits slides and print). Raises ChromiumNotFound without a browser.

    Width and height default to the figure's layout, else 1100 × 500 layout pixels.
    """
    return _image(fig, "png", scale, width, height)


def figure_svg(fig, *, width: int | None = None, height: int | None = None) -> str:
    """The chart as SVG text. Raises ChromiumNotFound without a browser."""
    svg = _image(fig, "svg", 1, width, height)
    return svg.decode("utf-8") if isinstance(svg, bytes) else svg


# -- HTML -------------------------------------------------------------------
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


def format_value(value) -> str:
    """A metric value in words: thousands separators, two decimals (three significant below 1)."""
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        v = float(value)
        if v != v:
            return "–"
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:.3g}" if abs(v) < 1 else f"{v:,.2f}"
    return str(value)


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", str(text)) if b.strip()]
    return "\n".join("<p>" + html.escape(b).replace("\n", "<br>") + "</p>" for b in blocks)


def notes_list(notes) -> list[str]:
    if notes is None:
        return []
    if isinstance(notes, str):
        return [notes] if notes.strip() else []
    return [str(n) for n in notes if n is not None and str(n).strip()]


SECTION_KEYS = {"heading", "text", "caption", "notes", "metrics", "figures", "tables"}


def check_sections(sections) -> list[Mapping]:
    out = []
    for i, sec in enumerate(sections or []):
        if not isinstance(sec, Mapping):
            raise TypeError(f"section {i + 1} must be a dict, got {type(sec).__name__}")
        unknown = set(sec) - SECTION_KEYS
        if unknown:
            raise ValueError(f"section {i + 1} has unknown keys {sorted(unknown)}; "
                             f"allowed: {sorted(SECTION_KEYS)}")
        out.append(sec)
    return out


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


def timestamp(generated_at: dt.datetime | None) -> dt.datetime:
    when = generated_at or dt.datetime.now().astimezone()
    return when if when.tzinfo else when.astimezone()


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


# -- slides -----------------------------------------------------------------
def _cell_text(value) -> str:
    try:
        if value is None or pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return clean_text(format_value(value) if isinstance(value, numbers.Number) else value)


def _png_size(png: bytes) -> tuple[int, int]:
    # Width and height are the first two fields of the IHDR chunk.
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def pptx_deck(title: str, sections: Sequence[Mapping], filters_caption: str | None, notes=None, *,
              generated_at: dt.datetime | None = None) -> bytes:
    """A 16:9 PowerPoint deck (python-pptx): a title slide, then one slide per section.

    Each section slide shows its first chart as a PNG (kaleido), its metrics and text,
    and its filters in words at the bottom; notes go in the slide notes. A section's
    further charts get "(continued)" slides; a section without a chart shows its first
    table (up to 12 rows). Raises ChromiumNotFound if a chart needs drawing without a browser.
    """
    try:
        from pptx import Presentation
        from pptx.dml.color import RGBColor
        from pptx.util import Inches, Pt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("Slides need the python-pptx package (pip install python-pptx).") from exc

    sections = check_sections(sections)
    when = timestamp(generated_at)
    grey = RGBColor(0x55, 0x55, 0x55)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    title_layout, title_only = prs.slide_layouts[0], prs.slide_layouts[5]

    def text_box(slide, left, top, width, height, lines, size=14, color=None):
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        frame = box.text_frame
        frame.word_wrap = True
        for k, (line, line_size, bold) in enumerate(lines):
            para = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
            run = para.add_run()
            run.text = clean_text(line)
            run.font.size = Pt(line_size or size)
            run.font.bold = bold
            if color is not None:
                run.font.color.rgb = color
        return box

    def set_notes(slide, chunks):
        text = "\n\n".join(clean_text(c) for c in chunks if c and str(c).strip())
        if text:
            slide.notes_slide.notes_text_frame.text = text

    def place_title(slide, text):
        shape = slide.shapes.title
        shape.left, shape.top, shape.width, shape.height = Inches(0.5), Inches(0.25), Inches(12.3), Inches(0.9)
        shape.text = clean_text(text)
        for para in shape.text_frame.paragraphs:
            for run in para.runs:
                run.font.size = Pt(30)

    def footer(slide, caption):
        if caption:
            text_box(slide, 0.5, 6.95, 12.3, 0.4, [(f"Filters: {caption}", 11, False)], color=grey)

    def picture(slide, fig, left, top, width, height):
        png = figure_png(fig, scale=2)
        w, h = _png_size(png)
        ratio = min(width / w, height / h)
        slide.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(top), Inches(w * ratio), Inches(h * ratio))

    def table(slide, df, left, top, width, height):
        frame = with_index(df).head(12).iloc[:, :8]
        rows, cols = frame.shape[0] + 1, frame.shape[1]
        shape = slide.shapes.add_table(rows, cols, Inches(left), Inches(top), Inches(width),
                                       Inches(min(height, 0.4 * rows)))
        grid = shape.table
        for c, name in enumerate(frame.columns):
            grid.cell(0, c).text = clean_text(name)
        for r, values in enumerate(frame.astype(object).itertuples(index=False), start=1):
            for c, v in enumerate(values):
                grid.cell(r, c).text = _cell_text(v)
        for r in range(rows):
            for c in range(cols):
                for para in grid.cell(r, c).text_frame.paragraphs:
                    for run in para.runs:
                        run.font.size = Pt(11)

    # Title slide
    slide = prs.slides.add_slide(title_layout)
    slide.shapes.title.left, slide.shapes.title.top = Inches(0.8), Inches(2.0)
    slide.shapes.title.width, slide.shapes.title.height = Inches(11.7), Inches(1.6)
    slide.shapes.title.text = clean_text(title or "Continuum")
    sub = slide.placeholders[1]
    sub.left, sub.top, sub.width, sub.height = Inches(0.8), Inches(3.8), Inches(11.7), Inches(1.8)
    sub.text = clean_text(f"Filters: {filters_caption}" if filters_caption else "All data")
    sub.text_frame.add_paragraph().text = clean_text(f"Generated {when.strftime('%d %b %Y, %H:%M %Z').strip()}"
                                                      " by Continuum")
    set_notes(slide, notes_list(notes))

    for sec in sections:
        heading = str(sec.get("heading") or "")
        caption = sec.get("caption") or filters_caption
        metrics = list(sec.get("metrics") or [])
        text = str(sec.get("text") or "")
        figures = [f for f in sec.get("figures") or [] if f is not None]
        tables = [t for t in sec.get("tables") or [] if t is not None and t.shape[1] and not t.empty]
        side = metrics or text
        main_w = 8.6 if side else 12.3
        slide = prs.slides.add_slide(title_only)
        place_title(slide, heading)
        if figures:
            picture(slide, figures[0], 0.5, 1.3, main_w, 5.5)
        elif tables:
            table(slide, tables[0], 0.5, 1.3, main_w, 5.5)
        elif not side:
            text_box(slide, 0.5, 1.3, 12.3, 5.5, [("No chart or table in this section.", 18, False)], color=grey)
        if side:
            lines = []
            for label, value in metrics:
                lines += [(str(label), 14, False), (format_value(value), 28, True)]
            if text:
                lines.append((text, 14, False))
            left, width = (9.4, 3.4) if (figures or tables) else (0.5, 12.3)
            text_box(slide, left, 1.3, width, 5.5, lines)
        footer(slide, caption)
        set_notes(slide, notes_list(sec.get("notes")) + ([text] if text else []) + [
            f"Filters: {caption}" if caption else ""])
        for k, fig in enumerate(figures[1:], start=2):
            slide = prs.slides.add_slide(title_only)
            place_title(slide, f"{heading} (continued, {k} of {len(figures)})")
            picture(slide, fig, 0.5, 1.3, 12.3, 5.5)
            footer(slide, caption)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
