"""Import of users' CSV, XLSX and JSON/JSONL files: read, validate, write all or nothing.

Every problem is reported as an ``ImportProblem`` naming the file, the row (counted
like a spreadsheet: the header is row 1, so the first record is row 2; for JSON the
first record is record 1), the column and what is wrong. Validation is complete
before anything is written, and the write is one transaction.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import sentiment, store
from analysis.store import rollups

# Per table: required columns, optional columns and their kinds.
# kinds: text, date, number, int, direction, unit (a number in [0, 1]), bit (0/1), group
SPECS: dict[str, dict] = {
    "customers": {
        "required": {"customer_id": "text"},
        "optional": {"name": "text", "email": "text", "segment": "text", "region": "text",
                     "joined_at": "date", "lifetime_value": "number"},
    },
    "identities": {
        "required": {"customer_id": "text", "platform": "text", "handle": "text"},
        "optional": {},
        "foreign": {"customer_id": "customers"},
    },
    "interactions": {
        "required": {"interaction_id": "text", "customer_id": "text", "occurred_at": "date",
                     "channel": "text", "direction": "direction"},
        "optional": {"thread_id": "text", "kind": "text", "amount": "number", "text": "text"},
        "foreign": {"customer_id": "customers"},
    },
    "posts": {
        "required": {"post_id": "text", "platform": "text", "author_handle": "text", "created_at": "date"},
        "optional": {"text": "text", "reply_to": "text", "reshare_of": "text", "likes": "int"},
    },
    "follows": {
        "required": {"platform": "text", "follower_handle": "text", "followee_handle": "text"},
        "optional": {},
    },
    "survey_responses": {
        "required": {"study": "text", "group": "group", "motive": "text"},
        "optional": {"respondent_id": "text", "selected": "bit", "share": "unit", "n": "int",
                     "customer_id": "text", "segment": "text"},
        "foreign": {"customer_id": "customers"},
    },
    "channels": {
        "required": {"channel": "text", "publicness": "unit"},
        "optional": {"label": "text", "description": "text"},
    },
}

TABLES = tuple(SPECS)
GROUPS = ("consumer", "business")


class ImportProblem(Exception):
    """A file that cannot be imported, with where and why."""

    def __init__(self, file: str, reason: str, row: int | None = None, column: str | None = None,
                 row_label: str = "row"):
        self.file, self.reason, self.row, self.column = file, reason, row, column
        where = [file]
        if row is not None:
            where.append(f"{row_label} {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(", ".join(where) + ": " + reason + ". Nothing was imported.")


@dataclass
class ImportReport:
    table: str
    file: str
    rows: int
    seconds: float
    distinct_texts_scored: int = 0
    new_channels: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    def summary(self) -> str:
        s = f"Imported {self.rows:,} rows into {self.table} from {self.file} in {self.seconds:.2f} s"
        if self.distinct_texts_scored:
            s += f"; sentiment scored for {self.distinct_texts_scored:,} distinct texts"
        if self.new_channels:
            s += (f"; new channels added with publicness 0.5 (edit them on the Continuum page): "
                  f"{', '.join(self.new_channels)}")
        return s + "."


Progress = Callable[[str, int, int], None]


# -- reading -------------------------------------------------------------------

def read_file(source, name: str | None = None) -> tuple[pd.DataFrame, str, int]:
    """Read CSV/XLSX/JSON/JSONL from a path or bytes-like upload.

    Returns (frame of the raw values, display name, offset to add to a 0-based
    index to get the row number users see) and raises ImportProblem.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        if not path.exists():
            raise ImportProblem(name, f"no such file ({path})")
        data = path.read_bytes()
    else:
        data = source.read() if hasattr(source, "read") else bytes(source)
        name = name or getattr(source, "name", "upload")
    suffix = Path(name).suffix.lower()
    if not data or not data.strip():
        raise ImportProblem(name, "the file is empty")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            frame = pd.read_excel(io.BytesIO(data), dtype=object)
        except Exception as exc:  # openpyxl raises many kinds
            raise ImportProblem(name, f"not a readable Excel workbook ({exc})") from None
        offset = 2
    else:
        text = _decode(data, name)  # also checks the encoding before the CSV parser sees the bytes
        if suffix in (".json", ".jsonl", ".ndjson"):
            frame = _read_json(text, name)
            offset = 1
        elif suffix in (".csv", ".txt", ".tsv", ""):
            sep = "\t" if suffix == ".tsv" else None
            try:
                # The bytes, not the decoded text: the parser reads UTF-8 a fifth faster than
                # it re-encodes a str, with the same cells.
                frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False,
                                    na_values=[""], sep=sep or ",", skipinitialspace=False)
            except pd.errors.EmptyDataError:
                raise ImportProblem(name, "the file is empty") from None
            except pd.errors.ParserError as exc:
                raise ImportProblem(name, f"not valid CSV ({exc})") from None
            offset = 2
        else:
            raise ImportProblem(name, f"unknown file type '{suffix}': use .csv, .xlsx, .json or .jsonl")
    if frame.empty:
        raise ImportProblem(name, "the file is empty (a header but no rows)")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame, name, offset


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportProblem(
            name, f"wrong encoding: byte 0x{data[exc.start]:02x} at line {line} is not UTF-8; "
                  "save the file as UTF-8 (in Excel: 'CSV UTF-8')") from None


def _read_json(text: str, name: str) -> pd.DataFrame:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportProblem(name, f"not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})") from None
    else:
        records = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ImportProblem(name, f"line {lineno} is not valid JSON ({exc.msg})") from None
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise ImportProblem(name, "each record must be a JSON object", row=i, row_label="record")
    if not records:
        raise ImportProblem(name, "the file is empty (no records)")
    frame = pd.DataFrame.from_records(records).astype(object)
    return frame.where(frame.notna(), None)


# -- parsing columns (vectorised) ------------------------------------------------

_DATE_FORMATS = (
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d",
    "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y",
    "%m/%d/%y", "%d-%b-%Y", "%d-%b-%y",
)


# Dates outside these years are typing errors in CRM data (and beyond 2262 do not fit pandas'
# nanosecond timestamps): refused like unreadable dates, with the range in the message.
FIRST_YEAR, LAST_YEAR = 1900, 2199


def _plausible(ts: pd.Series) -> pd.Series:
    """``ts`` with dates outside FIRST_YEAR..LAST_YEAR as NaT."""
    ok = (ts >= pd.Timestamp(f"{FIRST_YEAR}-01-01")) & (ts < pd.Timestamp(f"{LAST_YEAR + 1}-01-01"))
    return ts.where(ok)


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse ISO 8601 and common spreadsheet date forms to naive UTC timestamps.

    Slashed dates are read month first (as US spreadsheets write them) unless the
    first number exceeds 12. Numbers between 20000 and 80000 are Excel serial days.
    Unparseable values, and dates outside FIRST_YEAR..LAST_YEAR, give NaT.
    """
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if _is_text(values):
        # The common case (CSV): every cell is text or blank, parsed as one column in place.
        text = values.astype(str).str.strip()
        iso = _plausible(pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True).dt.tz_localize(None))
        out = iso.astype("datetime64[ns]").rename(None)
        todo = text[out.isna() & text.notna()]
    else:
        is_ts = values.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year"))
        if is_ts.any():
            out[is_ts] = _plausible(pd.to_datetime(values[is_ts].astype(object), errors="coerce",
                                                   utc=True).dt.tz_localize(None))
        rest = values[~is_ts & values.notna()]
        text = rest.astype(str).str.strip()
        todo = text.iloc[:0]
        if len(text):
            iso = _plausible(pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True).dt.tz_localize(None))
            out[iso.index[iso.notna()]] = iso[iso.notna()]
            todo = text[iso.isna()]
    if len(todo):
        for fmt in _DATE_FORMATS:
            if todo.empty:
                break
            parsed = _plausible(pd.to_datetime(todo, format=fmt, errors="coerce"))
            ok = parsed.notna()
            out[parsed.index[ok]] = parsed[ok]
            todo = todo[~ok]
        if not todo.empty:
            num = pd.to_numeric(todo, errors="coerce")
            serial = num.notna() & (num > 20000) & (num < 80000)
            if serial.any():
                out[num.index[serial]] = pd.Timestamp("1899-12-30") + pd.to_timedelta(num[serial], unit="D")
    return out


_ISO_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"  # the form dates are stored in


def _is_text(s: pd.Series) -> bool:
    """Every value is text or missing (a CSV column always is)."""
    return isinstance(s.dtype, pd.StringDtype) or pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | s.astype(str).str.strip().eq("")


def _trimmed(s: pd.Series) -> tuple[pd.Series | None, pd.Series]:
    """(a text column trimmed, or None for other columns; which cells are blank), trimming once."""
    if _is_text(s):
        out = s.astype("str").str.strip()
        return out, out.isna() | out.eq("")
    return None, _blank(s)


def _as_text(s: pd.Series, trimmed: pd.Series | None = None, blank: pd.Series | None = None) -> pd.Series:
    """Values as trimmed text, blanks as None; whole floats (1.0 from Excel) lose their '.0'.

    ``trimmed`` and ``blank`` are what ``_trimmed(s)`` gave, when the caller has them.
    """
    if trimmed is None and _is_text(s):
        trimmed, blank = _trimmed(s)
    if trimmed is not None:
        # The common case (CSV read as text): vectorised string methods.
        return trimmed.astype(object).where(~blank, None)

    def conv(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()
    out = s.map(conv)
    return out.where(out.notna() & out.ne(""), None)


def validate(frame: pd.DataFrame, table: str, name: str, offset: int,
             row_label: str = "row") -> pd.DataFrame:
    """Check and convert a raw frame to the table's columns; raise ImportProblem on the first bad cell."""
    if table not in SPECS:
        raise ImportProblem(name, f"unknown table '{table}'; choose one of {', '.join(TABLES)}")
    spec = SPECS[table]
    cols = dict(spec["required"], **spec["optional"])
    missing = [c for c in spec["required"] if c not in frame.columns]
    if missing:
        raise ImportProblem(name, f"missing required column{'s' if len(missing) > 1 else ''} "
                                  f"{', '.join(repr(m) for m in missing)} (found: {', '.join(frame.columns)})")
    dupes = frame.columns[frame.columns.duplicated()]
    if len(dupes):
        raise ImportProblem(name, f"column '{dupes[0]}' appears twice (names are matched case-insensitively)")
    out = pd.DataFrame(index=frame.index)

    def fail(mask: pd.Series, column: str, why: Callable[[object], str]):
        if mask.any():
            pos = int(np.flatnonzero(mask.to_numpy())[0])
            raise ImportProblem(name, why(frame[column].iloc[pos]), row=pos + offset, column=column,
                                row_label=row_label)

    for col, kind in cols.items():
        if col not in frame.columns:
            continue
        raw = frame[col]
        trimmed, blank = _trimmed(raw)
        if col in spec["required"]:
            fail(blank, col, lambda v: "a value is required here")
        if kind == "date":
            parsed = parse_dates(raw.where(~blank, None))
            fail(~blank & parsed.isna(), col,
                 lambda v: f"cannot read {str(v)!r} as a date between {FIRST_YEAR} and {LAST_YEAR} "
                           "(use ISO 8601 such as 2024-03-05 14:30)")
            out[col] = _date_text(parsed, trimmed)
        elif kind in ("number", "int", "unit", "bit"):
            num = pd.to_numeric(raw.where(~blank, None), errors="coerce")
            fail(~blank & num.isna(), col, lambda v: f"{str(v)!r} is not a number")
            if kind == "int":
                fail(~blank & (num % 1 != 0), col, lambda v: f"{str(v)!r} is not a whole number")
            if kind == "unit":
                fail(~blank & ((num < 0) | (num > 1)), col, lambda v: f"{str(v)!r} must be between 0 and 1")
            if kind == "bit":
                fail(~blank & ~num.isin([0, 1]), col, lambda v: f"{str(v)!r} must be 0 or 1")
            out[col] = num.astype("Int64") if kind in ("int", "bit") else num.astype(float)
        elif kind == "direction":
            text = _as_text(raw, trimmed, blank).str.lower()
            fail(~blank & ~text.isin(["inbound", "outbound"]), col,
                 lambda v: f"{str(v)!r} must be 'inbound' or 'outbound'")
            out[col] = text
        elif kind == "group":
            text = _as_text(raw, trimmed, blank).str.lower()
            fail(~blank & ~text.isin(GROUPS), col, lambda v: f"{str(v)!r} must be 'consumer' or 'business'")
            out[col] = text
        else:
            out[col] = _as_text(raw, trimmed, blank)
    if table == "channels":
        out["channel"] = out["channel"].str.lower()
    if table == "interactions":
        out["channel"] = out["channel"].str.lower()
        if "thread_id" not in out:
            out["thread_id"] = None
        # A touch with no thread is a thread of its own.
        out["thread_id"] = out["thread_id"].where(out["thread_id"].notna(), out["interaction_id"])
    if table == "survey_responses":
        out = _survey_rows(out, frame, name, offset, row_label)
    keys = store.TABLE_KEYS[table]
    dup = out.duplicated(list(keys), keep="first")
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero((out[list(keys)] == out[list(keys)].iloc[pos]).all(axis=1).to_numpy())[0])
        key_col = keys[0] if len(keys) == 1 else "+".join(keys)
        key_val = ", ".join(str(out[k].iloc[pos]) for k in keys)
        raise ImportProblem(name, f"duplicate key {key_val!r}: already used in {row_label} {first + offset}",
                            row=pos + offset, column=key_col, row_label=row_label)
    return out


def _date_text(parsed: pd.Series, trimmed: pd.Series | None) -> pd.Series:
    """Parsed dates as ``YYYY-MM-DD HH:MM:SS`` text (None where there is no date).

    A column already in that form (every date a CSV export of this app writes) is kept as
    read: its text is what formatting the parsed values would give, and formatting a
    million values costs a third of a second.
    """
    has = parsed.notna()
    if trimmed is not None and (trimmed.str.fullmatch(_ISO_TEXT) | ~has).all():
        return trimmed.where(has, None)
    return parsed.dt.strftime("%Y-%m-%d %H:%M:%S").where(has, None)


def _survey_rows(out: pd.DataFrame, frame: pd.DataFrame, name: str, offset: int, row_label: str) -> pd.DataFrame:
    for c in ("respondent_id", "selected", "share", "n", "customer_id", "segment"):
        if c not in out:
            out[c] = None
    respondent = out["respondent_id"].notna()
    aggregate = ~respondent
    bad_resp = respondent & out["selected"].isna()
    bad_agg = aggregate & (out["share"].isna() | out["n"].isna())
    for mask, col, why in ((bad_resp, "selected", "a respondent row needs 'selected' (0 or 1)"),
                           (bad_agg, "share", "an aggregate row (no respondent_id) needs 'share' and 'n'")):
        if mask.any():
            pos = int(np.flatnonzero(mask.to_numpy())[0])
            raise ImportProblem(name, why, row=pos + offset, column=col, row_label=row_label)
    out["response_key"] = (out["study"] + "|" + out["group"] + "|" + out["respondent_id"].fillna("*")
                           + "|" + out["motive"])
    return out


# -- writing --------------------------------------------------------------------

def import_frame(db: sqlite_utils.Database, table: str, out: pd.DataFrame, name: str, offset: int,
                 row_label: str = "row", progress: Progress | None = None) -> ImportReport:
    """Write an already validated frame in one transaction (foreign keys checked first)."""
    t0 = time.perf_counter()
    spec = SPECS[table]
    for col, parent in spec.get("foreign", {}).items():
        if col not in out:
            continue
        vals = out[col].dropna()
        known = store.existing_keys(db, parent, store.TABLE_KEYS[parent][0], vals.unique().tolist())
        unknown = out[col].notna() & ~out[col].isin(known)
        if unknown.any():
            pos = int(np.flatnonzero(unknown.to_numpy())[0])
            raise ImportProblem(name, f"unknown {col} {out[col].iloc[pos]!r}: no such row in {parent} "
                                      f"(import {parent} first)", row=pos + offset, column=col,
                                row_label=row_label)
    report = ImportReport(table=table, file=name, rows=len(out), seconds=0.0)
    overrides = None
    if table == "posts":
        if "text" not in out:
            out["text"] = None
        scores, distinct = sentiment.score_texts(
            out["text"].tolist(), progress=(lambda d, t: progress("sentiment", d, t)) if progress else None)
        out["sentiment_vader"] = pd.Series(scores, index=out.index, dtype=float)
        out["sentiment"] = out["sentiment_vader"]
        report.distinct_texts_scored = distinct
        # A person's correction survives a re-import of the same post.
        overrides = {"sentiment": "CASE WHEN posts.sentiment_corrected = 1 THEN posts.sentiment "
                                  "ELSE excluded.sentiment END"}
    was_fresh = rollups.fresh(db)
    with store.transaction(db, waiting=_waiting(progress)):
        if table == "interactions":
            report.new_channels = store.ensure_channels(db, out["channel"].unique().tolist())
        store.upsert_rows(db, table, out, overrides=overrides,
                          progress=(lambda d, t: progress("write", d, t)) if progress else None)
        # The Overview's rollups follow the import in the same transaction (only what it touched).
        rollups.after_import(db, table, out, was_fresh)
    report.seconds = time.perf_counter() - t0
    return report


WAITING = "waiting for another import or demo build to finish (seconds)"


def _waiting(progress: Progress | None):
    """The transaction's wait for another writer, shown as a progress stage."""
    if progress is None:
        return None
    return lambda waited, timeout: progress(WAITING, int(waited), int(timeout))


def import_file(db: sqlite_utils.Database, table: str, source, name: str | None = None,
                progress: Progress | None = None) -> ImportReport:
    """Read, validate and import one file into ``table``; all or nothing."""
    t0 = time.perf_counter()
    if table not in SPECS:
        raise ImportProblem(str(name or source), f"unknown table '{table}'; choose one of {', '.join(TABLES)}")
    frame, name, offset = read_file(source, name)
    row_label = "record" if offset == 1 else "row"
    if progress:
        progress("read", len(frame), len(frame))
    out = validate(frame, table, name, offset, row_label)
    report = import_frame(db, table, out, name, offset, row_label, progress)
    report.seconds = time.perf_counter() - t0
    return report
