"""``catherd records / partners / team / priorities``: the foundation's side of the project."""

from __future__ import annotations

import getpass
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from catherd.cli.common import (
    ConfigOption,
    DbOption,
    JsonOption,
    LazyConsole,
    emit_json,
    guarded,
    parse_date,
    print_rows,
    reading,
)
from catherd.config import Config, load_config
from catherd.errors import InputError

records_app = typer.Typer(
    help="Partnership records: import, export, audit log.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
partners_app = typer.Typer(
    help="Sponsors and agreements, runway, prospects.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
console = LazyConsole()
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="The day to look from (YYYY-MM-DD).")
]


def records_folder(config: Config, folder: Path | None) -> Path:
    return folder or config.records or Path("records")


@records_app.command("import")
@guarded
def import_records(
    folder: Annotated[
        Path | None, typer.Argument(help="Folder with partners.toml, team.toml, priorities.toml.")
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--as", help="Who makes the change (audit log).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite records edited on the dashboard since.")
    ] = False,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Check the record files and make the store hold exactly them (nothing on error)."""
    from catherd.partners import book
    from catherd.partners.funding import Funding
    from catherd.partners.records import kinds_in, read_folder
    from catherd.pipeline import refresh_identities
    from catherd.store.database import Store

    config = load_config(config_file, db)
    folder = records_folder(config, folder)
    incoming, problems = read_folder(folder)
    if problems:
        raise InputError("records not saved:\n  " + "\n  ".join(problems))
    with Store(config.db) as store:
        changes = book.replace(
            store,
            incoming,
            kinds_in(folder),
            Funding.of(config),
            actor or getpass.getuser(),
            "import",
            force,
        )
        refresh_identities(store, config)  # the funded team is the project's team
    for change in changes:
        console.print(f"{change.action:>8} {change.kind} {change.record_id}", markup=False)
    console.print(f"{len(changes)} change(s) recorded" if changes else "no change")


@records_app.command("export")
@guarded
def export_records(
    folder: Annotated[
        Path | None, typer.Argument(help="Folder to write the three files into.")
    ] = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Write the stored records as partners.toml, team.toml and priorities.toml."""
    from catherd.partners import book

    config = load_config(config_file, db)
    with reading(config.db) as store:
        for path in book.export(store, records_folder(config, folder)):
            console.print(f"wrote {path}")


@records_app.command("log")
@guarded
def records_log(
    limit: Annotated[int, typer.Option(help="At most this many changes.")] = 50,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Who changed which record, when, and which fields (latest first)."""
    from catherd.partners import book

    config = load_config(config_file, db)
    with reading(config.db) as store:
        rows = book.audit_log(store, limit)
    if as_json:
        emit_json(rows)
        return
    print_rows(
        "Changes to the records",
        ("when", "who", "what", "record", "fields changed"),
        [[str(r["at"])[:19], r["actor"], r["action"], f"{r['kind']} {r['record_id']}",
          ", ".join(r["fields"])] for r in rows],
    )  # fmt: skip


@partners_app.callback()
@guarded
def partners(
    ctx: typer.Context,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Partners and their agreements."""
    if ctx.invoked_subcommand is not None:
        return
    from catherd.partners import book
    from catherd.partners.records import Agreement, Partner

    config = load_config(config_file, db)
    with reading(config.db) as store:
        records = book.load(store)
    agreements = records.of(Agreement)
    rows = [
        {
            **p.model_dump(mode="json"),
            "agreements": [a.model_dump(mode="json") for a in agreements if a.partner == p.id],
        }
        for p in records.of(Partner)
    ]
    if as_json:
        emit_json(rows)
        return
    deals = [
        "\n".join(f"{a['id']}: {a['status']}, {a['amount']} {a['currency']}, "
                  f"{a['start']} → {a['end']}" for a in row["agreements"])
        for row in rows
    ]  # fmt: skip
    print_rows(
        "Partners", ("partner", "tier", "visibility", "agreements"),
        [[r["name"], r["tier"] or "", r["visibility"], d]
         for r, d in zip(rows, deals, strict=True)],
    )  # fmt: skip


@partners_app.command("runway")
@guarded
def runway_command(
    as_of: AsOfOption = None,
    months: Annotated[int, typer.Option(help="How many months ahead.")] = 36,
    renewals: Annotated[
        int, typer.Option(help="Agreements due for renewal within this many days.")
    ] = 90,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Income against team costs per month, and months of runway in two scenarios."""
    from catherd.partners import book
    from catherd.partners.funding import Funding, runway

    config = load_config(config_file, db)
    with reading(config.db) as store:
        records = book.load(store)
    result = runway(
        records, Funding.of(config), parse_date(as_of, "--as-of") or date.today(), months, renewals
    )
    if as_json:
        emit_json(
            {
                "as_of": result.as_of,
                "currency": result.currency,
                "runway": result.runway,
                "months": result.months,
                "renewals": result.renewals,
            }
        )
        return
    for scenario, label in (("signed", "signed agreements"), ("likely", "signed + likely")):
        covered = result.runway[scenario]
        text = f"more than {months}" if covered is None else str(covered)
        console.print(f"runway on {label}: [bold]{text}[/] months")
    amounts = ("income_signed", "income_likely", "costs", "balance_signed", "balance_likely")
    columns = ("income, signed", "income, + likely", "team costs", "balance, signed",
               "balance, + likely")  # fmt: skip
    print_rows(
        f"Per month ({result.currency})",
        ("month", *columns),
        [[m["month"].isoformat()[:7], *(f"{m[k]:,.0f}" for k in amounts)] for m in result.months],
        right=columns,
    )
    for r in result.renewals:
        console.print(
            f"renewal due {r['due']} ("
            + (f"in {r['days']} days" if r["days"] >= 0 else f"overdue by {-r['days']} days")
            + f"): {r['agreement']} "
            f"({r['partner']}), {r['amount']:,.0f} {result.currency}"
        )


@partners_app.command("prospects")
@guarded
def prospects_command(
    as_of: AsOfOption = None,
    limit: Annotated[int, typer.Option(help="At most this many organisations.")] = 25,
    to_csv: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="Write them, with evidence, to this CSV file ('-': standard output)."
        ),
    ] = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Organisations whose people contribute but which fund nothing today."""
    from catherd.partners import book
    from catherd.partners.prospects import prospects, write_csv

    config = load_config(config_file, db)
    with reading(config.db) as store:
        rows = prospects(store, book.load(store), parse_date(as_of, "--as-of"))[:limit]
    if as_json:
        emit_json(rows)
    elif to_csv is not None:
        write_csv(
            rows,
            sys.stdout if str(to_csv) == "-" else to_csv.open("w", newline="", encoding="utf-8"),
        )
    else:
        counts = ("acts", "contributors", "commits", "pull_requests", "reviews", "issues")
        columns = ("organisation", "growth", "acts", "people", "commits", "PRs", "reviews",
                   "issues", "who")  # fmt: skip
        print_rows(
            "Prospects (last 365 days)", columns,
            [[r["organisation"], "new" if r["growth"] is None else f"{r['growth']:+.0%}",
              *(str(r[k]) for k in counts),
              ", ".join(p["name"] for p in r["evidence"][:3])
              + (" …" if len(r["evidence"]) > 3 else "")]
             for r in rows],
            right=columns[1:-1],
        )  # fmt: skip


@guarded
def team(
    db: DbOption = None, config_file: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """The funded team: who, role, FTE, monthly cost, funded by, and the person it resolves to."""
    from catherd.partners import book

    config = load_config(config_file, db)
    with reading(config.db) as store:
        rows = book.team_rows(store, book.load(store))
    if as_json:
        emit_json(rows)
        return
    print_rows(
        "Funded team",
        ("member", "person", "role", "FTE", "monthly cost", "from", "until", "funded by"),
        [[r["id"], f"{r['name']} ({r['person_id'] or ', '.join(r['logins'])})", r["role"],
          str(r["fte"]), f"{r['monthly_cost']} {r['currency']}", r["start"], r["end"] or "",
          r["funded_by"] or ""] for r in rows],
    )  # fmt: skip


@guarded
def priorities(
    db: DbOption = None, config_file: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """Joint priorities and how far their linked issues and pull requests have come."""
    from catherd.partners import book
    from catherd.partners.priorities import flat, progress

    config = load_config(config_file, db)
    with reading(config.db) as store:
        rows = progress(store, book.load(store))
    if as_json:
        emit_json(flat(rows))
        return
    print_rows(
        "Priorities",
        ("priority", "asked by", "status", "issues open/closed", "PRs open/merged", "people",
         "team share"),
        [[r["priority"].title,
          ", ".join([*r["priority"].sponsors, *(["community"] if r["priority"].community else [])]),
          r["priority"].status, f"{r['issues_open']}/{r['issues_closed']}",
          f"{r['pulls_open']}/{r['pulls_merged']}", str(r["people"]),
          "–" if r["team_share"] is None else f"{r['team_share']:.0%}"] for r in rows],
    )  # fmt: skip
