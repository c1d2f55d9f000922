"""How much work lands: commits and changed lines per period.

Commits are dated by their author date. Line counts are ``git log --numstat`` sums, with
rename detection; binary files count as changed files but add no lines; merge commits carry
no line counts (git shows none for them). Definitions: docs/metrics.md.
"""

from __future__ import annotations

import ibis.expr.types as ir

from catherd.metrics.base import Headline, Sources, metric


@metric(
    "commits",
    "Commits and changed lines",
    "period",
    "Commits (merges counted apart) and the lines they added and deleted, by author date.",
    chaoss="Code Changes Commits / Code Changes Lines",
    zero_fill=("commits", "merges", "files_changed", "lines_added", "lines_deleted"),
    headline=Headline(("commits",), "commits"),
)
def commits(s: Sources) -> ir.Table:
    c = s.commits  # each commit carries the totals of its file rows (stored with it)
    return (
        c.group_by(period=s.period(c.authored_at))
        .aggregate(
            commits=c.count(),
            merges=(c.parents.length() > 1).sum(),
            files_changed=c.files_changed.sum(),
            lines_added=c.lines_added.sum(),
            lines_deleted=c.lines_deleted.sum(),
        )
        .order_by("period")
    )
