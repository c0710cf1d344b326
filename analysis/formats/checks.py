"""Every problem of a file, not only the first: the plain table import's checks run to the end and
collected, then grouped by column for the Data page and the command line.

``ingest.validate`` stops at the first bad cell (it is what guards the write); when it refuses a
file, ``table_problems`` lists all of them with the same rules, so the user can fix the file in one go.
"""

from __future__ import annotations

import pandas as pd

from analysis import ingest, mapping
from analysis.formats import PROBLEMS_PER_COLUMN, Checker, Problem


def table_problems(frame: pd.DataFrame, table: str, name: str, offset: int, row_label: str = "row",
                   db=None) -> list[Problem]:
    """Every problem ``ingest.validate`` (and the foreign-key check, when ``db`` is given) would find."""
    check = Checker(name, offset, row_label)
    spec = ingest.SPECS[table]
    missing = [c for c in spec["required"] if c not in frame.columns]
    for col in missing:
        check.add(f"missing required column '{col}' (found: {', '.join(map(str, frame.columns))})", column=col)
    cols = dict(spec["required"], **spec["optional"])
    for col, kind in cols.items():
        if col not in frame.columns:
            continue
        raw = frame[col]
        blank = ingest._blank(raw)
        if col in spec["required"]:
            check.flag(blank, col, lambda v: "a value is required here")
        if kind == "date":
            parsed = mapping.parse_dates(raw.where(~blank, None))
            check.flag(~blank & parsed.isna(), col,
                       lambda v: f"cannot read {str(v)!r} as a date between {ingest.FIRST_YEAR} and "
                                 f"{ingest.LAST_YEAR}", raw)
        elif kind in ("number", "int", "unit", "bit"):
            num = pd.to_numeric(raw.where(~blank, None), errors="coerce")
            check.flag(~blank & num.isna(), col, lambda v: f"{str(v)!r} is not a number", raw)
            if kind == "int":
                check.flag(~blank & num.notna() & (num % 1 != 0), col, lambda v: f"{str(v)!r} is not a whole number",
                           raw)
            if kind == "unit":
                check.flag(~blank & ((num < 0) | (num > 1)), col, lambda v: f"{str(v)!r} must be between 0 and 1", raw)
            if kind == "bit":
                check.flag(~blank & num.notna() & ~num.isin([0, 1]), col, lambda v: f"{str(v)!r} must be 0 or 1", raw)
        elif kind in ("direction", "group"):
            allowed = ("inbound", "outbound") if kind == "direction" else ingest.GROUPS
            words = ingest._as_text(raw).str.lower()
            check.flag(~blank & ~words.isin(allowed), col,
                       lambda v, allowed=allowed: f"{str(v)!r} must be {' or '.join(map(repr, allowed))}", raw)
    if not missing:
        keys = [k for k in ingest.store.TABLE_KEYS[table] if k in frame.columns]
        if keys and table != "survey_responses":
            key = pd.concat([ingest.normalise_ids(ingest._as_text(frame[k])) for k in keys], axis=1)
            dup = key.duplicated(keep="first") & key.notna().all(axis=1)
            check.flag(dup, "+".join(keys), lambda v: "duplicate key: the same key is on an earlier row")
        if db is not None:
            for col, parent in spec.get("foreign", {}).items():
                if col not in frame.columns:
                    continue
                vals = ingest.normalise_ids(ingest._as_text(frame[col]))
                known = ingest.store.existing_keys(db, parent, ingest.store.TABLE_KEYS[parent][0],
                                                   vals.dropna().unique().tolist())
                check.flag(vals.notna() & ~vals.isin(known), col,
                           lambda v, parent=parent: f"unknown {v!r}: no such row in {parent} (import {parent} first)",
                           vals)
    return check.problems


def problems_of(exc: ingest.ImportProblem, frame: pd.DataFrame | None = None, table: str | None = None,
                offset: int = 2, row_label: str = "row", db=None) -> list[Problem]:
    """All problems behind a refused import: the exception's own list, else ``table_problems`` on the
    frame, else the one problem the exception names."""
    listed = getattr(exc, "problems", None)
    if listed:
        return list(listed)
    if frame is not None and table in ingest.SPECS:
        found = table_problems(frame, table, exc.file, offset, row_label, db)
        if found:
            return found
    return [Problem(exc.column, exc.row, exc.reason)]


def by_column(problems: list[Problem], limit: int = PROBLEMS_PER_COLUMN) -> pd.DataFrame:
    """One row per column: how many problems, and the first ``limit`` of them (row: reason)."""
    rows = []
    groups: dict[str, list[Problem]] = {}
    for p in problems:
        groups.setdefault(p.column or "(whole file)", []).append(p)
    for column, items in groups.items():
        items.sort(key=lambda p: -1 if p.row is None else p.row)
        shown = items[:limit]
        rows.append({
            "column": column, "problems": len(items),
            "rows": ", ".join(str(p.row) for p in shown if p.row is not None)
                    + (f" … and {len(items) - limit:,} more" if len(items) > limit else ""),
            "first problems": " | ".join(p.reason if p.row is None else f"row {p.row}: {p.reason}" for p in shown[:5]),
        })
    return pd.DataFrame(rows, columns=["column", "problems", "rows", "first problems"])


def lines(problems: list[Problem], limit: int = PROBLEMS_PER_COLUMN) -> list[str]:
    """The grouped problems as plain lines for the command line."""
    out = []
    for rec in by_column(problems, limit).to_dict("records"):
        out.append(f"  column {rec['column']}: {rec['problems']:,} problem(s)"
                   + (f" in rows {rec['rows']}" if rec["rows"] else ""))
        groups = sorted((p for p in problems if (p.column or "(whole file)") == rec["column"]),
                        key=lambda p: -1 if p.row is None else p.row)[:limit]
        out += [f"    {'row ' + str(p.row) + ': ' if p.row is not None else ''}{p.reason}" for p in groups]
    return out
