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


AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Judge as at this day or time (default: now).")
]
SinceOption = Annotated[str | None, typer.Option(help="First day of first contact (YYYY-MM-DD).")]
UntilOption = Annotated[str | None, typer.Option(help="First day after (YYYY-MM-DD).")]


# the funnel table's columns: people reaching each stage, then the median days to it
_COLUMNS = ("people", "PR", "merged", "2nd", "regular", "days→PR", "→merge", "→2nd",
            "→regular")  # fmt: skip


def _days(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


@app.command("funnel")
@guarded
def funnel(
    by: Annotated[
        str, typer.Option(help="Cohorts by month, quarter or year of first contact.")
    ] = "month",
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """From first contact to regular contributor: per cohort, how many reached each stage,
    where they stopped, and the median days between stages (default: the last twelve
    complete months)."""
    from catherd.cli.triage import parse_moment
    from catherd.community.funnel import funnel_window, newcomer_funnel, team_logins
    from catherd.pipeline import team_references

    config = load_config(config_file, db)
    moment = parse_moment(as_of) if as_of else None
    with reading(config.db) as store:
        window = funnel_window(store, parse_date(since, "--since"), parse_date(until, "--until"))
        team = team_logins(team_references(store, config))
        data = newcomer_funnel(store, window, by, team, moment) if window else None
    if as_json:
        emit_json(data)
        return
    if data is None:
        typer.echo("no activity yet: run `catherd analyze`")
        return
    rows = [*data["cohorts"], {"label": "all", **data["all"]}]
    print_rows(
        f"Newcomer funnel by {by} of first contact, {data['since']} to {data['until']} "
        "(people reaching each stage; median days from the stage before)",
        ("cohort", *_COLUMNS),
        [[r["label"], str(r["people"]), *(str(r["reached"][s])
          for s in ("opened", "merged", "second", "regular")),
          *(_days(v) for v in r["median_days"].values())] for r in rows],
        right=_COLUMNS,
    )  # fmt: skip


@app.command("stuck")
@guarded
def stuck(
    days: Annotated[float, typer.Option(help="Days a first pull request waits for a review.")] = 7,
    closed_days: Annotated[
        float, typer.Option(help="How far back to look for first PRs closed without a word.")
    ] = 90,
    as_of: AsOfOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Newcomers stuck now: a first pull request waiting for a review, or closed unmerged
    without a word; each with the reason and someone to ask."""
    from catherd.cli.triage import parse_moment
    from catherd.community.funnel import team_logins
    from catherd.community.stuck import stuck_newcomers
    from catherd.pipeline import team_references

    config = load_config(config_file, db)
    with reading(config.db) as store:
        team = team_logins(team_references(store, config))
        rows = stuck_newcomers(store, parse_moment(as_of), days, closed_days, team)
    if as_json:
        emit_json(rows)
        return
    print_rows(
        f"Stuck newcomers ({len(rows)})",
        ("who", "pull request", "why", "ask"),
        [[r["name"] or "(not named)", f"{r['repo']}#{r['number']}", r["why"],
          r["reviewer"] or "(nobody reviewed lately)"] for r in rows],
    )  # fmt: skip


@app.command("mentors")
@guarded
def mentors(
    since: SinceOption = None,
    until: UntilOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Who gave the newcomers of a period their first comment or review, and how many of
    them stayed (reached a second merged contribution)."""
    from catherd.community.funnel import funnel_window, team_logins
    from catherd.community.mentors import mentors as mentor_rows
    from catherd.pipeline import team_references

    config = load_config(config_file, db)
    with reading(config.db) as store:
        window = funnel_window(store, parse_date(since, "--since"), parse_date(until, "--until"))
        team = team_logins(team_references(store, config))
        rows = mentor_rows(store, window, team) if window else []
    if as_json:
        emit_json({"since": window and window.start, "until": window and window.end,
                   "mentors": rows})  # fmt: skip
        return
    print_rows(
        f"Mentors of the newcomers{f', {window.label}' if window else ''}",
        ("mentor", "newcomers", "first comments", "first reviews", "stayed", "regular"),
        [[r["name"], str(r["newcomers"]), str(r["first_comments"]), str(r["first_reviews"]),
          f"{r['stayed']} ({r['stayed_share']:.0%})", str(r["regular"])] for r in rows],
        right=("newcomers", "first comments", "first reviews", "stayed", "regular"),
    )  # fmt: skip
