"""``catherd import``: bring in data that comes as files, such as GH Archive dumps."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from catherd.cli.common import (
    ConfigOption,
    DbOption,
    LazyConsole,
    errors,
    guarded,
    print_rows,
    split_names,
)
from catherd.config import load_config
from catherd.errors import InputError, SourceError

if TYPE_CHECKING:
    from catherd.engine.archive import Selection

app = typer.Typer(
    help="Import data that comes as files.", no_args_is_help=True, rich_markup_mode=None
)
console = LazyConsole()


def _download(url: str, folder: Path) -> Path:
    import httpx

    target = folder / url.rstrip("/").rsplit("/", 1)[-1]
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=60) as response:
            response.raise_for_status()
            with target.open("wb") as handle:
                for chunk in response.iter_bytes():
                    handle.write(chunk)
    except httpx.HTTPError as exc:
        raise SourceError(f"{url}: download failed: {exc}") from exc
    return target


@app.command("gharchive")
@guarded
def gharchive(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Hourly dumps (.json.gz or .jsonl), their URLs, or a URL pattern with "
            "ranges: https://data.gharchive.org/2024-01-{01..31}-{0..23}.json.gz"
        ),
    ],
    repo: Annotated[
        list[str] | None,
        typer.Option("--repo", "--repos", help="Keep owner/name (comma-separated, repeatable)."),
    ] = None,
    org: Annotated[
        list[str] | None,
        typer.Option("--org", "--orgs", help="Keep every repository of these owners."),
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Keep every repository (the whole archive).")
    ] = False,
    lake: Annotated[
        Path | None,
        typer.Option("--lake", help="Write Parquet by day into this lake, not the store."),
    ] = None,
    reconcile_sample: Annotated[
        int | None,
        typer.Option(
            "--reconcile",
            help="With --lake: compare the counts of this many repositories with GitHub's "
            "(default 5 when GITHUB_TOKEN is set, else 0).",
        ),
    ] = None,
    api_url: Annotated[
        str | None, typer.Option("--api-url", help="GitHub API root (for --reconcile).")
    ] = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Import GH Archive events of the configured (or named) repositories."""
    from catherd.engine.archive import Selection, expand_pattern
    from catherd.pipeline import import_gharchive
    from catherd.sources.github.repository import is_github, parse_slug
    from catherd.store.database import Store

    locations = [url for source in sources for url in expand_pattern(source)]
    repositories = {parse_slug(r).lower() for r in split_names(repo)}
    owners = split_names(org)
    config = load_config(config_file, db)
    if lake is not None:
        selection = Selection(everything, frozenset(repositories), frozenset(owners))
        _into_lake(lake, locations, selection)
        sample = reconcile_sample if reconcile_sample is not None else (
            5 if config.github_token else 0)  # fmt: skip
        if sample > 0:
            _reconcile(lake, api_url or config.github_api_url, config.github_token, sample)
        return
    repositories |= {parse_slug(s.location) for s in config.repositories if is_github(s.location)}
    with Store(config.db) as store, tempfile.TemporaryDirectory() as scratch:
        repositories |= {r["location"].removeprefix("github:") for r in store.rows(
            "SELECT location FROM repositories WHERE kind = 'github'")}  # fmt: skip
        if not repositories and not owners and not everything:
            raise InputError(
                "no repository to keep: name some with --repo/--org or in catherd.toml, "
                "or give --all"
            )
        for location in locations:
            if not location.startswith(("http://", "https://")) and not Path(location).is_file():
                raise InputError(f"{location}: no such file")
        paths = [
            _download(s, Path(scratch)) if s.startswith(("http://", "https://")) else Path(s)
            for s in locations
        ]

        def reading(name: str) -> None:
            console.print(f"reading {name}")

        result = import_gharchive(
            store, config, paths, repositories, owners, reading, everything=everything
        )
    stats = result.stats
    console.print(
        f"{result.files} file(s) imported ({len(result.skipped_files)} already imported): "
        f"{stats.lines:,} lines, {stats.events:,} events of the chosen repositories, "
        f"{stats.records:,} records, {result.changed:,} rows changed; skipped: "
        f"{stats.other_repositories:,} of other repositories, {stats.other_types:,} of other "
        f"types, {stats.old_schema:,} in the pre-2015 schema, {len(stats.bad_lines)} unreadable"
    )


def _reconcile(lake: Path, api_url: str, token: str | None, sample: int) -> None:
    from catherd.engine.reconcile import reconcile
    from catherd.sources.github.client import GitHubClient

    client = GitHubClient(api_url=api_url, token=token)
    try:
        rows = reconcile(lake, client, sample)
    finally:
        client.close()
    cells = [
        [r["repository"], str(r["repo_id"]), f"{r['archive']:,}",
         "–" if r["github"] is None else f"{r['github']:,}",
         r["problem"] or f"{r['difference']:,}"]
        for r in rows
    ]  # fmt: skip
    print_rows(
        "GH Archive against GitHub (issues and pull requests opened in the hours imported)",
        ["repository", "id", "archive", "GitHub", "missing from the archive"],
        cells,
        right=["id", "archive", "GitHub", "missing from the archive"],
    )


def _into_lake(lake: Path, locations: list[str], selection: Selection) -> None:
    from catherd.engine.archive import import_to_lake, missing_hours

    result = import_to_lake(
        lake, locations, selection, fetch=_download,
        progress=lambda names: console.print(f"reading {names}"),
    )  # fmt: skip
    skipped = ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in result.skipped.items() if n)
    repaired = ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in result.repaired.items() if n)
    console.print(
        f"{lake}: {result.hours} dump(s) imported ({result.already} already there), "
        f"{result.lines:,} lines, {result.written:,} events written; "
        f"skipped: {skipped or 'none'}; kept after repair: {repaired or 'none'}"
    )
    if result.gaps:
        runs = ", ".join(first if first == last else f"{first}..{last}"
                         for first, last in result.gaps[:5])  # fmt: skip
        more = f" and {len(result.gaps) - 5} more runs" if len(result.gaps) > 5 else ""
        errors.print(
            f"[yellow]gaps:[/] {missing_hours(result.gaps)} hour(s) missing between the first "
            f"and last dump: {runs}{more}"
        )
