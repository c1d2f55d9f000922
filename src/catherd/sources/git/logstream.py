"""Parse the NUL-separated output of one ``git log --numstat -z`` process into Arrow batches.

This module owns the exact ``git log`` format catherd asks for (``LOG_FORMAT``) and the
state machine that turns its byte stream into two tables: one row per commit and one row
per changed file. It never starts a process per commit: the caller streams one ``git log``
and hands its stdout here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

# A record starts with a token no numstat entry can have (those start with a digit, "-" or a
# newline), so the stream can be re-synchronised after anything unexpected.
RECORD_MARK = "\x01catherd-commit"
_FIELDS = (
    "%H",
    "%P",
    "%an",
    "%ae",
    "%aN",
    "%aE",
    "%at",
    "%ai",
    "%cn",
    "%ce",
    "%cN",
    "%cE",
    "%ct",
    "%ci",
    "%(trailers:key=Co-authored-by,valueonly,separator=%x1f)",
    "%B",
)
LOG_FORMAT = "%x01catherd-commit%x00" + "%x00".join(_FIELDS)
_N_FIELDS = len(_FIELDS)

_MERGE_PR = re.compile(r"^Merge pull request #(\d+) ")
_SQUASH_PR = re.compile(r"\(#(\d+)\)\s*$")
# What may stand between two people on one trailer line ("A <a@x>, B <b@x>", "A <a@x> and B")
_BETWEEN = re.compile(r"^[\s>,;.&]*(?:and\s+)?", re.IGNORECASE)
# A trailer key typed twice ("Co-authored-by: Co-authored-by: Jane <...>", "Author: Jane <...>")
_KEY_AGAIN = re.compile(r"^\s*(?:co-authored-by|author|signed-off-by)\s*:\s*", re.IGNORECASE)

COMMIT_SCHEMA = pa.schema(
    [
        ("sha", pa.string()),
        ("parents", pa.list_(pa.string())),
        ("author_name", pa.string()),
        ("author_email", pa.string()),
        ("author_name_mapped", pa.string()),
        ("author_email_mapped", pa.string()),
        ("authored_at", pa.timestamp("s", tz="UTC")),
        ("author_tz_minutes", pa.int16()),
        ("committer_name", pa.string()),
        ("committer_email", pa.string()),
        ("committer_name_mapped", pa.string()),
        ("committer_email_mapped", pa.string()),
        ("committed_at", pa.timestamp("s", tz="UTC")),
        ("committer_tz_minutes", pa.int16()),
        ("message", pa.string()),
        ("pr_number", pa.int32()),
        ("pr_source", pa.string()),
        # a shallow clone's oldest commit: git shows its whole tree as added, so no changes
        ("shallow_boundary", pa.bool_()),
    ]
)
FILE_SCHEMA = pa.schema(
    [
        ("sha", pa.string()),
        ("path", pa.string()),
        ("old_path", pa.string()),
        ("added", pa.int32()),
        ("deleted", pa.int32()),
        ("is_binary", pa.bool_()),
    ]
)
COAUTHOR_SCHEMA = pa.schema(
    [("sha", pa.string()), ("position", pa.int16()), ("name", pa.string()), ("email", pa.string())]
)


@dataclass
class LogBatch:
    """A slice of parsed history: commits, their changed files and their co-authors."""

    commits: pa.Table
    files: pa.Table
    coauthors: pa.Table


@dataclass
class ParseWarning:
    """Something in the log that was kept but is worth telling the user about."""

    sha: str | None
    message: str


@dataclass
class _Columns:
    commits: dict[str, list] = field(default_factory=lambda: {n: [] for n in COMMIT_SCHEMA.names})
    files: dict[str, list] = field(default_factory=lambda: {n: [] for n in FILE_SCHEMA.names})
    coauthors: dict[str, list] = field(
        default_factory=lambda: {n: [] for n in COAUTHOR_SCHEMA.names}
    )

    def __len__(self) -> int:
        return len(self.commits["sha"])

    def to_batch(self) -> LogBatch:
        return LogBatch(
            pa.table(self.commits, schema=COMMIT_SCHEMA),
            pa.table(self.files, schema=FILE_SCHEMA),
            pa.table(self.coauthors, schema=COAUTHOR_SCHEMA),
        )


def tz_minutes(iso_date: str) -> int:
    """The UTC offset in minutes of a ``%ai``-style date ("2010-04-29 10:18:26 +0200")."""
    offset = iso_date.rsplit(" ", 1)[-1]
    if len(offset) != 5 or offset[0] not in "+-" or not offset[1:].isdigit():
        return 0
    minutes = int(offset[1:3]) * 60 + int(offset[3:5])
    return -minutes if offset[0] == "-" else minutes


def pr_from_message(message: str) -> int | None:
    """The pull-request number a merge or squash commit's subject names, if any."""
    subject = message.split("\n", 1)[0]
    found = _MERGE_PR.match(subject) or _SQUASH_PR.search(subject)
    return int(found.group(1)) if found else None


class LogStreamParser:
    """Incremental parser: feed it raw byte chunks, collect ``LogBatch`` objects.

    ``pr_refs`` maps a commit hash to the pull request whose ``refs/pull/N/head`` points at it;
    ``boundary`` names a shallow clone's boundary commits, whose changes are not counted.
    """

    def __init__(
        self,
        pr_refs: dict[str, int] | None = None,
        batch_size: int = 20_000,
        boundary: set[str] | None = None,
    ) -> None:
        self.pr_refs = pr_refs or {}
        self.boundary = boundary or set()
        self.batch_size = batch_size
        self.warnings: list[ParseWarning] = []
        self.commit_count = 0
        self.last_sha: str | None = None
        self._cols = _Columns()
        self._rest = b""
        self._header: list[str] | None = None  # fields of the record being read
        self._pending_rename: tuple[int, int, bool] | None = None
        self._rename_paths: list[str] = []
        self._skipping = False
        self._ready: list[LogBatch] = []
        self._counted: set[str] = set()

    # -- decoding -------------------------------------------------------------------------
    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            # Old histories hold Latin-1/CP1252 names and paths; keep them readable and say so.
            self.warnings.append(
                ParseWarning(self.last_sha, f"non-UTF-8 bytes decoded as CP1252: {raw[:60]!r}")
            )
            return raw.decode("cp1252", errors="replace")

    # -- feeding --------------------------------------------------------------------------
    def feed(self, chunk: bytes) -> Iterator[LogBatch]:
        """Consume a chunk of ``git log`` output; yield every batch that became full."""
        buffer = self._rest + chunk
        cut = buffer.rfind(b"\0")
        if cut < 0:
            self._rest = buffer
            return
        self._rest, complete = buffer[cut + 1 :], buffer[:cut]
        try:
            for token in complete.decode("utf-8").split("\0"):
                self._token(token)
        except UnicodeDecodeError:
            for raw in complete.split(b"\0"):
                self._token(self._decode(raw))
        yield from self._take_ready()

    def close(self) -> Iterator[LogBatch]:
        """Finish the stream: the last record and the last (possibly partial) batch."""
        if self._rest:
            self._token(self._decode(self._rest))
            self._rest = b""
        self._end_record()
        yield from self._take_ready()
        if len(self._cols):
            yield self._flush()

    def abandon_current(self) -> str | None:
        """Forget the record being read when its process died; return its commit hash.

        Complete records are kept. The abandoned commit's rows (commit, files, co-authors)
        are dropped from what is not yet flushed, so it can be read again another way.
        """
        sha = self.last_sha
        self._rest = b""
        self._header = None
        self._pending_rename = None
        self._rename_paths = []
        self._skipping = False
        if sha is None:
            return None
        for columns in (self._cols.commits, self._cols.files, self._cols.coauthors):
            keep = [n for n, value in enumerate(columns["sha"]) if value != sha]
            if len(keep) != len(columns["sha"]):
                for name, values in columns.items():
                    columns[name] = [values[n] for n in keep]
        self.commit_count -= sha in self._counted
        self._counted.discard(sha)
        return sha

    def _take_ready(self) -> Iterator[LogBatch]:
        while self._ready:
            yield self._ready.pop(0)

    def parse_all(self, chunks: Iterable[bytes]) -> Iterator[LogBatch]:
        for chunk in chunks:
            yield from self.feed(chunk)
        yield from self.close()

    def _flush(self) -> LogBatch:
        batch = self._cols.to_batch()
        self._cols = _Columns()
        return batch

    # -- the state machine ----------------------------------------------------------------
    def _token(self, token: str) -> None:
        if token == RECORD_MARK:
            self._end_record()
            if len(self._cols) >= self.batch_size:  # cut batches only between commits
                self._ready.append(self._flush())
            self._header = []
            self._skipping = False
            return
        if self._header is not None:
            self._header.append(token)
            if len(self._header) == 1:
                self.last_sha = token  # so warnings about this record name its commit
            elif len(self._header) == _N_FIELDS:
                self._commit(self._header)
                self._header = None
            return
        if self._skipping:
            return
        if self._pending_rename is not None:
            self._rename_paths.append(token)
            if len(self._rename_paths) == 2:
                old, new = self._rename_paths
                self._file(new, old, *self._pending_rename)
                self._pending_rename = None
                self._rename_paths = []
            return
        self._numstat(token.lstrip("\n"))

    def _numstat(self, entry: str) -> None:
        if not entry:
            return
        parts = entry.split("\t", 2)
        if len(parts) != 3 or not _is_count(parts[0]) or not _is_count(parts[1]):
            self.warnings.append(
                ParseWarning(self.last_sha, f"unexpected text after commit skipped: {entry[:80]!r}")
            )
            self._skipping = True
            return
        binary = parts[0] == "-" or parts[1] == "-"
        added = 0 if binary else int(parts[0])
        deleted = 0 if binary else int(parts[1])
        if parts[2] == "":  # a rename or copy: the old and new paths follow as two tokens
            self._pending_rename = (added, deleted, binary)
        else:
            self._file(parts[2], None, added, deleted, binary)

    def _file(
        self, path: str, old_path: str | None, added: int, deleted: int, binary: bool
    ) -> None:
        if self.last_sha in self.boundary:
            return  # the whole tree as "added": not a change anyone made in this commit
        files = self._cols.files
        files["sha"].append(self.last_sha)
        files["path"].append(path)
        files["old_path"].append(old_path)
        files["added"].append(None if binary else added)
        files["deleted"].append(None if binary else deleted)
        files["is_binary"].append(binary)

    def _end_record(self) -> None:
        if self._header is not None:
            self.warnings.append(
                ParseWarning(self.last_sha, "truncated commit record at the end of the log")
            )
            self._header = None
        if self._pending_rename is not None:
            self.warnings.append(ParseWarning(self.last_sha, "truncated rename entry"))
            self._pending_rename = None
            self._rename_paths = []

    def _commit(self, f: list[str]) -> None:
        (sha, parents, an, ae, a_n, a_e, at, ai, cn, ce, c_n, c_e, ct, ci, trailers, msg) = f
        self.last_sha = sha
        self.commit_count += 1
        self._counted = {sha}  # only the newest commit can still be abandoned
        cols = self._cols.commits
        cols["sha"].append(sha)
        cols["parents"].append(parents.split() if parents else [])
        cols["author_name"].append(an)
        cols["author_email"].append(ae)
        cols["author_name_mapped"].append(a_n)
        cols["author_email_mapped"].append(a_e)
        cols["authored_at"].append(int(at) if at else None)
        cols["author_tz_minutes"].append(tz_minutes(ai))
        cols["committer_name"].append(cn)
        cols["committer_email"].append(ce)
        cols["committer_name_mapped"].append(c_n)
        cols["committer_email_mapped"].append(c_e)
        cols["committed_at"].append(int(ct) if ct else None)
        cols["committer_tz_minutes"].append(tz_minutes(ci))
        cols["message"].append(msg)
        pr = pr_from_message(msg)
        source = "message" if pr is not None else None
        if pr is None and sha in self.pr_refs:
            pr, source = self.pr_refs[sha], "pull-ref"
        cols["pr_number"].append(pr)
        cols["pr_source"].append(source)
        cols["shallow_boundary"].append(sha in self.boundary)
        if trailers:
            self._coauthors(sha, trailers)

    def _coauthors(self, sha: str, trailers: str) -> None:
        cols = self._cols.coauthors
        position = 0
        for value in trailers.split("\x1f"):
            people, problem = parse_coauthors(value)
            if problem:
                self.warnings.append(ParseWarning(sha, f"Co-authored-by trailer {problem}"))
            for name, email in people:
                cols["sha"].append(sha)
                cols["position"].append(position)
                cols["name"].append(name)
                cols["email"].append(email)
                position += 1


def parse_coauthors(value: str) -> tuple[list[tuple[str, str]], str | None]:
    """The (name, e-mail) pairs of one ``Co-authored-by`` value, and what was wrong, if anything.

    Read the way git reads an identity (a name, then an address between ``<`` and ``>``),
    but forgiving what people type: a missing or doubled ``>`` ("Jane <j@x.org>>"), trailing
    punctuation ("Jane <j@x.org>."), several people on one line ("A <a@x>, B <b@x>"), a bare
    address ("j@x.org") and the trailer key typed twice. A part without an address is left
    out and reported.
    """
    chunks = value.split("<")
    if len(chunks) == 1:  # no "<" at all: a bare address, or nothing usable
        text = _KEY_AGAIN.sub("", value).strip().rstrip(">.,;")
        if "@" in text and " " not in text:
            return [("", text)], None
        return [], f"without <email>: {value[:80]!r}"
    people: list[tuple[str, str]] = []
    problem = None
    name = _KEY_AGAIN.sub("", chunks[0]).strip()
    for chunk in chunks[1:]:
        email, closed, rest = chunk.partition(">")
        email = email.strip()
        if "@" in email and " " not in email:
            people.append((name, email))
        else:
            problem = f"part without an e-mail address skipped: {value[:80]!r}"
        rest = _BETWEEN.sub("", rest if closed else "").strip()
        name = _KEY_AGAIN.sub("", rest).strip()
    if name.rstrip(">.,; "):  # text after the last address, with no address of its own
        problem = f"part without an e-mail address skipped: {value[:80]!r}"
    return people, problem


def _is_count(text: str) -> bool:
    return text == "-" or text.isdigit()
