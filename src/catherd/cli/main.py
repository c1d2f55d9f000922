"""The ``catherd`` command: typer commands over the store, rich output, one-line errors.

Start-up is kept short (``catherd --help`` in well under 0.3 s): command modules import what
they work with inside the commands (see cli/common.py), and help is plain click text (rich's
help renderer alone took 0.18 s to import).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from catherd.cli import community as community_commands
from catherd.cli import decisions as decision_commands
from catherd.cli import demo as demo_commands
from catherd.cli import digest as digest_commands
from catherd.cli import ecosystem as ecosystem_commands
from catherd.cli import imports as import_commands
from catherd.cli import partners as partner_commands
from catherd.cli import people as people_commands
from catherd.cli import releases as release_commands
from catherd.cli import reports as report_commands
from catherd.cli import review as review_commands
from catherd.cli import sprints as sprint_commands
from catherd.cli import traffic as traffic_commands
from catherd.cli import web as web_commands
from catherd.cli.common import (
    CONFIG_HELP,
    DB_HELP,
    ConfigOption,
    DbOption,
    JsonOption,
    LazyConsole,
    emit_json,
    errors,
    guarded,
    parse_date,
    print_rows,
    reading,
)
from catherd.cli.engines import EngineOption, engine_for, export_app
from catherd.cli.triage import triage as triage_command
from catherd.config import (
    CONFIG_NAME,
    INIT_TEMPLATE,
    ORGANISATIONS_TEMPLATE,
    RepositorySpec,
    load_config,
)
from catherd.errors import InputError

if TYPE_CHECKING:
    from catherd.pipeline import SyncReport
    from catherd.sources.github.client import Clock
    from catherd.store.database import Store

app = typer.Typer(
    help="catherd: turn a project's real activity into decisions and public accounts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def main(
    db: Annotated[Path | None, typer.Option("--db", help=DB_HELP)] = None,
    config_file: Annotated[Path | None, typer.Option("--config", help=CONFIG_HELP)] = None,
) -> None:
    """--db and --config given here apply to the command that follows."""


app.command("demo")(demo_commands.demo)
app.add_typer(people_commands.app, name="people")
app.add_typer(community_commands.app, name="newcomers")
app.add_typer(import_commands.app, name="import")
app.command("triage")(triage_command)
app.command("reviewers")(review_commands.reviewers)
app.command("workload")(review_commands.workload)
app.command("serve")(web_commands.serve)
app.add_typer(web_commands.users_app, name="users")
app.add_typer(partner_commands.records_app, name="records")
app.add_typer(partner_commands.partners_app, name="partners")
app.add_typer(report_commands.app, name="report")
app.command("team")(partner_commands.team)
app.command("priorities")(partner_commands.priorities)
app.command("releases")(release_commands.releases)
app.command("credits")(release_commands.credits)
app.add_typer(decision_commands.app, name="decisions")
app.add_typer(traffic_commands.app, name="traffic")
app.add_typer(sprint_commands.app, name="sprint")
app.command("digest")(digest_commands.digest)
app.add_typer(export_app, name="export")
app.add_typer(ecosystem_commands.app, name="ecosystem")
console = LazyConsole()


def countdown(seconds: float) -> None:
    """Sleep through a rate-limit wait, showing the time left."""
    from rich.progress import BarColumn, Progress, TextColumn

    columns = (TextColumn("[yellow]rate limit:[/] waiting"), BarColumn(),
               TextColumn("{task.fields[left]} s left"))  # fmt: skip
    with Progress(*columns, console=errors.made, transient=True) as bar:
        task = bar.add_task("wait", total=seconds, left=int(seconds))
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            bar.update(task, completed=seconds - left, left=int(left))
            time.sleep(min(1.0, left))


def countdown_clock() -> Clock:
    """The GitHub client's clock, waiting out rate limits with a countdown."""
    from catherd.sources.github.client import Clock

    return Clock(sleep=countdown)


ApiUrlOption = Annotated[
    str | None,
    typer.Option("--api-url", help="GitHub API root (GitHub Enterprise: https://HOST/api/v3)."),
]
SkipMissingOption = Annotated[
    bool,
    typer.Option(
        "--skip-missing-objects",
        help="Ingest commits whose objects this copy lacks, without their line counts "
        "(each is recorded as a warning).",
    ),
]


# What a step still does once everything it counts has been read (the bar stays at 100%).
AFTER_COUNTING = {"commits": "writing tables"}


@contextmanager
def sync_progress() -> Iterator[Callable[[str, str], Callable[[int, int], None]]]:
    """One bar per repository, counted in its own unit (git: commits; GitHub: items read,
    whose total GitHub does not say), with the time left; then the identities step."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=errors.made,
        transient=False,
    ) as progress:
        running: list[tuple[TaskID, str]] = []

        def finish_previous() -> None:
            while running:
                task, name = running.pop()
                read = progress.tasks[task].completed  # tasks are listed by id, from 0
                progress.update(task, description=f"{name}: {'done' if read else 'nothing new'}")

        def start(name: str, unit: str) -> Callable[[int, int], None]:
            finish_previous()
            task = progress.add_task(name, total=None, unit=unit)
            running.append((task, name))

            def update(done: int, expected: int) -> None:
                progress.update(task, completed=done, total=max(expected, done) or None)
                if expected and done >= expected and unit in AFTER_COUNTING:
                    progress.update(task, description=f"{name}: {AFTER_COUNTING[unit]}")

            return update

        yield start
        finish_previous()


def print_sync_report(report: SyncReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Sync", show_lines=False)
    for column in ("repository", "state", "commits read", "added", "removed", "warnings"):
        table.add_column(
            column, justify="right" if column not in ("repository", "state") else "left"
        )
    for result in report.repositories:
        state = "unchanged" if result.unchanged else "updated"
        table.add_row(
            escape(result.repository),
            state,
            str(result.commits_read),
            str(result.commits_added),
            str(result.commits_removed),
            str(len(result.warnings)),
        )
    for gh in report.github:
        fetched = sum(gh.fetched.values())
        state = "unchanged" if gh.unchanged else "updated"
        detail = f"{gh.requests} requests, {gh.not_modified} not modified"
        table.add_row(f"github:{gh.repository}", state, str(fetched), str(gh.changed), "", detail)
    for location, message in report.failures:
        table.add_row(escape(location), "[red]failed[/]", "", "", "", escape(message))
    console.print(table)
    for repository, documents in report.decisions:
        console.print(f"decisions: {documents} documents read in {repository}")
    if report.traffic:
        read = [f for f in report.traffic.files if f.state in ("new", "grown")]
        console.print(f"access logs: {report.traffic.requests:,} requests from {len(read)} "
                      f"new or grown file(s) of {len(report.traffic.files)}")  # fmt: skip
    if report.identities:
        console.print(
            f"identities: {report.identities.identities} resolved into "
            f"{report.identities.people} people"
        )
        for missing in report.identities.unmatched_overrides:
            errors.print(f"[yellow]warning:[/] override matches no identity yet: {escape(missing)}")
    if report.pending_duplicates:
        console.print(
            f"{report.pending_duplicates} probable duplicate people wait for a decision: "
            "run `catherd people suggest`"
        )


@app.command()
@guarded
def init(
    location: Annotated[str, typer.Option(help="Repository to list first.")] = ".",
    name: Annotated[str | None, typer.Option(help="Project name.")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
) -> None:
    """Write a commented catherd.toml (and organisations.toml) in the current folder."""
    written = []
    project = name or Path.cwd().name
    for path, text in (
        (Path(CONFIG_NAME), INIT_TEMPLATE.format(name=project, location=location)),
        (Path("organisations.toml"), ORGANISATIONS_TEMPLATE),
    ):
        if path.exists() and not force:
            raise InputError(f"{path} already exists (use --force to overwrite)")
        written.append((path, text))
    for path, text in written:
        path.write_text(text, encoding="utf-8")
        console.print(f"wrote {path}")


@app.command()
@guarded
def analyze(
    locations: Annotated[
        list[str],
        typer.Argument(help="Repository paths, bare repositories, .bundle files or URLs."),
    ],
    db: DbOption = None,
    config_file: ConfigOption = None,
    all_branches: Annotated[
        bool, typer.Option("--all-branches", help="Every branch, not only the default one.")
    ] = False,
    name: Annotated[
        str | None, typer.Option(help="Name for the repository (one location only).")
    ] = None,
    skip_missing_objects: SkipMissingOption = False,
    api_url: ApiUrlOption = None,
) -> None:
    """Ingest git repositories (and github:owner/name ones), then print a summary."""
    if name and len(locations) > 1:
        raise InputError("--name applies to one location only")
    config = load_config(config_file, db)
    config.github_api_url = api_url or config.github_api_url
    specs = [RepositorySpec(loc, name, all_branches) for loc in locations]
    from catherd.pipeline import sync
    from catherd.store.database import Store

    with Store(config.db) as store:
        with sync_progress() as progress:
            report = sync(store, config, specs, progress, True, skip_missing_objects,
                          countdown_clock())  # fmt: skip
        print_sync_report(report)
        _print_summary(store)


@app.command("sync")
@guarded
def sync_command(
    db: DbOption = None,
    config_file: ConfigOption = None,
    skip_missing_objects: SkipMissingOption = False,
    api_url: ApiUrlOption = None,
) -> None:
    """Sync every repository of catherd.toml (or, without one, every one in the store)."""
    config = load_config(config_file, db)
    config.github_api_url = api_url or config.github_api_url
    if ask_running_server(config.db):
        return
    from catherd.pipeline import known_repositories, sync
    from catherd.store.database import Store

    with Store(config.db) as store:
        specs = config.repositories or known_repositories(store)
        if not specs and not config.traffic.sites:
            errors.print(
                "nothing to sync: name repositories in catherd.toml or run `catherd analyze`"
            )
            raise typer.Exit(2)
        with sync_progress() as progress:
            report = sync(store, config, specs, progress, False, skip_missing_objects,
                          countdown_clock(), logs=True)  # fmt: skip
        print_sync_report(report)
        if report.failures:
            raise typer.Exit(3)


def ask_running_server(db: Path) -> bool:
    """If `catherd serve` holds the store, have it run the sync; True if it did."""
    from rich.markup import escape

    from catherd.cli.remote import LocalServer

    server = LocalServer.find(db)
    if server is None:
        return False
    started = server.call("POST", "/api/admin/sync").json()
    already = "" if started.get("started") else " (one was already running)"
    console.print(f"the dashboard at {server.url} holds the store: it runs the sync{already}")
    while (state := server.call("GET", "/api/admin/sync").json()).get("running"):
        time.sleep(0.5)
    for failure in state.get("failures") or []:
        errors.print(f"[red]failed:[/] {escape(failure)}")
    console.print(f"sync finished: {state.get('commits_added', 0)} commits added")
    if state.get("failures"):
        raise typer.Exit(3)
    return True


def _print_summary(store: Store) -> None:
    from catherd.metrics import Params
    from catherd.metrics.runner import period_label, run_metric
    from catherd.store.inventory import status_data

    data = status_data(store)
    console.print(
        f"[bold]{data['repositories']}[/] repositories, [bold]{data['commits']:,}[/] commits, "
        f"[bold]{data['file_changes']:,}[/] file changes, [bold]{data['people']:,}[/] people "
        f"({data['identities']:,} identities, {data['bots']} bots), "
        f"[bold]{data['organisations']}[/] organisations"
    )
    rows = run_metric(store, "active_contributors", Params(by="year"))
    if rows:
        last = rows[-1]
        console.print(
            f"active contributors in {period_label(last['period'], 'year')}: "
            f"[bold]{last['contributors']}[/]"
        )


@app.command()
@guarded
def status(
    db: DbOption = None, config_file: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """Counts of what the store holds, and each source's sync cursor."""
    from catherd.store.inventory import status_data

    config = load_config(config_file, db)
    with reading(config.db) as store:
        data = status_data(store)
    if as_json:
        emit_json(data)
        return
    from rich.table import Table

    table = Table(title=f"catherd store {config.db}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in data.items():
        if key != "sources":
            table.add_row(key.replace("_", " "), f"{value:,}")
    console.print(table)
    sources = Table(title="Sources")
    for column in ("name", "kind", "branch", "commits", "synced at", "cursor", "warnings"):
        sources.add_column(column)
    for source in data["sources"]:
        state = source["cursor"] or {}
        cursor = ", ".join(
            f"{ref.removeprefix('refs/heads/')}@{sha[:10]}"
            for ref, sha in state.get("tips", {}).items()
        ) or ", ".join(
            f"{kind} since {state[kind].get('since') or 'start'}"
            for kind in ("issue", "issue_comment", "review_comment")
            if isinstance(state.get(kind), dict)
        )
        sources.add_row(
            source["name"],
            source["kind"],
            "all branches" if source["all_branches"] else (source["default_branch"] or "HEAD"),
            f"{source['commits']:,}",
            str(source["synced_at"] or "never")[:19],
            cursor,
            str(source["warnings"]),
        )
    console.print(sources)


@app.command()
@guarded
def metrics(
    name: Annotated[str | None, typer.Argument(help="Metric to compute; none lists them.")] = None,
    since: Annotated[str | None, typer.Option(help="First day included (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="First day excluded (YYYY-MM-DD).")] = None,
    by: Annotated[str, typer.Option(help="Period: month, quarter or year.")] = "month",
    repo: Annotated[
        str | None, typer.Option("--repo", help="Only this repository (by name).")
    ] = None,
    include_bots: Annotated[
        bool, typer.Option("--include-bots", help="Count bots as people.")
    ] = False,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
    engine: EngineOption = None,
) -> None:
    """List the metrics, or compute one."""
    from catherd.metrics import REGISTRY, Params
    from catherd.metrics.runner import get_metric, run_metric

    if name is None:
        listing = [m.describe() for m in REGISTRY.values()]
        if as_json:
            emit_json(listing)
            return
        print_rows(
            "Metrics (definitions: docs/metrics.md)",
            ("name", "per", "CHAOSS", "definition"),
            [
                [str(m["name"]), str(m["unit"]), m["chaoss"] or "", str(m["summary"])]
                for m in listing
            ],
        )
        return
    params = Params(
        parse_date(since, "--since"), parse_date(until, "--until"), by, repo, include_bots
    )
    get_metric(name)  # an unknown name fails before any engine starts
    config = load_config(config_file, db)
    with engine_for(config, engine) as (_, where):
        rows = run_metric(where, name, params)
    if as_json:
        emit_json(
            {
                "metric": name,
                "params": {
                    "since": since,
                    "until": until,
                    "by": by,
                    "repository": repo,
                    "include_bots": include_bots,
                },
                "rows": rows,
            }
        )
        return
    if not rows:
        console.print(f"{REGISTRY[name].title}: no data in this window")
        return
    print_rows(
        REGISTRY[name].title,
        list(rows[0]),
        [[_cell(k, v, by) for k, v in row.items()] for row in rows],
        right=[c for c in rows[0] if c not in ("period", "display_name", "person_id")],
    )


def _cell(key: str, value: Any, by: str) -> str:
    from catherd.metrics.runner import period_label

    if value is None:
        return "–"
    if key == "period":
        return period_label(value, by)
    if isinstance(value, float):
        from catherd.metrics.base import is_share

        return f"{value:.0%}" if is_share(key) else f"{value:,.1f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
