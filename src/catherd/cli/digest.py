"""``catherd digest``: a period's progress digest to publish or send, and its social posts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catherd.cli.common import ConfigOption, DbOption, LazyConsole, guarded, reading
from catherd.config import load_config

console = LazyConsole()


@guarded
def digest(
    period: Annotated[
        str, typer.Option(help="2026-10, 2026-Q3, 2026 or 2026-01-01..2026-04-01 (end excluded).")
    ],
    audience: Annotated[
        str, typer.Option(help="public, or sponsors (adds what the records mark for sponsors).")
    ] = "public",
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder to write the digest into.")
    ] = Path("digest"),
    link: Annotated[
        str | None,
        typer.Option(help="Where the digest will be published (default: [digest] url), the "
                     "link of its social posts."),
    ] = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
) -> None:  # fmt: skip
    """Write the progress digest: digest.md, index.html (charts inline), charts/*.svg, and
    three social posts (social.md, social.json) of at most 280 and 500 characters."""
    from catherd.cli.reports import project_name
    from catherd.partners import book
    from catherd.partners.accountability import Period
    from catherd.partners.funding import Funding
    from catherd.reports.digest import Links, write_digest

    config = load_config(config_file, db)
    chosen = Period.parse(period)
    funding = Funding.of(config)
    with reading(config.db) as store:
        links = Links.of(store, config.digest, chosen, link, config.upstream)
        paths = write_digest(
            store, book.load(store), funding, output, chosen, project_name(config, store),
            audience, config.upstream, links, config.mailmap,
        )  # fmt: skip
    for path in paths:
        console.print(f"wrote {path}")
