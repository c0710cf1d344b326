"""``python -m analysis report``: parses the arguments and calls ``analysis.report``."""

from __future__ import annotations

import argparse
import contextlib
import sys

from analysis import cli_progress


def _day(text: str):
    from analysis.report import parse_day

    try:
        return parse_day(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day: {text!r} (write YYYY-MM-DD)") from None


def add_parser(sub) -> argparse.ArgumentParser:
    """Register ``report`` on the ``python -m analysis`` subparsers."""
    p = sub.add_parser(
        "report", help="write every page's headline figures under the filters as one JSON object",
        description="Headline figures of every page (conversations, service timing, sentiment by role, talk "
                    "share, cascades, ...) under the global filters, as one flat JSON object whose keys the "
                    "README documents. Figures the data cannot give are null.")
    p.add_argument("--db", required=True, help="database path")
    p.add_argument("--from", dest="date_from", type=_day, metavar="YYYY-MM-DD", help="first day (inclusive)")
    p.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD", help="last day (inclusive)")
    p.add_argument("--segment", action="append", default=[], help="customer segment (repeat for several)")
    p.add_argument("--region", action="append", default=[], help="customer region (repeat for several)")
    p.add_argument("--platform", action="append", default=[], help="social platform (repeat for several)")
    p.add_argument("--json", required=True, metavar="FILE", help="where to write the JSON ('-' for stdout)")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from analysis import report, store
    from analysis.filters import Filters

    try:
        f = Filters(date_from=args.date_from, date_to=args.date_to, segments=tuple(args.segment),
                    regions=tuple(args.region), platforms=tuple(args.platform))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        try:
            db = stack.enter_context(store.connection(args.db, create=False))
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for name, values, table, column in (("segment", f.segments, "customers", "segment"),
                                            ("region", f.regions, "customers", "region"),
                                            ("platform", f.platforms, "posts", "platform")):
            unknown = sorted(set(values) - set(store.distinct_values(db, table, column)))
            if unknown:
                print(f"warning: no {table} row has {name} {', '.join(map(repr, unknown))}; its figures are empty",
                      file=sys.stderr)
        bar = cli_progress.Bar()
        figures = report.report(db, f, progress=bar.update)
        bar.close()
    try:
        report.write_json(figures, args.json)
    except OSError as exc:
        print(f"error: cannot write {args.json}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
