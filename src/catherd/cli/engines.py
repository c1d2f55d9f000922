"""``--engine`` for the commands that compute metrics, and ``catherd export lake``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from catherd.cli.common import ConfigOption, DbOption, guarded
from catherd.config import Config, load_config
from catherd.engine.base import Engine, EngineSettings, open_engine
from catherd.engine.lake import PARTITION_ROWS, export_lake
from catherd.store.database import Store

EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="duckdb (the store) or spark (Spark over the lake); default: catherd.toml's "
        "[engine] kind, else duckdb.",
    ),
]
export_app = typer.Typer(help="Export the store for other engines.", no_args_is_help=True)
console = Console()


@contextmanager
def engine_for(config: Config, kind: str | None) -> Iterator[tuple[Store | None, Engine]]:
    """The store (read-only; None if Spark runs on a lake without one) and the engine chosen."""
    settings = EngineSettings.of(config, kind)
    # Spark can run on a lake exported elsewhere; with the store here, the lake follows it
    store = (
        Store(config.db, read_only=True)
        if settings.kind == "duckdb" or config.db.exists()
        else None
    )
    try:
        yield store, open_engine(settings, store)
    finally:
        if store is not None:
            store.close()


@export_app.command("lake")
@guarded
def lake(
    folder: Annotated[Path, typer.Argument(help="The lake folder (created if missing).")],
    partition_rows: Annotated[
        int, typer.Option(help="Tables of at least this many rows are split by month.")
    ] = PARTITION_ROWS,
    force: Annotated[bool, typer.Option(help="Rewrite every table, changed or not.")] = False,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Write the store's tables as Parquet (by month where large); re-export writes changes."""
    config = load_config(config_file, db)
    with Store(config.db, read_only=True) as store:
        result = export_lake(store, folder, partition_rows, force)
    if result.up_to_date:
        console.print(f"{folder}: already up to date with {config.db}")
        return
    console.print(
        f"{folder}: {result.tables} tables, {result.groups_written} file groups written "
        f"({result.rows_written:,} rows), {result.groups_kept} unchanged, "
        f"{result.groups_removed} removed"
    )
