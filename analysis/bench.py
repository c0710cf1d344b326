"""The benchmark command: every performance goal measured and printed beside its goal.

    python -m analysis bench [--scale small|default|large|N] [--db PATH] [--json FILE]
                             [--skip build,import,memory,sentiment,pages,simulation]
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from analysis import store

PLAIN_TABLES = ("customers", "identities", "interactions", "follows")
IMPORT_GOAL = 100_000  # rows/s for plain tables
RERUN_GOAL = 1.0  # s, a page's rerun after a filter change
COLD_GOAL = 3.0  # s, a page's first render once the database is built
BUILD_GOAL = {"default": 30.0}  # s
SIM_GOAL_S = 10.0  # 1,000 IC runs on a 100,000-node, 1,000,000-edge graph: "a few seconds"
SIM_SPEEDUP_GOAL = 50.0


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    goal: str
    ok: bool | None

    def row(self) -> str:
        mark = {True: "ok", False: "MISSED", None: "–"}[self.ok]
        v = f"{self.value:,.0f}" if abs(self.value) >= 100 else f"{self.value:,.3g}"
        return f"{self.name:<48} {v:>14} {self.unit:<12} {self.goal:<26} {mark}"


def machine() -> dict:
    return {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine()}


def bench_build(scale: str, path: Path, progress=None) -> list[Figure]:
    from analysis import demo

    t0 = time.perf_counter()
    report = demo.build(path, scale=scale, seed=7, progress=progress, replace=True)
    secs = time.perf_counter() - t0
    goal = BUILD_GOAL.get(scale)
    figs = [Figure(f"demo build ({scale})", secs, "s", f"< {goal:.0f} s" if goal else "reported", secs < goal
                   if goal else None)]
    for table, n in report.counts.items():
        figs.append(Figure(f"  rows in {table}", n, "rows", "", None))
    return figs


def bench_import(source: Path, workdir: Path, progress=None) -> list[Figure]:
    """Export each table of ``source`` to CSV and import it into a fresh database."""
    from analysis import ingest

    src = store.connect(source)
    target = workdir / "import.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    dst = store.connect(target)
    figs = []
    for table in (*PLAIN_TABLES, "posts"):
        cols = [c for c in ingest.SPECS[table]["required"]] + [c for c in ingest.SPECS[table]["optional"]]
        frame = store.query_df(src, f'SELECT {", ".join(cols)} FROM "{table}"')
        csv = workdir / f"{table}.csv"
        frame.to_csv(csv, index=False)
        report = ingest.import_file(dst, table, csv, progress=progress)
        # Fixed costs dominate tiny files: the rate goal applies from 10,000 rows.
        plain = table in PLAIN_TABLES and report.rows >= 10_000
        goal = (f">= {IMPORT_GOAL:,} rows/s" if plain else
                "reported (scores sentiment)" if table == "posts" else "reported (too few rows)")
        figs.append(Figure(f"import {table} ({report.rows:,} rows)", report.rows_per_second, "rows/s", goal,
                           report.rows_per_second >= IMPORT_GOAL if plain else None))
    src.close()
    dst.close()
    return figs


MEMORY_ROWS = {"small": (20_000, 80_000), "default": (100_000, 400_000), "large": (1_000_000, 4_000_000)}

# Runs in a fresh interpreter: the peak resident size is then the import's alone, not the benchmark's.
_MEMORY_SCRIPT = """
import json, sys, threading, time
from analysis import ingest, store

def anon_kib():
    # Anonymous memory only: SQLite's memory-mapped file is shared and reclaimable (see README).
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("RssAnon:"))

db = store.connect(sys.argv[1])
ingest.import_file(db, "customers", sys.argv[2])
base = peak = anon_kib()
done = threading.Event()

def sample():
    global peak
    while not done.is_set():
        peak = max(peak, anon_kib())
        time.sleep(0.005)

t = threading.Thread(target=sample)
t.start()
report = ingest.import_file(db, "interactions", sys.argv[3])
done.set()
t.join()
print(json.dumps({"rows": report.rows, "base_kib": base, "peak_kib": max(peak, anon_kib()), "seconds": report.seconds}))
"""


def _interactions_csv(path: Path, rows: int, customers: int = 5_000) -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    day = rng.integers(0, 365, rows)
    pd.DataFrame({
        "interaction_id": [f"M{i:09d}" for i in range(rows)],
        "customer_id": [f"C{i:06d}" for i in rng.integers(0, customers, rows)],
        "occurred_at": (pd.Timestamp("2025-01-01") + pd.to_timedelta(day, unit="D")).strftime("%Y-%m-%d %H:%M:%S"),
        "channel": rng.choice(["phone", "email", "chat", "dm"], rows),
        "direction": rng.choice(["inbound", "outbound"], rows),
        "kind": "inquiry",
        "text": rng.choice(["Where is my order?", "Thanks, all sorted now.", "The app keeps crashing on login.",
                            "Can I change my delivery address?"], rows),
    }).to_csv(path, index=False)


def bench_import_memory(scale: str, workdir: Path) -> list[Figure]:
    """Peak memory of an interactions import against the file's size, each in a fresh process: the
    anonymous resident memory (Linux /proc) sampled every 5 ms, above what it was just before."""
    import subprocess

    sizes = MEMORY_ROWS.get(scale, MEMORY_ROWS["default"])
    customers = workdir / "memory-customers.csv"
    pd.DataFrame({"customer_id": [f"C{i:06d}" for i in range(5_000)]}).to_csv(customers, index=False)
    figs = []
    for rows in sizes:
        csv = workdir / f"memory-{rows}.csv"
        _interactions_csv(csv, rows)
        target = workdir / f"memory-{rows}.sqlite"
        proc = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, str(target), str(customers), str(csv)],
                              capture_output=True, text=True, cwd=store.PROJECT_ROOT)
        if proc.returncode != 0:
            print(f"  memory of an import ({rows:,} rows): {proc.stderr.strip()[-300:]}", file=sys.stderr)
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        file_mib = csv.stat().st_size / (1 << 20)
        extra_mib = max(r["peak_kib"] - r["base_kib"], 0) / 1024
        figs.append(Figure(f"memory of an import: {rows:,} rows, {file_mib:,.1f} MiB CSV", extra_mib, "MiB peak",
                           f"{extra_mib / file_mib:.1f}x file; reported", None))
        csv.unlink(missing_ok=True)
    return figs


def bench_sentiment(source: Path, limit: int = 200_000) -> list[Figure]:
    from analysis import sentiment

    conn = store.connect(source)
    texts = store.query_df(conn, "SELECT text FROM posts WHERE text IS NOT NULL LIMIT ?", (limit,))["text"]
    conn.close()
    sentiment.analyzer()
    t0 = time.perf_counter()
    _, distinct = sentiment.score_texts(texts.tolist())
    secs = max(time.perf_counter() - t0, 1e-9)
    rate = distinct / secs
    saved = (len(texts) - distinct) / rate if rate else 0.0
    figs = [
        Figure(f"sentiment ({distinct:,} distinct of {len(texts):,} texts)", rate, "texts/s", "reported", None),
        Figure("  scoring each distinct text once saves", saved, "s", f"{1 - distinct / max(len(texts), 1):.0%} "
               "of texts not rescored", None),
    ]
    return figs + bench_rescore(source, limit)


def bench_rescore(source: Path, limit: int = 200_000) -> list[Figure]:
    """Rescoring after a lexicon edit or a scorer switch: the distinct post texts scored with the
    shipped scorer (emoji words, domain lexicon) in one process and in worker processes (their
    start-up included). Nothing is written."""
    from analysis import scoring, sentiment

    conn = store.connect(source)
    texts = store.query_df(conn, "SELECT DISTINCT text FROM posts WHERE text IS NOT NULL LIMIT ?",
                           (limit,))["text"].tolist()
    scorer = scoring.current_scorer(conn)
    conn.close()
    scorer.score("warm up")  # NLTK's import and the lexicon are not rescoring time
    figs = []
    cores = min(2, os.cpu_count() or 1)
    for workers in sorted({1, cores}):
        t0 = time.perf_counter()
        sentiment.score_distinct(texts, scorer=scorer, workers=workers)
        secs = max(time.perf_counter() - t0, 1e-9)
        figs.append(Figure(f"rescoring {len(texts):,} distinct texts, {workers} process{'es' if workers > 1 else ''}",
                           len(texts) / secs, "texts/s", "reported", None))
    return figs


def pages_table() -> list[tuple[str, str, str, str]]:
    """app.py's registered pages as (file, title, icon, url path), read without running the app."""
    src = (store.PROJECT_ROOT / "app.py").read_text()
    start = src.index("PAGES = [")
    scope: dict = {}
    exec(src[start:src.index("]\n", start) + 1], scope)  # the literal list of pages only
    return [tuple(row) for row in scope["PAGES"] if (store.PROJECT_ROOT / row[0]).exists()]


def page_files() -> list[str]:
    return [row[0] for row in pages_table()]


def filter_changes(conn) -> list[tuple[str, dict[str, list[str]]]]:
    """The filter changes a rerun is timed for: a segment, a recent quarter, and a wide range
    (all but the first month: the case where an index on time does not pay)."""
    import datetime as dt

    changes: list[tuple[str, dict[str, list[str]]]] = []
    segments = store.distinct_values(conn, "customers", "segment")
    if segments:
        changes.append((f"segment {segments[0]}", {"segment": [segments[0]]}))
    lo, hi = store.date_bounds(conn)
    if lo and hi:
        lo_d, hi_d = dt.date.fromisoformat(lo[:10]), dt.date.fromisoformat(hi[:10])
        recent = max(lo_d, hi_d - dt.timedelta(days=90))
        wide = min(hi_d, lo_d + dt.timedelta(days=30))
        changes.append(("last 90 days", {"dates": [recent.isoformat(), hi_d.isoformat()]}))
        changes.append(("all but the first month", {"dates": [wide.isoformat(), hi_d.isoformat()]}))
    return changes


def _apptest_startup() -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("pass", default_timeout=60)
    t0 = time.perf_counter()
    at.run()
    return time.perf_counter() - t0


def bench_pages(source: Path) -> list[Figure]:
    """Cold render, and rerun after each filter change, of every page, with AppTest."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["CONTINUUM_DB"] = str(source)
    conn = store.connect(source)
    changes = filter_changes(conn)
    conn.close()
    # Each rerun is timed in a fresh AppTest (AppTest drops the router's sidebar after its first
    # run, so a filter cannot be changed in place). A fresh AppTest first scans the installed
    # packages for components, which a running server does once at start-up: that fixed cost,
    # timed on an empty script, is included in each rerun and shown on its own line.
    startup = min(_apptest_startup() for _ in range(3))
    figs = [Figure("AppTest start-up, included in each rerun", startup, "s", "reported", None)]
    for page in page_files():
        st.cache_data.clear()
        at = AppTest.from_file(str(store.PROJECT_ROOT / "app.py"), default_timeout=300)
        t0 = time.perf_counter()
        at.run()  # the router and the default page (Overview)
        if page != "pages/overview.py":
            st.cache_data.clear()
            t0 = time.perf_counter()
            at.switch_page(page).run()
        cold = time.perf_counter() - t0
        errors = [str(e.value)[:200] for e in at.exception]
        name = Path(page).stem
        figs.append(Figure(f"page {name}: cold render", cold, "s", f"< {COLD_GOAL:.0f} s", cold < COLD_GOAL
                           and not errors))
        if errors:
            print(f"  {name}: exception: {errors[0]}", file=sys.stderr)
        # A filter change reruns the page with the new filter (set through the URL, as a
        # shared link would); caches filled by the cold render stay warm, as in a session.
        for label, params in changes:
            at2 = AppTest.from_file(str(store.PROJECT_ROOT / "app.py"), default_timeout=300)
            for key, value in params.items():
                at2.query_params[key] = value
            if page != "pages/overview.py":
                at2.run()
                at2.switch_page(page)
            t0 = time.perf_counter()
            at2.run()
            rerun = time.perf_counter() - t0
            errs = [str(e.value)[:200] for e in at2.exception]
            figs.append(Figure(f"page {name}: rerun, filter {label}", rerun, "s", f"< {RERUN_GOAL:.0f} s",
                               rerun < RERUN_GOAL and not errs))
            if errs:
                print(f"  {name} ({label}): exception: {errs[0]}", file=sys.stderr)
    return figs


def bench_simulation() -> list[Figure]:
    try:
        from analysis import simulate
    except ImportError:
        return []
    if not hasattr(simulate, "bench_ic"):
        return []
    r = simulate.bench_ic()
    secs = float(r.get("seconds") or r.get("fast_seconds") or r.get("elapsed_s") or 0.0)
    speedup = float(r.get("speedup") or r.get("speed_up") or 0.0)
    figs = [Figure("IC: 1,000 runs, 100k nodes, 1M edges", secs, "s", f"<= {SIM_GOAL_S:.0f} s",
                   secs <= SIM_GOAL_S)]
    if speedup:
        figs.append(Figure("IC: speed-up per run over naive Python", speedup, "x",
                           f">= {SIM_SPEEDUP_GOAL:.0f}x", speedup >= SIM_SPEEDUP_GOAL))
    return figs


def run(scale: str = "default", db: str | None = None, json_path: str | None = None,
        skip: tuple[str, ...] = (), progress=None) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="continuum-bench-"))
    figures: list[Figure] = []
    try:
        if db:
            source = Path(db)
        else:
            source = workdir / "demo.sqlite"
        if not db and "build" not in skip:
            figures += bench_build(scale, source, progress)
        elif not db:
            from analysis import demo

            demo.build(source, scale=scale, seed=7, replace=True)
        if "import" not in skip:
            figures += bench_import(source, workdir, progress)
        if "memory" not in skip:
            figures += bench_import_memory(scale if not db else "default", workdir)
        if "sentiment" not in skip:
            figures += bench_sentiment(source)
        if "pages" not in skip:
            figures += bench_pages(source)
        if "simulation" not in skip:
            figures += bench_simulation()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {"scale": scale if not db else f"database {db}", "machine": machine(),
              "taken_at": time.strftime("%Y-%m-%d %H:%M:%S"), "figures": [asdict(f) for f in figures]}
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
    return result


def table(result: dict) -> str:
    lines = [f"Continuum benchmark — {result['scale']} — {result['machine']['cpus']} CPUs, "
             f"Python {result['machine']['python']}, {result['taken_at']}",
             f"{'figure':<48} {'value':>14} {'unit':<12} {'goal':<26} status", "-" * 110]
    lines += [Figure(**f).row() for f in result["figures"]]
    return "\n".join(lines)


def frame(result: dict) -> pd.DataFrame:
    return pd.DataFrame(result["figures"])


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="measure build, import, sentiment, page and simulation speed")
    p.add_argument("--scale", default="default", help="small, default, large or a number of customers")
    p.add_argument("--db", help="benchmark an existing database instead of building one")
    p.add_argument("--json", dest="json_path", help="write the figures to this JSON file")
    p.add_argument("--skip", default="", help="comma-separated: build,import,memory,sentiment,pages,simulation")
    p.set_defaults(func=_cmd)


def _cmd(args) -> int:
    from analysis import cli_progress

    bar = cli_progress.Bar()
    result = run(args.scale, args.db, args.json_path, tuple(s for s in args.skip.split(",") if s), bar.update)
    bar.close()
    print(table(result))
    missed = [f["name"] for f in result["figures"] if f["ok"] is False]
    if missed:
        print(f"\n{len(missed)} goal(s) missed: {', '.join(m.strip() for m in missed)}")
    return 0
