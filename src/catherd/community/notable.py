"""Notable merged work of a period: the pull requests most discussed, the most reviewed, and
those that advance a joint priority. The progress digest shows them; definitions in
docs/digest.md.

A pull request is the period's when it was merged in ``[start, end)``, its author is not a
bot and its repository is not one of ``exclude`` (upstream repositories: the funded team's
work there is told apart). Its *comments* are the conversation and review comments on it by
anyone but a bot, whenever written; its *reviews* are the reviews submitted on it by others
than its author, bots left out, and its *reviewers* the distinct people who gave them. The
most discussed are those with the most comments (at least one), the most reviewed those with
the most reviews (at least one); ties go to the earlier merge. The priorities' pull requests
are those whose ``owner/repo#N`` is a key of ``linked`` (partners.priorities.priority_items).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from catherd.store.database import Store

_MERGED = """
WITH merged AS (
    SELECT repo, number, title, url, author, merged_at FROM gh_items
    WHERE is_pr AND merged_at >= $start AND merged_at < $end AND NOT author_is_bot
      AND NOT list_contains($exclude, lower(repo))
),
talk AS (
    SELECT c.repo, c.number, count(*) AS comments
    FROM gh_comments c JOIN merged m USING (repo, number)
    WHERE NOT c.author_is_bot GROUP BY ALL
),
given AS (
    SELECT r.repo, r.number, count(*) AS reviews, count(DISTINCT lower(r.reviewer)) AS reviewers
    FROM gh_reviews r JOIN merged m USING (repo, number)
    WHERE NOT r.reviewer_is_bot AND r.reviewer IS NOT NULL AND r.submitted_at IS NOT NULL
      AND lower(r.reviewer) IS DISTINCT FROM lower(m.author)
    GROUP BY ALL
),
names AS (  -- the author as the identity store names them; no one who asked not to be named
    SELECT lower(i.login) AS login, any_value(p.display_name) AS name,
           bool_or(p.hidden OR p.forgotten) AS unnamed
    FROM identities i JOIN people p USING (person_id)
    WHERE i.login IS NOT NULL GROUP BY 1
)
SELECT m.repo, m.number, m.title, m.url, m.merged_at,
       CASE WHEN n.unnamed THEN NULL ELSE coalesce(n.name, m.author) END AS author,
       coalesce(t.comments, 0) AS comments, coalesce(g.reviews, 0) AS reviews,
       coalesce(g.reviewers, 0) AS reviewers
FROM merged m LEFT JOIN talk t USING (repo, number) LEFT JOIN given g USING (repo, number)
LEFT JOIN names n ON n.login = lower(m.author)
ORDER BY m.merged_at, m.repo, m.number
"""


def _bound(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def has_pull_requests(store: Store) -> bool:
    """Whether the store holds any pull request (GitHub or GH Archive data)."""
    return bool(store.scalar("SELECT EXISTS (SELECT 1 FROM gh_items WHERE is_pr)"))


def merged_pulls(
    store: Store, start: date, end: date, exclude: list[str] | None = None
) -> list[dict[str, Any]]:
    """The pull requests merged in ``[start, end)`` with their comments, reviews and
    reviewers, oldest merge first (``exclude``: ``owner/name`` of repositories left out)."""
    params = {"start": _bound(start), "end": _bound(end),
              "exclude": [e.lower().strip("/") for e in exclude or []]}  # fmt: skip
    return store.rows(_MERGED, params)


def notable_pulls(
    store: Store,
    start: date,
    end: date,
    exclude: list[str] | None = None,
    linked: Mapping[str, list[str]] | None = None,
    limit: int = 3,
) -> dict[str, Any]:
    """The period's merged pull requests (how many), the ``limit`` most discussed and most
    reviewed, and those linked to a priority (each with the titles of its priorities)."""
    pulls = merged_pulls(store, start, end, exclude)
    linked = {key.lower(): titles for key, titles in (linked or {}).items()}
    for pull in pulls:
        pull["priorities"] = linked.get(f"{pull['repo']}#{pull['number']}".lower(), [])

    def top(key: str) -> list[dict[str, Any]]:
        ranked = sorted((p for p in pulls if p[key]), key=lambda p: -p[key])  # stable: by merge
        return ranked[:limit]

    return {
        "merged": len(pulls),
        "discussed": top("comments"),
        "reviewed": top("reviews"),
        "priorities": [p for p in pulls if p["priorities"]],
    }
