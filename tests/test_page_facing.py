"""The small analysis functions the pages call instead of analysis.store (pages never import the store)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis import database, overview, publicness, store

ROOT = Path(__file__).resolve().parents[1]


def test_no_page_imports_the_store_and_analysis_imports_no_streamlit():
    for page in (ROOT / "pages").glob("*.py"):
        assert not re.search(r"analysis\.store|from analysis import [^\n]*\bstore\b", page.read_text()), page.name
    for module in (ROOT / "analysis").rglob("*.py"):
        assert not re.search(r"^\s*(import streamlit|from streamlit)", module.read_text(), re.M), module


def test_first_rows_of_a_data_table_and_nothing_else(db):
    store.upsert_rows(db, "customers", [{"customer_id": f"C{i}", "segment": "Premium"} for i in range(5)])
    assert database.first_rows(db, "customers", limit=3)["customer_id"].tolist() == ["C0", "C1", "C2"]
    assert database.table_counts(db)["customers"] == 5
    with pytest.raises(ValueError, match="not one of the data tables"):
        database.first_rows(db, 'customers"; DROP TABLE customers; --')


def test_saved_mappings_are_listed_for_the_table_they_fill(db):
    database.save_mapping(db, "zendesk", {"table": "interactions", "columns": {"interaction_id": "Ticket ID"}})
    database.save_mapping(db, "crm", {"table": "customers", "columns": {"customer_id": "Id"}})
    assert database.mappings_for(db, "interactions") == ["zendesk"]
    assert database.saved_mapping(db, "crm")["table"] == "customers"


def test_placing_channels_refuses_a_value_out_of_range_before_writing_any(db):
    store.ensure_channels(db, ["fan_club", "pop_up_stand"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        publicness.save(db, {"fan_club": 0.9, "pop_up_stand": 1.5})
    chans = store.channels(db).set_index("channel")["publicness"]
    assert chans["fan_club"] == 0.5 and chans["pop_up_stand"] == 0.5  # neither was written
    assert publicness.save(db, {"fan_club": 0.9, "pop_up_stand": 0.1}) == 2
    chans = store.channels(db).set_index("channel")["publicness"]
    assert (chans["fan_club"], chans["pop_up_stand"]) == (0.9, 0.1)


def test_filter_options_and_an_empty_database(db):
    assert overview.is_empty(db)
    assert overview.filter_options(db) == {"segments": [], "regions": [], "platforms": [], "lo": None, "hi": None}
    store.upsert_rows(db, "customers", [{"customer_id": "C1", "segment": "Value", "region": "Asia"},
                                        {"customer_id": "C2", "segment": "Premium", "region": "Asia"}])
    store.upsert_rows(db, "posts", [{"post_id": "p1", "platform": "x", "author_handle": "a",
                                     "created_at": "2025-03-04 10:00:00", "text": "hi"}])
    assert not overview.is_empty(db)
    opts = overview.filter_options(db)
    assert (opts["segments"], opts["regions"], opts["platforms"]) == (["Premium", "Value"], ["Asia"], ["x"])
    assert (opts["lo"], opts["hi"]) == ("2025-03-04", "2025-03-04")


def test_table_counts_and_kinds_to_place_are_kept_and_follow_every_change(tmp_path):
    """Kept in the database (a file: what is kept in memory-only databases is never kept), they follow
    an import (the rows version) and an edit of the kinds vocabulary (a setting)."""
    from analysis import ingest
    from analysis.store import aggregates, kinds

    path = tmp_path / "kept.sqlite"
    with store.connection(path) as db:
        store.upsert_rows(db, "customers", [{"customer_id": "C1"}, {"customer_id": "C2"}])
        store.bump_version(db, rows=True)
        assert database.table_counts(db)["customers"] == 2
        assert aggregates.load(db, "database.table_counts", store.rows_version(db))["customers"] == 2
        csv = tmp_path / "i.csv"
        csv.write_text("interaction_id,customer_id,occurred_at,channel,direction,kind\n"
                       "I1,C1,2025-01-01 10:00:00,email,inbound,warranty_claim\n"
                       "I2,C2,2025-01-02 10:00:00,email,inbound,complaint\n")
        ingest.import_file(db, "interactions", csv)
        assert database.table_counts(db)["interactions"] == 2  # the import moved the rows version
        unknown, has_vocab = database.kinds_to_place(db)
        assert "warranty_claim" in unknown and has_vocab
        kinds.set_kind(db, "warranty_claim", "opens")
        assert "warranty_claim" not in database.kinds_to_place(db)[0]  # the edit is seen at once
        # The editor's usage counts are kept too, and a further import is counted.
        from analysis import kind_vocabulary

        def inbound(kind):
            v = kind_vocabulary.vocabulary_with_usage(db)
            return int(v.loc[v["kind"] == kind, "inbound"].iloc[0])

        assert inbound("warranty_claim") == 1
        csv.write_text("interaction_id,customer_id,occurred_at,channel,direction,kind\n"
                       "I3,C2,2025-01-03 10:00:00,phone,inbound,warranty_claim\n")
        ingest.import_file(db, "interactions", csv)
        assert inbound("warranty_claim") == 2 and database.table_counts(db)["interactions"] == 3
