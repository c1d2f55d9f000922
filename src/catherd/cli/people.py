"""``catherd people``: list people, see duplicate suggestions, record merge and split decisions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:
    from catherd.identity.overrides import IdentityRef

app = typer.Typer(
    help="People, their identities and organisations.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
console = LazyConsole()



@app.callback()
@guarded
def people(
    ctx: typer.Context,
    search: Annotated[
        str | None, typer.Option(help="Only people with this in a name or address.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many people.")] = 50,
    bots: Annotated[bool, typer.Option("--bots", help="Include bots.")] = False,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List people with their identities and organisation, most active first."""
    if ctx.invoked_subcommand is not None:
        return
    from catherd.community.people import PeopleQuery, identities_of, list_people

    config = load_config(config_file, db)
    query = PeopleQuery(search=search or "", bots=bots, addresses=True, limit=limit)
    with reading(config.db) as store:
        rows, _ = list_people(store, query)
        identities = identities_of(store, [r["person_id"] for r in rows])
    for row in rows:
        # people who asked to be forgotten keep no visible identity, here as everywhere
        row["identities"] = [] if row.pop("forgotten") else identities.get(row["person_id"], [])
    if as_json:
        emit_json(rows)
        return
    from rich.text import Text

    print_rows(
        "People",
        ("person", "name", "organisation", "contributions", "first", "last", "identities"),
        [[row["person_id"], row["display_name"], row["organisation"] or "",
          f"{row['contributions']:,}", str(row["first_at"] or "")[:10],
          str(row["last_at"] or "")[:10],
          Text("\n").join(Text(f"{i['name']} <{i['email_key']}> ")
                          + Text(f"({i['merged_by']})", "dim") for i in row["identities"])]
         for row in rows],
        right=("contributions",),
    )  # fmt: skip


@app.command("suggest")
@guarded
def suggest_command(
    limit: Annotated[int, typer.Option(help="At most this many suggestions.")] = 30,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Probable duplicate people, with the evidence. Nothing changes until you merge (or keep
    them apart with `catherd people distinct`)."""
    from catherd.identity.overrides import Overrides
    from catherd.identity.suggest import pending

    config = load_config(config_file, db)
    with reading(config.db) as store:
        overrides = Overrides.load(config.overrides)
        found = pending(store.rows("SELECT * FROM identities"), overrides)[:limit]
        names = {r["person_id"]: r["display_name"] for r in store.rows("SELECT * FROM people")}
    if as_json:
        emit_json(
            [
                {
                    "person_a": s.person_a,
                    "person_b": s.person_b,
                    "score": s.score,
                    "evidence": s.evidence,
                    "identities": s.identities,
                }
                for s in found
            ]
        )
        return
    if not found:
        console.print("no probable duplicates found")
        return
    print_rows(
        "Probable duplicates (`catherd people merge A B`, or `catherd people distinct A B`)",
        ("score", "person A", "person B", "evidence"),
        [[f"{s.score:.2f}", f"{names.get(s.person_a)} ({s.person_a})",
          f"{names.get(s.person_b)} ({s.person_b})", "\n".join(s.evidence)] for s in found],
    )  # fmt: skip


ReasonOption = Annotated[str, typer.Option(help="Why: kept in the overrides file.")]


def _decide(
    db: Path | None,
    config_file: Path | None,
    texts: list[str],
    what: str,
    record: Callable[[Path, list[IdentityRef]], None],
) -> None:
    """Check the identities, record the decision in the overrides file, and apply it."""
    from catherd.pipeline import decide
    from catherd.store.database import Store

    config = load_config(config_file, db)
    with Store(config.db) as store:
        refs, result = decide(store, config, texts, record, what)
    recorded = f"recorded in {config.overrides}: {what} {', '.join(map(str, refs))}"
    console.print(recorded, markup=False)
    if result:
        console.print(f"{result.identities} identities now resolve into {result.people} people")


@app.command()
@guarded
def merge(
    first: Annotated[
        str, typer.Argument(help='Person id, e-mail, "Name <email>" or github:login.')
    ],
    others: Annotated[list[str], typer.Argument(help="The same person's other ids or identities.")],
    reason: ReasonOption = "confirmed by a person",
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Record that these are one person (in the overrides file) and apply it."""
    from catherd.identity.overrides import record_merge

    _decide(db, config_file, [first, *others], "merge",
            lambda path, refs: record_merge(path, refs, reason))  # fmt: skip


@app.command()
@guarded
def distinct(
    first: Annotated[
        str, typer.Argument(help='Person id, e-mail, "Name <email>" or github:login.')
    ],
    others: Annotated[list[str], typer.Argument(help="People who are someone else.")],
    reason: ReasonOption = "confirmed by a person",
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Record that these are different people: they are no longer suggested as duplicates."""
    from catherd.identity.overrides import record_distinct

    _decide(db, config_file, [first, *others], "keep apart",
            lambda path, refs: record_distinct(path, refs, reason))  # fmt: skip


@app.command()
@guarded
def split(
    identity: Annotated[
        str, typer.Argument(help='The identity to keep apart: e-mail or "Name <email>".')
    ],
    reason: ReasonOption = "confirmed by a person",
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Record that an identity is its own person, whatever the automatic rules say."""
    from catherd.identity.overrides import record_split

    _decide(db, config_file, [identity], "split",
            lambda path, refs: record_split(path, refs[0], reason))  # fmt: skip


@app.command()
@guarded
def forget(
    who: Annotated[str, typer.Argument(help='Person id, e-mail, "Name <email>" or github:login.')],
    hide: Annotated[
        bool, typer.Option("--hide", help="Also leave them out of every list.")
    ] = False,
    reason: ReasonOption = "asked to be forgotten",
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Show a person nowhere by name or address (still counted, anonymously), on request."""
    from catherd.identity.overrides import record_forget

    _decide(db, config_file, [who], "forget",
            lambda path, refs: record_forget(path, refs[0], hide, reason))  # fmt: skip
