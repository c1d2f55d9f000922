"""``catherd demo``: the sample shipped with catherd as a store, its report, and the dashboard."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer

from catherd.cli.common import LazyConsole, guarded

console = LazyConsole()
DEMO_ACCOUNT = "demo"


@guarded
def demo(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the store, project file, report.")
    ] = Path("catherd-demo"),
    serve: Annotated[
        bool, typer.Option("--serve", help="Then serve the dashboard, with a demo account.")
    ] = False,
    host: Annotated[str, typer.Option(help="With --serve: address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="With --serve: port to listen on.")] = 8000,
) -> None:
    """Build a store from the sample shipped with catherd (no network), write its community
    report, and with --serve open the dashboard."""
    from rich.markup import escape

    from catherd.cli.main import print_sync_report, sync_progress
    from catherd.demo.sample import PROVENANCE, build
    from catherd.metrics import Params
    from catherd.reports.community import write_report
    from catherd.store.database import Store

    console.print(f"catherd demo, from the sample shipped with catherd: {PROVENANCE}")
    with sync_progress() as progress:
        made = build(output, progress)
    print_sync_report(made.sync)
    for github in made.sync.github:
        for warning in github.warnings:
            console.print(f"note: {escape(warning)} (the sample has no recording of it)")
    console.print(f"partnership records (SYNTHETIC): {made.records_changed} change(s) imported")
    with Store(made.config.db) as store:
        paths = write_report(store, output / "report", made.config.project_name, Params())
        if serve:
            password = secrets.token_urlsafe(12)
            from catherd.web.accounts import add_user

            add_user(store, DEMO_ACCOUNT, password, "admin")
    for path in paths:
        console.print(f"wrote {path}")
    program = sys.argv[0] if Path(sys.argv[0]).name == "catherd" else "catherd"
    project = f"{program} --config {output / 'catherd.toml'}"
    console.print(
        f"\nOpen {output / 'report' / 'index.html'} in a browser. Every command works on the "
        f"demo's store with its project file, for example:\n"
        f"  {project} status\n  {project} metrics active_contributors --by year\n"
        f"  {project} report team --period 2025 -o {output / 'team-report'}\n"
        f"  {program} demo --serve -o {output}    # the dashboard, with a demo account",
        highlight=False,
    )
    if serve:
        from catherd.cli.web import run_dashboard

        console.print(
            f"\ndashboard account: [bold]{DEMO_ACCOUNT}[/] / password [bold]{password}[/] "
            "(an administrator, made for this demo; `catherd users disable demo` ends it)"
        )
        run_dashboard(made.config, host, port)
