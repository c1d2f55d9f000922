"""``catherd import``: bring in data that comes as files, such as GH Archive dumps."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from catherd.cli.common import ConfigOption, DbOption, LazyConsole, guarded
from catherd.config import load_config
from catherd.errors import InputError, SourceError

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
        list[str], typer.Argument(help="Hourly dumps (.json.gz or .jsonl) or their URLs.")
    ],
    repo: Annotated[
        list[str] | None, typer.Option("--repo", help="Keep this owner/name (repeatable).")
    ] = None,
    org: Annotated[
        list[str] | None, typer.Option("--org", help="Keep every repository of this owner.")
    ] = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Import GH Archive events of the configured (or named) repositories."""
    from catherd.pipeline import import_gharchive
    from catherd.sources.github.repository import is_github, parse_slug
    from catherd.store.database import Store

    config = load_config(config_file, db)
    repositories = {parse_slug(r) for r in repo or []}
    repositories |= {parse_slug(s.location) for s in config.repositories if is_github(s.location)}
    owners = {o.strip().lower() for o in org or []}
    with Store(config.db) as store, tempfile.TemporaryDirectory() as scratch:
        repositories |= {r["location"].removeprefix("github:") for r in store.rows(
            "SELECT location FROM repositories WHERE kind = 'github'")}  # fmt: skip
        if not repositories and not owners:
            raise InputError(
                "no repository to keep: name some with --repo/--org or in catherd.toml"
            )
        paths = [
            _download(s, Path(scratch)) if s.startswith(("http://", "https://")) else Path(s)
            for s in sources
        ]

        def reading(name: str) -> None:
            console.print(f"reading {name}")

        result = import_gharchive(store, config, paths, repositories, owners, reading)
    stats = result.stats
    console.print(
        f"{result.files} file(s) imported ({len(result.skipped_files)} already imported): "
        f"{stats.lines:,} lines, {stats.events:,} events of the chosen repositories, "
        f"{stats.records:,} records, {result.changed:,} rows changed; skipped: "
        f"{stats.other_repositories:,} of other repositories, {stats.other_types:,} of other "
        f"types, {stats.old_schema:,} in the pre-2015 schema, {len(stats.bad_lines)} unreadable"
    )
