"""``--engine`` for the commands that compute metrics, and ``catherd export lake``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from catherd.cli.common import ConfigOption, DbOption, LazyConsole, guarded, reading
from catherd.config import Config, load_config

if TYPE_CHECKING:
    from catherd.engine.base import Engine
    from catherd.store.database import Store

EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="duckdb (the store) or spark (Spark over the lake); default: catherd.toml's "
        "[engine] kind, else duckdb.",
    ),
]
export_app = typer.Typer(
    help="Export the store for other engines.", no_args_is_help=True, rich_markup_mode=None
)
console = LazyConsole()


@contextmanager
def engine_for(config: Config, kind: str | None) -> Iterator[tuple[Store | None, Engine]]:
    """The store (None if Spark runs on a lake without one; read through the dashboard when
    one holds it) and the engine metrics run on. On Spark, metrics asked of the store inside
    the block run there too (a report's)."""
    from catherd.engine.base import EngineSettings, open_engine

    settings = EngineSettings.of(config, kind)
    if settings.kind == "duckdb":
        with reading(config.db) as store:
            yield store, open_engine(settings, store)
        return
    from catherd.metrics.runner import on_engine
    from catherd.store.database import Store

    with ExitStack() as stack:
        # Spark can run on a lake exported elsewhere; with the store here, the lake follows it
        store = (
            stack.enter_context(Store(config.db, read_only=True)) if config.db.exists() else None
        )
        engine = stack.enter_context(on_engine(open_engine(settings, store)))
        yield store, engine


@export_app.command("lake")
@guarded
def lake(
    folder: Annotated[Path, typer.Argument(help="The lake folder (created if missing).")],
    partition_rows: Annotated[
        int | None,
        typer.Option(help="Tables of at least this many rows are split by month [1,000,000]."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Rewrite every table, changed or not.")] = False,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Write the store's tables as Parquet (by month where large); re-export writes changes."""
    from catherd.engine.lake import PARTITION_ROWS, export_lake

    config = load_config(config_file, db)
    with reading(config.db) as store:
        result = export_lake(store, folder, partition_rows or PARTITION_ROWS, force)
    if result.up_to_date:
        console.print(f"{folder}: already up to date with {config.db}")
        return
    console.print(
        f"{folder}: {result.tables} tables, {result.groups_written} file groups written "
        f"({result.rows_written:,} rows), {result.groups_kept} unchanged, "
        f"{result.groups_removed} removed"
    )
