"""GH Archive hourly dumps into the lake: Parquet partitioned by day, resumable, de-duplicated.

Layout under the lake folder::

    gharchive/_hours.json                            the manifest (see below)
    gharchive/events/day=YYYY-MM-DD/<hour>.parquet   the events of one dump created that day

DuckDB reads each batch of dumps with ``read_json`` and the columns declared below (inferring
a schema from a sample silently drops fields that first appear later), keeps the events of
the repositories chosen, and writes them with the schema ``EVENTS_SCHEMA``: a few columns
every ecosystem question needs, and the payload as JSON text, so nothing is lost. Known
shapes are tolerated and counted, never fatal:

- a line that is not JSON becomes a row of nulls in ``read_json``: counted as unreadable;
- pre-2015 events (``repository`` and a string ``actor``, local-time ``created_at``, no
  event id) are mapped onto the same columns, with an id made from their content's MD5
  (negative, so it never meets a real id);
- ids written as floats by other tools (``2489651045.0``) are read as the integer they name;
- PushEvents since 2025-10-07 carry no ``commits``: nothing here reads them, they are counted;
- an event already in the lake (same id, same day) or twice in a batch is written once.

Repositories are keyed by id: ``--repos`` names are resolved to the ids that carried them,
and every later event of those ids is kept under whatever name it then has (a renamed
repository stays one; two repositories that shared a name at different times stay two).

The manifest records, per dump (``YYYY-MM-DD-H``), its size, what was kept and skipped, and
the files written; the selection of the lake and the repository ids resolved so far. Each
batch's files are written to a staging folder and moved into place before the manifest
names them: an interrupted import restarts at the first dump the manifest lacks, and a
dump written but not yet recorded is simply written again (same file names).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import ibis

from catherd.engine.lake import sql_path, write_manifest
from catherd.errors import InputError
from catherd.sources.gharchive import UNREADABLE, read_json_sql
from catherd.store.database import IMPORT_MEMORY_LIMIT

FOLDER = "gharchive"
MANIFEST = "_hours.json"
FORMAT = 1
SAFE_NAME = re.compile(r"^[\w.-]+$")  # names become Parquet file names
HOUR_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(\d{1,2})$")

_PART = "--part"  # a dump's further files in one day, if DuckDB wrote several
_SKIPPED = ("unreadable", "no_repository", "no_time", "duplicate", "other_repositories")
_REPAIRED = ("pre_2015_schema", "float_id", "push_without_commits")

EVENTS_SCHEMA = ibis.schema(
    {
        "id": "int64",
        "type": "string",
        "action": "string",  # payload.action: opened, closed, created, submitted...
        "created_at": "timestamp('UTC', 6)",
        "actor_id": "int64",  # null before 2015
        "actor_login": "string",
        "repo_id": "int64",
        "repo_name": "string",
        "org_id": "int64",
        "org_login": "string",
        "number": "int32",  # the issue or pull request the event is about, if any
        "payload": "string",  # JSON text
        "day": "date",  # the partition: created_at's UTC day
    }
)

_INTEGER = "try_cast(try_cast({} AS DOUBLE) AS BIGINT)"  # "123", 123 and 123.0 alike
# Each JSON value is parsed once: several paths are read from one parse.
_PAYLOAD_PATHS = ["$.action", "$.issue.number", "$.pull_request.number", "$.number", "$.commits"]
_KEPT = """($everything OR list_contains($ids, repo_id) OR list_contains($names, lower(repo_name))
           OR list_contains($owners, lower(split_part(repo_name, '/', 1))))"""
# What is read of an event kept (an event not kept is only counted, so nothing more of it
# is parsed): (column, SQL over the line and ``p``, the payload's fields above).
_KEPT_COLUMNS = {
    "old_schema": "repo IS NULL",
    "float_id": "id IS NOT NULL AND (contains(id, '.') OR contains(lower(id), 'e'))",
    "push_no_commits": "type = 'PushEvent' AND repo IS NOT NULL AND p[5] IS NULL",
    "id": f"""coalesce({_INTEGER.format("id")},
                       -('0x' || left(md5(concat_ws('|', type, created_at, actor, repository,
                                                    payload)), 15))::BIGINT)""",
    "type": "type",
    "action": "p[1]",
    "created_at": "created",
    "actor_id": _INTEGER.format("actor->>'$.id'"),
    "actor_login": "CASE WHEN json_type(actor) = 'VARCHAR' THEN actor->>'$' "
                   "ELSE actor->>'$.login' END",
    "repo_id": "repo_id",
    "repo_name": "repo_name",
    "org_id": _INTEGER.format("org->>'$.id'"),
    "org_login": "org->>'$.login'",
    "number": "try_cast(coalesce(p[2], p[3], p[4]) AS INTEGER)",
    "payload": "payload::VARCHAR",
}  # fmt: skip
_ROWS = f"""
WITH lines AS (
    SELECT *,
           {_INTEGER.format("coalesce(repo->>'$.id', repository->>'$.id')")} AS repo_id,
           coalesce(repo->>'$.name', (repository->>'$.owner') || '/' || (repository->>'$.name'))
               AS repo_name,
           try_cast(created_at AS TIMESTAMPTZ) AS created
    FROM {read_json_sql("$files", filename="'source'")}
), judged AS (
    SELECT *,
           CASE WHEN {UNREADABLE} THEN 'unreadable'
                WHEN repo IS NULL AND repository IS NULL THEN 'no_repository'
                WHEN created IS NULL THEN 'no_time'
                WHEN NOT {_KEPT} THEN 'other_repositories'
                ELSE 'event' END AS status
    FROM lines
), kept AS (
    SELECT *, CASE WHEN status = 'event' THEN json_extract_string(payload, {_PAYLOAD_PATHS})
              END AS p
    FROM judged
)
SELECT status, source,
       {
    ", ".join(
        f"CASE WHEN status = 'event' THEN {sql} END AS {name}"
        for name, sql in _KEPT_COLUMNS.items()
    )
}
FROM kept
"""


@dataclass(frozen=True)
class Selection:
    """Which repositories a lake keeps: all, or these names (owner/name) and owners."""

    everything: bool = False
    repositories: frozenset[str] = frozenset()
    owners: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.everything and not self.repositories and not self.owners:
            raise InputError("no repository to keep: give --repos, --orgs or --all")
        # GitHub names are case-insensitive
        object.__setattr__(self, "repositories", frozenset(r.lower() for r in self.repositories))
        object.__setattr__(self, "owners", frozenset(o.lower() for o in self.owners))

    def as_json(self) -> dict[str, Any]:
        return {"all": self.everything, "repos": sorted(self.repositories),
                "orgs": sorted(self.owners)}  # fmt: skip


@dataclass
class LakeImport:
    """What an import did; ``skipped`` counts lines and events not written, by reason."""

    hours: int = 0
    already: int = 0  # dumps the lake holds already
    bytes_read: int = 0
    lines: int = 0
    written: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    repaired: dict[str, int] = field(default_factory=dict)  # kept, after a known fix
    gaps: list[tuple[str, str]] = field(default_factory=list)  # missing hours, first..last


def lake_folder(lake: Path) -> Path:
    return lake / FOLDER


def events_root(lake: Path) -> Path | None:
    """The events folder of a local lake, if any events were written."""
    root = lake_folder(lake) / "events"
    return root if root.is_dir() and any(root.glob("day=*/*.parquet")) else None


def events_glob(lake: Path) -> str | None:
    root = events_root(lake)
    return str(root / "day=*" / "*.parquet") if root is not None else None


def hour_name(location: str) -> str:
    """The dump's name without extension: ``2024-01-01-15`` for .../2024-01-01-15.json.gz."""
    name = location.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".gz", ".json", ".jsonl", ".ndjson"):
        name = name.removesuffix(suffix)
    return name


def hour_of(name: str) -> datetime | None:
    found = HOUR_NAME.match(name)
    if not found:
        return None
    year, month, day, hour = map(int, found.groups())
    try:
        return datetime(year, month, day, hour, tzinfo=UTC)
    except ValueError:
        return None


def expand_pattern(pattern: str) -> list[str]:
    """Expand numeric ranges ``{01..31}`` as GH Archive's own examples use them (zero
    padding kept): ``2024-01-{01..02}-{0..1}.json.gz`` is four dumps."""
    found = re.search(r"\{(\d+)\.\.(\d+)\}", pattern)
    if not found:
        return [pattern]
    first, last = found.group(1), found.group(2)
    width = len(first) if first.startswith("0") else 0
    if int(last) < int(first):
        raise InputError(f"{pattern}: range {{{first}..{last}}} runs backwards")
    head, tail = pattern[: found.start()], pattern[found.end() :]
    return [
        expanded
        for n in range(int(first), int(last) + 1)
        for expanded in expand_pattern(f"{head}{n:0{width}d}{tail}")
    ]


def read_lake_manifest(lake: Path) -> dict[str, Any]:
    path = lake_folder(lake) / MANIFEST
    if not path.is_file():
        return {"format": FORMAT, "selection": None, "repo_ids": [], "hours": {}}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not a catherd GH Archive manifest: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise InputError(f"{path}: a lake of another format ({manifest.get('format')})")
    return manifest


def import_to_lake(
    lake: Path,
    inputs: list[str],
    selection: Selection,
    fetch: Callable[[str, Path], Path] | None = None,
    batch: int = 0,
    progress: Callable[[str], None] | None = None,
) -> LakeImport:
    """Import the dumps ``inputs`` (paths or URLs, fetched with ``fetch``) into ``lake``."""
    folder = lake_folder(lake)
    manifest = read_lake_manifest(lake)
    if manifest["selection"] not in (None, selection.as_json()):
        raise InputError(
            f"{lake}: this lake keeps {_describe(manifest['selection'])}; import other "
            "repositories into another lake"
        )
    manifest["selection"] = selection.as_json()
    by_name: dict[str, str] = {}
    for location in inputs:
        is_url = location.startswith(("http://", "https://"))
        if not is_url and not Path(location).is_file():
            raise InputError(f"{location}: no such file")
        if is_url and fetch is None:
            raise InputError(f"{location}: URLs need a downloader")
        name = hour_name(location)
        if not SAFE_NAME.match(name):
            raise InputError(f"{location}: a dump's name may hold letters, digits, . _ - only")
        if name in by_name and by_name[name] != location:
            raise InputError(f"{location} and {by_name[name]}: two dumps of one hour ({name})")
        by_name[name] = location
    # in hour order, so that an interrupted import restarts at the first missing hour
    never = datetime.min.replace(tzinfo=UTC)  # dumps not named by their hour come last
    ordered = sorted(by_name.items(), key=lambda i: (hour_of(i[0]) is None,
                                                      hour_of(i[0]) or never, i[0]))  # fmt: skip
    result = LakeImport()
    todo = []
    for name, location in ordered:
        done = manifest["hours"].get(name)
        if done is not None and (
            location.startswith(("http://", "https://")) or done["bytes"] == _size(location)
        ):
            result.already += 1
        else:
            todo.append((name, location))
    (folder / "events").mkdir(parents=True, exist_ok=True)
    con = _connection(folder)
    try:
        size = batch or max(1, int(con.execute("SELECT current_setting('threads')").fetchone()[0]))
        # downloads go beside the lake (same disk) and are removed once imported
        with tempfile.TemporaryDirectory(prefix=".downloads-", dir=folder) as temporary:
            scratch = Path(temporary)
            for start in range(0, len(todo), size):
                chunk = todo[start : start + size]
                files = []
                for name, location in chunk:
                    if location.startswith(("http://", "https://")):
                        assert fetch is not None
                        files.append((name, fetch(location, scratch)))
                    else:
                        files.append((name, Path(location)))
                if progress:
                    progress(", ".join(name for name, _ in chunk))
                _import_batch(con, folder, files, selection, manifest, result)
                for _, path in files:
                    if path.parent == scratch:
                        path.unlink()
    finally:
        con.close()
    result.gaps = gaps(manifest)
    return result


def _import_batch(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    files: list[tuple[str, Path]],
    selection: Selection,
    manifest: dict[str, Any],
    result: LakeImport,
) -> None:
    names = {str(path): name for name, path in files}
    wanted = sorted(selection.repositories)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE batch AS " + _ROWS,
        {"files": list(names), "everything": selection.everything, "ids": manifest["repo_ids"],
         "names": wanted, "owners": sorted(selection.owners)},
    )  # fmt: skip
    con.execute("CREATE OR REPLACE TEMP TABLE names (source VARCHAR, hour VARCHAR)")
    con.executemany("INSERT INTO names VALUES (?, ?)", list(names.items()))
    if wanted:  # repository ids carrying a chosen name join the lake's selection for good
        found = con.execute(
            "SELECT DISTINCT repo_id FROM batch WHERE status = 'event' AND repo_id IS NOT NULL "
            "AND list_contains($names, lower(repo_name))",
            {"names": wanted},
        ).fetchall()
        manifest["repo_ids"] = sorted({*manifest["repo_ids"], *(r for (r,) in found)})
    days = [d for (d,) in con.execute(
        "SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::DATE FROM batch "
        "WHERE status = 'event'").fetchall()]  # fmt: skip
    existing = [
        str(path)
        for day in days
        for path in (folder / "events" / f"day={day}").glob("*.parquet")
        if _hour_of_file(path) not in names.values()  # a dump written again replaces itself
    ]
    known = "SELECT id FROM read_parquet($existing)" if existing else "SELECT NULL::BIGINT AS id"
    con.execute(
        f"""UPDATE batch SET status = 'duplicate' WHERE status = 'event' AND (
              id IN ({known})
              OR rowid NOT IN (SELECT arg_min(rowid, created_at) FROM batch
                               WHERE status = 'event' GROUP BY id))""",
        {"existing": existing} if existing else {},
    )
    staging = folder / f".staging-{uuid.uuid4().hex[:8]}"
    columns = ", ".join(n for n in EVENTS_SCHEMA.names if n != "day")
    try:
        con.execute(
            f"""COPY (SELECT {columns}, (created_at AT TIME ZONE 'UTC')::DATE AS day, n.hour
                      FROM batch b JOIN names n USING (source) WHERE status = 'event')
                TO '{sql_path(staging)}' (FORMAT parquet, COMPRESSION zstd,
                                            PARTITION_BY (day, hour))"""
        )
        for name, _ in files:  # a dump imported again: its earlier files go
            for earlier in manifest["hours"].get(name, {}).get("files", []):
                (folder / "events" / earlier).unlink(missing_ok=True)
        written: dict[str, list[str]] = {name: [] for name, _ in files}
        for partition in sorted(staging.glob("day=*/hour=*")):
            day, hour = partition.parent.name, partition.name.removeprefix("hour=")
            (folder / "events" / day).mkdir(exist_ok=True)
            for n, part in enumerate(sorted(partition.glob("*.parquet"))):
                name = f"{hour}.parquet" if n == 0 else f"{hour}{_PART}{n}.parquet"
                os.replace(part, folder / "events" / day / name)
                written[hour].append(f"{day}/{name}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    counts = con.execute(
        """SELECT n.hour, count(*) AS lines,
                  count(*) FILTER (WHERE status = 'event') AS written,
                  count(*) FILTER (WHERE status = 'unreadable') AS unreadable,
                  count(*) FILTER (WHERE status = 'no_repository') AS no_repository,
                  count(*) FILTER (WHERE status = 'no_time') AS no_time,
                  count(*) FILTER (WHERE status = 'duplicate') AS duplicate,
                  count(*) FILTER (WHERE status = 'other_repositories') AS other_repositories,
                  count(*) FILTER (WHERE status = 'event' AND old_schema) AS pre_2015_schema,
                  count(*) FILTER (WHERE status = 'event' AND float_id) AS float_id,
                  count(*) FILTER (WHERE status = 'event' AND push_no_commits)
                      AS push_without_commits
           FROM batch b JOIN names n USING (source) GROUP BY n.hour"""
    ).fetchall()
    described = {row[0]: row for row in counts}
    for name, path in files:
        row = described.get(name) or (name, *([0] * 10))
        skipped = dict(zip(_SKIPPED, row[3:8], strict=True))
        repaired = dict(zip(_REPAIRED, row[8:11], strict=True))
        manifest["hours"][name] = {
            "bytes": path.stat().st_size, "lines": row[1], "written": row[2],
            "skipped": skipped, "repaired": repaired, "files": written[name],
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }  # fmt: skip
        result.hours += 1
        result.bytes_read += path.stat().st_size
        result.lines += row[1]
        result.written += row[2]
        for key, value in skipped.items():
            result.skipped[key] = result.skipped.get(key, 0) + value
        for key, value in repaired.items():
            result.repaired[key] = result.repaired.get(key, 0) + value
    write_manifest(folder / MANIFEST, manifest)
    con.execute("DROP TABLE batch")


def _hour_of_file(path: Path) -> str:
    return path.stem.split(_PART)[0]


def gaps(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """Hours missing between the first and last dump imported, as (first, last) runs."""
    hours = sorted(h for h in map(hour_of, manifest["hours"]) if h is not None)
    runs: list[tuple[str, str]] = []
    for before, after in itertools.pairwise(hours):
        if after - before > timedelta(hours=1):
            first, last = before + timedelta(hours=1), after - timedelta(hours=1)
            runs.append((_name(first), _name(last)))
    return runs


def missing_hours(runs: list[tuple[str, str]]) -> int:
    return sum(
        int((hour_of(last) - hour_of(first)) / timedelta(hours=1)) + 1  # type: ignore[operator]
        for first, last in runs
    )


def _name(hour: datetime) -> str:
    return f"{hour:%Y-%m-%d}-{hour.hour}"


def _describe(selection: dict[str, Any]) -> str:
    if selection.get("all"):
        return "every repository"
    parts = [*selection.get("repos", []), *(f"{o}/*" for o in selection.get("orgs", []))]
    return ", ".join(parts)


def _connection(folder: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{IMPORT_MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = false")  # lets DuckDB write in parallel
    con.execute(f"SET temp_directory = '{sql_path(folder / '.spill')}'")
    return con


def _size(location: str) -> int:
    return Path(location).stat().st_size
