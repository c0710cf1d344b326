"""Issue #14: databases from elsewhere, nearly empty databases, and pages that must not crash on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import ingest, store, warm
from tests import pagetest

ROOT = Path(__file__).resolve().parents[1]

ONE_ROW = {
    "customers": "customer_id,name\nC1,Ann\n",
    "posts": "post_id,platform,author_handle,created_at,text\np1,x,ann,2025-01-01,great service\n",
    "follows": "platform,follower_handle,followee_handle\nx,a,b\n",
    "survey_responses": "study,group,motive,share,n\nS,consumer,M,0.5,10\n",
    "channels": "channel,publicness\nwhatsapp,0.3\n",
}


@pytest.mark.parametrize("table", list(ONE_ROW))
def test_each_table_alone_into_a_new_database_prepares_every_page(tmp_path, table):
    # The pages' preparation used to fail with 'near "ELSE": syntax error' without interactions.
    db = store.connect(tmp_path / "new.sqlite")
    f = tmp_path / f"{table}.csv"
    f.write_text(ONE_ROW[table])
    report = ingest.import_file(db, table, f)
    assert report.rows == 1
    warm.warm(db)  # raises on any failing step
    db.close()


def test_interactions_with_their_one_customer_prepare_every_page(tmp_path):
    db = store.connect(tmp_path / "new.sqlite")
    (tmp_path / "c.csv").write_text("customer_id\nC1\n")
    (tmp_path / "i.csv").write_text("interaction_id,customer_id,occurred_at,channel,direction\n"
                                    "I1,C1,2025-01-01,phone,inbound\n")
    ingest.import_file(db, "customers", tmp_path / "c.csv")
    ingest.import_file(db, "interactions", tmp_path / "i.csv")
    warm.warm(db)
    db.close()


def test_customer_360_of_a_customer_with_no_interactions_or_posts(tmp_path, monkeypatch):
    path = tmp_path / "new.sqlite"
    db = store.connect(path)
    (tmp_path / "c.csv").write_text("customer_id,name,lifetime_value\nC1,Ann,12.5\nC2,Bob,3\n")
    (tmp_path / "i.csv").write_text("interaction_id,customer_id,occurred_at,channel,direction\n"
                                    "I1,C2,2025-01-01,phone,inbound\n")
    ingest.import_file(db, "customers", tmp_path / "c.csv")
    ingest.import_file(db, "interactions", tmp_path / "i.csv")  # C1 is new: nothing yet
    db.close()
    monkeypatch.setenv("CONTINUUM_DB", str(path))
    at = pagetest.open_page("pages/customer_360.py", customer="C1")
    pagetest.assert_clean(at)
    profile = next(d.value for d in at.dataframe if "Field" in d.value.columns).set_index("Field")["Value"]
    assert profile["Name"] == "Ann"
    timeline = next(d.value for d in at.dataframe if "Publicness" in d.value.columns)
    assert len(timeline) == 0


@pytest.mark.parametrize("value", ["\uff1dHYPERLINK(\"http://x\")", "\uff0b1", "\uff0d1", "\uff20SUM(A1)",
                                   "\x00=1+1", "=1+1", "\t=1", "\r=1"])
def test_exports_neutralise_full_width_signs_and_a_leading_nul(value):
    import io

    import pandas as pd

    from analysis import exports

    frame = pd.DataFrame({"text": [value, "plain"], "n": [1, 2]})
    csv = pd.read_csv(io.BytesIO(exports.to_csv_bytes(frame)), dtype=str, keep_default_na=False)
    assert csv["text"].iloc[0].startswith("'"), csv["text"].iloc[0]
    assert csv["text"].iloc[1] == "plain"
    xlsx = pd.read_excel(io.BytesIO(exports.to_xlsx_bytes(frame)), dtype=object, header=None)
    cells = [str(v) for v in xlsx.to_numpy().ravel()]
    assert any(c.startswith("'") and c.lstrip("'").replace("\x00", "") == value.replace("\x00", "") for c in cells)
    assert not any(c == value or c == value.replace("\x00", "") for c in cells)
