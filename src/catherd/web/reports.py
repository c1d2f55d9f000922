"""Reports to download: the community report (public, or with the team's matters for the
team) and the funded team's accountability report (public and sponsors variants, for the
team), as HTML, Markdown or PDF, written from the store as of the last sync."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response

from catherd.errors import InputError
from catherd.metrics import Params
from catherd.reports.community import write_report
from catherd.store.database import Store
from catherd.web.accounts import User
from catherd.web.metrics import params_of
from catherd.web.site import Site
from catherd.web.state import Dashboard

MEDIA = {"html": "text/html", "md": "text/markdown", "pdf": "application/pdf"}


def register(site: Site) -> None:
    app, board = site.app, site.board
    # both variants: the team's is the one its members download, the public one everyone else's
    board.warm_ups += [
        partial(report_texts, board, Params(by="quarter"), audience)
        for audience in ("public", "team")
    ]

    @app.get("/reports")
    def reports(request: Request, user: User | None = Depends(site.access("reports"))) -> Response:
        return site.render(request, "reports.html.j2", user)

    @app.get("/reports/community.{fmt}")
    def community_report(
        fmt: str, by: str = "quarter", since: str | None = None, until: str | None = None,
        user: User | None = Depends(site.access("reports")),
    ) -> Response:  # fmt: skip
        """The community report (HTML with inline charts, or Markdown), as of the last sync."""
        if fmt not in ("html", "md"):
            raise HTTPException(404, "the community report comes as .html or .md")
        audience = "team" if user and user.can("team") else "public"
        text = report_texts(board, params_of(by, since, until), audience)[fmt]
        return _download(text.encode(), fmt, "community-report")

    @app.get("/reports/team.{fmt}")
    def team_report(
        fmt: str, period: str, audience: str = "public",
        user: User | None = Depends(site.access("team-report")),
    ) -> Response:  # fmt: skip
        """What the funded team did in ``period`` (2025, 2025-Q3, 2025-07, A..B): for the
        public or for sponsors."""
        if fmt not in MEDIA:
            raise HTTPException(404, "the team report comes as .html, .md or .pdf")
        key = ("team-report", period, audience, fmt)
        data = board.cached(key, lambda store: _team_report(board, store, period, audience, fmt))
        return _download(data, fmt, f"team-report-{audience}")


def _download(data: bytes, fmt: str, name: str) -> Response:
    disposition = f'attachment; filename="{name}.{fmt}"'
    return Response(data, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})


def report_texts(board: Dashboard, params: Params, audience: str = "public") -> dict[str, str]:
    """The community report's HTML and Markdown for ``params``, for ``audience``."""

    def compute(store: Store) -> dict[str, str]:
        config = board.config
        with tempfile.TemporaryDirectory() as folder:
            write_report(store, Path(folder), config.project_name, params, audience,
                         config.overrides, config.mailmap)  # fmt: skip
            return {
                "html": (Path(folder) / "index.html").read_text(encoding="utf-8"),
                "md": (Path(folder) / "report.md").read_text(encoding="utf-8"),
            }

    return board.cached(("report", params, audience), compute)


def _team_report(board: Dashboard, store: Store, period: str, audience: str, fmt: str) -> bytes:
    from catherd.partners import book
    from catherd.partners.accountability import Period
    from catherd.partners.funding import Funding
    from catherd.reports.team import AUDIENCES, write_team_report

    if audience not in AUDIENCES:
        raise HTTPException(422, f"audience {audience!r}: choose public or sponsors")
    config = board.config
    try:
        chosen = Period.parse(period)
        with tempfile.TemporaryDirectory() as folder:
            write_team_report(store, book.load(store), Funding.of(config), Path(folder), chosen,
                              config.upstream, config.project_name, (audience,),
                              pdf=fmt == "pdf")  # fmt: skip
            name = {"html": "index.html", "md": "report.md", "pdf": "report.pdf"}[fmt]
            return (Path(folder) / audience / name).read_bytes()
    except InputError as exc:
        raise HTTPException(422, str(exc)) from exc
