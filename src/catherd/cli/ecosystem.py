"""``catherd ecosystem``: breadth, organisations and health across a lake of repositories."""

from __future__ import annotations

import csv
import sys
from typing import Annotated, Any

import typer

from catherd.cli.common import (
    ConfigOption,
    DbOption,
    JsonOption,
    LazyConsole,
    emit_json,
    guarded,
    parse_date,
    print_rows,
    split_names,
)
from catherd.cli.engines import EngineOption, engine_for
from catherd.config import load_config
from catherd.errors import InputError

app = typer.Typer(
    help="Questions across many repositories (GH Archive lake).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
console = LazyConsole()
SinceOption = Annotated[str | None, typer.Option(help="First day counted (YYYY-MM-DD).")]
ReposOption = Annotated[
    list[str] | None, typer.Option("--repos", help="owner/name, comma-separated.")
]
OrgsOption = Annotated[list[str] | None, typer.Option("--orgs", help="Owners, comma-separated.")]


def _day(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if value else "–"


@app.command("breadth")
@guarded
def breadth_command(
    people: Annotated[str, typer.Option(help="team (the funded team) or all.")] = "team",
    since: SinceOption = None,
    engine: EngineOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Where the funded team (or everyone) contributes, across every repository of the lake."""
    from catherd.ecosystem.acts import KINDS, breadth, team_logins

    counts = list(KINDS.values())
    if people not in ("team", "all"):
        raise InputError(f"--people {people!r}: choose team or all")
    start = parse_date(since, "--since")
    config = load_config(config_file, db)
    with engine_for(config, engine) as (store, chosen):
        if people == "team" and store is None:
            raise InputError(f"{config.db}: the funded team is read from the store: none here")
        team = team_logins(store) if people == "team" and store is not None else None
        rows = breadth(chosen, team, start)
    if as_json:
        emit_json(rows)
        return
    print_rows(
        f"Contributions across the lake ({people})",
        ["who", "repository", *counts, "acts", "first", "last"],
        [
            [
                r["who"],
                r["repository"],
                *(f"{r[c]:,}" for c in counts),
                f"{r['acts']:,}",
                _day(r["first_at"]),
                _day(r["last_at"]),
            ]
            for r in rows
        ],
        right=[*counts, "acts"],
    )


@app.command("organisations")
@guarded
def organisations_command(
    repos: ReposOption = None,
    orgs: OrgsOption = None,
    since: SinceOption = None,
    csv_out: Annotated[
        bool, typer.Option("--csv", help="Write CSV to standard output (for prospects).")
    ] = False,
    engine: EngineOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Organisations whose people contribute across a set of repositories, ranked."""
    from catherd.ecosystem.acts import KINDS, organisations

    counts = list(KINDS.values())
    names, owners = split_names(repos), split_names(orgs)
    start = parse_date(since, "--since")
    config = load_config(config_file, db)
    with engine_for(config, engine) as (_, chosen):
        answer = organisations(chosen, names, owners, start)
    rows = answer["organisations"]
    if as_json:
        emit_json(answer)
        return
    columns = ["organisation", "people", "repositories", *counts, "acts"]
    if csv_out:
        writer = csv.writer(sys.stdout)
        writer.writerow([*columns, "first_at", "last_at"])
        writer.writerows(
            [[r[c] for c in columns] + [_day(r["first_at"]), _day(r["last_at"])] for r in rows]
        )
        return
    print_rows(
        "Organisations contributing",
        columns,
        [[str(r["organisation"]), *(f"{r[c]:,}" for c in columns[1:])] for r in rows],
        right=columns[1:],
    )
    console.print(
        f"{answer['acts']:,} acts in {answer['repositories']:,} repositories; not attributed: "
        f"{answer['acts_of_unknown_people']:,} by logins of no known person, "
        f"{answer['acts_of_people_without_organisation']:,} by people of no known organisation"
    )


@app.command("health")
@guarded
def health_command(
    repos: ReposOption = None,
    orgs: OrgsOption = None,
    since: SinceOption = None,
    engine: EngineOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """The registered metrics for every repository of a set, one table."""
    from catherd.ecosystem.health import headline, health
    from catherd.metrics import REGISTRY

    names, owners = split_names(repos), split_names(orgs)
    start = parse_date(since, "--since")
    config = load_config(config_file, db)
    with engine_for(config, engine) as (_, chosen):
        answers = health(chosen, names, owners, start)
    if as_json:
        emit_json(answers)
        return
    repositories = list(dict.fromkeys(a["repository"] for a in answers))
    cell = {(a["repository"], a["metric"]): headline(a["metric"], a["rows"]) for a in answers}
    print_rows(
        f"Health since {start or 'the beginning'} (each metric's headline)",
        ["metric", *repositories],
        [[name, *(cell[(repo, name)] for repo in repositories)] for name in REGISTRY],
        right=repositories,
    )
