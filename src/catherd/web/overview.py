"""The home page: the day's work for the team, and the project's pulse for everyone.

For the team: what needs a reply (oldest first), newcomers waiting for a first review,
reviewers asked for more than they usually give, probable duplicate people waiting for a
decision, renewals due and the months of runway. For everyone: the month's health against
the month before, the totals and the contributors trend. Every figure says its period; each
comes from a domain function (triage, community, partners), so the other pages agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from catherd.community.health import month_health
from catherd.metrics import Params
from catherd.reports import charts
from catherd.reports.community import contributors_chart, contributors_trend
from catherd.store.database import Store
from catherd.store.inventory import totals
from catherd.triage.queue import QueueFilter, TriageRules, triage_queue
from catherd.triage.reviewers import reviewers_over_load
from catherd.web.accounts import User
from catherd.web.metrics import params_of
from catherd.web.people import duplicates_data
from catherd.web.site import Site
from catherd.web.state import Dashboard

NEEDS_REPLY = 8  # items the home page lists; the triage page has them all
WAITING_NEWCOMERS = ("no-response", "awaiting-review")


def register(site: Site) -> None:
    app, board = site.app, site.board
    default = Params(by="quarter")
    board.warm_ups += [
        lambda: overview_data(board, default),
        lambda: overview_data(board, default, chart=False),
        lambda: today_data(board),
    ]

    @app.get("/")
    @app.get("/api/overview")
    def overview(
        request: Request, by: str = "quarter", user: User | None = Depends(site.access("overview"))
    ) -> Response:
        """The month's health against the month before, totals and the contributors trend;
        for the team, the day's work too."""
        api = request.url.path.startswith("/api/")
        data = overview_data(board, params_of(by), chart=not api)
        if user and user.can("team"):
            data = {**data, "today": today_data(board)}
        return site.answer(request, "overview.html.j2", user, data, by=by)


def overview_data(board: Dashboard, params: Params, chart: bool = True) -> dict[str, Any]:
    """Headline totals, the month's health and the contributors trend (and its chart)."""

    def compute(store: Store) -> dict[str, Any]:
        trend = contributors_trend(store, params)
        data: dict[str, Any] = {"totals": totals(store), "trend": trend,
                                "health": month_health(store)}  # fmt: skip
        if chart:  # pages only: the API gives the numbers, not a picture
            spec = contributors_chart(trend, params.by) if trend else None
            data["charts"] = {"contributors": charts.fit_to_page(spec) if spec else None}
        return data

    return board.cached(("overview", params, chart), compute)


def today_data(board: Dashboard) -> dict[str, Any]:
    """The day's work for the team, as of now (kept until the data or the day changes)."""
    now = datetime.now(UTC)

    def compute(store: Store) -> dict[str, Any]:
        rules = TriageRules.from_config(board.triage)
        oldest = triage_queue(store, rules, now, NEEDS_REPLY, QueueFilter(), order="oldest")
        first = triage_queue(store, rules, now, 200)
        waiting = [r for r in first if r["newcomer"] and r["reason"] in WAITING_NEWCOMERS]
        return {
            "as_of": now,
            "needs_reply": oldest,
            "queue_size": len(triage_queue(store, rules, now)),
            "newcomers_waiting": waiting[:NEEDS_REPLY],
            "overloaded": reviewers_over_load(store, now),
            "funding": _funding(board, store, now.date()),
        }

    data = board.cached(("today", now.date()), compute)
    return {**data, "duplicates": len(duplicates_data(board))}


def _funding(board: Dashboard, store: Store, today: date) -> dict[str, Any] | None:
    """Months of runway, when the money runs out, and renewals due (None without records)."""
    from catherd.partners import book
    from catherd.partners.funding import Funding, runway

    records = book.load(store)
    if not records.by_kind:
        return None
    result = runway(records, Funding.of(board.config), today, renewal_days=60)
    return {
        "months": result.runway,
        "runs_out": {scenario: result.runs_out(scenario) for scenario in result.runway},
        "renewals": result.renewals,
        "currency": result.currency,
    }
