"""Likely sprints found in the data, for a person to confirm: days when far more people than
usual opened their first pull request.

A *first-timer* of a day is a funnel subject (not team, no bot) whose first pull request was
opened that day (UTC), or, from git alone, whose first contribution is dated that day. A day
*spikes* when at least ``min_people`` first-timers came, and so many that a Poisson count
with the day's baseline (the first-timers per day over the ``baseline_days`` before it, at
least one in ``baseline_days``) would reach it with probability below ``p_value``. Spike days
at most ``gap_days`` apart are one proposal. Days a recorded sprint covers are marked.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from catherd.community.funnel import journeys
from catherd.community.sprints import sprints
from catherd.errors import InputError
from catherd.store.database import Store

MIN_PEOPLE = 3
BASELINE_DAYS = 90
P_VALUE = 0.001
GAP_DAYS = 2


def poisson_tail(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean)."""
    below = sum(math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1)) for k in range(count))
    return max(0.0, 1.0 - below)


def spike_days(
    store: Store, team: Iterable[str] = (), as_of: datetime | None = None,
    min_people: int = MIN_PEOPLE, baseline_days: int = BASELINE_DAYS, p_value: float = P_VALUE,
) -> list[dict[str, Any]]:  # fmt: skip
    """Every day whose first-timers spike, with its count, baseline and probability."""
    if min_people < 1 or baseline_days < 1 or not 0 < p_value < 1:
        raise InputError("--min-people and --baseline-days must be 1 or more, --p between 0 and 1")
    names: dict[date, list[str]] = {}
    for journey in journeys(store, team, as_of):
        if journey.opened_at is not None:
            day = journey.opened_at.date()
            names.setdefault(day, []).append("(not named)" if journey.hidden else journey.name)
    per_day = Counter({day: len(people) for day, people in names.items()})
    days = []
    for day in sorted(per_day):
        count = per_day[day]
        if count < min_people:
            continue
        before = sum(per_day[day - timedelta(days=n)] for n in range(1, baseline_days + 1))
        mean = max(before, 1) / baseline_days
        chance = poisson_tail(count, mean)
        if chance < p_value:
            days.append({"day": day, "first_timers": count, "p_value": chance,
                         "baseline_per_day": before / baseline_days,
                         "names": sorted(names[day])})  # fmt: skip
    return days


def proposed_sprints(
    store: Store, team: Iterable[str] = (), as_of: datetime | None = None, **rules: Any
) -> list[dict[str, Any]]:
    """Spike days joined into proposed sprints (first and last day), newest first, each saying
    whether a recorded sprint covers it already."""
    proposals: list[dict[str, Any]] = []
    for spike in spike_days(store, team, as_of, **rules):
        last = proposals[-1] if proposals else None
        if last and (spike["day"] - last["end"]).days <= GAP_DAYS:
            last["end"] = spike["day"]
            last["days"].append(spike)
        else:
            proposals.append({"start": spike["day"], "end": spike["day"], "days": [spike]})
    recorded = sprints(store)
    for proposal in proposals:
        proposal["first_timers"] = sum(d["first_timers"] for d in proposal["days"])
        proposal["recorded"] = next(
            (s.id for s in recorded if s.start <= proposal["end"] and proposal["start"] <= s.end),
            None,
        )
    return proposals[::-1]
