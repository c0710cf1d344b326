"""``python -m analysis copy SOURCE TARGET``: parses the arguments and calls ``analysis.store.transfer``."""

from __future__ import annotations

import sys

from analysis import cli_progress


def add_parser(sub):
    """Register ``copy`` on the ``python -m analysis`` subparsers."""
    p = sub.add_parser(
        "copy", help="copy a whole database to another one (SQLite file or PostgreSQL address, either way)",
        description="Copies every table of SOURCE (data, settings, saved scenarios and decks, labels) into "
                    "TARGET in one transaction, then rebuilds the target's rollups and pages' first views. "
                    "SOURCE and TARGET are each an SQLite file path or a postgresql://user@host:port/dbname "
                    "address. A target holding data is refused unless --replace. A failure leaves the target "
                    "as it was.")
    p.add_argument("source", metavar="SOURCE", help="the database to copy (file path or postgresql:// address)")
    p.add_argument("target", metavar="TARGET", help="where to copy it (a new or empty database, or any with --replace)")
    p.add_argument("--replace", action="store_true",
                   help="replace the target's contents (in the same transaction as the copy)")
    p.add_argument("--no-warm", dest="warm", action="store_false",
                   help="do not rebuild the rollups and pages' first views now (pages compute them on first view)")
    p.add_argument("--keep-derived", action="store_true",
                   help="copy the rollups and kept results too instead of rebuilding them on the target (faster on "
                        "large databases; they are then the source engine's computation)")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from analysis import store
    from analysis.store import transfer

    bar = cli_progress.Bar()
    try:
        report = transfer.copy_database(args.source, args.target, replace=args.replace, warm=args.warm,
                                        keep_derived=args.keep_derived, progress=bar.update)
    except store.StoreError as exc:  # CopyProblem, a read-only target, another writer past the lock timeout
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        bar.close()
        print("interrupted: the copy was rolled back; the target is as it was.", file=sys.stderr)
        return 130
    bar.close()
    print(report.summary())
    return 0 if report.verified else 1
