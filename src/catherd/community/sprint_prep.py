"""Preparing a sprint: the issues worth offering, and the mentors with time to review.

A *candidate issue* (in the sprint's repositories, or all) is an issue, not a pull request,
that is at the day of preparation

- open, and assigned to nobody (its payload's ``assignee`` and ``assignees``);
- labelled ``good first issue``, ``Easy`` or ``sprint`` (case aside), one of ``[sprints]
  labels``, or one of the sprint's own labels;
- not worked on: no open pull request names it (``#N`` or its address in the pull request's
  title or description) or is connected to it (a ``connected`` event);
- not stale: updated within ``stale_days`` (default 365).

Its *files*, where known, are the paths its text names that the store knows (a file some
commit or pull request changed; a name with a folder may be its path's end), and the files of
the pull requests that named it before. *Mentors* are the sprint's mentors with their review
load (``review_load`` over the last 90 days, and open reviews waiting on them), followed by
other reviewers with capacity to spare (``spare_reviewers``).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from catherd.community.sprints import SprintRules, people_of
from catherd.metrics import Params
from catherd.metrics.runner import run_metric
from catherd.partners.records import Sprint
from catherd.store.database import Store
from catherd.triage.reviewers import SPARE_DAYS, spare_reviewers

_CANDIDATES = r"""
WITH payloads AS (
    SELECT repo, (payload->>'$.number')::INTEGER AS number,
           (payload->>'$.pull_request.html_url') IS NOT NULL AS is_pr,
           payload->>'$.state' AS state,
           coalesce(payload->>'$.title', '') || ' ' || coalesce(payload->>'$.body', '') AS text,
           coalesce(json_array_length(payload->'$.assignees'), 0) > 0
               OR (payload->>'$.assignee.login') IS NOT NULL AS assigned
    FROM github_raw WHERE kind = 'issue'
),
candidates AS (
    SELECT i.repo, i.number, i.title, i.url, i.labels, i.created_at, i.updated_at,
           regexp_extract_all(p.text, '[\w.-]*[\w-]/[\w./-]*\w|[\w-]+\.[A-Za-z]\w*')
               AS mentions
    FROM gh_items i JOIN payloads p USING (repo, number)
    WHERE NOT i.is_pr AND i.state = 'open' AND NOT p.assigned AND i.created_at <= $as_of
      AND i.updated_at >= $fresh
      AND (len($repos::VARCHAR[]) = 0 OR list_contains($repos::VARCHAR[], lower(i.repo)))
      AND list_has_any(list_transform(i.labels, lambda x: lower(x)), $labels::VARCHAR[])
),
-- the issue numbers each pull request's title and description name
named AS (
    SELECT repo, number AS pull, state,
           unnest(regexp_extract_all(text, '(?:#|/issues/)(\d+)\b', 1))::INTEGER AS issue
    FROM payloads WHERE is_pr
),
worked_on AS (
    SELECT repo, issue AS number FROM named WHERE state = 'open'
    UNION SELECT repo, number FROM gh_events WHERE event = 'connected'
),
known AS (SELECT path FROM commit_files UNION SELECT path FROM gh_pull_files),
-- a mention is a path when it is one, ends with one (an address), or is the end of one
-- with its folder ("classes/graph.py"); a bare file name only names a file at the top
mentioned AS (
    SELECT c.repo, c.number, list(DISTINCT k.path) AS files
    FROM candidates c, unnest(c.mentions) AS m(mention), known k
    WHERE m.mention = k.path OR ends_with(m.mention, '/' || k.path)
       OR (contains(m.mention, '/') AND ends_with(k.path, '/' || m.mention))
    GROUP BY ALL
),
changed AS (
    SELECT n.repo, n.issue AS number, list(DISTINCT f.path) AS files
    FROM named n JOIN gh_pull_files f ON f.repo = n.repo AND f.number = n.pull
    GROUP BY ALL
)
SELECT c.* EXCLUDE (mentions),
       list_sort(list_distinct(list_concat(coalesce(m.files, []), coalesce(d.files, []))))
           AS files
FROM candidates c
LEFT JOIN mentioned m USING (repo, number)
LEFT JOIN changed d USING (repo, number)
WHERE (c.repo, c.number) NOT IN (SELECT (repo, number) FROM worked_on)
ORDER BY c.updated_at DESC, c.repo, c.number
"""


def candidate_issues(
    store: Store, sprint: Sprint, rules: SprintRules, as_of: datetime
) -> list[dict[str, Any]]:
    """The issues to offer at the sprint (see the module docstring), freshest first."""
    return store.rows(_CANDIDATES, {
        "as_of": as_of, "fresh": as_of - timedelta(days=rules.stale_days),
        "repos": [r.lower() for r in sprint.repositories], "labels": labels(sprint, rules),
    })  # fmt: skip


def labels(sprint: Sprint, rules: SprintRules) -> list[str]:
    """The labels (lower case) that make an issue a candidate for ``sprint``."""
    return sorted({*rules.labels, *(x.lower() for x in sprint.labels)})


def mentor_capacity(
    store: Store, sprint: Sprint, as_of: datetime, others: int = 5
) -> list[dict[str, Any]]:
    """The sprint's mentors with their review load, then up to ``others`` reviewers with
    capacity to spare who are not its mentors."""
    params = Params(since=(as_of - timedelta(days=SPARE_DAYS)).date(),
                    until=as_of.date() + timedelta(days=1))  # fmt: skip
    load = {r["reviewer"].lower(): r for r in run_metric(store, "review_load", params)}
    rows, seen = [], set()
    for mentor in people_of(store, sprint.mentors):
        found = [load[x] for x in sorted(mentor.logins) if x in load]
        seen |= mentor.logins
        rows.append({"name": mentor.name, "login": min(mentor.logins, default=None),
                     "mentor": True, "reviews": sum(r["reviews"] for r in found),
                     "awaiting": sum(r["awaiting"] for r in found)})  # fmt: skip
    spare = [r for r in spare_reviewers(store, as_of) if r["reviewer"].lower() not in seen]
    rows += [{"name": r["reviewer"], "login": r["reviewer"], "mentor": False,
              "reviews": r["reviews"], "awaiting": r["awaiting"]}
             for r in spare[:others]]  # fmt: skip
    return rows


def preparation(
    store: Store, sprint: Sprint, rules: SprintRules, as_of: datetime
) -> dict[str, Any]:
    """Everything ``catherd sprint prepare`` shows: candidate issues and mentors."""
    return {"sprint": sprint.model_dump(mode="json"), "as_of": as_of,
            "labels": labels(sprint, rules),
            "issues": candidate_issues(store, sprint, rules, as_of),
            "mentors": mentor_capacity(store, sprint, as_of)}  # fmt: skip


CSV_COLUMNS = ("repo", "number", "title", "url", "labels", "files", "updated_at")


def issues_csv(issues: list[dict[str, Any]]) -> str:
    """The candidate issues as CSV (lists joined with "; ")."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for issue in issues:
        writer.writerow(["; ".join(v) if isinstance(v := issue[c], list) else v
                         for c in CSV_COLUMNS])  # fmt: skip
    return out.getvalue()
