"""The triage queue: the open issues and pull requests that need a person today, and why.

Rules, in the order a reason is given (an item gets the first that applies):

1. ``no-response``: nobody but its author (and no bot) has answered it, for ``response_days``.
   Items opened by the team are its own notes and are left out of this rule.
2. ``awaiting-review``: a pull request nobody else has reviewed, for ``review_days``.
3. ``author-replied``: the team answered, then the author answered back, and has waited
   ``reply_days`` since.
4. ``stale``: no activity at all for ``stale_days``.

Newcomers come first (whose first item in the repository this is, or whom GitHub marks
first-time; never a team member, nor someone whose commits predate the item); then the
longest wait. A response is what ``metrics.responsiveness`` counts as
one. The *team* is ``[triage] team`` in catherd.toml, the people of the project's team
(``[team]``, the funded team) through their logins, and everyone GitHub marks OWNER,
MEMBER or COLLABORATOR on an item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from catherd.errors import InputError
from catherd.metrics.responsiveness import TRIAGE_EVENTS
from catherd.store.database import Store


@dataclass(frozen=True)
class TriageRules:
    response_days: float = 3
    review_days: float = 3
    reply_days: float = 2
    stale_days: float = 60
    team: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_config(cls, table: dict[str, Any], where: str = "[triage]") -> TriageRules:
        values: dict[str, Any] = {}
        for name in ("response_days", "review_days", "reply_days", "stale_days"):
            if name in table:
                value = table[name]
                if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                    raise InputError(f"{where} {name} must be a number of days >= 0, not {value!r}")
                values[name] = float(value)
        team = table.get("team", [])
        if not isinstance(team, list) or not all(isinstance(t, str) for t in team):
            raise InputError(f"{where} team must be a list of GitHub logins")
        return cls(**values, team=tuple(t.lower() for t in team))


_QUEUE = """
WITH acts AS (
    SELECT repo, number, author AS actor, created_at AS at FROM gh_comments WHERE NOT author_is_bot
    UNION ALL
    SELECT repo, number, reviewer, submitted_at FROM gh_reviews WHERE NOT reviewer_is_bot
    UNION ALL
    SELECT repo, number, actor, created_at FROM gh_events
    WHERE NOT actor_is_bot AND list_contains($events::VARCHAR[], event)
),
team AS (
    SELECT DISTINCT lower(author) AS login FROM gh_items
    WHERE author_association IN ('OWNER', 'MEMBER', 'COLLABORATOR')
    UNION SELECT unnest($team::VARCHAR[])
    UNION SELECT lower(i.login) FROM identities i JOIN people p USING (person_id)
    WHERE p.is_team AND i.login IS NOT NULL
),
-- when a login's person first contributed to the code (they are not new after that)
committed AS (
    SELECT lower(i.login) AS login, min(c.contributed_at) AS first_commit
    FROM identities i JOIN contributions c USING (person_id)
    WHERE i.login IS NOT NULL GROUP BY 1
),
firsts AS (
    SELECT repo, author, min(created_at) AS first_created FROM gh_items GROUP BY ALL
),
open_items AS (
    SELECT * FROM gh_items
    WHERE state = 'open' AND NOT author_is_bot AND created_at <= $as_of
),
agg AS (
    SELECT o.repo, o.number,
           min(a.at) FILTER (WHERE a.actor <> o.author) AS first_response_at,
           max(a.at) FILTER (WHERE a.actor <> o.author) AS last_other_at,
           max(a.at) FILTER (WHERE a.actor = o.author) AS last_author_at,
           max(a.at) AS last_act_at
    FROM open_items o
    LEFT JOIN acts a ON a.repo = o.repo AND a.number = o.number AND a.at <= $as_of
    GROUP BY o.repo, o.number
),
first_reviews AS (
    SELECT o.repo, o.number, min(r.submitted_at) AS first_review_at
    FROM open_items o JOIN gh_reviews r ON r.repo = o.repo AND r.number = o.number
    WHERE r.reviewer <> o.author AND NOT r.reviewer_is_bot AND r.submitted_at <= $as_of
    GROUP BY o.repo, o.number
),
scored AS (
    SELECT o.repo, o.number, o.is_pr, o.title, o.author, o.url, o.created_at,
           lower(o.author) IN (SELECT login FROM team) AS by_team,
           (o.author_association IN ('FIRST_TIME_CONTRIBUTOR', 'FIRST_TIMER')
             OR f.first_created = o.created_at)
             AND lower(o.author) NOT IN (SELECT login FROM team)
             AND coalesce(k.first_commit >= o.created_at, TRUE) AS newcomer,
           g.first_response_at, g.last_other_at, g.last_author_at,
           greatest(o.updated_at, g.last_act_at) AS last_activity_at,
           fr.first_review_at
    FROM open_items o
    JOIN firsts f ON f.repo = o.repo AND f.author = o.author
    JOIN agg g ON g.repo = o.repo AND g.number = o.number
    LEFT JOIN first_reviews fr ON fr.repo = o.repo AND fr.number = o.number
    LEFT JOIN committed k ON k.login = lower(o.author)
)
SELECT *,
       CASE
         WHEN first_response_at IS NULL AND NOT by_team
              AND date_diff('second', created_at, $as_of) >= $response * 86400 THEN 'no-response'
         WHEN is_pr AND first_review_at IS NULL
              AND date_diff('second', created_at, $as_of) >= $review * 86400 THEN 'awaiting-review'
         WHEN last_author_at > last_other_at
              AND date_diff('second', last_author_at, $as_of) >= $reply * 86400
              THEN 'author-replied'
         WHEN date_diff('second', last_activity_at, $as_of) >= $stale * 86400 THEN 'stale'
       END AS reason,
       date_diff('second', CASE
         WHEN first_response_at IS NULL AND NOT by_team THEN created_at
         WHEN is_pr AND first_review_at IS NULL THEN created_at
         WHEN last_author_at > last_other_at THEN last_author_at
         ELSE last_activity_at END, $as_of) / 86400.0 AS waiting_days
FROM scored
"""

_EXPLAIN = {
    "no-response": "no response from anyone else for {days} days",
    "awaiting-review": "pull request waiting {days} days for a first review",
    "author-replied": "the author answered {days} days ago and waits for the team",
    "stale": "no activity for {days} days",
}


def triage_queue(
    store: Store, rules: TriageRules, as_of: datetime, limit: int | None = None
) -> list[dict[str, Any]]:
    """The items needing a person at ``as_of``: newcomers first, then the longest wait."""
    rows = store.rows(
        f"SELECT * FROM ({_QUEUE}) WHERE reason IS NOT NULL "
        "ORDER BY newcomer DESC, waiting_days DESC, repo, number LIMIT $limit",
        {"as_of": as_of, "team": list(rules.team), "events": list(TRIAGE_EVENTS), "limit": limit,
         "response": rules.response_days,
         "review": rules.review_days, "reply": rules.reply_days, "stale": rules.stale_days},
    )  # fmt: skip
    for row in rows:
        row["kind"] = "pull_request" if row.pop("is_pr") else "issue"
        row["why"] = _EXPLAIN[row["reason"]].format(days=int(row["waiting_days"]))
    return rows
