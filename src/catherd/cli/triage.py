"""``catherd triage``: the queue of issues and pull requests that need a person today."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

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
from catherd.errors import InputError

console = LazyConsole()


def parse_moment(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--as-of {value!r}: not a date (YYYY-MM-DD or an ISO time)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@guarded
def triage(
    as_json: JsonOption = False,
    markdown: Annotated[
        bool, typer.Option("--md", help="Print Markdown (for an issue or chat).")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge as at this time (default: now).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many items.")] = 50,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """The issues and pull requests that need a person today, with the reason for each."""
    from rich.text import Text

    from catherd.triage.queue import TriageRules, triage_queue

    config = load_config(config_file, db)
    rules = TriageRules.from_config(config.triage)
    with reading(config.db) as store:
        queue = triage_queue(store, rules, parse_moment(as_of), limit)
    if as_json:
        emit_json(queue)
    elif markdown:
        print(to_markdown(queue))
    elif not queue:
        console.print("Nothing needs a person right now (or no GitHub repository is synced).")
    else:
        print_rows(
            f"Triage queue ({len(queue)})",
            ("item", "title", "author", "why"),
            [
                [
                    f"{row['repo']}#{row['number']}",
                    row["title"],
                    Text(row["author"]) + (Text(" (newcomer)", "green") if row["newcomer"] else ""),
                    row["why"],
                ]
                for row in queue
            ],
        )


def to_markdown(queue: list[dict[str, Any]]) -> str:
    if not queue:
        return "Nothing needs a person right now."
    lines = [f"## Triage queue ({len(queue)})", ""]
    for row in queue:
        newcomer = " — **newcomer**" if row["newcomer"] else ""
        lines.append(
            f"- [{row['repo']}#{row['number']}]({row['url']}) {row['title']} "
            f"(@{row['author']}{newcomer}): {row['why']}"
        )
    return "\n".join(lines)
