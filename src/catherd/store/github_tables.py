"""Materialise the GitHub views: the tables metrics read are rebuilt after a sync or import.

The views (``gh_*_json``) extract fields from the raw JSON payloads; doing that on every
query costs hundreds of milliseconds on a large store, so each GitHub sync and GH Archive
import rebuilds the ``gh_*`` tables from them in its own transaction. Readers on other
cursors keep the previous tables until that transaction commits.
"""

from __future__ import annotations

import duckdb

GITHUB_TABLES = ("gh_items", "gh_comments", "gh_reviews", "gh_pull_files",
                 "gh_review_requests", "gh_events")  # fmt: skip


def refresh_github_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild every ``gh_*`` table from its view. Run inside a transaction."""
    for table in GITHUB_TABLES:
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} SELECT * FROM {table}_json")
