"""The import's fast paths (issue #7) give the same rows as the plain ones, and stay all or nothing."""

from __future__ import annotations

import hashlib
import io
import time

import numpy as np
import pandas as pd
import pytest

from analysis import ingest, store

HEADER = "interaction_id,customer_id,occurred_at,channel,direction,thread_id,kind,amount,text\n"


def snapshot(db) -> str:
    h = hashlib.sha256()
    for line in db.conn.iterdump():
        h.update(line.encode())
    return h.hexdigest()


def interactions_csv(n: int, start: int = 0, text: str = "hello") -> bytes:
    rows = "".join(f"I{i:06d},C{i % 3},2025-01-{i % 28 + 1:02d} {i % 24:02d}:00:00,Phone,inbound,"
                   f"{'T' + str(i % 7) if i % 2 else ''},complaint,{'' if i % 3 else i / 4},{text} {i}\n"
                   for i in range(start, start + n))
    return (HEADER + rows).encode()


def index_sql(db, table: str) -> list[str]:
    return sorted(r[0] for r in db.conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)))


def pragmas(db) -> tuple:
    return store.scalar(db, "PRAGMA cache_size"), store.scalar(db, "PRAGMA threads")


@pytest.fixture
def customers(db):
    store.upsert_rows(db, "customers", [{"customer_id": f"C{i}"} for i in range(3)])
    return db


# -- conversion to Python values -------------------------------------------------------

def test_columns_become_python_values_with_none_for_every_kind_of_missing():
    frame = pd.DataFrame({
        "text": pd.Series(["a", None, "c"], dtype=object),
        "arrow": pd.Series(["x", None, "z"], dtype="str"),
        "full": pd.Series(["x", "y", "z"], dtype="str"),
        "float": [1.5, np.nan, 2.0],
        "float_full": [1.5, 2.5, 3.0],
        "none": [np.nan, np.nan, np.nan],
        "nullable_int": pd.Series([1, None, 3], dtype="Int64"),
        "int": np.array([1, 2, 3], dtype=np.int64),
        "bool": [True, False, True],
        "mixed": pd.Series([pd.NA, pd.NaT, "v"], dtype=object),
    })
    cols = dict(zip(frame.columns, store._frame_to_columns(frame)))
    assert cols["text"] == ["a", None, "c"]
    assert cols["arrow"] == ["x", None, "z"]
    assert cols["full"] == ["x", "y", "z"]
    assert cols["float"] == [1.5, None, 2.0]
    assert cols["float_full"] == [1.5, 2.5, 3.0]
    assert cols["none"] == [None, None, None]
    assert cols["nullable_int"] == [1, None, 3]
    assert cols["int"] == [1, 2, 3] and cols["bool"] == [1, 0, 1]
    assert cols["mixed"] == [None, None, "v"]
    for values in cols.values():  # numpy scalars would not bind in sqlite3
        assert all(v is None or type(v) in (str, float, int) for v in values)


def test_rows_written_in_small_batches_equal_one_batch(db):
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(10)], "name": [None, "Ann"] * 5,
                          "lifetime_value": [np.nan, 1.25] * 5})
    seen = []
    store.upsert_rows(db, "customers", frame, batch=3, progress=lambda d, t: seen.append((d, t)))
    small = store.query_df(db, "SELECT * FROM customers ORDER BY customer_id")
    assert seen == [(3, 10), (6, 10), (9, 10), (10, 10)]
    db.conn.execute("DELETE FROM customers")
    store.upsert_rows(db, "customers", frame)
    pd.testing.assert_frame_equal(small, store.query_df(db, "SELECT * FROM customers ORDER BY customer_id"))


def test_values_bound_ahead_give_the_rows_made_at_the_write(db):
    # An import makes some columns' values on its reading thread (``bind_values``) and the rest at the
    # write; in batches smaller than the frame, the table equals a plain write of the same frame.
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(10)], "name": [None, "Ann"] * 5,
                          "segment": pd.array(["a", None] * 5, dtype="string"),
                          "lifetime_value": [np.nan, 1.25] * 5})
    store.upsert_rows(db, "customers", frame)
    plain = store.query_df(db, "SELECT * FROM customers ORDER BY customer_id")
    db.conn.execute("DELETE FROM customers")
    ahead = store.bind_values(frame[["customer_id", "name", "segment"]])
    assert ahead["name"][1] == "NULLIF(?, '')"  # a missing text bound as '' (see _bind_columns)
    store.upsert_rows(db, "customers", frame, batch=3, bound=ahead)
    pd.testing.assert_frame_equal(plain, store.query_df(db, "SELECT * FROM customers ORDER BY customer_id"))
    assert store.scalar(db, "SELECT COUNT(*) FROM customers WHERE name IS NULL") == 5


# -- bulk load: indexes dropped, rebuilt with the sort settings, settings restored ---------

def test_bulk_load_gives_the_same_rows_and_indexes_as_a_row_by_row_load(customers, tmp_path, monkeypatch):
    data = interactions_csv(300)
    before_indexes, before_pragmas = index_sql(customers, "interactions"), pragmas(customers)
    ingest.import_file(customers, "interactions", data, name="t.csv")
    slow = store.query_df(customers, "SELECT * FROM interactions ORDER BY interaction_id")
    customers.conn.execute("DELETE FROM interactions")

    monkeypatch.setattr(store, "BULK_ROWS", 10)  # now 300 rows count as a bulk load
    rebuilt = []
    real = store._rebuild_indexes
    monkeypatch.setattr(store, "_rebuild_indexes", lambda db, ddl: (rebuilt.append(list(ddl)), real(db, ddl)))
    ingest.import_file(customers, "interactions", data, name="t.csv")
    assert len(rebuilt[0]) == 4  # the table's secondary indexes went through the bulk path
    pd.testing.assert_frame_equal(slow, store.query_df(customers, "SELECT * FROM interactions ORDER BY interaction_id"))
    assert index_sql(customers, "interactions") == before_indexes
    assert pragmas(customers) == before_pragmas
    assert store.scalar(customers, "PRAGMA integrity_check") == "ok"


def test_bulk_import_into_a_filled_table_still_updates_by_key(customers, monkeypatch):
    monkeypatch.setattr(store, "BULK_ROWS", 10)
    ingest.import_file(customers, "interactions", interactions_csv(100), name="a.csv")
    # As large as the table: the bulk path runs again and must update, not duplicate.
    ingest.import_file(customers, "interactions", interactions_csv(150, start=50, text="changed"), name="b.csv")
    rows = store.query_df(customers, "SELECT interaction_id, text FROM interactions ORDER BY interaction_id")
    assert len(rows) == 200
    assert rows["text"].iloc[0] == "hello 0" and rows["text"].iloc[50] == "changed 50"
    assert store.scalar(customers, "SELECT COUNT(*) FROM interactions WHERE text LIKE 'changed%'") == 150


def test_a_failing_index_rebuild_changes_nothing_and_restores_the_settings(customers, monkeypatch):
    ingest.import_file(customers, "interactions", interactions_csv(20), name="a.csv")
    # An index the new rows cannot satisfy: it is dropped for the load and fails when rebuilt.
    customers.conn.execute("CREATE UNIQUE INDEX test_one_per_customer ON interactions (customer_id, occurred_at)")
    customers.conn.commit()
    before, settings = snapshot(customers), pragmas(customers)
    monkeypatch.setattr(store, "BULK_ROWS", 10)
    dupes = HEADER + "".join(f"J{i},C1,2025-02-01 10:00:00,phone,inbound,,,,x\n" for i in range(30))
    with pytest.raises(Exception, match="UNIQUE"):
        ingest.import_file(customers, "interactions", dupes.encode(), name="dupes.csv")
    assert snapshot(customers) == before  # rows, indexes and the new rows' channel: all as before
    assert pragmas(customers) == settings


# -- validation shortcuts give what the long way gave ------------------------------------

def test_dates_already_in_stored_form_are_kept_and_others_formatted():
    def stored(values):
        frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(values))], "joined_at": values})
        text = frame.to_csv(index=False).encode()
        raw, name, offset = ingest.read_file(text, "c.csv")
        return ingest.validate(raw, "customers", name, offset)["joined_at"]

    canonical = stored(["2024-03-05 14:30:00", "", " 2024-12-31 23:59:59 "])
    assert canonical.tolist()[0::2] == ["2024-03-05 14:30:00", "2024-12-31 23:59:59"]
    assert pd.isna(canonical.iloc[1])
    mixed = stored(["2024-03-05 14:30:00", "2024-03-05T14:30:00+02:00", "03/15/2024", "2024-03-05 14:30:00.9"])
    assert mixed.tolist() == ["2024-03-05 14:30:00", "2024-03-05 12:30:00", "2024-03-15 00:00:00",
                              "2024-03-05 14:30:00"]
    # Both ways give the same dtype and missing values as formatting every date.
    parsed = ingest.parse_dates(pd.Series(["2024-03-05 14:30:00", None], dtype="str"))
    slow = parsed.dt.strftime("%Y-%m-%d %H:%M:%S").where(parsed.notna(), None)
    fast = ingest._date_text(parsed, pd.Series(["2024-03-05 14:30:00", None], dtype="str"))
    pd.testing.assert_series_equal(fast, slow)


def test_text_columns_are_trimmed_once_with_the_same_blanks_as_before():
    raw = pd.Series(["  a ", "", "   ", None, "\u00a0b\u00a0", "c"], dtype="str")
    trimmed, blank = ingest._trimmed(raw)
    pd.testing.assert_series_equal(blank, ingest._blank(raw))
    def cells(s):
        return [None if pd.isna(v) else v for v in s]
    assert cells(ingest._as_text(raw, trimmed, blank)) == ["a", None, None, None, "b", "c"]
    assert cells(ingest._as_text(raw)) == ["a", None, None, None, "b", "c"]
    numbers = pd.Series([1.0, None, " x "], dtype=object)  # from Excel: not all text
    trimmed, blank = ingest._trimmed(numbers)
    assert trimmed is None and blank.tolist() == [False, True, False]
    assert [None if pd.isna(v) else v for v in ingest._as_text(numbers, trimmed, blank)] == ["1", None, "x"]


def test_parse_dates_on_text_equals_parsing_cell_by_cell():
    values = ["2024-03-05 14:30:00", "45292", "5 Mar 2024", "13/03/2024", "bogus", None, " 2024-01-01 "]
    whole = ingest.parse_dates(pd.Series(values, dtype="str", name="joined_at"))
    one_by_one = [ingest.parse_dates(pd.Series([v], dtype=object)).iloc[0] for v in values]
    assert whole.dtype == "datetime64[ns]" and whole.name is None
    assert [None if pd.isna(v) else v for v in whole] == [None if pd.isna(v) else v for v in one_by_one]


@pytest.mark.parametrize("data,name", [
    (b"\xef\xbb\xbfcustomer_id,name\r\nC1, Ann \r\nC2,\"Two\r\nlines\"\r\n", "bom_crlf.csv"),
    ("customer_id,name\nC1,Ren\u00e9e\nC2,\n".encode(), "utf8.csv"),
    (b"customer_id\tname\nC1\tAnn\n", "tabs.tsv"),
])
def test_csv_read_from_bytes_gives_the_cells_of_the_decoded_text(data, name):
    frame, _name, _offset = ingest.read_file(data, name)
    sep = "\t" if name.endswith(".tsv") else ","
    expected = pd.read_csv(io.StringIO(data.decode("utf-8-sig")), dtype=str, keep_default_na=False,
                           na_values=[""], sep=sep)
    pd.testing.assert_frame_equal(frame, expected)


# -- pyarrow's CSV reader gives pandas' cells; a row it refuses hands over to pandas ---------

NASTY = [
    # quotes, doubled quotes, a quoted empty cell, CRLF, a newline inside a value, spaces kept, non-ASCII
    ('a,b,c\r\n1,"x, y","say ""hi"""\r\n2,"",\r\n3,"two\r\nlines", spaced \r\n4,Ren\u00e9e,\u2603\r\n', ","),
    ("a\tb\n1\t\n\t2\n", "\t"),
    ("\ufeffa,b\n1,2\n\n3,4\n", ","),  # a byte-order mark, a blank line (skipped by both)
]


def pandas_cells(text: str, sep: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text.removeprefix("\ufeff")), dtype=str, keep_default_na=False, na_values=[""],
                       sep=sep)


@pytest.mark.parametrize("text,sep", NASTY)
def test_pyarrow_reads_the_cells_pandas_reads(text, sep):
    data = text.encode()
    assert ingest._arrow_readable(None, data)
    frame, _name, _offset = ingest.read_file(data, "t.tsv" if sep == "\t" else "t.csv")
    expected = pandas_cells(text, sep)
    pd.testing.assert_frame_equal(frame, expected)


def test_a_quoted_header_is_read_by_pandas():
    data = b'"first\nname",b\n1,2\n'
    assert not ingest._arrow_readable(None, data)
    frame, _name, _offset = ingest.read_file(data, "t.csv")
    assert list(frame.columns) == ["first\nname", "b"] and frame.iloc[0].tolist() == ["1", "2"]


def test_a_short_row_late_in_the_file_hands_over_to_pandas_without_losing_or_repeating_rows(monkeypatch):
    # Row 2,503 has fewer cells than the header: pyarrow refuses it, pandas fills the missing cell.
    lines = [f"C{i},name {i}" for i in range(3000)]
    lines[2501] = "C2501"
    text = "customer_id,name\n" + "\n".join(lines) + "\n"
    chunks = list(ingest.open_file(text.encode(), "c.csv", chunk_rows=1000).chunks())
    frame = pd.concat(chunks)
    expected = pandas_cells(text, ",")
    expected.index = pd.RangeIndex(0, 3000)
    pd.testing.assert_frame_equal(frame, expected)
    assert [len(c) for c in chunks][:2] == [1000, 1000]  # what pyarrow read is kept, not read twice
    assert pd.isna(frame.loc[2501, "name"]) and frame.loc[2502, "name"] == "name 2502"


def test_a_row_with_too_many_cells_is_still_refused_with_pandas_message(db):
    store.upsert_rows(db, "customers", [{"customer_id": "C1"}])
    text = "customer_id,name\n" + "".join(f"D{i},n\n" for i in range(50)) + "D50,n,extra\n"
    before = snapshot(db)
    with pytest.raises(ingest.ImportProblem, match="not valid CSV.*line 52"):
        ingest.import_file(db, "customers", text.encode(), name="c.csv")
    assert snapshot(db) == before


# -- binding: missing text and floats stored as NULL, real empty texts kept ---------------------

def test_missing_values_are_stored_as_null_and_empty_texts_as_empty_texts(db):
    frame = pd.DataFrame({
        "customer_id": pd.Series(["C1", "C2", "C3"], dtype="str"),
        "name": pd.Series(["Ann", None, "Bo"], dtype="str"),  # bound as '' under NULLIF
        "email": pd.Series(["", None, "b@x"], dtype=object),  # a real empty text: bound as it is
        "segment": pd.Series([None, None, None], dtype=object),
        "lifetime_value": [1.5, np.nan, 0.0],  # NaN bound as a float: SQLite stores NULL
    })
    store.upsert_rows(db, "customers", frame)
    got = db.conn.execute("SELECT customer_id, name, email, segment, lifetime_value, typeof(lifetime_value) "
                          "FROM customers ORDER BY customer_id").fetchall()
    assert got == [("C1", "Ann", "", None, 1.5, "real"), ("C2", None, None, None, None, "null"),
                   ("C3", "Bo", "b@x", None, 0.0, "real")]
    # An upsert with a missing value clears the stored one, as binding None did.
    store.upsert_rows(db, "customers", pd.DataFrame({"customer_id": ["C1"], "name": pd.Series([None], dtype="str"),
                                                     "lifetime_value": [np.nan]}))
    assert db.conn.execute("SELECT name, lifetime_value FROM customers WHERE customer_id = 'C1'").fetchone() == \
        (None, None)


def test_the_report_separates_the_time_spent_scoring_post_texts(db, monkeypatch):
    from analysis import sentiment

    real = sentiment.score_texts
    real(["warm up"])  # loading the lexicon is not part of the import measured

    def slow(texts, *a, **kw):  # scoring that takes a known 0.3 s
        time.sleep(0.3)
        return real(texts, *a, **kw)

    monkeypatch.setattr(sentiment, "score_texts", slow)
    data = ("post_id,platform,author_handle,created_at,text\n"
            + "".join(f"P{i},x,a{i % 5},2025-01-02 10:00:00,{'great' if i % 2 else 'awful'} day\n" for i in range(40)))
    report = ingest.import_file(db, "posts", data.encode(), name="p.csv")
    assert report.distinct_texts_scored == 2
    assert 0.3 <= report.sentiment_seconds < report.seconds
    assert report.rows_per_second_without_sentiment == pytest.approx(40 / (report.seconds - report.sentiment_seconds))
    assert 0.3 <= report.sentiment_seconds < 3
    assert f"2 distinct texts ({report.sentiment_seconds:.2f} s of it)" in report.summary()


def test_a_load_into_an_empty_table_rebuilds_its_indexes_from_a_smaller_size(customers, monkeypatch):
    monkeypatch.setattr(store, "EMPTY_BULK_ROWS", 50)
    rebuilt = []
    real = store._rebuild_indexes
    monkeypatch.setattr(store, "_rebuild_indexes", lambda db, ddl: (rebuilt.append(len(ddl)), real(db, ddl)))
    before = index_sql(customers, "interactions")
    ingest.import_file(customers, "interactions", interactions_csv(80), name="a.csv")  # empty table: bulk
    ingest.import_file(customers, "interactions", interactions_csv(90, start=80), name="b.csv")  # 80 rows there
    assert [n for n in rebuilt if n] == [4]  # the second load kept the indexes (under BULK_ROWS, table not empty)
    assert index_sql(customers, "interactions") == before
    assert store.scalar(customers, "SELECT COUNT(*) FROM interactions") == 170
    assert store.scalar(customers, "PRAGMA integrity_check") == "ok"


def test_texts_repeated_within_and_across_chunks_get_each_text_own_score(db, monkeypatch):
    # Chunks of 7 rows, a memory of 3 distinct texts (so it is emptied mid-import), blanks, and texts
    # repeated inside a chunk and across chunks: every stored score is the text's own, scored alone.
    from analysis import sentiment

    monkeypatch.setattr(ingest, "CHUNK_ROWS", 7)
    monkeypatch.setattr(ingest._Import, "SENTIMENT_CACHE", 3)
    words = ["great day", "awful service", "", "ok I guess", "love it :)", "great day", "never again!!"]
    texts = [words[(i * i) % len(words)] for i in range(60)]
    data = "post_id,platform,author_handle,created_at,text\n" + "".join(
        f"P{i},x,a{i % 5},2025-01-02 10:00:00,{t}\n" for i, t in enumerate(texts))
    report = ingest.import_file(db, "posts", data.encode(), name="p.csv")
    stored = store.query_df(db, "SELECT post_id, text, sentiment, sentiment_vader FROM posts")
    stored = stored.set_index("post_id").loc[[f"P{i}" for i in range(60)]]
    expected = [sentiment.score(t) if t else None for t in texts]
    for got, vader, want, text in zip(stored["sentiment"], stored["sentiment_vader"], expected, texts):
        if want is None:
            assert pd.isna(got) and pd.isna(vader), text
        else:
            assert got == pytest.approx(want) and vader == pytest.approx(want), text
    assert stored["sentiment"].notna().sum() == sum(1 for t in texts if t)
    # Each chunk scores only the texts not remembered: never more than the distinct texts per chunk.
    per_chunk = sum(len({t for t in texts[s:s + 7] if t}) for s in range(0, 60, 7))
    assert len({t for t in texts if t}) <= report.distinct_texts_scored <= per_chunk
