"""What disagrees in a decision log, reported rather than smoothed over.

Kinds, each with a one-line message naming the documents:

- ``duplicate_number``: two or more documents (at HEAD or proposed in pull requests) of one
  process share a number;
- ``stated_number``: a document's header or title states another number than its path;
- ``index_disagrees``: an index files a document under a status of another class than the
  document's own (an index section "Accepted" holding final proposals agrees);
- ``listed_twice``: an index lists one document under several statuses;
- ``index_without_document``: an index entry with a number no document has;
- ``not_in_index``: a document missing from the index files that list the others;
- ``no_status`` / ``unknown_status``: no status anywhere, or one no known process uses;
- ``stale``: a draft or proposal under review unchanged for ``stale_days`` (default 365);
- ``vote_without_majority``: a vote merged or passed although the entitled voters' tally
  did not reach the majority.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from catherd.decisions.log import HEAD, Decision
from catherd.decisions.rules import DecisionRules
from catherd.decisions.status import OPEN, agrees, same_status, status_class
from catherd.store.database import Store

KINDS = ("duplicate_number", "stated_number", "index_disagrees", "listed_twice",
         "index_without_document", "not_in_index", "no_status", "unknown_status", "stale",
         "vote_without_majority")  # fmt: skip


def inconsistencies(
    store: Store,
    decisions: Sequence[Decision],
    votes: Sequence[dict[str, Any]],
    rules: DecisionRules,
    as_of: date,
) -> list[dict[str, Any]]:
    """Every inconsistency of ``decisions`` (and their repositories' index files)."""
    found: list[dict[str, Any]] = []

    def report(kind: str, docs: Sequence[Decision], message: str, repository: str = "") -> None:
        found.append({
            "kind": kind, "repository": repository or docs[0].repository,
            "documents": [{"label": d.label, "path": d.path, "proposed_in": d.pull_request}
                          for d in docs],
            "message": message,
        })  # fmt: skip

    same_number: dict[tuple[int, str, int], list[Decision]] = defaultdict(list)
    for d in decisions:
        if d.number is not None:
            same_number[(d.repo_id, d.layout, d.number)].append(d)
    for docs in same_number.values():
        if len(docs) > 1:
            report("duplicate_number", docs,
                   f"{docs[0].label} is the number of {len(docs)} documents: "
                   + "; ".join(f"{_where(d)} ({d.title or 'untitled'})" for d in docs))  # fmt: skip
    heads = [d for d in decisions if d.ref == HEAD]
    for d in decisions:
        if d.stated_number is not None and d.number is not None and d.stated_number != d.number:
            report("stated_number", [d], f"{_where(d)} is {d.label} by its path, but it says "
                                         f"it is number {d.stated_number}")  # fmt: skip
    for d in heads:
        own = status_class(d.document_status, d.layout)
        if d.status_source_document == "document":
            for listed in dict.fromkeys(d.listed):
                if not agrees(status_class(listed, d.layout), own):
                    report("index_disagrees", [d], f"{d.label}: the index files it under "
                                                   f"{listed!r}, the document says "
                                                   f"{d.document_status!r}")  # fmt: skip
        distinct = [s for n, s in enumerate(d.listed)
                    if not any(same_status(s, t) for t in d.listed[:n])]  # fmt: skip
        if len(distinct) > 1:
            under = ", ".join(map(repr, distinct))
            report("listed_twice", [d],
                   f"{d.label} is listed {len(d.listed)} times in the index, under {under}")
        if d.status is None:
            report("no_status", [d], f"{d.label} ({d.path}) states no status and no index "
                                     "lists it")  # fmt: skip
    for d in decisions:
        if d.status is not None and d.status_class == "unknown":
            report("unknown_status", [d], f"{d.label} ({_where(d)}): status {d.status!r} is "
                                          "not one catherd knows")  # fmt: skip
    _index_checks(store, heads, report)
    limit = as_of - timedelta(days=rules.stale_days)
    for d in decisions:
        last = d.last_activity
        if d.status_class in OPEN and last is not None and last.date() < limit:
            report("stale", [d], f"{d.label} ({_where(d)}) has been {d.status!r} with no "
                                 f"change since {last.date()} ({(as_of - last.date()).days} "
                                 "days)")  # fmt: skip
    for vote in votes:
        if vote["for"] is not None and vote["outcome"] in ("accepted", "passed") and not (
            vote["majority_reached"]
        ):
            docs = [d for d in heads if d.label == vote["decision"]
                    and d.repository == vote["repository"]]  # fmt: skip
            cast = len(vote["for"]) + len(vote["against"])
            message = (f"vote #{vote['number']} ({vote['title']}) ended {vote['outcome']} with "
                       f"{len(vote['for'])} of {cast} votes for (needs {vote['majority']:.0%} "
                       f"of the votes cast; voters: {vote['voters']})")  # fmt: skip
            report("vote_without_majority", docs, message, vote["repository"])
    order = {kind: n for n, kind in enumerate(KINDS)}
    return sorted(found, key=lambda f: (order[f["kind"]], f["repository"], f["message"]))


def _index_checks(store: Store, heads: list[Decision], report: Any) -> None:
    repositories = {d.repo_id: d for d in heads}
    for repo_id, first in repositories.items():
        rows = store.rows(
            "SELECT index_path, number, title, status, path FROM decision_index "
            "WHERE repo_id = ? ORDER BY index_path, position",
            [repo_id],
        )
        for row in rows:
            if row["path"] is None and row["number"] is not None:
                title = f"{row['title']}, " if row["title"] else ""
                report("index_without_document", [],
                       f"{row['index_path']} lists #{row['number']} ({title}{row['status']}) "
                       "but no document has that number", first.repository)  # fmt: skip
        listed = {row["path"] for row in rows if row["path"]}
        if listed:
            for d in heads:
                if d.repo_id == repo_id and d.path not in listed:
                    report("not_in_index", [d], f"{d.label} ({d.path}) is missing from the "
                                                "index that lists the others")  # fmt: skip


def _where(decision: Decision) -> str:
    if decision.ref == HEAD:
        return decision.path
    return f"{decision.path} in pull request #{decision.pull_request}"
