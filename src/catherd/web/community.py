"""The community pages added for release credits and people: releases with who to thank
(public), and the queue of probable duplicate people, where the team merges or keeps apart
with one click (recorded in the identity overrides file and in the audit log)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from catherd.community.releases import Credits, ReleaseBook
from catherd.errors import CatherdError
from catherd.identity.overrides import Overrides, record_distinct, record_merge
from catherd.identity.suggest import pending
from catherd.pipeline import decide
from catherd.reports.credits import render_credits
from catherd.store.database import Store
from catherd.web.auth import User, require_csrf

RECENT_RELEASES = 25  # releases listed with their credits; older ones on request
_DECISIONS = {"merge": (record_merge, "merge"), "distinct": (record_distinct, "keep apart")}


def register(
    app: FastAPI, board: Any, render: Callable[..., HTMLResponse], team: Any,
    page_access: Callable[[str], Any],
) -> None:  # fmt: skip
    """Add the pages and API calls (``team`` admits team members; ``page_access(name)``
    visitors allowed on a page, anonymous ones where it is public)."""

    @app.get("/releases", response_class=HTMLResponse)
    def releases_page(
        request: Request, user: User | None = Depends(page_access("releases"))
    ) -> HTMLResponse:
        return render(request, "releases.html.j2", user, releases=releases_data(board))

    @app.get("/api/releases")
    def api_releases(
        user: User | None = Depends(page_access("releases")),
    ) -> list[dict[str, Any]]:
        """Recent releases, newest first, with contributors and first-timers counted."""
        return releases_data(board)

    @app.get("/releases/{repository}/{tag}", response_class=HTMLResponse)
    def release_page(
        request: Request, repository: str, tag: str,
        user: User | None = Depends(page_access("releases")),
    ) -> HTMLResponse:  # fmt: skip
        credits = release_data(board, repository, tag)
        return render(request, "release.html.j2", user, credits=credits,
                      text=render_credits(credits, "md", "list", None))  # fmt: skip

    @app.get("/api/releases/{repository}/{tag}")
    def api_release(
        repository: str, tag: str, user: User | None = Depends(page_access("releases"))
    ) -> dict[str, Any]:
        """Who contributed to one release (names, first-timers, reviewers)."""
        return release_data(board, repository, tag).to_json()

    @app.get("/releases/{repository}/{tag}/credits.{fmt}", response_class=PlainTextResponse)
    def release_text(
        repository: str, tag: str, fmt: str,
        user: User | None = Depends(page_access("releases")),
    ) -> Response:  # fmt: skip
        if fmt not in ("md", "rst"):
            raise HTTPException(404, "credits come as .md or .rst")
        text = render_credits(release_data(board, repository, tag), fmt, "list", None)
        return PlainTextResponse(text, media_type="text/plain; charset=utf-8")

    @app.get("/duplicates", response_class=HTMLResponse)
    def duplicates_page(request: Request, user: User = Depends(team)) -> HTMLResponse:
        return render(request, "duplicates.html.j2", user, pairs=duplicates_data(board))

    @app.get("/api/duplicates")
    def api_duplicates(user: User = Depends(team)) -> list[dict[str, Any]]:
        """Probable duplicate people nobody decided about yet, with the evidence."""
        return duplicates_data(board)

    @app.post("/duplicates")
    def decide_duplicate(
        csrf: str = Form(""), action: str = Form(...), a: str = Form(...), b: str = Form(...),
        user: User = Depends(team),
    ) -> Response:  # fmt: skip
        """Merge two people, or keep them apart: recorded in the overrides file, logged."""
        require_csrf(user, csrf)
        if action not in _DECISIONS:
            raise HTTPException(422, "action must be merge or distinct")
        record, what = _DECISIONS[action]
        reason = f"decided on the dashboard by {user.username}"
        # the server is the store's one writer: never beside a running sync
        if not board.runner.lock.acquire(timeout=30):
            raise HTTPException(409, "a sync is running: try again when it has finished")
        try:
            with board.handle() as store:
                decide(store, board.runner.config, [a, b],
                       lambda path, refs: record(path, refs, reason), what,
                       actor=f"user:{user.username}")  # fmt: skip
        except CatherdError as exc:
            raise HTTPException(422, str(exc)) from exc
        finally:
            board.runner.lock.release()
        return RedirectResponse("/duplicates", status_code=303)


def releases_data(board: Any) -> list[dict[str, Any]]:
    """The most recent releases, newest first, with their counts."""
    return board.cached(("releases",), lambda store: _releases(board, store))


def _releases(board: Any, store: Store) -> list[dict[str, Any]]:
    book = _book(board, store)
    recent = sorted(book.releases(), key=lambda r: r.tagged_at, reverse=True)[:RECENT_RELEASES]
    return [book.credits(release, reviewers=False).summary() for release in recent]


def release_data(board: Any, repository: str, tag: str) -> Credits:
    def compute(store: Store) -> Credits:
        book = _book(board, store)
        return book.credits(book.find(tag, repository))

    try:
        return board.cached(("release", repository, tag), compute)
    except CatherdError as exc:
        raise HTTPException(404, str(exc)) from exc


def _book(board: Any, store: Store) -> ReleaseBook:
    mailmap = board.runner.config.mailmap
    return ReleaseBook(store, str(mailmap) if mailmap else None)


def duplicates_data(board: Any) -> list[dict[str, Any]]:
    """Pending suggestions, strongest first, with both people's names and identities."""

    def compute(store: Store) -> list[dict[str, Any]]:
        overrides = Overrides.load(board.runner.config.overrides)
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
