"""``catherd sprint``: the sprints recorded, preparing one, its report, and sprints the data
suggests."""

from __future__ import annotations

import sys
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
from catherd.config import load_config

app = typer.Typer(
    help="Sprints: list them, prepare one, report on one, find likely ones in the data.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
console = LazyConsole()
NameArgument = Annotated[str, typer.Argument(help="The sprint's id or name (sprints.toml).")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Judge as at this day or time (default: now).")
]


@app.callback()
@guarded
def sprints(
    ctx: typer.Context,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """The sprints recorded (sprints.toml, loaded with `catherd records import`)."""
    if ctx.invoked_subcommand is not None:
        return
    from catherd.community.sprints import sprints as recorded

    config = load_config(config_file, db)
    with reading(config.db) as store:
        rows = [s.model_dump(mode="json") for s in recorded(store)]
    if as_json:
        emit_json(rows)
        return
    print_rows(
        f"Sprints ({len(rows)})",
        ("id", "name", "from", "to", "place", "participants", "mentors"),
        [[r["id"], r["name"], r["start"], r["end"], r["place"], str(len(r["participants"])),
          str(len(r["mentors"]))] for r in rows],
        right=("participants", "mentors"),
    )  # fmt: skip


@app.command("prepare")
@guarded
def prepare(
    name: NameArgument,
    markdown: Annotated[
        bool, typer.Option("--md", help="Print the sprint's page as Markdown.")
    ] = False,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Write the candidate issues as CSV (- : stdout).")
    ] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Candidate issues for a sprint (open, unassigned, nobody on them, labelled for it, not
    stale, with the files they touch) and mentors with time to review."""
    from catherd.cli.triage import parse_moment
    from catherd.community.sprint_prep import issues_csv, preparation
    from catherd.community.sprints import SprintRules, find_sprint
    from catherd.reports.sprints import preparation_markdown

    config = load_config(config_file, db)
    rules = SprintRules.from_config(config)
    with reading(config.db) as store:
        prep = preparation(store, find_sprint(store, name), rules, parse_moment(as_of))
    if csv_file is not None:
        text = issues_csv(prep["issues"])
        if str(csv_file) == "-":
            sys.stdout.write(text)
        else:
            csv_file.write_text(text, encoding="utf-8")
            console.print(f"wrote {csv_file} ({len(prep['issues'])} issues)", markup=False)
    if as_json:
        emit_json(prep)
    elif markdown:
        sys.stdout.write(preparation_markdown(prep, config.project_name))
    elif csv_file is None:
        print_rows(
            f"Candidate issues for {prep['sprint']['name']} ({len(prep['issues'])})",
            ("issue", "title", "labels", "files"),
            [[f"{i['repo']}#{i['number']}", i["title"], ", ".join(i["labels"]),
              ", ".join(i["files"])] for i in prep["issues"]],
        )  # fmt: skip
        print_rows(
            "Mentors and reviewers with time to spare",
            ("who", "mentor", "reviews (90 days)", "waiting on them"),
            [[m["name"], "yes" if m["mentor"] else "", str(m["reviews"]), str(m["awaiting"])]
             for m in prep["mentors"]],
            right=("reviews (90 days)", "waiting on them"),
        )  # fmt: skip


@app.command("report")
@guarded
def report(
    name: NameArgument,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Folder (default: sprint-ID).")
    ] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """What a sprint brought: pull requests during it and in the 30 days after, merged,
    reviews, first-timers, and whether its newcomers stayed compared with the others. Writes
    public/ (names only) and team/ (with the records' references), each as index.html and
    report.md."""
    from catherd.cli.triage import parse_moment
    from catherd.community.funnel import team_logins
    from catherd.community.sprints import SprintRules, find_sprint, sprint_outcomes
    from catherd.pipeline import team_references
    from catherd.reports.sprints import write_sprint_report

    config = load_config(config_file, db)
    rules = SprintRules.from_config(config)
    with reading(config.db) as store:
        sprint = find_sprint(store, name)
        team = team_logins(team_references(store, config))
        outcomes = sprint_outcomes(store, sprint, rules, parse_moment(as_of), team)
    if as_json:
        emit_json(outcomes)
        return
    folder = output or Path(f"sprint-{sprint.id}")
    for path in write_sprint_report(outcomes, folder, config.project_name):
        console.print(f"wrote {path}", markup=False)


@app.command("detect")
@guarded
def detect(
    min_people: Annotated[int, typer.Option(help="Fewest first-timers on a sprint day.")] = 3,
    baseline_days: Annotated[
        int, typer.Option(help="Days before a day that set its baseline.")
    ] = 90,
    p_value: Annotated[
        float, typer.Option("--p", help="How unlikely a day must be by chance.")
    ] = 0.001,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Days when far more people than usual opened their first pull request (or made their
    first contribution): likely sprints, for you to confirm in sprints.toml."""
    from catherd.community.funnel import team_logins
    from catherd.community.sprint_detect import proposed_sprints
    from catherd.pipeline import team_references

    config = load_config(config_file, db)
    with reading(config.db) as store:
        team = team_logins(team_references(store, config))
        found = proposed_sprints(store, team, min_people=min_people,
                                 baseline_days=baseline_days, p_value=p_value)  # fmt: skip
    if as_json:
        emit_json(found)
        return
    print_rows(
        f"Likely sprints ({len(found)}): first-timers far above the days before",
        ("from", "to", "first-timers", "usual per day", "chance", "recorded as"),
        [[str(p["start"]), str(p["end"]), str(p["first_timers"]),
          f"{max(d['baseline_per_day'] for d in p['days']):.2f}",
          f"{min(d['p_value'] for d in p['days']):.1e}", p["recorded"] or ""] for p in found],
        right=("first-timers", "usual per day", "chance"),
    )  # fmt: skip
    unrecorded = [p for p in found if not p["recorded"]]
    if unrecorded:
        console.print("To record one, add it to sprints.toml and run `catherd records import`:")
        p = unrecorded[0]
        console.print(f'\n[[sprint]]\nid = "sprint-{p["start"]}"\nname = "Sprint of {p["start"]}"'
                      f'\nstart = {p["start"]}\nend = {p["end"]}\n', markup=False)  # fmt: skip
