"""The ``catherd`` command: typer commands over the store, rich output, one-line errors."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from catherd.cli import ecosystem as ecosystem_commands
from catherd.cli import imports as import_commands
from catherd.cli import partners as partner_commands
from catherd.cli import people as people_commands
from catherd.cli import reports as report_commands
from catherd.cli import review as review_commands
from catherd.cli import web as web_commands
from catherd.cli.common import (
    ConfigOption,
    DbOption,
    JsonOption,
    emit_json,
    errors,
    guarded,
    parse_date,
    print_rows,
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
from catherd.errors import InputError, SourceError
from catherd.metrics import REGISTRY, Params
from catherd.metrics.runner import get_metric, period_label, run_metric
from catherd.pipeline import SyncReport, known_repositories, sync
from catherd.sources.github.client import Clock
from catherd.store.database import Store
from catherd.store.inventory import status_data

app = typer.Typer(
    help="catherd: turn a project's real activity into decisions and public accounts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(people_commands.app, name="people")
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
app.add_typer(export_app, name="export")
app.add_typer(ecosystem_commands.app, name="ecosystem")
console = Console()


def countdown(seconds: float) -> None:
    """Sleep through a rate-limit wait, showing the time left."""
    columns = (TextColumn("[yellow]rate limit:[/] waiting"), BarColumn(),
               TextColumn("{task.fields[left]} s left"))  # fmt: skip
    with Progress(*columns, console=errors, transient=True) as bar:
        task = bar.add_task("wait", total=seconds, left=int(seconds))
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            bar.update(task, completed=seconds - left, left=int(left))
            time.sleep(min(1.0, left))


COUNTDOWN = Clock(sleep=countdown)
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


@contextmanager
def sync_progress() -> Iterator[Callable[[str], Callable[[int, int], None]]]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("commits"),
        TimeElapsedColumn(),
        console=errors,
        transient=False,
    ) as progress:

        def for_repository(name: str) -> Callable[[int, int], None]:
            task = progress.add_task(name, total=None)

            def update(done: int, expected: int) -> None:
                progress.update(task, completed=done, total=max(expected, done))

            return update

        yield for_repository


def print_sync_report(report: SyncReport) -> None:
    table = Table(title="Sync", show_lines=False)
    for column in ("repository", "state", "commits read", "added", "removed", "warnings"):
        table.add_column(
            column, justify="right" if column not in ("repository", "state") else "left"
        )
    for result in report.repositories:
        state = "unchanged" if result.unchanged else "updated"
        table.add_row(
            result.repository,
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
        table.add_row(location, "[red]failed[/]", "", "", "", message)
    console.print(table)
    if report.identities:
        console.print(
            f"identities: {report.identities.identities} resolved into "
            f"{report.identities.people} people"
        )
        for missing in report.identities.unmatched_overrides:
            errors.print(f"[yellow]warning:[/] override matches no identity yet: {missing}")


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
    with Store(config.db) as store:
        with sync_progress() as progress:
            report = sync(store, config, specs, progress, True, skip_missing_objects, COUNTDOWN)
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
    with Store(config.db) as store:
        specs = config.repositories or known_repositories(store)
        if not specs:
            errors.print(
                "nothing to sync: name repositories in catherd.toml or run `catherd analyze`"
            )
            raise typer.Exit(2)
        with sync_progress() as progress:
            report = sync(store, config, specs, progress, False, skip_missing_objects, COUNTDOWN)
        print_sync_report(report)
        if report.failures:
            raise typer.Exit(3)


def ask_running_server(db: Path) -> bool:
    """If `catherd serve` holds the store, have it run the sync; True if it did."""
    from catherd.web.syncing import serve_file

    announced = serve_file(db)
    if not announced.exists():
        return False
    server = json.loads(announced.read_text())
    headers = {"Authorization": f"Bearer {server['token']}"}
    try:
        started = httpx.post(f"{server['url']}/api/admin/sync", headers=headers, timeout=10).json()
        already = "" if started.get("started") else " (one was already running)"
        console.print(
            f"the dashboard at {server['url']} holds the store: it runs the sync{already}"
        )
        state_url = f"{server['url']}/api/admin/sync"
        while (state := httpx.get(state_url, headers=headers, timeout=10).json()).get("running"):
            time.sleep(0.5)
    except httpx.HTTPError as exc:
        raise SourceError(f"{announced} names a dashboard that does not answer: {exc}") from exc
    for failure in state.get("failures") or []:
        errors.print(f"[red]failed:[/] {failure}")
    console.print(f"sync finished: {state.get('commits_added', 0)} commits added")
    if state.get("failures"):
        raise typer.Exit(3)
    return True


def _print_summary(store: Store) -> None:
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
    config = load_config(config_file, db)
    with Store(config.db, read_only=True) as store:
        data = status_data(store)
    if as_json:
        emit_json(data)
        return
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
    with engine_for(config, engine) as (_, chosen):
        rows = run_metric(chosen, name, params)
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
    if value is None:
        return "–"
    if key == "period":
        return period_label(value, by)
    if isinstance(value, float):
        return (
            f"{value:.0%}"
            if key.endswith(("share", "coverage")) or key.startswith("retention")
            else f"{value:,.1f}"
        )
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
