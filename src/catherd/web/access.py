"""Who may see what: one rule for every page and its API twin.

Each page has the lowest role that may see it. Anonymous visitors see the pages named in
``[web] public`` among those a viewer may see (never a team page); viewers see every
community page, without e-mail addresses; the team also sees addresses, the triage queue,
duplicates and the partnership pages; administrators manage accounts, syncs and records.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any

from fastapi import Depends, HTTPException, Request

from catherd.web.accounts import ROLES, User

# page -> the lowest role that may see it
PAGES = {
    "overview": "viewer", "contributors": "viewer", "person": "viewer",
    "organisations": "viewer", "newcomers": "viewer", "metrics": "viewer",
    "repositories": "viewer", "reports": "viewer", "supporters": "viewer",
    "releases": "viewer", "decisions": "viewer", "traffic": "viewer", "funnel": "viewer",
    "triage": "team", "duplicates": "team", "partners": "team", "priorities": "team",
    "prospects": "team", "records": "team", "team-report": "team", "funnel-care": "team",
    "sprints": "team",
    "admin": "admin",
}  # fmt: skip


def allowed(user: User | None, page: str, public: Container[str]) -> bool:
    """May ``user`` (None: an anonymous visitor) see ``page``?"""
    least = PAGES[page]
    if user is None:
        return least == "viewer" and page in public
    return ROLES.index(user.role) >= ROLES.index(least)


def guard(public: Container[str], current_user: Callable[..., User | None]) -> Callable[[str], Any]:
    """``guard(public, current_user)(page)``: a dependency that admits who may see ``page``
    and answers the others: anonymous visitors are sent to log in (401 for the API), a
    logged-in visitor without the role gets 403."""

    def access(page: str) -> Any:
        if page not in PAGES:
            raise KeyError(f"page {page!r} has no access rule")

        def check(request: Request, user: User | None = Depends(current_user)) -> User | None:
            if allowed(user, page, public):
                return user
            if user is None:
                api = request.url.path.startswith("/api/")
                raise HTTPException(
                    status_code=401 if api else 303,
                    headers={"Location": f"/login?next={request.url.path}"},
                )
            raise HTTPException(403, f"{PAGES[page]}s only")

        return check

    return access
