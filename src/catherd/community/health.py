"""The month's health against the month before: the figures a home page opens with.

Each figure is a registered metric (so its definition is one click away): active and new
contributors of the last complete month, newcomers who came back within 90 days (for the
newcomers of the month that ended 90 days ago or more, the latest measurable one), and the
median time to a first response to issues and to pull requests. "Better" says which way is
good: fewer hours to answer, more of everything else.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from catherd.community.periods import default_window
from catherd.metrics import Params
from catherd.metrics.runner import next_period, period_label, run_metric
from catherd.store.database import Store

# (metric, column, label, rows of which kind, months back from the last complete month,
#  lower is better)
FIGURES = (
    ("active_contributors", "contributors", "active contributors", None, 0, False),
    ("new_contributors", "newcomers", "new contributors", None, 0, False),
    ("retention", "retention_90", "newcomers back within 90 days", None, 3, False),
    ("time_to_first_response", "median_hours", "hours to a first response (issues)", "issue",
     0, True),
    ("time_to_first_response", "median_hours", "hours to a first response (pull requests)",
     "pull_request", 0, True),
)  # fmt: skip


def _back(month: date, months: int) -> date:
    total = month.year * 12 + month.month - 1 - months
    return date(total // 12, total % 12 + 1, 1)


def month_health(store: Store, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each figure for its month and the month before, and which way it moved."""
    window = default_window(store, now=now)
    if window is None:
        return []
    last = _back(window.end, 1)  # the last complete month the data covers
    found = []
    for name, column, label, kind, back, lower_better in FIGURES:
        month = _back(last, back)
        before = _back(month, 1)
        rows = run_metric(store, name, Params(since=before, until=next_period(month, "month")))
        values = {r["period"]: r[column] for r in rows if kind is None or r.get("kind") == kind}
        now, then = values.get(month), values.get(before)
        moved = None if now is None or then is None or now == then else now > then
        found.append({
            "metric": name, "label": label, "period": period_label(month, "month"),
            "previous_period": period_label(before, "month"), "value": now, "previous": then,
            "rose": moved, "better": None if moved is None else moved != lower_better,
        })  # fmt: skip
    return found
