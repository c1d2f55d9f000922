"""Import GH Archive dumps into ``github_raw``: one transaction per file, re-import is a no-op.

A file already imported with the same content (SHA-256) is skipped; an interrupted import
leaves the files before it imported and the current one not at all. Each file is a batch,
imported set-based in DuckDB: its lines are read once (``read_json`` with declared columns),
the records of the repositories chosen are extracted in SQL, the newest snapshot of each key
is upserted in one statement (which finds existing rows through the primary key, not by
scanning ``github_raw``), and the GitHub tables are refreshed for the items that statement
changed only. So an import costs what its file holds, whatever the store already holds, and
its memory is bounded (DuckDB spills beyond ``IMPORT_MEMORY_LIMIT``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from catherd.errors import InputError
from catherd.sources.gharchive import RECORDS, UNREADABLE, ArchiveStats, read_json_sql
from catherd.store.database import IMPORT_MEMORY_LIMIT, Store
from catherd.store.github_loader import upsert_sql
from catherd.store.github_tables import refresh_github_items

CURSOR_SOURCE = "gharchive"

# One row a non-blank line: what the import needs of it. Only the events of the chosen
# repositories whose type holds records carry their payload further.
_LINES = f"""
CREATE OR REPLACE TEMP TABLE gh_archive_lines AS
WITH read AS (
    SELECT row_number() OVER () AS line, *,
           coalesce(json_type(repo) = 'OBJECT', false) AS current_schema,
           repo->>'$.name' AS repo_name
    FROM {read_json_sql("$file")}
), judged AS (
    SELECT *, current_schema AND ($everything
              OR list_contains($repositories, lower(repo_name))
              OR list_contains($owners, lower(split_part(repo_name, '/', 1)))) AS chosen
    FROM read
)
SELECT line, {UNREADABLE} AS unreadable, current_schema, chosen, repo_name AS repo, type,
       CASE WHEN chosen AND list_contains($types, type) THEN payload END AS payload
FROM judged
"""
_STATS = """
SELECT count(*),
       coalesce(list(line ORDER BY line) FILTER (WHERE unreadable), []),
       count(*) FILTER (WHERE NOT unreadable AND NOT current_schema),
       count(*) FILTER (WHERE current_schema AND NOT chosen),
       count(*) FILTER (WHERE chosen),
       count(*) FILTER (WHERE chosen AND NOT list_contains($types, coalesce(type, '')))
FROM gh_archive_lines
"""
# The records inside the events (RECORDS), each read with one parse of its event's payload:
# the object, its key, and the times that date it (JSON text, unquoted below).
_RECORDS = """
CREATE OR REPLACE TEMP TABLE gh_archive_records AS
SELECT repo, kind,
       CASE WHEN starts_with(v[2], '"') THEN v[2]->>'$' ELSE v[2] END AS key,
       v[1] AS payload, line,
       coalesce(nullif(v[3]->>'$', ''), nullif(v[4]->>'$', ''), nullif(v[5]->>'$', ''))
           AS stamp
FROM ({parts})
WHERE starts_with(v[1], '{{') AND v[2] IS NOT NULL AND v[2] <> 'null'
"""
_PART = (
    "SELECT repo, '{kind}' AS kind, line, json_extract(payload, ['$.{field}', '$.{field}.{key}', "
    "'$.{field}.updated_at', '$.{field}.submitted_at', '$.{field}.created_at']) AS v "
    "FROM gh_archive_lines WHERE type = '{type}' AND payload IS NOT NULL"
)
# One row a key: the newest snapshot (ties go to the later line, the later state), chosen
# on the narrow columns, so no payload is sorted.
_OLDER = """
DELETE FROM gh_archive_records WHERE rowid NOT IN (
    SELECT arg_max(rowid, (coalesce(stamp, ''), line)) FROM gh_archive_records
    GROUP BY repo, kind, key)
"""
_NEWEST = """
SELECT repo, kind, key, TRY_CAST(stamp AS TIMESTAMPTZ) AS updated_at, now() AS fetched_at,
       payload
FROM gh_archive_records
"""


@dataclass
class ImportResult:
    files: int = 0
    skipped_files: list[str] = field(default_factory=list)
    changed: int = 0
    stats: ArchiveStats = field(default_factory=ArchiveStats)


def import_archives(
    store: Store,
    paths: list[Path],
    repositories: set[str],
    owners: set[str],
    progress: Callable[[str], None] | None = None,
    everything: bool = False,
) -> ImportResult:
    """Import ``paths``, keeping events of ``repositories`` (owner/name) or of ``owners``
    (or of every repository)."""
    result = ImportResult()
    chosen = {
        "everything": everything,
        "repositories": sorted(r.lower() for r in repositories),
        "owners": sorted(o.lower() for o in owners),
        "types": sorted(RECORDS),
    }
    for path in paths:  # all inputs checked before anything is written
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    done: dict[str, str] = (store.cursor_value(CURSOR_SOURCE, 0) or {}).get("files", {})
    with _memory_limit(store):
        for path in paths:
            digest = _sha256(path)
            if done.get(path.name) == digest:
                result.skipped_files.append(path.name)
                continue
            if progress:
                progress(path.name)
            with store.transaction():
                result.changed += _import_file(store, path, chosen, result.stats)
                done[path.name] = digest
                store.set_cursor(CURSOR_SOURCE, 0, {"files": done})
            result.files += 1
    return result


def _import_file(store: Store, path: Path, chosen: dict[str, object], stats: ArchiveStats) -> int:
    con = store.con
    con.execute(_LINES, {"file": str(path), **chosen})
    lines, bad, old, others, events, other_types = con.execute(
        _STATS, {"types": chosen["types"]}
    ).fetchall()[0]
    stats.lines += lines
    stats.bad_lines += bad
    stats.old_schema += old
    stats.other_repositories += others
    stats.events += events
    stats.other_types += other_types
    parts = " UNION ALL ".join(
        _PART.format(kind=kind, key=key, field=field_name, type=event_type)
        for event_type, recipe in RECORDS.items()
        for field_name, kind, key in recipe
    )
    con.execute(_RECORDS.format(parts=parts))
    con.execute("DROP TABLE gh_archive_lines")  # memory is the limit: each copy goes early
    stats.records += con.execute("SELECT count(*) FROM gh_archive_records").fetchall()[0][0]
    con.execute(_OLDER)
    changed = con.execute(upsert_sql(_NEWEST, "repo, number")).fetchall()
    con.execute("DROP TABLE gh_archive_records")
    items = pa.table(
        {"repo": [r for r, _ in changed], "number": [n for _, n in changed]},
        schema=pa.schema([("repo", pa.string()), ("number", pa.int32())]),
    )
    con.register("gh_changed_items", items)
    try:
        refresh_github_items(con, "gh_changed_items")
    finally:
        con.unregister("gh_changed_items")
    return len(changed)


@contextmanager
def _memory_limit(store: Store) -> Iterator[None]:
    """Bound the store's memory while importing (DuckDB spills to disk beyond it)."""
    before = store.scalar("SELECT current_setting('memory_limit')")
    store.con.execute(f"SET memory_limit = '{IMPORT_MEMORY_LIMIT}'")
    try:
        yield
    finally:
        store.con.execute(f"SET memory_limit = '{before}'")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
