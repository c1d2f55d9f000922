"""People as lists and pages show them: one listing (filtered, sorted, a page at a time) for
`catherd people`, the contributors page and the API, and one person's profile."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from catherd.store.database import Store

# sort keys: a column and its natural direction ("-" in front reverses it)
SORTS = {
    "contributions": "contributions DESC", "name": "lower(display_name)", "first": "first_at",
    "last": "last_at DESC", "organisation": "organisation NULLS LAST",
}  # fmt: skip
_LISTING = resources.files("catherd.community").joinpath("people_listing.sql").read_text("utf-8")


@dataclass(frozen=True)
class PeopleQuery:
    """Which people a list shows, in what order, and which page of it."""

    search: str = ""  # part of a name (or of an address, where ``addresses``)
    sort: str = "contributions"  # a key of SORTS, "-" in front for the other direction
    org: str = ""  # contributed for this organisation
    repo: str = ""  # contributed to this repository
    only: tuple[str, ...] | None = None  # these people only (a list of newcomers...)
    bots: bool = False
    addresses: bool = False  # may the search match e-mail addresses?
    limit: int = 100
    offset: int = 0

    def order(self) -> str:
        key = self.sort.removeprefix("-")
        order = SORTS.get(key, SORTS["contributions"])
        if self.sort.startswith("-"):
            order = order.replace(" DESC", "") if " DESC" in order else f"{order} DESC"
        return order


def list_people(store: Store, query: PeopleQuery) -> tuple[list[dict[str, Any]], int]:
    """One page of people, most active first by default, and how many match in all."""
    rows = store.rows(
        _LISTING.replace("{order}", query.order()),
        {"org": query.org, "repo": query.repo, "bots": query.bots, "search": query.search,
         "addresses": query.addresses, "only": list(query.only) if query.only is not None else None,
         "limit": query.limit, "offset": query.offset},
    )  # fmt: skip
    total = rows[0]["total"] if rows else 0
    for row in rows:
        row.pop("total")
    return rows, int(total)


def identities_of(store: Store, person_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each person's identities, most used first."""
    found: dict[str, list[dict[str, Any]]] = {}
    if not person_ids:
        return found
    for row in store.rows(
        "SELECT person_id, name, email_key, login, merged_by, contributions, first_seen, last_seen "
        "FROM identities WHERE list_contains(?, person_id) ORDER BY contributions DESC, name",
        [person_ids],
    ):
        found.setdefault(row.pop("person_id"), []).append(row)
    return found


def person_profile(store: Store, person_id: str) -> dict[str, Any] | None:
    """One person (not hidden, not a bot): identities, contributions by month,
    organisations over time. Someone forgotten keeps no identity in it."""
    found = store.rows(
        "SELECT person_id, display_name, primary_email, forgotten, is_team FROM people "
        "WHERE person_id = ? AND NOT hidden AND NOT is_bot",
        [person_id],
    )
    if not found:
        return None
    person = found[0]
    timeline = store.rows(
        "SELECT date_trunc('month', contributed_at)::DATE AS month, count(*) AS contributions "
        "FROM contributions WHERE person_id = ? GROUP BY 1 ORDER BY 1",
        [person_id],
    )
    organisations = store.rows(
        "SELECT o.name, min(contributed_at) AS since, max(contributed_at) AS until, count(*) AS n "
        "FROM contributions c JOIN organisations o USING (org_id) WHERE person_id = ? "
        "GROUP BY o.name ORDER BY since",
        [person_id],
    )
    forgotten = person.pop("forgotten")
    identities = [] if forgotten else identities_of(store, [person_id]).get(person_id, [])
    return {"person": person, "identities": identities, "timeline": timeline,
            "organisations": organisations}  # fmt: skip
