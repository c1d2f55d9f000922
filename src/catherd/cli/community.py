"""``catherd newcomers``: who arrived in a period, and whether they came back."""

from __future__ import annotations

from typing import Annotated

import typer

from catherd.cli.common import (
    ConfigOption,
    DbOption,
    JsonOption,
    emit_json,
    guarded,
    parse_date,
    print_rows,
    reading,
)
from catherd.config import load_config

app = typer.Typer(
    help="Newcomers: who made a first contribution, and whether they came back.",
    invoke_without_command=True,
    rich_markup_mode=None,
)


@app.callback()
@guarded
def newcomers(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="First day after (YYYY-MM-DD).")] = None,
    repo: Annotated[str | None, typer.Option("--repo", help="Only this repository.")] = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """The newcomers of a period (default: the last twelve complete months), newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from catherd.community.newcomers import list_newcomers
    from catherd.community.periods import default_window

    config = load_config(config_file, db)
    with reading(config.db) as store:
        window = default_window(store, parse_date(since, "--since"), parse_date(until, "--until"))
        rows = list_newcomers(store, window, repo) if window else []
    if as_json:
        emit_json({"since": window and window.start, "until": window and window.end,
                   "newcomers": rows})  # fmt: skip
        return
    if window is None:
        typer.echo("no contributions yet: run `catherd analyze`")
        return
    print_rows(
        f"Newcomers, {window.label} (came back: on a later day within 90 / 365 days)",
        ("name", "first contribution", "contributions", "90 days", "365 days"),
        [
            [
                r["display_name"],
                f"{r['first_at']:%Y-%m-%d}",
                str(r["contributions"]),
                r["came_back_90"],
                r["came_back_365"],
            ]
            for r in rows
        ],
        right=("contributions",),
    )
