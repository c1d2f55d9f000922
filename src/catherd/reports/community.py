"""The community report: headline numbers, trends, people and organisations, newcomers, and
the decisions taken in the period (when the repositories hold proposals).

It is computed from the same registered metrics as ``catherd metrics`` and written as a
self-contained ``index.html`` (charts inlined as SVG, no network needed to open it) and a
``report.md`` (charts beside it in ``charts/``). No e-mail address appears in either.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from catherd import __version__
from catherd.community.contributors import organisation_shares, top_contributors
from catherd.community.newcomers import list_newcomers
from catherd.community.periods import Window, default_window
from catherd.community.releases import Credits, ReleaseBook
from catherd.decisions.summary import decisions_taken, has_decisions
from catherd.errors import InputError
from catherd.identity.overrides import Overrides
from catherd.identity.suggest import pending
from catherd.metrics import REGISTRY, Params
from catherd.metrics.base import WHOLE, timestamp_bound
from catherd.metrics.runner import period_label, run_metric
from catherd.reports import charts
from catherd.reports.templating import TEMPLATES
from catherd.reports.traffic import traffic_section
from catherd.store.database import Store
from catherd.traffic.figures import Scope

_TOP = 15


def _totals(store: Store, window: Window) -> dict[str, Any]:
    whole = Params(since=window.start, until=window.end, by=WHOLE)
    year_before = date(window.start.year - 1, window.start.month, window.start.day)
    before = Params(since=year_before, until=window.start, by=WHOLE)
    active = _count(store, "active_contributors", whole, "contributors")
    active_before = _count(store, "active_contributors", before, "contributors")
    commits = run_metric(store, "commits", whole)
    return {
        "active": active,
        "active_before": active_before,
        "change": (active - active_before) / active_before if active_before else None,
        "newcomers": _count(store, "new_contributors", whole, "newcomers"),
        "commits": sum(r["commits"] for r in commits),
        "lines_added": sum(r["lines_added"] for r in commits),
        "lines_deleted": sum(r["lines_deleted"] for r in commits),
        "bus_factor": _single(store, "bus_factor", window),
        "elephant": _single(store, "elephant_factor", window),
    }


def _count(store: Store, name: str, params: Params, column: str) -> int:
    return sum(row[column] for row in run_metric(store, name, params))


def _single(store: Store, name: str, window: Window) -> dict[str, Any] | None:
    """A concentration metric over the whole window taken as one period."""
    rows = run_metric(store, name, Params(since=window.start, until=window.end, by=WHOLE))
    return rows[0] if rows else None


def _tables(store: Store, window: Window) -> dict[str, list[dict[str, Any]]]:
    return {
        "people": top_contributors(store, window, _TOP),
        "organisations": organisation_shares(store, window, _TOP),
        "newcomers": sorted(list_newcomers(store, window), key=lambda n: n["first_at"]),
    }


def latest_release_credits(
    store: Store, window: Window, mailmap: Path | None = None
) -> Credits | None:
    """Who contributed to the latest release made before the window's end (or None)."""
    book = ReleaseBook(store, str(mailmap) if mailmap else None)
    end = timestamp_bound(window.end)
    made = [r for r in book.releases() if r.tagged_at.replace(tzinfo=None) < end]
    if not made:
        return None
    return book.credits(max(made, key=lambda r: r.tagged_at))


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
    return charts.line_chart(trend, "period", series, f"Contributors per {by}", "people", by=by)


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
        "retention": charts.metric_chart(REGISTRY["retention"], retention, by),
        "concentration": charts.line_chart(
            concentration,
            "period",
            {"bus": "Bus factor (people)", "elephant": "Elephant factor (organisations)"},
            f"Concentration of commits per {by}",
            "fewest for 50%",
            by=by,
        ),
    }
    return {name: charts.to_svg(spec) for name, spec in specs.items() if spec is not None}


AUDIENCES = ("public", "team")


def write_report(
    store: Store,
    output: Path,
    project: str,
    params: Params,
    audience: str = "public",
    overrides: Path | None = None,
    mailmap: Path | None = None,
) -> list[Path]:
    """Write ``index.html``, ``report.md`` and ``charts/*.svg`` into ``output``.

    The ``team`` audience also reads what waits for the team's decision (probable duplicate
    people, by the identity ``overrides`` file's decisions so far).
    """
    if audience not in AUDIENCES:
        raise InputError(f"--audience {audience!r}: choose public or team")
    window = default_window(store, params.since, params.until)
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
        "audience": audience,
        "by": params.by,
        "period_label": period_label,
        "has_decisions": has_decisions(store),
    }
    if window is not None:
        context["decisions"] = decisions_taken(store, window.start, window.end)
        context["totals"] = _totals(store, window)
        context["tables"] = _tables(store, window)
        context["charts"] = _trends(store, params)
        context["release"] = latest_release_credits(store, window, mailmap)
    if audience == "team":
        identities = store.rows("SELECT * FROM identities")
        context["pending_duplicates"] = len(pending(identities, Overrides.load(overrides)))
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
