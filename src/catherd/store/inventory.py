"""What a store holds: counts of every kind of record and each source's sync state."""

from __future__ import annotations

import json
from typing import Any

from catherd.store.database import Store


def status_data(store: Store) -> dict[str, Any]:
    counts = {
        "repositories": "SELECT count(*) FROM repositories",
        "commits": "SELECT count(*) FROM commits",
        "file_changes": "SELECT count(*) FROM commit_files",
        "people": "SELECT count(*) FROM people WHERE NOT is_bot",
        "bots": "SELECT count(*) FROM people WHERE is_bot",
        "identities": "SELECT count(*) FROM identities",
        "organisations": "SELECT count(DISTINCT org_id) FROM contributions "
        "WHERE org_id NOT IN ('unknown', 'personal')",
        "github_issues": "SELECT count(*) FROM gh_items WHERE NOT is_pr",
        "github_pull_requests": "SELECT count(*) FROM gh_items WHERE is_pr",
        "github_comments": "SELECT count(*) FROM gh_comments",
        "github_reviews": "SELECT count(*) FROM gh_reviews",
        "github_events": "SELECT count(*) FROM gh_events",
    }
    data: dict[str, Any] = {name: store.scalar(sql) for name, sql in counts.items()}
    data["sources"] = store.rows(
        "SELECT r.name, r.location, r.kind, r.default_branch, r.all_branches, r.synced_at, "
        "c.cursor, (SELECT count(*) FROM repo_commits m WHERE m.repo_id = r.repo_id) AS commits, "
        "(SELECT count(*) FROM sync_warnings w WHERE w.repo_id = r.repo_id) AS warnings, "
        # the latest activity the data shows (a commit dated in the future is not activity)
        "CASE WHEN r.kind = 'github' THEN (SELECT max(g.updated_at) FROM gh_items g "
        "  WHERE g.repo = replace(r.location, 'github:', '')) "
        "ELSE (SELECT max(c.authored_at) FROM repo_commits m JOIN commits c USING (sha) "
        "  WHERE m.repo_id = r.repo_id AND c.authored_at <= now() + INTERVAL 1 DAY) END "
        "AS last_activity "
        "FROM repositories r "
        "LEFT JOIN sync_cursors c ON c.repo_id = r.repo_id "
        "AND c.source = CASE WHEN r.kind = 'github' THEN 'github' ELSE 'git' END "
        "ORDER BY r.repo_id"
    )
    for source in data["sources"]:
        source["cursor"] = json.loads(source["cursor"]) if source["cursor"] else None
    return data


def totals(store: Store) -> dict[str, Any]:
    """The headline counts a home page opens with."""
    return store.rows(
        "SELECT (SELECT count(*) FROM commits) AS commits, "
        "(SELECT count(*) FROM people WHERE NOT is_bot AND NOT hidden) AS people, "
        "(SELECT count(*) FROM repositories) AS repositories, "
        "(SELECT count(*) FROM gh_items WHERE state = 'open') AS open_items"
    )[0]
