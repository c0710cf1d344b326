"""The benchmark command: every figure beside its goal, and the filter changes reruns are timed for."""

from __future__ import annotations

import datetime as dt
import json

from analysis import bench, store
from bench import pages as page_bench


def test_filter_changes_are_a_segment_a_recent_quarter_and_a_wide_range(demo_db):
    conn = store.connect(demo_db, create=False)
    try:
        changes = dict(bench.filter_changes(conn))
        lo, hi = (dt.date.fromisoformat(d) for d in store.date_bounds(conn))
        segments = store.distinct_values(conn, "customers", "segment")
    finally:
        conn.close()
    assert changes[f"segment {segments[0]}"] == {"segment": [segments[0]]}
    recent = [dt.date.fromisoformat(d) for d in changes["last 90 days"]["dates"]]
    assert recent == [hi - dt.timedelta(days=90), hi]
    wide = [dt.date.fromisoformat(d) for d in changes["all but the first month"]["dates"]]
    assert wide == [lo + dt.timedelta(days=30), hi]


def test_bench_writes_each_figure_with_its_goal_to_json(demo_db, tmp_path):
    out = tmp_path / "bench.json"
    result = bench.run(db=str(demo_db), json_path=str(out),
                       skip=("build", "memory", "sentiment", "pages", "simulation"))
    kept = json.loads(out.read_text())
    assert kept["figures"] == result["figures"]
    imports = {f["name"]: f for f in kept["figures"] if f["name"].startswith("import ")}
    assert {name.split(" (")[0] for name in imports} == {
        "import customers", "import identities", "import interactions", "import follows",
        "import posts, without sentiment", "import posts incl. sentiment"}
    for f in imports.values():
        assert f["unit"] == "rows/s" and f["value"] > 0 and f["goal"]
    # Posts: the rate goal is for the import without its scoring; the rate with it is reported.
    by_start = {name.split(" (")[0]: f for name, f in imports.items()}
    unscored, scored = by_start["import posts, without sentiment"], by_start["import posts incl. sentiment"]
    conn = store.connect(demo_db, create=False)
    try:
        posts = store.scalar(conn, "SELECT COUNT(*) FROM posts")
    finally:
        conn.close()
    assert unscored["goal"].startswith(">= 100,000" if posts >= 10_000 else "reported (too few rows)")
    assert scored["goal"].startswith("reported")
    assert unscored["value"] > scored["value"]
    text = bench.table(result)
    assert "import interactions" in text and "rows/s" in text


def test_bench_reports_rescoring_texts_per_second_in_one_and_two_processes(demo_db):
    figs = bench.bench_rescore(demo_db, limit=3000)
    conn = store.connect(demo_db, create=False)
    try:
        distinct = min(3000, store.scalar(conn, "SELECT COUNT(DISTINCT text) FROM posts"))
    finally:
        conn.close()
    assert figs[0].name == f"rescoring {distinct:,} distinct texts, 1 process"
    assert all(f.unit == "texts/s" and f.value > 0 for f in figs)


def test_bench_reports_peak_memory_of_an_import_against_the_file_size(tmp_path, monkeypatch):
    monkeypatch.setitem(bench.MEMORY_ROWS, "small", (3_000, 12_000))
    figs = bench.bench_import_memory("small", tmp_path)
    assert [f.name.split(" CSV")[0].rsplit(",", 1)[0] for f in figs] == [
        "memory of an import: 3,000 rows", "memory of an import: 12,000 rows"]
    for f in figs:
        assert f.unit == "MiB peak" and f.value >= 0 and f.goal.endswith("x file; reported")
        mib = float(f.name.rsplit(", ", 1)[1].split(" MiB")[0])
        assert 0 < mib < 5  # the generated file's own size, stated beside its peak


def test_bench_states_the_data_size_and_reports_the_median_of_repeated_runs(demo_db):
    conn = store.connect(demo_db, create=False)
    try:
        counts = {t: store.scalar(conn, f"SELECT COUNT(*) FROM {t}") for t in bench.SIZE_TABLES}
    finally:
        conn.close()
    size = bench.data_size(demo_db)
    assert size["rows"] == counts and size["demo"] == "scale=small seed=7"
    figs = page_bench.bench_pages(demo_db, repeat=3, pages=["pages/service.py"])
    cold = next(f for f in figs if f.name == "page service: cold render")
    reruns = [f for f in figs if f.name.startswith("page service: rerun")]
    assert cold.runs == 3 and cold.worst >= cold.value > 0
    assert len(reruns) == 3 and all(f.runs == 3 and f.worst >= f.value for f in reruns)
    # CPU time is reported beside the wall time of every page figure.
    assert all(f.cpu is not None and f.cpu > 0 for f in [cold, *reruns])
    # The AppTest overheads a server pays once were shared only while timing: AppTest is as it was.
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test

    assert app_test.ScriptCache is ScriptCache
    text = bench.table({"scale": "small", "machine": bench.machine(), "taken_at": "now", "repeat": 3,
                        "data": size, "figures": [vars(f) for f in figs]})
    assert f"{counts['posts']:,} posts" in text and "demo scale=small seed=7" in text
    assert "median of 3 runs" in text


def test_median_of_runs():
    assert bench.median_of([3.0, 1.0, 2.0]) == 2.0
    assert bench.median_of([4.0, 1.0, 2.0, 3.0]) == 2.5
