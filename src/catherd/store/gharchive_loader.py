"""Import GH Archive dumps into ``github_raw``: one transaction per file, re-import is a no-op.

A file already imported with the same content (SHA-256) is skipped; an interrupted import
leaves the files before it imported and the current one not at all.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from catherd.errors import InputError
from catherd.sources.gharchive import ArchiveStats, Record, read_events
from catherd.store.database import Store
from catherd.store.github_loader import upsert_raw
from catherd.store.github_tables import refresh_github_tables

CURSOR_SOURCE = "gharchive"
_BATCH = 5_000


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
) -> ImportResult:
    """Import ``paths``, keeping events of ``repositories`` (owner/name) or of ``owners``."""
    result = ImportResult()
    wanted = {r.lower() for r in repositories}
    orgs = {o.lower() for o in owners}
    for path in paths:  # all inputs checked before anything is written
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    done: dict[str, str] = (store.cursor_value(CURSOR_SOURCE, 0) or {}).get("files", {})
    for path in paths:
        digest = _sha256(path)
        if done.get(path.name) == digest:
            result.skipped_files.append(path.name)
            continue
        if progress:
            progress(path.name)
        with store.transaction():
            batch: dict[tuple[str, str], list[Record]] = defaultdict(list)
            for n, record in enumerate(read_events(path, wanted, orgs, result.stats), start=1):
                batch[(record.repo, record.kind)].append(record)
                if n % _BATCH == 0:
                    result.changed += _flush(store, batch)
            result.changed += _flush(store, batch)
            done[path.name] = digest
            store.set_cursor(CURSOR_SOURCE, 0, {"files": done})
        result.files += 1
    if result.files:
        with store.transaction() as con:
            refresh_github_tables(con)
    return result


def _flush(store: Store, batch: dict[tuple[str, str], list[Record]]) -> int:
    changed = 0
    for (repo, kind), records in batch.items():
        key = "number" if kind == "pull" else "id"
        changed += upsert_raw(store, repo, kind, [r.payload for r in records], key=key)
    batch.clear()
    return changed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
