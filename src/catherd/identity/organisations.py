"""Map e-mail domains to organisations, and people to organisations over time.

A contribution's organisation is, in order: a time-bounded affiliation recorded for its
person (someone moved from company A to B in 2021), else the organisation of the e-mail
domain it was made with. Domains that say nothing about an employer (webmail) give
``personal``; domains nobody mapped give ``unknown``: catherd shows them as such, it does
not guess from the domain's spelling.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from catherd.errors import InputError

UNKNOWN = "unknown"
PERSONAL = "personal"


@dataclass(frozen=True)
class Organisation:
    org_id: str
    name: str
    kind: str  # "company", "academic", "personal" or "unknown"


@dataclass(frozen=True)
class Affiliation:
    """Someone (an identity reference) belonged to an organisation between two dates."""

    person: str
    organisation: str
    valid_from: date | None
    valid_until: date | None


@dataclass
class OrganisationMap:
    domains: dict[str, str] = field(default_factory=dict)
    personal: set[str] = field(default_factory=set)
    academic_suffixes: set[str] = field(default_factory=set)
    affiliations: list[Affiliation] = field(default_factory=list)

    @classmethod
    def load(cls, user_file: Path | None = None) -> OrganisationMap:
        """The shipped map, extended and overridden by ``user_file`` if given."""
        shipped = resources.files("catherd.identity").joinpath("data/organisations.toml")
        result = cls()
        result._merge(tomllib.loads(shipped.read_text(encoding="utf-8")), "shipped map")
        if user_file is not None:
            if not user_file.is_file():
                raise InputError(f"{user_file}: organisation map file not found")
            try:
                data = tomllib.loads(user_file.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise InputError(f"{user_file}: not valid TOML: {exc}") from exc
            result._merge(data, str(user_file))
        return result

    def _merge(self, data: dict[str, Any], origin: str) -> None:
        for domain, name in data.get("domains", {}).items():
            if not isinstance(name, str) or not name.strip():
                raise InputError(f"{origin}: [domains] {domain!r} needs an organisation name")
            self.domains[domain.lower()] = name.strip()
            self.personal.discard(domain.lower())
        self.personal.update(d.lower() for d in data.get("personal", {}).get("domains", []))
        self.academic_suffixes.update(
            s.lower() for s in data.get("academic", {}).get("suffixes", [])
        )
        for position, entry in enumerate(data.get("affiliation", []), start=1):
            self.affiliations.append(_affiliation(entry, f"{origin}: [[affiliation]] #{position}"))

    def classify(self, domain: str) -> tuple[Organisation, str]:
        """The organisation of an e-mail domain, and the rule that decided it."""
        labels = domain.lower().strip(".").split(".")
        for start in range(len(labels) - 1):
            candidate = ".".join(labels[start:])
            if candidate in self.domains:
                name = self.domains[candidate]
                return Organisation(org_slug(name), name, "company"), f"mapped:{candidate}"
            if candidate in self.personal:
                return Organisation(PERSONAL, "Personal address", PERSONAL), f"personal:{candidate}"
        for start in range(1, len(labels)):
            suffix = ".".join(labels[start:])
            if suffix in self.academic_suffixes:
                registered = ".".join(labels[start - 1 :])
                return Organisation(
                    org_slug(registered), registered, "academic"
                ), f"academic:{suffix}"
        return Organisation(UNKNOWN, "Unknown", UNKNOWN), "unmapped"


def org_slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-")
    return slug or UNKNOWN


def _affiliation(entry: dict[str, Any], where: str) -> Affiliation:
    person, organisation = entry.get("person"), entry.get("organisation")
    if not isinstance(person, str) or not person.strip():
        raise InputError(f'{where}: needs person = "email or Name <email>"')
    if not isinstance(organisation, str) or not organisation.strip():
        raise InputError(f'{where}: needs organisation = "Name"')
    start, end = _date(entry.get("from"), where), _date(entry.get("until"), where)
    if start and end and end <= start:
        raise InputError(f"{where}: until ({end}) must be after from ({start})")
    return Affiliation(person.strip(), organisation.strip(), start, end)


def _date(value: Any, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from exc
