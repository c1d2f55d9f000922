"""The metrics explorer: any registered metric by period, window and repository, as a chart
of its declared headline, a table, CSV and JSON."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response

from catherd.errors import InputError
from catherd.metrics import REGISTRY, Params
from catherd.metrics.base import is_share
from catherd.metrics.runner import period_label, run_metric
from catherd.reports import charts
from catherd.store.database import Store
from catherd.web.accounts import User
from catherd.web.site import Site
from catherd.web.state import Dashboard

Rows = list[dict[str, Any]]


def params_of(
    by: str = "quarter", since: str | None = None, until: str | None = None, repo: str = ""
) -> Params:
    """The period, window and repository a metric is asked for (query parameters)."""
    try:
        return Params(
            since=date.fromisoformat(since) if since else None,
            until=date.fromisoformat(until) if until else None,
            by=by,
            repository=repo or None,
        )
    except (ValueError, InputError) as exc:
        raise HTTPException(422, str(exc)) from exc


def register(site: Site) -> None:
    app, board = site.app, site.board
    board.warm_ups.append(lambda: metric_data(board, "active_contributors", Params(by="quarter")))

    @app.get("/metrics")
    def metrics_page(
        request: Request,
        name: str = "active_contributors",
        params: Params = Depends(params_of),
        user: User | None = Depends(site.access("metrics")),
    ) -> Response:
        rows, spec = metric_data(board, name, params)
        shown = [
            {k: period_label(date.fromisoformat(v), params.by) if k == "period" else v
             for k, v in r.items()}
            for r in reversed(rows)  # newest first
        ]  # fmt: skip
        return site.render(
            request, "metrics.html.j2", user, metrics=REGISTRY, name=name, by=params.by,
            since=params.since.isoformat() if params.since else "",
            until=params.until.isoformat() if params.until else "",
            repo=params.repository or "", repositories=repository_names(board), rows=shown,
            chart_spec=spec, shares={c for c in (rows[0] if rows else {}) if is_share(c)},
        )  # fmt: skip

    @app.get("/metrics.csv")
    def metrics_csv(
        name: str,
        params: Params = Depends(params_of),
        user: User | None = Depends(site.access("metrics")),
    ) -> Response:
        rows, _ = metric_data(board, name, params, chart=False)
        out = io.StringIO()
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )

    @app.get("/api/metrics")
    def api_metrics(
        user: User | None = Depends(site.access("metrics")),
    ) -> list[dict[str, Any]]:
        """Every registered metric: its name, title, unit, CHAOSS name and definition."""
        return [m.describe() for m in REGISTRY.values()]

    @app.get("/api/metrics/{name}")
    def api_metric(
        name: str,
        params: Params = Depends(params_of),
        user: User | None = Depends(site.access("metrics")),
    ) -> dict[str, Any]:
        rows, _ = metric_data(board, name, params, chart=False)
        return {"metric": name, "by": params.by, "repository": params.repository, "rows": rows}


def repository_names(board: Dashboard) -> list[str]:
    return [r["name"] for r in board.query("SELECT name FROM repositories ORDER BY name")]


def metric_data(
    board: Dashboard, name: str, params: Params, chart: bool = True
) -> tuple[Rows, charts.Spec | None]:
    """A metric's rows (dates as ISO text) and, for pages, the chart of its headline."""
    if name not in REGISTRY:
        raise HTTPException(404, f"unknown metric {name!r}")
    try:
        key = ("metric", name, params, chart)
        return board.cached(key, lambda store: _metric_answer(store, name, params, chart))
    except InputError as exc:
        raise HTTPException(422, str(exc)) from exc


def _metric_answer(
    store: Store, name: str, params: Params, chart: bool
) -> tuple[Rows, charts.Spec | None]:
    found = run_metric(store, name, params)
    rows = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
            for r in found]  # fmt: skip
    if not chart or not rows:
        return rows, None
    spec = charts.metric_chart(REGISTRY[name], rows, params.by)
    return rows, charts.fit_to_page(spec) if spec else None
