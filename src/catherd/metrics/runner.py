"""Run a registered metric on an engine and return plain rows (empty periods filled in).

Metrics are ibis expressions over *unbound* tables (a name and a schema): they compile to
SQL once per engine dialect and run on whichever connection or cursor the caller holds, so a
web request does not pay for introspecting the store. Given a store, a metric runs on it
(DuckDB) unless a command chose another engine for its metrics (``on_engine``); given an
engine (Spark over the lake), it runs there. Both answer the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import ibis
import pyarrow as pa

from catherd.engine.base import Engine
from catherd.engine.embedded import DuckDBEngine
from catherd.errors import InputError
from catherd.metrics.base import (
    PERIOD_MONTHS,
    REGISTRY,
    WHOLE,
    Metric,
    Params,
    Sources,
    literal_date,
)
from catherd.store.database import Store
from catherd.store.schema import SCHEMA_VERSION


def get_metric(name: str) -> Metric:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise InputError(f"unknown metric {name!r}; known metrics: {known}") from None


GITHUB_TABLES = ("items", "comments", "reviews", "events", "review_requests")
TABLES = (
    "contributions", "commits", "commit_files", "repo_commits", "people", "organisations",
    *(f"gh_{name}" for name in GITHUB_TABLES),
)  # fmt: skip
REPOSITORIES = "repositories"  # read to find the repository --repo names
# Every store of one schema version has the same tables: their schemas are read once.
_SCHEMAS: dict[int, dict[str, ibis.Schema]] = {}


@dataclass(frozen=True)
class Scope:
    """The repository a metric is restricted to, as the store knows it (None: all)."""

    repo_id: int | None = None
    github_slug: str | None = None


_ENGINE: ContextVar[Engine | None] = ContextVar("catherd_metrics_engine", default=None)


@contextmanager
def on_engine(engine: Engine) -> Iterator[Engine]:
    """Inside this block, metrics asked of a store run on ``engine`` (a report on Spark)."""
    token = _ENGINE.set(engine)
    try:
        yield engine
    finally:
        _ENGINE.reset(token)


def engine_of(where: Store | Engine) -> Engine:
    """The engine metrics asked of ``where`` run on."""
    if isinstance(where, Engine):
        return where
    return _ENGINE.get() or DuckDBEngine(where)


def run_metric(
    where: Store | Engine, name: str, params: Params, scope: Scope | None = None
) -> list[dict[str, Any]]:
    """Compute metric ``name``; period metrics get a row for every period, empty or not.

    ``scope`` gives the repository outright (else ``params.repository`` names it).
    """
    chosen = get_metric(name)
    engine = engine_of(where)
    _read_schemas(engine)
    sql, schema = compiled(engine.dialect, name, params, scope or _scope(engine, params))
    # the types ibis promises (DuckDB sums integers as 128-bit decimals)
    rows: list[dict[str, Any]] = engine.arrow(sql).cast(schema).to_pylist()
    if chosen.unit == "period" and rows and params.by != WHOLE:
        rows = _fill_periods(rows, params.by, chosen.zero_fill)
    return rows


@lru_cache(maxsize=1024)
def compiled(dialect: str, name: str, params: Params, scope: Scope) -> tuple[str, pa.Schema]:
    """Metric ``name`` as SQL of ``dialect``, and the schema of its answer.

    Compiling takes tens of milliseconds, often more than running the query, and depends
    only on the arguments: it is done once per process.
    """
    expression = get_metric(name).function(sources(params, scope))
    return str(ibis.to_sql(expression, dialect=dialect)), expression.schema().to_pyarrow()


def _read_schemas(engine: Engine) -> None:
    if SCHEMA_VERSION not in _SCHEMAS:
        _SCHEMAS[SCHEMA_VERSION] = {name: engine.schema(name) for name in (*TABLES, REPOSITORIES)}


def _scope(engine: Engine, params: Params) -> Scope:
    if params.repository is None:
        return Scope()
    found = engine.arrow(_repository_sql(engine.dialect, params.repository)).to_pylist()
    if not found:
        raise InputError(f"--repo {params.repository!r}: no repository of that name")
    location = found[0]["location"]
    slug = location.removeprefix("github:") if found[0]["kind"] == "github" else None
    return Scope(found[0]["repo_id"], slug)


@lru_cache(maxsize=256)
def _repository_sql(dialect: str, name: str) -> str:
    r = ibis.table(_SCHEMAS[SCHEMA_VERSION][REPOSITORIES], name=REPOSITORIES)
    return str(ibis.to_sql(r.filter(r.name == name).select("repo_id", "location", "kind"), dialect))


def sources(params: Params, scope: Scope) -> Sources:
    """The tables metrics read, restricted as ``params`` and ``scope`` say.

    They are *unbound* (a name and a schema): compiled to SQL, they run on any cursor.
    """
    schemas = _SCHEMAS[SCHEMA_VERSION]
    table = {name: ibis.table(schema, name=name) for name, schema in schemas.items()}
    contributions = table["contributions"]
    commits = table["commits"]
    files = table["commit_files"]
    if not params.include_bots:
        contributions = contributions.filter(~contributions.is_bot)
    github = {name: table[f"gh_{name}"] for name in GITHUB_TABLES}
    if scope.repo_id is not None:
        members = table["repo_commits"].filter(lambda t: t.repo_id == scope.repo_id)
        contributions = contributions.semi_join(members, "sha")
        commits = commits.semi_join(members, "sha")
        github = {name: t.filter(t.repo == scope.github_slug) for name, t in github.items()}
    all_time = contributions
    if params.since:
        contributions = contributions.filter(
            contributions.contributed_at >= literal_date(params.since)
        )
        commits = commits.filter(commits.authored_at >= literal_date(params.since))
    if params.until:
        contributions = contributions.filter(
            contributions.contributed_at < literal_date(params.until)
        )
        commits = commits.filter(commits.authored_at < literal_date(params.until))
    return Sources(
        params=params,
        contributions=contributions,
        contributions_all_time=all_time,
        commits=commits,
        commit_files=files.semi_join(commits, "sha"),
        people=table["people"],
        organisations=table["organisations"],
        **github,
    )


def _fill_periods(
    rows: list[dict[str, Any]], by: str, zero: tuple[str, ...]
) -> list[dict[str, Any]]:
    present = {row["period"]: row for row in rows}
    if len(present) != len(rows):  # several rows a period (issues and PRs apart): as they are
        return rows
    columns = list(rows[0])
    filled = []
    current, last = rows[0]["period"], rows[-1]["period"]
    while current <= last:
        row = present.get(current)
        if row is None:
            row = {c: (0 if c in zero else None) for c in columns}
            row["period"] = current
        filled.append(row)
        current = next_period(current, by)
    return filled


def next_period(start: date, by: str) -> date:
    step = PERIOD_MONTHS[by]
    months = start.year * 12 + start.month - 1 + step
    return date(months // 12, months % 12 + 1, 1)


def period_label(start: date, by: str) -> str:
    if by == WHOLE:
        return f"since {start.isoformat()}"
    if by == "year":
        return f"{start.year}"
    if by == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"
