"""What every command shares: store options, JSON output, and one-line errors with exit codes."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Container, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import duckdb
import typer
from rich.console import Console
from rich.table import Table

from catherd.config import CONFIG_NAME
from catherd.errors import CatherdError, InputError, StoreBusy

errors = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Store file (default: catherd.duckdb or catherd.toml's)."),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help=f"Project file (default: ./{CONFIG_NAME}).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print data as JSON.")]


def guarded(function: Callable[..., T]) -> Callable[..., T]:
    """Turn expected failures into one line on stderr and an exit code, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except StoreBusy as exc:
            errors.print(f"[bold red]error:[/] {busy_message(exc)}", highlight=False, markup=True)
            raise typer.Exit(exc.exit_code) from None
        except CatherdError as exc:
            errors.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
            raise typer.Exit(exc.exit_code) from None
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            errors.print(f"[bold red]error:[/] store: {first}", highlight=False)
            raise typer.Exit(4) from None
        except OSError as exc:
            errors.print(
                f"[bold red]error:[/] {exc.filename or ''}: {exc.strerror}", highlight=False
            )
            raise typer.Exit(5) from None
        except KeyboardInterrupt:
            errors.print("interrupted: the store keeps its state from before the unfinished step")
            raise typer.Exit(130) from None

    return wrapper


def busy_message(exc: StoreBusy) -> str:
    """Why the store cannot be opened, and what to do: usually the dashboard holds it."""
    from catherd.web.syncing import serve_file

    announced = serve_file(Path(str(exc.path)))
    if announced.exists():
        url = json.loads(announced.read_text()).get("url", "")
        return (
            f"{exc.path}: the dashboard ({url}) holds this store: use it there, run "
            "`catherd sync` (the dashboard runs it), or stop `catherd serve` first"
        )
    return f"{exc} (another catherd command is writing it: wait for it to finish)"


def print_rows(
    title: str, columns: Sequence[str], cells: Iterable[Sequence[str]], right: Container[str] = ()
) -> None:
    """A titled table on standard output; ``right`` names the columns of numbers."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    for row in cells:
        table.add_row(*row)
    Console().print(table)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=_json_default, ensure_ascii=False) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def split_names(values: list[str] | None) -> set[str]:
    """Lower-cased names from options given as comma-separated lists, repeated or not."""
    return {n.strip().lower() for v in values or [] for n in v.split(",") if n.strip()}


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r}: not a date (YYYY-MM-DD)") from None
