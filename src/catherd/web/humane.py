"""Numbers and durations as people say them: "3 weeks", "1.2k"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def age(value: float | timedelta | datetime | None, now: datetime | None = None) -> str:
    """How long ago or how long: days (a float), a duration or a moment, in the largest
    unit that fits ("5 hours", "3 weeks", "2 years")."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        value = (now or datetime.now(UTC)) - moment
    days = value.total_seconds() / 86400 if isinstance(value, timedelta) else float(value)
    for size, unit in ((365, "year"), (30, "month"), (7, "week"), (1, "day")):
        if days >= size:
            count = int(days // size)
            return f"{count} {unit}{'s' if count > 1 else ''}"
    hours = int(days * 24)
    return f"{hours} hour{'s' if hours != 1 else ''}" if hours else "less than an hour"


def human_number(value: float | int | None) -> str:
    """Thousands separated; shares and small floats as they read best."""
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"
