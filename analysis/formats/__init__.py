"""Built-in import formats: each turns one real export into all the tables it implies, in one transaction.

    tweets   a customer-service tweet dump (the "Customer Support on Twitter" corpus, or Twitter API
             JSON/JSONL): customers and identities, brand_accounts, posts, interactions
    tickets  a help-desk ticket export (Zendesk/Freshdesk-like columns): customers, interactions
    edges    a reshare/reply list (posts) or a follower list (follows), CSV or whitespace-separated

``import_format(db, name, source, filename, options)`` reads the file, builds every table's frame,
and writes them with ``ingest.import_frames``: any bad row and nothing is written; the message names
the file, its row and its own column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import ingest
from analysis.ingest import ImportProblem

# Problems listed per column before "and N more" (the Data page and the CLI say so).
PROBLEMS_PER_COLUMN = 20


@dataclass
class Problem:
    column: str | None
    row: int | None
    reason: str


class ImportProblems(ImportProblem):
    """Several problems found in one pass; ``problems`` has every one, the message the first."""

    def __init__(self, file: str, problems: list[Problem], row_label: str = "row"):
        # The message names the earliest row (problems of the whole file first).
        problems = sorted(problems, key=lambda p: -1 if p.row is None else p.row)
        first = problems[0]
        n = len(problems)
        reason = first.reason + (f" (and {n - 1:,} more problem{'s' if n > 2 else ''})" if n > 1 else "")
        super().__init__(file, reason, row=first.row, column=first.column, row_label=row_label)
        self.problems = problems


class Checker:
    """Collects problems of a file column by column, then raises them all at once."""

    def __init__(self, name: str, offset: int, row_label: str):
        self.name, self.offset, self.row_label = name, offset, row_label
        self.problems: list[Problem] = []

    def flag(self, mask: pd.Series, column: str, why: Callable[[object], str], values: pd.Series | None = None):
        """Record every row where ``mask`` holds, ``why(value)`` the reason.

        The mask's index is the 0-based record (or line) of the file each row came from.
        """
        if not mask.any():
            return
        positions = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
        shown = values if values is not None else pd.Series([None] * len(mask), index=mask.index)
        for pos in positions:
            self.problems.append(Problem(column, int(mask.index[pos]) + self.offset, why(shown.iloc[pos])))

    def add(self, reason: str, column: str | None = None, row: int | None = None):
        self.problems.append(Problem(column, row, reason))

    def raise_if_any(self):
        if self.problems:
            raise ImportProblems(self.name, self.problems, self.row_label)


@dataclass
class FormatReport:
    """What a format import wrote, table by table, and what the user should look at."""

    format: str
    file: str
    reports: list[ingest.ImportReport]
    notes: list[str] = field(default_factory=list)
    new_channels: list[str] = field(default_factory=list)
    new_kinds: list[str] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)

    def rows(self) -> dict[str, int]:
        return {r.table: r.rows for r in self.reports}

    def summary(self) -> str:
        parts = ", ".join(ingest.rows_in_words(t, n) for t, n in self.rows().items())
        s = f"Imported {self.file} as {self.format}: {parts or 'nothing'}"
        if self.figures:
            s += "; " + ", ".join(f"{k.replace('_', ' ')}: {v:,}" for k, v in self.figures.items())
        if self.new_channels:
            s += (f"; new channels added with publicness 0.5 (place them on the Data or Continuum page): "
                  f"{', '.join(self.new_channels)}")
        if self.new_kinds:
            s += f"; kinds the database did not know: {', '.join(self.new_kinds)}"
        return s + "." + "".join(" " + n for n in self.notes)


def read(source, name: str | None = None) -> tuple[pd.DataFrame, str, int, str]:
    """Read a file as ``ingest.read_file`` does, with nested JSON objects flattened (``user.id``)."""
    frame, name, offset = ingest.read_file(source, name, nested=True)
    frame = flatten(frame)
    return frame, name, offset, ("record" if offset == 1 else "row")


def flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns holding JSON objects become ``column.key`` columns (one level at a time, to any depth)."""
    for _ in range(4):
        nested = [c for c in frame.columns if frame[c].map(lambda v: isinstance(v, dict)).any()]
        if not nested:
            break
        parts = [frame.drop(columns=nested)]
        for col in nested:
            inner = pd.DataFrame([v if isinstance(v, dict) else {} for v in frame[col]], index=frame.index)
            inner.columns = [f"{col}.{str(k).lower()}" for k in inner.columns]
            parts.append(inner.astype(object).where(inner.notna(), None))
        frame = pd.concat(parts, axis=1)
    return frame


def pick(frame: pd.DataFrame, *candidates: str) -> str | None:
    """The first of ``candidates`` (lower-case names) that the file has, else None."""
    for c in candidates:
        if c in frame.columns:
            return c
    return None


def text(values: pd.Series) -> pd.Series:
    """Trimmed text, blanks as None; whole-number floats lose their ``.0`` (ids)."""
    out = ingest._as_text(values)
    return ingest.normalise_ids(out)


def known_kinds(db) -> set[str] | None:
    """Kinds the database's ``kinds`` vocabulary knows, or None when it has no such table yet."""
    from analysis.store import import_vocab

    return import_vocab.known_kinds(db)


FORMATS: dict[str, str] = {
    "tweets": "analysis.formats.tweets",
    "tickets": "analysis.formats.tickets",
    "edges": "analysis.formats.edges",
}


def describe(name: str) -> str:
    """The format's docstring: what it reads, what it writes, what it assumes."""
    return (_module(name).__doc__ or "").strip()


def _module(name: str):
    if name not in FORMATS:
        raise ImportProblem(name, f"unknown format '{name}'; choose one of {', '.join(FORMATS)}")
    return __import__(FORMATS[name], fromlist=["build"])


def import_format(db, name: str, source, filename: str | None = None, options: dict | None = None,
                  progress=None) -> FormatReport:
    """Read ``source`` as format ``name`` and write every table it implies in one transaction."""
    module = _module(name)
    reader = getattr(module, "read_source", read)
    frame, fname, offset, row_label = reader(source, filename)
    built = module.build(frame, fname, offset, row_label, **(options or {}))
    from analysis.store import import_vocab

    # A database from before interactions.account (its migration adds it on open) just skips it.
    parts = []
    for table, frame, cols in built.parts:
        extra = [c for c in frame.columns if c not in import_vocab.columns_of(db, table)]
        parts.append((table, frame.drop(columns=extra), cols))
    built.parts = parts
    known_channels = set(ingest.store.channels(db)["channel"])
    kinds_before = known_kinds(db)
    reports = ingest.import_frames(db, built.parts, fname, progress, offset=offset, row_label=row_label)
    report = FormatReport(name, fname, reports, notes=list(built.notes), figures=dict(built.figures))
    for r in reports:
        report.new_channels += [c for c in r.new_channels if c not in known_channels]
    if kinds_before is not None:
        kinds = set()
        for table, frame_, _cols in built.parts:
            if table == "interactions" and "kind" in frame_:
                kinds |= set(frame_["kind"].dropna())
        report.new_kinds = sorted(kinds - kinds_before)
    return report


@dataclass
class Built:
    """A format's output: the tables' frames in writing order, figures and notes for the report."""

    parts: list[tuple[str, pd.DataFrame, dict[str, str]]]
    figures: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
