"""Run a registered metric on a store and return plain rows (empty periods filled in)."""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis

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


def get_metric(name: str) -> Metric:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise InputError(f"unknown metric {name!r}; known metrics: {known}") from None


def sources(store: Store, params: Params) -> Sources:
    """ibis tables over ``store``, restricted as ``params`` say."""
    backend = ibis.duckdb.from_connection(store.con)
    contributions = backend.table("contributions")
    commits = backend.table("commits")
    files = backend.table("commit_files")
    if not params.include_bots:
        contributions = contributions.filter(~contributions.is_bot)
    views = ("items", "comments", "reviews", "events", "review_requests")
    github = {name: backend.table(f"gh_{name}") for name in views}
    if params.repository is not None:
        found = store.rows(
            "SELECT repo_id, location, kind FROM repositories WHERE name = ?", [params.repository]
        )
        if not found:
            raise InputError(f"--repo {params.repository!r}: no repository of that name")
        repo_id, location = found[0]["repo_id"], found[0]["location"]
        members = backend.table("repo_commits").filter(lambda t: t.repo_id == repo_id)
        contributions = contributions.semi_join(members, "sha")
        commits = commits.semi_join(members, "sha")
        slug = location.removeprefix("github:") if found[0]["kind"] == "github" else None
        github = {name: t.filter(t.repo == slug) for name, t in github.items()}
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
        people=backend.table("people"),
        organisations=backend.table("organisations"),
        **github,
    )


def run_metric(store: Store, name: str, params: Params) -> list[dict[str, Any]]:
    """Compute metric ``name``; period metrics get a row for every period, empty or not."""
    chosen = get_metric(name)
    table = chosen.function(sources(store, params))
    rows = table.to_pyarrow().to_pylist()
    if chosen.unit == "period" and rows and params.by != WHOLE:
        rows = _fill_periods(rows, params.by, chosen.zero_fill)
    return rows


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
