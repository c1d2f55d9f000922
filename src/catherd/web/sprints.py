"""The sprints page (``/sprints``, team only: participants come as the records name them):
each recorded sprint with what it brought and whether its newcomers stayed, from the same
``sprint_outcomes`` as ``catherd sprint report``; admins add and edit sprints here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from catherd.community.funnel import team_logins
from catherd.community.sprints import SprintRules, sprint_outcomes, sprints
from catherd.errors import InputError
from catherd.pipeline import team_references
from catherd.store.database import Store
from catherd.web.accounts import User
from catherd.web.site import Site


def register(site: Site) -> None:
    """Add ``/sprints`` and ``/api/sprints`` (team only)."""
    app, board, render = site.app, site.board, site.render
    team = site.access("sprints")

    @app.get("/sprints", response_class=HTMLResponse)
    def sprints_page(request: Request, user: User = Depends(team)) -> HTMLResponse:
        return render(request, "sprints.html.j2", user, **sprints_data(board))

    @app.get("/api/sprints")
    def api_sprints(user: User = Depends(team)) -> dict[str, Any]:
        """Each sprint with its outcomes (pull requests, reviews, first-timers, retention of
        its newcomers against the others); definitions in docs/sprints.md."""
        return sprints_data(board)


def sprints_data(board: Any) -> dict[str, Any]:
    today = datetime.now(UTC).date()

    def compute(store: Store) -> dict[str, Any]:
        config = board.config
        try:
            rules = SprintRules.from_config(config)
        except InputError as exc:
            return {"sprints": [], "problem": str(exc)}
        team = team_logins(team_references(store, config))
        moment = datetime.now(UTC)
        return {"sprints": [sprint_outcomes(store, s, rules, moment, team)
                            for s in sprints(store)], "problem": None}  # fmt: skip

    return dict(board.cached(("sprints", today), compute))
