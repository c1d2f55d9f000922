"""``catherd records / partners / team / priorities``: the foundation's side of the project."""

from __future__ import annotations

import csv
import getpass
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from catherd.cli.common import ConfigOption, DbOption, JsonOption, emit_json, guarded, parse_date
from catherd.config import Config, load_config
from catherd.errors import InputError
from catherd.partners import book
from catherd.partners.funding import Funding, runway
from catherd.partners.priorities import progress
from catherd.partners.prospects import prospects
from catherd.partners.records import FILES, Agreement, Member, Partner, read_folder
from catherd.store.database import Store

records_app = typer.Typer(
    help="Partnership records: import, export, audit log.", no_args_is_help=True
)
partners_app = typer.Typer(
    help="Sponsors and agreements, runway, prospects.", invoke_without_command=True
)
console = Console()
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="The day to look from (YYYY-MM-DD).")
]


def funding_of(config: Config) -> Funding:
    return Funding.from_table(config.funding, str(config.source or "catherd.toml"))


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
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Check the record files and make the store hold exactly them (nothing on error)."""
    config = load_config(config_file, db)
    folder = records_folder(config, folder)
    incoming, problems = read_folder(folder)
    if problems:
        raise InputError("records not saved:\n  " + "\n  ".join(problems))
    kinds = tuple(
        kind for name, kinds in FILES.items() if (folder / name).is_file() for kind in kinds
    )
    with Store(config.db) as store:
        changes = book.replace(
            store, incoming, kinds, funding_of(config), actor or getpass.getuser()
        )
    for change in changes:
        console.print(f"{change.action:>8} {change.kind} {change.record_id}")
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
    config = load_config(config_file, db)
    with Store(config.db, read_only=True) as store:
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
    config = load_config(config_file, db)
    with Store(config.db, read_only=True) as store:
        rows = book.audit_log(store, limit)
    if as_json:
        emit_json(rows)
        return
    table = Table(title="Changes to the records")
    for column in ("when", "who", "what", "record", "fields"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["at"])[:19],
            row["actor"],
            row["action"],
            f"{row['kind']} {row['record_id']}",
            ", ".join(row["fields"]),
        )
    console.print(table)


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
    config = load_config(config_file, db)
    with Store(config.db, read_only=True) as store:
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
    table = Table(title="Partners")
    for column in ("partner", "tier", "visibility", "agreements"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["name"],
            row["tier"] or "",
            row["visibility"],
            "\n".join(
                f"{a['id']}: {a['status']}, {a['amount']} {a['currency']}, "
                f"{a['start']} → {a['end']}"
                for a in row["agreements"]
            ),
        )
    console.print(table)


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
    config = load_config(config_file, db)
    with Store(config.db, read_only=True) as store:
        records = book.load(store)
    result = runway(
        records, funding_of(config), parse_date(as_of, "--as-of") or date.today(), months, renewals
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
    table = Table(title=f"Per month ({result.currency})")
    for column in (
        "month",
        "income signed",
        "income signed+likely",
        "team costs",
        "balance signed",
        "balance +likely",
    ):
        table.add_column(column, justify="right")
    for m in result.months:
        table.add_row(
            m["month"].isoformat()[:7],
            f"{m['income_signed']:,.0f}",
            f"{m['income_likely']:,.0f}",
            f"{m['costs']:,.0f}",
            f"{m['balance_signed']:,.0f}",
            f"{m['balance_likely']:,.0f}",
        )
    console.print(table)
    for r in result.renewals:
        console.print(
            f"renewal due {r['due']} (in {r['days']} days): {r['agreement']} "
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
    config = load_config(config_file, db)
    with Store(config.db, read_only=True) as store:
        rows = prospects(store, book.load(store), parse_date(as_of, "--as-of"))[:limit]
    if as_json:
        emit_json(rows)
    elif to_csv is not None:
        write_prospects_csv(
            rows,
            sys.stdout if str(to_csv) == "-" else to_csv.open("w", newline="", encoding="utf-8"),
        )
    else:
        table = Table(title="Prospects (last 365 days)")
        for column in (
            "organisation",
            "acts",
            "growth",
            "people",
            "commits",
            "PRs",
            "reviews",
            "issues",
            "who",
        ):
            table.add_column(
                column, justify="left" if column in ("organisation", "who") else "right"
            )
        for r in rows:
            growth = "new" if r["growth"] is None else f"{r['growth']:+.0%}"
            who = ", ".join(p["name"] for p in r["evidence"][:3]) + (
                " …" if len(r["evidence"]) > 3 else ""
            )
            table.add_row(
                r["organisation"],
                str(r["acts"]),
                growth,
                str(r["contributors"]),
                str(r["commits"]),
                str(r["pull_requests"]),
                str(r["reviews"]),
                str(r["issues"]),
                who,
            )
        console.print(table)


def write_prospects_csv(rows: list[dict[str, Any]], handle: Any) -> None:
    """One line per organisation; evidence as 'Name: 12 commit, 3 review (first..last)'."""
    writer = csv.writer(handle)
    writer.writerow(
        [
            "organisation",
            "acts_last_365_days",
            "acts_365_days_before",
            "growth",
            "contributors",
            "commits",
            "pull_requests",
            "reviews",
            "issues",
            "evidence",
        ]
    )
    for r in rows:
        evidence = "; ".join(
            f"{p['name']}: {', '.join(f'{n} {kind}' for kind, n in sorted(p['what'].items()))} "
            f"({p['first_at']:%Y-%m-%d}..{p['last_at']:%Y-%m-%d})"
            for p in r["evidence"]
        )
        growth = "" if r["growth"] is None else f"{r['growth']:.3f}"
        writer.writerow(
            [
                r["organisation"],
                r["acts"],
                r["acts_before"],
                growth,
                r["contributors"],
                r["commits"],
                r["pull_requests"],
                r["reviews"],
                r["issues"],
                evidence,
            ]
        )
    handle.flush()


@guarded
def team(
    db: DbOption = None, config_file: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """The funded team: who, role, FTE, monthly cost, funded by, and the person it resolves to."""
    config = load_config(config_file, db)
    with Store(config.db, read_only=True) as store:
        records = book.load(store)
        rows = []
        for member in records.of(Member):
            who = book.identify(store, member.person)
            rows.append(
                {
                    **member.model_dump(mode="json"),
                    "person_id": who and who.person_id,
                    "name": who and who.name,
                    "logins": sorted(who.logins) if who else [],
                }
            )
    if as_json:
        emit_json(rows)
        return
    table = Table(title="Funded team")
    for column in ("member", "person", "role", "FTE", "monthly cost", "from", "until", "funded by"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["id"],
            f"{r['name']} ({r['person_id'] or ', '.join(r['logins'])})",
            r["role"],
            str(r["fte"]),
            f"{r['monthly_cost']} {r['currency']}",
            r["start"],
            r["end"] or "",
            r["funded_by"] or "",
        )
    console.print(table)


@guarded
def priorities(
    db: DbOption = None, config_file: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """Joint priorities and how far their linked issues and pull requests have come."""
    config = load_config(config_file, db)
    with Store(config.db, read_only=True) as store:
        rows = progress(store, book.load(store))
    if as_json:
        emit_json(
            [
                {
                    **{k: v for k, v in r.items() if k != "priority"},
                    **r["priority"].model_dump(mode="json"),
                }
                for r in rows
            ]
        )
        return
    table = Table(title="Priorities")
    for column in (
        "priority",
        "origin",
        "status",
        "issues open/closed",
        "PRs open/merged",
        "people",
        "team share",
    ):
        table.add_column(column)
    for r in rows:
        p = r["priority"]
        origin = ", ".join([*p.sponsors, *(["community"] if p.community else [])])
        share = "–" if r["team_share"] is None else f"{r['team_share']:.0%}"
        table.add_row(
            p.title,
            origin,
            p.status,
            f"{r['issues_open']}/{r['issues_closed']}",
            f"{r['pulls_open']}/{r['pulls_merged']}",
            str(r["people"]),
            share,
        )
    console.print(table)
