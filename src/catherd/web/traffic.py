"""The website traffic page (``/traffic``, public by default) and ``/api/traffic``: requests,
visitors, page views per period with the monthly chart, top pages, referring sites,
documentation versions and downloads, from the same functions as ``catherd traffic``."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from catherd.errors import InputError
from catherd.reports import charts
from catherd.reports.traffic import traffic_chart
from catherd.store.database import Store
from catherd.traffic.figures import (
    PERIODS,
    Scope,
    doc_versions,
    own_hosts,
    period_label,
    top_downloads,
    top_pages,
    top_referrers,
    traffic_summary,
    traffic_totals,
)
from catherd.web.accounts import User
from catherd.web.site import Site


def register(site: Site) -> None:
    """Add the page and its API call (public by default)."""
    app, board, render, page_access = site.app, site.board, site.render, site.access

    @app.get("/traffic", response_class=HTMLResponse)
    def traffic_page(
        request: Request, by: str = "month", site: str = "",
        user: User | None = Depends(page_access("traffic")),
    ) -> HTMLResponse:  # fmt: skip
        data = traffic_data(board, by, site or None)
        return render(request, "traffic.html.j2", user, by=by, site=site, periods=PERIODS,
                      label=lambda p: period_label(p, by), **data)  # fmt: skip

    @app.get("/api/traffic")
    def api_traffic(
        by: str = "month", site: str = "", user: User | None = Depends(page_access("traffic"))
    ) -> dict[str, Any]:
        """Per period: requests, visitors (as GoAccess counts them), not_found, page_views,
        browser_visitors, bot_requests, bot_visitors, tool_requests, downloads, bytes; and
        the top pages, referring sites, documentation versions and downloads."""
        data = dict(traffic_data(board, by, site or None, chart=False))
        return {"by": by, "site": site or None, **data}


def traffic_data(board: Any, by: str, site: str | None, chart: bool = True) -> dict[str, Any]:
    """Everything the page and the API show, kept until the store changes."""
    if by not in PERIODS:
        raise HTTPException(422, f"by must be one of {', '.join(PERIODS)}")
    settings = board.runner.config.traffic
    key = ("traffic", by, site, chart)
    try:
        return dict(board.cached(key, lambda store: _answer(store, settings, by, site, chart)))
    except InputError as exc:
        raise HTTPException(422, str(exc)) from exc


def _answer(store: Store, settings: Any, by: str, site: str | None, chart: bool) -> dict[str, Any]:
    scope = Scope(site)
    rows = traffic_summary(store, by, scope)
    sites = store.con.execute("SELECT DISTINCT site FROM web_requests ORDER BY 1").fetchall()
    data: dict[str, Any] = {
        "sites": [s[0] for s in sites],
        "totals": traffic_totals(store, scope),
        "rows": rows,
        "pages": top_pages(store, scope, 25),
        "referrers": top_referrers(store, scope, own_hosts(settings, site), 25),
        "versions": doc_versions(store, "month", scope, settings.versions),
        "downloads": top_downloads(store, scope, 25),
    }
    if chart:  # pages only: the API gives the numbers
        data["chart"] = charts.fit_to_page(traffic_chart(rows, by)) if rows else None
    return data
