"""The accountability report: what the funded team did in a period, for sponsors and public.

``catherd report team --period 2025`` writes, per audience, ``index.html`` (self-contained,
chart inline as SVG), ``report.md`` and ``report.pdf`` (WeasyPrint renders the same HTML).
Both audiences read the same data; each record's visibility decides what shows: the public
variant names only public partners, members and amounts; the sponsors variant adds what is
marked for sponsors. Contacts, notes and anything marked team never appear in either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from catherd import __version__
from catherd.partners.accountability import (
    Period,
    funding_summary,
    project_releases,
    team_activity,
    unmeasured,
)
from catherd.partners.funding import Funding
from catherd.partners.priorities import progress
from catherd.partners.records import Agreement, Meeting, Member, Partner, Records, visible
from catherd.reports import charts
from catherd.reports.templating import TEMPLATES
from catherd.store.database import Store

AUDIENCES = ("public", "sponsors")
ACTS = (
    ("commits", "commits"), ("pulls_opened", "PRs opened"), ("pulls_merged", "PRs merged"),
    ("pulls_reviewed", "PRs reviewed"), ("issues_triaged", "issues triaged"),
    ("newcomers_mentored", "newcomers mentored"), ("releases", "releases"),
    ("upstream_commits", "upstream commits"), ("upstream_pulls", "upstream PRs"),
)  # fmt: skip


def report_context(
    store: Store, records: Records, funding: Funding, period: Period, upstream: list[str],
    project: str, audience: str,
) -> dict[str, Any]:  # fmt: skip
    """Everything one variant shows; nothing its audience may not see."""
    activity = team_activity(store, records, period, upstream)
    missing = unmeasured(store, period, upstream)
    named = [row for row in activity if visible(row["member"].visibility, audience)]
    unnamed = [row for row in activity if row not in named]
    members = [_member_row(row, records, funding, audience) for row in named]
    if unnamed:
        members.append(
            {"name": f"{len(unnamed)} other funded team member(s)", "role": "", "fte": None,
             "funded_by": "", "cost": None,
             **{key: sum(row[key] for row in unnamed) for key, _ in ACTS}}
        )  # fmt: skip
    totals = {key: sum(row[key] for row in activity) for key, _ in ACTS}
    funding_rows = funding_summary(records, funding, period)
    shown = [r for r in funding_rows if visible(r["partner"].visibility, audience)]
    supporters = [
        {"partner": r["partner"].name, "tier": r["partner"].tier or "",
         "website": r["partner"].website,
         "agreement": f"{r['agreement'].start.isoformat()} to {r['agreement'].end.isoformat()}",
         "income": r["income"] if visible(r["agreement"].amount_visibility, audience) else None}
        for r in shown
    ]  # fmt: skip
    releases = project_releases(store, period, upstream)
    return {
        "project": project,
        "audience": audience,
        "glance": _glance(totals, missing, releases, upstream),
        "period": period,
        "generated": datetime.now(UTC).strftime("%d %B %Y"),
        "version": __version__,
        "acts": [(key, label) for key, label in ACTS if key not in missing],
        "not_measured": _not_measured(missing),
        "members": members,
        "totals": totals,
        "supporters": supporters,
        "confidential_supporters": len({r["partner"].id for r in funding_rows if r not in shown}),
        "income_shown": sum(
            (s["income"] for s in supporters if s["income"] is not None), Decimal(0)
        ),
        "currency": funding.currency,
        "priorities": _priorities(store, records, audience),
        "upstream": upstream,
        "unmeasured": missing,
        "releases": releases,
    }


GLANCE = (
    ("pulls_merged", "pull requests merged"),
    ("pulls_reviewed", "pull requests of others reviewed"),
    ("issues_triaged", "issues triaged"), ("newcomers_mentored", "newcomers mentored"),
    ("commits", "commits"),
)  # fmt: skip


def _glance(
    totals: dict[str, int], missing: dict[str, str], releases: list[dict[str, Any]],
    upstream: list[str],
) -> list[dict[str, Any]]:  # fmt: skip
    """The headline figures, leaving out what the store cannot measure."""
    rows = [{"value": totals[key], "label": label} for key, label in GLANCE if key not in missing]
    by_team = f", {totals['releases']} by the funded team" if releases else ""
    rows.append({"value": len(releases), "label": f"releases{by_team}"})
    if "upstream_commits" not in missing:
        pulls = 0 if "upstream_pulls" in missing else totals["upstream_pulls"]
        rows.append({"value": totals["upstream_commits"] + pulls,
                     "label": f"upstream contributions ({', '.join(upstream)})"})  # fmt: skip
    return rows


def _not_measured(missing: dict[str, str]) -> list[dict[str, str]]:
    """What the report leaves out, grouped by the reason (one line per thing to connect)."""
    labels = dict(ACTS)
    grouped: dict[str, list[str]] = {}
    for key, reason in missing.items():
        grouped.setdefault(reason, []).append(labels[key])
    return [{"what": ", ".join(what), "reason": reason} for reason, what in grouped.items()]


def _member_row(
    row: dict[str, Any], records: Records, funding: Funding, audience: str
) -> dict[str, Any]:
    member: Member = row["member"]
    agreement = records.get("agreement", member.funded_by or "")
    partner_id = agreement.partner if isinstance(agreement, Agreement) else member.funded_by
    partner = records.get("partner", partner_id or "")
    cost = None
    if visible(member.cost_visibility, audience):
        cost = funding.convert(member.monthly_cost, member.currency).quantize(Decimal(1))
    return {
        "name": row["name"],
        "role": member.role,
        "fte": member.fte,
        "funded_by": partner.name
        if isinstance(partner, Partner) and visible(partner.visibility, audience)
        else "",
        "cost": cost,
        "from": row["from"],
        "until": row["until"],
        **{key: row[key] for key, _ in ACTS},
    }


def _priorities(store: Store, records: Records, audience: str) -> list[dict[str, Any]]:
    rows = []
    for entry in progress(store, records):
        priority = entry["priority"]
        if not visible(priority.visibility, audience):
            continue
        sponsors = [records.get("partner", s) for s in priority.sponsors]
        names = [
            s.name for s in sponsors if isinstance(s, Partner) and visible(s.visibility, audience)
        ]
        hidden = len(sponsors) - len(names)
        origin = names + ([f"{hidden} sponsor(s)"] if hidden else [])
        origin += ["community"] if priority.community else []
        agreed = [f"{m.title} ({m.date.isoformat()})" for m in records.of(Meeting)
                  if priority.id in m.priorities and visible(m.visibility, audience)]  # fmt: skip
        rows.append({**entry, "title": priority.title, "status": priority.status,
                     "target": priority.target, "origin": ", ".join(origin),
                     "agreed": agreed})  # fmt: skip
    return rows


def _chart(context: dict[str, Any]) -> str | None:
    rows = [
        {"who": m["name"], "work": label, "count": m[key]}
        for m in context["members"]
        for key, label in ACTS
        if m[key]
    ]
    if not rows:
        return None
    spec = charts.stacked_bars(rows, "who", "count", "work", "Funded team's work", "acts")
    return charts.to_svg(spec)


def write_team_report(
    store: Store, records: Records, funding: Funding, output: Path, period: Period,
    upstream: list[str], project: str, audiences: Sequence[str] = AUDIENCES, pdf: bool = True,
) -> list[Path]:  # fmt: skip
    """Write ``<output>/<audience>/index.html``, ``report.md`` and ``report.pdf``."""
    written = []
    for audience in audiences:
        context = report_context(store, records, funding, period, upstream, project, audience)
        context["chart"] = _chart(context)
        folder = output / audience
        folder.mkdir(parents=True, exist_ok=True)
        html = TEMPLATES.get_template("team.html.j2").render(**context)
        (folder / "index.html").write_text(html, encoding="utf-8")
        (folder / "report.md").write_text(
            TEMPLATES.get_template("team.md.j2").render(**context), encoding="utf-8"
        )
        written += [folder / "index.html", folder / "report.md"]
        if pdf:
            import weasyprint  # imported here: it loads pango, which only the PDF needs

            weasyprint.HTML(string=html, base_url=str(folder)).write_pdf(folder / "report.pdf")
            written.append(folder / "report.pdf")
    return written
