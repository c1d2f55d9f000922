"""What every command shares: store options, the store for reading, JSON output, and one-line
errors with exit codes.

Modules of commands import only what ``catherd --help`` needs (typer, rich and this module);
what a command works with (the store, metrics, the web application...) is imported inside
the command, so that listing the commands does not load them all.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from catherd.config import CONFIG_NAME
from catherd.errors import CatherdError, InputError, StoreBusy

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from catherd.store.database import Store


class LazyConsole:
    """A rich ``Console`` made on first use: importing rich took a sixth of ``catherd
    --help``'s start-up, and listing the commands prints nothing through it."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self._made: Console | None = None

    @property
    def made(self) -> Console:
        if self._made is None:
            from rich.console import Console

            self._made = Console(**self.options)
        return self._made

    def print(self, *objects: Any, **options: Any) -> None:
        self.made.print(*objects, **options)


errors = LazyConsole(stderr=True, soft_wrap=True)
T = TypeVar("T")
DB_HELP = "Store file (default: catherd.duckdb or catherd.toml's)."
CONFIG_HELP = f"Project file (default: ./{CONFIG_NAME})."


def _or_global(name: str) -> Callable[[typer.Context, Any], Any]:
    """Use the option given before the command (``catherd --db FILE status``) when the
    command itself was not given one (``catherd status --db FILE``)."""

    def callback(ctx: typer.Context, value: Any) -> Any:
        return value if value is not None else ctx.find_root().params.get(name)

    return callback


DbOption = Annotated[Path | None, typer.Option("--db", help=DB_HELP, callback=_or_global("db"))]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help=CONFIG_HELP, callback=_or_global("config_file"))
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print data as JSON.")]


@contextmanager
def reading(db: Path) -> Iterator[Store]:
    """The store for a command that only reads: the file opened read-only or, while
    ``catherd serve`` holds it (DuckDB then lets no other process open it), one snapshot of
    it answered by the dashboard (cli/remote.py)."""
    from catherd.store.database import Store

    try:
        store = Store(db, read_only=True)
    except StoreBusy:
        from catherd.cli.remote import LocalServer

        server = LocalServer.find(db)
        if server is None:
            raise  # another command is writing it: wait for it
        store = server.snapshot(db)
    with store:
        yield store


def guarded(function: Callable[..., T]) -> Callable[..., T]:
    """Turn expected failures into one line on stderr and an exit code, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except StoreBusy as exc:
            fail(busy_message(exc))
            raise typer.Exit(exc.exit_code) from None
        except CatherdError as exc:
            fail(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:
            fail(f"{exc.filename or ''}: {exc.strerror}")
            raise typer.Exit(5) from None
        except KeyboardInterrupt:
            errors.print("interrupted: the store keeps its state from before the unfinished step")
            raise typer.Exit(130) from None
        except Exception as exc:
            # duckdb is imported by the commands that use it, not on start-up
            duckdb = sys.modules.get("duckdb")
            if duckdb is None or not isinstance(exc, duckdb.Error):
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            fail(f"store: {first}")
            raise typer.Exit(4) from None

    return wrapper


def fail(message: str) -> None:
    """One error line on stderr; the message is shown as it is, brackets included."""
    from rich.markup import escape

    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)


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
    title: str,
    columns: Sequence[str],
    cells: Iterable[Sequence[str | Text]],
    right: Container[str] = (),
) -> None:
    """A titled table on standard output; ``right`` names the columns of numbers.

    Text is shown as it is (a name typed as ``[/]`` is no markup); a cell that wants a style
    is a ``rich.text.Text``.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(title))
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    for row in cells:
        table.add_row(*(cell if not isinstance(cell, str) else escape(cell) for cell in row))
    Console().print(table)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=_json_default, ensure_ascii=False) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):  # money: exact, as records write it (pydantic's JSON too)
        return str(value)
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
