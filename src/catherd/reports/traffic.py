"""Website traffic in the reports: the monthly chart sponsors are shown, and the section of the
community report (present only when the store holds access logs for the report's window)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from catherd.reports import charts
from catherd.store.database import Store
from catherd.traffic.figures import (
    Scope,
    has_traffic,
    top_pages,
    traffic_summary,
    traffic_totals,
)


def traffic_chart(rows: list[dict[str, Any]], by: str = "month") -> charts.Spec:
    """Visitors using a browser and the pages they read, per period (bots and tools apart).

    A period without logs breaks the lines: no log is no measurement, not zero visitors.
    """
    known = {r["period"]: r for r in rows}
    points, period = [], min(known, default=None)
    while period is not None and period <= max(known):
        row = known.get(period, {"browser_visitors": None, "page_views": None})
        points.append({**row, "period": period.isoformat()})
        period = _next(period, by)
    series = {"browser_visitors": "Visitors (browsers)", "page_views": "Page views"}
    return charts.line_chart(points, "period", series, f"Website traffic per {by}", "per " + by)


def _next(period: date, by: str) -> date:
    if by == "month":
        return date(period.year + period.month // 12, period.month % 12 + 1, 1)
    return period + timedelta(days=7 if by == "week" else 1)


def traffic_section(store: Store, scope: Scope) -> dict[str, Any] | None:
    """Totals, the monthly chart (SVG) and the top pages; None without traffic."""
    if not has_traffic(store):
        return None
    rows = traffic_summary(store, "month", scope)
    if not rows:
        return None
    return {
        "totals": traffic_totals(store, scope),
        "chart": charts.to_svg(traffic_chart(rows)),
        "pages": top_pages(store, scope, 10),
    }
