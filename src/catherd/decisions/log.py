"""Decisions as the store holds them: each document with the status in force, its history,
its authors as people, and where it was discussed.

- The **status in force** is the document's own field; a document that states none takes
  the status an index file gives it, else the one its layout implies (a Rust RFC in
  ``text/`` is accepted); else it has none (class ``unknown``).
- The **history** follows the main line, oldest first: at each commit that changed the
  document or its index, the status in force then (same rule); an entry is recorded when it
  differs from the previous one (case and spacing aside), with that commit.
- **Resolved** is the day the status last entered a resolved class (``status.RESOLVED``)
  without leaving it since; **created** is the document's date field, else the day of the
  commit that first added it (``created_source`` says which).
- **Authors** are matched to people through the identity tables: same e-mail address, else
  same GitHub login, else the same name (accents, case and punctuation aside) when exactly
  one person has it. An author who matches nobody keeps the text the document gives.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from catherd.decisions.status import CLASSES, RESOLVED, same_status, status_class
from catherd.errors import InputError
from catherd.store.database import Store

HEAD = "HEAD"
_NORM = "trim(regexp_replace(lower(strip_accents({})), '[^a-z0-9]+', ' ', 'g'))"
_AUTHORS = f"""
WITH a AS (SELECT * FROM decision_authors WHERE $repo_id IS NULL OR repo_id = $repo_id),
m AS (
    SELECT a.repo_id, a.ref, a.path, a.position, i.person_id, 1 AS rule
    FROM a JOIN identities i ON i.email_key = lower(a.email)
    UNION ALL
    SELECT a.repo_id, a.ref, a.path, a.position, i.person_id, 2
    FROM a JOIN identities i ON lower(i.login) = lower(a.login)
    UNION ALL
    SELECT a.repo_id, a.ref, a.path, a.position, i.person_id, 3
    FROM a JOIN identities i ON {_NORM.format("i.name")} = {_NORM.format("a.name")}
    WHERE {_NORM.format("a.name")} <> ''
),
ranked AS (
    SELECT * FROM m QUALIFY rule = min(rule) OVER (PARTITION BY repo_id, ref, path, position)
),
best AS (
    SELECT repo_id, ref, path, position, any_value(rule) AS rule,
           min(person_id) AS person_id, count(DISTINCT person_id) AS people
    FROM ranked GROUP BY repo_id, ref, path, position
)
SELECT a.repo_id, a.ref, a.path, a.position, a.text,
       CASE WHEN b.people = 1 THEN b.person_id END AS person_id,
       CASE WHEN b.people = 1 THEN ['email', 'login', 'name'][b.rule] END AS matched_by,
       p.display_name, p.hidden, p.forgotten
FROM a
LEFT JOIN best b USING (repo_id, ref, path, position)
LEFT JOIN people p ON p.person_id = b.person_id AND b.people = 1
ORDER BY a.repo_id, a.ref, a.path, a.position
"""


@dataclass
class Decision:
    repo_id: int
    repository: str
    ref: str  # HEAD, or refs/pull/N/head: proposed in pull request N only
    path: str
    layout: str
    number: int | None
    label: str
    title: str | None
    stated_number: int | None
    document_status: str | None  # what the document itself says (or its layout implies)
    status_source_document: str  # document, layout or none
    type: str | None
    created: str | None
    created_source: str
    authors_source: str
    resolution: str | None
    pull_request: int | None
    fields: dict[str, Any]
    listed: list[str] = field(default_factory=list)  # statuses HEAD's index files give it
    authors: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    commits: list[dict[str, Any]] = field(default_factory=list)  # those that changed it
    links: list[dict[str, Any]] = field(default_factory=list)
    last_change: datetime | None = None  # the last commit that changed the document itself

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.repo_id, self.ref, self.path)

    @property
    def status(self) -> str | None:
        """The status in force."""
        if self.status_source_document == "document":
            return self.document_status
        if self.listed:
            return self.listed[0]
        return self.document_status  # implied by the layout, or None

    @property
    def status_source(self) -> str | None:
        if self.status_source_document == "document":
            return "document"
        if self.listed:
            return "index"
        return "layout" if self.document_status else None

    @property
    def status_class(self) -> str:
        return status_class(self.status, self.layout)

    @property
    def resolved(self) -> str | None:
        """The day the status last entered a resolved class and stayed in one (never for a
        document only in a pull request: nothing is decided until it is merged)."""
        if self.ref != HEAD:
            return None
        day = None
        for event in self.history:
            day = (day or event["at"].date().isoformat()) if event["class"] in RESOLVED else None
        return day

    @property
    def last_activity(self) -> datetime | None:
        """The last change of the document or of its status."""
        moments = [m for m in (self.last_change, *(e["at"] for e in self.history)) if m]
        return max(moments) if moments else None

    def summary(self) -> dict[str, Any]:
        """The listing's object for this decision (no e-mail address: names only)."""
        return {
            "repository": self.repository,
            "number": self.number,
            "label": self.label,
            "title": self.title,
            "status": self.status,
            "status_class": self.status_class,
            "status_source": self.status_source,
            "type": self.type,
            "authors": [
                {k: a[k] for k in ("name", "as_written", "person_id")} for a in self.authors
            ],
            "created": self.created,
            "resolved": self.resolved,
            "path": self.path,
            "proposed_in": self.pull_request,
            "last_change": self.last_activity.isoformat() if self.last_activity else None,
        }


def load_decisions(store: Store, repository: str | None = None) -> list[Decision]:
    """Every decision document the store holds (of one repository, by name)."""
    repo_id = _repository_id(store, repository) if repository else None
    params = {"repo_id": repo_id}
    decisions = {}
    for row in store.rows(
        "SELECT d.*, r.name AS repository FROM decision_documents d JOIN repositories r "
        "USING (repo_id) WHERE $repo_id IS NULL OR repo_id = $repo_id "
        "ORDER BY r.name, d.number NULLS LAST, d.ref <> 'HEAD', d.pull_request, d.path",
        params,
    ):
        decision = Decision(
            repo_id=row["repo_id"], repository=row["repository"], ref=row["ref"],
            path=row["path"], layout=row["layout"], number=row["number"], label=row["label"],
            title=row["title"], stated_number=row["stated_number"],
            document_status=row["status"], status_source_document=row["status_source"],
            type=row["type"], created=row["created"], created_source=row["created_source"],
            authors_source=row["authors_source"], resolution=row["resolution"],
            pull_request=row["pull_request"], fields=_json(row["fields"]),
        )  # fmt: skip
        decisions[decision.key] = decision
    for row in store.rows(
        "SELECT repo_id, path, status FROM decision_index WHERE path IS NOT NULL "
        "AND ($repo_id IS NULL OR repo_id = $repo_id) ORDER BY repo_id, index_path, position",
        params,
    ):
        found = decisions.get((row["repo_id"], HEAD, row["path"]))
        if found is not None:
            found.listed.append(row["status"])
    for row in store.rows(_AUTHORS, params):
        found = decisions.get((row["repo_id"], row["ref"], row["path"]))
        if found is None:
            continue
        mapped = row["person_id"] is not None
        found.authors.append({
            # a person who asked to be forgotten is shown as the identity layer names them
            "name": row["display_name"] if mapped else row["text"],
            "as_written": row["display_name"] if mapped and row["forgotten"] else row["text"],
            "person_id": row["person_id"] if mapped and not row["hidden"] else None,
            "matched_by": row["matched_by"],
        })  # fmt: skip
    changes: dict[tuple[int, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in store.rows(
        "SELECT c.*, m.pr_number FROM decision_changes c LEFT JOIN commits m USING (sha) "
        "WHERE $repo_id IS NULL OR c.repo_id = $repo_id ORDER BY c.repo_id, c.ref, c.path, "
        "c.position",
        params,
    ):
        changes[(row["repo_id"], row["ref"], row["path"])].append(row)
    for row in store.rows(
        "SELECT * FROM decision_links WHERE $repo_id IS NULL OR repo_id = $repo_id "
        "ORDER BY repo_id, ref, path, kind, target",
        params,
    ):
        found = decisions.get((row["repo_id"], row["ref"], row["path"]))
        if found is not None:
            found.links.append({k: row[k] for k in ("kind", "target", "url", "found_in")})
    for decision in decisions.values():
        _follow(decision, changes.get(decision.key, []))
    return list(decisions.values())


def _follow(decision: Decision, changes: list[dict[str, Any]]) -> None:
    """Status history, last change and the pull requests that changed the document."""
    implied = decision.document_status if decision.status_source_document == "layout" else None
    previous: str | None = None
    for change in changes:
        pull = change["pr_number"] if decision.ref == HEAD else decision.pull_request
        if change["touched"]:
            decision.last_change = change["committed_at"]
            decision.commits.append({
                "sha": change["sha"], "at": change["committed_at"], "subject": change["subject"],
                "pull_request": pull,
            })  # fmt: skip
            target = f"#{pull}"
            if pull and not any(link["target"] == target for link in decision.links):
                decision.links.append({"kind": "pull", "target": target, "url": None,
                                       "found_in": "history"})  # fmt: skip
        value, source = change["doc_status"], "document"
        if not value:
            value, source = change["index_status"], "index"
        if not value and implied:
            value, source = implied, "layout"
        if not value or (previous is not None and same_status(value, previous)):
            continue
        previous = value
        decision.history.append({
            "status": value, "class": status_class(value, decision.layout), "source": source,
            "at": change["committed_at"], "sha": change["sha"], "subject": change["subject"],
            "pull_request": pull,
        })  # fmt: skip


def select(decisions: list[Decision], status: str | None) -> list[Decision]:
    """Those whose status in force is ``status``: a class (``accepted``) or a status as
    written (``Under review``), either in any case."""
    if not status:
        return decisions
    wanted = status.strip().lower()
    if wanted in CLASSES:
        return [d for d in decisions if d.status_class == wanted]
    chosen = [d for d in decisions if same_status(d.status, wanted)]
    if not chosen:
        known = sorted({d.status for d in decisions if d.status} | set(CLASSES))
        raise InputError(f"--status {status!r}: no decision has it (statuses: {', '.join(known)})")
    return chosen


def taken(decisions: list[Decision], start: date, end: date) -> list[dict[str, Any]]:
    """Decisions taken in [start, end): a status entering a resolved class (accepted, final,
    active, rejected, withdrawn, superseded) from another class, on the main line."""
    found = []
    for decision in decisions:
        if decision.ref != HEAD:
            continue  # a pull request's own document decides nothing until it is merged
        before = "unknown"
        for event in decision.history:
            day = event["at"].date()
            if event["class"] in RESOLVED and event["class"] != before and start <= day < end:
                found.append({
                    **decision.summary(), "status": event["status"],
                    "status_class": event["class"], "at": day.isoformat(),
                    "sha": event["sha"], "pull_request": event["pull_request"],
                })  # fmt: skip
            before = event["class"]
    return sorted(found, key=lambda r: (r["at"], r["repository"], r["number"] or 0))


def _repository_id(store: Store, name: str) -> int:
    found = store.scalar("SELECT repo_id FROM repositories WHERE name = ?", [name])
    if found is None:
        known = [r["name"] for r in store.rows("SELECT name FROM repositories ORDER BY name")]
        raise InputError(f"--repo {name!r}: no such repository (known: {', '.join(known)})")
    return int(found)


def _json(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})
