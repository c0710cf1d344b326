"""Saved "what if" views (scenarios) and ordered decks of them for workshops: validation, links, comparison.

A scenario is a name, notes, the page it was made on and that page's state: the
query parameters of the view (the global filters in ``Filters``' URL vocabulary, plus the
page's own selections and what-if settings), so ``Scenario.url()`` reopens exactly that
view. Settings are checked when saved and again when read: a scenario whose stored settings
cannot be used keeps its row and says why (``Scenario.problem``) instead of breaking a page.
SQL lives in ``analysis.store.scenarios``.
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

from analysis.filters import FilterError, Filters
from analysis.store import scenarios as sql

__all__ = [
    "Scenario", "ScenarioNotFound", "DeckNotFound", "save", "list_scenarios", "load", "rename", "delete",
    "compare", "describe", "params_from_query", "save_deck", "load_deck", "list_decks", "delete_deck",
    "deck_step", "MAX_NAME_LENGTH", "SETTINGS", "label_of", "value_words",
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


@dataclass(frozen=True)
class Setting:
    """One view setting as people read it: a label, how a value reads, and (for numbers) its range."""

    label: str
    unit: str = ""                         # appended to numbers: "% faster", " hours", " days"
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()                    # allowed values, compared as URL text
    words: dict = field(default_factory=dict)  # URL text -> words


def _onoff(label: str) -> Setting:
    return Setting(label, choices=("true", "false"))


# Every setting a page keeps in the URL, by key: what the Workshop table, the save message,
# compare, the report and the slides print instead of the key, and what a saved value is checked
# against. A key not listed here is shown as it is and not checked.
SETTINGS: dict[str, Setting] = {
    Filters.DATES: Setting("Dates"), Filters.SEGMENT: Setting("Segment"), Filters.REGION: Setting("Region"),
    Filters.PLATFORM: Setting("Platform"),
    # Overview
    "ov_missing": _onoff("Count missing values"),
    # Continuum
    "focus": Setting("Focus channel"), "focus_path": Setting("Focus journey"), "section": Setting("Tab"),
    "sankey_level": Setting("Moves shown between"), "gp_window": Setting("Days after resolution that count",
                                                                         " days", 0, 30),
    "gp_brand": _onoff("Only posts addressed to the brand"), "tl_scope": Setting("Touches counted"),
    "wi_cut": Setting("What if: resolution faster by", "%", 0, 90),
    "wi_frt": Setting("What if: first response within", " hours",
                      choices=("no change", "72", "48", "24", "12", "8", "4", "2", "1")),
    # Perception
    "pg_source": Setting("Survey source"), "pg_a": Setting("Group A"), "pg_b": Setting("Group B"),
    "pg_by": Setting("Consumers broken down by"),
    **{f"pg_wi_s{i}": Setting(f"What if: content shift {i}", " points", -50, 50) for i in range(1, 4)},
    **{f"pg_wi_m{i}": Setting(f"What if: motive {i}") for i in range(1, 4)},
    # Cascades
    "cascade_view": Setting("View", words={"observed": "Observed cascades", "influence": "Influence in context",
                                           "lab": "Simulation lab"}),
    "cascade_kind": Setting("Trees built from"), "cascade_pick": Setting("Cascade"),
    "lab_source": Setting("Lab network"), "lab_platform": Setting("Lab platform"),
    "lab_generator": Setting("Lab generator"), "lab_model": Setting("Lab model"),
    "lab_k": Setting("Lab seeds per strategy", "", 1, 1000), "lab_runs": Setting("Lab runs", "", 10, 1000),
    "lab_seed": Setting("Lab random seed", "", 0, 2**31 - 1), "lab_global": Setting("Lab global cascade above",
                                                                                   "", 0.05, 0.95),
    "lab_strategies": Setting("Lab seeding strategies"),
    "lab_run": Setting("Lab simulation (settings of the last run)"),
    # Listening
    "ls_grain": Setting("Time grain"), "ls_reshares": _onoff("Reshares counted"),
    "ls_recent": Setting("Recent period", " days"), "ls_baseline": Setting("Compared with (days before; 0: all)"),
    "ls_search": Setting("Text contains"), "ls_label": Setting("Sentiment shown"), "ls_term": Setting("Term"),
    "ls_spike": Setting("Spike day"),
    # Customer 360
    "customer": Setting("Customer"), "c360_group": _onoff("Grouped by service thread"),
}


def label_of(key: str) -> str:
    """A setting's label ("What if: resolution faster by"), or the key itself when it has none."""
    return SETTINGS[key].label if key in SETTINGS else key


def value_words(key: str, value) -> str:
    """A setting's value as people read it: "50%", "4 hours", "on", "Value, Premium", "–" for cleared."""
    spec = SETTINGS.get(key)
    if value is _MISSING:
        return "default"
    if value is None or value == "" or value == []:
        return "–"
    if key == Filters.DATES:
        days = value if isinstance(value, list) else [value]
        days = [str(d) for d in days]
        if len(days) == 2:
            return f"{days[0] or 'start'} to {days[1]}"
        return f"from {days[0]}"
    if isinstance(value, list):
        return ", ".join(value_words(key, v) for v in value)
    text = _display(value)
    if spec is None:
        return text
    if text in ("true", "false"):
        return "on" if text == "true" else "off"
    if text in spec.words:
        return spec.words[text]
    if spec.unit and _number(text) is not None:
        return f"{text}{spec.unit}"
    return text


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def setting_problems(params: Mapping) -> list[str]:
    """What is wrong with a view's settings, in words (empty when they can be used)."""
    problems = []
    try:
        Filters.from_params(params)
    except FilterError as exc:
        problems.append(f"filters: {exc}")
    for key, value in params.items():
        spec = SETTINGS.get(key)
        if spec is None or value is None or value == "":
            continue
        values = value if isinstance(value, list) else [value]
        for v in values:
            text = _url_value(v)
            if spec.choices and text not in spec.choices:
                problems.append(f"{spec.label} is {text!r}; it can be {', '.join(spec.choices)}.")
            elif spec.lo is not None or spec.hi is not None:
                number = _number(text)
                if number is None:
                    problems.append(f"{spec.label} is {text!r}, not a number.")
                elif (spec.lo is not None and number < spec.lo) or (spec.hi is not None and number > spec.hi):
                    problems.append(f"{spec.label} is {text}; it must be between {spec.lo:g} and {spec.hi:g}.")
    return problems


def describe(params: Mapping) -> str:
    """The settings in words, e.g. "Segment: Value, Premium; What if: resolution faster by: 50%"."""
    if not params:
        return "No settings: the page's default view"
    return "; ".join(f"{label_of(k)}: {value_words(k, v)}" for k, v in params.items())


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
    unreadable: str | None = None  # why the stored settings could not be read (the row is kept)

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
        """The global filters this view was saved under (read by ``Filters.from_params``)."""
        if self.unreadable:
            raise ValueError(f"Scenario {self.name!r} cannot be opened: {self.unreadable}")
        try:
            return Filters.from_params(self.params)
        except FilterError as exc:
            raise ValueError(f"Scenario {self.name!r} has filters that cannot be read: {exc}") from exc

    @property
    def problem(self) -> str | None:
        """Why this saved view cannot be shown as saved, in words; None when it can."""
        if self.unreadable:
            return f"its stored settings cannot be read ({self.unreadable}); delete it or save it again."
        found = setting_problems(self.params)
        return ("; ".join(found) + " Save the view again to replace it.") if found else None

    def caption(self) -> str:
        """The filters in words, as printed under every chart ("Cannot be shown: ..." for a bad scenario)."""
        problem = self.problem
        return f"Cannot be shown: {problem}" if problem else self.filters().caption()

    def settings(self) -> str:
        return describe(self.params)

    def page_settings(self) -> str:
        """The page's own settings in words, without the filters (which ``caption`` says); "" if none."""
        own = {k: v for k, v in self.params.items() if not Filters.is_filter_key(k)}
        return describe(own) if own else ""


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
    """A stored row as a Scenario. Settings that cannot be read do not raise: the scenario says so
    (``unreadable``), so one bad row never breaks a list, a page or a comparison."""
    unreadable = None
    flat = (str, int, float, bool, type(None))
    try:
        params = json.loads(row["params"])
        if not isinstance(params, dict):
            raise ValueError(f"expected an object of settings, found {type(params).__name__}")
        nested = [k for k, v in params.items()
                  if not (isinstance(v, flat) or (isinstance(v, list) and all(isinstance(x, flat) for x in v)))]
        if nested:
            raise ValueError(f"setting {nested[0]!r} holds a nested value, not text, a number or a list of them")
    except RecursionError:
        params, unreadable = {}, "nested too deeply to read"
    except (TypeError, ValueError) as exc:
        params, unreadable = {}, str(exc)
    return Scenario(name=row["name"], page=row["page"], params=params, notes=row["notes"] or "",
                    created_at=row["created_at"], updated_at=row["updated_at"],
                    scenario_id=int(row["scenario_id"]), unreadable=unreadable)


# -- scenarios --------------------------------------------------------------
def save(db: sqlite_utils.Database, name: str, page: str, params: Mapping | None, notes: str = "", *,
         overwrite: bool = False) -> Scenario:
    """Save a view under a name. A name in use raises ValueError unless ``overwrite=True``
    (which keeps the scenario's id, creation time and places in decks)."""
    name, page, notes = _clean_name(name), _clean_page(page), _clean_notes(notes)
    clean, text = _clean_params(params)
    problems = setting_problems(clean)
    if problems:
        raise ValueError(f"The view was not saved: {'; '.join(problems)}")
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
    words), url, created_at, updated_at and problem (why a scenario cannot be shown, else empty).
    ``page`` keeps one page's scenarios."""
    rows = sql.list_rows(db, _clean_page(page) if page else None)
    cols = ["scenario_id", "name", "page", "notes", "settings", "url", "created_at", "updated_at", "problem"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "scenario_id" else object) for c in cols})
    found = [_from_row(r) for r in rows.to_dict("records")]
    return pd.DataFrame({"scenario_id": [s.scenario_id for s in found], "name": [s.name for s in found],
                         "page": [s.page for s in found], "notes": [s.notes for s in found],
                         "settings": [s.settings() for s in found], "url": [s.url() for s in found],
                         "created_at": [s.created_at for s in found], "updated_at": [s.updated_at for s in found],
                         "problem": [s.problem or "" for s in found]},
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
        label = label_of(key)
        wa, wb = (_words(v) if key not in SETTINGS else value_words(key, v) for v in (va, vb))
        words = (f"{label} is {wa} in “{a.name}” but {wb} in “{b.name}”" if differs
                 else f"{label} is {wa} in both")
        rows.append({"setting": label, col_a: _display(va) if key not in SETTINGS else value_words(key, va),
                     col_b: _display(vb) if key not in SETTINGS else value_words(key, vb), "differs": differs,
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
