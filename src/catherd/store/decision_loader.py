"""Store one repository's decision documents, their history and its index entries.

A repository's rows are replaced as a whole, inside the caller's transaction (the one that
loads its commits), whenever what a scan depends on moved: HEAD, a pull-request head, the
configured patterns or the reading rules (a fingerprint kept as the ``decisions`` cursor).
Scanning twice the same state writes nothing; a failed scan rolls back with the load.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pyarrow as pa

from catherd.sources.decisions.reader import Scan, fingerprint, scan
from catherd.sources.git.repository import GitRepository
from catherd.store.database import Store

CURSOR_SOURCE = "decisions"
TABLES = ("decision_documents", "decision_authors", "decision_links", "decision_changes",
          "decision_index")  # fmt: skip


def sync_decisions(
    store: Store, repo: GitRepository, repo_id: int, patterns: tuple[str, ...] = ()
) -> int | None:
    """Bring ``repo_id``'s decision rows to the repository's state; the number of documents
    read, or None if nothing moved since the last scan. Inside ``store.transaction()``."""
    state = fingerprint(repo, patterns)
    if (store.cursor_value(CURSOR_SOURCE, repo_id) or {}).get("fingerprint") == state:
        return None
    found = scan(repo, patterns)
    for table in TABLES:
        store.con.execute(f"DELETE FROM {table} WHERE repo_id = ?", [repo_id])
    for table, rows in _rows(found, repo_id).items():
        _insert(store.con, table, rows)
    store.set_cursor(CURSOR_SOURCE, repo_id, {"fingerprint": state, "head": found.head})
    return len(found.documents)


def _rows(found: Scan, repo_id: int) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
    for doc in found.documents:
        key = {"repo_id": repo_id, "ref": doc.ref, "path": doc.path}
        facts = doc.facts
        rows["decision_documents"].append({
            **key, "layout": doc.layout, "number": doc.number, "label": doc.label,
            "title": facts.title, "stated_number": doc.stated_number, "status": facts.status,
            "status_source": doc.status_source, "type": facts.type, "created": facts.created,
            "created_source": doc.created_source, "authors_source": doc.authors_source,
            "resolution": facts.resolution, "pull_request": doc.pull_request, "sha": doc.sha,
            "fields": json.dumps(facts.fields, ensure_ascii=False, sort_keys=True),
        })  # fmt: skip
        for position, author in enumerate(facts.authors):
            rows["decision_authors"].append({
                **key, "position": position, "text": author.text, "name": author.name,
                "email": author.email, "login": author.login,
            })  # fmt: skip
        for link in doc.links:
            rows["decision_links"].append({**key, "kind": link.kind, "target": link.target,
                                           "url": link.url, "found_in": link.found_in})  # fmt: skip
    for change in found.changes:
        rows["decision_changes"].append({
            "repo_id": repo_id, "ref": change.ref, "path": change.path,
            "position": change.position, "sha": change.sha,
            "committed_at": change.committed_at, "subject": change.subject,
            "path_then": change.path_then, "touched": change.touched,
            "doc_status": change.doc_status, "index_status": change.index_status,
        })  # fmt: skip
    for item in found.index:
        entry = item.entry
        rows["decision_index"].append({
            "repo_id": repo_id, "index_path": item.index_path, "position": item.position,
            "number": entry.number, "target": entry.target, "title": entry.title,
            "status": entry.status, "path": item.path,
        })  # fmt: skip
    return rows


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    # through Arrow: one statement whatever the number of rows (executemany is row by row)
    con.register("decision_batch", pa.Table.from_pylist(rows))
    try:
        columns = ", ".join(rows[0])
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM decision_batch")
    finally:
        con.unregister("decision_batch")
