"""Two browser sessions keep reading while an import runs: no error shown, no lost rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import store
from tests.e2e.conftest import Server, open_page, require_chromium, wait_for_app

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_two_sessions_read_during_an_import(browser, demo_db_copy, tmp_path):
    require_chromium()
    conn = store.connect(demo_db_copy)
    customers = store.query_df(conn, "SELECT customer_id FROM customers")["customer_id"].tolist()
    before = store.scalar(conn, "SELECT COUNT(*) FROM interactions")
    conn.close()
    n = 150_000
    pd.DataFrame({
        "interaction_id": [f"NEW{i:07d}" for i in range(n)],
        "customer_id": [customers[i % len(customers)] for i in range(n)],
        "occurred_at": "2026-01-01 10:00:00", "channel": "chat", "direction": "inbound", "kind": "inquiry",
    }).to_csv(tmp_path / "new.csv", index=False)
    srv = Server(demo_db_copy)
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1200}) for _ in range(2)]
    try:
        pages = [c.new_page() for c in contexts]
        for pg in pages:
            open_page(pg, f"{srv.url}/overview")
            wait_for_app(pg)
        proc = subprocess.Popen([sys.executable, "-m", "analysis", "import", "interactions",
                                 str(tmp_path / "new.csv"), "--db", str(demo_db_copy)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rounds = 0
        while proc.poll() is None or rounds < 2:
            for i, pg in enumerate(pages):
                # Change a filter in one session and reload the other: both read while the import writes.
                if i == 0:
                    open_page(pg, f"{srv.url}/overview?segment={'Value' if rounds % 2 else 'Premium'}")
                else:
                    pg.reload(wait_until="commit")
                wait_for_app(pg)
                body = pg.locator("[data-testid='stMain']").inner_text()
                assert "locked" not in body.lower()
                assert pg.locator("[data-testid='stException']").count() == 0
                assert pg.locator("[data-testid='stAlertContentError']").count() == 0
            rounds += 1
            if rounds > 40:
                break
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert rounds >= 2
    finally:
        for c in contexts:
            c.close()
        srv.stop()
    conn = store.connect(demo_db_copy)
    assert store.scalar(conn, "SELECT COUNT(*) FROM interactions") == before + n
    conn.close()
