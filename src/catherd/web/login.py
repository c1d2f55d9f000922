"""Logging in and out: a form with its own token, throttled failures, sessions on the server
(web/accounts.py) that logout ends at once."""

from __future__ import annotations

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from catherd.web.accounts import (
    SESSION_SECONDS,
    User,
    check_password,
    end_session,
    known_address,
    open_session,
)
from catherd.web.auth import LOGIN_COOKIE, LOGIN_FORM_SECONDS, SESSION_COOKIE, require_csrf
from catherd.web.site import Site


def register(site: Site) -> None:
    app, board = site.app, site.board

    def login_page(
        request: Request, next: str, error: str | None = None, status: int = 200
    ) -> HTMLResponse:
        """The form, with a token matching a nonce in a cookie (see web/auth.py)."""
        nonce = request.cookies.get(LOGIN_COOKIE) or board.login_forms.nonce()
        page = site.render(request, "login.html.j2", site.current_user(request), status,
                           next=next, error=error,
                           login_token=board.login_forms.token(nonce))  # fmt: skip
        page.set_cookie(LOGIN_COOKIE, nonce, max_age=LOGIN_FORM_SECONDS, path="/login",
                        httponly=True, samesite="lax", secure=site.over_tls(request))  # fmt: skip
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
        address = site.client(request)
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
                            samesite="lax", secure=site.over_tls(request))  # fmt: skip
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @app.post("/logout")
    def logout(
        request: Request, csrf: str = Form(""), user: User | None = Depends(site.current_user)
    ) -> Response:
        require_csrf(user, csrf)
        with board.handle() as store:
            end_session(store, request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response
