"""``catherd releases`` and ``catherd credits``: every release, and who to thank for one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catherd.cli.common import (
    ConfigOption,
    DbOption,
    JsonOption,
    emit_json,
    guarded,
    print_rows,
    reading,
)
from catherd.config import load_config
from catherd.errors import InputError

RepoOption = Annotated[str | None, typer.Option("--repo", help="Only this repository (by name).")]


@guarded
def releases(
    repo: RepoOption = None,
    all_tags: Annotated[
        bool, typer.Option("--all", help="Pre-releases too (a, b, rc, dev).")
    ] = False,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every release of every repository: date, range, commits, contributors, first-timers."""
    from catherd.community.releases import ReleaseBook

    config = load_config(config_file, db)
    with reading(config.db) as store:
        book = ReleaseBook(store, str(config.mailmap) if config.mailmap else None)
        credits = [book.credits(r, reviewers=False) for r in book.releases(repo, all_tags)]
    rows = [c.summary() for c in credits]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        typer.echo("no release tags yet (version tags such as v1.2.3 or name-1.2.3)")
        return
    print_rows(
        "Releases (credits: `catherd credits TAG`)",
        ("repository", "release", "date", "commits", "contributors", "first-timers"),
        [
            [
                r["repository"],
                r["release"] + (" (pre)" if r["prerelease"] else ""),
                f"{r['date']:%Y-%m-%d}",
                f"{r['commits']:,}",
                str(r["contributors"]),
                str(r["first_timers"]),
            ]
            for r in reversed(rows)
        ],
        right=("commits", "contributors", "first-timers"),
    )


@guarded
def credits(
    tag: Annotated[str, typer.Argument(help="The release's tag (see `catherd releases`).")],
    since: Annotated[
        str | None,
        typer.Option(
            help="Start of the range (a tag or commit); default: the branch point "
            "with the previous release."
        ),
    ] = None,
    repo: RepoOption = None,
    fmt: Annotated[str, typer.Option("--format", help="md, rst or json.")] = "md",
    style: Annotated[
        str, typer.Option(help="list (one name a line, + for first-timers) or paragraph.")
    ] = "list",
    coauthors: Annotated[
        bool,
        typer.Option("--coauthors/--no-coauthors", help="Credit Co-authored-by co-authors too."),
    ] = True,
    current_names: Annotated[
        bool,
        typer.Option(
            "--current-names",
            help="Names from today's mailmap, not from the release's own (as printed then).",
        ),
    ] = False,
    first_time_by: Annotated[
        str,
        typer.Option(
            "--first-time-by",
            help="person: nobody who contributed before under any name or address is a "
            "first-timer; name: a printed name never seen before is (as shortlog-built lists).",
        ),
    ] = "person",
    compare: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            help="A published or drafted release note: say where its list and these differ.",
        ),
    ] = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Who contributed to a release, ready to paste into its notes."""
    from catherd.community.releases import ReleaseBook
    from catherd.reports.credits import FORMATS, STYLES, render_credits

    if fmt not in (*FORMATS, "json"):
        raise InputError(f"--format {fmt!r}: choose md, rst or json")
    if style not in STYLES:
        raise InputError(f"--style {style!r}: choose list or paragraph")
    config = load_config(config_file, db)
    published = None
    if compare is not None:
        from catherd.sources.changelog import published_credits

        try:
            published = published_credits(compare.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{compare}: cannot read it: {exc}") from None
        if not published:
            raise InputError(
                f"{compare}: no contributor list found (a Contributors or Authors list, or an "
                "'including:' paragraph)"
            )
    with reading(config.db) as store:
        book = ReleaseBook(store, str(config.mailmap) if config.mailmap else None)
        release = book.find(tag, repo)
        found = book.credits(release, since, coauthors=coauthors, current_names=current_names,
                             first_time_by=first_time_by)  # fmt: skip
        previous = book.previous(release)
    since_version = since or (str(previous.version.version) if previous else None)
    check = None
    if published is not None:
        from catherd.community.credit_check import check_credits

        check = check_credits(found, published)
    if as_json or fmt == "json":
        emit_json({**found.to_json(), **({"comparison": check.to_json()} if check else {})})
        return
    typer.echo(f"{release.tag}: {found.commits:,} commits, {found.rule}", err=True)
    if check is None:
        typer.echo(render_credits(found, fmt, style, since_version), nl=False)
        return
    rows = [["names", str(check.credited), str(check.published), f"{check.precision:.3f}",
             f"{check.recall:.3f}"]]  # fmt: skip
    if check.first_time is not None:
        both, ours, theirs = check.first_time
        precision, recall = check.first_time_precision, check.first_time_recall
        rows.append([
            "first-timers", str(both + ours), str(both + theirs), f"{precision:.3f}",
            f"{recall:.3f}"])  # fmt: skip
    print_rows(
        f"{release.tag} against {compare.name}",
        ("", "credited", "listed", "precision", "recall"),
        rows,
        right=("credited", "listed", "precision", "recall"),
    )
    for label, names in (("credited, not listed", check.extra),
                         ("listed, not credited", check.missing)):  # fmt: skip
        if names:
            typer.echo(f"{label}: {', '.join(names)}")
