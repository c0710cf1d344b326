"""Materialise the heavy unfiltered aggregates after the data changed in bulk (demo build, CLI import),
so the first page a user opens reads them instead of scanning every row."""

from __future__ import annotations

import sqlite_utils

from analysis import (
    agreement,
    cascades,
    continuum,
    database,
    interaction_cube,
    listening,
    overview,
    perception,
    service,
)
from analysis.filters import Filters
from analysis.store import kinds, rollups
from analysis.store.roles import DEFAULT_ROLES

STEPS = (
    ("rollups", lambda db: rollups.fresh(db) or rollups.build(db)),
    ("interactions cube", lambda db: interaction_cube.usable(db) and interaction_cube.cube(db)),
    # The page's default authors (customers and other public voices), and every role side by side.
    ("overview", lambda db: (overview.health(db), overview.view(db, Filters(), DEFAULT_ROLES),
                             overview.post_roles(db, Filters()))),
    ("continuum", lambda db: (continuum.channel_inputs(db, Filters()), continuum.activity_base(db),
                              continuum.service_base(db), continuum.posts_base(db, True))),
    ("listening", lambda db: (listening.cube(db), listening.text_cube(db), agreement.stratum_weights(db))),
    ("cascades", lambda db: cascades.observed_cascades(db, "reshare")),
    # The brand's messages with their codes, and their motives under the stored lexicon.
    ("perception", lambda db: perception.brand_messages(db)),
    ("service", lambda db: (service.coverage(db), service.all_conversations(db))),
    # The Data page's rows per table, kinds to place and kinds' usage: COUNT(*) over 23M follows and two
    # GROUP BYs over 10M interactions, 16 s of CPU for the first visitor at huge when not prepared here.
    ("data", lambda db: (database.table_counts(db), database.kinds_to_place(db), kinds.kind_usage(db))),
)


def warm(db: sqlite_utils.Database, progress=None) -> None:
    """Compute and keep each page's unfiltered aggregates (``progress(stage, done, total)``)."""
    stage = "preparing the pages' figures"
    if progress:
        progress(stage, 0, len(STEPS))  # shown while the first step runs
    for i, (_name, step) in enumerate(STEPS):
        step(db)
        if progress:
            progress(stage, i + 1, len(STEPS))
