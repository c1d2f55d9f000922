"""The newcomer funnel: how far each person has come, from first contact to regular
contributor, and how each cohort of newcomers moves through the stages.

A *subject* is who takes the steps: a name group of people (``people.name_key``, as for who
is new) with the GitHub logins ``identities.login`` gives them, or a GitHub login no identity
names. Bots are never subjects; team members (``people.is_team``, and the logins of the
team's ``github:`` references) are subjects but never newcomers. The stages (definitions in
docs/metrics.md, "Contributor funnel"):

1. ``contact``: their first issue, pull request, comment, review or contribution;
2. ``opened``: their first pull request opened, or their first contribution that no pull
   request of theirs in GitHub data carries (git alone: its author date);
3. ``merged``: their first *merged contribution*: a pull request of theirs merged, or a
   contribution no merged pull request of theirs carries;
4. ``second``: a merged contribution on a later UTC day than the first (as "came back");
5. ``regular``: merged contributions in 3 of 6 consecutive calendar months, reached on the
   day the third month began to count.

A contribution is *carried* by a merged pull request of the same subject when it is the
pull request's merge commit, names it (``commits.pr_number``), or was authored from 14 days
before the pull request was opened until its merge: the same work is counted once.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from itertools import pairwise
from typing import Any

from catherd.community.periods import Window, default_window
from catherd.dates import latest_plausible
from catherd.errors import InputError
from catherd.metrics.base import PERIOD_MONTHS
from catherd.metrics.runner import next_period, period_label
from catherd.store.database import Store

STAGES = (
    ("contact", "first contact"),
    ("opened", "first pull request opened"),
    ("merged", "first contribution merged"),
    ("second", "second merged contribution"),
    ("regular", "regular contributor"),
)
STAGE_NAMES = tuple(name for name, _ in STAGES)
CARRY_DAYS = 14  # a commit authored this long before its pull request opened is its work
REGULAR_MONTHS, REGULAR_SPAN = 3, 6  # active months needed, out of this many consecutive
COHORTS = ("month", "quarter", "year")

_JOURNEYS = f"""
WITH login_people AS (
    SELECT lower(login) AS login, min(person_id) AS person_id
    FROM identities WHERE login IS NOT NULL GROUP BY 1
),
persons AS (
    SELECT p.person_id, coalesce(p.name_key, p.person_id) AS subject, p.display_name, p.is_bot,
           p.hidden, p.is_team OR p.person_id IN (
               SELECT person_id FROM identities
               WHERE list_contains($team::VARCHAR[], lower(login))) AS is_team
    FROM people p
),
github_acts AS (
    SELECT author AS login, created_at AS moment, CASE WHEN is_pr THEN 'pull_request'
           ELSE 'issue' END AS kind, repo, number FROM gh_items WHERE NOT author_is_bot
    UNION ALL
    SELECT author, created_at, 'comment', repo, number FROM gh_comments WHERE NOT author_is_bot
    UNION ALL
    SELECT reviewer, submitted_at, 'review', repo, number FROM gh_reviews
    WHERE NOT reviewer_is_bot
),
acts AS (
    SELECT coalesce(s.subject, 'github:' || lower(a.login)) AS subject, s.person_id, a.login,
           a.moment, a.kind, a.repo, a.number
    FROM github_acts a
    LEFT JOIN login_people l ON l.login = lower(a.login)
    LEFT JOIN persons s ON s.person_id = l.person_id
    WHERE a.login IS NOT NULL AND a.moment IS NOT NULL AND a.moment <= $as_of
      AND NOT coalesce(s.is_bot, FALSE)
),
merged_prs AS (
    SELECT a.subject, a.repo, a.number, a.moment AS opened_at, i.merged_at,
           i.merge_commit_sha
    FROM acts a JOIN gh_items i USING (repo, number)
    WHERE a.kind = 'pull_request' AND i.is_pr AND i.merged_at <= $as_of
),
work AS (
    SELECT s.subject, s.person_id, c.sha, c.contributed_at AS moment
    FROM contributions c JOIN persons s USING (person_id)
    WHERE NOT c.is_bot AND NOT s.is_bot AND c.contributed_at <= $as_of
),
carried AS (
    SELECT DISTINCT w.subject, w.sha
    FROM work w JOIN merged_prs p USING (subject) JOIN commits m USING (sha)
    WHERE w.sha = p.merge_commit_sha OR m.pr_number = p.number
       OR (w.moment >= p.opened_at - INTERVAL {CARRY_DAYS} DAY AND w.moment <= p.merged_at)
),
own AS (SELECT * FROM work ANTI JOIN carried USING (subject, sha)),
contact AS (
    SELECT subject, moment, kind, repo, number FROM acts
    UNION ALL SELECT subject, moment, 'commit', NULL, NULL FROM own
),
merged AS (
    SELECT subject, merged_at AS moment, 'pull_request' AS kind, repo, number FROM merged_prs
    UNION ALL SELECT subject, moment, 'commit', NULL, NULL FROM own
),
-- the smallest (moment, kind, repo, number) of a subject's acts: structs compare field by
-- field, and an aggregate avoids sorting every act
first_contact AS (
    SELECT subject, min({{'moment': moment, 'kind': kind, 'repo': repo, 'number': number}})
               AS first, max(moment) AS last_at
    FROM contact GROUP BY subject
),
first_opened AS (
    SELECT subject, min({{'moment': moment, 'kind': kind, 'repo': repo, 'number': number}})
               AS first
    FROM contact WHERE kind IN ('pull_request', 'commit') GROUP BY subject
),
-- merged contributions by UTC day: every later question is about days and months
merged_days AS (
    SELECT subject, moment::DATE AS day, min(moment) AS moment FROM merged GROUP BY ALL
),
first_merged AS (
    SELECT subject, min(moment) AS merged_at, count(*) AS merged_days,
           min(day) AS first_day
    FROM merged_days GROUP BY subject
),
second AS (
    SELECT m.subject, min(m.moment) AS second_at
    FROM merged_days m JOIN first_merged f USING (subject)
    WHERE m.day > f.first_day GROUP BY m.subject
),
-- months with merged work, each with the month two active months before it: three active
-- months fit in six consecutive ones exactly when the third is at most 5 after the first
months AS (
    SELECT subject, month, lag(month, {REGULAR_MONTHS - 1}) OVER (
        PARTITION BY subject ORDER BY month) AS earlier
    FROM (SELECT DISTINCT subject, year(day) * 12 + month(day) AS month FROM merged_days)
),
regular AS (
    SELECT m.subject, min(m.moment) AS regular_at
    FROM (SELECT subject, min(month) AS month FROM months
          WHERE month - earlier <= {REGULAR_SPAN - 1} GROUP BY subject) r
    JOIN merged_days m ON m.subject = r.subject AND year(m.day) * 12 + month(m.day) = r.month
    GROUP BY m.subject
),
who AS (
    SELECT c.subject, min(s.person_id) AS person_id, min(s.display_name) AS display_name,
           coalesce(bool_or(s.is_team), FALSE) AS person_team,
           coalesce(bool_or(s.hidden), FALSE) AS hidden
    FROM first_contact c LEFT JOIN persons s USING (subject) GROUP BY c.subject
),
logins AS (
    SELECT subject, list(DISTINCT lower(login) ORDER BY lower(login)) AS logins,
           arg_min(login, moment) FILTER (WHERE moment IS NOT NULL) AS first_login
    FROM (
        SELECT subject, login, moment FROM acts
        UNION ALL SELECT s.subject, i.login, NULL FROM identities i JOIN persons s USING (person_id)
        WHERE i.login IS NOT NULL
    ) GROUP BY subject
)
SELECT c.subject, w.person_id,
       coalesce(w.display_name, g.first_login) AS name,
       coalesce(g.logins, []::VARCHAR[]) AS logins,
       w.person_team OR list_has_any(coalesce(g.logins, []::VARCHAR[]), $team::VARCHAR[])
           AS is_team,
       w.hidden, c.first.moment AS contact_at, c.first.kind AS contact_kind,
       c.first.repo AS contact_repo, c.first.number AS contact_number,
       o.first.moment AS opened_at, o.first.kind AS opened_kind, o.first.repo AS opened_repo,
       o.first.number AS opened_number,
       f.merged_at, coalesce(f.merged_days, 0) AS merged_days, s.second_at, r.regular_at,
       c.last_at
FROM first_contact c
JOIN who w USING (subject)
LEFT JOIN logins g USING (subject)
LEFT JOIN first_opened o USING (subject)
LEFT JOIN first_merged f USING (subject)
LEFT JOIN second s USING (subject)
LEFT JOIN regular r USING (subject)
ORDER BY contact_at, c.subject
"""


@dataclass(frozen=True)
class Journey:
    """One subject's way through the stages (a stage not reached is None)."""

    subject: str
    person_id: str | None
    name: str
    logins: list[str]
    is_team: bool
    hidden: bool
    contact_at: datetime
    contact_kind: str
    contact_repo: str | None
    contact_number: int | None
    opened_at: datetime | None
    opened_kind: str | None
    opened_repo: str | None
    opened_number: int | None
    merged_at: datetime | None
    merged_days: int  # distinct UTC days with a merged contribution
    second_at: datetime | None
    regular_at: datetime | None
    last_at: datetime

    def reached(self, stage: str) -> datetime | None:
        """When the subject reached ``stage`` (one of STAGE_NAMES), or None."""
        return getattr(self, f"{stage}_at")  # type: ignore[no-any-return]

    @property
    def furthest(self) -> str:
        """The last stage reached: where they stop (for now)."""
        return [s for s in STAGE_NAMES if self.reached(s) is not None][-1]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "furthest": self.furthest}


def team_logins(references: Iterable[str]) -> tuple[str, ...]:
    """The GitHub logins among the team's references (``github:login``), lower-cased: the
    team members no identity may name yet (people who only review or triage)."""
    return tuple(sorted({r.removeprefix("github:").lower() for r in references
                         if r.startswith("github:")}))  # fmt: skip


def journeys(
    store: Store, team: Iterable[str] = (), as_of: datetime | None = None,
    include_team: bool = False,
) -> list[Journey]:  # fmt: skip
    """Every subject with the stages reached by ``as_of`` (default: now), first contact first.

    ``team`` are extra team logins (see ``team_logins``); team members are left out unless
    ``include_team``.
    """
    moment = as_of or latest_plausible()
    rows = store.rows(_JOURNEYS, {"as_of": moment, "team": [t.lower() for t in team]})
    found = [Journey(**row) for row in rows]
    return found if include_team else [j for j in found if not j.is_team]


def funnel_window(
    store: Store, since: date | None = None, until: date | None = None,
    now: datetime | None = None,
) -> Window | None:  # fmt: skip
    """The default window of the newcomer pages (the last twelve complete months of the
    data), or of GitHub activity alone when the store has no contribution."""
    window = default_window(store, since, until, now)
    if window is not None:
        return window
    latest = store.scalar(
        "SELECT max(created_at) FROM gh_items WHERE created_at <= ?", [latest_plausible(now)]
    )
    if latest is None:
        return None
    end = until or next_period(date(latest.year, latest.month, 1), "month")
    return Window(since or date(end.year - 1, end.month, 1), end)


def cohort_start(moment: datetime, by: str) -> date:
    """The first day of the month, quarter or year ``moment`` (UTC) falls in."""
    months = PERIOD_MONTHS[by]
    moment = moment.astimezone(UTC)
    return date(moment.year, (moment.month - 1) // months * months + 1, 1)


def _days(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 86400


def summarise(people: list[Journey]) -> dict[str, Any]:
    """How many reached each stage, where they stopped, and the median days from each stage
    to the next (over those who reached the next)."""
    reached = {s: sum(1 for j in people if j.reached(s) is not None) for s in STAGE_NAMES}
    stopped = {s: sum(1 for j in people if j.furthest == s) for s in STAGE_NAMES}
    median_days: dict[str, float | None] = {}
    for before, after in pairwise(STAGE_NAMES):
        gaps = [_days(j.reached(before), j.reached(after)) for j in people]
        values = [g for g in gaps if g is not None]
        median_days[f"{before}_to_{after}"] = statistics.median(values) if values else None
    return {"people": len(people), "reached": reached, "stopped": stopped,
            "median_days": median_days}  # fmt: skip


def newcomer_funnel(
    store: Store, window: Window, by: str = "month", team: Iterable[str] = (),
    as_of: datetime | None = None, everyone: list[Journey] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The funnel of the newcomers whose first contact falls in ``window``, per cohort (the
    ``by`` period of first contact) and for all of them. ``everyone`` is ``journeys(...,
    include_team=True)`` when the caller has it already."""
    if by not in COHORTS:
        raise InputError(f"--by {by!r}: choose one of {', '.join(COHORTS)}")
    start = datetime.combine(window.start, datetime.min.time(), UTC)
    end = datetime.combine(window.end, datetime.min.time(), UTC)
    if everyone is None:
        everyone = journeys(store, team, as_of, include_team=True)
    people = [j for j in everyone if not j.is_team and start <= j.contact_at < end]
    cohorts: dict[date, list[Journey]] = {}
    for journey in people:
        cohorts.setdefault(cohort_start(journey.contact_at, by), []).append(journey)
    rows = []
    current = cohort_start(start, by)
    while current < window.end:  # every cohort of the window, empty ones too
        rows.append({"cohort": current, "label": period_label(current, by),
                     **summarise(cohorts.get(current, []))})  # fmt: skip
        current = next_period(current, by)
    return {
        "since": window.start, "until": window.end, "by": by,
        "stages": [{"stage": s, "title": t} for s, t in STAGES],
        "cohorts": rows, "all": summarise(people),
    }  # fmt: skip
