"""``catherd report``: the community report, and ``catherd report team`` (accountability)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from catherd.cli.common import ConfigOption, DbOption, LazyConsole, guarded, parse_date, reading
from catherd.cli.engines import EngineOption, engine_for
from catherd.config import Config, load_config
from catherd.errors import InputError

if TYPE_CHECKING:
    from catherd.store.database import Store

app = typer.Typer(
    help="Reports: the community report, or `report team` for the funded team's.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
console = LazyConsole()


def project_name(config: Config, store: Store) -> str:
    names = [r["name"] for r in store.rows("SELECT name FROM repositories")]
    # without a project file, a store of one repository is named after it
    return config.project_name if config.source or len(names) != 1 else names[0]


@app.callback()
@guarded
def report(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder to write the report into.")
    ] = Path("report"),
    since: Annotated[
        str | None, typer.Option(help="First day of the report's period (YYYY-MM-DD).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="First day after it (YYYY-MM-DD).")] = None,
    by: Annotated[str, typer.Option(help="Trend granularity: month, quarter or year.")] = "quarter",
    audience: Annotated[
        str,
        typer.Option(help="public, or team (adds what waits for the team's decisions)."),
    ] = "public",
    db: DbOption = None,
    config_file: ConfigOption = None,
    engine: EngineOption = None,
) -> None:
    """Write the community report: index.html (self-contained, charts as inline SVG) and
    report.md. Its metrics run on the engine chosen (--engine)."""
    if ctx.invoked_subcommand is not None:
        return
    from catherd.metrics import Params
    from catherd.reports.community import write_report

    config = load_config(config_file, db)
    params = Params(parse_date(since, "--since"), parse_date(until, "--until"), by)
    with engine_for(config, engine) as (store, _):
        if store is None:
            raise InputError(f"{config.db}: the report reads the store too: none here")
        paths = write_report(
            store, output, project_name(config, store), params, audience, config.overrides,
            config.mailmap,
        )  # fmt: skip
    for path in paths:
        console.print(f"wrote {path}")


@app.command("team")
@guarded
def team_report(
    period: Annotated[
        str, typer.Option(help="2025, 2025-Q3, 2025-07 or 2025-01-01..2025-07-01 (end excluded).")
    ],
    audience: Annotated[
        str, typer.Option(help="public, sponsors, or both (one folder each).")
    ] = "both",
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder to write the reports into.")
    ] = Path("team-report"),
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write report.pdf.")] = True,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """What the funded team did in a period, with priorities and funding: HTML, Markdown, PDF."""
    from catherd.partners import book
    from catherd.partners.accountability import Period
    from catherd.partners.funding import Funding
    from catherd.reports.team import AUDIENCES, write_team_report

    if audience not in (*AUDIENCES, "both"):
        raise InputError(f"--audience {audience!r}: choose public, sponsors or both")
    config = load_config(config_file, db)
    chosen = AUDIENCES if audience == "both" else (audience,)
    with reading(config.db) as store:
        paths = write_team_report(
            store, book.load(store), Funding.of(config), output, Period.parse(period),
            config.upstream, project_name(config, store), chosen, pdf,
        )  # fmt: skip
    for path in paths:
        console.print(f"wrote {path}")
