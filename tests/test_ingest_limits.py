"""Issue #14: imports stream in chunks (one transaction still), refuse files over documented limits
before parsing them, and turn hostile or odd input into messages naming file, row and column."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile

import pandas as pd
import pytest

from analysis import ingest, store

HEADER = "interaction_id,customer_id,occurred_at,channel,direction\n"


def snapshot(db) -> str:
    h = hashlib.sha256()
    for line in db.conn.iterdump():
        h.update(line.encode())
    return h.hexdigest()


def rows(n: int, start: int = 0, customer=lambda i: f"C{i % 3}") -> str:
    return "".join(f"I{i:04d},{customer(i)},2025-01-{i % 28 + 1:02d} 10:00:00,phone,inbound\n"
                   for i in range(start, start + n))


@pytest.fixture
def loaded(db):
    store.upsert_rows(db, "customers", [{"customer_id": f"C{i}"} for i in range(3)])
    return db


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 10)


def refused(db, table, data: bytes | str, name: str, *parts: str) -> str:
    before = snapshot(db)
    with pytest.raises(ingest.ImportProblem) as err:
        ingest.import_file(db, table, data.encode() if isinstance(data, str) else data, name=name)
    message = str(err.value)
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    assert "Nothing was imported" in message
    assert snapshot(db) == before
    return message


# -- 2. chunks through validation and the write, one transaction ---------------------------

def test_a_large_file_goes_through_validation_and_the_write_in_chunks(loaded, small_chunks, monkeypatch):
    sizes = {"validate": [], "write": []}
    real_validate, real_upsert = ingest.validate, store.upsert_rows

    def validate(frame, *a, **kw):
        sizes["validate"].append(len(frame))
        return real_validate(frame, *a, **kw)

    def upsert(db, table, frame, **kw):
        sizes["write"].append(len(frame))
        return real_upsert(db, table, frame, **kw)

    monkeypatch.setattr(ingest, "validate", validate)
    monkeypatch.setattr(store, "upsert_rows", upsert)
    seen = []
    report = ingest.import_file(loaded, "interactions", (HEADER + rows(25)).encode(), name="t.csv",
                                progress=lambda s, d, t: seen.append((s, d, t)))
    assert report.rows == 25 == store.scalar(loaded, "SELECT COUNT(*) FROM interactions")
    assert sizes == {"validate": [10, 10, 5], "write": [10, 10, 5]}
    assert [d for s, d, _ in seen if s == "import"] == [0, 10, 20, 25]  # progress after each chunk


@pytest.mark.parametrize("bad_row,parts", [
    ("I9999,C1,yesterday,phone,inbound\n", ["row 27", "column 'occurred_at'", "'yesterday'"]),
    ("I9999,C404,2025-01-01,phone,inbound\n", ["row 27", "column 'customer_id'", "C404"]),
    ("I0003,C1,2025-01-01,phone,inbound\n", ["row 27", "column 'interaction_id'", "duplicate key 'I0003'",
                                             "already used in row 5"]),
])
def test_a_bad_row_in_a_later_chunk_rolls_back_every_chunk(loaded, small_chunks, bad_row, parts):
    # Rows 2-26 are good and written in three chunks before row 27 is read.
    refused(loaded, "interactions", HEADER + rows(25) + bad_row, "t.csv", "t.csv", *parts)
    assert store.scalar(loaded, "SELECT COUNT(*) FROM interactions") == 0


def test_a_chunked_import_equals_a_whole_one(loaded, monkeypatch):
    data = (HEADER + rows(57)).encode()
    ingest.import_file(loaded, "interactions", data, name="t.csv")
    whole = store.query_df(loaded, "SELECT * FROM interactions ORDER BY interaction_id")
    loaded.conn.execute("DELETE FROM interactions")
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 7)
    ingest.import_file(loaded, "interactions", data, name="t.csv")
    pd.testing.assert_frame_equal(whole, store.query_df(loaded, "SELECT * FROM interactions ORDER BY interaction_id"))


def test_posts_in_chunks_score_each_distinct_text_once(db, monkeypatch):
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 4)
    texts = ["I love it", "awful and broken", "I love it", "meh"] * 3
    data = "post_id,platform,author_handle,created_at,text\n" + "".join(
        f"p{i},x,a,2025-01-01,{t}\n" for i, t in enumerate(texts))
    report = ingest.import_file(db, "posts", data.encode(), name="p.csv")
    assert report.distinct_texts_scored == 3
    got = store.query_df(db, "SELECT text, sentiment FROM posts")
    assert got.groupby("text")["sentiment"].nunique().eq(1).all()
    assert got.loc[got["text"] == "I love it", "sentiment"].iloc[0] > 0.5


# -- 2. limits, refused before the work starts ----------------------------------------------------

def test_limits_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CONTINUUM_IMPORT_MAX_ROWS", "7")
    monkeypatch.setenv("CONTINUUM_IMPORT_MAX_MB", "0.5")
    limits = ingest.Limits.from_env()
    assert limits.max_rows == 7 and limits.max_mb == 0.5
    assert limits.max_columns == ingest.Limits().max_columns
    assert set(ingest.LIMIT_ENV) == {"max_mb", "max_whole_mb", "max_rows", "max_columns", "max_cell_chars"}


def test_a_file_over_the_size_limit_is_refused_unread(loaded, monkeypatch):
    monkeypatch.setenv("CONTINUUM_IMPORT_MAX_MB", "0.01")  # 10 KiB
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: pytest.fail("the file was parsed"))
    data = HEADER + rows(400)  # about 20 KB
    refused(loaded, "interactions", data, "big.csv", "big.csv", "more than the limit of", "CONTINUUM_IMPORT_MAX_MB")


def zip_bomb(path, sheet_bytes: int) -> None:
    """An .xlsx-named zip whose one sheet unpacks to ``sheet_bytes`` of XML (a few KB packed)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            block = b"<row>" + b" " * (1 << 20) + b"</row>"
            for _ in range(sheet_bytes // len(block)):
                f.write(block)


def test_an_xlsx_zip_bomb_is_refused_from_its_declared_sizes(loaded, tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.xlsx"
    zip_bomb(bomb, 300 << 20)  # 300 MiB of sheet XML in about 300 KB
    assert bomb.stat().st_size < 2 << 20
    monkeypatch.setattr(pd, "read_excel", lambda *a, **k: pytest.fail("the workbook was parsed"))
    before = snapshot(loaded)
    t0 = time.monotonic()
    with pytest.raises(ingest.ImportProblem, match=r"unpacks to \d{3} MiB, more than the limit of 256 MiB"):
        ingest.import_file(loaded, "customers", bomb)
    assert time.monotonic() - t0 < 2
    assert snapshot(loaded) == before


def test_too_many_rows_columns_or_characters_are_refused(loaded, small_chunks, monkeypatch):
    monkeypatch.setenv("CONTINUUM_IMPORT_MAX_ROWS", "24")
    refused(loaded, "interactions", HEADER + rows(25), "t.csv", "row 26", "more than the limit of 24 rows",
            "CONTINUUM_IMPORT_MAX_ROWS")
    monkeypatch.setenv("CONTINUUM_IMPORT_MAX_COLUMNS", "4")
    refused(loaded, "interactions", HEADER + rows(2), "t.csv", "5 columns, more than the limit of 4",
            "CONTINUUM_IMPORT_MAX_COLUMNS")
    monkeypatch.delenv("CONTINUUM_IMPORT_MAX_COLUMNS")
    monkeypatch.setenv("CONTINUUM_IMPORT_MAX_CELL_CHARS", "20")
    long_text = "interaction_id,customer_id,occurred_at,channel,direction,text\n" + \
        "I1,C1,2025-01-01,phone,inbound,short\n" * 1 + "I2,C1,2025-01-01,phone,inbound," + "x" * 21 + "\n"
    refused(loaded, "interactions", long_text, "t.csv", "row 3", "column 'text'", "21 characters",
            "CONTINUUM_IMPORT_MAX_CELL_CHARS")
    monkeypatch.setenv("CONTINUUM_IMPORT_MAX_ROWS", "2")
    records = json.dumps([{"customer_id": f"X{i}"} for i in range(3)])
    refused(loaded, "customers", records, "c.json", "c.json", "more than the limit of 2 rows")


# -- 8. input that used to raise instead of being refused --------------------------------------

def test_deeply_nested_json_is_refused(loaded):
    deep = '[{"customer_id": ' + "[" * 100_000 + "]" * 100_000 + "}]"
    refused(loaded, "customers", deep, "c.json", "c.json", "nested too deeply")
    refused(loaded, "customers", '{"customer_id": ' + "[" * 100_000 + "]" * 100_000 + "}\n", "c.jsonl",
            "c.jsonl", "line 1", "nested too deeply")
    refused(loaded, "customers", '[{"customer_id": ["C9"]}]', "c.json", "record 1", "column 'customer_id'",
            "a list where a single value")


@pytest.mark.parametrize("value", [2 ** 64, 2 ** 70, -(2 ** 63) - 1, 10 ** 400])
def test_integers_beyond_64_bits_are_refused(loaded, value):
    posts = json.dumps([{"post_id": "p1", "platform": "x", "author_handle": "a", "created_at": "2025-01-01",
                         "likes": value}])
    refused(loaded, "posts", posts, "p.json", "p.json", "record 1", "column 'likes'")


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "-Infinity", "1e400", "NaN"])
def test_infinite_numbers_are_refused(loaded, value):
    msg = refused(loaded, "customers", f"customer_id,lifetime_value\nC7,1.5\nC8,{value}\n", "c.csv",
                  "c.csv", "row 3", "column 'lifetime_value'")
    assert "not a finite number" in msg or "not a number" in msg


@pytest.mark.parametrize("literal", ["Infinity", "-Infinity", "NaN", "1e400"])
def test_json_infinity_and_nan_are_refused(loaded, literal):
    refused(loaded, "customers", f'[{{"customer_id": "C7", "lifetime_value": {literal}}}]', "c.json",
            "c.json", "record 1", "column 'lifetime_value'")


# -- 9. NULs, duplicate headers, UTF-16, a JSON object ------------------------------------------

@pytest.mark.parametrize("data,name,parts", [
    ("customer_id,name\nE2\x00,Eve\n", "c.csv", ["row 2", "column 'customer_id'", "NUL"]),
    ("customer_id,name\nE2,Ev\x00e\n", "c.csv", ["row 2", "column 'name'", "NUL"]),
    ('[{"customer_id": "E2\\u0000"}]', "c.json", ["record 1", "column 'customer_id'", "NUL"]),
])
def test_nul_characters_are_refused(loaded, data, name, parts):
    refused(loaded, "customers", data, name, name, *parts)
    ingest.import_file(loaded, "customers", b"customer_id\nE2\n", name="ok.csv")
    assert store.scalar(loaded, "SELECT COUNT(*) FROM customers WHERE customer_id LIKE 'E2%'") == 1


@pytest.mark.parametrize("header", ["customer_id,name,name", "customer_id,Name,name ", "customer_id,customer_id"])
def test_duplicate_headers_are_refused(loaded, header):
    data = header + "\n" + ",".join(["C9"] + ["x"] * (header.count(",")))
    refused(loaded, "customers", data + "\n", "c.csv", "c.csv", "appears twice")


def test_duplicate_keys_in_a_json_object_are_refused(loaded):
    refused(loaded, "customers", '[{"customer_id": "C9", "name": "a", "name": "b"}]', "c.json", "'name'",
            "appears twice")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16"])
def test_utf16_is_named_as_the_encoding_problem(loaded, encoding):
    data = "customer_id,name\nC9,Zoë\n".encode(encoding)
    msg = refused(loaded, "customers", data, "c.csv", "c.csv", "UTF-16", "UTF-8")
    assert "missing required column" not in msg


def test_a_json_object_instead_of_a_list_is_refused(loaded):
    refused(loaded, "customers", '{"customer_id": "C9", "name": "Zed"}', "c.json", "c.json",
            "one JSON object, not a list of records")
    refused(loaded, "customers", '{\n  "data": [{"customer_id": "C9"}]\n}', "c.json",
            "one JSON object", "under 'data'")
    # JSON Lines saved as .json still reads as JSON Lines.
    report = ingest.import_file(loaded, "customers", b'{"customer_id": "C9"}\n{"customer_id": "C10"}\n',
                                name="c.json")
    assert report.rows == 2


# -- the next chunk is read and validated on a second thread while one is written ------------------

def reader_threads() -> list:
    import threading
    return [t for t in threading.enumerate() if t.name == "import-reader"]


def test_chunks_are_validated_on_a_second_thread_and_the_rows_equal_the_files(loaded, small_chunks, monkeypatch):
    import threading
    where = []
    real_validate = ingest.validate

    def validate(frame, *a, **kw):
        where.append(threading.current_thread().name)
        return real_validate(frame, *a, **kw)

    monkeypatch.setattr(ingest, "validate", validate)
    text = HEADER + rows(95)
    ingest.import_file(loaded, "interactions", text.encode(), name="t.csv")
    assert where == ["import-reader"] * 10
    expected = pd.read_csv(io.StringIO(text), dtype=str).sort_values("interaction_id")
    got = store.query_df(loaded, "SELECT interaction_id, customer_id, occurred_at, channel, direction "
                                 "FROM interactions ORDER BY interaction_id")
    assert got.to_numpy().tolist() == expected.to_numpy().tolist()
    assert not reader_threads()


def test_a_bad_row_in_the_last_chunk_leaves_a_filled_table_unchanged_and_stops_the_reader(loaded, small_chunks):
    store.upsert_rows(loaded, "interactions", pd.DataFrame({
        "interaction_id": ["I0001", "X1"], "customer_id": ["C0", "C1"], "thread_id": ["I0001", "X1"],
        "occurred_at": ["2024-06-01 09:00:00"] * 2, "channel": ["email"] * 2, "direction": ["outbound"] * 2}))
    # 60 good rows (one of them updates I0001) in six chunks, then a bad date in the seventh and last.
    refused(loaded, "interactions", HEADER + rows(60) + "I0061,C1,someday,phone,inbound\n", "t.csv",
            "row 62", "column 'occurred_at'", "'someday'")
    got = store.query_df(loaded, "SELECT interaction_id, channel FROM interactions ORDER BY interaction_id")
    assert got.to_numpy().tolist() == [["I0001", "email"], ["X1", "email"]]
    assert not reader_threads()


def test_a_later_chunk_repeating_several_keys_names_its_first_repeat_in_file_order(loaded, small_chunks):
    # Chunk 3 (rows 22-26) repeats I0009, I0002 and I0017, in that file order: the first of them in the
    # file (row 23, repeating row 11), not the one whose key sorts or hashes first, is the one named.
    later = ["I9990", "I0009", "I9991", "I0002", "I0017"]
    body = HEADER + rows(20) + "".join(f"{k},C1,2025-01-01,phone,inbound\n" for k in later)
    refused(loaded, "interactions", body, "t.csv", "row 23", "duplicate key 'I0009'", "already used in row 11")
    assert store.scalar(loaded, "SELECT COUNT(*) FROM interactions") == 0


def test_seen_keys_finds_the_first_repeat_like_a_set_does():
    # The sorted-search structure against the obvious one, on random chunks with repeats across them.
    import numpy as np

    rng = np.random.default_rng(3)
    for _trial in range(30):
        seen, plain, offset = ingest._SeenKeys(), {}, 0
        for _chunk in range(6):
            hashes = rng.integers(0, 400, int(rng.integers(1, 60))).astype(np.int64)
            hashes = np.unique(hashes)  # a chunk's own repeats are found before this check
            rng.shuffle(hashes)
            expected = next(((i, plain[h]) for i, h in enumerate(hashes.tolist()) if h in plain), None)
            assert seen.first_repeat(hashes) == expected
            if expected is not None:
                break
            seen.add(hashes, np.arange(len(hashes), dtype=np.int64) + offset)
            plain.update({h: offset + i for i, h in enumerate(hashes.tolist())})
            offset += len(hashes)


@pytest.mark.parametrize("later,parts", [
    # A repeated key (row 23) before an unknown customer (row 25), and the other way round.
    (["I9990,C1", "I0009,C1", "I9991,C1", "I9992,C404"], ["row 23", "duplicate key 'I0009'", "already used in row 11"]),
    (["I9990,C1", "I9992,C404", "I9991,C1", "I0009,C1"],
     ["row 23", "column 'customer_id'", "unknown customer_id 'C404'"]),
])
def test_of_a_repeated_key_and_an_unknown_customer_in_one_chunk_the_earlier_row_is_named(loaded, small_chunks,
                                                                                         later, parts):
    body = HEADER + rows(20) + "".join(f"{k},2025-01-01,phone,inbound\n" for k in later)
    refused(loaded, "interactions", body, "t.csv", "t.csv", *parts)
    assert store.scalar(loaded, "SELECT COUNT(*) FROM interactions") == 0


@pytest.mark.parametrize("cache,asked", [(2_000_000, 3), (0, 9)])
def test_customers_found_in_an_earlier_chunk_are_not_asked_for_again(loaded, small_chunks, monkeypatch, cache, asked):
    # 25 rows naming C0, C1 and C2, in three chunks: each id is looked up in the database once, unless the
    # memory is off (then once per chunk); an unknown id in the last chunk is still refused.
    monkeypatch.setattr(ingest._Import, "KNOWN_CACHE", cache)
    ids = []
    real = store.existing_keys
    monkeypatch.setattr(store, "existing_keys",
                        lambda db, t, c, values: (ids.extend(values), real(db, t, c, values))[1])
    report = ingest.import_file(loaded, "interactions", (HEADER + rows(25)).encode(), name="t.csv")
    assert report.rows == 25 and len(ids) == asked and set(ids) == {"C0", "C1", "C2"}
    loaded.conn.execute("DELETE FROM interactions")
    refused(loaded, "interactions", HEADER + rows(25) + "I9999,C404,2025-01-01,phone,inbound\n", "t.csv",
            "row 27", "unknown customer_id 'C404'")
