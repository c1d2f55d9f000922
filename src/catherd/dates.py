"""Which dates can be right: commits dated 2099 or 1970 exist, and must not steer periods.

Such dates are kept as recorded (and flagged when read), but the default periods of reports
and dashboards are cut from plausible dates only: from 1990 to a day after now.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
# clocks disagree, and time zones: a commit a few hours "in the future" is not wrong
CLOCK_SLACK = timedelta(days=1)


def latest_plausible(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) + CLOCK_SLACK


def is_plausible(when: datetime, now: datetime | None = None) -> bool:
    """True when a recorded date could be the real one (after 1990, before tomorrow)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return EARLIEST_PLAUSIBLE <= when <= latest_plausible(now)
