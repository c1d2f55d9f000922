"""How concentrated the work is: bus factor, elephant factor, organisational diversity.

Both factors count *authored commits* in a window (co-authors are not credited here, so the
numbers agree with ``git shortlog``): the fewest people, or organisations, whose commits
add up to at least half of the window's commits. Commits from personal or unknown addresses
are left out of the elephant factor, whose coverage column says how much that leaves.
Definitions: docs/metrics.md.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from catherd.identity.organisations import PERSONAL, UNKNOWN
from catherd.metrics.base import Headline, Sources, metric


def _fewest_for_half(counts: ir.Table) -> ir.Table:
    """Per period: how many members (rows), largest first, reach half of the period's total."""
    # Ties in ``n`` may run in any order: the count of members needed is the same.
    window = ibis.window(group_by="period", order_by=ibis.desc("n"), preceding=None, following=0)
    ranked = counts.mutate(
        running=counts.n.sum().over(window),
        total=counts.n.sum().over(ibis.window(group_by="period")),
    )
    # A member is needed while the ones before it still fall short of half the total.
    needed = ranked.filter((ranked.running - ranked.n) * 2 < ranked.total)
    return needed.group_by("period").aggregate(factor=needed.count(), total=needed.total.max())


def _authored(s: Sources) -> ir.Table:
    c = s.contributions
    return c.filter(c.role == "author").mutate(period=s.period(c.contributed_at))


@metric(
    "bus_factor",
    "Bus factor",
    "period",
    "Fewest people whose authored commits make up at least 50% of the period's commits.",
    chaoss="Bus Factor",
    headline=Headline(("bus_factor",), "people"),
)
def bus_factor(s: Sources) -> ir.Table:
    a = _authored(s)
    counts = a.group_by(["period", "person_id"]).aggregate(n=a.count())
    result = _fewest_for_half(counts)
    return result.select("period", bus_factor=result.factor, commits=result.total).order_by(
        "period"
    )


@metric(
    "elephant_factor",
    "Elephant factor",
    "period",
    "Fewest organisations whose people's authored commits make up at least 50% of the "
    "period's commits with a known organisation; coverage is that share of all commits.",
    chaoss="Elephant Factor",
    headline=Headline(("elephant_factor",), "organisations"),
)
def elephant_factor(s: Sources) -> ir.Table:
    a = _authored(s)
    totals = a.group_by("period").aggregate(all_commits=a.count())
    known = a.filter(~a.org_id.isin([UNKNOWN, PERSONAL]))
    counts = known.group_by(["period", "org_id"]).aggregate(n=known.count())
    factor = _fewest_for_half(counts)
    joined = totals.left_join(factor, "period")
    return joined.select(
        "period",
        elephant_factor=joined.factor.fill_null(0),
        affiliated_commits=joined.total.fill_null(0),
        coverage=joined.total.fill_null(0) / joined.all_commits,
    ).order_by("period")


@metric(
    "org_diversity",
    "Organisational diversity",
    "period",
    "Organisations with at least one contributor in the period, the largest one's share of "
    "affiliated contributions, and the share of contributors with a known organisation.",
    chaoss="Organizational Diversity",
    headline=Headline(("affiliated_share", "top_org_share"), "share"),
)
def org_diversity(s: Sources) -> ir.Table:
    c = s.contributions.mutate(period=s.period(s.contributions.contributed_at))
    c = c.mutate(known=~c.org_id.isin([UNKNOWN, PERSONAL]))
    people = c.group_by("period").aggregate(
        contributors=c.person_id.nunique(),
        affiliated_contributors=c.person_id.nunique(where=c.known),
        organisations=c.org_id.nunique(where=c.known),
    )
    known = c.filter(c.known)
    per_org = known.group_by(["period", "org_id"]).aggregate(n=known.count())
    top = per_org.group_by("period").aggregate(
        top_org_contributions=per_org.n.max(), affiliated_contributions=per_org.n.sum()
    )
    joined = people.left_join(top, "period")
    return joined.select(
        "period",
        "contributors",
        "organisations",
        affiliated_share=joined.affiliated_contributors / joined.contributors,
        top_org_share=joined.top_org_contributions / joined.affiliated_contributions,
    ).order_by("period")
