"""The dashboard application: pages and ``/api/`` on one store connection (a cursor each).

Who sees what: anonymous visitors see the pages named public in ``[web] public`` (default:
the overview, the metrics explorer, the supporters, releases, the decision log and traffic),
with names but never e-mail addresses; viewers see every community page; the team also sees
addresses, the triage queue and the partnership pages (``web/partners.py``), which admins
edit. The API answers the same data as the pages under the same rules (its OpenAPI spec is
at ``/api/openapi.json``).
"""

from __future__ import annotations

import csv
import io
import secrets
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from catherd.community.newcomers import list_newcomers
from catherd.community.periods import default_window
from catherd.config import Config
from catherd.errors import InputError
from catherd.metrics import REGISTRY, Params
from catherd.metrics.runner import period_label, run_metric
from catherd.reports import charts
from catherd.reports.community import contributors_chart, contributors_trend, write_report
from catherd.store.database import Store
from catherd.store.inventory import status_data
from catherd.triage.queue import TriageRules, triage_queue
from catherd.triage.reviewers import gini
from catherd.web import community as community_pages
from catherd.web import decisions as decision_pages
from catherd.web import digest as digest_pages
from catherd.web import partners as partner_pages
from catherd.web import readers
from catherd.web import traffic as traffic_pages
from catherd.web.accounts import (
    SESSION_SECONDS,
    User,
    add_user,
    change_account,
    check_password,
    end_session,
    known_address,
    list_accounts,
    open_session,
    session_user,
)
from catherd.web.assets import CHARTS_URL, charts_bundle
from catherd.web.auth import (
    LOGIN_COOKIE,
    LOGIN_FORM_SECONDS,
    SESSION_COOKIE,
    LoginForms,
    require_admin,
    require_csrf,
)
from catherd.web.syncing import SyncRunner
from catherd.web.throttle import LoginThrottle, client_address, is_trusted, trusted_networks

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Every template is HTML: escape everything (starlette's default escapes only files named
# .html, and ours are .html.j2), since names and titles come from git and GitHub as typed.
TEMPLATES.env.autoescape = True
TEMPLATES.env.globals["charts_url"] = CHARTS_URL
# amounts as records hold them (decimal text): whole ones without decimals, others with two
TEMPLATES.env.filters["money"] = lambda value: (
    f"{Decimal(value):,.0f}" if Decimal(value) % 1 == 0 else f"{Decimal(value):,.2f}"
)
DEFAULT_PUBLIC = ("overview", "metrics", "supporters", "releases", "decisions", "traffic")
# Pages load scripts from here only; Vega compiles its expressions with Function(), hence
# 'unsafe-eval'; styles are inline in the templates.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
CACHE_ENTRIES = 256  # metric answers kept per server (a few kB each)
T = TypeVar("T")


class Dashboard:
    """State shared by requests: the store, the login form signer, the login throttle."""

    def __init__(
        self,
        db: Path,
        public: tuple[str, ...] = DEFAULT_PUBLIC,
        triage: dict[str, Any] | None = None,
        config: Config | None = None,
    ) -> None:
        # The server is the store's one writer while it runs (see web/syncing.py).
        self.store = Store(db)
        self.runner = SyncRunner(
            self.store, config or Config(root=db.parent, db=db), after=self.prepare
        )
        self.local_token: str | None = None  # set by `catherd serve` for CLI-requested syncs
        secret = self.store.scalar("SELECT value FROM meta WHERE key = 'web_secret'")
        if not secret:
            raise InputError(f"{db}: this store has no web secret (open it once with catherd 2)")
        self.login_forms = LoginForms(str(secret))
        self.throttle = LoginThrottle()
        self.trusted = trusted_networks(self.runner.config.web.get("trusted_proxies"))
        self.public = set(public)
        self.triage = triage or {}
        self._cache: OrderedDict[tuple[int, Hashable], Any] = OrderedDict()
        self._cache_lock = threading.Lock()

    @contextmanager
    def handle(self) -> Iterator[Store]:
        """A handle of its own for one request: a DuckDB connection is not safe to share
        between threads, its cursors are."""
        handle = Store.on_cursor(self.store)
        try:
            yield handle
        finally:
            handle.close()

    def prepare(self) -> None:
        """Compute the answers asked for first (the overview, the metrics explorer's default,
        the report), so that the first visitor after a sync does not wait for them."""
        default = Params(by="quarter")
        overview_data(self, default)
        overview_data(self, default, chart=False)
        metric_data(self, "active_contributors", default)
        report_texts(self, default)

    def query(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        with self.handle() as handle:
            return handle.rows(sql, params)

    def cached(self, key: Hashable, compute: Callable[[Store], T]) -> T:
        """``compute(store)``, remembered until the store's data changes.

        The version and the computation read one snapshot, so an answer is never filed
        under a version it was not computed from. Callers must not modify what they get.
        """
        with self.handle() as handle:
            handle.con.execute("BEGIN TRANSACTION")
            try:
                entry = (handle.data_version(), key)
                with self._cache_lock:
                    if entry in self._cache:
                        self._cache.move_to_end(entry)
                        return cast(T, self._cache[entry])
                value = compute(handle)
            finally:
                handle.con.execute("ROLLBACK")
        with self._cache_lock:
            self._cache[entry] = value
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return value


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

    @app.get(CHARTS_URL, include_in_schema=False)
    def charts_script() -> Response:
        # the address changes with the script and its libraries: a browser may keep it for good
        headers = {"Cache-Control": "public, max-age=31536000, immutable"}
        return Response(charts_bundle(), media_type="text/javascript", headers=headers)

    def current_user(request: Request) -> User | None:
        with board.handle() as store:
            return session_user(store, request.cookies.get(SESSION_COOKIE))

    def client(request: Request) -> str:
        peer = request.client.host if request.client else "unknown"
        return client_address(peer, request.headers.get("x-forwarded-for"), board.trusted)

    def over_tls(request: Request) -> bool:
        peer = request.client.host if request.client else ""
        forwarded = request.headers.get("x-forwarded-proto", "")
        return request.url.scheme == "https" or (
            forwarded == "https" and is_trusted(peer, board.trusted)
        )

    def page_access(name: str) -> Any:
        def check(request: Request, user: User | None = Depends(current_user)) -> User | None:
            if name not in board.public and user is None:
                raise HTTPException(
                    status_code=401 if request.url.path.startswith("/api/") else 303,
                    headers={"Location": f"/login?next={request.url.path}"},
                )
            return user

        return check

    def render(
        request: Request, template: str, user: User | None, status: int = 200, **context: Any
    ) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(
            request,
            template,
            {"user": user, "public": board.public, "period_label": period_label, **context},
            status_code=status,
        )

    # -- pages ----------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def overview(
        request: Request, by: str = "quarter", user: User | None = Depends(page_access("overview"))
    ) -> HTMLResponse:
        data = overview_data(board, _params(by=by))
        return render(request, "overview.html.j2", user, **data)

    @app.get("/contributors", response_class=HTMLResponse)
    def contributors(
        request: Request,
        filters: PeopleFilter = Depends(),
        user: User | None = Depends(page_access("contributors")),
    ) -> HTMLResponse:
        rows = people_data(board, filters, with_emails=bool(user and user.can("team")))
        return render(
            request, "contributors.html.j2", user, people=rows, **asdict(filters),
            repositories=repository_names(board),
            organisations=board.query("SELECT org_id, name FROM organisations ORDER BY name"),
        )  # fmt: skip

    @app.get("/people/{person_id}", response_class=HTMLResponse)
    def person(
        request: Request, person_id: str, user: User | None = Depends(page_access("person"))
    ) -> HTMLResponse:
        data = person_data(board, person_id, with_emails=bool(user and user.can("team")))
        if data is None:
            raise HTTPException(404, "no such person")
        return render(request, "person.html.j2", user, **data)

    @app.get("/metrics", response_class=HTMLResponse)
    def metrics_page(
        request: Request,
        name: str = "active_contributors",
        params: Params = Depends(metric_params),
        user: User | None = Depends(page_access("metrics")),
    ) -> HTMLResponse:
        rows, spec = metric_data(board, name, params)
        rows = [
            {
                k: period_label(date.fromisoformat(v), params.by) if k == "period" else v
                for k, v in r.items()
            }
            for r in rows
        ]
        return render(
            request,
            "metrics.html.j2",
            user,
            metrics=REGISTRY,
            name=name,
            by=params.by,
            since=params.since.isoformat() if params.since else "",
            until=params.until.isoformat() if params.until else "",
            repo=params.repository or "",
            repositories=repository_names(board),
            rows=rows,
            chart_spec=spec,
        )

    @app.get("/metrics.csv")
    def metrics_csv(
        name: str,
        params: Params = Depends(metric_params),
        user: User | None = Depends(page_access("metrics")),
    ) -> Response:
        rows, _ = metric_data(board, name, params, chart=False)
        out = io.StringIO()
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )

    @app.get("/organisations", response_class=HTMLResponse)
    def organisations(
        request: Request, user: User | None = Depends(page_access("organisations"))
    ) -> HTMLResponse:
        return render(request, "organisations.html.j2", user, rows=organisations_data(board))

    @app.get("/newcomers", response_class=HTMLResponse)
    def newcomers(
        request: Request, user: User | None = Depends(page_access("newcomers"))
    ) -> HTMLResponse:
        return render(request, "newcomers.html.j2", user, rows=newcomers_data(board))

    def team_access(request: Request, user: User | None = Depends(current_user)) -> User:
        """The team's pages (triage) name people and what they owe: team members only."""
        if user is None:
            status = 401 if request.url.path.startswith("/api/") else 303
            raise HTTPException(status, headers={"Location": f"/login?next={request.url.path}"})
        if not user.can("team"):
            raise HTTPException(403, "team members only")
        return user

    partner_pages.register(app, board, render, team_access, page_access)
    community_pages.register(app, board, render, team_access, page_access)
    decision_pages.register(app, board, render, page_access)
    traffic_pages.register(app, board, render, page_access)
    digest_pages.register(app, board, render, page_access)

    @app.get("/triage", response_class=HTMLResponse)
    def triage_page(request: Request, user: User = Depends(team_access)) -> HTMLResponse:
        return render(request, "triage.html.j2", user, **triage_data(board))

    @app.get("/api/triage")
    def api_triage(user: User = Depends(team_access)) -> dict[str, Any]:
        """What needs a person today (newcomers first), and how the review load is spread."""
        return triage_data(board)

    @app.get("/repositories", response_class=HTMLResponse)
    def repositories(
        request: Request, user: User | None = Depends(page_access("repositories"))
    ) -> HTMLResponse:
        with board.handle() as store:
            inventory = status_data(store)
        return render(request, "repositories.html.j2", user, inventory=inventory)

    @app.get("/api/organisations")
    def api_organisations(
        user: User | None = Depends(page_access("organisations")),
    ) -> list[dict[str, Any]]:
        return organisations_data(board)

    @app.get("/api/newcomers")
    def api_newcomers(
        user: User | None = Depends(page_access("newcomers")),
    ) -> list[dict[str, Any]]:
        return newcomers_data(board)

    @app.get("/api/repositories")
    def api_repositories(
        user: User | None = Depends(page_access("repositories")),
    ) -> dict[str, Any]:
        with board.handle() as store:
            return status_data(store)

    @app.get("/reports", response_class=HTMLResponse)
    def reports(
        request: Request, user: User | None = Depends(page_access("reports"))
    ) -> HTMLResponse:
        return render(request, "reports.html.j2", user)

    @app.get("/reports/community.{fmt}")
    def report_file(
        fmt: str, by: str = "quarter", since: str | None = None, until: str | None = None,
        user: User | None = Depends(page_access("reports")),
    ) -> Response:  # fmt: skip
        """The community report (HTML with inline charts, or Markdown), as of the last sync."""
        if fmt not in ("html", "md"):
            raise HTTPException(404, "reports come as .html or .md")
        audience = "team" if user and user.can("team") else "public"
        text = report_texts(board, _params(by, since, until), audience)[fmt]
        media = "text/html" if fmt == "html" else "text/markdown"
        disposition = f'attachment; filename="community-report.{fmt}"'
        return Response(text, media_type=media, headers={"Content-Disposition": disposition})

    # -- administration -------------------------------------------------------------------
    def local_caller(request: Request) -> bool:
        """The CLI on this machine, with the token `catherd serve` wrote beside the store."""
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return bool(board.local_token and bearer) and secrets.compare_digest(
            bearer, board.local_token or ""
        )

    readers.register(app, board, local_caller)

    @app.get("/admin", response_class=HTMLResponse)
    def admin(request: Request, user: User | None = Depends(current_user)) -> HTMLResponse:
        if user is None:
            raise HTTPException(303, headers={"Location": "/login?next=/admin"})
        require_admin(user)
        with board.handle() as store:
            accounts = list_accounts(store)
        return render(request, "admin.html.j2", user, sync=board.runner.state, accounts=accounts)

    @app.post("/admin/sync")
    def admin_sync(csrf: str = Form(""), user: User | None = Depends(current_user)) -> Response:
        admin_user = require_admin(user)
        require_csrf(admin_user, csrf)
        board.runner.start(f"user:{admin_user.username}")
        return RedirectResponse("/admin", status_code=303)

    @app.post("/admin/users")
    def admin_users(
        request: Request,
        csrf: str = Form(""),
        username: str = Form(...),
        action: str = Form("add"),
        role: str = Form("viewer"),
        password: str = Form(""),
        user: User | None = Depends(current_user),
    ) -> Response:
        """Add an account, or disable / enable one or change its role (never the
        administrator's own: that could leave nobody to undo it) or password."""
        admin_user = require_admin(user)
        require_csrf(admin_user, csrf)
        account_change(admin_user.username, username, action, role, password)
        return RedirectResponse("/admin", status_code=303)

    def account_change(by: str | None, username: str, action: str, role: str, password: str) -> str:
        """``by``: the administrator asking (None: the store's owner, through the CLI)."""
        if username == by and action in ("disable", "enable", "role"):
            raise HTTPException(422, f"cannot {action} your own account here")
        try:
            with board.handle() as handle:
                if action == "add":
                    add_user(handle, username, password, role)
                    return f"account {username} ({role}) saved"
                return change_account(handle, username, action, role, password)
        except InputError as exc:
            raise HTTPException(422, str(exc)) from exc

    @app.post("/api/admin/users/{username}")
    def api_account(
        username: str, request: Request, change: AccountChange,
        user: User | None = Depends(current_user),
    ) -> dict[str, str]:  # fmt: skip
        """Add an account, or disable, enable, change the role or the password of one (the
        CLI's `catherd users` while the dashboard holds the store, or an administrator)."""
        by = None
        if not local_caller(request):
            by = require_admin(user).username
            require_csrf(user, request.headers.get("x-csrf-token", ""))
        answer = account_change(by, username, change.action, change.role, change.password)
        return {"message": answer}

    @app.post("/api/admin/sync", status_code=202)
    def api_sync(request: Request, user: User | None = Depends(current_user)) -> dict[str, Any]:
        if local_caller(request):
            who = "cli"
        else:
            admin_user = require_admin(user)
            # a session cookie alone is not enough for a state change: the CSRF token too
            require_csrf(admin_user, request.headers.get("x-csrf-token", ""))
            who = f"user:{admin_user.username}"
        started = board.runner.start(who)
        return {"started": started, **board.runner.state}

    @app.get("/api/admin/sync")
    def api_sync_state(
        request: Request, user: User | None = Depends(current_user)
    ) -> dict[str, Any]:
        if not local_caller(request):
            require_admin(user)
        return dict(board.runner.state)

    # -- login ----------------------------------------------------------------------------
    def login_page(
        request: Request, next: str, error: str | None = None, status: int = 200
    ) -> HTMLResponse:
        """The form, with a token matching a nonce in a cookie (see web/auth.py)."""
        nonce = request.cookies.get(LOGIN_COOKIE) or board.login_forms.nonce()
        page = render(request, "login.html.j2", current_user(request), status, next=next,
                      error=error, login_token=board.login_forms.token(nonce))  # fmt: skip
        page.set_cookie(LOGIN_COOKIE, nonce, max_age=LOGIN_FORM_SECONDS, path="/login",
                        httponly=True, samesite="lax", secure=over_tls(request))  # fmt: skip
        return page

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return login_page(request, next)

    @app.post("/login")
    def login(
        request: Request,
        username: str = Form(...),
        password: str = Form(...),
        next: str = Form("/"),
        csrf: str = Form(""),
    ) -> Response:
        if not board.login_forms.valid(csrf, request.cookies.get(LOGIN_COOKIE)):
            return login_page(request, next, "The form had expired: please log in again.", 403)
        address = client(request)
        wait = board.throttle.wait(address, username)
        if wait > 0:
            return PlainTextResponse(
                f"too many failed logins from your address: try again in {wait:.0f} s",
                status_code=429, headers={"Retry-After": str(int(wait) + 1)},
            )  # fmt: skip
        with board.handle() as store:
            if board.throttle.locked(username) and not known_address(store, username, address):
                # a guess spread over many addresses: only addresses that logged in before
                return PlainTextResponse(
                    "too many failed logins for this account lately: log in from an address "
                    "you used before, or try again in 15 minutes", status_code=429,
                )  # fmt: skip
            role = check_password(store, username, password)
            if role is None:
                board.throttle.failed(address, username)
                return login_page(request, next, "Unknown user or wrong password.", 401)
            board.throttle.succeeded(address, username)
            session_id = open_session(store, username, role, address)
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, session_id, max_age=SESSION_SECONDS, httponly=True,
                            samesite="lax", secure=over_tls(request))  # fmt: skip
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @app.post("/logout")
    def logout(
        request: Request, csrf: str = Form(""), user: User | None = Depends(current_user)
    ) -> Response:
        require_csrf(user, csrf)
        with board.handle() as store:
            end_session(store, request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # -- API ------------------------------------------------------------------------------
    @app.get("/api/metrics")
    def api_metrics(user: User | None = Depends(page_access("metrics"))) -> list[dict[str, Any]]:
        return [m.describe() for m in REGISTRY.values()]

    @app.get("/api/metrics/{name}")
    def api_metric(
        name: str,
        params: Params = Depends(metric_params),
        user: User | None = Depends(page_access("metrics")),
    ) -> dict[str, Any]:
        rows, _ = metric_data(board, name, params, chart=False)
        return {"metric": name, "by": params.by, "repository": params.repository, "rows": rows}

    @app.get("/api/overview")
    def api_overview(
        by: str = "quarter", user: User | None = Depends(page_access("overview"))
    ) -> dict[str, Any]:
        return overview_data(board, _params(by=by), chart=False)

    @app.get("/api/people")
    def api_people(
        filters: PeopleFilter = Depends(),
        user: User | None = Depends(page_access("contributors")),
    ) -> list[dict[str, Any]]:
        return people_data(board, filters, with_emails=bool(user and user.can("team")))

    @app.get("/api/people/{person_id}")
    def api_person(
        person_id: str, user: User | None = Depends(page_access("person"))
    ) -> dict[str, Any]:
        data = person_data(board, person_id, with_emails=bool(user and user.can("team")))
        if data is None:
            raise HTTPException(404, "no such person")
        return data

    return app


def _params(
    by: str = "quarter", since: str | None = None, until: str | None = None, repo: str | None = None
) -> Params:
    try:
        return Params(
            since=date.fromisoformat(since) if since else None,
            until=date.fromisoformat(until) if until else None,
            by=by,
            repository=repo or None,
        )
    except (ValueError, InputError) as exc:
        raise HTTPException(422, str(exc)) from exc


def metric_params(
    by: str = "quarter", since: str | None = None, until: str | None = None, repo: str = ""
) -> Params:
    """The period, window and repository a metric is asked for (query parameters)."""
    return _params(by, since, until, repo)


Rows = list[dict[str, Any]]


class AccountChange(BaseModel):
    """``POST /api/admin/users/{username}``: add (with role and password), disable, enable,
    role or password."""

    action: str
    role: str = ""
    password: str = ""


def triage_data(board: Dashboard) -> dict[str, Any]:
    """The triage queue as of now, the review load per reviewer and its Gini coefficient."""
    rules = TriageRules.from_config(board.triage)
    with board.handle() as store:
        queue = triage_queue(store, rules, datetime.now(UTC), limit=100)
        load = run_metric(store, "review_load", Params())
    return {"queue": queue, "load": load, "gini": gini([r["reviews"] for r in load])}


def report_texts(board: Dashboard, params: Params, audience: str = "public") -> dict[str, str]:
    """The community report's HTML and Markdown for ``params``, for ``audience``."""
    return board.cached(
        ("report", params, audience), lambda store: _write_report(board, store, params, audience)
    )


def _write_report(board: Dashboard, store: Store, params: Params, audience: str) -> dict[str, str]:
    config = board.runner.config
    with tempfile.TemporaryDirectory() as folder:
        write_report(store, Path(folder), config.project_name, params, audience,
                     config.overrides, config.mailmap)  # fmt: skip
        return {
            "html": (Path(folder) / "index.html").read_text(encoding="utf-8"),
            "md": (Path(folder) / "report.md").read_text(encoding="utf-8"),
        }


def metric_data(
    board: Dashboard, name: str, params: Params, chart: bool = True
) -> tuple[Rows, charts.Spec | None]:
    """A metric's rows (dates as ISO text) and, for pages, its chart."""
    if name not in REGISTRY:
        raise HTTPException(404, f"unknown metric {name!r}")
    try:
        key = ("metric", name, params, chart)
        return board.cached(key, lambda store: _metric_answer(store, name, params, chart))
    except InputError as exc:
        raise HTTPException(422, str(exc)) from exc


def _metric_answer(
    store: Store, name: str, params: Params, chart: bool
) -> tuple[Rows, charts.Spec | None]:
    rows = [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
        for r in run_metric(store, name, params)
    ]
    if not chart or not rows or "period" not in rows[0]:
        return rows, None
    numeric = [k for k, v in rows[0].items() if isinstance(v, int | float) and k != "period"]
    if not numeric:
        return rows, None
    # the metric's headline column: other columns have other units (counts beside shares)
    label = numeric[0].replace("_", " ")
    title = REGISTRY[name].title
    spec = charts.line_chart(rows, "period", {numeric[0]: label}, title, label)
    return rows, charts.fit_to_page(spec)


def overview_data(board: Dashboard, params: Params, chart: bool = True) -> dict[str, Any]:
    """Headline totals and the contributors trend (and its chart, for the page)."""
    return board.cached(("overview", params, chart), lambda store: _overview(store, params, chart))


def _overview(store: Store, params: Params, chart: bool) -> dict[str, Any]:
    trend = contributors_trend(store, params)
    totals = store.rows(
        "SELECT (SELECT count(*) FROM commits) AS commits, "
        "(SELECT count(*) FROM people WHERE NOT is_bot AND NOT hidden) AS people, "
        "(SELECT count(*) FROM repositories) AS repositories, "
        "(SELECT count(*) FROM gh_items WHERE state = 'open') AS open_items"
    )[0]
    data: dict[str, Any] = {"totals": totals, "trend": trend}
    if chart:  # pages only: the API gives the numbers, not a picture
        spec = charts.fit_to_page(contributors_chart(trend, params.by)) if trend else None
        data["charts"] = {"contributors": spec}
    return data


_SORTS = {
    "contributions": "contributions DESC",
    "name": "display_name",
    "first": "first_at",
    "last": "last_at DESC",
}


def repository_names(board: Dashboard) -> list[str]:
    return [r["name"] for r in board.query("SELECT name FROM repositories ORDER BY name")]


@dataclass(frozen=True)
class PeopleFilter:
    """The contributors page's and ``/api/people``'s query parameters."""

    q: str = ""  # part of a name
    sort: str = "contributions"  # contributions, name, first, last
    org: str = ""  # contributed for this organisation
    repo: str = ""  # contributed to this repository
    newcomers: bool = False  # first contribution in the last year of the data


def people_data(board: Dashboard, filters: PeopleFilter, with_emails: bool) -> list[dict[str, Any]]:
    """People with their contributions; ``org``/``repo`` keep those who contributed there,
    ``newcomers`` the newcomers of the default window (community.newcomers)."""
    order = _SORTS.get(filters.sort, _SORTS["contributions"])
    newcomer_ids = [n["person_id"] for n in newcomers_data(board)] if filters.newcomers else []
    rows = board.query(
        "WITH c AS (SELECT * FROM contributions WHERE ($org = '' OR org_id = $org) "
        "  AND ($repo = '' OR sha IN (SELECT sha FROM repo_commits JOIN repositories "
        "  USING (repo_id) WHERE name = $repo))) "
        "SELECT p.person_id, p.display_name, p.primary_email, count(c.sha) AS contributions, "
        "min(c.contributed_at) AS first_at, max(c.contributed_at) AS last_at "
        "FROM people p JOIN c USING (person_id) "
        "WHERE NOT p.is_bot AND NOT p.hidden "
        "AND ($q = '' OR p.display_name ILIKE '%' || $q || '%') "
        "AND (NOT $newcomers OR list_contains($ids, p.person_id)) "
        f"GROUP BY ALL ORDER BY {order}, p.person_id LIMIT 500",
        {"q": filters.q, "org": filters.org, "repo": filters.repo,
         "newcomers": filters.newcomers, "ids": newcomer_ids},
    )  # fmt: skip
    for row in rows:
        if not with_emails:
            row.pop("primary_email")
    return rows


def organisations_data(board: Dashboard) -> list[dict[str, Any]]:
    return board.query(
        "SELECT o.org_id, o.name, o.kind, count(DISTINCT c.person_id) AS contributors, "
        "count(*) AS contributions, min(c.contributed_at) AS first_at, "
        "max(c.contributed_at) AS last_at, count(*) / sum(count(*)) OVER () AS share "
        "FROM contributions c JOIN organisations o USING (org_id) WHERE NOT c.is_bot "
        "GROUP BY ALL ORDER BY contributions DESC LIMIT 300"
    )


def newcomers_data(board: Dashboard) -> list[dict[str, Any]]:
    """The default window's newcomers, newest first, and whether they came back."""
    return board.cached(("newcomers",), _newcomers)


def _newcomers(store: Store) -> list[dict[str, Any]]:
    window = default_window(store)
    return list_newcomers(store, window) if window else []


def person_data(board: Dashboard, person_id: str, with_emails: bool) -> dict[str, Any] | None:
    found = board.query(
        "SELECT person_id, display_name, primary_email, forgotten FROM people "
        "WHERE person_id = ? AND NOT hidden AND NOT is_bot",
        [person_id],
    )
    if not found:
        return None
    person = found[0]
    identities = board.query(
        "SELECT name, email_key AS email, login, merged_by, contributions, first_seen, last_seen "
        "FROM identities WHERE person_id = ? ORDER BY contributions DESC",
        [person_id],
    )
    timeline = board.query(
        "SELECT date_trunc('month', contributed_at)::DATE AS month, count(*) AS contributions "
        "FROM contributions WHERE person_id = ? GROUP BY 1 ORDER BY 1",
        [person_id],
    )
    organisations = board.query(
        "SELECT o.name, min(contributed_at) AS since, max(contributed_at) AS until, count(*) AS n "
        "FROM contributions c JOIN organisations o USING (org_id) WHERE person_id = ? "
        "GROUP BY o.name ORDER BY since",
        [person_id],
    )
    if person.pop("forgotten"):
        identities = []  # asked to be forgotten: no name, address or login is shown
    if not with_emails:
        person.pop("primary_email")
        for identity in identities:
            identity.pop("email")
    return {
        "person": person,
        "identities": identities,
        "timeline": timeline,
        "organisations": organisations,
    }
