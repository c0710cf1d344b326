"""Readers keep reading while an import runs in another process: no 'database is locked', no lost rows."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd

from analysis import overview, store
from analysis.filters import Filters

ROOT = Path(__file__).resolve().parents[1]


def test_readers_never_block_on_an_import(demo_db_copy, tmp_path):
    conn = store.connect(demo_db_copy)
    customers = store.query_df(conn, "SELECT customer_id FROM customers")["customer_id"].tolist()
    before = store.scalar(conn, "SELECT COUNT(*) FROM interactions")
    conn.close()
    n = 60_000
    rows = pd.DataFrame({
        "interaction_id": [f"NEW{i:07d}" for i in range(n)],
        "customer_id": [customers[i % len(customers)] for i in range(n)],
        "occurred_at": "2026-01-01 10:00:00", "channel": "email", "direction": "inbound", "kind": "inquiry",
    })
    csv = tmp_path / "new.csv"
    rows.to_csv(csv, index=False)

    errors: list[str] = []
    reads = [0, 0]
    stop = threading.Event()

    def reader(slot: int) -> None:
        c = store.connect(demo_db_copy)
        try:
            while not stop.is_set():
                count = store.scalar(c, "SELECT COUNT(*) FROM interactions")
                # A reader sees the data before or after the import, never half of it.
                if count not in (before, before + n):
                    errors.append(f"partial import visible: {count}")
                overview.kpis(c, Filters(segments=("Value",)))
                reads[slot] += 1
        except Exception as exc:  # noqa: BLE001 - any error is the failure we look for
            errors.append(repr(exc))
        finally:
            c.close()

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    proc = subprocess.run([sys.executable, "-m", "analysis", "import", "interactions", str(csv), "--db",
                           str(demo_db_copy)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert not errors, errors[:3]
    assert min(reads) > 3, reads  # both readers kept working during the import
    conn = store.connect(demo_db_copy)
    assert store.scalar(conn, "SELECT COUNT(*) FROM interactions") == before + n  # no lost rows
    conn.close()
