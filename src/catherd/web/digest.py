"""The progress digest on the dashboard: ``/reports/digest`` (a form) and the files
``catherd digest`` writes, as downloads (``/reports/digest.md``, ``.html``, and ``.json`` for
the social posts). Anyone who may see the reports gets the public variant; the sponsors
variant is the team's."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from catherd.errors import InputError
from catherd.partners import book
from catherd.partners.accountability import Period
from catherd.partners.funding import Funding
from catherd.reports.digest import AUDIENCES, Links, write_digest
from catherd.store.database import Store
from catherd.web.accounts import User
from catherd.web.site import Site

_FILES = {"md": ("digest.md", "text/markdown"), "html": ("index.html", "text/html"),
          "json": ("social.json", "application/json")}  # fmt: skip


def register(site: Site) -> None:
    """Add the form and the downloads, for whoever may see the reports."""
    app, board, render, page_access = site.app, site.board, site.render, site.access

    @app.get("/reports/digest", response_class=HTMLResponse)
    def digest_page(
        request: Request, user: User | None = Depends(page_access("reports"))
    ) -> HTMLResponse:
        return render(request, "digest_form.html.j2", user, audiences=AUDIENCES)

    @app.get("/reports/digest.{fmt}")
    def digest_file(
        fmt: str, period: str, audience: str = "public",
        user: User | None = Depends(page_access("reports")),
    ) -> Response:  # fmt: skip
        """The digest of ``period`` (2026-10, 2026-Q3, 2026...): Markdown, HTML with inline
        charts, or the social posts as JSON; ``audience=sponsors`` for the team only."""
        if fmt not in _FILES:
            raise HTTPException(404, "the digest comes as .md, .html or .json")
        if audience == "sponsors" and not (user and user.can("team")):
            raise HTTPException(403, "the sponsors' digest is the team's")
        try:
            files = board.cached(("digest", period, audience),
                                 lambda store: _write(board, store, period, audience))  # fmt: skip
        except InputError as exc:
            raise HTTPException(422, str(exc)) from exc
        name, media = _FILES[fmt]
        disposition = f'attachment; filename="digest-{period}.{fmt}"'
        return Response(files[name], media_type=media,
                        headers={"Content-Disposition": disposition})  # fmt: skip


def _write(board: Any, store: Store, period: str, audience: str) -> dict[str, str]:
    config = board.config
    chosen = Period.parse(period)
    links = Links.of(store, config.digest, chosen, None, config.upstream)
    with tempfile.TemporaryDirectory() as folder:
        write_digest(store, book.load(store), Funding.of(config), Path(folder), chosen,
                     config.project_name, audience, config.upstream, links,
                     config.mailmap)  # fmt: skip
        return {name: (Path(folder) / name).read_text(encoding="utf-8")
                for name, _ in _FILES.values()}  # fmt: skip
