"""Statuses as proposal processes write them, and the classes catherd reasons with.

A status is kept as written (``Withdrawn (superseded by SLEP006)``); its *class* is what the
decision log counts and compares: ``draft``, ``review``, ``accepted``, ``final``, ``active``,
``deferred``, ``rejected``, ``withdrawn``, ``superseded``, or ``unknown`` for a status no
process catherd knows uses. The first words decide: ``Withdrawn (superseded by ...)`` is
withdrawn.
"""

from __future__ import annotations

import re

CLASSES = ("draft", "review", "accepted", "final", "active", "deferred", "rejected",
           "withdrawn", "superseded", "unknown")  # fmt: skip
OPEN = frozenset({"draft", "review"})  # waiting for a decision
# A proposal in one of these has been decided; entering one is "a decision taken".
RESOLVED = frozenset({"accepted", "final", "active", "rejected", "withdrawn", "superseded"})

_WORDS: dict[str, str] = {
    "draft": "draft", "proposed": "draft", "proposal": "draft", "wip": "draft",
    "pre-rfc": "draft", "idea": "draft", "new": "draft", "pending": "draft",
    "under review": "review", "in review": "review", "review": "review",
    "voting": "review", "vote": "review", "under vote": "review", "open": "review",
    "final comment period": "review", "fcp": "review", "discussion": "review",
    "under discussion": "review", "last call": "review", "in discussion": "review",
    "accepted": "accepted", "accept": "accepted", "approved": "accepted",
    "provisional": "accepted", "implementable": "accepted", "endorsed": "accepted",
    "adopted": "accepted", "agreed": "accepted",
    "final": "final", "implemented": "final", "completed": "final", "complete": "final",
    "done": "final", "merged": "final", "released": "final", "stable": "final",
    "active": "active", "living": "active", "in force": "active",
    "deferred": "deferred", "postponed": "deferred", "delayed review": "deferred",
    "delayed": "deferred", "on hold": "deferred", "dormant": "deferred", "paused": "deferred",
    "stalled": "deferred",
    "rejected": "rejected", "declined": "rejected", "refused": "rejected",
    "not accepted": "rejected",
    "withdrawn": "withdrawn", "abandoned": "withdrawn", "retracted": "withdrawn",
    "superseded": "superseded", "replaced": "superseded", "obsolete": "superseded",
    "deprecated": "superseded",
}  # fmt: skip
# Where a process gives a word its own meaning: a KEP is "provisional" while its design is
# still being agreed, whereas a provisional PEP or SLEP has been accepted.
_BY_LAYOUT: dict[str, dict[str, str]] = {"kep": {"provisional": "draft"}}


def status_class(status: str | None, layout: str = "") -> str:
    """The class of a status as written; ``unknown`` for None or an unknown word."""
    if not status:
        return "unknown"
    text = re.split(r"[(\[:;,—–]| - ", status.lower(), maxsplit=1)[0]
    text = " ".join(re.sub(r"[^a-z -]", " ", text).split())
    words = {**_WORDS, **_BY_LAYOUT.get(layout, {})}
    if text in words:
        return words[text]
    for size in (3, 2, 1):  # "Accepted for 1.3", "Under review since ...": the first words
        head = " ".join(text.split()[:size])
        if head in words:
            return words[head]
    return "unknown"


def same_status(a: str | None, b: str | None) -> bool:
    """Written the same way, give or take case and spacing."""
    return " ".join((a or "").lower().split()) == " ".join((b or "").lower().split())


def agrees(index_class: str, document_class: str) -> bool:
    """Whether an index may file a document of ``document_class`` under ``index_class``: the
    same class, or an index section "Accepted" holding proposals since made final."""
    return index_class == document_class or (index_class, document_class) == ("accepted", "final")
