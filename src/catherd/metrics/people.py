"""Per-person facts: first and last contribution, tenure, breadth of the code they touch.

Breadth counts the distinct top-level directories of the files a person's authored commits
changed (files at the root count as one directory, ``/``). Definitions: docs/metrics.md.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from catherd.metrics.base import Sources, metric
from catherd.metrics.community import first_contributions


@metric(
    "contributor_summary",
    "First and last contribution",
    "person",
    "Each person's first and last contribution ever, days between them, and contributions in "
    "the window chosen.",
)
def contributor_summary(s: Sources) -> ir.Table:
    ever = first_contributions(s)
    c = s.contributions
    window = c.group_by("person_id").aggregate(in_window=c.count())
    people = s.people.select("person_id", "display_name")
    joined = ever.join(window, "person_id").join(people, "person_id")
    tenure = (joined.last_at.epoch_seconds() - joined.first_at.epoch_seconds()) / 86400
    return joined.select(
        "person_id",
        "display_name",
        "first_at",
        "last_at",
        tenure_days=tenure.floor(),
        contributions=joined.in_window,
    ).order_by([ibis.desc("contributions"), "person_id"])


@metric(
    "breadth",
    "Breadth of contribution",
    "person",
    "Distinct top-level directories touched by each person's authored commits in the window.",
)
def breadth(s: Sources) -> ir.Table:
    c = s.contributions
    authored = c.filter(c.role == "author").select("sha", "person_id")
    f = s.commit_files
    top = ibis.ifelse(f.path.contains("/"), f.path.split("/")[0], "/")
    files = f.select("sha", top_dir=top)
    joined = authored.join(files, "sha")
    per_person = joined.group_by("person_id").aggregate(
        directories=joined.top_dir.nunique(), files_changed=joined.count()
    )
    people = s.people.select("person_id", "display_name")
    return per_person.join(people, "person_id").order_by(
        [ibis.desc("directories"), ibis.desc("files_changed"), "person_id"]
    )
