"""The benchmark command: every performance goal measured and printed beside its goal.

    python -m analysis bench [--scale small|default|large|N] [--seed N] [--db PATH] [--json FILE]
                             [--repeat N] [--skip build,import,memory,sentiment,pages,simulation]

Timings on a shared machine vary by ±30%: every timed figure is measured ``--repeat`` times (3 by
default) and the median is reported, with the slowest run beside it (the demo build is timed once).
The size of the data measured (rows per table, and the demo's scale and seed when it is a demo) is
printed above the figures, so two runs are compared on the same data.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
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
REPEAT = 3  # runs of each timed figure; the median is reported
SIZE_TABLES = ("customers", "identities", "interactions", "posts", "follows")


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    goal: str
    ok: bool | None
    runs: int = 1  # how many runs ``value`` is the median of
    worst: float | None = None  # the slowest run (the highest time, the lowest rate) when runs > 1
    cpu: float | None = None  # a page's median CPU seconds (every thread of the process) for its timed run

    def row(self) -> str:
        mark = {True: "ok", False: "MISSED", None: "–"}[self.ok]
        v = format_number(self.value)
        spread = f"{self.runs}× (worst {format_number(self.worst)})" if self.runs > 1 and self.worst is not None else ""
        cpu = format_number(self.cpu) if self.cpu is not None else ""
        return f"{self.name:<52} {v:>12} {self.unit:<8} {cpu:>8} {spread:<20} {self.goal:<24} {mark}"


def format_number(x: float) -> str:
    """A figure as the tables print it: thousands separated, three significant digits below 100."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def median_of(samples: list[float]) -> float:
    return float(statistics.median(samples))


def data_size(path: Path) -> dict:
    """Rows per table of the database measured, and the demo's scale and seed when it is a demo."""
    conn = store.connect(path)
    try:
        rows = {t: int(store.scalar(conn, f'SELECT COUNT(*) FROM "{t}"') or 0) for t in SIZE_TABLES}
        demo = store.get_meta(conn, "demo")
    finally:
        conn.close()
    return {"demo": demo, "rows": rows}


def describe_size(size: dict) -> str:
    rows = ", ".join(f"{n:,} {t}" for t, n in size["rows"].items())
    return f"data: {rows}" + (f" (demo {size['demo']})" if size.get("demo") else "")


def machine() -> dict:
    return {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine()}


def bench_build(scale: str, path: Path, progress=None, seed: int = 7) -> list[Figure]:
    from analysis import demo

    t0 = time.perf_counter()
    report = demo.build(path, scale=scale, seed=seed, progress=progress, replace=True)
    secs = time.perf_counter() - t0
    goal = BUILD_GOAL.get(scale)
    figs = [Figure(f"demo build ({scale}, seed {seed}; one run)", secs, "s", f"< {goal:.0f} s" if goal
                   else "reported", secs < goal if goal else None)]
    for table, n in report.counts.items():
        figs.append(Figure(f"  rows in {table}", n, "rows", "", None))
    return figs


def _scratch(source, workdir: Path, name: str):
    """A fresh, empty database to import into, on the engine of ``source``: a file in ``workdir``, or a
    schema of its own on the same PostgreSQL server (dropped by ``_drop_scratch``)."""
    if isinstance(source, store.pg.Address):
        return store.pg.create_schema(source, f"continuum_bench_{name}_{os.getpid()}")
    target = workdir / f"{name}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    return target


def _drop_scratch(source, name: str) -> None:
    if isinstance(source, store.pg.Address):
        store.pg.drop_schema(source, f"continuum_bench_{name}_{os.getpid()}")


def bench_import(source: Path, workdir: Path, progress=None, repeat: int = REPEAT) -> list[Figure]:
    """Export each table of ``source`` to CSV and import it into a fresh database, ``repeat`` times
    (a fresh database each time): the median rate per table."""
    from analysis import ingest

    src = store.connect(source)
    csvs = {}
    for table in (*PLAIN_TABLES, "posts"):
        cols = [c for c in ingest.SPECS[table]["required"]] + [c for c in ingest.SPECS[table]["optional"]]
        frame = store.query_df(src, f'SELECT {", ".join(cols)} FROM "{table}"')
        if frame.empty:  # nothing to measure (and an empty file is refused)
            continue
        csvs[table] = workdir / f"{table}.csv"
        frame.to_csv(csvs[table], index=False)
        del frame
    src.close()
    rates: dict[str, list[float]] = {t: [] for t in csvs}
    unscored: list[float] = []  # posts' rate without the sentiment step
    rows: dict[str, int] = {}
    for _ in range(max(1, repeat)):
        target = _scratch(source, workdir, "import")
        dst = store.connect(target)
        for table, csv in csvs.items():
            report = ingest.import_file(dst, table, csv, progress=progress)
            rates[table].append(report.rows_per_second)
            if table == "posts":
                unscored.append(report.rows_per_second_without_sentiment)
            rows[table] = report.rows
        dst.close()
    _drop_scratch(source, "import")
    figs = []
    for table, samples in rates.items():
        # Fixed costs dominate tiny files: the rate goal applies from 10,000 rows.
        big = rows[table] >= 10_000
        if table == "posts":
            # The goal is for everything but the scoring, whose own rate is the sentiment figure below.
            rate = median_of(unscored)
            figs.append(Figure(f"import posts, without sentiment ({rows[table]:,} rows)", rate, "rows/s",
                               f">= {IMPORT_GOAL:,} rows/s" if big else "reported (too few rows)",
                               rate >= IMPORT_GOAL if big else None, len(unscored), min(unscored)))
            name, goal, ok = f"import posts incl. sentiment ({rows[table]:,} rows)", "reported (scores sentiment)", None
        else:
            plain = table in PLAIN_TABLES and big
            name, goal = f"import {table} ({rows[table]:,} rows)", (f">= {IMPORT_GOAL:,} rows/s" if plain
                                                                     else "reported (too few rows)")
            ok = median_of(samples) >= IMPORT_GOAL if plain else None
        figs.append(Figure(name, median_of(samples), "rows/s", goal, ok, len(samples), min(samples)))
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


def bench_import_memory(scale: str, workdir: Path, source=None) -> list[Figure]:
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
        target = _scratch(source, workdir, f"memory{rows}")
        proc = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, str(target), str(customers), str(csv)],
                              capture_output=True, text=True, cwd=store.PROJECT_ROOT)
        _drop_scratch(source, f"memory{rows}")
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


def bench_sentiment(source: Path, limit: int = 200_000, repeat: int = REPEAT) -> list[Figure]:
    from analysis import sentiment

    conn = store.connect(source)
    texts = store.query_df(conn, "SELECT text FROM posts WHERE text IS NOT NULL LIMIT ?", (limit,))["text"]
    conn.close()
    sentiment.analyzer()
    rates = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        _, distinct = sentiment.score_texts(texts.tolist())
        rates.append(distinct / max(time.perf_counter() - t0, 1e-9))
    rate = median_of(rates)
    saved = (len(texts) - distinct) / rate if rate else 0.0
    figs = [
        Figure(f"sentiment ({distinct:,} distinct of {len(texts):,} texts)", rate, "texts/s", "reported", None,
               len(rates), min(rates)),
        Figure("  scoring each distinct text once saves", saved, "s", f"{1 - distinct / max(len(texts), 1):.0%} "
               "of texts not rescored", None),
    ]
    return figs + bench_rescore(source, limit, repeat)


def bench_rescore(source: Path, limit: int = 200_000, repeat: int = REPEAT) -> list[Figure]:
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
        rates = []
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            sentiment.score_distinct(texts, scorer=scorer, workers=workers)
            rates.append(len(texts) / max(time.perf_counter() - t0, 1e-9))
        figs.append(Figure(f"rescoring {len(texts):,} distinct texts, {workers} process{'es' if workers > 1 else ''}",
                           median_of(rates), "texts/s", "reported", None, len(rates), min(rates)))
    return figs


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
        skip: tuple[str, ...] = (), progress=None, repeat: int = REPEAT, seed: int = 7) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="continuum-bench-"))
    figures: list[Figure] = []
    size: dict = {}
    try:
        if db:
            source = store.db_path(db)  # a file, or a postgresql:// address
        else:
            source = workdir / "demo.sqlite"
        if not db and "build" not in skip:
            figures += bench_build(scale, source, progress, seed=seed)
        elif not db:
            from analysis import demo

            demo.build(source, scale=scale, seed=seed, replace=True)
        size = data_size(source)
        if "import" not in skip:
            figures += bench_import(source, workdir, progress, repeat)
        if "memory" not in skip:
            figures += bench_import_memory(scale if not db else "default", workdir, source)
        if "sentiment" not in skip:
            figures += bench_sentiment(source, repeat=repeat)
        if "pages" not in skip:
            # Pages are timed through Streamlit's AppTest, outside analysis/ (which imports no streamlit).
            from bench import pages as page_bench

            figures += page_bench.bench_pages(source, repeat)
        if "simulation" not in skip:
            figures += bench_simulation()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {"scale": scale if not db else f"database {db}", "machine": machine(), "repeat": repeat,
              "data": size, "taken_at": time.strftime("%Y-%m-%d %H:%M:%S"),
              "figures": [asdict(f) for f in figures]}
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
    return result


def table(result: dict) -> str:
    repeat = result.get("repeat", 1)
    lines = [f"Continuum benchmark — {result['scale']} — {result['machine']['cpus']} CPUs, "
             f"Python {result['machine']['python']}, {result['taken_at']}"]
    if result.get("data"):
        lines.append(describe_size(result["data"]))
    lines += [f"Each timed figure is the median of {repeat} runs (the slowest beside it); the demo build is "
              "timed once." if repeat > 1 else "Each timed figure is one run.",
              "A page's CPU is the process's CPU time (all threads) during its timed run, the median: on a "
              "machine shared with other work its wall time stretches and its CPU time hardly does.",
              f"{'figure':<52} {'median':>12} {'unit':<8} {'CPU s':>8} {'runs':<20} {'goal':<24} status", "-" * 137]
    lines += [Figure(**f).row() for f in result["figures"]]
    return "\n".join(lines)


def frame(result: dict) -> pd.DataFrame:
    return pd.DataFrame(result["figures"])


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="measure build, import, sentiment, page and simulation speed")
    p.add_argument("--scale", default="default", help="small, default, large or a number of customers")
    p.add_argument("--seed", type=int, default=7, help="the demo's seed when the benchmark builds it")
    p.add_argument("--repeat", type=int, default=REPEAT,
                   help=f"runs of each timed figure, the median reported (default {REPEAT})")
    p.add_argument("--db", help="benchmark an existing database instead of building one")
    p.add_argument("--json", dest="json_path", help="write the figures to this JSON file")
    p.add_argument("--skip", default="", help="comma-separated: build,import,memory,sentiment,pages,simulation")
    p.set_defaults(func=_cmd)


def _cmd(args) -> int:
    from analysis import cli_progress

    bar = cli_progress.Bar()
    result = run(args.scale, args.db, args.json_path, tuple(s for s in args.skip.split(",") if s), bar.update,
                 repeat=max(1, args.repeat), seed=args.seed)
    bar.close()
    print(table(result))
    missed = [f["name"] for f in result["figures"] if f["ok"] is False]
    if missed:
        print(f"\n{len(missed)} goal(s) missed: {', '.join(m.strip() for m in missed)}")
    return 0
