"""What every page module registers with: the dashboard's state, who the visitor is, the
access rule, and one way to answer a resource as a page or as JSON.

A resource has one handler, registered at its page address and at its ``/api/`` twin;
``Site.answer`` renders the page's template for the first and returns the data as JSON for
the second (datasette's renderer is the model), so the two cannot disagree.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from catherd.metrics.runner import period_label
from catherd.web.access import guard
from catherd.web.accounts import User, session_user
from catherd.web.assets import CHARTS_URL
from catherd.web.auth import SESSION_COOKIE
from catherd.web.humane import age, human_number
from catherd.web.state import Dashboard
from catherd.web.throttle import client_address, is_trusted

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Every template is HTML: escape everything (starlette's default escapes only files named
# .html, and ours are .html.j2), since names and titles come from git and GitHub as typed.
TEMPLATES.env.autoescape = True
TEMPLATES.env.globals["charts_url"] = CHARTS_URL
# amounts as records hold them (decimal text): whole ones without decimals, others with two
TEMPLATES.env.filters["money"] = lambda value: (
    f"{Decimal(value):,.0f}" if Decimal(value) % 1 == 0 else f"{Decimal(value):,.2f}"
)
TEMPLATES.env.filters["age"] = age
TEMPLATES.env.filters["number"] = human_number


class Site:
    """One dashboard: the application, its state, and the helpers its pages share."""

    def __init__(self, app: FastAPI, board: Dashboard) -> None:
        self.app = app
        self.board = board
        self.access = guard(board.public, self.current_user)

    def current_user(self, request: Request) -> User | None:
        """The visitor's account, from the session their cookie names (None: anonymous)."""
        with self.board.handle() as store:
            return session_user(store, request.cookies.get(SESSION_COOKIE))

    def client(self, request: Request) -> str:
        """The visitor's address (behind a trusted proxy: the one it forwards)."""
        peer = request.client.host if request.client else "unknown"
        return client_address(peer, request.headers.get("x-forwarded-for"), self.board.trusted)

    def over_tls(self, request: Request) -> bool:
        peer = request.client.host if request.client else ""
        forwarded = request.headers.get("x-forwarded-proto", "")
        return request.url.scheme == "https" or (
            forwarded == "https" and is_trusted(peer, self.board.trusted)
        )

    def local_caller(self, request: Request) -> bool:
        """The CLI on this machine, with the token `catherd serve` wrote beside the store."""
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        token = self.board.local_token
        return bool(token and bearer) and secrets.compare_digest(bearer, token or "")

    def render(
        self, request: Request, template: str, user: User | None, status: int = 200,
        **context: Any,
    ) -> HTMLResponse:  # fmt: skip
        return TEMPLATES.TemplateResponse(
            request,
            template,
            {"user": user, "public": self.board.public, "period_label": period_label, **context},
            status_code=status,
        )

    def answer(
        self, request: Request, template: str, user: User | None, data: Any, **page: Any
    ) -> Response:
        """``data`` as JSON at an ``/api/`` address, else the page: ``template`` with the
        data's keys (or ``rows`` for a list) and ``page``'s extras (forms, charts)."""
        if request.url.path.startswith("/api/"):
            return JSONResponse(jsonable_encoder(data))
        context = data if isinstance(data, dict) else {"rows": data}
        return self.render(request, template, user, **context, **page)
