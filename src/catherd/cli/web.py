"""``catherd serve`` and ``catherd users``: the dashboard and its accounts."""

from __future__ import annotations

import sys
import threading
from typing import Annotated

import typer
from rich.console import Console

from catherd.cli.common import ConfigOption, DbOption, JsonOption, emit_json, guarded, print_rows
from catherd.config import load_config
from catherd.errors import InputError
from catherd.store.database import Store
from catherd.web.auth import ROLES, add_user

users_app = typer.Typer(help="Dashboard accounts.", no_args_is_help=True)
console = Console()


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
    import uvicorn

    from catherd.web.app import DEFAULT_PUBLIC, create_app
    from catherd.web.assets import build_in_background
    from catherd.web.syncing import announce, withdraw

    config = load_config(config_file, db)
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
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop.set()
        withdraw(config.db)
        board.store.close()


@users_app.command("add")
@guarded
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Add an account (or set its role and password)."""
    if role not in ROLES:
        raise InputError(f"--role {role!r}: choose one of {', '.join(ROLES)}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    config = load_config(config_file, db)
    with Store(config.db) as store:
        add_user(store, username, password, role)
    console.print(f"account {username} ({role}) saved")


@users_app.command("list")
@guarded
def users_list(
    db: DbOption = None, config_file: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """The accounts and their roles (never their passwords)."""
    config = load_config(config_file, db)
    with Store(config.db, read_only=True) as store:
        rows = store.rows(
            "SELECT username, role, created_at, disabled FROM users ORDER BY username"
        )
    if as_json:
        emit_json(rows)
        return
    print_rows(
        "Accounts",
        ("user", "role", "created", "disabled"),
        [[r["username"], r["role"], str(r["created_at"])[:19], str(r["disabled"])] for r in rows],
    )
