"""Figure against scale: benchmark results side by side."""

from __future__ import annotations

import json

import pytest

from analysis import bench_scales


def result(scale, seed, rows, figures):
    return {"scale": f"database /tmp/{scale}.sqlite", "data": {"demo": f"scale={scale} seed={seed}", "rows": rows},
            "figures": [dict(name=f[0], value=f[1], unit=f[2], goal="", ok=f[3], **(f[4] if len(f) > 4 else {}))
                        for f in figures]}


def test_same_figure_lines_up_across_scales_whatever_its_row_counts():
    small = result("small", 7, {"customers": 600, "interactions": 12_000, "posts": 6_500, "follows": 20_000}, [
        ("import posts (6,500 rows)", 40_000, "rows/s", None),
        ("page overview: cold render", 0.21, "s", True),
        ("demo build (small, seed 7; one run)", 3.5, "s", None),
        ("  rows in posts", 6_500, "rows", None)])  # as the build writes it, indented
    huge = result("huge", 1, {"customers": 500_000, "interactions": 10_000_000, "posts": 12_345_678,
                              "follows": 17_000_000}, [
        ("import posts (12,345,678 rows)", 90_000, "rows/s", None),
        ("page overview: cold render", 4.2, "s", False, {"cpu": 3.1}),
        ("page listening: cold render", 2.0, "s", True),
        ("demo build (huge, seed 1; one run)", 3600, "s", None)])
    lines = bench_scales.table([small, huge]).splitlines()
    assert lines[0] == "| figure | small, seed 7 | huge, seed 1 |"
    assert "| rows in posts | 6,500 | 12,345,678 |" in lines
    assert not any(line.startswith("| rows in posts (rows)") for line in lines)  # the build's sizes: once, at the head
    assert "| import posts (rows/s) | 40,000 | 90,000 |" in lines
    assert "| page overview: cold render (s) | 0.21 | 4.2 (CPU 3.1) (missed) |" in lines
    assert "| demo build (s) | 3.5 | 3,600 |" in lines
    # A figure one scale lacks is an empty cell, not a shifted column.
    assert "| page listening: cold render (s) |  | 2 |" in lines


def test_a_file_that_is_not_a_result_is_named(tmp_path, capsys):
    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(bench_scales.BenchFileError, match="notes.json: not a benchmark result"):
        bench_scales.load([bad])
    text = tmp_path / "x.json"
    text.write_text("not json")
    with pytest.raises(bench_scales.BenchFileError, match="x.json: cannot be read"):
        bench_scales.load([text])


def test_cli_writes_the_markdown(tmp_path, capsys):
    from analysis.__main__ import main

    a = tmp_path / "a.json"
    a.write_text(json.dumps(result("small", 7, {"customers": 1, "interactions": 2, "posts": 3, "follows": 4},
                                   [("page data: cold render", 0.5, "s", True)])))
    out = tmp_path / "t.md"
    assert main(["bench-scales", str(a), "--markdown", str(out)]) == 0
    assert "| page data: cold render (s) | 0.5 |" in out.read_text()


def test_two_runs_on_the_same_data_make_one_column_and_other_data_is_refused(tmp_path):
    rows = {"customers": 50_000, "interactions": 999_998, "posts": 2_704_544, "follows": 3_421_258}
    pages = tmp_path / "pages.json"
    pages.write_text(json.dumps(result("large", 1, rows, [("page overview: cold render", 0.1, "s", True)])))
    imports = tmp_path / "imports.json"
    imports.write_text(json.dumps(result("large", 1, rows, [("import posts (2,704,544 rows)", 120_000, "rows/s", True),
                                                            ("page overview: cold render", 9.9, "s", False)])))
    [both] = bench_scales.load([f"{pages}+{imports}"])
    lines = bench_scales.table([both]).splitlines()
    assert lines[0] == "| figure | large, seed 1 |"
    assert "| page overview: cold render (s) | 0.1 |" in lines  # the first file's, not the second's
    assert "| import posts (rows/s) | 120,000 |" in lines
    other = tmp_path / "other.json"
    other.write_text(json.dumps(result("large", 7, {**rows, "posts": 1_266_453}, [])))
    with pytest.raises(bench_scales.BenchFileError, match="other.json: measured other data"):
        bench_scales.load([f"{pages}+{other}"])
