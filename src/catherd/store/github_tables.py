"""Materialise the GitHub views: the tables metrics read, refreshed where raw rows changed.

The views (``gh_*_json``) extract fields from the raw JSON payloads; doing that on every
query costs hundreds of milliseconds on a large store, so the ``gh_*`` tables hold their
rows. Every row of those tables is derived from the raw rows of one item (an issue or pull
request: ``github_raw.number``), through the macros ``gh_*_from`` that define the views. So
a refresh can be as wide as the change: every item, one repository's (an API sync), or the
items a batch changed (a GH Archive import), whose raw rows are found by the narrow
``(repo, number)`` columns without reading any other payload. Run inside the transaction
that changed the raw rows: readers on other cursors see the old rows until it commits.
"""

from __future__ import annotations

import duckdb

from catherd.store.schema import GITHUB_VIEWS

_SCOPE = "gh_refresh_scope"  # temporary: the raw rows of the items being refreshed


def refresh_github_tables(con: duckdb.DuckDBPyConnection, repo: str | None = None) -> None:
    """Rebuild every ``gh_*`` table from its view: all of it, or the rows of ``repo``."""
    if repo is None:
        for table in GITHUB_VIEWS:
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} SELECT * FROM {table}_from('github_raw')")
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_SCOPE} AS SELECT * FROM github_raw "
                "WHERE repo = ?", [repo])  # fmt: skip
    try:
        for table in GITHUB_VIEWS:
            con.execute(f"DELETE FROM {table} WHERE repo = ?", [repo])
            con.execute(f"INSERT INTO {table} SELECT * FROM {table}_from('{_SCOPE}')")
    finally:
        con.execute(f"DROP TABLE {_SCOPE}")


def refresh_github_items(con: duckdb.DuckDBPyConnection, items: str) -> None:
    """Rebuild the ``gh_*`` rows of the items listed in the table ``items`` (repo, number)."""
    same_item = "i.repo = t.repo AND i.number IS NOT DISTINCT FROM t.number"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_SCOPE} AS SELECT t.* FROM github_raw t "
                f"WHERE EXISTS (SELECT 1 FROM {items} i WHERE {same_item})")  # fmt: skip
    try:
        for table in GITHUB_VIEWS:
            con.execute(f"DELETE FROM {table} t WHERE EXISTS "
                        f"(SELECT 1 FROM {items} i WHERE {same_item})")  # fmt: skip
            con.execute(f"INSERT INTO {table} SELECT * FROM {table}_from('{_SCOPE}')")
    finally:
        con.execute(f"DROP TABLE {_SCOPE}")
