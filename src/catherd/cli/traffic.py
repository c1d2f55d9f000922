"""``catherd traffic``: import access logs, and the website's traffic by period and by page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from catherd.cli.common import (
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
from catherd.config import load_config

if TYPE_CHECKING:
    from catherd.store.weblog_loader import ImportResult
    from catherd.traffic.figures import Scope

app = typer.Typer(
    help="Website traffic from access logs: import them, then see requests, visitors, pages.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
console = LazyConsole()
SiteOption = Annotated[str | None, typer.Option("--site", help="Only this site.")]
SinceOption = Annotated[str | None, typer.Option(help="First day included (YYYY-MM-DD).")]
UntilOption = Annotated[str | None, typer.Option(help="First day excluded (YYYY-MM-DD).")]
ByOption = Annotated[str, typer.Option("--by", help="Period: day, week or month.")]
LimitOption = Annotated[int, typer.Option(help="How many rows.")]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="combined, common, vhost_combined, vhost_common, or an Apache LogFormat or nginx "
        "log_format string (default: recognised from the first lines).",
    ),
]


def _scope(site: str | None, since: str | None, until: str | None) -> Scope:
    from catherd.traffic.figures import Scope

    return Scope(site, parse_date(since, "--since"), parse_date(until, "--until"))


# the summary's columns that fit a terminal (--json gives them all)
_SUMMARY_SHOWN = ("period", "requests", "visitors", "not_found", "page_views",
                  "browser_visitors", "bot_requests", "downloads")  # fmt: skip
_LOGS_SHOWN = ("site", "path", "log_format", "lines", "requests", "unparsed")


def _cell(key: str, value: Any, by: str) -> str:
    if value is None:
        return "–"
    if key == "period":
        from catherd.traffic.figures import period_label

        return period_label(value, by)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _show(
    title: str,
    rows: list[dict[str, Any]],
    as_json: bool,
    by: str = "month",
    columns: tuple[str, ...] | None = None,
) -> None:
    if as_json:
        emit_json(rows)
        return
    if not rows:
        console.print(f"{title}: nothing here (import logs with `catherd traffic import`)")
        return
    shown = columns or tuple(rows[0])
    numbers = [c.replace("_", " ") for c in shown if isinstance(rows[0][c], int)]
    print_rows(
        title,
        [c.replace("_", " ") for c in shown],
        [[_cell(c, row[c], by) for c in shown] for row in rows],
        right=numbers,
    )


@app.callback()
@guarded
def traffic(
    ctx: typer.Context,
    by: ByOption = "month",
    site: SiteOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Requests, visitors (as GoAccess counts them), 404s, page views, bots, downloads per
    period (definitions: docs/traffic.md)."""
    if ctx.invoked_subcommand is not None:
        return
    from catherd.traffic.figures import traffic_summary

    config = load_config(config_file, db)
    with reading(config.db) as store:
        rows = traffic_summary(store, by, _scope(site, since, until))
    title = f"Traffic per {by}" + (f" of {site}" if site else "") + " (all columns: --json)"
    _show(title, rows, as_json, by, _SUMMARY_SHOWN)


@app.command("import")
@guarded
def import_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Access logs (plain, .gz or .bz2); none: those of [traffic]."),
    ] = None,
    site: SiteOption = None,
    log_format: FormatOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Import access logs: a file read before adds nothing, a grown one only its new lines."""
    from rich.markup import escape

    from catherd.pipeline import import_traffic
    from catherd.store.database import Store

    config = load_config(config_file, db)
    if not files and not config.traffic.sites:
        errors.print("nothing to import: name log files, or sites in catherd.toml's [traffic]")
        raise typer.Exit(2)
    with Store(config.db) as store:

        def announce(name: str) -> None:
            console.print(f"reading {escape(name)}")

        result = import_traffic(store, config, files or None, site, log_format, announce)
    print_import(result)


def print_import(result: ImportResult) -> None:
    """The files read, what each gave, samples of lines not understood, and warnings."""
    from rich.markup import escape

    print_rows(
        "Access logs",
        ("file", "site", "state", "format", "lines", "requests", "unparsed"),
        [[str(f.path), f.site, f.state, (f.format or "")[:40], f"{f.stats.lines:,}",
          f"{f.stats.requests:,}", f"{f.stats.unparsed:,}"] for f in result.files],
        right=("lines", "requests", "unparsed"),
    )  # fmt: skip
    for f in result.files:
        if f.state == "unrecognised":
            errors.print(f"[yellow]{escape(str(f.path))}:[/] no known format fits its first "
                         "lines; give one with --format or \\[traffic] format")  # fmt: skip
        for sample in f.stats.samples:
            errors.print(f"[yellow]not understood in {escape(f.path.name)}:[/] {escape(sample)}")
    for warning in result.warnings:
        errors.print(f"[yellow]warning:[/] {escape(warning)}")
    console.print(f"{result.requests:,} requests imported")


@app.command()
@guarded
def pages(
    site: SiteOption = None, since: SinceOption = None, until: UntilOption = None,
    limit: LimitOption = 20, db: DbOption = None, config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:  # fmt: skip
    """The pages people read most (page views by browsers)."""
    from catherd.traffic.figures import top_pages

    config = load_config(config_file, db)
    with reading(config.db) as store:
        rows = top_pages(store, _scope(site, since, until), limit)
    _show("Top pages", rows, as_json)


@app.command()
@guarded
def referrers(
    site: SiteOption = None, since: SinceOption = None, until: UntilOption = None,
    limit: LimitOption = 20, db: DbOption = None, config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:  # fmt: skip
    """The other sites people came from (a site's own hosts are named in [traffic])."""
    from catherd.traffic.figures import own_hosts, top_referrers

    config = load_config(config_file, db)
    with reading(config.db) as store:
        hosts = own_hosts(config.traffic, site)
        rows = top_referrers(store, _scope(site, since, until), hosts, limit)
    _show("Referrers", rows, as_json)


@app.command()
@guarded
def versions(
    by: ByOption = "month", site: SiteOption = None, since: SinceOption = None,
    until: UntilOption = None, db: DbOption = None, config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:  # fmt: skip
    """Documentation versions read (/stable/, /dev/, /1.5/...) per period."""
    from catherd.traffic.figures import doc_versions

    config = load_config(config_file, db)
    with reading(config.db) as store:
        rows = doc_versions(store, by, _scope(site, since, until), config.traffic.versions)
    _show(f"Documentation versions read per {by}", rows, as_json, by)


@app.command()
@guarded
def downloads(
    site: SiteOption = None, since: SinceOption = None, until: UntilOption = None,
    limit: LimitOption = 20, db: DbOption = None, config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:  # fmt: skip
    """Files downloaded (archives, installers, PDFs), bots left out."""
    from catherd.traffic.figures import top_downloads

    config = load_config(config_file, db)
    with reading(config.db) as store:
        rows = top_downloads(store, _scope(site, since, until), limit)
    _show("Downloads", rows, as_json)


@app.command()
@guarded
def logs(
    db: DbOption = None, config_file: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """The access logs read: where, in which format, how far, how many lines not understood."""
    from catherd.traffic.figures import traffic_logs

    config = load_config(config_file, db)
    with reading(config.db) as store:
        rows = traffic_logs(store)
    _show("Access logs read", rows, as_json, columns=_LOGS_SHOWN)
