"""Which period a report or a page covers when nobody says: the default window.

The data's span is taken from contributions with plausible dates only (catherd.dates), so a
commit dated 2099 or 1970 never becomes "the latest activity". The default window is the 12
months ending with the last complete month up to now, or with the month of the latest
activity when the data ends earlier (a store synced last spring is reported as of then).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from catherd.dates import EARLIEST_PLAUSIBLE, latest_plausible
from catherd.metrics.runner import next_period
from catherd.store.database import Store


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # exclusive

    @property
    def label(self) -> str:
        last = date.fromordinal(self.end.toordinal() - 1)
        return f"{self.start:%d %b %Y} – {last:%d %b %Y}"


def data_span(store: Store, now: datetime | None = None) -> tuple[datetime, datetime] | None:
    """The first and last contribution (bots left out) whose dates are plausible."""
    row = store.con.execute(
        "SELECT min(contributed_at), max(contributed_at) FROM contributions "
        "WHERE NOT is_bot AND contributed_at BETWEEN ? AND ?",
        [EARLIEST_PLAUSIBLE, latest_plausible(now)],
    ).fetchall()[0]
    return None if row[0] is None else (row[0], row[1])


def default_window(
    store: Store,
    since: date | None = None,
    until: date | None = None,
    now: datetime | None = None,
) -> Window | None:
    """``[since, until)`` where given; otherwise 12 months up to the last complete month."""
    span = data_span(store, now)
    if span is None:
        return None
    today = (now or datetime.now(UTC)).date()
    latest = span[1]
    end = until or min(
        date(today.year, today.month, 1), next_period(date(latest.year, latest.month, 1), "month")
    )
    start = since or date(end.year - 1, end.month, 1)
    return Window(start, end)
