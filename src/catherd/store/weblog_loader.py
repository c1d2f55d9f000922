"""Import access logs into ``web_logs`` and ``web_requests``; client addresses stop here.

All files of one import are read in one transaction: a truncated archive or a full disk
leaves the store as it was. Each file is known by the SHA-256 of its first bytes (of the
decompressed content) and the offset read up to, whatever its name: a file read before adds
nothing, a grown one (the live log, or the same log renamed ``access.log.1`` by rotation)
adds only what follows the offset, and files may come in any order. Addresses and agents
become visitor ids (``store/visitor_keys.py``) in the statement that inserts the rows; what
is written holds no address, and unparsed lines are only counted and shown, never stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from catherd.errors import InputError
from catherd.sources import useragents
from catherd.sources.weblogs import LogFile, LogFormat, ParseStats, inspect, log_format, parse
from catherd.store.database import Store
from catherd.store.visitor_keys import VisitorKeys


@dataclass(frozen=True)
class LogSource:
    """A file to import, the site it belongs to, and its format (None: recognise it)."""

    path: Path
    site: str
    format: str | None = None


@dataclass
class LogImport:
    """What one file gave."""

    path: Path
    site: str
    state: str  # new, grown, unchanged, empty, or unrecognised (no format fits its first lines)
    format: str | None = None
    stats: ParseStats = field(default_factory=ParseStats)


@dataclass
class ImportResult:
    files: list[LogImport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(f.stats.requests for f in self.files)


def import_logs(
    store: Store,
    sources: list[LogSource],
    keys: VisitorKeys,
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import ``sources`` (all checked before anything is written) in one transaction."""
    logs = [(source, inspect(source.path)) for source in sources]
    formats = {s.format: log_format(s.format) for s in sources if s.format}  # checked up front
    result = ImportResult()
    pending = []
    for source, log in logs:
        known = _known(store, log)
        if not log.head:
            result.files.append(LogImport(source.path, source.site, "empty"))
        elif known is not None and _unchanged(log, known):
            result.files.append(LogImport(source.path, known["site"], "unchanged",
                                          known["log_format"]))  # fmt: skip
        else:
            pending.append((source, log))
    if not pending:
        return result
    reader = _Reader(store, keys, result)
    with store.transaction():
        for source, log in pending:
            if progress:
                progress(str(source.path))
            fmt = formats[source.format] if source.format else None
            result.files.append(reader.read(source, log, fmt))
        keys.save(store.scalar("SELECT max(day) FROM web_requests"))
    return result


def _known(store: Store, log: LogFile) -> dict[str, Any] | None:
    """The stored log whose content begins as ``log`` does (the longest such beginning)."""
    for row in store.rows("SELECT * FROM web_logs ORDER BY head_length DESC, log_id"):
        length = row["head_length"]
        if length <= len(log.head) and _sha256(log.head[:length]) == row["head_sha256"]:
            return row
    return None


def _unchanged(log: LogFile, known: dict[str, Any]) -> bool:
    if log.compression is None:
        if log.size < known["content_offset"]:
            raise InputError(
                f"{log.path}: shorter ({log.size:,} bytes) than the {known['content_offset']:,} "
                "bytes already read from the log it begins like: was it edited?"
            )
        return bool(log.size == known["content_offset"])
    # an archive is never appended to: the same compressed size means the same content
    return bool(log.compression == known["compression"] and log.size == known["size"])


class _Reader:
    """Reads files into the open transaction, remembering agents already classified."""

    def __init__(self, store: Store, keys: VisitorKeys, result: ImportResult) -> None:
        self.store = store
        self.keys = keys
        self.result = result
        self.kinds: dict[str, str] = {}

    def read(self, source: LogSource, log: LogFile, fmt: LogFormat | None) -> LogImport:
        store = self.store
        known = _known(store, log)  # again: an earlier file of this import may be the same log
        if known is not None and _unchanged(log, known):
            return LogImport(source.path, known["site"], "unchanged", known["log_format"])
        if known is not None:
            fmt, site = log_format(known["log_format"]), known["site"]
            offset, log_id = int(known["content_offset"]), int(known["log_id"])
        else:
            site, offset = source.site, 0
            log_id = int(store.scalar("SELECT coalesce(max(log_id), 0) + 1 FROM web_logs"))
        outcome = LogImport(source.path, site, "grown" if known else "new")
        end = offset
        for data, chunk_end in log.chunks(offset):
            parsed, fmt = parse(store.con, data, fmt, outcome.stats)
            if parsed is None:  # no known format: leave the file unread, to read it with one
                outcome.state = "unrecognised"
                return outcome
            self._insert(parsed, site, log_id)
            end = chunk_end
        if known is not None and not outcome.stats.lines:
            outcome.state, outcome.format = "unchanged", known["log_format"]
            return outcome  # a copy of what was read (the log compressed by rotation)
        outcome.format = fmt.spec if fmt and fmt.name == "custom" else (fmt.name if fmt else None)
        now = datetime.now(UTC)
        head = log.head
        stats = outcome.stats
        if known is None:
            store.con.execute(
                "INSERT INTO web_logs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [log_id, site, str(log.path), log.compression, _sha256(head), len(head), log.size,
                 end, outcome.format or "combined", stats.lines, stats.requests, stats.unparsed,
                 now, now],
            )  # fmt: skip
        else:
            store.con.execute(
                "UPDATE web_logs SET path = ?, compression = ?, head_sha256 = ?, head_length = ?, "
                "size = ?, content_offset = ?, lines = lines + ?, requests = requests + ?, "
                "unparsed = unparsed + ?, last_read_at = ? WHERE log_id = ?",
                [str(log.path), log.compression, _sha256(head), len(head), log.size, end,
                 stats.lines, stats.requests, stats.unparsed, now, log_id],
            )  # fmt: skip
        return outcome

    def _insert(self, parsed: pa.Table, site: str, log_id: int) -> None:
        con = self.store.con
        con.register("catherd_parsed", parsed)
        try:
            days = [r[0] for r in con.execute(
                "SELECT DISTINCT day FROM catherd_parsed WHERE ok").fetchall()]  # fmt: skip
            self._warn_forgotten([d for d in days if d not in self.keys.keys])
            keys = self.keys.for_days(days)
            agents = [r[0] for r in con.execute(
                "SELECT DISTINCT agent FROM catherd_parsed WHERE ok").fetchall()]  # fmt: skip
            self.kinds.update(useragents.classify(con, [a for a in agents if a not in self.kinds]))
            con.register(
                "catherd_day_keys",
                pa.table({"day": pa.array(list(keys), pa.date32()), "key": list(keys.values())}),
            )
            con.register("catherd_agent_kinds", pa.table(
                {"agent": agents, "kind": [self.kinds[a] for a in agents]}))  # fmt: skip
            con.execute(
                # each (day, address, agent) is hashed once, not once per request
                """INSERT INTO web_requests
                   WITH v AS (
                       SELECT day, host, agent,
                              ('0x' || left(sha256(k.key || host || chr(10) || agent), 16)
                              )::UBIGINT AS visitor
                       FROM (SELECT DISTINCT day, host, agent FROM catherd_parsed WHERE ok)
                       JOIN catherd_day_keys k USING (day))
                   SELECT $site, $log_id, p.day, p.requested_at, v.visitor, p.vhost, p.method,
                          p.path, p.status, p.bytes, p.referrer, p.agent, a.kind
                   FROM catherd_parsed p JOIN v USING (day, host, agent)
                   JOIN catherd_agent_kinds a USING (agent)
                   WHERE p.ok""",
                {"site": site, "log_id": log_id},
            )
        finally:
            for name in ("catherd_parsed", "catherd_day_keys", "catherd_agent_kinds"):
                con.unregister(name)

    def _warn_forgotten(self, days: list[date]) -> None:
        if not days:
            return
        seen = self.store.con.execute(
            "SELECT DISTINCT day FROM web_requests WHERE day IN (SELECT unnest(?)) ORDER BY 1",
            [days],
        ).fetchall()
        for (day,) in seen:
            self.result.warnings.append(
                f"{day}: lines of this day were imported before and its visitor key is "
                "forgotten, so some of its visitors may be counted twice"
            )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
