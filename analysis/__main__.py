"""The command line: parses arguments and calls the library, never the other way round.

    python -m analysis demo [--db PATH] [--scale small|default|large|huge|N] [--seed N] [--replace|--if-missing]
    python -m analysis import TABLE FILE [--db PATH] [--mapping NAME_OR_JSONFILE [--save-mapping NAME]]
    python -m analysis import FILE --format tweets|tickets|edges [--brand HANDLES]
    python -m analysis simulate --edges FILE.csv --model ic|threshold|ovation ...
    python -m analysis bench [--scale ...] [--json FILE]
    python -m analysis bench-scales small.json ... huge.json   (figure against scale)
    python -m analysis copy SOURCE TARGET [--replace] [--no-warm] [--keep-derived]   (file or postgresql://)
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
    """import TABLE FILE | import TABLE FILE --mapping M [--save-mapping NAME] | import FILE --format F."""
    from analysis import formats, ingest, mapping, store
    from analysis.formats import checks
    from analysis.store import mappings

    try:
        db = store.connect(args.db)
    except store.StoreError as exc:  # not a Continuum database, read-only, locked past the timeout
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list_mappings:
        listing = mappings.listing(db)
        print("no saved mappings" if listing.empty else listing.to_string(index=False))
        return 0
    if args.format:
        if len(args.args) != 1:
            print("error: with --format give just the FILE: python -m analysis import FILE --format NAME",
                  file=sys.stderr)
            return 2
        table, path = None, args.args[0]
    else:
        if len(args.args) != 2:
            print("error: give TABLE FILE (tables: " + ", ".join(ingest.TABLES) + "), or FILE --format NAME "
                  "(formats: " + ", ".join(formats.FORMATS) + ")", file=sys.stderr)
            return 2
        table, path = args.args
    bar = cli_progress.Bar()
    try:
        if args.format:
            report = formats.import_format(db, args.format, path, options={"brand": args.brand} if args.brand
                                           else None, progress=bar.update)
        elif args.mapping:
            m = mapping.load(args.mapping, db)
            if m.table != table:
                raise ingest.ImportProblem(args.mapping, f"this mapping fills table {m.table}, not {table}")
            report = mapping.import_mapped(db, m, path, progress=bar.update)
            if args.save_mapping:
                mappings.save(db, args.save_mapping, m.to_dict())
        else:
            if table not in ingest.TABLES:
                raise ingest.ImportProblem(path, f"unknown table '{table}'; choose one of {', '.join(ingest.TABLES)}")
            report = ingest.import_file(db, table, path, progress=bar.update)
    except store.StoreError as exc:  # another writer held the lock past the timeout, a read-only file
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ingest.ImportProblem as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        problems = checks.problems_of(exc, *_reread(path, table, db))
        if len(problems) > 1:
            print(f"every problem found (the first {formats.PROBLEMS_PER_COLUMN} per column):", file=sys.stderr)
            print("\n".join(checks.lines(problems)), file=sys.stderr)
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


def _reread(path, table, db):
    """(frame, table, offset, row label, db) for listing every problem of a plain import, if readable."""
    from analysis import ingest

    if table not in ingest.SPECS:
        return None, None
    try:
        frame, _name, offset = ingest.read_file(path)
    except ingest.ImportProblem:
        return None, None
    return frame, table, offset, "record" if offset == 1 else "row", db


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description="Continuum command line")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="build the seeded demo database")
    p.add_argument("--db", help="database path (default $CONTINUUM_DB or data/continuum.sqlite)")
    p.add_argument("--scale", default="default",
                   help="small, default, large, huge (ten parts of 50k customers) or a number of customers")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    p.add_argument("--replace", action="store_true", help="delete an existing database first")
    p.add_argument("--if-missing", action="store_true",
                   help="build only when the database is missing, empty or an interrupted build (make run)")
    p.set_defaults(func=_cmd_demo)

    from analysis.ingest import TABLES

    p = sub.add_parser("import", help="import a CSV, XLSX or JSON/JSONL file into a table, or a whole export",
                       description="TABLE FILE imports one table; TABLE FILE --mapping M reads the file's own "
                                   "columns through a mapping (a JSON file or a saved name); FILE --format F "
                                   "turns a whole export into every table it implies. Tables: "
                                   + ", ".join(TABLES) + ".")
    p.add_argument("args", nargs="*", metavar="TABLE FILE", help="the table and the file (just FILE with --format)")
    p.add_argument("--db", help="database path (created if missing)")
    p.add_argument("--mapping", metavar="NAME_OR_JSONFILE", help="column mapping: a JSON file or a saved name")
    p.add_argument("--save-mapping", metavar="NAME", help="save the --mapping used under this name")
    p.add_argument("--list-mappings", action="store_true", help="show the saved mappings and stop")
    from analysis.formats import FORMATS

    p.add_argument("--format", choices=tuple(FORMATS), help="a built-in format: " + ", ".join(FORMATS))
    p.add_argument("--brand", metavar="HANDLES", help="tweets format: the brand's handles, comma-separated "
                                                       "(needed when the file has no 'inbound' column)")
    p.set_defaults(func=_cmd_import)

    # Other commands register themselves here (simulate, bench, ...).
    for module_name in ("analysis.simulate_cli", "analysis.bench", "analysis.bench_scales", "analysis.report_cli",
                        "analysis.sentiment_cli", "analysis.copy_cli"):
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


def _exit(code: int) -> None:
    """End the process once everything is written, without the interpreter's teardown.

    Twice in some 25 runs of ``report`` on PostgreSQL under load, the process printed "terminate called
    without an active exception" and aborted (exit status -6) after its output was complete: a C++
    library's thread (pyarrow's pool, most likely) destroyed during teardown. The exit handlers still
    run (the shared Chromium of chart images is closed), the streams are flushed, and the process ends
    with the command's own status.
    """
    import atexit
    import os

    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a reader that went away (| head), a closed stream
                pass
        os._exit(code)


if __name__ == "__main__":
    _exit(main())
