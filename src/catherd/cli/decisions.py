"""``catherd decisions``: the decision log, one decision in full, votes, inconsistencies."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

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
from catherd.config import load_config

app = typer.Typer(
    help="The decision log: proposals and their status, history, votes, inconsistencies.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
console = LazyConsole()
RepoOption = Annotated[str | None, typer.Option("--repo", help="Only this repository (name).")]
StatusOption = Annotated[
    str | None,
    typer.Option(
        "--status",
        help='Only this status: a class (accepted, draft...) or as written ("Under review").',
    ),
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="The day stale proposals are judged on (YYYY-MM-DD).")
]


def _log(
    db: Any, config_file: Any, as_of: str | None, status: str | None = None,
    repo: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    from catherd.decisions.rules import DecisionRules
    from catherd.decisions.summary import decision_log

    config = load_config(config_file, db)
    rules = DecisionRules.from_config(config)
    with reading(config.db) as store:
        return decision_log(
            store, rules, parse_date(as_of, "--as-of") or date.today(), status, repo
        )


@app.callback()
@guarded
def decisions(
    ctx: typer.Context,
    status: StatusOption = None,
    repo: RepoOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every decision document, with the status in force (definitions: docs/decisions.md)."""
    if ctx.invoked_subcommand is not None:
        return
    log = _log(db, config_file, None, status, repo)
    if as_json:
        emit_json(log["decisions"])
        return
    if not log["decisions"]:
        console.print("no decision documents" + (f" with status {status!r}" if status else ""))
        return
    print_rows(
        "Decisions",
        ("decision", "repository", "title", "status", "authors", "created", "resolved", "path"),
        [[d["label"], d["repository"], d["title"] or "",
          f"{d['status'] or '–'}" + (" (index)" if d["status_source"] == "index" else ""),
          ", ".join(a["name"] for a in d["authors"]), d["created"] or "", d["resolved"] or "",
          d["path"] + (f" (pull request #{d['proposed_in']})" if d["proposed_in"] else "")]
         for d in log["decisions"]],
    )  # fmt: skip
    if log["inconsistencies"]:
        console.print(
            f"{len(log['inconsistencies'])} inconsistencies: see `catherd decisions check`"
        )


@app.command("show")
@guarded
def show(
    number: Annotated[int, typer.Argument(help="The decision's number (17 for SLEP017).")],
    repo: RepoOption = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """One decision in full: status history, links, votes, inconsistencies."""
    from catherd.decisions.rules import DecisionRules
    from catherd.decisions.summary import decision_details

    config = load_config(config_file, db)
    rules = DecisionRules.from_config(config)
    with reading(config.db) as store:
        found = decision_details(
            store, number, rules, parse_date(as_of, "--as-of") or date.today(), repo
        )
    if as_json:
        emit_json(found)
        return
    for d in found:
        where = f"pull request #{d['proposed_in']}, " if d["proposed_in"] else ""
        console.print(f"\n[bold]{d['label']}: {d['title'] or 'untitled'}[/]  "
                      f"({d['repository']}, {where}{d['path']})", highlight=False)  # fmt: skip
        authors = ", ".join(a["name"] + ("" if a["person_id"] else " (no person matched)")
                            for a in d["authors"])  # fmt: skip
        for label, value in (
            ("status", f"{d['status'] or '–'} ({d['status_class']}, from the "
                       f"{d['status_source'] or 'nowhere'})"),
            ("type", d["type"]), ("authors", f"{authors} (from the {d['authors_source']})"),
            ("created", f"{d['created']} (from the {d['created_source']})"),
            ("resolved", d["resolved"]), ("resolution", d["resolution"]),
        ):  # fmt: skip
            if value:
                console.print(f"  {label:<11}{value}", highlight=False)
        if d["history"]:
            print_rows(
                "Status history", ("date", "status", "from", "commit", "pull request", "subject"),
                [[e["at"][:10], e["status"], e["source"], e["sha"][:10],
                  f"#{e['pull_request']}" if e["pull_request"] else "", e["subject"]]
                 for e in d["history"]],
            )  # fmt: skip
        if d["links"]:
            print_rows("Discussed in", ("kind", "where", "found in"),
                  [[link["kind"], link["url"] or link["target"], link["found_in"]]
                   for link in d["links"]])  # fmt: skip
        _votes(d["votes"])
        for problem in d["inconsistencies"]:
            console.print(f"  [yellow]inconsistent:[/] {problem['message']}", highlight=False)


@app.command("votes")
@guarded
def votes_command(
    repo: RepoOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Votes: pull requests and issues whose title calls one, with the tally."""
    found = _log(db, config_file, None, repo=repo)["votes"]
    if as_json:
        emit_json(found)
    elif found:
        _votes(found)
    else:
        console.print("no votes found")


def _votes(found: list[dict[str, Any]]) -> None:
    if not found:
        return
    print_rows("Votes", ("#", "decision", "title", "outcome", "for", "against", "not entitled",
                    "voters"),
          [[str(v["number"]), v["decision"] or "", v["title"], v["outcome"],
            _names(v["for"]), _names(v["against"]), _names(v["not_entitled"]),
            v["voters"] or "no GitHub data: not counted"] for v in found])  # fmt: skip


def _names(logins: list[str] | None) -> str:
    return "–" if logins is None else ", ".join(logins) or "none"


@app.command("check")
@guarded
def check(
    repo: RepoOption = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """What disagrees: duplicate numbers, index against document, stale proposals, votes."""
    found = _log(db, config_file, as_of, repo=repo)["inconsistencies"]
    if as_json:
        emit_json(found)
    elif found:
        print_rows("Inconsistencies", ("kind", "repository", "what"),
              [[p["kind"], p["repository"], p["message"]] for p in found])  # fmt: skip
    else:
        console.print("no inconsistency found")
