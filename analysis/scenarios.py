"""Saved "what if" views (scenarios) and ordered decks of them for workshops: validation, links, comparison.

A scenario is a name, notes, the page it was made on and that page's state: the
query parameters of the view (the sidebar filters' widget keys ``dates``,
``segment``, ``region``, ``platform`` plus the page's own what-if settings), so
``Scenario.url()`` reopens exactly that view. SQL lives in ``analysis.store.scenarios``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pandas as pd
import sqlite_utils

from analysis.filters import Filters
from analysis.store import scenarios as sql

__all__ = [
    "Scenario", "ScenarioNotFound", "DeckNotFound", "save", "list_scenarios", "load", "rename", "delete",
    "compare", "describe", "params_from_query", "save_deck", "load_deck", "list_decks", "delete_deck",
    "deck_step", "MAX_NAME_LENGTH",
]

MAX_NAME_LENGTH = 120
_PAGE_PATH = re.compile(r"^[A-Za-z0-9_-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCALARS = (str, bool, int, float)


class ScenarioNotFound(LookupError):
    """No scenario with that name or id."""


class DeckNotFound(LookupError):
    """No deck with that name."""


# -- values -----------------------------------------------------------------
_MISSING = object()  # a setting one scenario has and the other lacks (its page's default)


def _url_value(value) -> str:
    """A setting as Streamlit writes it in the URL: true/false, 5 rather than 5.0, empty for cleared."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _url_form(value) -> tuple[str, ...] | None:
    """What a setting looks like in the URL; lists compare as sets of values (order is cosmetic)."""
    if value is _MISSING:
        return None
    if isinstance(value, list):
        return tuple(sorted(_url_value(v) for v in value))
    return (_url_value(value),)


def _display(value) -> str:
    if value is _MISSING:
        return "(default)"
    if value is None:
        return "(cleared)"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ", ".join(_display(v) for v in value) if value else "(none)"
    return _url_value(value)


def _words(value) -> str:
    return {"(default)": "the default", "(cleared)": "cleared", "(none)": "none selected"}.get(
        _display(value), _display(value))


def describe(params: Mapping) -> str:
    """The settings in words, e.g. "segment: Value, Premium; focus: phone"."""
    if not params:
        return "No settings: the page's default view"
    return "; ".join(f"{k}: {_display(v)}" for k, v in params.items())


# -- the scenario -----------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """One saved view. ``params`` is a flat dict of URL query parameters (JSON values)."""

    name: str
    page: str
    params: dict = field(default_factory=dict)
    notes: str = ""
    created_at: str | None = None
    updated_at: str | None = None
    scenario_id: int | None = None

    def url(self) -> str:
        """The page's URL path and query, e.g. 'continuum?segment=Value&segment=Premium&focus=phone'.

        Lists repeat their key (urlencode with doseq), booleans are true/false as
        Streamlit reads them, None and an empty list give ``key=`` (which clears a
        bound widget). No parameters: the bare page path.
        """
        pairs: list[tuple[str, str]] = []
        for key, value in self.params.items():
            if isinstance(value, list):
                pairs += [(key, _url_value(v)) for v in value] or [(key, "")]
            else:
                pairs.append((key, _url_value(value)))
        return self.page + ("?" + urlencode(pairs) if pairs else "")

    def filters(self) -> Filters:
        """The global filters this view was saved under (sidebar keys, or Filters.to_params keys)."""
        p = self.params

        def values(key: str, split: bool = False) -> list[str]:
            v = p.get(key)
            if v is None or v == "":
                return []
            items = v if isinstance(v, list) else [v]
            out = [str(x) for x in items if x not in (None, "")]
            return [y for x in out for y in x.split(",") if y] if split else out

        dates = values("dates")
        date_from = p.get("from") or (dates[0] if dates else None)
        date_to = p.get("to") or (dates[1] if len(dates) > 1 else None)
        try:
            return Filters(date_from=date_from, date_to=date_to,
                           segments=tuple(values("segment") + values("segments", True)),
                           regions=tuple(values("region") + values("regions", True)),
                           platforms=tuple(values("platform") + values("platforms", True)))
        except ValueError as exc:
            raise ValueError(f"Scenario {self.name!r} has filters that cannot be read: {exc}") from exc

    def caption(self) -> str:
        """The filters in words, as printed under every chart."""
        return self.filters().caption()

    def settings(self) -> str:
        return describe(self.params)


# -- validation -------------------------------------------------------------
def _clean_name(name, what: str = "scenario") -> str:
    if not isinstance(name, str):
        raise TypeError(f"A {what} name must be text, got {type(name).__name__}.")
    name = name.strip()
    if not name:
        raise ValueError(f"A {what} needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"A {what} name can be at most {MAX_NAME_LENGTH} characters (this one has {len(name)}).")
    if _CONTROL.search(name):
        raise ValueError(f"A {what} name must be one line of text, without tabs or control characters.")
    return name


def _clean_page(page) -> str:
    """A page's URL path ('continuum'); 'pages/continuum.py' and '/continuum' are accepted too."""
    text = str(page or "").strip().lstrip("/")
    text = text.removeprefix("pages/").removesuffix(".py")
    # Only a bare path: the page goes at the front of a link, so nothing like "javascript:".
    if not _PAGE_PATH.match(text):
        raise ValueError(f"page must be a page's URL path such as 'continuum', got {page!r}.")
    return text


def _clean_notes(notes) -> str:
    if notes is None:
        return ""
    if not isinstance(notes, str):
        raise TypeError(f"Notes must be text, got {type(notes).__name__}.")
    return notes.strip()


def _check_value(key: str, value, inside_list: bool = False):
    if value is None or isinstance(value, _SCALARS):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"Setting {key!r} is {value}, which JSON cannot hold; use a finite number.")
        return value
    if isinstance(value, (list, tuple)) and not inside_list:
        return [_check_value(key, v, True) for v in value]
    kind = type(value).__name__
    hint = " (write dates as 'YYYY-MM-DD' text)" if isinstance(value, (dt.date, dt.time)) else ""
    raise ValueError(f"Setting {key!r} is a {kind}, which cannot be saved: settings must be JSON text, numbers, "
                     f"true/false, empty, or a flat list of those{hint}.")


def _clean_params(params) -> tuple[dict, str]:
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of settings, got {type(params).__name__}.")
    clean = {}
    for key, value in params.items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"Setting names must be non-empty text, got {key!r}.")
        clean[key] = _check_value(key, value)
    try:
        text = json.dumps(clean, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:  # pragma: no cover - _check_value catches these first
        raise ValueError(f"Settings must be JSON-serialisable: {exc}") from exc
    return json.loads(text), text


def _now() -> str:
    # Local wall-clock time, in the project's ISO text form.
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def _from_row(row: Mapping) -> Scenario:
    try:
        params = json.loads(row["params"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Scenario {row['name']!r} has unreadable settings in the database: {exc}") from exc
    return Scenario(name=row["name"], page=row["page"], params=params, notes=row["notes"] or "",
                    created_at=row["created_at"], updated_at=row["updated_at"],
                    scenario_id=int(row["scenario_id"]))


# -- scenarios --------------------------------------------------------------
def save(db: sqlite_utils.Database, name: str, page: str, params: Mapping | None, notes: str = "", *,
         overwrite: bool = False) -> Scenario:
    """Save a view under a name. A name in use raises ValueError unless ``overwrite=True``
    (which keeps the scenario's id, creation time and places in decks)."""
    name, page, notes = _clean_name(name), _clean_page(page), _clean_notes(notes)
    _, text = _clean_params(params)
    if not sql.insert(db, name, page, notes, text, _now(), overwrite):
        raise ValueError(f"A scenario called {name!r} already exists: choose another name, or overwrite it.")
    return load(db, name)


def params_from_query(query, exclude: Sequence[str] = ("present",)) -> dict:
    """A view's settings from URL query parameters (``st.query_params`` or a dict of str or lists).

    A key given once becomes text, a repeated key a list. ``exclude`` drops keys that
    are not part of a view (presentation mode by default).
    """
    out: dict = {}
    for key in query:
        if key in exclude:
            continue
        values = query.get_all(key) if hasattr(query, "get_all") else query[key]
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        out[key] = values[0] if len(values) == 1 else values
    return out


def list_scenarios(db: sqlite_utils.Database, page: str | None = None) -> pd.DataFrame:
    """Saved scenarios, most recently changed first: scenario_id, name, page, notes, settings (in
    words), url, created_at, updated_at. ``page`` keeps one page's scenarios."""
    rows = sql.list_rows(db, _clean_page(page) if page else None)
    cols = ["scenario_id", "name", "page", "notes", "settings", "url", "created_at", "updated_at"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "scenario_id" else object) for c in cols})
    found = [_from_row(r) for r in rows.to_dict("records")]
    return pd.DataFrame({"scenario_id": [s.scenario_id for s in found], "name": [s.name for s in found],
                         "page": [s.page for s in found], "notes": [s.notes for s in found],
                         "settings": [s.settings() for s in found], "url": [s.url() for s in found],
                         "created_at": [s.created_at for s in found], "updated_at": [s.updated_at for s in found]},
                        columns=cols)


def load(db: sqlite_utils.Database, name_or_id: str | int) -> Scenario:
    """A scenario by name (text) or by id (int); ScenarioNotFound if there is none."""
    if isinstance(name_or_id, bool) or not isinstance(name_or_id, (str, int)):
        raise TypeError(f"Give a scenario's name or id, got {type(name_or_id).__name__}.")
    if isinstance(name_or_id, int):
        row = sql.get_by_id(db, name_or_id)
        if row is None:
            raise ScenarioNotFound(f"No scenario with id {name_or_id}.")
    else:
        row = sql.get_by_name(db, name_or_id.strip())
        if row is None:
            raise ScenarioNotFound(f"No scenario called {name_or_id.strip()!r}.")
    return _from_row(row)


def rename(db: sqlite_utils.Database, old: str, new: str) -> Scenario:
    """Give a scenario a new name (it keeps its id and its places in decks)."""
    old = str(old).strip()
    new = _clean_name(new)
    if old == new:
        return load(db, old)
    status = sql.rename(db, old, new, _now())
    if status == "missing":
        raise ScenarioNotFound(f"No scenario called {old!r}.")
    if status == "taken":
        raise ValueError(f"A scenario called {new!r} already exists: choose another name.")
    return load(db, new)


def delete(db: sqlite_utils.Database, name: str) -> bool:
    """Delete a scenario (and take it out of any deck). False if there was none."""
    return sql.delete(db, str(name).strip())


def compare(a: Scenario, b: Scenario) -> pd.DataFrame:
    """Two scenarios' settings side by side.

    Columns: ``setting``, one column per scenario (headed by its name), ``differs``
    (bool) and ``in words``. The first row is the page; a setting one of them lacks
    shows as "(default)". Values are compared as they appear in the URL, so 5 and 5.0,
    or a list in another order, are the same view.
    """
    col_a, col_b = (a.name, b.name) if a.name != b.name else (f"{a.name} (A)", f"{b.name} (B)")
    keys = list(a.params) + [k for k in b.params if k not in a.params]
    rows = []
    differs = a.page != b.page
    rows.append({"setting": "page", col_a: a.page, col_b: b.page, "differs": differs,
                 "in words": (f"made on {a.page} for “{a.name}” but on {b.page} for “{b.name}”" if differs
                              else f"both on {a.page}")})
    for key in keys:
        va, vb = a.params.get(key, _MISSING), b.params.get(key, _MISSING)
        differs = _url_form(va) != _url_form(vb)
        words = (f"{key} is {_words(va)} in “{a.name}” but {_words(vb)} in “{b.name}”" if differs
                 else f"{key} is {_words(va)} in both")
        rows.append({"setting": key, col_a: _display(va), col_b: _display(vb), "differs": differs,
                     "in words": words})
    out = pd.DataFrame(rows, columns=["setting", col_a, col_b, "differs", "in words"])
    out["differs"] = out["differs"].astype(bool)
    return out


# -- decks ------------------------------------------------------------------
def save_deck(db: sqlite_utils.Database, name: str, scenario_names: Sequence[str | int], notes: str = "", *,
              overwrite: bool = False) -> list[Scenario]:
    """Save an ordered deck of scenarios (names or ids; one may appear twice), all or nothing.

    A name in use raises ValueError unless ``overwrite=True``; an unknown scenario
    raises ScenarioNotFound and nothing is written. Returns the deck's scenarios.
    """
    name, notes = _clean_name(name, "deck"), _clean_notes(notes)
    if isinstance(scenario_names, (str, int)):
        raise TypeError("scenario_names must be a list of scenario names or ids.")
    refs: list[str | int] = []
    for ref in scenario_names or []:
        if isinstance(ref, bool) or not isinstance(ref, (str, int)):
            raise TypeError(f"A deck holds scenario names or ids, got {type(ref).__name__}.")
        refs.append(ref.strip() if isinstance(ref, str) else ref)
    if not refs:
        raise ValueError("A deck needs at least one scenario.")
    try:
        saved = sql.save_deck(db, name, notes, refs, overwrite)
    except sql.MissingScenarios as exc:
        missing = ", ".join(repr(m) for m in exc.missing)
        raise ScenarioNotFound(f"The deck {name!r} was not saved: no scenario {missing}.") from None
    if not saved:
        raise ValueError(f"A deck called {name!r} already exists: choose another name, or overwrite it.")
    return load_deck(db, name)


def load_deck(db: sqlite_utils.Database, name: str) -> list[Scenario]:
    """The deck's scenarios in order; DeckNotFound if there is no such deck."""
    rows = sql.deck_rows(db, str(name).strip())
    if rows is None:
        raise DeckNotFound(f"No deck called {str(name).strip()!r}.")
    return [_from_row(r) for r in rows.to_dict("records")]


def list_decks(db: sqlite_utils.Database) -> pd.DataFrame:
    """Decks by name: deck_id, name, notes, n_scenarios and scenarios (their names in order, joined by →)."""
    rows = sql.list_decks(db)
    cols = ["deck_id", "name", "notes", "n_scenarios", "scenarios"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("deck_id", "n_scenarios") else object)
                             for c in cols})
    out = []
    for (deck_id, name), part in rows.groupby(["deck_id", "name"], sort=False):
        names = part["scenario"].dropna().tolist()
        out.append({"deck_id": int(deck_id), "name": name, "notes": part["notes"].iloc[0] or "",
                    "n_scenarios": len(names), "scenarios": " → ".join(names)})
    return pd.DataFrame(out, columns=cols)


def delete_deck(db: sqlite_utils.Database, name: str) -> bool:
    """Delete a deck (its scenarios stay). False if there was none."""
    return sql.delete_deck(db, str(name).strip())


def deck_step(n_items: int, position: int, delta: int) -> int:
    """The position after moving ``delta`` slides from ``position``, kept within 0 … n_items - 1."""
    if n_items <= 0:
        return 0
    return max(0, min(int(n_items) - 1, int(position) + int(delta)))
