"""The registered metrics for every repository of a set, as one table, on any engine.

The set is every repository the store (or its lake) knows whose name is one of ``--repos``
or whose owner is one of ``--orgs``: repositories synced from git or GitHub, and GitHub
repositories known only from GH Archive imports into the store (``import gharchive
--org``). Each metric runs over the window from ``since`` as one period. A git repository
has no GitHub slug, and a GitHub repository known only from the archive has no commits: its
git metrics are empty, not the store's totals.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from catherd.engine.base import Engine
from catherd.errors import InputError
from catherd.metrics.base import REGISTRY, WHOLE, Params
from catherd.metrics.runner import Scope, run_metric

NO_COMMITS = 0  # no repository has this id: a scope of GitHub activity only


def repositories(engine: Engine, names: set[str], owners: set[str]) -> dict[str, Scope]:
    """The repositories of the set, by name, each with the scope its metrics run in."""
    if not names and not owners:
        raise InputError("name repositories with --repos or owners with --orgs")
    r = engine.table("repositories")
    stored = engine.rows(r.select("repo_id", "name", "location", "kind"))
    i = engine.table("gh_items")
    slugs = {row["repo"] for row in engine.rows(i.select("repo").distinct())}
    found: dict[str, Scope] = {}
    for row in stored:
        slug = row["location"].removeprefix("github:") if row["kind"] == "github" else None
        if _chosen(row["name"], names, owners) or (slug and _chosen(slug, names, owners)):
            found[row["name"]] = Scope(row["repo_id"], slug)
            slugs.discard(slug)
    for slug in sorted(slugs):
        if _chosen(slug, names, owners):
            found[slug] = Scope(NO_COMMITS, slug)
    return dict(sorted(found.items()))


def _chosen(name: str, names: set[str], owners: set[str]) -> bool:
    return name.lower() in names or name.split("/")[0].lower() in owners


def health(
    engine: Engine, names: set[str], owners: set[str], since: date | None = None
) -> list[dict[str, Any]]:
    """For each repository of the set and each registered metric: the metric's rows over
    the window since ``since`` (one period)."""
    chosen = repositories(engine, names, owners)
    if not chosen:
        raise InputError("no repository of the store matches --repos/--orgs")
    params = Params(since=since, by=WHOLE)
    jobs = [(repo, scope, name) for repo, scope in chosen.items() for name in REGISTRY]
    with ThreadPoolExecutor(max_workers=engine.jobs) as pool:
        answers = pool.map(lambda job: run_metric(engine, job[2], params, job[1]), jobs)
        return [
            {"repository": repo, "metric": name, "rows": rows}
            for (repo, _, name), rows in zip(jobs, answers, strict=True)
        ]


def headline(metric: str, rows: list[dict[str, Any]]) -> str:
    """A metric's answer in one cell: the first of its declared headline columns (per kind
    where rows are per kind; shares as %); for metrics of one row per person, how many."""
    declared = REGISTRY[metric].headline
    if declared is None:
        return str(len(rows))
    column = declared.columns[0]
    cells = []
    for row in rows:
        value = row.get(column)
        text = (
            "–" if value is None
            else f"{value:.0%}" if declared.percent
            else f"{value:,.1f}" if isinstance(value, float)
            else f"{value:,}"
        )  # fmt: skip
        cells.append(f"{row[declared.split]} {text}" if declared.split else text)
    return ", ".join(cells) or "–"
