"""What the funded team did in a period, and what funded it: the accountability report's data.

Definitions (docs/partners.md). A member counts from the later of the period's start and
their funding start to the earlier of the period's end and their funding end. Their acts:
commits (authored or co-authored, from the identity store); pull requests opened and
merged (by their GitHub logins); pull requests of others reviewed; issues of others triaged
(commented on, or labelled, assigned, milestoned, closed, reopened, marked duplicate...);
releases (tags whose name holds a digit, tagged by the member's address — or, for a
lightweight tag, pointing at a commit they authored); newcomers mentored (others' first
issue or pull request in a repository that the member reviewed, commented on or triaged).
Upstream work is the same acts in the repositories named
in ``[report] upstream``; everything else is the project's. The funding summary counts
signed and renewed agreements by the share of their days inside the period.

Every row keeps its records, whose visibility decides what each report variant shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from catherd.errors import InputError
from catherd.metrics.runner import next_period
from catherd.partners.book import identify
from catherd.partners.funding import CENT, Funding, overlap_days
from catherd.partners.records import ACTIVE, Agreement, Member, Partner, Records, visible
from catherd.store.database import Store

TRIAGE_EVENTS = (
    "labeled", "unlabeled", "assigned", "unassigned", "milestoned", "demilestoned", "closed",
    "reopened", "marked_as_duplicate", "renamed", "locked", "transferred",
)  # fmt: skip


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    label: str

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2025``, ``2025-Q3``, ``2025-07`` or ``2025-01-01..2025-07-01`` (end excluded)."""
        text = text.strip()
        try:
            if re.fullmatch(r"\d{4}", text):
                year = int(text)
                return cls(date(year, 1, 1), date(year + 1, 1, 1), text)
            if match := re.fullmatch(r"(\d{4})-Q([1-4])", text):
                year, quarter = int(match[1]), int(match[2])
                start = date(year, 3 * quarter - 2, 1)
                end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
                return cls(start, end, text)
            if re.fullmatch(r"\d{4}-\d{2}", text):
                start = date.fromisoformat(f"{text}-01")
                return cls(start, next_period(start, "month"), text)
            first, _, last = text.partition("..")
            start, end = date.fromisoformat(first), date.fromisoformat(last)
        except ValueError:
            start = end = date.min
        if end <= start:
            raise InputError(
                f"--period {text!r}: use 2025, 2025-Q3, 2025-07 or 2025-01-01..2025-07-01 "
                "(a non-empty range, end excluded)"
            )
        return cls(start, end, f"{start.isoformat()} to {(end - timedelta(days=1)).isoformat()}")


_ACTS = """
WITH mine AS (SELECT unnest($logins::VARCHAR[]) AS login),
items AS (
    SELECT *, lower(author) AS who, list_contains($upstream, lower(repo)) AS upstream,
           created_at = min(created_at) OVER (PARTITION BY repo, lower(author)) AS first_of_author
    FROM gh_items
),
others AS (SELECT * FROM items WHERE NOT author_is_bot AND who NOT IN (SELECT login FROM mine)),
touches AS (  -- the member's acts on other people's items, in the window
    SELECT repo, number, 'review' AS how FROM gh_reviews
    WHERE lower(reviewer) IN (SELECT login FROM mine) AND submitted_at >= $a AND submitted_at < $b
    UNION ALL
    SELECT repo, number, 'comment' FROM gh_comments
    WHERE lower(author) IN (SELECT login FROM mine) AND created_at >= $a AND created_at < $b
    UNION ALL
    SELECT repo, number, 'triage' FROM gh_events
    WHERE lower(actor) IN (SELECT login FROM mine) AND created_at >= $a AND created_at < $b
      AND list_contains($triage, event)
),
touched AS (SELECT DISTINCT o.repo, o.number, o.is_pr, o.upstream, o.first_of_author, t.how
            FROM touches t JOIN others o USING (repo, number))
SELECT
    (SELECT count(*) FROM items WHERE is_pr AND who IN (SELECT login FROM mine)
        AND created_at >= $a AND created_at < $b AND NOT upstream) AS pulls_opened,
    (SELECT count(*) FROM items WHERE is_pr AND who IN (SELECT login FROM mine)
        AND merged_at >= $a AND merged_at < $b AND NOT upstream) AS pulls_merged,
    (SELECT count(DISTINCT (repo, number)) FROM touched WHERE is_pr AND how = 'review'
        AND NOT upstream) AS pulls_reviewed,
    (SELECT count(DISTINCT (repo, number)) FROM touched WHERE NOT is_pr
        AND how IN ('comment', 'triage') AND NOT upstream) AS issues_triaged,
    (SELECT count(DISTINCT (repo, number)) FROM touched WHERE first_of_author
        AND NOT upstream) AS newcomers_mentored,
    (SELECT count(*) FROM items WHERE is_pr AND who IN (SELECT login FROM mine)
        AND created_at >= $a AND created_at < $b AND upstream) AS upstream_pulls
"""

# A release is a tag whose name holds a digit (v1.2, networkx-3.6; not "help" or "stable").
_RELEASES = "releases AS (SELECT * FROM repo_tags WHERE regexp_matches(name, '[0-9]'))"

_COMMITS = f"""
WITH {_RELEASES}, placed AS (
    SELECT c.sha, bool_or(list_contains($upstream_ids, m.repo_id)) AS upstream
    FROM contributions c JOIN repo_commits m USING (sha)
    WHERE c.person_id = $person AND c.contributed_at >= $a AND c.contributed_at < $b
    GROUP BY 1
)
SELECT count(*) FILTER (WHERE NOT upstream) AS commits,
       count(*) FILTER (WHERE upstream) AS upstream_commits,
       (SELECT count(*) FROM releases r WHERE r.tagged_at >= $a AND r.tagged_at < $b
          AND NOT list_contains($upstream_ids, r.repo_id)
          AND (r.tagger_email IN (SELECT email_key FROM identities WHERE person_id = $person)
               OR (r.tagger_email IS NULL AND r.sha IN (
                   SELECT sha FROM contributions WHERE person_id = $person AND role = 'author')))
       ) AS releases
FROM placed
"""


def is_upstream(name: str, location: str, slugs: list[str]) -> bool:
    """Whether a stored repository is one of ``[report] upstream`` (``owner/name``)."""
    where = re.sub(r"(\.git)?/*$", "", location.lower()).removeprefix("github:")
    return name.lower() in slugs or any(where == s or where.endswith("/" + s) for s in slugs)


GITHUB_ACTS = ("pulls_opened", "pulls_merged", "pulls_reviewed", "issues_triaged",
               "newcomers_mentored", "upstream_pulls")  # fmt: skip
UPSTREAM_ACTS = ("upstream_commits", "upstream_pulls")


def unmeasured(store: Store, period: Period, upstream: list[str]) -> dict[str, str]:
    """The acts this store cannot count for the period, each with what to connect: a report
    must say "not measured" rather than print a 0 nobody did."""
    reasons: dict[str, str] = {}
    github = store.rows(
        "SELECT count(*) AS n FROM gh_items WHERE created_at < ?", [_bound(period.end)]
    )[0]["n"]
    if not github:
        for act in GITHUB_ACTS:
            reasons[act] = ("no GitHub data in the store: sync the project's repository as "
                            "github:OWNER/NAME (or import GH Archive events)")  # fmt: skip
    stored = store.rows("SELECT name, location FROM repositories")
    missing = [u for u in upstream
               if not any(is_upstream(r["name"], r["location"], [u.lower().strip("/")])
                          for r in stored)]  # fmt: skip
    for act in UPSTREAM_ACTS:
        if not upstream:
            reasons.setdefault(act, "no upstream repository is named in [report] upstream")
        elif missing:
            reasons.setdefault(act, f"upstream repositories not in the store: {', '.join(missing)}"
                                    " (add them as [[repository]] and sync)")  # fmt: skip
    return reasons


def _bound(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def _funded(member: Member, period: Period) -> tuple[date, date] | None:
    """The part of ``period`` the member was funded for, ``[start, end)``, if any."""
    start = max(period.start, member.start)
    end = min(period.end, member.end + timedelta(days=1) if member.end else period.end)
    return (start, end) if start < end else None


def team_activity(
    store: Store, records: Records, period: Period, upstream: list[str]
) -> list[dict[str, Any]]:
    """One row per member funded during the period, with their acts in it."""
    slugs = [u.lower().strip("/") for u in upstream]
    upstream_ids = [
        r["repo_id"]
        for r in store.rows("SELECT repo_id, name, location FROM repositories")
        if is_upstream(r["name"], r["location"], slugs)
    ]
    rows = []
    for member in sorted(records.of(Member), key=lambda m: m.id):
        if (funded := _funded(member, period)) is None:
            continue
        start, end = funded
        who = identify(store, member.person)
        window = {"a": _bound(start), "b": _bound(end)}
        acts = store.rows(
            _ACTS,
            {**window, "logins": sorted(who.logins) if who else [], "upstream": slugs,
             "triage": list(TRIAGE_EVENTS)},
        )[0]  # fmt: skip
        commits = {"commits": 0, "upstream_commits": 0, "releases": 0}
        if who and who.person_id:
            commits = store.rows(
                _COMMITS,
                {**window, "person": who.person_id, "upstream_ids": upstream_ids},
            )[0]
        rows.append(
            {"member": member, "name": who.name if who else member.person,
             "from": start, "until": end - timedelta(days=1), **commits, **acts}
        )  # fmt: skip
    return rows


_UPSTREAM_PULLS = """
SELECT repo, number, title, url, state, created_at, merged_at FROM gh_items
WHERE is_pr AND list_contains($logins, lower(author)) AND created_at >= $a AND created_at < $b
  AND list_contains($upstream, lower(repo))
ORDER BY created_at, repo, number
"""
_UPSTREAM_COMMITS = """
SELECT count(DISTINCT c.sha) FROM contributions c JOIN repo_commits m USING (sha)
WHERE c.person_id = $person AND c.contributed_at >= $a AND c.contributed_at < $b
  AND list_contains($ids, m.repo_id)
"""


def upstream_contributions(
    store: Store, records: Records, period: Period, upstream: list[str]
) -> list[dict[str, Any]]:
    """Per funded member and upstream repository (as ``[report] upstream`` names it): the
    commits and the pull requests opened there in the period, one by one. They are what
    ``team_activity`` counts as ``upstream_commits`` and ``upstream_pulls`` (a commit that
    two upstream repositories hold is counted in each here, once there)."""
    slugs = [u.lower().strip("/") for u in upstream]
    stored = store.rows("SELECT repo_id, name, location FROM repositories")
    ids = {
        slug: [r["repo_id"] for r in stored if is_upstream(r["name"], r["location"], [slug])]
        for slug in slugs
    }
    rows = []
    for member in sorted(records.of(Member), key=lambda m: m.id):
        funded = _funded(member, period)
        who = identify(store, member.person) if funded else None
        if funded is None or who is None:
            continue
        window = {"a": _bound(funded[0]), "b": _bound(funded[1])}
        pulls = store.rows(_UPSTREAM_PULLS, {**window, "logins": sorted(who.logins),
                                             "upstream": slugs})  # fmt: skip
        for named, slug in zip(upstream, slugs, strict=True):
            commits = 0
            if who.person_id and ids[slug]:
                found = {**window, "person": who.person_id, "ids": ids[slug]}
                commits = int(store.scalar(_UPSTREAM_COMMITS, found) or 0)
            mine = [p for p in pulls if p["repo"].lower() == slug]
            if commits or mine:
                rows.append({"member": member, "name": who.name, "repository": named.strip("/"),
                             "commits": commits, "pulls": mine})  # fmt: skip
    return rows


def repositories(store: Store, upstream: list[str]) -> list[dict[str, Any]]:
    """Every stored repository: name, location, commits held, and whether it is upstream."""
    slugs = [u.lower().strip("/") for u in upstream]
    rows = store.rows(
        "SELECT r.name, r.location, count(m.sha) AS commits FROM repositories r "
        "LEFT JOIN repo_commits m USING (repo_id) GROUP BY ALL ORDER BY min(r.repo_id)"
    )
    return [{**r, "upstream": is_upstream(r["name"], r["location"], slugs)} for r in rows]


def project_releases(store: Store, period: Period, upstream: list[str]) -> list[dict[str, Any]]:
    """The releases of the project's own repositories (not upstream ones) in the period."""
    slugs = [u.lower().strip("/") for u in upstream]
    repositories = {
        r["repo_id"]: r["name"]
        for r in store.rows("SELECT repo_id, name, location FROM repositories")
        if not is_upstream(r["name"], r["location"], slugs)
    }
    rows = store.rows(
        f"WITH {_RELEASES} SELECT repo_id, name, tagged_at FROM releases "
        "WHERE tagged_at >= ? AND tagged_at < ? AND list_contains(?, repo_id) ORDER BY tagged_at",
        [_bound(period.start), _bound(period.end), sorted(repositories)],
    )
    return [{**r, "repository": repositories[r.pop("repo_id")]} for r in rows]


def funding_summary(records: Records, funding: Funding, period: Period) -> list[dict[str, Any]]:
    """Per paying agreement overlapping the period: its partner and its income in the period."""
    partners = {p.id: p for p in records.of(Partner)}
    last = period.end - timedelta(days=1)
    rows = []
    for agreement in sorted(records.of(Agreement), key=lambda a: (a.partner, a.start)):
        days = overlap_days(agreement.start, agreement.end, period.start, last)
        if agreement.status not in ACTIVE or not days:
            continue
        whole = (agreement.end - agreement.start).days + 1
        income = funding.convert(agreement.amount, agreement.currency) * days / whole
        rows.append(
            {"agreement": agreement, "partner": partners[agreement.partner],
             "income": income.quantize(CENT)}
        )  # fmt: skip
    return rows


def supporters(records: Records, as_of: date, audience: str) -> dict[str, Any]:
    """Partners as ``audience`` may see them: those paying on ``as_of`` (by tier) and those
    who did before; the others only counted."""
    paying: dict[str, list[Agreement]] = {}
    for agreement in records.of(Agreement):
        if agreement.status in ACTIVE and agreement.start <= as_of:
            paying.setdefault(agreement.partner, []).append(agreement)
    current: list[dict[str, Any]] = []
    past: list[dict[str, Any]] = []
    hidden = 0
    for partner in sorted(records.of(Partner), key=lambda p: p.name.lower()):
        deals = paying.get(partner.id, [])
        if not deals:
            continue
        if not visible(partner.visibility, audience):
            hidden += any(a.end >= as_of for a in deals)
            continue
        row = {"name": partner.name, "tier": partner.tier or "", "website": partner.website,
               "since": min(a.start for a in deals).year,
               "until": max(a.end for a in deals).year}  # fmt: skip
        (current if any(a.end >= as_of for a in deals) else past).append(row)
    return {"current": current, "past": past, "confidential": hidden}
