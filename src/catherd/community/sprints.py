"""Sprints: who took part, what they did, and whether the newcomers they brought stayed.

A sprint is a record (``sprints.toml``, imported, edited and audit-logged like the
partnership records). Its *period* is its days and the ``after_days`` (30) that follow.
*Sprint pull requests* are those opened in the period that a participant opened, or that
carry one of the sprint's labels or its milestone. *Sprint people* are its participants
(matched to people through their identities and logins) and the authors of sprint pull
requests. Definitions: docs/sprints.md.

``sprint_outcomes`` is what the report, the CLI and any digest call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from catherd.community.funnel import Journey, journeys
from catherd.config import Config
from catherd.dates import latest_plausible
from catherd.errors import InputError
from catherd.identity.resolve import PERSON_ID
from catherd.metrics import Params
from catherd.metrics.runner import run_metric
from catherd.partners.book import identify, load
from catherd.partners.records import Sprint
from catherd.store.database import Store

DEFAULT_LABELS = ("good first issue", "easy", "sprint")
RETENTION_DAYS = (30, 90, 180)


@dataclass(frozen=True)
class SprintRules:
    """``[sprints]`` in catherd.toml."""

    labels: tuple[str, ...] = DEFAULT_LABELS  # what marks an issue fit for a sprint
    stale_days: int = 365  # a candidate issue untouched longer than this is left out
    after_days: int = 30  # the days after a sprint whose work still counts as the sprint's
    compare_days: int = 90  # newcomers this close to a sprint are its comparison group

    @classmethod
    def from_config(cls, config: Config) -> SprintRules:
        table = config.sprints
        where = f"{config.source or 'catherd.toml'}: [sprints]"
        labels = table.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
            raise InputError(f'{where} labels must be a list such as ["help wanted"]')
        numbers = {}
        for name in ("stale_days", "after_days", "compare_days"):
            value = table.get(name, getattr(cls, name))
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"{where} {name} must be a whole number of days, 0 or more")
            numbers[name] = value
        merged = dict.fromkeys([*DEFAULT_LABELS, *(x.lower() for x in labels)])
        return cls(tuple(merged), **numbers)


def sprints(store: Store) -> list[Sprint]:
    """Every sprint recorded, the latest first."""
    return sorted(load(store).of(Sprint), key=lambda s: (s.start, s.id), reverse=True)


def find_sprint(store: Store, name: str) -> Sprint:
    """The sprint whose id or name is ``name`` (case aside)."""
    recorded = sprints(store)
    for sprint in recorded:
        if name.lower() in (sprint.id.lower(), sprint.name.lower()):
            return sprint
    known = ", ".join(s.id for s in recorded) or "none yet: add sprints.toml to the records"
    raise InputError(f"sprint {name!r}: no such sprint (known: {known})")


@dataclass(frozen=True)
class Participant:
    reference: str  # as the record says it (may be an e-mail: not for public pages)
    person_id: str | None
    name: str
    logins: frozenset[str]  # lower case
    known: bool  # the store knows them (identities or GitHub activity)


def people_of(store: Store, references: Iterable[str]) -> list[Participant]:
    """Whom a sprint's references name (participants, mentors, organisers)."""
    found = []
    for reference in references:
        text = reference.strip()
        is_person = PERSON_ID.match(text) and store.scalar(
            "SELECT count(*) FROM people WHERE person_id = ?", [text]
        )
        if not is_person and "@" not in text.lstrip("@"):  # a login
            text = "github:" + text.removeprefix("github:").lstrip("@")
        who = identify(store, text)
        if who is not None:
            found.append(Participant(reference, who.person_id, who.name, who.logins, True))
            continue
        login = text.removeprefix("github:").lower() if text.startswith("github:") else None
        found.append(Participant(reference, None, login or "(unknown)",
                                 frozenset({login} if login else set()), False))  # fmt: skip
    return found


@dataclass(frozen=True)
class Period:
    start: datetime  # the sprint's first day, 00:00 UTC
    end: datetime  # the day after the sprint, 00:00 UTC
    until: datetime  # the end of the days after it that still count

    @classmethod
    def of(cls, sprint: Sprint, rules: SprintRules) -> Period:
        start = _midnight(sprint.start)
        end = _midnight(sprint.end) + timedelta(days=1)
        return cls(start, end, end + timedelta(days=rules.after_days))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


_SPRINT_PULLS = """
SELECT repo, number, title, url, author, created_at, merged_at, closed_at, labels, milestone,
       created_at < $end AS during
FROM gh_items
WHERE is_pr AND NOT author_is_bot AND created_at >= $start AND created_at < $until
  AND (len($repos::VARCHAR[]) = 0 OR list_contains($repos::VARCHAR[], lower(repo)))
  AND (list_contains($logins::VARCHAR[], lower(author))
       OR list_has_any(list_transform(labels, lambda x: lower(x)), $labels::VARCHAR[])
       OR lower(milestone) = $milestone)
ORDER BY created_at, repo, number
"""

_REVIEWS = """
SELECT count(*) AS reviews, count(DISTINCT lower(r.reviewer)) AS reviewers
FROM gh_reviews r
WHERE NOT r.reviewer_is_bot AND r.submitted_at <= $as_of
  AND list_contains($pulls::VARCHAR[], r.repo || '#' || r.number)
  AND lower(r.reviewer) <> (SELECT lower(author) FROM gh_items i
                            WHERE i.repo = r.repo AND i.number = r.number AND i.is_pr)
"""

_MENTOR_REVIEWS = """
SELECT count(*) FROM gh_reviews
WHERE list_contains($logins::VARCHAR[], lower(reviewer))
  AND submitted_at >= $start AND submitted_at < $until
"""

_CONTRIBUTIONS = """
SELECT count(DISTINCT sha) AS contributions, count(DISTINCT person_id) AS contributors
FROM contributions
WHERE list_contains($people::VARCHAR[], person_id) AND NOT is_bot
  AND contributed_at >= $start AND contributed_at < $until
"""

_DAILY = """
SELECT contributed_at::DATE AS day, count(DISTINCT sha) AS contributions FROM contributions
WHERE list_contains($people::VARCHAR[], person_id) AND NOT is_bot
  AND contributed_at >= $start AND contributed_at < $until
GROUP BY 1
"""


def sprint_pulls(
    store: Store, sprint: Sprint, period: Period, logins: Iterable[str]
) -> list[dict[str, Any]]:
    """The sprint's pull requests (see the module docstring)."""
    return store.rows(_SPRINT_PULLS, {
        "start": period.start, "end": period.end, "until": period.until,
        "repos": [r.lower() for r in sprint.repositories], "logins": sorted(logins),
        "labels": [x.lower() for x in sprint.labels],
        "milestone": sprint.milestone.lower() if sprint.milestone else None,
    })  # fmt: skip


def _through(
    store: Store, sprint: Sprint, rules: SprintRules
) -> tuple[list[Participant], list[dict[str, Any]], set[str], set[str]]:
    """A sprint's participants, its pull requests, and who came through it: the logins and
    the name groups (``people.name_key`` or person id) of participants and authors."""
    period = Period.of(sprint, rules)
    taking_part = people_of(store, sprint.participants)
    logins = {login for p in taking_part for login in p.logins}
    pulls = sprint_pulls(store, sprint, period, logins)
    logins |= {p["author"].lower() for p in pulls}
    people = {p.person_id for p in taking_part if p.person_id}
    people |= {r["person_id"] for r in store.rows(
        "SELECT DISTINCT person_id FROM identities WHERE list_contains($l::VARCHAR[], "
        "lower(login))", {"l": sorted(logins)})}  # fmt: skip
    groups = {r["grp"] for r in store.rows(
        "SELECT DISTINCT coalesce(name_key, person_id) AS grp FROM people "
        "WHERE list_contains($p::VARCHAR[], person_id)", {"p": sorted(people)})}  # fmt: skip
    return taking_part, pulls, logins, groups


def retention(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Of newcomers (``newcomer_returns`` rows): how many contributed again on a later day
    within 30, 90 and 180 days, over those whose 30, 90, 180 days have passed."""
    result: dict[str, Any] = {"newcomers": len(rows)}
    for days in RETENTION_DAYS:
        window = timedelta(days=days)
        measurable = [r for r in rows if r["data_end"] - r["first_at"] >= window]
        retained = [
            r for r in measurable
            if r["next_at"] is not None and r["next_at"] - r["first_at"] <= window
        ]  # fmt: skip
        result[f"days_{days}"] = {
            "measurable": len(measurable), "retained": len(retained),
            "share": len(retained) / len(measurable) if measurable else None,
        }  # fmt: skip
    return result


def sprint_outcomes(
    store: Store, sprint: Sprint, rules: SprintRules | None = None,
    as_of: datetime | None = None, team: Iterable[str] = (),
) -> dict[str, Any]:  # fmt: skip
    """What a sprint brought: its pull requests (opened during it and in the days after,
    merged by ``as_of``), the reviews they got, the sprint mentors' reviews, the
    participants' contributions, its first-timers, and the retention of its newcomers at
    30, 90 and 180 days against the other newcomers of the same period."""
    rules = rules or SprintRules()
    moment = as_of or latest_plausible()
    period = Period.of(sprint, rules)
    taking_part, pulls, logins, groups = _through(store, sprint, rules)
    pull_keys = [f"{p['repo']}#{p['number']}" for p in pulls]
    reviews = store.rows(_REVIEWS, {"as_of": moment, "pulls": pull_keys})[0]
    mentoring = people_of(store, sprint.mentors)
    mentor_logins = sorted({x for m in mentoring for x in m.logins})
    window = {"start": period.start, "until": period.until}
    by_mentors = store.scalar(_MENTOR_REVIEWS, {"logins": mentor_logins, **window})
    people = sorted({p.person_id for p in taking_part if p.person_id})
    work = store.rows(_CONTRIBUTIONS, {"people": people, **window})[0]
    per_day = {r["day"]: r["contributions"] for r in store.rows(_DAILY, {"people": people,
                                                                      **window})}  # fmt: skip
    first_timers = _first_timers(store, period, logins, groups, team, moment)
    newcomers, others = _compared(store, sprint, rules, period, groups)
    return {
        "sprint": sprint.model_dump(mode="json"),
        "period": {"start": period.start.date(), "end": period.end.date(),
                   "until": period.until.date(), "after_days": rules.after_days},
        "participants": _listed(taking_part),
        "mentors": _listed(mentoring),
        "organisers": _listed(people_of(store, sprint.organisers)),
        "pulls": {
            "opened_during": sum(1 for p in pulls if p["during"]),
            "opened_after": sum(1 for p in pulls if not p["during"]),
            "merged": sum(1 for p in pulls if p["merged_at"] and p["merged_at"] <= moment),
            "authors": len({p["author"].lower() for p in pulls}),
            "list": pulls,
        },
        "reviews": {"on_sprint_pulls": reviews["reviews"], "reviewers": reviews["reviewers"],
                    "by_mentors": by_mentors},
        "contributions": {"by_participants": work["contributions"],
                          "participants_contributing": work["contributors"]},
        "first_timers": first_timers,
        "retention": {"sprint": retention(newcomers), "others": retention(others),
                      "compared_from": period.start.date() - timedelta(rules.compare_days),
                      "compared_until": period.end.date() + timedelta(rules.compare_days)},
        "daily": _daily(pulls, per_day, period),
    }  # fmt: skip


def _listed(people: list[Participant]) -> list[dict[str, Any]]:
    return [{"reference": p.reference, "name": p.name, "known": p.known,
             "person_id": p.person_id} for p in people]  # fmt: skip


def _first_timers(
    store: Store, period: Period, logins: set[str], groups: set[str], team: Iterable[str],
    as_of: datetime,
) -> list[dict[str, Any]]:  # fmt: skip
    """Sprint people whose first pull request (or, from git alone, first contribution) was
    opened in the sprint's period."""
    chosen: list[Journey] = [
        j for j in journeys(store, team, as_of)
        if (j.subject in groups or logins & set(j.logins))
        and j.opened_at is not None and period.start <= j.opened_at < period.until
    ]  # fmt: skip
    return [{"name": None if j.hidden else j.name, "opened_at": j.opened_at,
             "merged": j.merged_at is not None, "stayed": j.second_at is not None}
            for j in chosen]  # fmt: skip


def _compared(
    store: Store, sprint: Sprint, rules: SprintRules, period: Period, groups: set[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The sprint's newcomers (first contribution in its period, came through it), and the
    newcomers of the comparison period who came through no recorded sprint."""
    since = period.start.date() - timedelta(days=rules.compare_days)
    until = period.end.date() + timedelta(days=rules.compare_days)
    rows = run_metric(store, "newcomer_returns", Params(since=since, until=until))
    group_of = {r["person_id"]: r["grp"] for r in store.rows(
        "SELECT person_id, coalesce(name_key, person_id) AS grp FROM people")}  # fmt: skip
    any_sprint = set(groups)
    for other in sprints(store):
        if other.id != sprint.id:
            any_sprint |= _through(store, other, rules)[3]
    newcomers = [r for r in rows if group_of.get(r["person_id"]) in groups
                 and period.start <= r["first_at"] < period.until]  # fmt: skip
    others = [r for r in rows if group_of.get(r["person_id"]) not in any_sprint]
    return newcomers, others


def _daily(
    pulls: list[dict[str, Any]], contributions: dict[date, int], period: Period
) -> list[dict[str, Any]]:
    """Each day of the period: sprint pull requests opened, participants' contributions."""
    opened: dict[date, int] = {}
    for pull in pulls:
        day = pull["created_at"].astimezone(UTC).date()
        opened[day] = opened.get(day, 0) + 1
    days = [(period.start + timedelta(days=n)).date()
            for n in range((period.until - period.start).days)]  # fmt: skip
    return [{"day": day, "pulls": opened.get(day, 0),
             "contributions": contributions.get(day, 0)} for day in days]  # fmt: skip
