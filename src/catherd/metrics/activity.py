"""How much work lands: commits and changed lines per period.

Commits are dated by their author date. Line counts are ``git log --numstat`` sums, with
rename detection; binary files count as changed files but add no lines; merge commits carry
no line counts (git shows none for them). Definitions: docs/metrics.md.
"""

from __future__ import annotations

import ibis.expr.types as ir

from catherd.metrics.base import Sources, metric


@metric(
    "commits",
    "Commits and changed lines",
    "period",
    "Commits (merges counted apart) and the lines they added and deleted, by author date.",
    chaoss="Code Changes Commits / Code Changes Lines",
    zero_fill=("commits", "merges", "files_changed", "lines_added", "lines_deleted"),
)
def commits(s: Sources) -> ir.Table:
    c = s.commits
    f = s.commit_files
    per_commit = f.group_by("sha").aggregate(
        files=f.count(), added=f.added.sum(), deleted=f.deleted.sum()
    )
    joined = c.left_join(per_commit, "sha")
    return (
        joined.group_by(period=s.period(joined.authored_at))
        .aggregate(
            commits=joined.count(),
            merges=(joined.parents.length() > 1).sum(),
            files_changed=joined.files.fill_null(0).sum(),
            lines_added=joined.added.fill_null(0).sum(),
            lines_deleted=joined.deleted.fill_null(0).sum(),
        )
        .order_by("period")
    )
