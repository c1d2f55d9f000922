"""How far GH Archive's counts are from GitHub's, for a sample of a lake's repositories.

GH Archive records GitHub's public event stream, which is known to miss events (outages,
events GitHub never published). For the repositories with most issues and pull requests
opened in the lake, the import compares two counts over the hours it holds: the
``IssuesEvent`` and ``PullRequestEvent`` with action ``opened`` in the lake, and the issues
and pull requests GitHub's search finds created in the same hours (``repo:NAME
created:FIRST..LAST``, its ``total_count``; items deleted since are in neither). A
repository is asked for by the latest name the lake saw for its id.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

from catherd.engine.archive import events_glob, hour_of, read_lake_manifest
from catherd.sources.github.client import GitHubClient, GitHubError

_OPENED = """
SELECT repo_id, arg_max(repo_name, created_at) AS repository,
       count(*) FILTER (WHERE type IN ('IssuesEvent', 'PullRequestEvent')
                        AND action = 'opened' AND created_at >= $start
                        AND created_at < $end) AS archive
FROM read_parquet($files, hive_partitioning = true)
GROUP BY repo_id
HAVING archive > 0
ORDER BY archive DESC, repository
LIMIT $sample
"""


def reconcile(lake: Path, client: GitHubClient, sample: int) -> list[dict[str, Any]]:
    """For the ``sample`` repositories with most issues and pull requests opened in the
    lake's hours: the lake's count, GitHub's, and the difference (GitHub's minus the lake's)."""
    hours = sorted(h for h in map(hour_of, read_lake_manifest(lake)["hours"]) if h is not None)
    files = events_glob(lake)
    if not hours or files is None or sample <= 0:
        return []
    start, end = hours[0], hours[-1] + timedelta(hours=1)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute(
        _OPENED, {"files": files, "start": start, "end": end, "sample": sample}
    ).fetchall()
    last = end - timedelta(seconds=1)  # search ranges include both ends
    found = []
    for repo_id, repository, archive in rows:
        query = f"repo:{repository} created:{start:%Y-%m-%dT%H:%M:%SZ}..{last:%Y-%m-%dT%H:%M:%SZ}"
        row = {"repository": repository, "repo_id": repo_id, "archive": archive,
               "github": None, "difference": None, "problem": None}  # fmt: skip
        try:
            page = client.get("/search/issues", params={"q": query, "per_page": 1})
        except GitHubError as exc:  # renamed since, deleted, private: said, not fatal
            row["problem"] = str(exc)
        else:
            row["github"] = int((page.data or {}).get("total_count", 0))
            row["difference"] = row["github"] - archive
        found.append(row)
    return found
