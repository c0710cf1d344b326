"""Tests for ``python -m analysis simulate``: JSON output, summary, and exit code 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def edges(tmp_path) -> Path:
    # A ring of 12 handles plus a chord: small enough to reason about, big enough to spread.
    names = [f"@user{i}" for i in range(12)]
    rows = [(names[i], names[(i + 1) % 12]) for i in range(12)] + [(names[0], names[6])]
    path = tmp_path / "edges.csv"
    path.write_text("source,target\n" + "".join(f"{a},{b}\n" for a, b in rows))
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "simulate", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_json_output_via_subprocess(edges):
    proc = cli("--edges", str(edges), "--model", "ic", "--p", "0.4", "--seeds", "2", "--seed-strategy", "degree",
               "--runs", "25", "--rng", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # exactly one JSON document on stdout
    for key in ("runs", "mean", "ci95", "elapsed_s", "model", "params", "n_nodes", "n_edges", "p_global"):
        assert key in out
    assert out["model"] == "ic" and out["params"] == {"p": 0.4}
    assert out["n_nodes"] == 12 and out["n_edges"] == 13
    assert len(out["runs"]) == 25 and all(0 <= x <= 1 for x in out["runs"])
    assert min(out["runs"]) >= 2 / 12  # seeds included
    assert len(out["ci95"]) == 2 and out["ci95"][0] <= out["mean"] <= out["ci95"][1]
    assert out["seeds"][0] == "@user0"  # the chord gives it the most followers


def test_bad_file_exits_2_naming_the_file(tmp_path):
    missing = tmp_path / "no_such_edges.csv"
    proc = cli("--edges", str(missing), "--model", "ic", "--json")
    assert proc.returncode == 2
    assert "no_such_edges.csv" in proc.stderr and proc.stdout == ""


def test_same_rng_same_runs_and_models_in_process(edges, capsys):
    args = ["simulate", "--edges", str(edges), "--model", "threshold", "--phi", "0.5", "--runs", "10", "--rng",
            "5", "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == first["runs"]
    assert first["params"]["phi"] == 0.5 and first["seeds_per_run"] is True
    assert main(["simulate", "--edges", str(edges), "--model", "ovation", "--visibility", "front", "--runs", "5",
                 "--rng", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["params"]["visibility"] == "front"


def test_readable_summary(edges, capsys):
    assert main(["simulate", "--edges", str(edges), "--directed", "--model", "ic", "--runs", "20", "--rng", "1"]) == 0
    text = capsys.readouterr().out
    assert "Independent cascade" in text and "12 nodes" in text and "13 directed edges" in text
    assert "mean" in text and "95% CI" in text


def test_bad_column_and_bad_p_exit_2(tmp_path, edges, capsys):
    bad = tmp_path / "columns.csv"
    bad.write_text("from,to\na,b\n")
    assert main(["simulate", "--edges", str(bad), "--model", "ic"]) == 2
    err = capsys.readouterr().err
    assert "columns.csv" in err and "'source'" in err
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--edges", str(edges), "--model", "ic", "--p", "1.5"])
    assert exc.value.code == 2
    assert "--p" in capsys.readouterr().err
    assert main(["simulate", "--edges", str(edges), "--model", "ic", "--seeds", "50"]) == 2
    assert "12 nodes" in capsys.readouterr().err
