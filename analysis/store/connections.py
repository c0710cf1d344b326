"""Connection helpers shared by every concern: independent reads side by side, each on its own connection.

(``connect``, ``connection`` and ``database_file`` are in ``analysis.store`` itself.)
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlite_utils

from analysis import store

# Reading pages through a memory map saves a system call per page on the scattered reads of a join.
MMAP_BYTES = 1 << 30


def run_parallel(db: sqlite_utils.Database, jobs: dict[str, Callable[[sqlite_utils.Database], Any]]) -> dict[str, Any]:
    """Run independent read queries at the same time, each on its own connection to the same file.

    SQLite releases Python's lock while it scans and sorts, so on a large database the page waits
    for the slowest query rather than for their sum. In-memory databases run them one by one.
    """
    path = store.database_file(db)
    if not path or len(jobs) < 2:
        return {name: job(db) for name, job in jobs.items()}

    def run(job):
        with store.connection(path, create=False) as conn:
            # SQLite's own pragma; it only affects this short-lived connection, never the file.
            conn.conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}").fetchall()
            return job(conn)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(run, job) for name, job in jobs.items()}
        return {name: fut.result() for name, fut in futures.items()}
