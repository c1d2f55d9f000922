"""What a metric is, the parameters every metric takes, and the registry of all of them.

A metric is a function from ``Sources`` (ibis tables over the store, already filtered by the
parameters) to an ibis table expression. It never runs SQL itself, so the same definition can
run on DuckDB here or on another ibis backend (Spark, BigQuery) for a whole ecosystem.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import ibis
import ibis.expr.types as ir

from catherd.dates import CLOCK_SLACK, EARLIEST_PLAUSIBLE
from catherd.errors import InputError

PERIODS = {"month": "M", "quarter": "Q", "year": "Y"}
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
WHOLE = "all"  # one period: the whole window, starting at ``since``


@dataclass(frozen=True)
class Params:
    """What every metric is computed over."""

    since: date | None = None
    until: date | None = None  # exclusive
    by: str = "month"
    repository: str | None = None
    include_bots: bool = False

    def __post_init__(self) -> None:
        if self.by not in PERIODS and self.by != WHOLE:
            raise InputError(f"--by {self.by!r}: choose one of {', '.join([*PERIODS, WHOLE])}")
        if self.since and self.until and self.until <= self.since:
            raise InputError(f"--until {self.until} must be after --since {self.since}")


@dataclass
class Sources:
    """ibis tables a metric reads, restricted to the repository and bots choice of ``Params``.

    ``contributions`` and ``commits`` are also restricted to ``[since, until)``; the
    ``*_all_time`` variants are not, for metrics that need history (first contribution ever).
    """

    params: Params
    contributions: ir.Table
    contributions_all_time: ir.Table
    commits: ir.Table
    commit_files: ir.Table
    people: ir.Table
    organisations: ir.Table
    # GitHub activity (views over the raw payloads), restricted to the repository chosen
    items: ir.Table
    comments: ir.Table
    reviews: ir.Table
    events: ir.Table
    review_requests: ir.Table

    def in_window(self, column: ir.TimestampValue) -> ir.BooleanValue:
        """True where ``column`` falls in ``[since, until)`` (always true without bounds)."""
        condition = ibis.literal(True)
        if self.params.since:
            condition &= column >= literal_date(self.params.since)
        if self.params.until:
            condition &= column < literal_date(self.params.until)
        return condition

    def period(self, column: ir.TimestampValue) -> ir.DateValue:
        """The start date of the period (month, quarter, year) a timestamp falls in."""
        if self.params.by == WHOLE:
            return ibis.literal(self.params.since or date(1970, 1, 1), type="date")
        # The store's time zone is UTC: a naive timestamp names the same instant, and cutting
        # it skips the time-zone calendar (three times faster at 500k contributions).
        return column.cast("timestamp").truncate(PERIODS[self.params.by]).date()


MetricFunction = Callable[[Sources], ir.Table]


@dataclass(frozen=True)
class Headline:
    """What a metric's chart plots: its headline columns, their unit, and the column (if any)
    whose values are separate lines (issues and pull requests apart)."""

    columns: tuple[str, ...]
    unit: str  # "people", "hours", "share"... (a share is plotted from 0 to 100%)
    split: str | None = None

    @property
    def percent(self) -> bool:
        return self.unit == "share"


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    unit: str  # what one row is: "period", "person", "window"
    summary: str
    function: MetricFunction
    chaoss: str | None = None
    # columns that are 0 in an empty period
    zero_fill: tuple[str, ...] = field(default_factory=tuple)
    headline: Headline | None = None  # None: a table, not a chart (per-person metrics)

    def describe(self) -> dict[str, Any]:
        """What lists of metrics show (CLI, API)."""
        headline = self.headline
        return {"name": self.name, "title": self.title, "unit": self.unit,
                "chaoss": self.chaoss, "summary": self.summary,
                "headline": list(headline.columns) if headline else None,
                "headline_unit": headline.unit if headline else None,
                "split": headline.split if headline else None}  # fmt: skip


REGISTRY: dict[str, Metric] = {}


def is_share(column: str) -> bool:
    """True for the columns that are shares (0 to 1), shown as percentages everywhere."""
    return column.endswith(("share", "coverage")) or column.startswith(
        ("retention_", "share_", "acceptance")
    )


def metric(
    name: str,
    title: str,
    unit: str,
    summary: str,
    chaoss: str | None = None,
    zero_fill: tuple[str, ...] = (),
    headline: Headline | None = None,
) -> Callable[[MetricFunction], MetricFunction]:
    """Register a metric function under ``name``, with what its chart plots."""

    def register(function: MetricFunction) -> MetricFunction:
        REGISTRY[name] = Metric(name, title, unit, summary, function, chaoss, zero_fill, headline)
        return function

    return register


def plausible_date(column: ir.TimestampValue) -> ir.BooleanValue:
    """True where a recorded date could be the real one (catherd.dates: 1990 to tomorrow)."""
    earliest = ibis.literal(EARLIEST_PLAUSIBLE, type="timestamp('UTC')")
    return (column >= earliest) & (column <= ibis.now() + ibis.interval(days=CLOCK_SLACK.days))


def timestamp_bound(day: date) -> datetime:
    return datetime.combine(day, time.min)


def literal_date(day: date) -> Any:
    return ibis.literal(timestamp_bound(day), type="timestamp('UTC')")
