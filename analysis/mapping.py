"""Column mappings: which of a file's own columns is the id, customer, time, text... of a table, with
value transforms (dates in Twitter's form or Unix epochs, ids, true/false flags), saved by name.

A mapping is plain JSON, so it can live in a file or in the database (``analysis.store.mappings``)::

    {"table": "interactions",
     "columns": {"interaction_id": "Ticket ID", "customer_id": "Requester",
                 "occurred_at": "Created", "channel": {"value": "email"},
                 "direction": "Is customer"},
     "transforms": {"occurred_at": "epoch_ms", "direction": "flag:inbound/outbound"}}

``columns`` maps each table column to the file's column it comes from, or to ``{"value": ...}``
(the same value on every row). ``transforms`` (optional) per table column:

- a date form: ``auto`` (ISO 8601, the spreadsheet forms, Twitter's ``Wed Oct 11 06:55:44 +0000
  2017``, epoch seconds or milliseconds told apart by size), ``twitter``, ``epoch_s``,
  ``epoch_ms``, or a ``strftime`` pattern such as ``%d/%m/%Y %H:%M``;
- ``flag:A/B``: a true/false column written in any common spelling (True/False, yes/no, 1/0, y/n,
  t/f, any case) becomes A when true and B when false (``flag:inbound/outbound`` turns an
  "inbound" flag into a direction; ``flag:1/0`` a selected bit).

Ids, keys and references are always normalised (``3.0`` and ``3`` are one id).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import ingest
from analysis.ingest import ImportProblem
from analysis.store import mappings as _mappings  # also registers the saved-mappings table

DATE_FORMS = ("auto", "twitter", "epoch_s", "epoch_ms")
TWITTER_DATE = "%a %b %d %H:%M:%S %z %Y"
_TWITTER_RE = r"^[A-Z][a-z]{2} [A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4} [0-9]{4}$"

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "0.0"})
FLAG_SPELLINGS = "True/False, yes/no, 1/0, y/n or t/f"

# Epoch values are told apart by size: seconds since 1970 fall between 1e8 (1973) and 1e11 (5138);
# milliseconds between 1e11 and 1e14.
_EPOCH_MS_FROM = 1e11


def parse_dates(values: pd.Series, form: str = "auto") -> pd.Series:
    """Timestamps (naive UTC) from text in ``form``; NaT where a value cannot be read."""
    text = values.astype("str").str.strip().where(values.notna())
    if form == "twitter":
        return _twitter(text)
    if form in ("epoch_s", "epoch_ms"):
        return _epoch(text, "s" if form == "epoch_s" else "ms")
    if form != "auto":
        return ingest._plausible(pd.to_datetime(text, format=form, errors="coerce", utc=True).dt.tz_localize(None))
    out = ingest.parse_dates(values)
    todo = out.isna() & text.notna()
    if todo.any():
        tw = _twitter(text[todo])
        out[tw.index[tw.notna()]] = tw[tw.notna()]
        todo = out.isna() & text.notna()
    if todo.any():
        num = pd.to_numeric(text[todo], errors="coerce")
        big = num.notna() & (num.abs() >= 1e8)
        if big.any():
            ms = num[big] >= _EPOCH_MS_FROM
            for unit, mask in (("ms", ms), ("s", ~ms)):
                if mask.any():
                    ep = _epoch(num[big][mask], unit)
                    out[ep.index[ep.notna()]] = ep[ep.notna()]
    return out


def _twitter(text: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(text, format=TWITTER_DATE, errors="coerce", utc=True)
    return ingest._plausible(parsed.dt.tz_localize(None)).astype("datetime64[ns]")


def _epoch(values: pd.Series, unit: str) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    parsed = pd.to_datetime(num, unit=unit, errors="coerce")
    return ingest._plausible(parsed).astype("datetime64[ns]")


def date_text(ts: pd.Series) -> pd.Series:
    """Timestamps as the stored ``YYYY-MM-DD HH:MM:SS`` text (None where missing)."""
    return ts.dt.strftime("%Y-%m-%d %H:%M:%S").astype(object).where(ts.notna(), None)


def parse_flags(values: pd.Series) -> pd.Series:
    """True/False (object) from the common spellings; None for blanks and for unknown spellings.

    Use ``bad_flags`` to find the unknown ones.
    """
    words = _flag_words(values)
    out = pd.Series([None] * len(values), index=values.index, dtype=object)
    out[words.isin(TRUE_WORDS)] = True
    out[words.isin(FALSE_WORDS)] = False
    return out


def bad_flags(values: pd.Series) -> pd.Series:
    """Which cells are filled but are no spelling of true or false."""
    words = _flag_words(values)
    return words.notna() & words.ne("") & ~words.isin(TRUE_WORDS | FALSE_WORDS)


def _flag_words(values: pd.Series) -> pd.Series:
    return values.astype("str").str.strip().str.lower().where(values.notna())


@dataclass
class Mapping:
    """Which of a file's columns feeds each column of ``table``, and how its values are read."""

    table: str
    columns: dict[str, str | dict] = field(default_factory=dict)
    transforms: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, spec: dict, where: str = "mapping") -> Mapping:
        if not isinstance(spec, dict) or "table" not in spec or "columns" not in spec:
            raise ImportProblem(where, "a mapping is a JSON object with 'table' and 'columns'")
        table = str(spec["table"])
        if table not in ingest.SPECS:
            raise ImportProblem(where, f"unknown table '{table}'; choose one of {', '.join(ingest.TABLES)}")
        mapping = cls(table, {str(k): v for k, v in dict(spec["columns"]).items()},
                      {str(k): str(v) for k, v in dict(spec.get("transforms") or {}).items()})
        known = set(ingest.SPECS[table]["required"]) | set(ingest.SPECS[table]["optional"])
        unknown = sorted((set(mapping.columns) | set(mapping.transforms)) - known)
        if unknown:
            raise ImportProblem(where, f"table {table} has no column {', '.join(repr(u) for u in unknown)} "
                                       f"(its columns: {', '.join(sorted(known))})")
        for col, how in mapping.transforms.items():
            if not (how in DATE_FORMS or how.startswith("flag:") or "%" in how):
                raise ImportProblem(where, f"unknown transform {how!r} for column '{col}': use one of "
                                           f"{', '.join(DATE_FORMS)}, a strftime pattern or flag:A/B")
        return mapping

    @classmethod
    def from_json(cls, text: str, where: str = "mapping") -> Mapping:
        try:
            return cls.from_dict(json.loads(text), where)
        except json.JSONDecodeError as exc:
            raise ImportProblem(where, f"not valid JSON ({exc.msg} at line {exc.lineno})") from None

    def to_dict(self) -> dict:
        return {"table": self.table, "columns": dict(self.columns), "transforms": dict(self.transforms)}

    def missing(self) -> list[str]:
        """Required columns of the table the mapping does not fill."""
        return [c for c in ingest.SPECS[self.table]["required"] if c not in self.columns]

    def describe(self) -> pd.DataFrame:
        """One row per table column: where it comes from and how it is read (for showing)."""
        spec = ingest.SPECS[self.table]
        rows = []
        for col in list(spec["required"]) + list(spec["optional"]):
            src = self.columns.get(col)
            rows.append({"column": col, "required": col in spec["required"],
                         "from": ("= " + str(src["value"])) if isinstance(src, dict) else (src or ""),
                         "read as": self.transforms.get(col, "")})
        return pd.DataFrame(rows)

    def apply(self, frame: pd.DataFrame, name: str, offset: int, row_label: str = "row") -> pd.DataFrame:
        """The file's frame turned into the table's columns (text), ready for ``ingest.validate``.

        Raises ImportProblem naming the file's own column for an unknown column, an unreadable
        date in the chosen form or a flag in no known spelling (with how many such cells).
        """
        missing = self.missing()
        if missing:
            raise ImportProblem(name, f"the mapping for {self.table} gives no column for "
                                      f"{', '.join(repr(m) for m in missing)}")
        lower = {str(c).strip().lower(): c for c in frame.columns}
        out = pd.DataFrame(index=frame.index)
        for col, src in self.columns.items():
            if isinstance(src, dict):
                out[col] = pd.Series(str(src.get("value", "")), index=frame.index, dtype=object)
                continue
            key = str(src).strip().lower()
            if key not in lower:
                raise ImportProblem(name, f"the mapping takes {self.table}.{col} from column '{src}', which the "
                                          f"file does not have (found: {', '.join(map(str, frame.columns))})")
            raw = frame[lower[key]]
            how = self.transforms.get(col)
            if how is None:
                out[col] = raw
            elif how.startswith("flag:"):
                yes, _, no = how[5:].partition("/")
                bad = bad_flags(raw)
                _fail_first(bad, raw, name, offset, row_label, str(src),
                            lambda v: f"{v!r} is not a true/false value ({FLAG_SPELLINGS})")
                flags = parse_flags(raw)
                out[col] = flags.map({True: yes, False: no}).astype(object).where(flags.notna(), None)
            else:
                parsed = parse_dates(raw, how)
                filled = raw.notna() & raw.astype("str").str.strip().ne("")
                _fail_first(filled & parsed.isna(), raw, name, offset, row_label, str(src),
                            lambda v, how=how: f"cannot read {v!r} as a date in the form {how!r}")
                out[col] = date_text(parsed)
        return out


def _fail_first(mask: pd.Series, raw: pd.Series, name, offset, row_label, column, why) -> None:
    if mask.any():
        pos = int(np.flatnonzero(mask.to_numpy())[0])
        n = int(mask.sum())
        more = f" ({n - 1:,} more such cells in this column)" if n > 1 else ""
        raise ImportProblem(name, why(str(raw.iloc[pos])) + more, row=pos + offset, column=column,
                            row_label=row_label)


def saved_listing(db) -> pd.DataFrame:
    """Every saved mapping, one row per table column it fills: the mapping's name, its table (as the Data page
    names tables), the table's column, where it comes from (the file's column, or ``= value`` for one value on
    every row) and how it is read (a date form, a flag). The long form stays readable in a narrow page, where
    one line per mapping listing all its columns was cut off. Columns come in the table's order."""
    out = []
    for name in _mappings.names(db):
        spec = _mappings.get(db, name) or {}
        table = str(spec.get("table", ""))
        columns, transforms = spec.get("columns") or {}, spec.get("transforms") or {}
        known = ingest.SPECS.get(table, {})
        order = [c for c in list(known.get("required", {})) + list(known.get("optional", {})) if c in columns]
        for col in order + [c for c in columns if c not in order]:
            src = columns[col]
            out.append({"mapping": name, "table": ingest.table_words(table), "column": col,
                        "from": ("= " + str(src["value"])) if isinstance(src, dict) else str(src),
                        "read as": str(transforms.get(col, ""))})
    return pd.DataFrame(out, columns=["mapping", "table", "column", "from", "read as"])


def load(name_or_file: str, db=None) -> Mapping:
    """A mapping from a JSON file path, else by the name it was saved under in ``db``."""
    path = Path(name_or_file)
    if path.suffix.lower() == ".json" or path.exists():
        if not path.exists():
            raise ImportProblem(str(path), "no such mapping file")
        return Mapping.from_json(path.read_text(encoding="utf-8"), str(path))
    if db is None:
        raise ImportProblem(name_or_file, "no such mapping file")
    from analysis.store import mappings

    spec = mappings.get(db, name_or_file)
    if spec is None:
        saved = mappings.names(db)
        raise ImportProblem(name_or_file, "no mapping file or saved mapping of that name"
                            + (f" (saved: {', '.join(saved)})" if saved else " (none saved yet)"))
    return Mapping.from_dict(spec, name_or_file)


def import_mapped(db, mapping: Mapping, source, name: str | None = None, progress=None) -> ingest.ImportReport:
    """Read a file, apply the mapping, validate and import it into the mapping's table: all or nothing."""
    from analysis.formats import flatten

    frame, name, offset = ingest.read_file(source, name, nested=True)
    frame = flatten(frame)  # nested JSON objects: user.id, via.channel, ...
    row_label = "record" if offset == 1 else "row"
    mapped = mapping.apply(frame, name, offset, row_label)
    own = {col: str(src) for col, src in mapping.columns.items() if not isinstance(src, dict)}
    try:
        out = ingest.validate(mapped, mapping.table, name, offset, row_label)
        return ingest.import_frame(db, mapping.table, out, name, offset, row_label, progress)
    except ImportProblem as exc:
        # Named by the file's own column, as the user knows it.
        raise ImportProblem(exc.file, exc.reason, row=exc.row,
                            column=None if exc.column is None else own.get(exc.column, exc.column),
                            row_label=row_label) from None



def guess(table: str, file_columns: list[str]) -> dict[str, str]:
    """A first mapping proposal: each table column whose name the file has (ignoring case, spaces and
    underscores) maps to it. The user confirms or changes it."""
    squash = {re.sub(r"[^a-z0-9]", "", str(c).lower()): c for c in file_columns}
    spec = ingest.SPECS[table]
    out = {}
    for col in list(spec["required"]) + list(spec["optional"]):
        hit = squash.get(re.sub(r"[^a-z0-9]", "", col))
        if hit is not None:
            out[col] = hit
    return out


def from_choices(table: str, columns: dict[str, str], fixed: dict[str, str] | None = None,
                 transforms: dict[str, str] | None = None) -> Mapping:
    """A mapping from what the user picked: table column -> file column ("" for none), fixed values,
    and transforms ("" for none)."""
    spec: dict = {"table": table,
                  "columns": {k: v for k, v in columns.items() if v},
                  "transforms": {k: v for k, v in (transforms or {}).items() if v and columns.get(k)}}
    for k, v in (fixed or {}).items():
        if v and not columns.get(k):
            spec["columns"][k] = {"value": v}
    return Mapping.from_dict(spec)


def kinds_of_columns(table: str) -> dict[str, str]:
    """Each column of ``table`` and its kind (date, number, text, ...), for choosing transforms."""
    spec = ingest.SPECS[table]
    return dict(spec["required"], **spec["optional"])
