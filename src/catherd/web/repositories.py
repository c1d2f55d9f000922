"""The repositories the store holds: kind, branch, commits, last activity, last sync."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import Response

from catherd.store.inventory import status_data
from catherd.web.accounts import User
from catherd.web.site import Site


def register(site: Site) -> None:
    app, board = site.app, site.board

    @app.get("/repositories")
    @app.get("/api/repositories")
    def repositories(
        request: Request, user: User | None = Depends(site.access("repositories"))
    ) -> Response:
        """What the store holds, per repository: counts, last activity, sync state."""
        inventory = board.cached(("inventory",), status_data)
        return site.answer(request, "repositories.html.j2", user, inventory)
