"""The store's tables as a Parquet lake, so that Spark reads exactly what DuckDB holds.

Layout under the lake folder::

    store/_catherd.json                     the manifest (see below)
    store/<table>/part.parquet              a table of fewer than PARTITION_ROWS rows
    store/<table>/month=YYYY-MM/*.parquet   a large table that grows with time, by month

The manifest records the store's schema version and data version, each table's columns with
their ibis types (an engine without the store compiles against them), and a fingerprint of
each file group: its row count and the sum of its rows' hashes. A re-export recomputes the
fingerprints in DuckDB (a scan, far cheaper than writing Parquet) and rewrites only the
groups that changed: a new month of commits rewrites that month, not the history. A group
is written to a staging folder and then moved into place, and the manifest is rewritten
after each table, so an interrupted export leaves every table readable and the next export
finishes the work.

Only the tables below are exported: what metrics, identity mapping and ecosystem questions
read. Account secrets, partnership records and raw API payloads stay in the store.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis

from catherd.errors import InputError
from catherd.store.database import Store
from catherd.store.schema import SCHEMA_VERSION

STORE_FOLDER = "store"
MANIFEST = "_catherd.json"
FORMAT = 1
PARTITION_ROWS = 1_000_000  # smaller tables are one file: Spark opens each file it reads


@dataclass(frozen=True)
class LakeTable:
    """A table to export; ``month_of`` is the timestamp its months are cut on, if any."""

    name: str
    month_of: str | None = None  # SQL over the table (alias t) and ``join``
    join: str = ""


TABLES = (
    LakeTable("commits", "t.authored_at"),
    LakeTable("commit_files", "c.authored_at", "LEFT JOIN commits c ON c.sha = t.sha"),
    LakeTable("commit_coauthors", "c.authored_at", "LEFT JOIN commits c ON c.sha = t.sha"),
    LakeTable("contributions", "t.contributed_at"),
    LakeTable("repo_commits"),
    LakeTable("repositories"),
    LakeTable("repo_tags"),
    LakeTable("identities"),
    LakeTable("people"),
    LakeTable("organisations"),
    LakeTable("email_domains"),
    LakeTable("affiliations"),
    LakeTable("gh_items", "t.created_at"),
    LakeTable("gh_comments", "t.created_at"),
    LakeTable("gh_reviews", "t.submitted_at"),
    LakeTable("gh_events", "t.created_at"),
    LakeTable("gh_pull_files"),
    LakeTable("gh_review_requests"),
)
WHOLE = "all"  # the one group of an unpartitioned table


@dataclass
class ExportResult:
    tables: int = 0
    groups_written: int = 0
    groups_kept: int = 0
    groups_removed: int = 0
    rows_written: int = 0
    up_to_date: bool = False
    written: list[str] = field(default_factory=list)  # table/group


def store_folder(lake: Path) -> Path:
    return lake / STORE_FOLDER


def read_manifest(lake: Path) -> dict[str, Any] | None:
    """The manifest of a local lake, or None if nothing was exported there."""
    path = store_folder(lake) / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not a catherd lake manifest: {exc}") from exc


def check_manifest(manifest: dict[str, Any] | None, where: str) -> dict[str, Any]:
    """The manifest, if this catherd can read the lake it describes."""
    if manifest is None:
        raise InputError(f"{where}: no exported store here (run `catherd export lake {where}`)")
    if manifest.get("format") != FORMAT or manifest.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            f"{where}: exported from a store of schema {manifest.get('schema_version')}, "
            f"this catherd reads schema {SCHEMA_VERSION}: export it again"
        )
    return manifest


def table_schemas(manifest: dict[str, Any]) -> dict[str, ibis.Schema]:
    """The ibis schema of every exported table, as the manifest records it."""
    return {
        name: ibis.schema({c: ibis.dtype(t) for c, t in table["columns"]})
        for name, table in manifest["tables"].items()
    }


def export_lake(
    store: Store, lake: Path, partition_rows: int = PARTITION_ROWS, force: bool = False
) -> ExportResult:
    """Bring ``lake``'s copy of the store's tables up to date, rewriting what changed only."""
    folder = store_folder(lake)
    if lake.exists() and not lake.is_dir():
        raise InputError(f"{lake}: not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(lake)
    if manifest is not None and manifest.get("format") != FORMAT:
        raise InputError(f"{lake}: a lake of another format ({manifest.get('format')})")
    previous = {} if force or manifest is None else manifest.get("tables", {})
    if (
        manifest is not None
        and not force
        and manifest.get("schema_version") == SCHEMA_VERSION
        and manifest.get("store") == str(store.path.resolve())
        and manifest.get("data_version") == store.data_version()
        and manifest.get("partition_rows") == partition_rows
    ):
        return ExportResult(tables=len(previous), up_to_date=True)
    result = ExportResult()
    backend = ibis.duckdb.from_connection(store.con)
    tables: dict[str, Any] = {}
    state = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "store": str(store.path.resolve()),
        "data_version": None,  # set once every table is written
        "partition_rows": partition_rows,
        "tables": tables,
    }
    # one snapshot: fingerprints and files describe the same data
    store.con.execute("BEGIN TRANSACTION")
    try:
        data_version = store.data_version()
        for table in TABLES:
            schema = backend.get_schema(table.name)
            columns = [[name, str(dtype)] for name, dtype in schema.items()]  # in order
            entry = _export_table(
                store, folder, table, columns, previous.get(table.name), partition_rows, result
            )
            tables[table.name] = entry
            write_manifest(folder / MANIFEST, state)
            result.tables += 1
        state["data_version"] = data_version
        state["exported_at"] = datetime.now(UTC).isoformat()
        write_manifest(folder / MANIFEST, state)
    finally:
        store.con.execute("COMMIT")
    return result


def _export_table(
    store: Store,
    folder: Path,
    table: LakeTable,
    columns: list[list[str]],
    before: dict[str, Any] | None,
    partition_rows: int,
    result: ExportResult,
) -> dict[str, Any]:
    rows = int(store.scalar(f"SELECT count(*) FROM {table.name}"))
    partitioned = table.month_of is not None and rows >= partition_rows
    quoted = ", ".join(f't."{c}"' for c, _ in columns)
    month = (
        f"coalesce(strftime({table.month_of}, '%Y-%m'), 'none')" if partitioned else f"'{WHOLE}'"
    )
    source = f"FROM {table.name} t {table.join if partitioned else ''}"
    groups = {
        group: {"rows": int(n), "fingerprint": str(digest)}
        for group, n, digest in store.con.execute(
            f"SELECT {month} AS month, count(*), coalesce(sum(hash({quoted})), 0)::VARCHAR "
            f"{source} GROUP BY 1"
        ).fetchall()
    }
    if rows == 0:  # an empty table is still one (empty) file: readers need its schema
        groups = {WHOLE: {"rows": 0, "fingerprint": "0"}}
    target = folder / table.name
    same_layout = (
        before is not None
        and before.get("partitioned") == partitioned
        and before.get("columns") == columns
        and target.is_dir()
    )
    old_groups = before["groups"] if same_layout and before else {}
    if not same_layout and target.exists():
        shutil.rmtree(target)
    changed = [g for g, v in groups.items() if old_groups.get(g) != v]
    gone = [g for g in old_groups if g not in groups]
    result.groups_kept += len(groups) - len(changed)
    if changed:
        staging = folder / f".staging-{table.name}-{uuid.uuid4().hex[:8]}"
        try:
            if partitioned:
                store.con.execute(
                    f"COPY (SELECT * FROM (SELECT {quoted}, {month} AS month {source}) "
                    f"WHERE list_contains($months, month)) TO '{sql_path(staging)}' "
                    "(FORMAT parquet, PARTITION_BY (month))",
                    {"months": changed},
                )
            else:
                staging.mkdir()
                store.con.execute(
                    f"COPY (SELECT {quoted} {source}) TO '{sql_path(staging / 'part.parquet')}' "
                    "(FORMAT parquet)"
                )
            target.mkdir(exist_ok=True)
            for group in changed:
                name = f"month={group}" if partitioned else "part.parquet"
                _replace(staging / name, target / name)
                result.written.append(f"{table.name}/{group}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    for group in gone:
        shutil.rmtree(target / f"month={group}", ignore_errors=True)
    result.groups_written += len(changed)
    result.groups_removed += len(gone)
    result.rows_written += sum(groups[g]["rows"] for g in changed)
    return {"columns": columns, "partitioned": partitioned, "rows": rows, "groups": groups}


def _replace(new: Path, old: Path) -> None:
    """Move ``new`` to ``old``'s place; a reader sees the old or the new group."""
    if old.is_dir():
        retired = old.with_name(f".retired-{uuid.uuid4().hex[:8]}")
        old.rename(retired)
        new.rename(old)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(new, old)


def write_manifest(path: Path, state: dict[str, Any]) -> None:
    """Write a lake's manifest at ``path`` whole or not at all: readers never see half."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    temporary.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)


def sql_path(path: Path) -> str:
    """``path`` inside a single-quoted SQL string."""
    return str(path).replace("'", "''")
