"""Prospects: organisations whose people contribute but which fund nothing today.

Definition (docs/partners.md). An organisation is one of the identity store (from address
domains, ``organisations.toml`` and dated affiliations); personal and unknown addresses are
none. Its acts in a year are its people's authored or co-authored commits (dated by the
organisation they had then) and, through their GitHub logins, the pull requests and issues
they opened and the reviews they gave (attributed to the organisation of their latest
commit). Bots, hidden people and the funded team (paid by the project, their work says
nothing of their employer's reliance on it) are left out. An organisation is excluded while
one of the partners naming it (``organisations = [...]``) has a signed or renewed agreement
covering ``as_of``. Ranked by acts in the last 365 days, then by distinct contributors; growth
compares with the 365 days before; issues opened are the dependence signal (they use it).
Academic organisations are left out unless asked for.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from typing import Any

from catherd.identity.organisations import PERSONAL, UNKNOWN
from catherd.partners.book import identify
from catherd.partners.records import ACTIVE, Agreement, Member, Partner, Records
from catherd.store.database import Store


def funded_organisations(records: Records, as_of: date) -> set[str]:
    """Organisations of partners with an agreement that pays on ``as_of``."""
    paying = {
        a.partner for a in records.of(Agreement) if a.status in ACTIVE and a.start <= as_of <= a.end
    }
    return {org for p in records.of(Partner) if p.id in paying for org in p.organisations}


def data_end(store: Store) -> date:
    """The day of the latest contribution stored (today for an empty store)."""
    latest = store.scalar("SELECT max(contributed_at) FROM contributions")
    return latest.date() if latest else datetime.now(UTC).date()


def prospects(
    store: Store,
    records: Records,
    as_of: date | None = None,
    evidence: bool = True,
    academic: bool = False,
) -> list[dict[str, Any]]:
    """Organisations ranked as prospects, each with its counts and (for the team) evidence.

    Universities and other academic organisations are left out unless ``academic``: they
    seldom fund a project, and their people's work is research, not reliance."""
    as_of = as_of or data_end(store)
    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), UTC)
    year, before = end - timedelta(days=365), end - timedelta(days=730)
    excluded = sorted(funded_organisations(records, as_of) | {PERSONAL, UNKNOWN})
    members = (identify(store, m.person) for m in records.of(Member))
    team = sorted({who.person_id for who in members if who and who.person_id})
    acts = store.rows(
        """
        WITH person_org AS (
            SELECT person_id, arg_max(org_id, contributed_at) AS org_id FROM contributions
            WHERE org_id NOT IN ('personal', 'unknown') GROUP BY 1
        ), logins AS (
            SELECT DISTINCT lower(i.login) AS login, i.person_id FROM identities i
            WHERE i.login IS NOT NULL
        ), github AS (
            SELECT l.person_id, o.org_id, kind, acted_at FROM (
                SELECT author AS login, CASE WHEN is_pr THEN 'pull request' ELSE 'issue' END
                       AS kind, created_at AS acted_at
                FROM gh_items WHERE NOT author_is_bot
                UNION ALL
                SELECT reviewer, 'review', submitted_at FROM gh_reviews WHERE NOT reviewer_is_bot
            ) a JOIN logins l ON l.login = lower(a.login) JOIN person_org o USING (person_id)
        ), all_acts AS (
            SELECT person_id, org_id, 'commit' AS kind, contributed_at AS acted_at
            FROM contributions WHERE NOT is_bot
            UNION ALL SELECT * FROM github
        )
        SELECT a.org_id, o.name AS organisation, a.person_id, p.display_name AS name,
               a.kind, count(*) FILTER (WHERE a.acted_at >= $year) AS recent,
               count(*) FILTER (WHERE a.acted_at < $year) AS earlier,
               min(a.acted_at) AS first_at, max(a.acted_at) AS last_at
        FROM all_acts a JOIN people p USING (person_id) JOIN organisations o USING (org_id)
        WHERE a.acted_at >= $before AND a.acted_at < $end AND NOT p.is_bot AND NOT p.hidden
          AND NOT list_contains($excluded, a.org_id) AND NOT list_contains($team, a.person_id)
          AND ($academic OR o.kind <> 'academic')
        GROUP BY ALL
        """,
        {"year": year, "before": before, "end": end, "excluded": excluded, "team": team,
         "academic": academic},
    )
    by_org: dict[str, dict[str, Any]] = {}
    for row in acts:
        org = by_org.setdefault(
            row["org_id"],
            {"org_id": row["org_id"], "organisation": row["organisation"], "acts": 0,
             "acts_before": 0, "commits": 0, "pull_requests": 0, "reviews": 0, "issues": 0,
             "people": {}},
        )  # fmt: skip
        org["acts"] += row["recent"]
        org["acts_before"] += row["earlier"]
        column = {"commit": "commits", "pull request": "pull_requests", "review": "reviews",
                  "issue": "issues"}[row["kind"]]  # fmt: skip
        org[column] += row["recent"]
        if row["recent"]:
            person = org["people"].setdefault(
                row["person_id"],
                {"name": row["name"], "acts": 0, "what": {}, "first_at": row["first_at"],
                 "last_at": row["last_at"]},
            )  # fmt: skip
            person["acts"] += row["recent"]
            person["what"][row["kind"]] = row["recent"]
            person["first_at"] = min(person["first_at"], row["first_at"])
            person["last_at"] = max(person["last_at"], row["last_at"])
    ranked = []
    for org in by_org.values():
        if not org["acts"]:
            continue
        people = sorted(org.pop("people").values(), key=lambda p: (-p["acts"], p["name"]))
        org["contributors"] = len(people)
        before_acts = org["acts_before"]
        org["growth"] = (org["acts"] - before_acts) / before_acts if before_acts else None
        if evidence:
            org["evidence"] = people
        ranked.append(org)
    ranked.sort(key=lambda o: (-o["acts"], -o["contributors"], o["organisation"]))
    return ranked


def write_csv(rows: list[dict[str, Any]], handle: Any) -> None:
    """One line per organisation; evidence as 'Name: 12 commit, 3 review (first..last)'."""
    writer = csv.writer(handle)
    writer.writerow(
        [
            "organisation",
            "acts_last_365_days",
            "acts_365_days_before",
            "growth",
            "contributors",
            "commits",
            "pull_requests",
            "reviews",
            "issues",
            "evidence",
        ]
    )
    for r in rows:
        evidence = "; ".join(
            f"{p['name']}: {', '.join(f'{n} {kind}' for kind, n in sorted(p['what'].items()))} "
            f"({p['first_at']:%Y-%m-%d}..{p['last_at']:%Y-%m-%d})"
            for p in r["evidence"]
        )
        growth = "" if r["growth"] is None else f"{r['growth']:.3f}"
        writer.writerow(
            [
                r["organisation"],
                r["acts"],
                r["acts_before"],
                growth,
                r["contributors"],
                r["commits"],
                r["pull_requests"],
                r["reviews"],
                r["issues"],
                evidence,
            ]
        )
    handle.flush()
