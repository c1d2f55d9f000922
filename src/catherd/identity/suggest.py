"""Probable duplicate people, with the evidence, for a person to confirm or reject.

Nothing here changes the store: a suggestion becomes a merge only through
``catherd people merge`` (which records the decision in the overrides file). Evidence:

- ``same-name``: the names match once accents, case, punctuation and word order are set
  aside ("José García" / "jose garcia", "Garcia, Jose"), or after transliteration to ASCII;
- ``initials``: one name abbreviates the other ("J. Smith" / "John Smith");
- ``same-login``: the local parts of the addresses match and are specific enough
  ("jdoe@gmail.com" / "jdoe@company.com").

A name with one word only ("chris") is weak evidence and scores lower.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from anyascii import anyascii

from catherd.identity.emails import is_placeholder
from catherd.identity.overrides import Overrides

_GENERIC_LOCALS = {
    "info",
    "admin",
    "contact",
    "dev",
    "mail",
    "me",
    "git",
    "github",
    "user",
    "hello",
    "root",
    "noreply",
    "no-reply",
    "test",
    "office",
    "team",
    "support",
    "python",
    "code",
    "name",
}
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class Suggestion:
    person_a: str
    person_b: str
    score: float
    evidence: list[str] = field(default_factory=list)
    identities: list[dict[str, Any]] = field(default_factory=list)


def name_key(name: str) -> str:
    """A comparable form of a person's name: ASCII, lower case, words sorted."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _WORD.findall(anyascii(stripped).lower())
    return " ".join(sorted(words))


def _initials_key(name: str) -> tuple[str, str] | None:
    words = _WORD.findall(anyascii(name).lower())
    if len(words) < 2:
        return None
    return words[0][0], words[-1]


def suggest(identities: list[dict[str, Any]]) -> list[Suggestion]:
    """Pairs of different people that may be one, strongest first.

    ``identities`` are rows of the ``identities`` table (bots are skipped).
    """
    people: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in identities:
        if not row["is_bot"]:
            people[row["person_id"]].append(row)
    evidence: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)

    def index(key_of: Any) -> dict[Any, set[str]]:
        found: dict[Any, set[str]] = defaultdict(set)
        for person, rows in people.items():
            for row in rows:
                key = key_of(row)
                if key:
                    found[key].add(person)
        return found

    for key, persons in index(lambda r: name_key(r["name"] or "")).items():
        score = 0.9 if " " in key else 0.5
        _pairs(evidence, persons, f"same-name:{key}", score)
    for key, persons in index(lambda r: _initials_key(r["name"] or "")).items():
        _pairs(evidence, persons, f"initials:{key[0]}. {key[1]}", 0.35)
    for key, persons in index(_specific_local).items():
        _pairs(evidence, persons, f"same-login:{key}", 0.6)

    suggestions = []
    for (a, b), reasons in evidence.items():
        # Independent pieces of evidence add up, never beyond certainty.
        miss = 1.0
        for score in reasons.values():
            miss *= 1 - score
        suggestions.append(
            Suggestion(a, b, round(1 - miss, 3), sorted(reasons), people[a] + people[b])
        )
    return sorted(suggestions, key=lambda s: (-s.score, s.person_a, s.person_b))


def pending(identities: list[dict[str, Any]], overrides: Overrides) -> list[Suggestion]:
    """The suggestions nobody decided yet: ``[[distinct]]`` decisions dismiss theirs (a merge
    decision already made the pair one person)."""
    decided: set[tuple[str, str]] = set()
    for refs in overrides.distinct:
        groups = [{r["person_id"] for r in identities if ref.matches(r)} for ref in refs]
        for a, b in combinations(groups, 2):
            decided.update((x, y) if x < y else (y, x) for x in a for y in b if x != y)
    return [s for s in suggest(identities) if (s.person_a, s.person_b) not in decided]


def _pairs(
    evidence: dict[tuple[str, str], dict[str, float]], persons: set[str], reason: str, score: float
) -> None:
    if len(persons) < 2 or len(persons) > 10:  # very common keys are noise, not evidence
        return
    for a, b in combinations(sorted(persons), 2):
        evidence[(a, b)][reason] = score


def _specific_local(row: dict[str, Any]) -> str | None:
    key = row["email_key"] or ""
    if is_placeholder(key) or key.endswith("users.noreply.github.com"):
        return None
    local = key.split("@", 1)[0].split("+", 1)[0]
    if len(local) < 4 or local in _GENERIC_LOCALS or local.isdigit():
        return None
    return local
