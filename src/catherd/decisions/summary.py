"""The decision log as the views show it: the listing (with votes and inconsistencies), one
decision in full, and the decisions taken in a period. CLI, dashboard and report call these,
so they cannot disagree."""

from __future__ import annotations

from datetime import date
from typing import Any

from catherd.decisions.checks import inconsistencies
from catherd.decisions.log import Decision, load_decisions, select, taken
from catherd.decisions.rules import DecisionRules
from catherd.decisions.votes import votes
from catherd.errors import InputError
from catherd.store.database import Store


def decision_log(
    store: Store,
    rules: DecisionRules,
    as_of: date,
    status: str | None = None,
    repository: str | None = None,
) -> dict[str, Any]:
    """Decisions (those with ``status``, in ``repository``), and for their repositories
    every vote and every inconsistency as of ``as_of``."""
    decisions = load_decisions(store, repository)
    chosen = select(decisions, status)
    found = votes(store, decisions, rules)
    return {
        "decisions": [d.summary() for d in chosen],
        "votes": found,
        "inconsistencies": inconsistencies(store, decisions, found, rules, as_of),
    }


def decision_details(
    store: Store, number: int, rules: DecisionRules, as_of: date, repository: str | None = None
) -> list[dict[str, Any]]:
    """Every document numbered ``number`` (several when numbers collide), in full."""
    decisions = load_decisions(store, repository)
    chosen = [d for d in decisions if d.number == number]
    if not chosen:
        where = f" in {repository}" if repository else ""
        raise InputError(f"no decision numbered {number}{where}")
    found = votes(store, decisions, rules)
    problems = inconsistencies(store, decisions, found, rules, as_of)
    return [_detail(d, found, problems) for d in chosen]


def _detail(
    decision: Decision, found: list[dict[str, Any]], problems: list[dict[str, Any]]
) -> dict[str, Any]:
    mine = decision.repository
    return {
        **decision.summary(),
        "authors": decision.authors,
        "authors_source": decision.authors_source,
        "created_source": decision.created_source,
        "resolution": decision.resolution,
        "document_status": decision.document_status,
        "index_statuses": decision.listed,
        "history": [{**e, "at": e["at"].isoformat()} for e in decision.history],
        "links": decision.links,
        "votes": [v for v in found if v["repository"] == mine and v["decision"] == decision.label
                  and decision.ref == "HEAD"],
        "inconsistencies": [
            p for p in problems
            if p["repository"] == mine and any(
                doc["path"] == decision.path and doc["proposed_in"] == decision.pull_request
                for doc in p["documents"])
        ],
    }  # fmt: skip


def has_decisions(store: Store) -> bool:
    """Whether any analysed repository holds decision documents."""
    return bool(store.scalar("SELECT count(*) FROM decision_documents"))


def decisions_taken(store: Store, start: date, end: date) -> list[dict[str, Any]]:
    """Status changes to a resolved class (accepted, final, active, rejected, withdrawn,
    superseded) on a main line in [start, end), oldest first."""
    return taken(load_decisions(store), start, end)
