"""The newcomer funnel's page (``/funnel``) and its API: how many newcomers reached each
stage, per cohort, with the funnel and cohort charts; the team also sees who is stuck now
and the mentors. The same functions as ``catherd newcomers funnel / stuck / mentors``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from catherd.community.funnel import (
    COHORTS,
    STAGES,
    Journey,
    funnel_window,
    journeys,
    newcomer_funnel,
    team_logins,
)
from catherd.community.mentors import mentors
from catherd.community.stuck import stuck_newcomers
from catherd.errors import InputError
from catherd.pipeline import team_references
from catherd.reports import charts
from catherd.store.database import Store
from catherd.web.accounts import User
from catherd.web.site import Site


def register(site: Site) -> None:
    """Add ``/funnel``, ``/api/funnel`` and the team's ``/api/funnel/stuck`` and
    ``/api/funnel/mentors``; the funnel is computed after each sync, before anyone asks."""
    app, board, render, page_access = site.app, site.board, site.render, site.access
    team = page_access("funnel-care")
    board.warm_ups.append(lambda: warm(board))

    @app.get("/funnel", response_class=HTMLResponse)
    def funnel_page(
        request: Request, by: str = "quarter",
        user: User | None = Depends(page_access("funnel")),
    ) -> HTMLResponse:  # fmt: skip
        data = funnel_data(board, by)
        care = care_data(board) if user and user.can("team") else None
        return render(request, "funnel.html.j2", user, by=by, cohorts_by=COHORTS,
                      stages=STAGES, care=care, **data)  # fmt: skip

    @app.get("/api/funnel")
    def api_funnel(
        by: str = "quarter", user: User | None = Depends(page_access("funnel"))
    ) -> dict[str, Any]:
        """Per cohort of first contact (``by``: month, quarter, year) in the default window:
        people, reached and stopped per stage, median days between stages."""
        return {k: v for k, v in funnel_data(board, by).items() if k != "charts"}

    @app.get("/api/funnel/stuck")
    def api_stuck(user: User = Depends(team)) -> list[dict[str, Any]]:
        """Newcomers stuck now (first pull request unreviewed 7 days, or closed without a
        word), with the reason and a suggested reviewer."""
        return care_data(board)["stuck"]

    @app.get("/api/funnel/mentors")
    def api_mentors(user: User = Depends(team)) -> list[dict[str, Any]]:
        """Who gave the window's newcomers their first comment or review, and how many
        stayed."""
        return care_data(board)["mentors"]


def _team(board: Any, store: Store) -> tuple[str, ...]:
    return team_logins(team_references(store, board.config))


def _everyone(board: Any, store: Store) -> list[Journey]:
    """Every subject's journey, read once per data version for the page's three parts."""
    return board.cached(  # type: ignore[no-any-return]
        ("journeys",), lambda handle: journeys(handle, _team(board, handle), include_team=True)
    )


def warm(board: Any) -> None:
    """Compute the page's default answers (after a sync, before anyone asks)."""
    funnel_data(board, "quarter")
    care_data(board)


def funnel_data(board: Any, by: str) -> dict[str, Any]:
    """The default window's funnel by ``by``, with its two charts, kept until the data
    changes."""
    if by not in COHORTS:
        raise HTTPException(422, f"by must be one of {', '.join(COHORTS)}")

    def compute(store: Store) -> dict[str, Any]:
        window = funnel_window(store)
        if window is None:
            return {"funnel": None, "charts": {}}
        data = newcomer_funnel(store, window, by, everyone=_everyone(board, store))
        return {"funnel": data, "charts": _charts(data)}

    try:
        return dict(board.cached(("funnel", by), compute))
    except InputError as exc:
        raise HTTPException(422, str(exc)) from exc


def care_data(board: Any) -> dict[str, Any]:
    """Who is stuck now and who mentors (team only: it names people and what they wait for)."""
    today = datetime.now(UTC).date()

    def compute(store: Store) -> dict[str, Any]:
        everyone = _everyone(board, store)
        window = funnel_window(store)
        return {"stuck": stuck_newcomers(store, datetime.now(UTC), everyone=everyone),
                "mentors": mentors(store, window, everyone=everyone) if window else []}  # fmt: skip

    return dict(board.cached(("funnel-care", today), compute))


def _charts(data: dict[str, Any]) -> dict[str, charts.Spec]:
    titles = dict(STAGES)
    everyone = data["all"]
    stages = [{"stage": titles[s], "people": n} for s, n in everyone["reached"].items()]
    shares = [
        {"cohort": c["cohort"].isoformat(),
         **{s: c["reached"][s] / c["people"] if c["people"] else None for s in titles}}
        for c in data["cohorts"]
    ]  # fmt: skip
    later = {s: titles[s] for s in list(titles)[1:]}
    return {
        "funnel": charts.fit_to_page(charts.ordered_bars(
            stages, "stage", "people", "How far the newcomers came", "people")),
        "cohorts": charts.fit_to_page(charts.line_chart(
            shares, "cohort", later, f"Share of each {data['by']}'s newcomers reaching a stage",
            "of the cohort", percent=True, by=data["by"])),
    }  # fmt: skip
