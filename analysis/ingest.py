"""Import of users' CSV, XLSX and JSON/JSONL files: read, validate, write all or nothing.

Every problem is reported as an ``ImportProblem`` naming the file, the row (counted
like a spreadsheet: the header is row 1, so the first record is row 2; for JSON the
first record is record 1), the column and what is wrong. Validation is complete
before anything is written, and the write is one transaction.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import queue
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import scoring, sentiment, store
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
        "optional": {"thread_id": "text", "kind": "text", "amount": "number", "text": "text",
                     "account": "text"},
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
    "brand_accounts": {
        "required": {"platform": "text", "handle": "text"},
        "optional": {},
    },
}

# Columns holding an id, a key or a reference to one: "3.0" (a spreadsheet's or pandas' float) and "3"
# must be one id there, or reply trees and links silently break (see ``normalise_ids``).
ID_COLUMNS = frozenset({"customer_id", "interaction_id", "thread_id", "post_id", "reply_to", "reshare_of",
                        "respondent_id", "handle", "author_handle", "follower_handle", "followee_handle"})

TABLES = tuple(SPECS)

# A table's rows in words, for summaries ("1 brand account", "13 brand accounts"): the Data page's names for
# the tables (``table_words``), singular for one row.
ROW_WORDS: dict[str, tuple[str, str]] = {
    "customers": ("customer", "customers"), "identities": ("identity", "identities"),
    "interactions": ("interaction", "interactions"), "posts": ("post", "posts"), "follows": ("follow", "follows"),
    "survey_responses": ("survey response", "survey responses"), "channels": ("channel", "channels"),
    "brand_accounts": ("brand account", "brand accounts"),
}


def table_words(table: str) -> str:
    """A table's name as the Data page writes it: "brand accounts" for brand_accounts."""
    return table.replace("_", " ")


def rows_in_words(table: str, n: int) -> str:
    """``n`` rows of ``table`` in words: "1 brand account", "1,530 posts"."""
    one, many = ROW_WORDS.get(table, (table_words(table), table_words(table)))
    return f"{n:,} {one if n == 1 else many}"
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
    sentiment_seconds: float = 0.0  # of ``seconds``, spent scoring post texts

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    @property
    def rows_per_second_without_sentiment(self) -> float:
        """The rate of everything but the scoring (reading, checking, writing): what an import of the
        same rows would reach with the scores already known."""
        rest = self.seconds - self.sentiment_seconds
        return self.rows / rest if rest > 0 else float("inf")

    def summary(self) -> str:
        s = (f"Imported {self.rows:,} {'row' if self.rows == 1 else 'rows'} into {table_words(self.table)} "
             f"from {self.file} in {self.seconds:.2f} s")
        if self.distinct_texts_scored:
            s += (f"; sentiment scored for {self.distinct_texts_scored:,} distinct texts "
                  f"({self.sentiment_seconds:.2f} s of it)")
        if self.new_channels:
            s += (f"; new channels added with publicness 0.5 (edit them on the Continuum page): "
                  f"{', '.join(self.new_channels)}")
        return s + "."


Progress = Callable[[str, int, int], None]


# -- limits ----------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    """What one import may hold; anything larger is refused with a message before it is parsed.

    Each is set by an environment variable (LIMIT_ENV), for the command line and the app alike.
    CSV and JSONL are read in chunks (memory does not grow with the file); JSON arrays and Excel
    workbooks are parsed whole, so they have a smaller size limit of their own.
    """

    max_mb: float = 4096.0  # a CSV or JSONL file, in MiB
    max_whole_mb: float = 256.0  # a JSON array, or an Excel workbook's uncompressed content, in MiB
    max_rows: int = 20_000_000
    max_columns: int = 200
    max_cell_chars: int = 100_000

    @classmethod
    def from_env(cls) -> Limits:
        values = {}
        for f in fields(cls):
            raw = os.environ.get(LIMIT_ENV[f.name])
            if raw:
                try:
                    values[f.name] = type(getattr(cls, f.name))(float(raw))
                except ValueError:
                    pass  # a typo keeps the default rather than stopping every import
        return cls(**values)


LIMIT_ENV = {
    "max_mb": "CONTINUUM_IMPORT_MAX_MB",
    "max_whole_mb": "CONTINUUM_IMPORT_MAX_WHOLE_MB",
    "max_rows": "CONTINUUM_IMPORT_MAX_ROWS",
    "max_columns": "CONTINUUM_IMPORT_MAX_COLUMNS",
    "max_cell_chars": "CONTINUUM_IMPORT_MAX_CELL_CHARS",
}

# Rows validated and written at a time: memory stays at a few chunks' worth whatever the file's size.
CHUNK_ROWS = 50_000
_BLOCK = 1 << 24  # bytes read at a time when checking a file's encoding


def _mb(n: float) -> str:
    return f"{n / (1 << 20):,.0f} MiB"


# -- reading -------------------------------------------------------------------

@dataclass
class Reading:
    """A file opened for import: its name, how rows are counted, and its rows chunk by chunk.

    ``chunks()`` yields frames of raw values whose index is the row's position in the file
    (0 for the first record), so ``index + offset`` is the row number users see.
    """

    name: str
    offset: int
    row_label: str
    columns: list[str]
    estimated_rows: int
    _chunks: Callable[[], Iterator[pd.DataFrame]]
    may_have_nul: bool = True  # False when the bytes hold no NUL (nor a JSON \u0000): cells need no check

    def chunks(self) -> Iterator[pd.DataFrame]:
        return self._chunks()


def _source(source, name: str | None) -> tuple[str, Path | None, bytes | None, int]:
    """(display name, path or None, bytes or None, size in bytes) without reading a path's bytes."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        if not path.is_file():
            raise ImportProblem(name, f"no such file ({path})")
        return name, path, None, path.stat().st_size
    data = source.read() if hasattr(source, "read") else bytes(source)
    return name or getattr(source, "name", "upload"), None, data, len(data)


def _blocks(path: Path | None, data: bytes | None) -> Iterator[bytes]:
    if data is not None:
        for start in range(0, len(data), _BLOCK):
            yield data[start:start + _BLOCK]
        return
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            yield block


def _check_text(name: str, path: Path | None, data: bytes | None) -> tuple[int, bool]:
    """Check a text file is UTF-8 before any parser sees it, block by block; returns its line count.

    UTF-16 (with or without a byte-order mark) gets its own message: without the mark its bytes are
    valid UTF-8 with a NUL between letters, which would otherwise read as columns nobody can find.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    nul = False
    first = True
    blank = True
    for block in _blocks(path, data):
        if first:
            first = False
            if block[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                raise ImportProblem(name, "wrong encoding: the file is UTF-16 (it starts with a UTF-16 byte-order "
                                          "mark); save it as UTF-8 (in Excel: 'CSV UTF-8')")
            head = block[:4096]
            if head.count(0) > len(head) // 4 and max(head[0::2].count(0), head[1::2].count(0)) > len(head) // 4:
                raise ImportProblem(name, "wrong encoding: the file looks like UTF-16 without a byte-order mark "
                                          "(a NUL byte between letters); save it as UTF-8 (in Excel: 'CSV UTF-8')")
        try:
            decoder.decode(block)
        except UnicodeDecodeError as exc:
            line = lines + block[: exc.start].count(b"\n") + 1
            raise ImportProblem(
                name, f"wrong encoding: byte 0x{block[exc.start]:02x} at line {line} is not UTF-8; "
                      "save the file as UTF-8 (in Excel: 'CSV UTF-8')") from None
        lines += block.count(b"\n")
        nul = nul or b"\x00" in block or b"\\u0000" in block  # a NUL byte, or JSON's escape for one
        blank = blank and not block.strip()
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ImportProblem(name, f"wrong encoding: the file ends inside a character (line {lines + 1}); "
                                  "save the file as UTF-8") from None
    if blank:
        raise ImportProblem(name, "the file is empty")
    return lines, nul


def decode_text(data: bytes, name: str) -> str:
    """A whole small text file (an edge list, say) as text, with the same encoding checks as an import
    (UTF-8 only, UTF-16 named as such) and no NUL characters: those are refused with their line."""
    _check_text(name, None, data)
    text = data.decode("utf-8-sig")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportProblem(name, f"a NUL character at line {line}: remove it (it is never part of real text)")
    return text


def _header(name: str, raw: list, limits: Limits, row: int | None = 1) -> list[str]:
    """Column names as matched (trimmed, lower case); refuses duplicates, NULs and too many columns.

    ``row``: where the names are (the header row; None for JSON keys, which every record repeats).
    """
    if len(raw) > limits.max_columns:
        raise ImportProblem(name, f"{len(raw):,} columns, more than the limit of {limits.max_columns:,} "
                                  f"(set {LIMIT_ENV['max_columns']} to allow more)")
    names = ["" if c is None or (isinstance(c, float) and np.isnan(c)) else str(c).strip().lower() for c in raw]
    for i, c in enumerate(names):
        if "\x00" in c:
            raise ImportProblem(name, f"column {i + 1}'s name contains a NUL character; remove it", row=row,
                                column=c.replace("\x00", "\\0"))
    seen: dict[str, int] = {}
    for i, c in enumerate(names):
        if c and c in seen:
            raise ImportProblem(name, f"column '{c}' appears twice (columns {seen[c] + 1} and {i + 1}; names are "
                                      "matched case-insensitively): keep one", row=row, column=c)
        seen.setdefault(c, i)
    return names


def _index_from(frame: pd.DataFrame, start: int) -> pd.DataFrame:
    frame.index = pd.RangeIndex(start, start + len(frame))
    return frame


def open_file(source, name: str | None = None, limits: Limits | None = None,
              chunk_rows: int | None = None, nested: bool = False) -> Reading:
    """Open CSV/XLSX/JSON/JSONL from a path or a bytes-like upload for reading in chunks.

    ``nested``: JSON records may hold objects and lists (a built-in format flattens them, as a
    Twitter API export's ``user`` object); a plain table import refuses them.

    Everything that can be refused without parsing the rows is refused here (size, encoding,
    header, number of columns), so a file over a limit costs nothing to turn down.
    """
    limits = limits or Limits.from_env()
    chunk_rows = chunk_rows or CHUNK_ROWS
    name, path, data, size = _source(source, name)
    suffix = Path(name).suffix.lower()
    if size == 0:
        raise ImportProblem(name, "the file is empty")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return _open_excel(name, path, data, limits, chunk_rows)
    if suffix not in (".json", ".jsonl", ".ndjson", ".csv", ".txt", ".tsv", ""):
        raise ImportProblem(name, f"unknown file type '{suffix}': use .csv, .xlsx, .json or .jsonl")
    whole_json = suffix == ".json"
    limit = limits.max_whole_mb if whole_json else limits.max_mb
    if size > limit * (1 << 20):
        hint = " (a JSON array is read whole: for larger files use JSON Lines, .jsonl)" if whole_json else ""
        raise ImportProblem(name, f"the file is {_mb(size)}, more than the limit of {_mb(limit * (1 << 20))}{hint} "
                                  f"(set {LIMIT_ENV['max_whole_mb' if whole_json else 'max_mb']} to allow more)")
    lines, nul = _check_text(name, path, data)
    if suffix in (".json", ".jsonl", ".ndjson"):
        reading = _open_json(name, path, data, suffix, lines, limits, chunk_rows, nested)
    else:
        reading = _open_csv(name, path, data, "\t" if suffix == ".tsv" else ",", lines, limits, chunk_rows)
    reading.may_have_nul = nul
    return reading


def _csv_options(sep: str) -> dict:
    return dict(encoding="utf-8-sig", dtype=str, keep_default_na=False, na_values=[""], sep=sep,
                skipinitialspace=False)


def _open_csv(name, path, data, sep, lines, limits, chunk_rows) -> Reading:
    def handle():
        # The bytes, not decoded text: the parser reads UTF-8 a fifth faster than it re-encodes a str.
        return path if path is not None else io.BytesIO(data)

    try:
        head = pd.read_csv(handle(), header=None, nrows=1, **_csv_options(sep))
    except pd.errors.EmptyDataError:
        raise ImportProblem(name, "the file is empty") from None
    except pd.errors.ParserError as exc:
        raise ImportProblem(name, f"not valid CSV ({exc})") from None
    columns = _header(name, head.iloc[0].tolist() if len(head) else [], limits)
    fast = _arrow_readable(handle(), data)

    def chunks():
        start = 0
        if fast:
            try:
                for frame in _arrow_chunks(handle(), sep, len(columns), chunk_rows):
                    frame.columns = columns
                    yield _index_from(frame, start)
                    start += len(frame)
            except ArrowInvalid:
                pass  # a row pyarrow refuses (one with fewer cells, say): pandas reads on from here
            else:
                if start == 0:
                    raise ImportProblem(name, "the file is empty (a header but no rows)")
                return
        done, skip = start, start
        try:
            # Exact duplicate names were refused above, so the parser's renaming of them never applies.
            with pd.read_csv(handle(), header=0, chunksize=chunk_rows, **_csv_options(sep)) as reader:
                for frame in reader:
                    if skip:  # rows pyarrow gave already
                        cut = min(skip, len(frame))
                        frame, skip = frame.iloc[cut:], skip - cut
                        if frame.empty:
                            continue
                    frame.columns = columns
                    yield _index_from(frame, start)
                    start += len(frame)
        except pd.errors.ParserError as exc:
            raise ImportProblem(name, f"not valid CSV ({exc})") from None
        if start == 0 and done == 0:
            raise ImportProblem(name, "the file is empty (a header but no rows)")

    return Reading(name, 2, "row", columns, max(lines - 1, 1), chunks)


try:
    from pyarrow import ArrowInvalid
except ImportError:  # pragma: no cover - pandas' own parser does the work
    ArrowInvalid = None


def _arrow_readable(source, data: bytes | None) -> bool:
    """Whether pyarrow's CSV reader may read this file: it is installed, and the header row holds no
    quote (pyarrow skips the header as a line, so a quoted name spanning two lines would shift the rows)."""
    if ArrowInvalid is None:
        return False
    if data is not None:
        head = data[:1 << 16]
    else:
        with open(source, "rb") as fh:
            head = fh.read(1 << 16)
    line = head.split(b"\n", 1)[0]
    return b'"' not in line and (b"\n" in head or len(head) < 1 << 16)


# Bytes pyarrow parses at a time (a batch): small enough that its read-ahead adds little to the
# import's memory, large enough to keep its threads busy.
ARROW_BLOCK = 1 << 20


def _arrow_chunks(source, sep: str, n_columns: int, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The rows after the header as text columns (blank cells missing), ``chunk_rows`` at a time.

    pyarrow's reader parses on its own threads without Python's lock, a seventh of the CPU time of
    pandas' parser on a million rows, and gives the same cells in the same string columns (what
    pandas reads too is tested). It refuses a row with fewer or more cells than the header
    (ArrowInvalid), where pandas fills or refuses: the caller reads on with pandas from there.
    The bytes were checked as UTF-8 before, so pyarrow does not check them again.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(n_columns)]
    reader = pacsv.open_csv(
        source,
        read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, block_size=ARROW_BLOCK),
        parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names}, strings_can_be_null=True,
                                             null_values=[""], quoted_strings_can_be_null=True, check_utf8=False))
    pending: list = []
    held = 0
    with reader:
        for batch in reader:
            pending.append(batch)
            held += batch.num_rows
            while held >= chunk_rows:
                table = pa.Table.from_batches(pending)
                yield table.slice(0, chunk_rows).to_pandas()
                rest = table.slice(chunk_rows)
                pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending, schema=reader.schema).to_pandas()


def _open_excel(name, path, data, limits, chunk_rows) -> Reading:
    # A workbook is a zip: its declared sizes bound what decompression may produce (zipfile stops at
    # the declared size and fails the CRC), so checking them refuses a zip bomb before any parsing.
    try:
        with zipfile.ZipFile(path if path is not None else io.BytesIO(data)) as z:
            declared = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportProblem(name, f"not a readable Excel workbook ({exc})") from None
    if declared > limits.max_whole_mb * (1 << 20):
        raise ImportProblem(name, f"the workbook unpacks to {_mb(declared)}, more than the limit of "
                                  f"{_mb(limits.max_whole_mb * (1 << 20))} (set {LIMIT_ENV['max_whole_mb']} to allow "
                                  "more, or save the sheet as CSV UTF-8, which is read in chunks)")
    try:
        frame = pd.read_excel(path if path is not None else io.BytesIO(data), dtype=object, header=None)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds
        raise ImportProblem(name, f"not a readable Excel workbook ({exc})") from None
    if frame.empty:
        raise ImportProblem(name, "the file is empty")
    columns = _header(name, frame.iloc[0].tolist(), limits)
    frame = frame.iloc[1:]
    frame.columns = columns
    frame = frame.where(frame.notna(), None)
    if frame.empty:
        raise ImportProblem(name, "the file is empty (a header but no rows)")
    _check_rows(name, len(frame), 2, "row", limits)
    return Reading(name, 2, "row", columns, len(frame), _slices(_index_from(frame, 0), chunk_rows))


def _slices(frame: pd.DataFrame, chunk_rows: int):
    def chunks():
        for start in range(0, len(frame), chunk_rows):
            yield frame.iloc[start:start + chunk_rows]
    return chunks


def _check_rows(name: str, rows: int, offset: int, row_label: str, limits: Limits) -> None:
    if rows > limits.max_rows:
        raise ImportProblem(name, f"more than the limit of {limits.max_rows:,} rows (set {LIMIT_ENV['max_rows']} "
                                  "to allow more)", row=limits.max_rows + offset, row_label=row_label)


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    out = dict(pairs)
    if len(out) < len(pairs):
        seen = set()
        dupe = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _DuplicateKey(dupe)
    return out


class _DuplicateKey(ValueError):
    pass


def _json_records(name: str, value, where: str) -> list:
    if isinstance(value, dict):
        inner = [k for k, v in value.items() if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)]
        hint = f" (the records seem to be under '{inner[0]}': save that list alone)" if inner else ""
        raise ImportProblem(name, f"{where} holds one JSON object, not a list of records: write the records as "
                                  f"[{{...}}, {{...}}] (or one object per line in a .jsonl file){hint}")
    if not isinstance(value, list):
        raise ImportProblem(name, f"{where} holds a single {type(value).__name__} value, not a list of records")
    return value


def _loads(name: str, text: str, where: str):
    try:
        # NaN and Infinity (not JSON, but Python writes them) stay as their text: refused as numbers.
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=str)
    except _DuplicateKey as exc:
        raise ImportProblem(name, f"{where}: key '{exc}' appears twice in one object") from None
    except RecursionError:
        raise ImportProblem(name, f"{where} is nested too deeply: a record's values must be single values "
                                  "(text, numbers, true/false or empty)") from None
    except json.JSONDecodeError as exc:
        raise ImportProblem(name, f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                                  f"{exc.msg})") from None


def _records_frame(name: str, records: list, start: int, limits: Limits, columns: dict,
                   nested: bool = False) -> pd.DataFrame:
    for i, rec in enumerate(records, start=start + 1):
        if not isinstance(rec, dict):
            raise ImportProblem(name, "each record must be a JSON object", row=i, row_label="record")
        if len(rec) > limits.max_columns:
            raise ImportProblem(name, f"{len(rec):,} keys, more than the limit of {limits.max_columns:,} columns "
                                      f"(set {LIMIT_ENV['max_columns']} to allow more)", row=i, row_label="record")
        for k, v in rec.items():
            if isinstance(v, (dict, list)) and not nested:
                raise ImportProblem(name, f"a {'list' if isinstance(v, list) else 'nested object'} where a single "
                                          "value (text, number, true/false or empty) belongs", row=i,
                                    column=str(k).strip().lower(), row_label="record")
    frame = pd.DataFrame.from_records(records).astype(object)
    names = _header(name, list(frame.columns), limits, row=None)  # "Name" and "name" in one file: refused
    for c in names:
        columns.setdefault(c, None)
    if len(columns) > limits.max_columns:
        raise ImportProblem(name, f"{len(columns):,} different keys, more than the limit of {limits.max_columns:,} "
                                  f"columns (set {LIMIT_ENV['max_columns']} to allow more)")
    frame.columns = names
    frame = frame.where(frame.notna(), None)
    return _index_from(frame, start)


def _open_json(name, path, data, suffix, lines, limits, chunk_rows, nested: bool = False) -> Reading:
    def text_of() -> bytes:
        return path.read_bytes() if path is not None else data

    if suffix == ".json":
        text = text_of().decode("utf-8-sig")
        stripped = text.lstrip()
        value = None
        if not stripped.startswith("{"):
            value = _loads(name, text, "the file")  # an array of records (anything else is refused below)
        else:
            try:  # one object (refused below), or JSON Lines saved as .json (read as such)
                value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=str)
            except (ValueError, RecursionError):
                value = None
        if value is not None:
            del text, stripped
            records = _json_records(name, value, "the file")
            if not records:
                raise ImportProblem(name, "the file is empty (no records)")
            _check_rows(name, len(records), 1, "record", limits)
            columns: dict = {}
            frames = [_records_frame(name, records[s:s + chunk_rows], s, limits, columns, nested)
                      for s in range(0, len(records), chunk_rows)]
            del records, value
            return Reading(name, 1, "record", list(columns), sum(map(len, frames)), lambda: iter(frames))

    def records():
        handle = open(path, "rb") if path is not None else io.BytesIO(data)
        with handle:
            for lineno, line in enumerate(handle, start=1):
                line = line.decode("utf-8-sig" if lineno == 1 else "utf-8")
                if line.strip():
                    yield lineno, line

    seen_columns: dict = {}

    def chunks():
        batch, start = [], 0
        for lineno, line in records():
            rec = _loads(name, line, f"line {lineno}")
            if not isinstance(rec, dict):
                raise ImportProblem(name, f"line {lineno} is not a JSON object (each line must be one record)")
            batch.append(rec)
            if len(batch) == chunk_rows:
                yield _records_frame(name, batch, start, limits, seen_columns, nested)
                start += len(batch)
                batch = []
        if batch:
            yield _records_frame(name, batch, start, limits, seen_columns, nested)
            start += len(batch)
        if start == 0:
            raise ImportProblem(name, "the file is empty (no records)")

    return Reading(name, 1, "record", [], max(lines, 1), chunks)


def read_file(source, name: str | None = None, limits: Limits | None = None,
              nested: bool = False) -> tuple[pd.DataFrame, str, int]:
    """Read CSV/XLSX/JSON/JSONL from a path or bytes-like upload, whole.

    Returns (frame of the raw values, display name, offset to add to a 0-based
    index to get the row number users see) and raises ImportProblem. Imports read in
    chunks instead (``open_file``); this is for small files and tests.
    """
    reading = open_file(source, name, limits, nested=nested)
    frames = list(reading.chunks())
    frame = pd.concat(frames) if len(frames) > 1 else frames[0]
    if frame.empty:
        raise ImportProblem(reading.name, "the file is empty (a header but no rows)")
    return frame, reading.name, reading.offset


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
            # Twitter's own form, 'Wed Oct 11 06:55:44 +0000 2017' (API exports, the support corpus).
            tw = pd.to_datetime(todo, format="%a %b %d %H:%M:%S %z %Y", errors="coerce", utc=True)
            tw = _plausible(tw.dt.tz_localize(None))
            out[tw.index[tw.notna()]] = tw[tw.notna()]
            todo = todo[tw.isna()]
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
        # The common case (CSV read as text): vectorised string methods, and the column stays a string
        # column (missing values NaN): the store binds those three times faster than Python objects.
        return trimmed.where(~blank)

    def conv(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()
    out = s.map(conv)
    return out.where(out.notna() & out.ne(""), None)


def validate(frame: pd.DataFrame, table: str, name: str, offset: int,
             row_label: str = "row", check_nul: bool = True) -> pd.DataFrame:
    """Check and convert a raw frame to the table's columns; raise ImportProblem on the first bad cell.

    ``check_nul=False`` skips the search for NUL characters when the file's bytes had none.
    """
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
        # A NUL is never part of an id, a name or a text (it comes from binary or UTF-16 data); kept, it
        # would make 'E2\0' and 'E2' two customers and break chart exports.
        if check_nul:
            fail(_has_nul(raw), col, lambda v: f"{str(v)!r} contains a NUL character (\\0); remove it")
        if col in spec["required"]:
            fail(blank, col, lambda v: "a value is required here")
        if kind == "date":
            parsed = parse_dates(raw.where(~blank, None))
            fail(~blank & parsed.isna(), col,
                 lambda v: f"cannot read {str(v)!r} as a date between {FIRST_YEAR} and {LAST_YEAR} "
                           "(use ISO 8601 such as 2024-03-05 14:30)")
            out[col] = _date_text(parsed, trimmed)
        elif kind in ("number", "int", "unit", "bit"):
            num = _to_number(raw.where(~blank, None))
            fail(~blank & num.isna(), col, lambda v: f"{str(v)!r} is not a number")
            as_float = num.astype(float)
            fail(~blank & ~np.isfinite(as_float), col,
                 lambda v: f"{str(v)!r} is not a finite number (infinite or too large)")
            if kind == "int":
                fail(~blank & (as_float.abs() >= 2.0 ** 63), col,
                     lambda v: f"{str(v)!r} is too large for a whole number (at most {2 ** 63 - 1:,})")
                fail(~blank & (as_float % 1 != 0), col, lambda v: f"{str(v)!r} is not a whole number")
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
            if col in ID_COLUMNS:
                out[col] = normalise_ids(out[col], trimmed)
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


_WHOLE_FLOAT = r"^([+-]?[0-9]+)\.0+$"


def normalise_ids(values: pd.Series, text: pd.Series | None = None) -> pd.Series:
    """Ids as text with a whole-number float's ``.0`` dropped: ``3.0`` -> ``3``, ``0042`` kept.

    pandas writes an integer column with a blank cell as floats (``3.0``); the same id written
    ``3`` elsewhere must match it. Other text (``A-3.0``, ``3.5``) is kept as it is. ``text``: the
    same values as a string-dtype column, when the caller has it (its string methods are fast).
    """
    keep_dtype = text is not None and isinstance(values.dtype, pd.StringDtype)  # validate's string columns
    if text is None:
        if values.isna().all():
            return values
        text = values.astype("str")
    # Only ids with a dot can change: a cheap scan first (the regex over a million ids takes 1.7 s).
    dotted = text.str.contains(".", regex=False).fillna(False).astype(bool)
    if not dotted.any():
        return values
    if keep_dtype:
        return values.where(~dotted, text.str.replace(_WHOLE_FLOAT, r"\1", regex=True))
    out = values.astype(object).copy()
    out[dotted] = text[dotted].str.replace(_WHOLE_FLOAT, r"\1", regex=True).astype(object)
    return out.where(values.notna(), None)


def _has_nul(s: pd.Series) -> pd.Series:
    """Which cells hold a NUL character."""
    if _is_text(s):
        return s.str.contains("\x00", regex=False).fillna(False).astype(bool)
    return s.map(lambda v: isinstance(v, str) and "\x00" in v).astype(bool)


_INT64 = 2 ** 63


def _to_number(s: pd.Series) -> pd.Series:
    """Numbers from text or from JSON/Excel values; unreadable ones are NaN, Python integers beyond
    64 bits become floats (or infinity: refused as not finite) instead of failing the conversion."""
    if not _is_text(s):
        def fit(v):
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= _INT64:
                return float(v) if abs(v) < 10 ** 308 else float("inf") * (1 if v > 0 else -1)
            return v
        s = s.map(fit)
    return pd.to_numeric(s, errors="coerce")


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

WAITING = "waiting for another import or demo build to finish (seconds)"


def _waiting(progress: Progress | None):
    """The transaction's wait for another writer, shown as a progress stage."""
    if progress is None:
        return None
    return lambda waited, timeout: progress(WAITING, int(waited), int(timeout))


class _SeenKeys:
    """Keys of the rows already written by this import, as 64-bit hashes with their row numbers, so a
    key repeated in a later chunk is refused like one repeated within a chunk. Sorted runs merged
    as they double (8 + 8 bytes a row, whatever the keys' length)."""

    def __init__(self):
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []
        self._order: np.ndarray | None = None  # the sort of the chunk ``first_repeat`` last searched

    def first_repeat(self, hashes: np.ndarray) -> tuple[int, int] | None:
        """(position in ``hashes``, row number it repeats) of the first key seen before, or None.

        The chunk's hashes are searched in sorted order (three times faster than in file order: each
        search starts where the one before ended), and that order is kept for ``add``.
        """
        self._order = np.argsort(hashes, kind="stable")
        needles = hashes[self._order]
        best = None
        for h, rows in self.runs:
            pos = np.minimum(np.searchsorted(h, needles), len(h) - 1)
            hit = h[pos] == needles
            if hit.any():
                where = self._order[hit]  # positions in the chunk of the keys seen before
                k = int(np.argmin(where))
                i = int(where[k])
                if best is None or i < best[0]:
                    best = (i, int(rows[pos[hit][k]]))
        return best

    def add(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        order = self._order if self._order is not None and len(self._order) == len(hashes) else \
            np.argsort(hashes, kind="stable")
        self._order = None
        run = (hashes[order], rows[order])
        while self.runs and len(self.runs[-1][0]) <= len(run[0]):
            h, r = self.runs.pop()
            h, r = np.concatenate([h, run[0]]), np.concatenate([r, run[1]])
            order = np.argsort(h, kind="stable")
            run = (h[order], r[order])
        self.runs.append(run)


@dataclass
class _Chunk:
    """A validated chunk ready to write: its rows, the row number of the first, the values to bind
    (``store.bind_values``), the days it touches (posts), or the repeated key that refuses it."""
    out: pd.DataFrame
    offset: int
    bound: dict | None = None
    days: list = field(default_factory=list)
    repeat: ImportProblem | None = None


class _Import:
    """One import's writes, chunk by chunk, inside the caller's transaction: foreign keys, keys
    repeated across chunks, new channels, sentiment (each distinct text once), the rows, and at the
    end the indexes and the Overview's rollups."""

    SENTIMENT_CACHE = 500_000  # distinct texts remembered across chunks
    KNOWN_CACHE = 2_000_000  # parent ids (customers) found in the database, remembered across chunks

    def __init__(self, db, table: str, name: str, row_label: str, report: ImportReport,
                 progress: Progress | None, estimated_rows: int):
        self.db, self.table, self.name, self.row_label = db, table, name, row_label
        self.report, self.progress, self.estimated = report, progress, max(estimated_rows, 1)
        self.keys = list(store.TABLE_KEYS[table])
        self.seen = _SeenKeys()
        self.scores: dict[str, float | None] = {}
        self.touched: dict[str, set] = {"customer_id": set(), "created_at": set()}
        self.rows = 0
        self.was_fresh = rollups.fresh(db)
        self.rebuild: list[str] = []
        self.scorer = scoring.current_scorer(db) if table == "posts" else None  # the database's own scorer
        self.postgres = store.is_postgres(db)
        self.known: dict[str, set] = {}  # per foreign-key column, the ids found in its parent table

    def begin(self) -> None:
        # For a load at least as large as the table, its indexes are built once at the end.
        self.rebuild = store._drop_indexes_for_bulk_load(self.db, self.table, self.estimated)

    def prepare(self, out: pd.DataFrame, offset: int) -> _Chunk:
        """The work on a chunk that needs no database: keys repeated from an earlier chunk (found in
        file order, so this must see every chunk, in order) and the values to bind. A file's import
        runs it on its reading thread, one chunk ahead of the write."""
        # Python's own string hash (64 bits, fixed within a process): ten times faster here than pandas'.
        cols = [out[k].tolist() for k in self.keys]
        hashes = np.fromiter(map(hash, cols[0] if len(cols) == 1 else zip(*cols)), dtype=np.int64, count=len(out))
        del cols
        repeat = self.seen.first_repeat(hashes)
        if repeat is not None:
            pos, first = repeat
            key_col = self.keys[0] if len(self.keys) == 1 else "+".join(self.keys)
            key_val = ", ".join(str(out[k].iloc[pos]) for k in self.keys)
            problem = ImportProblem(self.name, f"duplicate key {key_val!r}: already used in {self.row_label} {first}",
                                    row=pos + offset, column=key_col, row_label=self.row_label)
            return _Chunk(out, offset, repeat=problem)
        self.seen.add(hashes, np.arange(len(out), dtype=np.int64) + offset)
        days = (out["created_at"].dropna().astype(str).str[:10].unique().tolist()
                if self.table == "posts" else [])
        return _Chunk(out, offset, bound=store.bind_values(out, postgres=self.postgres), days=days)

    def write(self, chunk: _Chunk | pd.DataFrame, offset: int | None = None) -> None:
        """Write one chunk (a ``prepare``d one, or a frame prepared here), after its foreign keys: of an
        unknown reference and a repeated key, the problem in the earlier row is the one reported."""
        if not isinstance(chunk, _Chunk):
            chunk = self.prepare(chunk, offset)
        db, table, out, offset = self.db, self.table, chunk.out, chunk.offset
        unknown = self._unknown_reference(out, offset)
        problems = [p for p in (unknown, chunk.repeat) if p is not None]
        if problems:
            raise min(problems, key=lambda p: p.row)
        overrides = None
        if table == "interactions":
            self.report.new_channels += store.ensure_channels(db, out["channel"].unique().tolist())
            self.touched["customer_id"].update(out["customer_id"].unique().tolist())
        if table == "posts":
            self._score(out)
            # A person's correction survives a re-import of the same post.
            overrides = {"sentiment": "CASE WHEN posts.sentiment_corrected = 1 THEN posts.sentiment "
                                      "ELSE excluded.sentiment END"}
            self.touched["created_at"].update(chunk.days)
        single = self.rows == 0 and len(out) >= self.estimated
        store.upsert_rows(db, table, out, overrides=overrides, bulk=False, bound=chunk.bound,
                          progress=(lambda d, t: self.progress("write", d, t)) if self.progress and single else None)
        self.rows += len(out)
        if self.progress and not single:
            self.progress("import", self.rows, max(self.rows, self.estimated))

    def _unknown_reference(self, out: pd.DataFrame, offset: int) -> ImportProblem | None:
        """The first row naming a customer (or other parent row) that is not in the database.

        The ids found before are remembered (up to KNOWN_CACHE of them): the parent table cannot lose
        rows inside the import's transaction, so a later chunk asks the database only about new ids.
        """
        for col, parent in SPECS[self.table].get("foreign", {}).items():
            if col not in out:
                continue
            verified = self.known.setdefault(col, set())
            new = [v for v in out[col].dropna().unique().tolist() if v not in verified]
            found = store.existing_keys(self.db, parent, store.TABLE_KEYS[parent][0], new) if new else set()
            if len(found) == len(new):  # every one known: no need to find the first row naming an unknown one
                if len(verified) + len(new) <= self.KNOWN_CACHE:
                    verified.update(new)
                continue
            unknown = out[col].isin(set(new) - found)
            pos = int(np.flatnonzero(unknown.to_numpy())[0])
            return ImportProblem(self.name, f"unknown {col} {out[col].iloc[pos]!r}: no such row in {parent} "
                                            f"(import {parent} first)", row=pos + offset, column=col,
                                 row_label=self.row_label)
        return None

    def _score(self, out: pd.DataFrame) -> None:
        """Each distinct text of the chunk looked up once in the texts scored before, the new ones scored,
        and the scores spread back to the rows by their codes (no per-row Python)."""
        if "text" not in out:
            out["text"] = None
        codes, uniques = pd.factorize(out["text"], use_na_sentinel=True)
        distinct = uniques.tolist()
        unseen = object()
        known = [self.scores.get(t, unseen) for t in distinct]
        todo = [t for t, s in zip(distinct, known) if s is unseen]
        progress = self.progress if self.rows == 0 and len(out) >= self.estimated else None
        t0 = time.perf_counter()
        scores, scored = sentiment.score_texts(
            todo, progress=(lambda d, t: progress("sentiment", d, t)) if progress else None, scorer=self.scorer)
        self.report.sentiment_seconds += time.perf_counter() - t0
        self.report.distinct_texts_scored += scored
        fresh = iter(scores)
        per_text = np.array([next(fresh) if s is unseen else s for s in known], dtype=float)  # None -> NaN
        if len(self.scores) + scored > self.SENTIMENT_CACHE:
            self.scores = {}
        self.scores.update(zip(todo, scores))
        column = np.full(len(out), np.nan)
        has_text = codes >= 0
        column[has_text] = per_text[codes[has_text]]
        out["sentiment_vader"] = column
        out["sentiment"] = column.copy()

    def finish(self) -> None:
        store._rebuild_indexes(self.db, self.rebuild)
        # The Overview's rollups follow the import in the same transaction (only what it touched).
        touched = {"interactions": pd.DataFrame({"customer_id": sorted(self.touched["customer_id"])}),
                   "posts": pd.DataFrame({"created_at": sorted(self.touched["created_at"])})}.get(
            self.table, pd.DataFrame())
        rollups.after_import(self.db, self.table, touched, self.was_fresh, n_rows=self.rows)


def import_frame(db: sqlite_utils.Database, table: str, out: pd.DataFrame, name: str, offset: int,
                 row_label: str = "row", progress: Progress | None = None) -> ImportReport:
    """Write an already validated frame in one transaction (foreign keys checked first)."""
    t0 = time.perf_counter()
    report = ImportReport(table=table, file=name, rows=len(out), seconds=0.0)
    job = _Import(db, table, name, row_label, report, progress, len(out))
    with store.transaction(db, waiting=_waiting(progress)):
        job.begin()
        job.write(out, offset)
        job.finish()
    report.seconds = time.perf_counter() - t0
    return report


def _check_cells(frame: pd.DataFrame, name: str, offset: int, row_label: str, limits: Limits) -> None:
    """Refuse a cell longer than the limit (before it is converted or written)."""
    for col in frame.columns:
        s = frame[col]
        if _is_text(s):
            lengths = s.astype("str").str.len().fillna(0)
        else:
            lengths = s.map(lambda v: len(v) if isinstance(v, str) else 0)
        over = (lengths > limits.max_cell_chars).to_numpy()
        if over.any():
            pos = int(np.flatnonzero(over)[0])
            raise ImportProblem(name, f"a value of {int(lengths.iloc[pos]):,} characters, more than the limit of "
                                      f"{limits.max_cell_chars:,} (set {LIMIT_ENV['max_cell_chars']} to allow more)",
                                row=pos + offset, column=col, row_label=row_label)


def _validated(reading: Reading, table: str, limits: Limits) -> Iterator[tuple[pd.DataFrame, int]]:
    """The file's chunks checked and converted: (rows for ``table``, the row number of the first)."""
    name, offset, row_label = reading.name, reading.offset, reading.row_label
    for raw in reading.chunks():
        start = int(raw.index[0]) if len(raw) else 0
        _check_rows(name, start + len(raw), offset, row_label, limits)
        _check_cells(raw, name, offset + start, row_label, limits)
        out = validate(raw, table, name, offset + start, row_label, check_nul=reading.may_have_nul)
        del raw
        yield out, offset + start


def _one_ahead(items: Iterator, poll: float = 0.1) -> Iterator:
    """``items`` made on a second thread, one item ahead of the caller.

    An import reads and validates chunk k+1 (pyarrow and pandas' kernels, much of it without Python's
    lock) while the caller writes chunk k (SQLite, which releases the lock while it steps): the
    machine's second core works on the import. The next item is begun only when the caller takes
    the one before, so at most two chunks are alive. A problem raised while making an item is raised
    here, in its place in the sequence; when the caller stops early (a bad row, a refused write) the
    thread stops before making another.
    """
    made: queue.Queue = queue.Queue()
    permit = threading.Semaphore(1)
    stop = threading.Event()
    end = object()

    def make():
        try:
            source = iter(items)
            while True:
                while not permit.acquire(timeout=poll):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                item = next(source, end)
                made.put((item, None))
                if item is end:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            made.put((None, exc))

    worker = threading.Thread(target=make, name="import-reader", daemon=True)
    worker.start()
    try:
        while True:
            item, exc = made.get()
            if exc is not None:
                raise exc
            if item is end:
                return
            permit.release()  # the next chunk is made while this one is written
            yield item
    finally:
        stop.set()
        worker.join()


def import_file(db: sqlite_utils.Database, table: str, source, name: str | None = None,
                progress: Progress | None = None, limits: Limits | None = None) -> ImportReport:
    """Read, validate and import one file into ``table``; all or nothing.

    The file is read, validated and written in chunks of CHUNK_ROWS rows inside one transaction,
    so memory does not grow with the file and a bad row in any chunk rolls back everything.
    """
    t0 = time.perf_counter()
    if table not in SPECS:
        raise ImportProblem(str(name or source), f"unknown table '{table}'; choose one of {', '.join(TABLES)}")
    limits = limits or Limits.from_env()
    reading = open_file(source, name, limits)
    name, row_label = reading.name, reading.row_label
    if reading.columns:  # known before the rows: a missing required column costs no parsing
        missing = [c for c in SPECS[table]["required"] if c not in reading.columns]
        if missing:
            raise ImportProblem(name, f"missing required column{'s' if len(missing) > 1 else ''} "
                                      f"{', '.join(repr(m) for m in missing)} (found: {', '.join(reading.columns)})")
    report = ImportReport(table=table, file=name, rows=0, seconds=0.0)
    job = _Import(db, table, name, row_label, report, progress, reading.estimated_rows)
    if progress:
        progress("import", 0, reading.estimated_rows)
    with store.transaction(db, waiting=_waiting(progress)):
        job.begin()
        for chunk in _one_ahead(job.prepare(out, first_row) for out, first_row in _validated(reading, table, limits)):
            job.write(chunk)
            del chunk
        if job.rows == 0:
            raise ImportProblem(name, "the file is empty (a header but no rows)")
        job.finish()
    report.rows = job.rows
    report.seconds = time.perf_counter() - t0
    return report


def import_frames(db: sqlite_utils.Database, parts: list[tuple[str, pd.DataFrame, dict[str, str]]], name: str,
                  progress: Progress | None = None, offset: int | None = None,
                  row_label: str | None = None) -> list[ImportReport]:
    """Validate and write several tables made from one file, as ONE transaction.

    ``parts`` are (table, frame with the table's column names, {table column: the file's column
    it came from}) in writing order (customers before the identities and interactions that name
    them). Each frame's index is the 0-based position of the source record (or line) its row came
    from (a record may give rows in several tables); ``offset`` turns it into the number users see
    (default: 2 and "row" for spreadsheets and CSV, 1 and "record" for JSON), so a problem names
    the file's own row. Any problem in any part: nothing is written.
    """
    if offset is None:
        offset = 1 if Path(name).suffix.lower() in (".json", ".jsonl", ".ndjson") else 2
    row_label = row_label or ("record" if offset == 1 else "row")
    prepared = []
    for table, frame, columns in parts:
        if frame.empty:
            continue
        # Validation reports positions; map them back to the source records through the index.
        source_rows = frame.index.to_numpy()
        try:
            out = validate(frame.reset_index(drop=True), table, name, 0, row_label)
        except ImportProblem as exc:
            raise _at_source_row(exc, source_rows, offset, table, columns, row_label) from None
        prepared.append((table, out, source_rows, columns))
    reports = []
    with store.transaction(db, waiting=_waiting(progress)):
        for table, out, source_rows, columns in prepared:
            try:
                reports.append(import_frame(db, table, out, name, 0, row_label, progress))
            except ImportProblem as exc:
                raise _at_source_row(exc, source_rows, offset, table, columns, row_label) from None
    return reports


def _at_source_row(exc: ImportProblem, source_rows: np.ndarray, offset: int, table: str,
                   columns: dict[str, str], row_label: str) -> ImportProblem:
    """The problem re-addressed to the file's own row and column (``exc`` counts from row 0)."""
    row = None if exc.row is None else int(source_rows[exc.row]) + offset
    column = None if exc.column is None else columns.get(exc.column, exc.column)
    return ImportProblem(exc.file, f"{exc.reason} (making table {table})", row=row, column=column,
                         row_label=row_label)
