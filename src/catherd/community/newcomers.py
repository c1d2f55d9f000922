"""Who is new, and did they come back: the lists every view shows.

The definition itself is one ibis expression, ``metrics.community.newcomer_outcomes``: the
``new_contributors`` and ``retention`` metrics count it, and the ``newcomers`` metric lists
it. This module is what views call, so the CLI, the reports, the dashboard and the API show
the same people for the same window.
"""

from __future__ import annotations

from typing import Any

from catherd.community.periods import Window
from catherd.metrics import Params
from catherd.metrics.runner import run_metric
from catherd.store.database import Store


def list_newcomers(
    store: Store, window: Window, repository: str | None = None
) -> list[dict[str, Any]]:
    """The window's newcomers, newest first, each with whether they came back (90/365 days):
    ``yes``, ``no`` or ``too early`` (to tell)."""
    params = Params(since=window.start, until=window.end, repository=repository)
    return run_metric(store, "newcomers", params)
