"""``catherd reviewers`` and ``catherd workload``: spread the review load, explain the picks."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

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
from catherd.cli.triage import parse_moment
from catherd.config import load_config

console = LazyConsole()


@guarded
def reviewers(
    number: Annotated[int, typer.Argument(help="Pull-request number.")],
    repo: Annotated[
        str | None, typer.Option("--repo", help="Repository name in the store.")
    ] = None,
    files: Annotated[
        list[str] | None, typer.Option("--files", help="Files the PR changes (repeatable).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge as at (default: the PR's opening).")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many people to suggest.")] = 5,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rank people to review a pull request, and say why for each."""
    from catherd.triage.reviewers import suggest_reviewers

    config = load_config(config_file, db)
    moment = parse_moment(as_of) if as_of else None
    with reading(config.db) as store:
        found = suggest_reviewers(store, number, repo, files, moment, limit=limit)
    if as_json:
        emit_json({
            "pull_request": number, "files": found.files, "as_of": found.as_of,
            "candidates": [{**{k: v for k, v in asdict(c).items() if k != "files"},
                            "files": sorted(c.files), "score": c.score,
                            "why": c.explain(len(found.files))} for c in found.candidates],
        })  # fmt: skip
        return
    if not found.candidates:
        console.print("Nobody active has worked on these files recently.")
        return
    print_rows(
        f"Reviewers for #{number} ({len(found.files)} files, as of {found.as_of:%Y-%m-%d})",
        ("rank", "who", "score", "why"),
        [[str(rank), c.who, f"{c.score:.2f}", c.explain(len(found.files))]
         for rank, c in enumerate(found.candidates, start=1)],
    )  # fmt: skip


@guarded
def workload(
    since: Annotated[str | None, typer.Option(help="First day included (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="First day excluded (YYYY-MM-DD).")] = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """How the review load is spread over the team, with its Gini coefficient."""
    from catherd.metrics import Params
    from catherd.metrics.runner import run_metric
    from catherd.triage.reviewers import gini

    config = load_config(config_file, db)
    params = Params(
        since=parse_moment(since).date() if since else None,
        until=parse_moment(until).date() if until else None,
    )
    with reading(config.db) as store:
        rows = run_metric(store, "review_load", params)
    spread = gini([r["reviews"] for r in rows])
    if as_json:
        emit_json({"gini": spread, "reviewers": rows})
        return
    print_rows(
        f"Review load: {len(rows)} reviewers, Gini {spread:.2f} (0 = even, 1 = one does all)",
        ("reviewer", "reviews", "pull requests"),
        [[row["reviewer"], str(row["reviews"]), str(row["pull_requests"])] for row in rows],
    )
