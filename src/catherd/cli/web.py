"""``catherd serve`` and ``catherd users``: the dashboard and its accounts.

Account changes go through the running dashboard when it holds the store (with the token it
wrote beside the store), and straight to the store otherwise: the same checks either way, and
every change but enabling ends the account's open sessions at once.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from catherd.cli.common import (
    ConfigOption,
    DbOption,
    JsonOption,
    LazyConsole,
    emit_json,
    guarded,
    print_rows,
    reading,
)
from catherd.config import Config, load_config
from catherd.errors import InputError, StoreBusy
from catherd.web.accounts import ROLES

users_app = typer.Typer(help="Dashboard accounts.", no_args_is_help=True, rich_markup_mode=None)
console = LazyConsole()
UsernameArgument = Annotated[str, typer.Argument(help="Login name.")]
PasswordStdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


@guarded
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    sync_every: Annotated[
        float, typer.Option("--sync-every", help="Sync every N minutes (0: only on request).")
    ] = 0,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Serve the web dashboard; syncs (admin page, schedule, `catherd sync`) run inside it."""
    run_dashboard(load_config(config_file, db), host, port, sync_every)


def run_dashboard(config: Config, host: str, port: int, sync_every: float = 0) -> None:
    """Serve ``config``'s store until interrupted (``catherd serve``, ``catherd demo --serve``)."""
    import uvicorn

    from catherd.web.app import DEFAULT_PUBLIC, create_app
    from catherd.web.assets import build_in_background
    from catherd.web.syncing import announce, withdraw

    public = tuple(config.web.get("public", DEFAULT_PUBLIC))
    app = create_app(config.db, public, config.triage, config)
    board = app.state.board
    build_in_background()
    threading.Thread(target=board.prepare, name="catherd-prepare", daemon=True).start()
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    board.local_token = announce(config.db, url)
    stop = threading.Event()
    if sync_every > 0:

        def every() -> None:
            while not stop.wait(sync_every * 60):
                board.runner.start("schedule")

        threading.Thread(target=every, name="catherd-schedule", daemon=True).start()
    console.print(f"catherd dashboard on http://{host}:{port}/ (store {config.db})")
    try:
        # the dashboard reads X-Forwarded-For itself, from [web] trusted_proxies only
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
    finally:
        stop.set()
        withdraw(config.db)
        board.store.close()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def change(db: Path, username: str, action: str, role: str = "", password: str = "") -> str:
    """Apply an account change to the store, or have the dashboard that holds it apply it."""
    from catherd.store.database import Store
    from catherd.web.accounts import add_user, change_account

    try:
        with Store(db) as store:
            if action == "add":
                add_user(store, username, password, role)
                return f"account {username} ({role}) saved"
            return change_account(store, username, action, role, password)
    except StoreBusy:
        from catherd.cli.remote import LocalServer

        server = LocalServer.find(db)
        if server is None:
            raise
        body = {"action": action, "role": role, "password": password}
        answer = server.call("POST", f"/api/admin/users/{username}", json=body).json()
        return f"{answer['message']} (by the dashboard at {server.url}, which holds the store)"


@users_app.command("add")
@guarded
def users_add(
    username: UsernameArgument,
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")] = "viewer",
    password_stdin: PasswordStdinOption = False,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Add an account (or set its role and password; its open sessions end)."""
    if role not in ROLES:  # before asking for a password
        raise InputError(f"--role {role!r}: choose one of {', '.join(ROLES)}")
    password = _read_password(password_stdin)
    console.print(change(load_config(config_file, db).db, username, "add", role, password))


@users_app.command("disable")
@guarded
def users_disable(
    username: UsernameArgument, db: DbOption = None, config_file: ConfigOption = None
) -> None:
    """Disable an account: it cannot log in, and its open sessions end now."""
    console.print(change(load_config(config_file, db).db, username, "disable"))


@users_app.command("enable")
@guarded
def users_enable(
    username: UsernameArgument, db: DbOption = None, config_file: ConfigOption = None
) -> None:
    """Enable a disabled account again."""
    console.print(change(load_config(config_file, db).db, username, "enable"))


@users_app.command("role")
@guarded
def users_role(
    username: UsernameArgument,
    role: Annotated[str, typer.Argument(help=f"The new role: {', '.join(ROLES)}.")],
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Change an account's role; its open sessions end now (it logs in again)."""
    console.print(change(load_config(config_file, db).db, username, "role", role=role))


@users_app.command("password")
@guarded
def users_password(
    username: UsernameArgument,
    password_stdin: PasswordStdinOption = False,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Set an account's password; its open sessions end now."""
    password = _read_password(password_stdin)
    console.print(change(load_config(config_file, db).db, username, "password", password=password))


@users_app.command("list")
@guarded
def users_list(
    db: DbOption = None, config_file: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """The accounts, their roles and open sessions (never their passwords)."""
    from catherd.web.accounts import list_accounts

    config = load_config(config_file, db)
    with reading(config.db) as store:
        rows = list_accounts(store)
    if as_json:
        emit_json(rows)
        return
    print_rows(
        "Accounts",
        ("user", "role", "created", "disabled", "open sessions"),
        [[r["username"], r["role"], str(r["created_at"])[:19], str(r["disabled"]),
          str(r["open_sessions"])] for r in rows],
    )  # fmt: skip
