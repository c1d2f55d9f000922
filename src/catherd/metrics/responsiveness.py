"""How fast the project answers: first response, first review, merge and close times, backlog.

Read from the GitHub views (``gh_items``, ``gh_comments``, ``gh_reviews``, ``gh_events``).
A *response* to an issue or pull request is the earliest comment, review comment, review or
triage event (labeled, assigned, milestoned, closed) by someone other than its author who
is not a bot (GitHub's ``type: Bot``). Durations are in hours. Definitions: docs/metrics.md.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from catherd.metrics.base import PERIOD_MONTHS, Headline, Sources, metric

TRIAGE_EVENTS = ("labeled", "assigned", "milestoned", "closed")


def _hours(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    return (end.epoch_seconds() - start.epoch_seconds()) / 3600


def _kind(items: ir.Table) -> ir.StringValue:
    return ibis.ifelse(items.is_pr, "pull_request", "issue")


def responses(s: Sources) -> ir.Table:
    """Every response-like act: (repo, number, actor, at), bots left out."""
    c = s.comments.filter(~s.comments.author_is_bot)
    r = s.reviews.filter(~s.reviews.reviewer_is_bot & s.reviews.submitted_at.notnull())
    e = s.events.filter(~s.events.actor_is_bot & s.events.event.isin(TRIAGE_EVENTS))
    return ibis.union(
        _act(c, c.author, c.created_at),
        _act(r, r.reviewer, r.submitted_at),
        _act(e, e.actor, e.created_at),
    )


def _act(table: ir.Table, actor: ir.StringValue, at: ir.TimestampValue) -> ir.Table:
    # one nullable schema for the union, whichever view the rows come from
    return table.select(
        repo=table.repo.cast("string"), number=table.number.cast("int32"),
        actor=actor.cast("string"), at=at.cast("timestamp('UTC')"),
    )  # fmt: skip


def _first_after(items: ir.Table, acts: ir.Table) -> ir.Table:
    """Each item with the time of the first act by someone other than its author."""
    joined = items.left_join(
        acts, [items.repo == acts.repo, items.number == acts.number, items.author != acts.actor]
    )
    return joined.group_by([joined.repo, joined.number, joined.is_pr, joined.created_at]).aggregate(
        first_at=joined.at.min()
    )


def _summary(table: ir.Table, s: Sources, start: str, end: str) -> ir.Table:
    hours = _hours(table[start], table[end])
    table = table.mutate(period=s.period(table[start]), kind=_kind(table), hours=hours)
    return (
        table.group_by(["period", "kind"])
        .aggregate(
            opened=table.count(),
            answered=table.hours.count(),
            median_hours=table.hours.median(),
            mean_hours=table.hours.mean(),
        )
        .order_by(["period", "kind"])
    )


@metric(
    "time_to_first_response", "Time to first response", "period",
    "Per period of opening, issues and pull requests apart: how many were opened, how many "
    "got a response (comment, review or triage event by someone else, not a bot), and the "
    "median and mean hours until the first one.",
    chaoss="Time to First Response",

    headline=Headline(("median_hours",), "hours", split="kind"),
)  # fmt: skip
def time_to_first_response(s: Sources) -> ir.Table:
    items = s.items.filter(~s.items.author_is_bot & s.in_window(s.items.created_at))
    return _summary(_first_after(items, responses(s)), s, "created_at", "first_at")


@metric(
    "time_to_first_review", "Time to first review", "period",
    "Per period of opening: pull requests opened, reviewed (a review by someone else, not a "
    "bot), and the median and mean hours until the first review.",
    chaoss="Time to First Response (reviews)",

    headline=Headline(("median_hours",), "hours"),
)  # fmt: skip
def time_to_first_review(s: Sources) -> ir.Table:
    items = s.items.filter(s.items.is_pr & ~s.items.author_is_bot & s.in_window(s.items.created_at))
    r = s.reviews.filter(~s.reviews.reviewer_is_bot & s.reviews.submitted_at.notnull())
    acts = _act(r, r.reviewer, r.submitted_at)
    return _summary(_first_after(items, acts), s, "created_at", "first_at")


@metric(
    "time_to_close", "Time to merge and to close", "period",
    "Per period of closing: pull requests merged and issues closed, with the median and mean "
    "hours from opening (pull requests closed without merge are not counted here).",
    chaoss="Time to Close",

    headline=Headline(("median_hours",), "hours", split="kind"),
)  # fmt: skip
def time_to_close(s: Sources) -> ir.Table:
    i = s.items
    t = i.mutate(done_at=ibis.ifelse(i.is_pr, i.merged_at, i.closed_at))
    t = t.filter(t.done_at.notnull() & s.in_window(t.done_at))
    t = t.mutate(period=s.period(t.done_at), kind=_kind(t), hours=_hours(t.created_at, t.done_at))
    return (
        t.group_by(["period", "kind"])
        .aggregate(finished=t.count(), median_hours=t.hours.median(), mean_hours=t.hours.mean())
        .order_by(["period", "kind"])
    )


@metric(
    "pr_acceptance", "Pull-request acceptance", "period",
    "Per period of closing: pull requests closed, how many of them were merged, and the share.",
    chaoss="Change Request Acceptance Ratio",
    zero_fill=("closed", "merged"),

    headline=Headline(("acceptance",), "share"),
)  # fmt: skip
def pr_acceptance(s: Sources) -> ir.Table:
    p = s.items.filter(s.items.is_pr & s.items.closed_at.notnull())
    p = p.filter(s.in_window(p.closed_at))
    result = p.group_by(period=s.period(p.closed_at)).aggregate(
        closed=p.count(), merged=p.merged_at.count()
    )
    return result.mutate(acceptance=result.merged / result.closed).order_by("period")


@metric(
    "review_load", "Review load", "person",
    "Per reviewer (not bots): reviews submitted in the window, distinct pull requests "
    "reviewed, and open pull requests whose review is requested from them now (awaiting).",
)  # fmt: skip
def review_load(s: Sources) -> ir.Table:
    r = s.reviews.filter(~s.reviews.reviewer_is_bot & s.reviews.reviewer.notnull())
    r = r.filter(s.in_window(r.submitted_at))
    given = r.group_by(login=r.reviewer.lower()).aggregate(
        reviewer=r.reviewer.max(),
        reviews=r.count(),
        pull_requests=(r.repo + "#" + r.number.cast("string")).nunique(),
    )
    open_prs = s.items.filter(s.items.is_pr & (s.items.state == "open")).select("repo", "number")
    asked = s.review_requests.join(open_prs, ["repo", "number"])
    awaiting = asked.group_by("login").aggregate(awaiting=asked.count())
    joined = given.outer_join(awaiting, given.login == awaiting.login)
    return joined.select(
        reviewer=ibis.coalesce(joined.reviewer, joined.login_right),
        reviews=joined.reviews.fill_null(0),
        pull_requests=joined.pull_requests.fill_null(0),
        awaiting=joined.awaiting.fill_null(0),
    ).order_by([ibis.desc("reviews"), ibis.desc("awaiting"), "reviewer"])


@metric(
    "backlog", "Open backlog", "period",
    "At the end of each period: issues and pull requests opened before it and not closed "
    "by then.",
    chaoss="Issues Active / Change Requests (backlog)",

    headline=Headline(("open",), "items", split="kind"),
)  # fmt: skip
def backlog(s: Sources) -> ir.Table:
    i = s.items
    step = ibis.interval(months=PERIOD_MONTHS.get(s.params.by, 1))
    starts = ibis.union(
        i.select(start=s.period(i.created_at)),
        i.filter(i.closed_at.notnull()).select(start=s.period(i.closed_at)),
        distinct=True,
    )
    ends = starts.mutate(end=(starts.start + step).cast("timestamp('UTC')"))
    ends = ends.filter(s.in_window(ends.start.cast("timestamp('UTC')")))
    joined = ends.cross_join(i)
    still_open = joined.filter(
        (joined.created_at < joined.end)
        & (joined.closed_at.isnull() | (joined.closed_at >= joined.end))
    )
    return (
        still_open.group_by(period=still_open.start, kind=_kind(still_open))
        .aggregate(open=still_open.count())
        .order_by(["period", "kind"])
    )


@metric(
    "newcomer_response", "Newcomers answered in time", "period",
    "Per period of opening: items (issues and pull requests) that are their author's first in "
    "the repository, and the share of them that got a response within 2 and within 7 days.",
    chaoss="Time to First Response (newcomers)",

    headline=Headline(("share_2_days", "share_7_days"), "share", split="kind"),
)  # fmt: skip
def newcomer_response(s: Sources) -> ir.Table:
    i = s.items.filter(~s.items.author_is_bot)
    firsts = i.group_by(["repo", "author"]).aggregate(first_created=i.created_at.min())
    first_items = (
        i.join(firsts, ["repo", "author"])
        .filter(lambda t: t.created_at == t.first_created)
        .drop("first_created")
    )
    first_items = first_items.filter(s.in_window(first_items.created_at))
    answered = _first_after(first_items, responses(s))
    hours = _hours(answered.created_at, answered.first_at)
    t = answered.mutate(period=s.period(answered.created_at), kind=_kind(answered), hours=hours)
    result = t.group_by(["period", "kind"]).aggregate(
        newcomers=t.count(),
        within_2_days=(t.hours <= 48).fill_null(False).sum(),
        within_7_days=(t.hours <= 168).fill_null(False).sum(),
    )
    return result.mutate(
        share_2_days=result.within_2_days / result.newcomers,
        share_7_days=result.within_7_days / result.newcomers,
    ).order_by(["period", "kind"])


@metric(
    "label_flow", "Label flow", "period",
    "Per period and label: times the label was added, how many of those spells ended "
    "(label removed or item closed), and the median and mean hours a spell lasted. Spells "
    "still running are counted apart (still_labelled). Use it for 'needs triage' labels.",

    headline=Headline(("median_hours",), "hours", split="label"),
)  # fmt: skip
def label_flow(s: Sources) -> ir.Table:
    e = s.events.filter(s.events.label.notnull())
    added = e.filter(e.event == "labeled").select("repo", "number", "label", added_at=e.created_at)
    added = added.filter(s.in_window(added.added_at))
    removed = e.filter(e.event == "unlabeled").select(
        "repo", "number", label_r="label", removed_at=e.created_at
    )
    spells = added.left_join(
        removed,
        [added.repo == removed.repo, added.number == removed.number,
         added.label == removed.label_r, removed.removed_at >= added.added_at],
    )  # fmt: skip
    spells = spells.group_by(["repo", "number", "label", "added_at"]).aggregate(
        removed_at=spells.removed_at.min()
    )
    items = s.items.select("repo", "number", "closed_at")
    joined = spells.left_join(items, ["repo", "number"])
    closed = ibis.ifelse(joined.closed_at >= joined.added_at, joined.closed_at, ibis.null())
    end = ibis.coalesce(joined.removed_at, closed)
    t = joined.mutate(period=s.period(joined.added_at), hours=_hours(joined.added_at, end))
    return (
        t.group_by(["period", "label"])
        .aggregate(
            added=t.count(),
            ended=t.hours.count(),
            still_labelled=t.hours.isnull().sum(),
            median_hours=t.hours.median(),
            mean_hours=t.hours.mean(),
        )
        .order_by(["period", "label"])
    )
