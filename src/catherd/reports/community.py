"""The community report: headline numbers, trends, people and organisations, newcomers.

It is computed from the same registered metrics as ``catherd metrics`` and written as a
self-contained ``index.html`` (charts inlined as SVG, no network needed to open it) and a
``report.md`` (charts beside it in ``charts/``). No e-mail address appears in either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from catherd import __version__
from catherd.metrics import REGISTRY, Params
from catherd.metrics.base import WHOLE
from catherd.metrics.runner import next_period, period_label, run_metric
from catherd.reports import charts
from catherd.reports.templating import TEMPLATES
from catherd.reports.traffic import traffic_section
from catherd.store.database import Store
from catherd.traffic.figures import Scope

_TOP = 15


@dataclass
class Window:
    start: date
    end: date  # exclusive

    @property
    def label(self) -> str:
        last = date.fromordinal(self.end.toordinal() - 1)
        return f"{self.start:%d %b %Y} – {last:%d %b %Y}"


def report_window(store: Store, params: Params) -> Window | None:
    """The report's period: the one asked for, else the 12 months up to the latest activity."""
    latest = store.scalar("SELECT max(contributed_at) FROM contributions WHERE NOT is_bot")
    if latest is None:
        return None
    end = params.until or next_period(date(latest.year, latest.month, 1), "month")
    start = params.since or date(end.year - 1, end.month, 1)
    return Window(start, end)


def _totals(store: Store, window: Window) -> dict[str, Any]:
    one = Params(since=window.start, until=window.end, by="year")
    previous = Params(
        since=date(window.start.year - 1, window.start.month, window.start.day), until=window.start
    )
    active = store.scalar(
        "SELECT count(DISTINCT person_id) FROM contributions WHERE NOT is_bot "
        "AND contributed_at >= ? AND contributed_at < ?",
        [window.start, window.end],
    )
    active_before = store.scalar(
        "SELECT count(DISTINCT person_id) FROM contributions WHERE NOT is_bot "
        "AND contributed_at >= ? AND contributed_at < ?",
        [previous.since, previous.until],
    )
    commits = run_metric(store, "commits", one)
    newcomers = run_metric(store, "new_contributors", one)
    return {
        "active": active,
        "active_before": active_before,
        "change": (active - active_before) / active_before if active_before else None,
        "newcomers": sum(r["newcomers"] for r in newcomers),
        "commits": sum(r["commits"] for r in commits),
        "lines_added": sum(r["lines_added"] for r in commits),
        "lines_deleted": sum(r["lines_deleted"] for r in commits),
        "bus_factor": _single(store, "bus_factor", window),
        "elephant": _single(store, "elephant_factor", window),
    }


def _single(store: Store, name: str, window: Window) -> dict[str, Any] | None:
    """A concentration metric over the whole window taken as one period."""
    rows = run_metric(store, name, Params(since=window.start, until=window.end, by=WHOLE))
    return rows[0] if rows else None


def _tables(store: Store, window: Window) -> dict[str, list[dict[str, Any]]]:
    span = [window.start, window.end]
    top_people = store.rows(
        """SELECT p.display_name, count(*) AS contributions,
                  (SELECT o.name FROM contributions c2 JOIN organisations o USING (org_id)
                   WHERE c2.person_id = p.person_id AND c2.contributed_at >= $1
                     AND c2.contributed_at < $2
                   GROUP BY o.name ORDER BY count(*) DESC, o.name LIMIT 1) AS organisation,
                  (SELECT min(contributed_at) FROM contributions c3
                   WHERE c3.person_id = p.person_id) AS since
           FROM contributions c JOIN people p USING (person_id)
           WHERE NOT c.is_bot AND NOT p.hidden AND c.contributed_at >= $1 AND c.contributed_at < $2
           GROUP BY p.person_id, p.display_name ORDER BY contributions DESC, p.display_name
           LIMIT """
        + str(_TOP),
        span,
    )
    organisations = store.rows(
        """SELECT o.name, o.kind, count(DISTINCT c.person_id) AS contributors,
                  count(*) AS contributions,
                  count(*) / sum(count(*)) OVER () AS share
           FROM contributions c JOIN organisations o USING (org_id)
           WHERE NOT c.is_bot AND c.contributed_at >= $1 AND c.contributed_at < $2
           GROUP BY o.name, o.kind ORDER BY contributions DESC, o.name LIMIT """
        + str(_TOP),
        span,
    )
    newcomers = store.rows(
        """WITH first AS (
               SELECT person_id, min(contributed_at) AS first_at, count(*) AS contributions
               FROM contributions WHERE NOT is_bot GROUP BY person_id)
           SELECT p.display_name, f.first_at, f.contributions
           FROM first f JOIN people p USING (person_id)
           WHERE NOT p.hidden AND f.first_at >= $1 AND f.first_at < $2
           ORDER BY f.first_at""",
        span,
    )
    return {"people": top_people, "organisations": organisations, "newcomers": newcomers}


def contributors_trend(store: Store, params: Params) -> list[dict[str, Any]]:
    """Active and new contributors per period (ISO dates), as the report and dashboard show."""
    active = run_metric(store, "active_contributors", params)
    new = {r["period"]: r["newcomers"] for r in run_metric(store, "new_contributors", params)}
    return [
        {"period": r["period"].isoformat(), "active": r["contributors"],
         "new": new.get(r["period"], 0)}
        for r in active
    ]  # fmt: skip


def contributors_chart(trend: list[dict[str, Any]], by: str) -> charts.Spec:
    series = {"active": "Active contributors", "new": "New contributors"}
    return charts.line_chart(trend, "period", series, f"Contributors per {by}", "people")


def _trends(store: Store, params: Params) -> dict[str, str]:
    """The report's four trend charts, as SVG."""
    trend = Params(since=params.since, until=params.until, by=params.by)
    people = contributors_trend(store, trend)
    commits = [
        {**r, "period": r["period"].isoformat()} for r in run_metric(store, "commits", trend)
    ]
    retention = [
        {**r, "period": r["period"].isoformat()} for r in run_metric(store, "retention", trend)
    ]
    factors = run_metric(store, "bus_factor", trend)
    elephants = {
        r["period"]: r["elephant_factor"] for r in run_metric(store, "elephant_factor", trend)
    }
    concentration = [
        {
            "period": r["period"].isoformat(),
            "bus": r["bus_factor"],
            "elephant": elephants.get(r["period"]),
        }
        for r in factors
    ]
    by = params.by
    specs = {
        "contributors": contributors_chart(people, by),
        "commits": charts.bar_chart(commits, "period", "commits", f"Commits per {by}", "commits"),
        "retention": charts.line_chart(
            retention,
            "period",
            {"retention_90": "back within 90 days", "retention_365": "back within 365 days"},
            f"Newcomers who came back, by {by} of arrival",
            "share",
            percent=True,
        ),
        "concentration": charts.line_chart(
            concentration,
            "period",
            {"bus": "Bus factor (people)", "elephant": "Elephant factor (organisations)"},
            f"Concentration of commits per {by}",
            "fewest for 50%",
        ),
    }
    return {name: charts.to_svg(spec) for name, spec in specs.items()}


def write_report(store: Store, output: Path, project: str, params: Params) -> list[Path]:
    """Write ``index.html``, ``report.md`` and ``charts/*.svg`` into ``output``."""
    window = report_window(store, params)
    context: dict[str, Any] = {
        "project": project,
        "generated": datetime.now(UTC).strftime("%d %B %Y"),
        "version": __version__,
        "window": window,
        "repositories": store.rows(
            "SELECT r.name, r.default_branch, r.all_branches, count(m.sha) AS commits "
            "FROM repositories r LEFT JOIN repo_commits m USING (repo_id) "
            "GROUP BY ALL ORDER BY name"
        ),
        "definitions": [REGISTRY[n] for n in REGISTRY],
        "by": params.by,
        "period_label": period_label,
    }
    if window is not None:
        context["totals"] = _totals(store, window)
        context["tables"] = _tables(store, window)
        context["charts"] = _trends(store, params)
    span = Scope(since=window.start, until=window.end) if window else Scope()
    context["traffic"] = traffic_section(store, span)
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for template, name in (("report.html.j2", "index.html"), ("report.md.j2", "report.md")):
        path = output / name
        path.write_text(TEMPLATES.get_template(template).render(**context), encoding="utf-8")
        written.append(path)
    svgs = {**context.get("charts", {})}
    if context["traffic"]:
        svgs["traffic"] = context["traffic"]["chart"]
    if svgs:
        (output / "charts").mkdir(exist_ok=True)
        for name, svg in svgs.items():
            path = output / "charts" / f"{name}.svg"
            path.write_text(svg, encoding="utf-8")
            written.append(path)
    return written
