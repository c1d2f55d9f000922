"""The daily keys that turn a client address and user agent into a visitor id.

A visitor id is the first 64 bits of SHA-256(key of the day || address || agent). Each day
has its own random 256-bit key, made when the first line of that day is imported. Keys live
in a file *outside* the store (``.catherd/<store>.visitor-keys.json`` beside it, mode 0600,
or ``[traffic] keys``) and are forgotten once the newest imported day is more than
``keep_days`` days past theirs (7 by default). So:

- the store alone never lets anyone recover an address: the ids are keyed hashes, and the
  key is not in the store (copy, publish or back up the store file freely);
- for the last ``keep_days`` days, whoever holds both the store and the key file could test
  guesses (every IPv4 address with a known agent): the same people can read the raw logs of
  those days, which sit beside them on the server. Older days have no key anywhere, so
  nobody, the operator included, can link an id to an address any more;
- lines of one day imported in several runs (a growing log read every hour, a day split
  across ``access.log`` and ``access.log.1``) get the same ids while the key is kept, so a
  visitor is counted once per day, as GoAccess counts. Lines of a day whose key was already
  forgotten get a new key: the loader warns that such a day's visitors may count twice.

A per-day key, rather than one secret from which each day's key is derived, is what makes
forgetting possible: with a lasting secret, every past day stays open to guessing.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import date, timedelta
from pathlib import Path

from catherd.errors import InputError

KEEP_DAYS = 7


def default_key_file(db: Path) -> Path:
    return db.parent / ".catherd" / f"{db.name}.visitor-keys.json"


class VisitorKeys:
    """The keys of the days still open, read from and written back to ``path``."""

    def __init__(self, path: Path, keep_days: int = KEEP_DAYS) -> None:
        self.path = path
        self.keep_days = keep_days
        self.created: set[date] = set()
        try:
            raw = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
            self.keys = {date.fromisoformat(d): k for d, k in raw.get("days", {}).items()}
        except (ValueError, AttributeError, TypeError) as exc:
            raise InputError(f"{path}: not a visitor key file: {exc}") from exc

    def for_days(self, days: list[date]) -> dict[date, str]:
        """The key of each day, making one for a day without."""
        for day in days:
            if day not in self.keys:
                self.keys[day] = secrets.token_hex(32)
                self.created.add(day)
        return {day: self.keys[day] for day in days}

    def save(self, newest: date | None) -> None:
        """Forget the keys of days more than ``keep_days`` before ``newest``, then write the
        file (readable by its owner only; replaced in one step, never half-written)."""
        if newest is not None:
            oldest = newest - timedelta(days=self.keep_days)
            self.keys = {d: k for d, k in self.keys.items() if d >= oldest}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            days = {d.isoformat(): k for d, k in sorted(self.keys.items())}
            json.dump({"days": days}, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, self.path)
