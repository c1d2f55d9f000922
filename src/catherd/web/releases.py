"""Releases and who to thank for each (public by default): the recent releases with their
counts, one release's credits, and the credits as text to paste."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response

from catherd.community.releases import Credits, ReleaseBook
from catherd.errors import CatherdError
from catherd.reports.credits import render_credits
from catherd.store.database import Store
from catherd.web.accounts import User
from catherd.web.site import Site
from catherd.web.state import Dashboard

RECENT_RELEASES = 25  # releases listed with their credits; older ones on request


def register(site: Site) -> None:
    app, board = site.app, site.board

    @app.get("/releases")
    @app.get("/api/releases")
    def releases(
        request: Request, user: User | None = Depends(site.access("releases"))
    ) -> Response:
        """Recent releases, newest first, with contributors and first-timers counted."""
        return site.answer(request, "releases.html.j2", user, releases_data(board))

    @app.get("/releases/{repository}/{tag}")
    @app.get("/api/releases/{repository}/{tag}")
    def release(
        request: Request, repository: str, tag: str,
        user: User | None = Depends(site.access("releases")),
    ) -> Response:  # fmt: skip
        """Who contributed to one release (names, first-timers, reviewers)."""
        credits = release_data(board, repository, tag)
        if request.url.path.startswith("/api/"):
            return site.answer(request, "", user, credits.to_json())
        return site.render(request, "release.html.j2", user, credits=credits,
                           text=render_credits(credits, "md", "list", None))  # fmt: skip

    @app.get("/releases/{repository}/{tag}/credits.{fmt}", response_class=PlainTextResponse)
    def release_text(
        repository: str, tag: str, fmt: str,
        user: User | None = Depends(site.access("releases")),
    ) -> Response:  # fmt: skip
        if fmt not in ("md", "rst"):
            raise HTTPException(404, "credits come as .md or .rst")
        text = render_credits(release_data(board, repository, tag), fmt, "list", None)
        return PlainTextResponse(text, media_type="text/plain; charset=utf-8")


def releases_data(board: Dashboard) -> list[dict[str, Any]]:
    """The most recent releases, newest first, with their counts."""

    def compute(store: Store) -> list[dict[str, Any]]:
        book = _book(board, store)
        recent = sorted(book.releases(), key=lambda r: r.tagged_at, reverse=True)
        return [book.credits(r, reviewers=False).summary() for r in recent[:RECENT_RELEASES]]

    return board.cached(("releases",), compute)


def release_data(board: Dashboard, repository: str, tag: str) -> Credits:
    def compute(store: Store) -> Credits:
        book = _book(board, store)
        return book.credits(book.find(tag, repository))

    try:
        return board.cached(("release", repository, tag), compute)
    except CatherdError as exc:
        raise HTTPException(404, str(exc)) from exc


def _book(board: Dashboard, store: Store) -> ReleaseBook:
    mailmap = board.config.mailmap
    return ReleaseBook(store, str(mailmap) if mailmap else None)
