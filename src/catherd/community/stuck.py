"""Newcomers stuck now, each with the reason and someone to unblock them.

A newcomer (a funnel subject who is not team and has no merged contribution yet) is *stuck*
when the first pull request they opened

- ``no-review``: is still open and nobody else (no bot) has reviewed it for ``days`` days;
- ``closed-silently``: was closed unmerged, within the last ``closed_days`` days, and nobody
  else (no bot) ever commented on it or reviewed it.

The suggested reviewer is the first of ``triage.reviewers.suggest_reviewers`` (ownership of
the pull request's files divided by current load), or, when nothing is known of its files,
the active reviewer with the most capacity to spare (``spare_reviewers``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from catherd.community.funnel import Journey, journeys
from catherd.errors import InputError
from catherd.store.database import Store
from catherd.triage.reviewers import spare_reviewers, suggest_reviewers

STUCK_DAYS = 7
CLOSED_DAYS = 90

_FIRST_PULLS = """
SELECT i.repo, i.number, i.title, i.url, i.author, i.created_at, i.closed_at, i.merged_at,
       (SELECT min(r.submitted_at) FROM gh_reviews r
        WHERE r.repo = i.repo AND r.number = i.number AND NOT r.reviewer_is_bot
          AND lower(r.reviewer) <> lower(i.author) AND r.submitted_at <= $as_of) AS reviewed_at,
       (SELECT min(c.created_at) FROM gh_comments c
        WHERE c.repo = i.repo AND c.number = i.number AND NOT c.author_is_bot
          AND lower(c.author) <> lower(i.author) AND c.created_at <= $as_of) AS commented_at,
       EXISTS (SELECT 1 FROM gh_pull_files f WHERE f.repo = i.repo AND f.number = i.number)
           AS has_files
FROM gh_items i
WHERE i.is_pr AND list_contains($pulls::VARCHAR[], i.repo || '#' || i.number)
"""


def stuck_newcomers(
    store: Store, as_of: datetime, days: float = STUCK_DAYS, closed_days: float = CLOSED_DAYS,
    team: Iterable[str] = (), everyone: list[Journey] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The newcomers stuck at ``as_of``, the longest wait first (see the module docstring;
    ``everyone``: ``journeys(..., include_team=True)`` when the caller has it already)."""
    if days < 0 or closed_days < 0:
        raise InputError(f"--days {days}: a number of days must be 0 or more")
    if everyone is None:
        everyone = journeys(store, team, as_of, include_team=True)
    firsts = {
        f"{j.opened_repo}#{j.opened_number}": j
        for j in everyone
        if not j.is_team and j.opened_kind == "pull_request" and j.merged_at is None
    }
    stuck = []
    spare: list[dict[str, Any]] | None = None  # read once, when a pull request needs it
    for pull in store.rows(_FIRST_PULLS, {"as_of": as_of, "pulls": sorted(firsts)}):
        journey = firsts[f"{pull['repo']}#{pull['number']}"]
        still_open = pull["closed_at"] is None or pull["closed_at"] > as_of
        if still_open and pull["reviewed_at"] is None:
            waited = (as_of - pull["created_at"]).total_seconds() / 86400
            if waited < days:
                continue
            reason, why = "no-review", f"waiting {int(waited)} days for a first review"
        elif (
            not still_open
            and pull["merged_at"] is None
            and pull["reviewed_at"] is None
            and pull["commented_at"] is None
            and as_of - pull["closed_at"] <= timedelta(days=closed_days)
        ):
            waited = (as_of - pull["closed_at"]).total_seconds() / 86400
            reason = "closed-silently"
            why = f"closed unmerged {int(waited)} days ago without a word from anyone"
        else:
            continue
        if spare is None:
            spare = spare_reviewers(store, as_of)
        stuck.append({
            "name": None if journey.hidden else journey.name,
            "login": None if journey.hidden else pull["author"],
            "repo": pull["repo"], "number": pull["number"], "title": pull["title"],
            "url": pull["url"], "opened_at": pull["created_at"], "reason": reason,
            "why": why, "waiting_days": waited,
            **_reviewer(store, pull, as_of, spare),
        })  # fmt: skip
    return sorted(stuck, key=lambda s: (-s["waiting_days"], s["repo"], s["number"]))


def _reviewer(
    store: Store, pull: dict[str, Any], as_of: datetime, spare: list[dict[str, Any]]
) -> dict[str, Any]:
    """Who to ask: the first suggestion for the pull request, else the sparest reviewer."""
    found = None
    if pull["has_files"]:  # else nothing would be known of its files
        found = suggest_reviewers(store, pull["number"], pull["repo"], as_of=as_of, limit=1)
    if found and found.candidates:
        best = found.candidates[0]
        return {"reviewer": best.login or best.who, "reviewer_why": best.explain(len(found.files))}
    others = [r for r in spare if r["reviewer"].lower() != pull["author"].lower()]
    if others:
        return {"reviewer": others[0]["reviewer"],
                "reviewer_why": f"reviewed {others[0]['reviews']} pull request(s) lately; "
                                f"{others[0]['awaiting']} review(s) waiting on them"}  # fmt: skip
    return {"reviewer": None, "reviewer_why": "nobody has reviewed anything lately"}
