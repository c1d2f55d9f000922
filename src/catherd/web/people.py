"""People pages: contributors (filtered, sorted, a page at a time), one person, organisations,
newcomers, and the team's identity decisions (merge, keep apart, split) made with one click,
recorded in the identity overrides file and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from catherd.community.contributors import organisation_shares
from catherd.community.newcomers import list_newcomers
from catherd.community.people import PeopleQuery, list_people, person_profile
from catherd.community.periods import default_window
from catherd.errors import CatherdError
from catherd.identity.overrides import (
    Overrides,
    record_distinct,
    record_merge,
    record_split,
)
from catherd.identity.suggest import pending
from catherd.pipeline import decide
from catherd.reports import charts
from catherd.store.database import Store
from catherd.web.accounts import User
from catherd.web.auth import require_csrf
from catherd.web.site import Site
from catherd.web.state import Dashboard

PAGE_SIZE = 100


@dataclass(frozen=True)
class PeopleFilter:
    """The contributors page's and ``/api/people``'s query parameters."""

    q: str = ""  # part of a name
    sort: str = "contributions"  # contributions, name, first, last, organisation; "-" reverses
    org: str = ""  # contributed for this organisation
    repo: str = ""  # contributed to this repository
    newcomers: bool = False  # newcomers of the default window only
    page: int = 1


def _decision(kind: str, reason: str) -> tuple[Any, str]:
    """How to record a decision of ``kind`` in the overrides file, and what it is called."""
    if kind == "merge":
        return (lambda path, refs: record_merge(path, refs, reason)), "merge"
    if kind == "distinct":
        return (lambda path, refs: record_distinct(path, refs, reason)), "keep apart"
    if kind == "split":
        return (lambda path, refs: record_split(path, refs[0], reason)), "split"
    raise HTTPException(422, "the decision must be merge, distinct or split")


def register(site: Site) -> None:
    app, board = site.app, site.board

    @app.get("/contributors")
    @app.get("/api/people")
    def contributors(
        request: Request,
        filters: PeopleFilter = Depends(),
        user: User | None = Depends(site.access("contributors")),
    ) -> Response:
        """People with their contributions and main organisation, one page at a time."""
        team = bool(user and user.can("team"))
        rows, total = people_data(board, filters, with_emails=team)
        data = {"people": rows, "total": total, "page": filters.page, "page_size": PAGE_SIZE}
        if request.url.path.startswith("/api/"):
            return site.answer(request, "", user, rows)
        organisations = board.query("SELECT org_id, name FROM organisations ORDER BY name")
        repositories = [r["name"] for r in board.query("SELECT name FROM repositories ORDER BY 1")]
        return site.answer(request, "contributors.html.j2", user, data, filters=filters,
                           organisations=organisations, repositories=repositories)  # fmt: skip

    @app.get("/people/{person_id}")
    @app.get("/api/people/{person_id}")
    def person(
        request: Request, person_id: str, user: User | None = Depends(site.access("person"))
    ) -> Response:
        """One person: identities (and why they were merged), organisations over time, and
        contributions month by month."""
        data = person_data(board, person_id, with_emails=bool(user and user.can("team")))
        if data is None:
            raise HTTPException(404, "no such person")
        months = [{"month": t["month"].isoformat(), "contributions": t["contributions"]}
                  for t in data["timeline"]]  # fmt: skip
        spec = charts.bar_chart(months, "month", "contributions", "Contributions per month",
                                "contributions") if months else None  # fmt: skip
        return site.answer(request, "person.html.j2", user, data,
                           timeline_chart=charts.fit_to_page(spec) if spec else None)  # fmt: skip

    @app.get("/organisations")
    @app.get("/api/organisations")
    def organisations(
        request: Request, user: User | None = Depends(site.access("organisations"))
    ) -> Response:
        """Organisations by their share of all contributions (bots left out)."""
        rows = board.cached(("organisations",), lambda store: organisation_shares(store))
        return site.answer(request, "organisations.html.j2", user, rows)

    @app.get("/newcomers")
    @app.get("/api/newcomers")
    def newcomers(
        request: Request, user: User | None = Depends(site.access("newcomers"))
    ) -> Response:
        """The last twelve complete months' newcomers, newest first, and whether they came
        back (definitions: docs/metrics.md)."""
        return site.answer(request, "newcomers.html.j2", user, newcomers_data(board))

    @app.get("/duplicates")
    @app.get("/api/duplicates")
    def duplicates(
        request: Request, user: User | None = Depends(site.access("duplicates"))
    ) -> Response:
        """Probable duplicate people nobody decided about yet, with the evidence."""
        return site.answer(request, "duplicates.html.j2", user, duplicates_data(board))

    @app.post("/duplicates")
    def decide_duplicate(
        csrf: str = Form(""), action: str = Form(...), a: str = Form(...), b: str = Form(...),
        user: User | None = Depends(site.access("duplicates")),
    ) -> Response:  # fmt: skip
        """Merge two people, or keep them apart."""
        identity_decision(board, user, csrf, action, [a, b])
        return RedirectResponse("/duplicates", status_code=303)

    @app.post("/people/{person_id}/decide")
    def decide_about_person(
        person_id: str, csrf: str = Form(""), action: str = Form(...), other: str = Form(""),
        identity: str = Form(""), user: User | None = Depends(site.access("duplicates")),
    ) -> Response:  # fmt: skip
        """From a person's page: merge them with someone else, or split one identity off."""
        if action == "split":
            identity_decision(board, user, csrf, action, [identity])
        else:
            identity_decision(board, user, csrf, action, [person_id, other.strip()])
        return RedirectResponse(f"/people/{person_id}", status_code=303)


def identity_decision(
    board: Dashboard, user: User | None, csrf: str, action: str, texts: list[str]
) -> None:
    """Record a team member's decision (overrides file + audit log) and rebuild who is who.

    The server is the store's one writer: never beside a running sync.
    """
    require_csrf(user, csrf)
    assert user is not None  # the page's access rule admitted a team member
    record, what = _decision(action, f"decided on the dashboard by {user.username}")
    if any(not text for text in texts):
        raise HTTPException(422, "name the other person (a person id, an e-mail, Name <email>)")
    if not board.runner.lock.acquire(timeout=30):
        raise HTTPException(409, "a sync is running: try again when it has finished")
    try:
        with board.handle() as store:
            decide(store, board.config, texts, record, what, actor=f"user:{user.username}")
    except CatherdError as exc:
        raise HTTPException(422, str(exc)) from exc
    finally:
        board.runner.lock.release()


def people_data(
    board: Dashboard, filters: PeopleFilter, with_emails: bool
) -> tuple[list[dict[str, Any]], int]:
    """One page of people; ``org``/``repo`` keep those who contributed there, ``newcomers``
    the newcomers of the default window (community.newcomers)."""
    only = tuple(n["person_id"] for n in newcomers_data(board)) if filters.newcomers else None
    query = PeopleQuery(search=filters.q, sort=filters.sort, org=filters.org, repo=filters.repo,
                        only=only, addresses=with_emails, limit=PAGE_SIZE,
                        offset=PAGE_SIZE * (max(filters.page, 1) - 1))  # fmt: skip
    rows, total = board.cached(("people", query), lambda store: list_people(store, query))
    shown = [{k: v for k, v in row.items() if k != "forgotten"} for row in rows]
    for row in shown:
        if not with_emails:
            row.pop("primary_email")
    return shown, total


def person_data(board: Dashboard, person_id: str, with_emails: bool) -> dict[str, Any] | None:
    found = board.cached(("person", person_id), lambda store: person_profile(store, person_id))
    if found is None:
        return None
    data = {**found, "person": dict(found["person"])}
    role = _funded_role(board, person_id)
    data["person"]["team_role"] = role or ("team" if data["person"]["is_team"] else None)
    if not with_emails:
        data["person"].pop("primary_email")
        data["identities"] = [{k: v for k, v in i.items() if k != "email_key"}
                              for i in data["identities"]]  # fmt: skip
    return data


def _funded_role(board: Dashboard, person_id: str) -> str | None:
    """The person's role in the funded team's records, if they are a member."""
    from catherd.partners import book

    def compute(store: Store) -> dict[str, str]:
        return {row["person_id"]: row["role"] or "funded team"
                for row in book.team_rows(store, book.load(store)) if row["person_id"]}  # fmt: skip

    return board.cached(("funded-roles",), compute).get(person_id)


def newcomers_data(board: Dashboard) -> list[dict[str, Any]]:
    """The default window's newcomers, newest first, and whether they came back."""

    def compute(store: Store) -> list[dict[str, Any]]:
        window = default_window(store)
        return list_newcomers(store, window) if window else []

    return board.cached(("newcomers",), compute)


def duplicates_data(board: Dashboard) -> list[dict[str, Any]]:
    """Pending suggestions, strongest first, with both people's names and identities."""

    def compute(store: Store) -> list[dict[str, Any]]:
        overrides = Overrides.load(board.config.overrides)
        names = {r["person_id"]: r["display_name"] for r in store.rows(
            "SELECT person_id, display_name FROM people")}  # fmt: skip
        return [
            {"a": s.person_a, "b": s.person_b, "name_a": names.get(s.person_a),
             "name_b": names.get(s.person_b), "score": s.score, "evidence": s.evidence,
             "identities": [{k: i[k] for k in ("person_id", "name", "email_key", "login",
                                               "contributions")} for i in s.identities]}
            for s in pending(store.rows("SELECT * FROM identities"), overrides)
        ]  # fmt: skip

    return board.cached(("duplicates",), compute)
