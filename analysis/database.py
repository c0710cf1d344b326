"""What the Data page shows and edits about the database itself: where it is and whether it can be
written, rows per table and a table's first rows, saved column mappings, what an import brought that
waits to be placed (channels, kinds) and the brand's own accounts. The SQL is in ``analysis.store``."""

from __future__ import annotations

import pandas as pd
import sqlite_utils

from analysis import store
from analysis.ingest import table_words
from analysis.store import aggregates, import_vocab, mappings

StoreError = store.StoreError  # a write the store refused; its message is written for the user

path = store.display_name  # the database the app uses, as shown to people (a server address without its password)
read_only_reason = store.read_only_reason  # why the database cannot be written (None when it can)

saved_mapping = mappings.get  # a saved column mapping by name (None if there is none)
save_mapping = mappings.save

channels_added_by_import = import_vocab.channels_added_by_import  # still at publicness 0.5, unplaced
brand_accounts = import_vocab.brand_accounts
replace_brand_accounts = import_vocab.replace_brand_accounts


def table_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Rows per data table, counted once per rows version and kept in the database (a count of every table
    took 0.7–1.1 s on each visit at 10M interactions and 23M follows)."""
    return aggregates.memo(db, "database.table_counts", lambda: store.table_counts(db))


def rows_per_table(counts: dict[str, int]) -> pd.DataFrame:
    """The rows each table holds (``table_counts``), the tables named as the Data page names them
    ("brand accounts")."""
    return pd.DataFrame({"Table": [table_words(t) for t in counts], "Rows": list(counts.values())})


def kinds_to_place(db: sqlite_utils.Database) -> tuple[list[str], bool]:
    """(kinds in interactions the vocabulary does not know, whether the vocabulary exists), kept per data
    version: the kinds are rows, the vocabulary is a setting, and either moves the data version."""
    kinds, has_vocab = aggregates.memo(db, "database.kinds_to_place",
                                       lambda: list(import_vocab.kinds_to_place(db)), settings=True)
    return list(kinds), bool(has_vocab)


def mappings_for(db: sqlite_utils.Database, table: str) -> list[str]:
    """The names of the saved mappings that fill ``table``."""
    return [n for n in mappings.names(db) if (mappings.get(db, n) or {}).get("table") == table]


def first_rows(db: sqlite_utils.Database, table: str, limit: int = 50) -> pd.DataFrame:
    """The first ``limit`` rows of one of the data tables (``table_counts`` names them)."""
    return store.first_rows(db, table, limit)
