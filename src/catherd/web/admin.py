"""Administration: syncs and accounts, from the admin page, or from the CLI on this machine
(with the token `catherd serve` wrote beside the store)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from catherd.errors import InputError
from catherd.web.accounts import User, add_user, change_account, list_accounts
from catherd.web.auth import require_admin, require_csrf
from catherd.web.site import Site


class AccountChange(BaseModel):
    """``POST /api/admin/users/{username}``: add (with role and password), disable, enable,
    role or password."""

    action: str
    role: str = ""
    password: str = ""


def register(site: Site) -> None:
    app, board = site.app, site.board

    @app.get("/admin", response_class=HTMLResponse)
    def admin(request: Request, user: User | None = Depends(site.access("admin"))) -> HTMLResponse:
        with board.handle() as store:
            accounts = list_accounts(store)
        return site.render(request, "admin.html.j2", user, sync=board.runner.state,
                           accounts=accounts)  # fmt: skip

    @app.post("/admin/sync")
    def admin_sync(
        csrf: str = Form(""), user: User | None = Depends(site.current_user)
    ) -> Response:
        admin_user = require_admin(user)
        require_csrf(admin_user, csrf)
        board.runner.start(f"user:{admin_user.username}")
        return RedirectResponse("/admin", status_code=303)

    @app.post("/admin/users")
    def admin_users(
        csrf: str = Form(""),
        username: str = Form(...),
        action: str = Form("add"),
        role: str = Form("viewer"),
        password: str = Form(""),
        user: User | None = Depends(site.current_user),
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
        user: User | None = Depends(site.current_user),
    ) -> dict[str, str]:  # fmt: skip
        """Add an account, or disable, enable, change the role or the password of one (the
        CLI's `catherd users` while the dashboard holds the store, or an administrator)."""
        by = None
        if not site.local_caller(request):
            by = require_admin(user).username
            require_csrf(user, request.headers.get("x-csrf-token", ""))
        answer = account_change(by, username, change.action, change.role, change.password)
        return {"message": answer}

    @app.post("/api/admin/sync", status_code=202)
    def api_sync(
        request: Request, user: User | None = Depends(site.current_user)
    ) -> dict[str, Any]:
        if site.local_caller(request):
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
        request: Request, user: User | None = Depends(site.current_user)
    ) -> dict[str, Any]:
        if not site.local_caller(request):
            require_admin(user)
        return dict(board.runner.state)
