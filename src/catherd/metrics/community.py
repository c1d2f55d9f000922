"""Who contributes: active and new contributors, retention of newcomers, tenure.

A *contribution* is a commit authored or co-authored (``Co-authored-by``) by a person, dated
by its author date; bots are left out unless asked for. Definitions: docs/metrics.md.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from catherd.metrics.base import Headline, Sources, metric, plausible_date


@metric(
    "active_contributors",
    "Active contributors",
    "period",
    "People with at least one contribution in the period.",
    chaoss="Contributors",
    zero_fill=("contributors",),
    headline=Headline(("contributors",), "people"),
)
def active_contributors(s: Sources) -> ir.Table:
    c = s.contributions
    return (
        c.group_by(period=s.period(c.contributed_at))
        .aggregate(contributors=c.person_id.nunique())
        .order_by("period")
    )


def first_contributions(s: Sources) -> ir.Table:
    """Each person's first contribution ever (in the repository chosen, if any)."""
    c = s.contributions_all_time
    return c.group_by("person_id").aggregate(
        first_at=c.contributed_at.min(), last_at=c.contributed_at.max(), contributions=c.count()
    )


def _data_end(s: Sources) -> ir.TimestampScalar:
    """The latest contribution with a plausible date: what "too early to tell" is read from."""
    c = s.contributions_all_time
    return c.filter(plausible_date(c.contributed_at)).contributed_at.max().as_scalar()


def newcomer_outcomes(s: Sources) -> ir.Table:
    """THE definition of a newcomer and of whether they came back (docs/metrics.md).

    A *newcomer* is a person whose first contribution ever (in the repository chosen) falls
    in the window, when nobody sharing their display name contributed before them and they
    are not a team member: people who share a display name count as one contributor for who
    is new (the list of names is what projects publish and readers check). They *came back*
    within N days when someone of their name group contributed again on a later UTC day
    within N days; it is *too early to tell* while fewer than N days separate their first
    contribution from the end of the data (the latest contribution with a plausible date).
    One row per newcomer.
    """
    c = s.contributions_all_time
    p = s.people
    grouped = c.join(p, "person_id").select(
        "person_id", "contributed_at", "is_team", group=p.name_key.fill_null(p.person_id)
    )
    first = grouped.group_by(["person_id", "group", "is_team"]).aggregate(
        first_at=grouped.contributed_at.min(),
        last_at=grouped.contributed_at.max(),
        contributions=grouped.count(),
    )
    first = first.mutate(
        rank=ibis.row_number().over(group_by="group", order_by=["first_at", "person_id"])
    )
    first = first.filter((first.rank == 0) & ~first.is_team & s.in_window(first.first_at))
    first = first.drop("rank", "is_team")
    data_end = _data_end(s)
    again = grouped.view()  # the same contributions, joined back to their newcomers
    later = again.join(first, "group").filter(again.contributed_at.date() > first.first_at.date())
    next_at = later.group_by("group").aggregate(next_at=later.contributed_at.min())
    joined = first.left_join(next_at, "group").drop("group_right")
    days = (joined.next_at.epoch_seconds() - joined.first_at.epoch_seconds()) / 86400
    span = (data_end.epoch_seconds() - joined.first_at.epoch_seconds()) / 86400
    return joined.mutate(
        back_90=days.notnull() & (days <= 90),
        back_365=days.notnull() & (days <= 365),
        measurable_90=span >= 90,
        measurable_365=span >= 365,
    )


@metric(
    "new_contributors",
    "New contributors",
    "period",
    "People whose first contribution ever falls in the period (nobody of the same name "
    "before them; team members never).",
    chaoss="New Contributors",
    zero_fill=("newcomers",),
    headline=Headline(("newcomers",), "people"),
)
def new_contributors(s: Sources) -> ir.Table:
    first = newcomer_outcomes(s)
    return (
        first.group_by(period=s.period(first.first_at))
        .aggregate(newcomers=first.count())
        .order_by("period")
    )


@metric(
    "newcomers",
    "Newcomers",
    "person",
    "Each newcomer of the window with their first contribution and whether they came back "
    "within 90 and 365 days (yes, no, or too early to tell). People who asked to be left out "
    "of lists are counted by new_contributors but not listed here.",
    chaoss="New Contributors",
)
def newcomers(s: Sources) -> ir.Table:
    n = newcomer_outcomes(s)
    people = s.people.filter(~s.people.hidden).select("person_id", "display_name")
    joined = n.join(people, "person_id")

    def outcome(back: ir.BooleanValue, measurable: ir.BooleanValue) -> ir.StringValue:
        return ibis.cases((back, "yes"), (measurable, "no"), else_="too early")

    return joined.select(
        "person_id",
        "display_name",
        "first_at",
        "contributions",
        "next_at",
        came_back_90=outcome(joined.back_90, joined.measurable_90),
        came_back_365=outcome(joined.back_365, joined.measurable_365),
    ).order_by([ibis.desc("first_at"), "person_id"])


@metric(
    "newcomer_returns",
    "Newcomers' next contribution",
    "person",
    "Each newcomer of the window (people left out of lists too, unnamed) with their first "
    "contribution, their next one on a later day, and the end of the data: retention after "
    "any number of days is read from these.",
    chaoss="Contributor Retention",
)
def newcomer_returns(s: Sources) -> ir.Table:
    n = newcomer_outcomes(s)
    return n.select("person_id", "first_at", "next_at", data_end=_data_end(s)).order_by(
        ["first_at", "person_id"]
    )


@metric(
    "retention",
    "Newcomer retention",
    "period",
    "Share of the period's newcomers who contribute again on a later day within 90 and 365 "
    "days of their first contribution (only newcomers whose window has fully passed count).",
    chaoss="Contributor Retention",
    zero_fill=("newcomers", "measurable_90", "retained_90", "measurable_365", "retained_365"),
    headline=Headline(("retention_90", "retention_365"), "share"),
)
def retention(s: Sources) -> ir.Table:
    joined = newcomer_outcomes(s)
    joined = joined.mutate(period=s.period(joined.first_at))
    result = joined.group_by("period").aggregate(
        newcomers=joined.count(),
        measurable_90=joined.measurable_90.sum(),
        retained_90=(joined.back_90 & joined.measurable_90).sum(),
        measurable_365=joined.measurable_365.sum(),
        retained_365=(joined.back_365 & joined.measurable_365).sum(),
    )
    return result.mutate(
        retention_90=ibis.ifelse(
            result.measurable_90 > 0, result.retained_90 / result.measurable_90, ibis.null()
        ),
        retention_365=ibis.ifelse(
            result.measurable_365 > 0, result.retained_365 / result.measurable_365, ibis.null()
        ),
    ).order_by("period")


@metric(
    "tenure",
    "Contributor tenure",
    "period",
    "Median and mean days since their first contribution ever, over the period's active "
    "contributors, counted at their last contribution in the period.",
    headline=Headline(("median_tenure_days",), "days"),
)
def tenure(s: Sources) -> ir.Table:
    c = s.contributions
    first = first_contributions(s).select("person_id", "first_at")
    last_in_period = c.group_by(["person_id", s.period(c.contributed_at).name("period")]).aggregate(
        last_at=c.contributed_at.max()
    )
    joined = last_in_period.join(first, "person_id")
    days = (joined.last_at.epoch_seconds() - joined.first_at.epoch_seconds()) / 86400
    joined = joined.mutate(days=days)
    return (
        joined.group_by("period")
        .aggregate(
            contributors=joined.count(),
            median_tenure_days=joined.days.median(),
            mean_tenure_days=joined.days.mean(),
        )
        .order_by("period")
    )
