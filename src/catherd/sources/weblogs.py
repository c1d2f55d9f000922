"""Read web server access logs: which format a file is in, its bytes from an offset, and its
lines parsed in bulk (Arrow splits the lines, one DuckDB regular expression parses them).

Formats are written as Apache ``LogFormat`` strings (``%h %l %u %t "%r" %>s %b ...``) or nginx
``log_format`` strings (``$remote_addr - $remote_user [$time_local] ...``) and turned into one
RE2 expression with a group per field catherd keeps. The four formats Apache and nginx ship
(combined and common, with or without a virtual host in front) are built in; a file's format is
the one of them that matches most of its first lines, unless ``[traffic] format`` names one.
Fields after the last known one (``"$http_x_forwarded_for"``, a request time...) are ignored.

Each built-in expression is *one-pass* for RE2 (at every character, the next one decides what
it belongs to), which makes extraction several times faster than a pattern with optional
parts; that is why a file gets one format instead of a pattern that would try them all.

This module knows nothing of the store: it hands parsed rows, client addresses included, to
the loader, which turns addresses into visitor ids before anything is written.
"""

from __future__ import annotations

import bz2
import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from catherd.errors import InputError

HEAD_BYTES = 4096  # a log is recognised by its first bytes (of the decompressed content)
CHUNK_BYTES = 48 << 20  # lines are parsed this many bytes at a time
SNIFF_LINES = 1000

BUILTIN_FORMATS = {
    "combined": '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
    "vhost_combined": '%v %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
    "common": '%h %l %u %t "%r" %>s %b',
    "vhost_common": '%v %h %l %u %t "%r" %>s %b',
}

# directive -> field kept (None: matched and dropped, like %l or $remote_user)
_APACHE = {
    "h": "host",
    "a": "host",
    "v": "vhost",
    "V": "vhost",
    "t": "time",
    "r": "request",
    "m": "method",
    "U": "target",
    "s": "status",
    "b": "bytes",
    "B": "bytes",
    "O": "bytes",
}
_APACHE_HEADERS = {"referer": "referrer", "user-agent": "agent"}
_NGINX = {"remote_addr": "host", "realip_remote_addr": "host", "host": "vhost",
          "server_name": "vhost", "http_host": "vhost", "time_local": "time",
          "time_iso8601": "time", "request": "request", "request_method": "method",
          "request_uri": "target", "uri": "target", "document_uri": "target",
          "status": "status", "body_bytes_sent": "bytes", "bytes_sent": "bytes",
          "http_referer": "referrer", "http_user_agent": "agent"}  # fmt: skip
_APACHE_DIRECTIVE = re.compile(r"%[<>]?(?:\{([^}]*)\})?([a-zA-Z%])")
_NGINX_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_QUOTED = r'(?:[^"\\]|\\.)*'  # a quoted field's content; \" inside does not end it


# RE2 extracts groups with its fast one-pass engine only up to 4 groups per expression (3x
# faster here than the general engine): fields are extracted 4 at a time, each expression
# stopping after its last field, and one capture-free match checks the whole line.
_GROUPS_PER_EXPRESSION = 4


@dataclass(frozen=True)
class LogFormat:
    """A format as RE2 expressions: ``pattern`` matches a whole line (its groups are
    ``fields``, in order); ``extractors`` pull the same fields out, a few per expression."""

    name: str
    spec: str
    pattern: str
    fields: tuple[str, ...]
    extractors: tuple[tuple[str, tuple[str, ...]], ...]
    iso_time: bool = False  # $time_iso8601 instead of [10/Oct/2000:13:55:36 -0700]
    checked: bool = False  # the whole line is matched apart (the status is not in the last)


def log_format(spec: str, name: str = "custom") -> LogFormat:
    """The format ``spec`` (a built-in name, an Apache LogFormat or an nginx log_format)."""
    if spec in BUILTIN_FORMATS:
        name, spec = spec, BUILTIN_FORMATS[spec]
    nginx = "$" in spec
    tokens: list[str | tuple[str | None, str]] = []  # literals, and (field, directive)
    position = 0
    for match in (_NGINX_VARIABLE if nginx else _APACHE_DIRECTIVE).finditer(spec):
        tokens.append(spec[position : match.start()])
        position = match.end()
        if nginx:
            variable = match.group(1) or match.group(2)
            tokens.append((_NGINX.get(variable), variable))
        elif match.group(2) == "%":
            tokens.append("%")
        elif match.group(2) == "t" and match.group(1):
            raise InputError(f"log format {spec!r}: %{{...}}t is not supported; use %t")
        else:
            header = (match.group(1) or "").lower()
            kept = _APACHE_HEADERS.get(header) if match.group(2) == "i" else None
            tokens.append((kept or (None if match.group(1) else _APACHE.get(match.group(2))),
                           match.group(0)))  # fmt: skip
    tokens.append(spec[position:])
    parts: list[tuple[str, str | None]] = []  # expression pieces, and the field each captures
    for index, token in enumerate(tokens):
        if isinstance(token, str):
            if index == len(tokens) - 1 and token.endswith('"'):
                # a line cut inside its last quoted field still counts (GoAccess counts it)
                parts.append((re.escape(token[:-1]) + '(?:"|$)', None))
            else:
                parts.append((re.escape(token), None))
            continue
        kept, directive = token
        if kept in (f for _, f in parts):
            kept = None  # the first occurrence of a field wins
        following = next((t for t in tokens[index + 1 :] if isinstance(t, str) and t), "")
        if kept == "status":
            body = r"\d{3}"
        elif directive == "%t":
            body = r"[^\]]*"
        elif following.startswith('"'):
            body = _QUOTED
        elif following:
            body = f"[^{re.escape(following[0])}]*"
        else:
            body = ".*"
        if directive == "%t":
            parts += [(r"\[", None), (body, kept), (r"\]", None)]
        else:
            parts.append((body, kept))
    fields = tuple(f for _, f in parts if f)
    missing = {"host", "time", "status"} - set(fields)
    if "request" not in fields and "target" not in fields:
        missing.add("request")
    if missing:
        raise InputError(f"log format {spec!r}: no field for {', '.join(sorted(missing))}")
    # The last expression matches the whole line; when it captures the status (never empty
    # when it matches), that says whether the line matched, with no expression of its own.
    status = fields.index("status")
    tail = status if len(fields) - status <= _GROUPS_PER_EXPRESSION else len(fields)
    groups = [fields[n : min(n + _GROUPS_PER_EXPRESSION, tail)]
              for n in range(0, tail, _GROUPS_PER_EXPRESSION)]  # fmt: skip
    if tail < len(fields):
        groups.append(fields[tail:])
    extractors = []
    for number, wanted in enumerate(groups):
        last = max(n for n, (_, f) in enumerate(parts) if f in wanted)
        end = len(parts) if number == len(groups) - 1 else last + 1
        extractors.append((_expression(parts[:end], wanted), wanted))
    iso = nginx and "time_iso8601" in spec
    return LogFormat(name, spec, _expression(parts, fields), fields, tuple(extractors), iso,
                     checked=tail == len(fields))  # fmt: skip


def _expression(parts: list[tuple[str, str | None]], captured: tuple[str, ...]) -> str:
    return "^" + "".join(
        f"({text})" if field in captured else f"(?:{text})" if field else text
        for text, field in parts
    )


BUILTIN = [log_format(name) for name in BUILTIN_FORMATS]


# -- reading bytes ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LogFile:
    """A log on disk: how it is compressed, its size and the first bytes of its content."""

    path: Path
    compression: str | None  # "gzip", "bzip2" or None
    size: int  # on disk
    head: bytes

    def open(self) -> IO[bytes]:
        if self.compression == "gzip":
            return gzip.open(self.path, "rb")
        if self.compression == "bzip2":
            return bz2.open(self.path, "rb")
        return self.path.open("rb")

    def chunks(self, offset: int) -> Iterator[tuple[bytes, int]]:
        """Complete lines from ``offset`` on, in chunks, each with the offset after it.

        A plain file is read up to its size when inspected (a log still being written grows
        behind us: the next import reads the rest). Decompression errors (a truncated or
        corrupt archive) become one clear error.
        """
        try:
            with self.open() as handle:
                handle.seek(offset)
                left = self.size - offset if self.compression is None else None
                carry, ready = b"", None
                while data := handle.read(CHUNK_BYTES if left is None else min(CHUNK_BYTES, left)):
                    if left is not None:
                        left -= len(data)
                    data = carry + data
                    cut = data.rfind(b"\n") + 1
                    carry = data[cut:]
                    if cut:
                        if ready:
                            yield ready
                        offset += cut
                        ready = (data[:cut], offset)
                if carry:  # a last line without a newline: read with the lines before it
                    offset += len(carry)
                    ready = ((ready[0] if ready else b"") + carry + b"\n", offset)
                if ready:
                    yield ready
        except (OSError, EOFError, zlib.error) as exc:
            kind = f"{self.compression} file" if self.compression else "file"
            raise InputError(f"{self.path}: truncated or corrupt {kind}: {exc}") from exc


def inspect(path: Path) -> LogFile:
    """Recognise ``path``'s compression from its first bytes and read its content's head."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open("rb") as raw:
        magic = raw.read(3)
    compression = "gzip" if magic[:2] == b"\x1f\x8b" else "bzip2" if magic == b"BZh" else None
    log = LogFile(path, compression, path.stat().st_size, b"")
    try:
        with log.open() as handle:
            head = handle.read(HEAD_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: truncated or corrupt {compression} file: {exc}") from exc
    return LogFile(path, compression, log.size, head)


# -- parsing ---------------------------------------------------------------------------------
@dataclass
class ParseStats:
    lines: int = 0  # non-empty lines read
    requests: int = 0
    comments: int = 0  # lines starting with '#' (W3C headers, notes): not requests
    unparsed: int = 0
    samples: list[str] = field(default_factory=list)  # a few unparsed lines, never stored


def lines_table(data: bytes, stats: ParseStats) -> pa.Table:
    """One string column ``line``, split by Arrow's multi-threaded CSV reader.

    No byte is a delimiter or a quote; a line holding a \\x01 byte (which would split it) is
    counted as unparsed. Bytes that are not UTF-8 (old logs in Big5 or Latin-1) are replaced.
    """
    broken: list[str] = []

    def bad_row(row: Any) -> str:
        broken.append(str(row.text))
        return "skip"

    def read(buffer: bytes) -> pa.Table:
        broken.clear()
        return pacsv.read_csv(
            pa.py_buffer(buffer),
            read_options=pacsv.ReadOptions(column_names=["line"], block_size=4 << 20),
            parse_options=pacsv.ParseOptions(delimiter="\x01", quote_char=False,
                                              escape_char=False, invalid_row_handler=bad_row),
            convert_options=pacsv.ConvertOptions(column_types={"line": pa.string()},
                                                 strings_can_be_null=False),
        )  # fmt: skip

    try:
        table = read(data)
    except pa.ArrowInvalid:  # not UTF-8
        table = read(data.decode("utf-8", "replace").encode("utf-8"))
    _count(stats, len(broken), broken)
    return table


def sniff(con: duckdb.DuckDBPyConnection, lines: str) -> LogFormat | None:
    """The built-in format that matches most of the first lines (the richest on a tie)."""
    counts = con.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (regexp_matches(line, ${n}))"
                              for n in range(1, len(BUILTIN) + 1))
        + f" FROM (SELECT line FROM {lines} WHERE NOT starts_with(line, '#') LIMIT {SNIFF_LINES})",
        [f.pattern for f in BUILTIN],
    ).fetchall()[0]  # fmt: skip
    best = max(range(len(BUILTIN)), key=lambda n: (counts[n], -n))
    return BUILTIN[best] if counts[best] else None


def parse_sql(fmt: LogFormat, lines: str) -> str:
    """A query over the table ``lines`` giving one row per line that is not a comment:
    ``ok`` says whether it parsed, and the fields typed (``line`` itself only when it failed).

    ``day`` is the calendar day as the server wrote it (GoAccess counts visitors per that day);
    ``requested_at`` is the instant, in UTC.
    """
    where = {f: n for n, (_, names) in enumerate(fmt.extractors) for f in names}

    def sql_text(expression: str) -> str:
        return "'" + expression.replace("'", "''") + "'"

    extract = ", ".join(
        f"regexp_extract(line, {sql_text(e)}, [{', '.join(repr(f) for f in names)}]) AS m{n}"
        for n, (e, names) in enumerate(fmt.extractors)
    )

    def get(name: str) -> str:
        return f"m{where[name]}.{name}" if name in where else "NULL::VARCHAR"

    request = get("request")
    method = get("method") if "method" in where else f"split_part({request}, ' ', 1)"
    target = get("target") if "target" in where else f"split_part({request}, ' ', 2)"
    time = get("time")
    if fmt.iso_time:
        instant, day = f"TRY_CAST({time} AS TIMESTAMPTZ)", f"TRY_CAST(left({time}, 10) AS DATE)"
    else:
        instant = f"try_strptime({time}, '%d/%b/%Y:%H:%M:%S %z')"
        day = f"try_strptime(left({time}, 11), '%d/%b/%Y')::DATE"
    vhost = f"nullif(regexp_replace({get('vhost')}, ':[0-9]+$', ''), '')"
    matched = f"regexp_matches(line, {sql_text(fmt.pattern)})" if fmt.checked else "TRUE"
    return f"""
        WITH x AS (
            SELECT line, {matched} AS matched, {extract}
            FROM {lines} WHERE NOT starts_with(line, '#')),
        t AS (
            SELECT line, matched, {get("host")} AS host, {vhost} AS vhost,
                   {day} AS day, timezone('UTC', {instant}) AS requested_at,
                   {method} AS method, {target} AS target,
                   TRY_CAST({get("status")} AS SMALLINT) AS status,
                   TRY_CAST({get("bytes")} AS BIGINT) AS bytes,
                   {get("referrer")} AS referrer, {get("agent")} AS agent
            FROM x)
        SELECT matched AND status IS NOT NULL AND day IS NOT NULL
               AND requested_at IS NOT NULL AS ok,
               CASE WHEN NOT ok THEN line END AS failed_line,
               host, vhost, day, requested_at, nullif(method, '') AS method,
               -- the path without its query string (which may carry anything, addresses too);
               -- a proxy's absolute-form target loses its scheme and host
               split_part(CASE WHEN starts_with(target, 'http')
                               THEN regexp_replace(target, '^https?://[^/]*', '')
                               ELSE target END, '?', 1) AS path,
               status, bytes,
               nullif(split_part(split_part(referrer, '?', 1), '#', 1), '-') AS referrer,
               coalesce(agent, '') AS agent
        FROM t"""


def parse(
    con: duckdb.DuckDBPyConnection, data: bytes, fmt: LogFormat | None, stats: ParseStats
) -> tuple[pa.Table | None, LogFormat | None]:
    """Parse a chunk of complete lines; without a format, sniff one from the chunk.

    Returns the rows (``ok`` or not) and the format used; no rows if no format fits.
    """
    lines = lines_table(data, stats)
    name = "catherd_weblog_lines"
    con.register(name, lines)
    try:
        fmt = fmt or sniff(con, name)
        unknown = (
            f"SELECT FALSE AS ok, line AS failed_line FROM {name} WHERE NOT starts_with(line, '#')"
        )
        parsed = con.sql(parse_sql(fmt, name) if fmt else unknown).to_arrow_table()
    finally:
        con.unregister(name)
    failed = parsed.filter(pc.invert(parsed["ok"]))["failed_line"].to_pylist()
    stats.comments += lines.num_rows - parsed.num_rows
    stats.requests += parsed.num_rows - len(failed)
    _count(stats, lines.num_rows, failed)
    return (parsed if fmt else None), fmt


def _count(stats: ParseStats, lines: int, failed: list[str]) -> None:
    stats.lines += lines
    stats.unparsed += len(failed)
    stats.samples.extend(line[:300] for line in failed[: max(0, 3 - len(stats.samples))])
