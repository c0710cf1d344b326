"""Cells safe to hand out: spreadsheet formula injection neutralised, characters XML cannot hold removed."""

from __future__ import annotations

import datetime as dt
import numbers
import re

import numpy as np
import pandas as pd

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

# XML 1.0 forbids these control characters (openpyxl and python-pptx raise on them).
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


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


def clean_text(text) -> str:
    return XML_ILLEGAL.sub("", str(text))
