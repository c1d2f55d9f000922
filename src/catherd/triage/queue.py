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
from importlib import resources
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


_QUEUE = resources.files("catherd.triage").joinpath("queue.sql").read_text("utf-8")

_EXPLAIN = {
    "no-response": "no response from anyone else for {days} days",
    "awaiting-review": "pull request waiting {days} days for a first review",
    "author-replied": "the author answered {days} days ago and waits for the team",
    "stale": "no activity for {days} days",
}


@dataclass(frozen=True)
class QueueFilter:
    """Which items of the queue to show: of a kind, with a label, in a repository, waiting
    at least some days."""

    kind: str = ""  # "issue" or "pull_request"
    label: str = ""
    repo: str = ""
    min_days: float = 0


_ORDERS = {"newcomers": "newcomer DESC, waiting_days DESC", "oldest": "waiting_days DESC"}


def triage_queue(
    store: Store,
    rules: TriageRules,
    as_of: datetime,
    limit: int | None = None,
    only: QueueFilter = QueueFilter(),
    order: str = "newcomers",
) -> list[dict[str, Any]]:
    """The items needing a person at ``as_of``: newcomers first, then the longest wait
    (``order="oldest"``: the longest wait first)."""
    if only.kind not in ("", "issue", "pull_request"):
        raise InputError(f"kind {only.kind!r}: choose issue or pull_request")
    rows = store.rows(
        f"SELECT * FROM ({_QUEUE}) WHERE reason IS NOT NULL "
        "AND ($kind = '' OR is_pr = ($kind = 'pull_request')) "
        "AND ($label = '' OR list_contains(labels, $label)) AND ($repo = '' OR repo = $repo) "
        f"AND waiting_days >= $min_days ORDER BY {_ORDERS[order]}, repo, number LIMIT $limit",
        {"as_of": as_of, "team": list(rules.team), "events": list(TRIAGE_EVENTS), "limit": limit,
         "response": rules.response_days,
         "review": rules.review_days, "reply": rules.reply_days, "stale": rules.stale_days,
         "kind": only.kind, "label": only.label, "repo": only.repo, "min_days": only.min_days},
    )  # fmt: skip
    for row in rows:
        row["kind"] = "pull_request" if row.pop("is_pr") else "issue"
        row["why"] = _EXPLAIN[row["reason"]].format(days=int(row["waiting_days"]))
    return rows
