"""Compare a release's credits with a list the project published (or drafted).

A published entry matches a credited name when their names agree once case, accents and
word order are set aside (``identity.suggest.name_key``), or when its GitHub handle is a
login of the credited people, or names them. Precision is the share of credited names the
list has; recall the share of the list's names credited. The same is measured for the
first-timer marks where the list has them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from catherd.community.releases import Credit, Credits
from catherd.identity.suggest import name_key
from catherd.sources.changelog import PublishedName


@dataclass
class CreditCheck:
    credited: int
    published: int
    matched_credits: int
    matched_published: int
    extra: list[str] = field(default_factory=list)  # credited, not in the list
    missing: list[str] = field(default_factory=list)  # in the list, not credited
    first_time: tuple[int, int, int] | None = None  # (both, credited only, published only)

    @property
    def precision(self) -> float:
        return self.matched_credits / self.credited if self.credited else 1.0

    @property
    def recall(self) -> float:
        return self.matched_published / self.published if self.published else 1.0

    @property
    def first_time_precision(self) -> float | None:
        if self.first_time is None:
            return None
        both, ours, _ = self.first_time
        return both / (both + ours) if both + ours else 1.0

    @property
    def first_time_recall(self) -> float | None:
        if self.first_time is None:
            return None
        both, _, theirs = self.first_time
        return both / (both + theirs) if both + theirs else 1.0

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "credited": self.credited, "published": self.published,
            "precision": self.precision, "recall": self.recall,
            "extra": self.extra, "missing": self.missing,
        }  # fmt: skip
        if self.first_time is not None:
            data["first_time_precision"] = self.first_time_precision
            data["first_time_recall"] = self.first_time_recall
        return data


def matches(credit: Credit, entry: PublishedName) -> bool:
    keys = {name_key(text) for text in (entry.name, entry.login or "") if text}
    if entry.login and entry.login in (login.lower() for login in credit.logins):
        return True
    return name_key(credit.name) in keys - {""}


def check_credits(credits: Credits, published: list[PublishedName]) -> CreditCheck:
    """How the credits agree with a published list (see the module's docstring)."""
    named = credits.contributors
    pairs = [(c, e) for c in named for e in published if matches(c, e)]
    found_credits = {id(c) for c, _ in pairs}
    found_entries = {id(e) for _, e in pairs}
    result = CreditCheck(
        credited=len(named),
        published=len(published),
        matched_credits=len(found_credits),
        matched_published=len(found_entries),
        extra=[c.name for c in named if id(c) not in found_credits],
        missing=[e.name or f"@{e.login}" for e in published if id(e) not in found_entries],
    )
    if any(e.first_time for e in published):
        ours = {id(c) for c in named if c.first_time}
        theirs = {id(e) for e in published if e.first_time}
        both = {(id(c), id(e)) for c, e in pairs if id(c) in ours and id(e) in theirs}
        result.first_time = (
            len({c for c, _ in both}),
            len(ours - {c for c, _ in both}),
            len(theirs - {e for _, e in both}),
        )
    return result
