"""Issue #14, property-based: any file either imports or is refused with a message naming the file
(and, for a bad cell, its row and column), and a refused import leaves the database file
byte-identical. Hypothesis generates the header, the rows and every cell."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import ingest, store

COLUMNS = {
    "customers": ["customer_id", "name", "segment", "joined_at", "lifetime_value"],
    "interactions": ["interaction_id", "customer_id", "occurred_at", "channel", "direction", "amount", "text"],
    "posts": ["post_id", "platform", "author_handle", "created_at", "text", "likes"],
}
NUMBER_COLUMNS = {"lifetime_value", "amount", "likes"}

# Cells a user's file may hold: good values, blanks, and the hostile ones of issue #14.
good = {
    "customer_id": st.sampled_from(["C0", "C1", "C2", "C9", " C1 ", "E2"]),
    "interaction_id": st.from_regex(r"I[0-9]{1,3}", fullmatch=True),
    "occurred_at": st.sampled_from(["2025-01-01", "2025-01-01 10:00", "03/15/2024", "5 Mar 2024", "45292"]),
    "joined_at": st.sampled_from(["2024-01-05", "15.01.2025", ""]),
    "direction": st.sampled_from(["inbound", "Outbound", "sideways"]),
    "lifetime_value": st.sampled_from(["10.5", "200", "-3", "1e3"]),
    "amount": st.sampled_from(["1.5", "0", ""]),
    "likes": st.sampled_from(["3", "0", "12.0"]),
    "post_id": st.from_regex(r"p[0-9]{1,3}", fullmatch=True),
    "created_at": st.sampled_from(["2025-02-01 08:00:00", "2025-02-01"]),
}
hostile = st.one_of(
    st.just(""), st.just(" "),
    st.text(max_size=12),  # any unicode, control characters and NUL included
    st.sampled_from(["inf", "-inf", "Infinity", "1e400", "NaN", "nan", str(2 ** 64), "E2\x00", "\x00",
                     "=1+1", "\uff1dSUM(A1)", "2300-01-01", "yesterday", '"', "a,b", "line\nbreak"]),
    st.integers(min_value=-(2 ** 80), max_value=2 ** 80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


# What a JSON file may hold in a cell, as JSON text: any JSON value, Python's non-JSON constants,
# huge integers and arrays nested deeper than Python's recursion limit.
json_cells = st.one_of(
    hostile.map(json.dumps),
    st.integers(min_value=-(2 ** 100), max_value=2 ** 100).map(str),
    st.sampled_from(["Infinity", "-Infinity", "NaN", "1e400", "-1e400", "true", "null", "[]", "{}", '{"a": 1}',
                     '["C1"]']),
    st.integers(min_value=900, max_value=20_000).map(lambda d: "[" * d + "]" * d),
)


@st.composite
def files(draw):
    table = draw(st.sampled_from(sorted(COLUMNS)))
    header = draw(st.lists(st.sampled_from(COLUMNS[table] + ["extra", "Name", "name"]), min_size=1, max_size=8))
    if draw(st.booleans()):  # mostly the required columns, so that rows get validated
        header = [c for c in COLUMNS[table] if c not in header] + header
    n = draw(st.integers(min_value=0, max_value=6))
    rows = [[draw(st.one_of(good.get(c, hostile), hostile)) if good.get(c) is not None else draw(hostile)
             for c in header] for _ in range(n)]
    kind = draw(st.sampled_from(["csv", "json", "jsonl"]))
    if kind == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        data = buf.getvalue().encode("utf-8", "surrogatepass")
    else:
        # Some cells replaced by any JSON value; records written by hand (json.dumps cannot nest that deep).
        records = ["{" + ", ".join(f"{json.dumps(c)}: {draw(st.one_of(st.just(json.dumps(v)), json_cells))}"
                                   for c, v in zip(header, r)) + "}" for r in rows]
        data = ("[" + ", ".join(records) + "]" if kind == "json" else "\n".join(records)).encode()
    return table, f"upload.{kind}", data, n


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("property") / "template.sqlite"
    db = store.connect(path)
    store.upsert_rows(db, "customers", [{"customer_id": f"C{i}", "name": f"Customer {i}"} for i in range(3)])
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


def digest(path: Path) -> str:
    h = hashlib.sha256()
    for p in (path, Path(str(path) + "-wal")):
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(files())
def test_any_file_imports_or_is_refused_naming_where_and_changes_nothing(template, tmp_path, file):
    table, name, data, n = file
    path = tmp_path / f"crm-{hashlib.sha256(data).hexdigest()[:12]}-{table}.sqlite"  # one per example
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.copy(template, path)
    db = store.connect(path)
    before = digest(path)
    try:
        report = ingest.import_file(db, table, data, name=name)
    except ingest.ImportProblem as exc:
        db.close()
        message = str(exc)
        assert message.startswith(name) and exc.file == name
        assert message.endswith("Nothing was imported.")
        if exc.row is not None:  # a bad cell or row: where it is, as a user counts rows
            assert f"{'record' if name.endswith('json') or name.endswith('jsonl') else 'row'} {exc.row}" in message
        if exc.column is not None:
            assert f"column '{exc.column}'" in message
        # A refusal that names no row is about the whole file: its header, encoding, syntax or size.
        if exc.row is None:
            assert any(w in exc.reason for w in ("column", "empty", "JSON", "CSV", "line", "encoding", "limit",
                                                 "object", "nested", "key")), message
        assert digest(path) == before  # byte-identical
    else:
        assert report.rows == n > 0
        # What was imported is clean: no NUL in any text, every number finite.
        for column in COLUMNS[table]:
            values = store.query_df(db, f'SELECT "{column}" AS v FROM "{table}"')["v"].dropna()
            if column in NUMBER_COLUMNS:
                assert all(math.isfinite(float(v)) for v in values), (column, values.tolist())
            else:
                assert not any("\x00" in str(v) for v in values), (column, values.tolist())
        db.close()
