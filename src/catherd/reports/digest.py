"""The progress digest: what happened in a period, short enough to publish or send, and three
social posts that point to it (docs/digest.md).

``catherd digest --period 2026-10`` writes ``digest.md``, ``index.html`` (self-contained,
charts inline as SVG), ``charts/*.svg``, ``social.md`` and ``social.json``. Every number and
list comes from the domain functions the dashboard and the other reports call: releases and
their credits (community.releases), newcomers (community.newcomers), notable merged work
(community.notable, with partners.priorities), decisions (decisions.summary), website reach
(traffic.figures), the funded team's work here and upstream (partners.accountability, through
the team report's own context) and the sponsors to thank. Nothing here counts anything.

Audiences are the team report's: ``public`` shows only what records mark public, ``sponsors``
adds what they mark for sponsors. Neither shows an e-mail address: names that are addresses
are cut to their first part. Each item links to its evidence where the store or
``[digest] repositories`` gives a web address.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from catherd import __version__
from catherd.community.newcomers import list_newcomers
from catherd.community.notable import has_pull_requests, notable_pulls
from catherd.community.periods import Window
from catherd.community.releases import Credit, ReleaseBook
from catherd.decisions.summary import decisions_taken, has_decisions
from catherd.errors import InputError
from catherd.metrics import Params
from catherd.metrics.base import WHOLE
from catherd.metrics.runner import next_period, run_metric
from catherd.partners.accountability import Period, repositories, upstream_contributions
from catherd.partners.funding import Funding
from catherd.partners.priorities import priority_items
from catherd.partners.records import Records, visible
from catherd.reports import charts
from catherd.reports.community import contributors_chart, contributors_trend
from catherd.reports.team import report_context
from catherd.reports.templating import TEMPLATES
from catherd.reports.traffic import traffic_chart
from catherd.store.database import Store
from catherd.traffic.figures import Scope, has_traffic, traffic_summary, traffic_totals

AUDIENCES = ("public", "sponsors")
LIMITS = (280, 500)  # a short post (X, Bluesky) and a long one (Mastodon), in characters
_WEB = ("https://", "http://")
_ADDRESS = re.compile(r"([\w.+-]+)@[\w-]+(?:\.[\w-]+)+")
_GITHUB = re.compile(r"^(?:github:|https?://github\.com/|git@github\.com:)([\w.-]+/[\w.-]+?)"
                     r"(?:\.git)?/*$")  # fmt: skip


def without_address(text: str | None) -> str:
    """``text`` with every e-mail address cut to its first part (``jane@x.org``: ``jane``):
    a name git or GitHub gives may be an address, and the digest is meant to be published."""
    return _ADDRESS.sub(r"\1", text or "")


@dataclass(frozen=True)
class Links:
    """Where the digest will be published, and the web address of each repository."""

    digest: str
    repositories: dict[str, str]  # repository name -> https://host/owner/name

    @classmethod
    def of(cls, store: Store, table: dict[str, Any], period: Period, link: str | None,
           upstream: list[str]) -> Links:  # fmt: skip
        """From ``[digest]`` (``url``, ``repositories``), the stored repositories' locations
        (GitHub ones need no configuration) and ``link`` (``--link``, which wins)."""
        given = table.get("repositories", {})
        if not isinstance(given, dict) or not all(
            isinstance(v, str) and v.startswith(_WEB) for v in given.values()
        ):
            raise InputError(
                "[digest] repositories must map names to web addresses, such as "
                '{ networkx = "https://github.com/networkx/networkx" }'
            )
        found: dict[str, str] = {}
        own: list[str] = []
        for row in repositories(store, upstream):
            web = given.get(row["name"]) or _github_address(row["location"])
            if web:
                found[row["name"]] = web.rstrip("/")
                if not row["upstream"]:
                    own.append(web.rstrip("/"))
        url = link or table.get("url")
        if url is not None and not (isinstance(url, str) and url.startswith(_WEB)):
            raise InputError(f"{url!r}: the digest's link must be a web address (https://...)")
        slug = period.label.replace(" to ", "..")
        digest = url.replace("{period}", slug) if url else (own[0] if own else None)
        if digest is None:
            raise InputError(
                "the social posts need a link: give --link URL or [digest] url in catherd.toml "
                "(no repository has a known web address)"
            )
        return cls(digest, found)

    def release(self, repository: str, tag: str) -> str | None:
        web = self.repositories.get(repository)
        return f"{web}/releases/tag/{tag}" if web else None

    def decision(self, decision: dict[str, Any]) -> str | None:
        web = self.repositories.get(decision["repository"])
        if web is None:
            return None
        if decision.get("pull_request"):
            return f"{web}/pull/{decision['pull_request']}"
        return f"{web}/commit/{decision['sha']}"


def _github_address(location: str) -> str | None:
    match = _GITHUB.match(location.strip())
    return f"https://github.com/{match[1]}" if match else None


def period_title(period: Period) -> str:
    """``October 2026`` for a month; the period as given otherwise."""
    if period.start.day == 1 and period.end == next_period(period.start, "month"):
        return f"{period.start:%B %Y}"
    return period.label


def _bound(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


# -- the sections ---------------------------------------------------------------------------
def _names(credits: list[Credit]) -> list[dict[str, Any]]:
    return [{"name": without_address(c.name), "first_time": c.first_time} for c in credits]


def release_section(
    store: Store, period: Period, upstream: list[str], links: Links, mailmap: Path | None
) -> list[dict[str, Any]]:
    """The project's final releases tagged in the period, oldest first, with their credits."""
    own = {r["name"] for r in repositories(store, upstream) if not r["upstream"]}
    book = ReleaseBook(store, str(mailmap) if mailmap else None)
    start, end = _bound(period.start), _bound(period.end)
    made = [r for r in book.releases() if r.repository in own and start <= r.tagged_at < end]
    rows = []
    for release in sorted(made, key=lambda r: r.tagged_at):
        credits = book.credits(release)
        rows.append({
            "repository": release.repository, "tag": release.tag,
            "version": str(release.version.version), "date": release.tagged_at.date(),
            "url": links.release(release.repository, release.tag), "commits": credits.commits,
            "total": credits.total, "first_timers": credits.first_timers,
            "contributors": _names(credits.contributors), "unnamed": credits.unnamed,
            "reviewers": None if credits.reviewers is None else _names(credits.reviewers),
        })  # fmt: skip
    return rows


def community_scope(store: Store, upstream: list[str]) -> tuple[str | None, bool]:
    """The repository the community figures are restricted to (None: the whole store), and
    whether they include upstream work all the same.

    Upstream repositories are synced into the same store, but their contributors are not
    the project's: when they hold commits, the figures are the project's one repository
    with commits. The metrics take one repository at a time, so a project of several
    repositories beside upstream ones is counted whole, and the digest says so.
    """
    stored = [r for r in repositories(store, upstream) if r["commits"]]
    own = [r["name"] for r in stored if not r["upstream"]]
    if len(own) == len(stored):
        return None, False
    return (own[0], False) if len(own) == 1 else (None, True)


def _whole(store: Store, name: str, window: Window, column: str, repository: str | None) -> int:
    params = Params(since=window.start, until=window.end, by=WHOLE, repository=repository)
    return sum(row[column] for row in run_metric(store, name, params))


def community_section(store: Store, window: Window, upstream: list[str]) -> dict[str, Any]:
    """Active and new contributors, commits (the registered metrics), the newcomers by name
    in order of arrival (community.newcomers: the dashboard's list), and their monthly chart
    over the year to the window's end; in the project's repository (``community_scope``)."""
    repository, mixed = community_scope(store, upstream)
    newcomers = sorted(list_newcomers(store, window, repository), key=lambda n: n["first_at"])
    names = [{"name": without_address(n["display_name"]), "first_at": n["first_at"]}
             for n in newcomers]  # fmt: skip
    trend = Params(since=_trend_start(window.start, window.end), until=window.end, by="month",
                   repository=repository)  # fmt: skip
    chart = contributors_chart(contributors_trend(store, trend), "month")
    return {
        "repository": repository,
        "with_upstream": mixed,
        "active": _whole(store, "active_contributors", window, "contributors", repository),
        "new": _whole(store, "new_contributors", window, "newcomers", repository),
        "commits": _whole(store, "commits", window, "commits", repository),
        "newcomers": names,
        "chart": charts.to_svg(chart),
    }


def notable_section(
    store: Store, records: Records, period: Period, upstream: list[str], audience: str
) -> dict[str, Any] | None:
    """Merged pull requests most discussed, most reviewed, and those advancing a priority the
    audience may see; None when the store holds no pull request at all."""
    if not has_pull_requests(store):
        return None
    linked = priority_items(store, records, audience)
    found = notable_pulls(store, period.start, period.end, upstream, linked)
    for key in ("discussed", "reviewed", "priorities"):
        for pull in found[key]:
            pull["title"] = without_address(pull["title"])
            pull["author"] = without_address(pull["author"]) if pull["author"] else None
    return found


def decision_section(store: Store, period: Period, links: Links) -> list[dict[str, Any]] | None:
    """Decisions taken in the period with their evidence; None without decision documents."""
    if not has_decisions(store):
        return None
    return [
        {**d, "title": without_address(d["title"]), "url": links.decision(d),
         "authors": [without_address(a["name"]) for a in d["authors"] if a.get("name")]}
        for d in decisions_taken(store, period.start, period.end)
    ]  # fmt: skip


def _previous(period: Period) -> tuple[date, date]:
    """The period of the same length just before: the month before a month, else days."""
    start, end = period.start, period.end
    if start.day == 1 and end.day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month
        index = start.year * 12 + start.month - 1 - months
        return date(index // 12, index % 12 + 1, 1), start
    return start - (end - start), start


def _trend_start(start: date, end: date) -> date:
    """The first day of the twelve months the charts show, ending with ``[start, end)``."""
    last = end - timedelta(days=1)
    index = last.year * 12 + last.month - 1 - 11
    return min(date(index // 12, index % 12 + 1, 1), start)


def reach_section(store: Store, period: Period) -> dict[str, Any] | None:
    """Visitors, page views and downloads in the period and the one before (traffic.figures),
    and the monthly chart of the year to its end; None without access logs for the period."""
    if not has_traffic(store):
        return None
    now = traffic_totals(store, Scope(since=period.start, until=period.end))
    if not now["requests"]:
        return None
    before_start, before_end = _previous(period)
    before = traffic_totals(store, Scope(since=before_start, until=before_end))
    months = Scope(since=_trend_start(period.start, period.end), until=period.end)
    rows = traffic_summary(store, "month", months)
    change = None
    if before["browser_visitors"]:
        change = now["browser_visitors"] / before["browser_visitors"] - 1
    return {"totals": now, "before": before if before["requests"] else None, "change": change,
            "chart": charts.to_svg(traffic_chart(rows))}  # fmt: skip


def team_section(
    store: Store, records: Records, funding: Funding, period: Period, upstream: list[str],
    project: str, audience: str,
) -> dict[str, Any]:  # fmt: skip
    """The team report's view of the period (members the audience may name, their work, the
    supporters and the amounts it may see), and the upstream work item by item."""
    team = report_context(store, records, funding, period, upstream, project, audience)
    rows = upstream_contributions(store, records, period, upstream)
    hidden = [r for r in rows if not visible(r["member"].visibility, audience)]
    named = [{"name": without_address(r["name"]), "repository": r["repository"],
              "commits": r["commits"],
              "pulls": [{**p, "title": without_address(p["title"])} for p in r["pulls"]]}
             for r in rows if visible(r["member"].visibility, audience)]  # fmt: skip
    others = None
    if hidden:  # counted, not named
        others = {"repositories": sorted({r["repository"] for r in hidden}),
                  "commits": sum(r["commits"] for r in hidden),
                  "pulls": sum(len(r["pulls"]) for r in hidden)}  # fmt: skip
    members = [{"name": without_address(m["name"]), "role": m["role"],
                "work": [f"{m[key]:,} {label}" for key, label in team["acts"] if m[key]]}
               for m in team["members"]]  # fmt: skip
    return {
        "members": members,
        "totals": team["totals"],
        # the team's work in the project, in words: what the posts say (upstream apart)
        "work": [
            f"{team['totals'][key]:,} {label}"
            for key, label in team["acts"]
            if team["totals"][key] and not key.startswith("upstream")
        ],
        "upstream": named,
        "upstream_others": others,
        "upstream_repositories": sorted({r["repository"] for r in rows}),
        "supporters": _by_partner(team["supporters"]),
        "confidential_supporters": team["confidential_supporters"],
        "income_shown": team["income_shown"],
        "currency": team["currency"],
    }


def _by_partner(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per supporter (the team report has one per agreement): the income the
    audience may see, and whether some of it is not disclosed."""
    partners: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = partners.setdefault(row["partner"], {
            "partner": row["partner"], "tier": row["tier"], "website": row["website"],
            "income": None, "undisclosed": False})  # fmt: skip
        if row["income"] is None:
            entry["undisclosed"] = True
        else:
            entry["income"] = (entry["income"] or 0) + row["income"]
    return list(partners.values())


def sprint_section(store: Store, period: Period, team: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The public sprints that overlap the period, with the figures ``sprint_outcomes`` gives
    (numbers only: participants are not named in a digest)."""
    from catherd.community.sprints import sprint_outcomes, sprints

    found = []
    for sprint in sprints(store):
        if sprint.start >= period.end or sprint.end < period.start:
            continue
        if not visible(sprint.visibility, "public"):
            continue
        outcome = sprint_outcomes(store, sprint, team=team)
        figures = [
            ("participants", len(outcome["participants"])),
            ("pull requests opened during it", outcome["pulls"]["opened_during"]),
            ("opened in the days after", outcome["pulls"]["opened_after"]),
            ("merged", outcome["pulls"]["merged"]),
            ("reviews", outcome["reviews"]["on_sprint_pulls"]),
            ("first-time contributors", len(outcome["first_timers"])),
        ]
        found.append({"name": without_address(sprint.name), "start": sprint.start,
                      "end": sprint.end, "figures": figures})  # fmt: skip
    return found


# -- the digest -----------------------------------------------------------------------------
def digest_context(
    store: Store, records: Records, funding: Funding, period: Period, project: str,
    audience: str, upstream: list[str], links: Links, mailmap: Path | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Everything the digest and its posts show, for ``audience``."""
    if audience not in AUDIENCES:
        raise InputError(f"--audience {audience!r}: choose public or sponsors")
    return {
        "project": project,
        "audience": audience,
        "period": period,
        "title": period_title(period),
        "generated": datetime.now(UTC).strftime("%d %B %Y"),
        "version": __version__,
        "link": links.digest,
        "releases": release_section(store, period, upstream, links, mailmap),
        "community": community_section(store, Window(period.start, period.end), upstream),
        "notable": notable_section(store, records, period, upstream, audience),
        "decisions": decision_section(store, period, links),
        "reach": reach_section(store, period),
        "team": team_section(store, records, funding, period, upstream, project, audience),
        "sprints": sprint_section(store, period),
    }


def social_posts(context: dict[str, Any]) -> list[dict[str, Any]]:
    """Three posts, each as a short text (at most 280 characters) and a long one (500), each
    with a link: the first three topics the period has something to say about."""
    template = TEMPLATES.get_template("digest_social.txt.j2")
    posts = []
    for post in _topics(context)[:3]:
        short, long = (_fit(template, post, limit, context) for limit in LIMITS)
        posts.append({"topic": post["topic"], "link": post["link"], "short": short,
                      "long": long})  # fmt: skip
    return posts


def _topics(context: dict[str, Any]) -> list[dict[str, Any]]:
    """Each post the period allows, in order of interest: its topic, its link, the names to
    fit in it (as many as room allows) and what else its template reads."""
    link = context["link"]
    found = []
    if releases := context["releases"]:
        credited = [c for r in releases for c in r["contributors"]]
        first = list(dict.fromkeys(c["name"] for c in credited if c["first_time"]))
        names = list(dict.fromkeys(first + [c["name"] for c in credited]))
        found.append({"topic": "releases", "link": releases[-1]["url"] or link, "names": names,
                      "first_timers": len(first),
                      "commits": sum(r["commits"] for r in releases)})  # fmt: skip
    if newcomers := context["community"]["newcomers"]:
        found.append({"topic": "newcomers", "link": link, "names": [n["name"] for n in newcomers]})
    team = context["team"]
    if team["work"] or team["upstream"] or team["upstream_others"]:
        found.append({"topic": "team", "link": link,
                      "names": [s["partner"] for s in team["supporters"]]})  # fmt: skip
    if context["decisions"]:
        found.append({"topic": "decisions", "link": link,
                      "names": [d["label"] for d in context["decisions"]]})  # fmt: skip
    if context["reach"]:
        found.append({"topic": "reach", "link": link, "names": []})
    # what every period allows, so that there are always three
    found += [{"topic": topic, "link": link, "names": []}
              for topic in ("summary", "thanks", "invitation")]  # fmt: skip
    return found


def _fit(template: Any, post: dict[str, Any], limit: int, context: dict[str, Any]) -> str:
    """The post with as many of its names as fit in ``limit`` characters ("and N more")."""
    names = post["names"]
    for shown in range(len(names), -1, -1):
        text = template.render({**context, **post, "post_link": post["link"],
                                "link": context["link"], "names": names[:shown],
                                "more": len(names) - shown, "long": limit > LIMITS[0]})  # fmt: skip
        text = " ".join(text.split())
        if len(text) <= limit:
            return text
    raise InputError(f"{post['link']}: the link leaves no room for a {limit}-character post")


def write_digest(
    store: Store, records: Records, funding: Funding, output: Path, period: Period,
    project: str, audience: str, upstream: list[str], links: Links,
    mailmap: Path | None = None,
) -> list[Path]:  # fmt: skip
    """Write ``digest.md``, ``index.html``, ``charts/*.svg``, ``social.md`` and
    ``social.json`` into ``output``."""
    context = digest_context(store, records, funding, period, project, audience, upstream,
                             links, mailmap)  # fmt: skip
    context["posts"] = social_posts(context)
    output.mkdir(parents=True, exist_ok=True)
    (output / "charts").mkdir(exist_ok=True)
    written = []
    svgs = {"contributors": context["community"]["chart"]}
    if context["reach"]:
        svgs["traffic"] = context["reach"]["chart"]
    for name, svg in svgs.items():
        path = output / "charts" / f"{name}.svg"
        path.write_text(svg, encoding="utf-8")
        written.append(path)
    for template, name in (("digest.md.j2", "digest.md"), ("digest.html.j2", "index.html"),
                           ("digest_social.md.j2", "social.md")):  # fmt: skip
        path = output / name
        path.write_text(TEMPLATES.get_template(template).render(**context), encoding="utf-8")
        written.append(path)
    path = output / "social.json"
    path.write_text(json.dumps(context["posts"], indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")  # fmt: skip
    written.append(path)
    return written
