"""How far each joint priority has come, from the GitHub work linked to it.

A priority links issues and pull requests (``owner/repo#N``), labels (``owner/repo
label:NAME``: every item carrying it now) and milestones (``owner/repo milestone:NAME``).
Its progress (docs/partners.md): issues open and closed, pull requests open, merged and
closed unmerged; the people involved (authors of the linked items and reviewers of the
linked pull requests, bots left out); the funded team's share of that work (their share of
linked pull requests authored plus reviews given); and month by month, how many linked
items existed and how many were done (issue closed, pull request merged).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from catherd.metrics.runner import next_period
from catherd.partners.book import identify
from catherd.partners.records import LINK, Member, Priority, Records, visible
from catherd.store.database import Store


def team_logins(store: Store, records: Records) -> set[str]:
    """GitHub logins (lower case) of the funded team members."""
    found: set[str] = set()
    for member in records.of(Member):
        who = identify(store, member.person)
        if who is not None:
            found |= who.logins
    return found


def linked_items(store: Store, links: list[str]) -> list[dict[str, Any]]:
    """The GitHub items the links name, each once."""
    items: dict[tuple[str, int], dict[str, Any]] = {}
    for link in links:
        match = LINK.match(link)
        if match is None:
            continue
        repo = match["repo"]
        value: int | str
        if match["number"]:
            where, value = "number = ?", int(match["number"])
        elif match["what"] == "label":
            where, value = "list_contains(labels, ?)", match["name"]
        else:
            where, value = "milestone = ?", match["name"]
        for row in store.rows(
            "SELECT repo, number, is_pr, title, state, author, author_is_bot, created_at, "
            f"closed_at, merged_at, url FROM gh_items WHERE lower(repo) = lower(?) AND {where}",
            [repo, value],
        ):
            items[(row["repo"], row["number"])] = row
    return sorted(items.values(), key=lambda r: (r["repo"], r["number"]))


def priority_items(store: Store, records: Records, audience: str) -> dict[str, list[str]]:
    """``owner/repo#N`` of every item linked to a priority ``audience`` may see, with the
    titles of those priorities (what the digest's notable work marks)."""
    found: dict[str, list[str]] = {}
    for priority in sorted(records.of(Priority), key=lambda p: p.id):
        if visible(priority.visibility, audience):
            for item in linked_items(store, priority.links):
                found.setdefault(f"{item['repo']}#{item['number']}", []).append(priority.title)
    return found


def progress(store: Store, records: Records) -> list[dict[str, Any]]:
    """Each priority with its linked work's state, people and timeline."""
    team = team_logins(store, records)
    result = []
    for priority in records.of(Priority):
        items = linked_items(store, priority.links)
        pulls = [i for i in items if i["is_pr"]]
        issues = [i for i in items if not i["is_pr"]]
        reviews = _reviews(store, pulls)
        authors = Counter(i["author"].lower() for i in pulls if not i["author_is_bot"])
        work = sum(authors.values()) + len(reviews)
        by_team = sum(n for login, n in authors.items() if login in team) + sum(
            1 for r in reviews if r in team
        )
        people = {i["author"].lower() for i in items if not i["author_is_bot"]} | set(reviews)
        result.append(
            {
                "priority": priority,
                "items": items,
                "issues_open": sum(i["state"] == "open" for i in issues),
                "issues_closed": sum(i["state"] == "closed" for i in issues),
                "pulls_open": sum(i["state"] == "open" for i in pulls),
                "pulls_merged": sum(i["merged_at"] is not None for i in pulls),
                "pulls_closed_unmerged": sum(
                    i["state"] == "closed" and i["merged_at"] is None for i in pulls
                ),
                "people": len(people),
                "team_share": by_team / work if work else None,
                "timeline": _timeline(items),
            }
        )
    return result


def flat(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``progress`` rows with the priority's own fields beside its progress (for JSON)."""
    return [{**{k: v for k, v in r.items() if k != "priority"},
             **r["priority"].model_dump(mode="json")} for r in rows]  # fmt: skip


def _reviews(store: Store, pulls: list[dict[str, Any]]) -> list[str]:
    """One entry (reviewer login, lower case) per review on these pull requests, bots out."""
    if not pulls:
        return []
    keys = [f"{p['repo']}#{p['number']}" for p in pulls]
    rows = store.rows(
        "SELECT lower(reviewer) AS reviewer FROM gh_reviews WHERE NOT reviewer_is_bot "
        "AND list_contains(?, repo || '#' || number)",
        [keys],
    )
    return [r["reviewer"] for r in rows]


def _timeline(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per month from the first linked item: items existing, and items done, at its end."""
    if not items:
        return []
    done_at = [i["merged_at"] if i["is_pr"] else i["closed_at"] for i in items]
    first = min(i["created_at"] for i in items).date().replace(day=1)
    last = max([i["created_at"] for i in items] + [d for d in done_at if d]).date()
    months, current = [], first
    while current <= last:
        following = next_period(current, "month")
        months.append(
            {
                "month": current.isoformat(),
                "linked": sum(i["created_at"].date() < following for i in items),
                "done": sum(d is not None and d.date() < following for d in done_at),
            }
        )
        current = following
    return months
