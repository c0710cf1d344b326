"""Tables as files: readable column names and figures, CSV and XLSX bytes (cells made safe first)."""

from __future__ import annotations

import datetime as dt
import io
import numbers
import re

import numpy as np
import pandas as pd

from analysis.exports.safe import (
    NON_TEXT_KINDS,
    XML_ILLEGAL,
    clean_text,
    neutralise_cell,
    prefix_triggers,
    safe_frame,
    with_index,
)

# Excel's own limits; openpyxl does not check them and Excel then "repairs" the file.
_EXCEL_MAX_ROWS = 1_048_576
_EXCEL_MAX_CHARS = 32_767

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
