"""The decision log's pages (public by default): the list with its votes and inconsistencies,
and one decision in full. Names only, never an address; the same data is under ``/api/``."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from catherd.decisions.rules import DecisionRules
from catherd.decisions.status import CLASSES
from catherd.decisions.summary import decision_details, decision_log
from catherd.errors import InputError
from catherd.web.accounts import User
from catherd.web.site import Site


def register(site: Site) -> None:
    """Add ``/decisions``, ``/decisions/{repo}/{number}`` and their ``/api/`` twins."""
    app, board, render, page_access = site.app, site.board, site.render, site.access

    @app.get("/decisions", response_class=HTMLResponse)
    def decisions_page(
        request: Request, status: str = "", repo: str = "",
        user: User | None = Depends(page_access("decisions")),
    ) -> HTMLResponse:  # fmt: skip
        return render(request, "decisions.html.j2", user, **log_data(board, status, repo),
                      wanted=status, repo=repo, classes=CLASSES)  # fmt: skip

    @app.get("/api/decisions")
    def api_decisions(
        status: str = "", repo: str = "", user: User | None = Depends(page_access("decisions"))
    ) -> dict[str, Any]:
        """Decisions (with ``status``, in ``repo``), and their repositories' votes and
        inconsistencies; definitions in docs/decisions.md."""
        return log_data(board, status, repo)

    @app.get("/decisions/{repo}/{number}", response_class=HTMLResponse)
    def decision_page(
        request: Request, repo: str, number: int,
        user: User | None = Depends(page_access("decisions")),
    ) -> HTMLResponse:  # fmt: skip
        return render(request, "decision.html.j2", user, repo=repo,
                      documents=details_data(board, repo, number))  # fmt: skip

    @app.get("/api/decisions/{repo}/{number}")
    def api_decision(
        repo: str, number: int, user: User | None = Depends(page_access("decisions"))
    ) -> list[dict[str, Any]]:
        return details_data(board, repo, number)


def _rules(board: Any) -> DecisionRules:
    try:
        return DecisionRules.from_config(board.runner.config)
    except InputError as exc:
        raise HTTPException(500, str(exc)) from exc


def log_data(board: Any, status: str, repo: str) -> dict[str, Any]:
    rules, today = _rules(board), date.today()
    try:
        return board.cached(  # type: ignore[no-any-return]
            ("decisions", status, repo, today, rules),
            lambda store: decision_log(store, rules, today, status or None, repo or None),
        )
    except InputError as exc:
        raise HTTPException(404 if repo and "--repo" in str(exc) else 422, str(exc)) from exc


def details_data(board: Any, repo: str, number: int) -> list[dict[str, Any]]:
    rules, today = _rules(board), date.today()
    try:
        return board.cached(  # type: ignore[no-any-return]
            ("decision", repo, number, today, rules),
            lambda store: decision_details(store, number, rules, today, repo),
        )
    except InputError as exc:
        raise HTTPException(404, str(exc)) from exc
