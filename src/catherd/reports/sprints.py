"""Sprint documents: the page to publish before a sprint (candidate issues and mentors, in
Markdown) and the report after it, per audience, as ``index.html`` (charts inline as SVG)
and ``report.md`` (charts beside it).

Both report variants read the same ``sprint_outcomes``; the public one names people by their
names only: no address a record holds (participants are often listed by e-mail) and no one
the store does not know; the team's adds the references as the record states them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catherd import __version__
from catherd.community.sprints import RETENTION_DAYS
from catherd.errors import InputError
from catherd.partners.records import visible
from catherd.reports import charts
from catherd.reports.templating import TEMPLATES

AUDIENCES = ("public", "team")
GROUPS = (("sprint", "sprint newcomers"), ("others", "other newcomers"))


def preparation_markdown(prep: dict[str, Any], project: str) -> str:
    """The sprint's page: what to work on and who reviews (logins and names, no address)."""
    return TEMPLATES.get_template("sprint_page.md.j2").render(project=project, **prep)


def retention_chart(outcomes: dict[str, Any]) -> charts.Spec:
    rows = [
        {"after": f"{days} days", "who": label,
         "share": outcomes["retention"][key][f"days_{days}"]["share"]}
        for days in RETENTION_DAYS for key, label in GROUPS
    ]  # fmt: skip
    title = "Newcomers who contributed again"
    return charts.grouped_bars(rows, "after", "share", "who", title, "came back", percent=True)


def daily_chart(outcomes: dict[str, Any]) -> charts.Spec:
    rows = [{**row, "day": row["day"].isoformat()} for row in outcomes["daily"]]
    return charts.line_chart(
        rows,
        "day",
        {"pulls": "pull requests opened", "contributions": "contributions"},
        "Sprint pull requests and participants' contributions, per day",
        "per day",
    )


def report_context(outcomes: dict[str, Any], audience: str, project: str) -> dict[str, Any]:
    """What one variant shows: the public one leaves out references and unknown people."""
    public = audience == "public"

    def shown(people: list[dict[str, Any]]) -> list[str]:
        if public:
            return [p["name"] for p in people if p["known"]]
        return [p["name"] if p["reference"] == p["name"] else f"{p['name']} ({p['reference']})"
                for p in people]  # fmt: skip

    participants = outcomes["participants"]
    return {
        **outcomes, "project": project, "audience": audience, "version": __version__,
        "generated": datetime.now(UTC).strftime("%d %B %Y"),
        "named": {key: shown(outcomes[key]) for key in ("participants", "mentors",
                                                        "organisers")},
        "unknown": sum(1 for p in participants if not p["known"]),
        "first_timer_names": [f["name"] or "(not named)" for f in outcomes["first_timers"]],
        "retention_days": RETENTION_DAYS, "groups": GROUPS,
    }  # fmt: skip


def write_sprint_report(
    outcomes: dict[str, Any], output: Path, project: str,
    audiences: Sequence[str] = AUDIENCES,
) -> list[Path]:  # fmt: skip
    """Write ``<output>/<audience>/index.html`` and ``report.md`` (with its charts as SVG)."""
    visibility = outcomes["sprint"]["visibility"]
    audiences = [a for a in audiences if visible(visibility, a)]
    if not audiences:
        raise InputError(f"sprint {outcomes['sprint']['id']!r} is {visibility}-only: no report "
                         "for this audience")  # fmt: skip
    svgs = {"retention": charts.to_svg(retention_chart(outcomes)),
            "daily": charts.to_svg(daily_chart(outcomes))}  # fmt: skip
    written = []
    for audience in audiences:
        context = report_context(outcomes, audience, project)
        folder = output / audience
        folder.mkdir(parents=True, exist_ok=True)
        for name, svg in svgs.items():
            (folder / f"{name}.svg").write_text(svg, encoding="utf-8")
        html = TEMPLATES.get_template("sprint.html.j2").render(**context, charts=svgs)
        (folder / "index.html").write_text(html, encoding="utf-8")
        markdown = TEMPLATES.get_template("sprint.md.j2").render(**context)
        (folder / "report.md").write_text(markdown, encoding="utf-8")
        written += [folder / "index.html", folder / "report.md"]
    return written
