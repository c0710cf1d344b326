"""Figure against scale: several benchmark results (``bench --json``) side by side, one column each.

    python -m analysis bench-scales small.json default.json large.json huge.json [--markdown FILE]
    python -m analysis bench-scales ... large-pages.json+large-imports.json ...   (one column, two runs)

Shows how each figure grows with the data, so the next bottleneck is known before a user finds it.
A figure's name carries its row counts ("import posts (52,031 rows)"); those counts are dropped so the
same figure lines up across scales, and the rows of each table head every column instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from analysis.bench import format_number

SIZE_TABLES = ("customers", "interactions", "posts", "follows")
_COUNTS = re.compile(r"\s*\((?:[\d,]+ rows|[\d,]+ distinct of [\d,]+ texts)\)")
_BIG = re.compile(r"\b\d{1,3}(?:,\d{3})+ ")


class BenchFileError(ValueError):
    """A file that is not a benchmark result, named with the reason."""


def figure_key(name: str) -> str:
    """A figure's name without the row counts (and the demo build's scale) that differ between scales."""
    if name.startswith("demo build"):
        return "demo build"
    return _BIG.sub("", _COUNTS.sub("", name)).strip()


def column_label(result: dict) -> str:
    """'large, seed 1' for a demo, else what the result says it measured."""
    demo = (result.get("data") or {}).get("demo") or ""
    found = dict(part.split("=", 1) for part in demo.split() if "=" in part)
    if "scale" in found:
        return f"{found['scale']}, seed {found.get('seed', '?')}"
    return str(result.get("scale", "?"))


def _read(p: str | Path) -> dict:
    try:
        r = json.loads(Path(p).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BenchFileError(f"{p}: cannot be read as a benchmark result ({exc})") from None
    if not isinstance(r, dict) or not isinstance(r.get("figures"), list):
        raise BenchFileError(f"{p}: not a benchmark result (no list of figures): write one with "
                             "`python -m analysis bench --json FILE`")
    return r


def load(paths: list[str | Path]) -> list[dict]:
    """One result per path. ``a.json+b.json`` is one column made of two runs on the same data (say the pages
    of one and the imports of another, each run when the machine was quiet): refused if their data differ;
    a figure both have is taken from the first."""
    results = []
    for p in paths:
        parts = str(p).split("+") if not Path(p).exists() else [p]
        first = _read(parts[0])
        for other_path in parts[1:]:
            other = _read(other_path)
            if (other.get("data") or {}) != (first.get("data") or {}):
                raise BenchFileError(f"{other_path}: measured other data than {parts[0]} "
                                     f"({(other.get('data') or {}).get('rows')} against "
                                     f"{(first.get('data') or {}).get('rows')}): one column is one dataset")
            names = {f.get("name") for f in first["figures"]}
            first = {**first, "figures": first["figures"] + [f for f in other["figures"] if f.get("name") not in names]}
        results.append(first)
    return results


def _cell(fig: dict | None) -> str:
    if fig is None:
        return ""
    text = format_number(float(fig["value"]))
    if fig.get("cpu") is not None:
        text += f" (CPU {format_number(float(fig['cpu']))})"
    return text + (" (missed)" if fig.get("ok") is False else "")



def table(results: list[dict]) -> str:
    """A Markdown table: one row per figure (its unit in the name), one column per result, in the order given;
    a page's CPU seconds beside its wall time where the result has them."""
    labels = [column_label(r) for r in results]
    lines = ["| figure | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(results)]
    for t in SIZE_TABLES:
        cells = [f"{(r.get('data') or {}).get('rows', {}).get(t, 0):,}" if (r.get("data") or {}).get("rows") else ""
                 for r in results]
        lines.append(f"| rows in {t} | " + " | ".join(cells) + " |")
    order: list[str] = []
    by: list[dict[str, dict]] = []
    for r in results:
        mine = {}
        for f in r["figures"]:
            if f["name"].strip().startswith("rows in ") and f["unit"] == "rows":
                continue  # the demo build's sizes: already the head of every column
            key = f"{figure_key(f['name'])} ({f['unit']})"
            mine[key] = f
            if key not in order:
                order.append(key)
        by.append(mine)
    for key in order:
        lines.append(f"| {key} | " + " | ".join(_cell(m.get(key)) for m in by) + " |")
    return "\n".join(lines)


def add_parser(sub) -> None:
    p = sub.add_parser("bench-scales", help="benchmark results (bench --json) side by side: figure against scale")
    p.add_argument("files", nargs="+", help="JSON files written by `bench --json`, smallest scale first; "
                                            "A.json+B.json: one column from two runs on the same data")
    p.add_argument("--markdown", help="also write the table to this file")
    p.set_defaults(func=_cmd)


def _cmd(args) -> int:
    try:
        text = table(load(args.files))
    except BenchFileError as exc:
        print(exc)
        return 2
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    return 0
