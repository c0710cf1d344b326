"""``python -m analysis rescore``: score every post again with the database's scorer (after an
edit of the domain lexicon elsewhere, or an upgrade), each distinct text once, on every core."""

from __future__ import annotations

from analysis import cli_progress, scoring, store


def _cmd_rescore(args) -> int:
    with store.connection(args.db, create=False) as db:
        bar = cli_progress.Bar()
        try:
            report = scoring.rescore(db, progress=bar.update, workers=args.workers)
        finally:
            bar.close()
        print(f"Scorer: {scoring.describe(db)}.")
        print(report.summary())
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("rescore", help="score every post again with the database's sentiment scorer")
    p.add_argument("--db", help="database path (default $CONTINUUM_DB or data/continuum.sqlite)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: both cores when there are many distinct texts)")
    p.set_defaults(func=_cmd_rescore)
