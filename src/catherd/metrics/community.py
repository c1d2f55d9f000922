"""Who contributes: active and new contributors, retention of newcomers, tenure.

A *contribution* is a commit authored or co-authored (``Co-authored-by``) by a person, dated
by its author date; bots are left out unless asked for. Definitions: docs/metrics.md.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from catherd.metrics.base import Sources, metric


@metric(
    "active_contributors",
    "Active contributors",
    "period",
    "People with at least one contribution in the period.",
    chaoss="Contributors",
    zero_fill=("contributors",),
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


@metric(
    "new_contributors",
    "New contributors",
    "period",
    "People whose first contribution ever falls in the period.",
    chaoss="New Contributors",
    zero_fill=("newcomers",),
)
def new_contributors(s: Sources) -> ir.Table:
    first = first_contributions(s)
    first = first.filter(s.in_window(first.first_at))
    return (
        first.group_by(period=s.period(first.first_at))
        .aggregate(newcomers=first.count())
        .order_by("period")
    )


@metric(
    "retention",
    "Newcomer retention",
    "period",
    "Share of the period's newcomers who contribute again on a later day within 90 and 365 "
    "days of their first contribution (only newcomers whose window has fully passed count).",
    chaoss="Contributor Retention",
    zero_fill=("newcomers", "measurable_90", "retained_90", "measurable_365", "retained_365"),
)
def retention(s: Sources) -> ir.Table:
    c = s.contributions_all_time
    first = first_contributions(s)
    first = first.filter(s.in_window(first.first_at))
    data_end = c.contributed_at.max().as_scalar()
    joined = c.join(first, "person_id")
    later = joined.filter(joined.contributed_at.date() > joined.first_at.date())
    gap = later.group_by("person_id").aggregate(next_at=later.contributed_at.min())
    joined = first.left_join(gap, "person_id")
    days = (joined.next_at.epoch_seconds() - joined.first_at.epoch_seconds()) / 86400
    span = (data_end.epoch_seconds() - joined.first_at.epoch_seconds()) / 86400
    joined = joined.mutate(
        period=s.period(joined.first_at),
        back_90=days.notnull() & (days <= 90),
        back_365=days.notnull() & (days <= 365),
        measurable_90=span >= 90,
        measurable_365=span >= 365,
    )
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
