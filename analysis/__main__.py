"""The command line: parses arguments and calls the library, never the other way round.

    python -m analysis demo [--db PATH] [--scale small|default|large|N] [--seed N] [--replace|--if-missing]
    python -m analysis import TABLE FILE [--db PATH]
    python -m analysis simulate --edges FILE.csv --model ic|threshold|ovation ...
    python -m analysis bench [--scale ...] [--json FILE]
"""

from __future__ import annotations

import argparse
import sys

from analysis import cli_progress


def _cmd_demo(args) -> int:
    from analysis import demo, store

    path = store.db_path(args.db)
    bar = cli_progress.Bar()
    if args.if_missing and not args.replace:
        found, report = demo.ensure(path, scale=args.scale, seed=args.seed, progress=bar.update)
        bar.close()
        if report is None:
            print(f"{path} already holds " + ("a complete demo database" if found == "complete" else
                                               "data of its own (no demo build)") + "; kept as it is.")
            return 0
        if found == "incomplete":
            print(f"{path} was an interrupted demo build: moved aside (.incomplete-*) and built again.")
    else:
        report = demo.build(path, scale=args.scale, seed=args.seed, progress=bar.update, replace=args.replace)
        bar.close()
    print(report.summary())
    return 0


def _cmd_import(args) -> int:
    from analysis import ingest, store

    bar = cli_progress.Bar()
    try:
        db = store.connect(args.db)
        report = ingest.import_file(db, args.table, args.file, progress=bar.update)
    except (ingest.ImportProblem, store.StoreError) as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from analysis import warm

    try:
        warm.warm(db, bar.update)
    except Exception as exc:  # noqa: BLE001 - the import itself is committed; pages compute on first view
        print(f"warning: the import succeeded, but precomputing page aggregates failed ({exc!r}); "
              "pages will compute them on first view", file=sys.stderr)
    bar.close()
    print(report.summary())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description="Continuum command line")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="build the seeded demo database")
    p.add_argument("--db", help="database path (default $CONTINUUM_DB or data/continuum.sqlite)")
    p.add_argument("--scale", default="default", help="small, default, large or a number of customers")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    p.add_argument("--replace", action="store_true", help="delete an existing database first")
    p.add_argument("--if-missing", action="store_true",
                   help="build only when the database is missing, empty or an interrupted build (make run)")
    p.set_defaults(func=_cmd_demo)

    from analysis.ingest import TABLES

    p = sub.add_parser("import", help="import a CSV, XLSX or JSON/JSONL file into a table")
    p.add_argument("table", choices=TABLES)
    p.add_argument("file")
    p.add_argument("--db", help="database path (created if missing)")
    p.set_defaults(func=_cmd_import)

    # Other commands register themselves here (simulate, bench, ...).
    for module_name in ("analysis.simulate_cli", "analysis.bench"):
        try:
            module = __import__(module_name, fromlist=["add_parser"])
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from analysis import store

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except store.StoreError as exc:  # not a database, read-only, locked too long: a message, not a traceback
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
