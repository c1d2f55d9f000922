"""The foundation's pages, for the team only: partners and runway, priorities, prospects, the
records' audit log; administrators edit records through forms (checked like an import, and
logged under their name). Every page's data is also under ``/api/``.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from catherd.errors import InputError
from catherd.partners import book
from catherd.partners.accountability import supporters
from catherd.partners.funding import Funding, runway
from catherd.partners.priorities import flat, progress
from catherd.partners.prospects import prospects, write_csv
from catherd.partners.records import (
    KINDS,
    Agreement,
    Contact,
    Partner,
    Records,
    record_from_toml,
    record_toml,
)
from catherd.pipeline import refresh_identities
from catherd.reports import charts
from catherd.web.accounts import User
from catherd.web.auth import require_admin, require_csrf
from catherd.web.site import Site


def register(site: Site) -> None:
    """Add the pages and API calls (team pages; /supporters is public by default)."""
    app, board, render, page_access = site.app, site.board, site.render, site.access

    def funding() -> Funding:
        return Funding.of(board.runner.config)

    @app.get("/supporters", response_class=HTMLResponse)
    def supporters_page(
        request: Request, user: User | None = Depends(page_access("supporters"))
    ) -> HTMLResponse:
        return render(request, "supporters.html.j2", user, **supporters_data(board))

    @app.get("/api/supporters")
    def api_supporters(user: User | None = Depends(page_access("supporters"))) -> dict[str, Any]:
        return supporters_data(board)

    @app.get("/partners", response_class=HTMLResponse)
    def partners_page(
        request: Request, user: User = Depends(page_access("partners"))
    ) -> HTMLResponse:
        return render(request, "partners.html.j2", user, **partners_data(board, funding()))

    @app.get("/api/partners")
    def api_partners(user: User = Depends(page_access("partners"))) -> dict[str, Any]:
        data = partners_data(board, funding())
        data.pop("charts")
        return data

    @app.get("/priorities", response_class=HTMLResponse)
    def priorities_page(
        request: Request, user: User = Depends(page_access("priorities"))
    ) -> HTMLResponse:
        rows = priorities_data(board)
        return render(request, "priorities.html.j2", user, rows=rows, chart=progress_chart(rows))

    @app.get("/api/priorities")
    def api_priorities(user: User = Depends(page_access("priorities"))) -> list[dict[str, Any]]:
        return priorities_data(board)

    @app.get("/prospects", response_class=HTMLResponse)
    def prospects_page(
        request: Request, academic: bool = False,
        user: User = Depends(page_access("prospects")),
    ) -> HTMLResponse:  # fmt: skip
        return render(request, "prospects.html.j2", user, academic=academic,
                      rows=prospects_data(board, academic))  # fmt: skip

    @app.get("/api/prospects")
    def api_prospects(
        academic: bool = False, user: User = Depends(page_access("prospects"))
    ) -> list[dict[str, Any]]:
        """Organisations that contribute and fund nothing (universities with academic=true)."""
        return prospects_data(board, academic)

    @app.get("/prospects.csv")
    def prospects_csv(
        academic: bool = False, user: User = Depends(page_access("prospects"))
    ) -> Response:
        out = io.StringIO()
        write_csv(prospects_data(board, academic), out)
        disposition = 'attachment; filename="prospects.csv"'
        return Response(out.getvalue(), media_type="text/csv",
                        headers={"Content-Disposition": disposition})  # fmt: skip

    @app.get("/records/log", response_class=HTMLResponse)
    def records_log(request: Request, user: User = Depends(page_access("records"))) -> HTMLResponse:
        with board.handle() as store:
            rows = book.audit_log(store, 200)
        return render(request, "records_log.html.j2", user, rows=rows)

    @app.get("/api/records/log")
    def api_records_log(user: User = Depends(page_access("records"))) -> list[dict[str, Any]]:
        with board.handle() as store:
            return book.audit_log(store, 200)

    @app.get("/records/{kind}/{record_id}", response_class=HTMLResponse)
    def edit_form(
        request: Request, kind: str, record_id: str, user: User = Depends(page_access("records"))
    ) -> HTMLResponse:
        require_admin(user)
        _known(kind)
        with board.handle() as store:
            record = book.load(store).get(kind, record_id)
        if record is None and record_id != "new":
            raise HTTPException(404, f"no {kind} {record_id!r}")
        text = record_toml(record) if record else f'id = ""\n{_EXAMPLES[kind]}'
        return render(request, "record_edit.html.j2", user, kind=kind, record_id=record_id,
                      text=text, problems=[])  # fmt: skip

    @app.post("/records/{kind}/{record_id}", response_model=None)
    def edit(
        request: Request,
        kind: str,
        record_id: str,
        csrf: str = Form(""),
        text: str = Form(""),
        action: str = Form("save"),
        user: User = Depends(page_access("records")),
    ) -> Response:
        """Save (or remove) one record: checked with all the others, logged, all or nothing."""
        require_admin(user)
        require_csrf(user, csrf)
        _known(kind)
        record, problems = record_from_toml(kind, text)
        if not problems:
            try:
                with board.handle() as store:
                    current = book.load(store)
                    mine = dict(current.by_kind.get(kind, {}))
                    if record_id != "new":
                        mine.pop(record_id, None)
                    if action != "remove" and record is not None:
                        mine[record.id] = record
                    incoming = Records({**current.by_kind, kind: mine})
                    book.replace(store, incoming, (kind,), funding(), user.username, "dashboard")
                    if kind == "member":  # the funded team is the project's team
                        refresh_identities(store, board.runner.config)
            except InputError as exc:
                problems = str(exc).splitlines()[1:] or [str(exc)]
        if problems:
            return render(request, "record_edit.html.j2", user, 422, kind=kind,
                          record_id=record_id, text=text, problems=problems)  # fmt: skip
        return RedirectResponse(_AFTER_EDIT.get(kind, "/priorities"), 303)


_PARTNER_KINDS = ("partner", "agreement", "contact", "member")
_AFTER_EDIT = {**dict.fromkeys(_PARTNER_KINDS, "/partners"), "sprint": "/sprints"}
_EXAMPLES = {
    "partner": 'name = ""\nvisibility = "team"  # public, sponsors or team\n',
    "agreement": 'partner = ""\namount = 0\ncurrency = "EUR"\nstart = 2026-01-01\n'
    'end = 2026-12-31\nstatus = "prospect"  # prospect, negotiating, signed, renewed, lapsed\n',
    "contact": 'partner = ""\nname = ""\nrole = ""\n',
    "member": 'person = ""  # e-mail, Name <email>, github:login or a person id\nrole = ""\n'
    'fte = 1\nmonthly_cost = 0\ncurrency = "EUR"\nstart = 2026-01-01\n',
    "priority": 'title = ""\ncommunity = true\nsponsors = []\nlinks = []  # "owner/repo#12", '
    '"owner/repo label:NAME"\nstatus = "proposed"\n',
    "meeting": 'date = 2026-01-01\ntitle = ""\npartners = []\npriorities = []\n',
    "sprint": 'name = ""\nstart = 2026-01-01\nend = 2026-01-02\nplace = "online"\n'
    'mentors = []  # GitHub logins, e-mails or Name <email>\nparticipants = []\n'
    'labels = ["sprint"]  # what marks sprint work\n',
}


def _known(kind: str) -> None:
    if kind not in KINDS:
        raise HTTPException(404, f"no record kind {kind!r}")


def partners_data(board: Any, funding: Funding) -> dict[str, Any]:
    with board.handle() as store:
        records = book.load(store)
        team = book.team_rows(store, records)
    result = runway(records, funding, date.today())
    agreements = records.of(Agreement)
    names = {p.id: p.name for p in records.of(Partner)}
    months = [{**m, "month": m["month"].isoformat()} for m in result.months]
    flows = charts.line_chart(
        [{k: float(v) if k != "month" else v for k, v in m.items()} for m in months], "month",
        {"income_signed": "income, signed", "income_likely": "income, signed + likely",
         "costs": "team costs"},
        f"Income and team costs per month ({result.currency})", result.currency, by="month",
    )  # fmt: skip
    return {
        "partners": [
            {
                **p.model_dump(mode="json"),
                "agreements": [a.model_dump(mode="json") for a in agreements if a.partner == p.id],
                "contacts": [
                    c.model_dump(mode="json") for c in records.of(Contact) if c.partner == p.id
                ],
            }
            for p in records.of(Partner)
        ],
        "team": team,
        "runway": result.runway,
        "runs_out": {scenario: result.runs_out(scenario) for scenario in result.runway},
        # funded_by names an agreement or a partner: show the partner's name
        "funders": {
            **{p.id: p.name for p in records.of(Partner)},
            **{a.id: names.get(a.partner, a.partner) for a in agreements},
        },
        "months": months,
        "renewals": result.renewals,
        "currency": result.currency,
        "charts": {"flows": charts.fit_to_page(flows)},
    }


def supporters_data(board: Any) -> dict[str, Any]:
    """The public account: who supports the project now and before, and the public
    priorities with their progress. Nothing marked sponsors or team, no amount, no contact."""
    with board.handle() as store:
        records = book.load(store)
        work = progress(store, records)
    partners = {p.id: p for p in records.of(Partner)}
    priorities = []
    for row in work:
        priority = row["priority"]
        if priority.visibility != "public":
            continue
        asked = [partners[s].name for s in priority.sponsors
                 if s in partners and partners[s].visibility == "public"]  # fmt: skip
        done = row["issues_closed"] + row["pulls_merged"]
        total = done + row["issues_open"] + row["pulls_open"]
        priorities.append({"title": priority.title, "status": priority.status,
                           "target": priority.target, "community": priority.community,
                           "asked_by": asked, "done": done, "total": total})  # fmt: skip
    return {**supporters(records, date.today(), "public"), "priorities": priorities}


def priorities_data(board: Any) -> list[dict[str, Any]]:
    with board.handle() as store:
        records = book.load(store)
        rows = flat(progress(store, records))
    names = {p.id: p.name for p in records.of(Partner)}
    return [{**row, "sponsor_names": [names.get(s, s) for s in row["sponsors"]]} for row in rows]


def progress_chart(rows: list[dict[str, Any]]) -> charts.Spec | None:
    """Per month, the share of each priority's linked items that were done by its end."""
    by_month: dict[str, dict[str, Any]] = {}
    for row in rows:
        for point in row["timeline"]:
            month = by_month.setdefault(point["month"], {"month": point["month"]})
            month[row["id"]] = point["done"] / point["linked"] if point["linked"] else None
    if not by_month:
        return None
    series = {row["id"]: row["title"] for row in rows if row["timeline"]}
    months = sorted(by_month.values(), key=lambda m: m["month"])
    title = "Linked work done, by priority"
    spec = charts.line_chart(months, "month", series, title, "done", percent=True, by="month")
    return charts.fit_to_page(spec)


def prospects_data(board: Any, academic: bool = False) -> list[dict[str, Any]]:
    with board.handle() as store:
        return prospects(store, book.load(store), academic=academic)
