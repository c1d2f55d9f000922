"""The dashboard application: pages and ``/api/`` on one store connection (a cursor each).

Who sees what is one rule (web/access.py); each page module registers its resource once, at
its page address and its ``/api/`` twin (web/site.py); state shared by requests is in
web/state.py. The API's OpenAPI spec is at ``/api/openapi.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from catherd.config import Config
from catherd.web import (
    admin,
    decisions,
    digest,
    funnel,
    login,
    metrics,
    overview,
    partners,
    people,
    readers,
    releases,
    reports,
    repositories,
    sprints,
    traffic,
    triage,
)
from catherd.web.assets import CHARTS_URL, charts_bundle
from catherd.web.auth import SESSION_COOKIE
from catherd.web.site import Site
from catherd.web.state import Dashboard

DEFAULT_PUBLIC = ("overview", "metrics", "supporters", "releases", "decisions", "traffic")
PAGE_MODULES = (login, admin, overview, people, metrics, triage, repositories, reports,
                releases, partners, decisions, traffic, funnel, sprints, digest)  # fmt: skip
# Pages load scripts from here only; Vega compiles its expressions with Function(), hence
# 'unsafe-eval'; styles are inline in the templates.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def create_app(
    db: Path,
    public: tuple[str, ...] = DEFAULT_PUBLIC,
    triage: dict[str, Any] | None = None,
    config: Config | None = None,
) -> FastAPI:
    board = Dashboard(db, public, triage, config)
    app = FastAPI(title="catherd", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.state.board = board
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    site = Site(app, board)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        private = SESSION_COOKIE in request.cookies or "authorization" in request.headers
        if private or request.url.path == "/login":
            # what a logged-in visitor (or the local CLI) sees may be the team's: keep none
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Errors as pages for people and as JSON for the API; redirects as redirects."""
        headers = getattr(exc, "headers", None)
        if 300 <= exc.status_code < 400:
            return Response(status_code=exc.status_code, headers=headers)
        return _error(site, request, exc.status_code, str(exc.detail), headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()
        )
        return _error(site, request, 422, problems or "bad request")

    @app.get(CHARTS_URL, include_in_schema=False)
    def charts_script() -> Response:
        # the address changes with the script and its libraries: a browser may keep it for good
        headers = {"Cache-Control": "public, max-age=31536000, immutable"}
        return Response(charts_bundle(), media_type="text/javascript", headers=headers)

    for module in PAGE_MODULES:
        module.register(site)
    readers.register(app, board, site.local_caller)
    return app


def _error(
    site: Site, request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    if request.url.path.startswith("/api/") or "html" not in request.headers.get("accept", "html"):
        return JSONResponse(jsonable_encoder({"detail": message}), status, headers=headers)
    user = site.current_user(request) if SESSION_COOKIE in request.cookies else None
    return site.render(request, "error.html.j2", user, status, status_code=status, message=message)
