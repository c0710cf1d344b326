"""Figures the tests expect, counted here from a demo database's own tables with pandas (never from the
program's code), for tests that check the same facts in different places."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pandas as pd

SPRING = ("2026-03-01", "2026-05-31")  # the "Spring in Europe" view's dates


def scenario_figures(sqlite_path) -> dict[str, dict[str, int]]:
    """The headline figure of three saved views, by scenario name: interactions of Premium customers
    (Overview), posts by accounts linked to Value customers (Listening), and interactions of customers in
    Europe from 1 March to 31 May 2026 (Overview)."""
    with closing(sqlite3.connect(sqlite_path)) as con:
        customers = pd.read_sql_query("SELECT customer_id, segment, region FROM customers", con)
        inter = pd.read_sql_query("SELECT customer_id, occurred_at FROM interactions", con)
        posts = pd.read_sql_query("SELECT platform, author_handle FROM posts", con)
        ident = pd.read_sql_query("SELECT platform, handle, customer_id FROM identities", con)

    def ids(column: str, value: str) -> set:
        return set(customers.loc[customers[column] == value, "customer_id"])

    spring = inter["occurred_at"].str.slice(0, 10).between(*SPRING)
    linked = ident[ident["customer_id"].isin(ids("segment", "Value"))]
    value_posts = posts.merge(linked, left_on=["platform", "author_handle"], right_on=["platform", "handle"])
    return {"Premium overview": {"Interactions": int(inter["customer_id"].isin(ids("segment", "Premium")).sum())},
            "Value listening": {"Posts": len(value_posts)},
            "Spring in Europe": {"Interactions": int((inter["customer_id"].isin(ids("region", "Europe"))
                                                      & spring).sum())}}
