"""The awkward real logs in ../shared/data/git-logs/perceval, replayed into repositories.

Each log (``git log --pretty=fuller --raw --numstat``) is rebuilt commit by commit with
``git fast-import``: the real authors, dates, time zones and message bytes (bad encodings,
carriage returns, trailers, brackets in paths), and file contents made up to give the same
numstat where history allows. History is replayed linearly (merges become commits without
changes). catherd then ingests the rebuilt repository and must keep every byte-level oddity.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from catherd.store.database import Store

from .conftest import git, ingest, shared_file

_HEADER = re.compile(rb"^(Author|AuthorDate|Commit|CommitDate):\s+(.*)$")


@dataclass
class LoggedCommit:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    message: list[bytes] = field(default_factory=list)
    raw: list[list[bytes]] = field(default_factory=list)
    numstat: dict[bytes, tuple[int, int]] = field(default_factory=dict)


def read_fuller_log(path: Path) -> list[LoggedCommit]:
    commits: list[LoggedCommit] = []
    for line in path.read_bytes().split(b"\n"):
        if line.startswith(b"commit "):
            commits.append(LoggedCommit())
        elif not commits:
            continue
        elif found := _HEADER.match(line):
            commits[-1].headers[found.group(1)] = found.group(2)
        elif line.startswith(b"    ") or line == b"    ":
            commits[-1].message.append(line[4:])
        elif line.startswith(b":") and not line.startswith(b"::"):
            meta, *paths = line.split(b"\t")
            commits[-1].raw.append([meta.split()[-1], *paths])
        elif re.match(rb"^(\d+|-)\t(\d+|-)\t", line):
            added, deleted, name = line.split(b"\t", 2)
            if added != b"-":
                commits[-1].numstat[name] = (int(added), int(deleted))
    return [c for c in commits if b"Author" in c.headers]  # a truncated log ends mid-record


def _signature(who: bytes, when: bytes) -> bytes:
    stamp = datetime.strptime(when.decode(), "%a %b %d %H:%M:%S %Y %z")
    return who + b" " + str(int(stamp.timestamp())).encode() + b" " + when.split()[-1]


def replay(commits: list[LoggedCommit], target: Path) -> None:
    """Rebuild ``commits`` (newest first, as logged) with git fast-import, oldest first."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    contents: dict[bytes, list[bytes]] = {}
    stream = bytearray()
    for n, commit in enumerate(reversed(commits), start=1):
        message = b"\n".join(commit.message).strip(b"\n") + b"\n"
        stream += b"commit refs/heads/main\nmark :%d\n" % n
        stream += (
            b"author "
            + _signature(commit.headers[b"Author"], commit.headers[b"AuthorDate"])
            + b"\n"
        )
        stream += (
            b"committer "
            + _signature(commit.headers[b"Commit"], commit.headers[b"CommitDate"])
            + b"\n"
        )
        stream += b"data %d\n" % len(message) + message + b"\n"
        for status, *paths in commit.raw:
            if status.startswith(b"D"):
                stream += b"D " + paths[0] + b"\n"
                contents.pop(paths[0], None)
                continue
            if status.startswith((b"R", b"C")):
                old, new = paths
                if status.startswith(b"R"):
                    stream += b"D " + old + b"\n"
                lines = list(
                    contents.pop(old, []) if status.startswith(b"R") else contents.get(old, [])
                )
                path = new
            else:
                path = paths[0]
                lines = contents.get(path, [])
            added, deleted = next(
                (
                    v
                    for k, v in commit.numstat.items()
                    if k == path or k.endswith(b"/" + path.split(b"/")[-1])
                ),
                (0, 0),
            )
            lines = lines[min(deleted, len(lines)) :] + [
                b"line %d of %s" % (i, path) for i in range(added)
            ]
            contents[path] = lines
            body = b"".join(line + b"\n" for line in lines)
            stream += b"M 100644 inline " + path + b"\ndata %d\n" % len(body) + body + b"\n"
    subprocess.run(
        ["git", "-C", str(target), "fast-import", "--quiet"], input=bytes(stream), check=True
    )
    git(target, "reset", "-q", "--hard", "main")


@pytest.fixture(scope="module")
def awkward(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[list[LoggedCommit], Path, Path]]:
    logs = shared_file("git-logs", "perceval")
    base = tmp_path_factory.mktemp("awkward")
    built = {}
    for log in sorted(logs.glob("*.txt")):
        commits = read_fuller_log(log)
        if not commits:
            continue
        repo = base / log.stem
        replay(commits, repo)
        db = base / f"{log.stem}.duckdb"
        with Store(db) as store:
            ingest(store, base, str(repo))
        built[log.stem] = (commits, repo, db)
    return built


def test_every_log_is_ingested_like_git_reads_it(awkward: dict) -> None:
    assert len(awkward) >= 9
    for name, (commits, repo, db) in awkward.items():
        with Store(db, read_only=True) as store:
            assert store.scalar("SELECT count(*) FROM commits") == len(commits), name
            numstat = [
                line.split("\t")
                for line in git(repo, "log", "--numstat", "--format=").splitlines()
                if line
            ]
            assert store.scalar("SELECT coalesce(sum(added), 0) FROM commit_files") == sum(
                int(n[0]) for n in numstat if n[0] != "-"
            ), name
            assert store.scalar("SELECT count(*) FROM commit_files") == len(numstat), name
            logged = sorted(c.headers[b"AuthorDate"].split()[-1].decode() for c in commits)
            stored = sorted(
                f"{'-' if m < 0 else '+'}{abs(m) // 60:02d}{abs(m) % 60:02d}"
                for (m,) in store.con.execute("SELECT author_tz_minutes FROM commits").fetchall()
            )
            assert stored == logged, name


def test_bad_encoding_is_kept_readable_and_reported(awkward: dict) -> None:
    commits, _, db = awkward["git_bad_encoding"]
    with Store(db, read_only=True) as store:
        message = store.scalar("SELECT message FROM commits")
        assert message == b"\n".join(commits[0].message).strip(b"\n").decode("cp1252") + "\n"
        assert "“Open Type”" in message
        assert (
            store.scalar("SELECT count(*) FROM sync_warnings WHERE message LIKE 'non-UTF-8%'") >= 1
        )
        assert store.scalar("SELECT author_email FROM commits") == "rganor"  # no domain at all


def test_carriage_returns_and_unicode_names_survive(awkward: dict) -> None:
    _, _, db = awkward["git_bad_cr"]
    with Store(db, read_only=True) as store:
        assert "\r)" in store.scalar("SELECT message FROM commits")
    _, _, db = awkward["git_log_merge"]
    with Store(db, read_only=True) as store:
        assert "Zhongpeng Lin (林中鹏)" in {
            r[0] for r in store.con.execute("SELECT author_name FROM commits").fetchall()
        }


def test_brackets_renames_and_trailers(awkward: dict) -> None:
    _, _, db = awkward["git_log_brackets"]
    with Store(db, read_only=True) as store:
        assert store.scalar("SELECT path FROM commit_files") == "a/{{ folderName }}.yml.hbs"
    _, _, db = awkward["git_log_trailers"]
    with Store(db, read_only=True) as store:
        renames = store.rows("SELECT old_path, path FROM commit_files WHERE old_path IS NOT NULL")
        assert renames == [{"old_path": "aaa/something", "path": "bbb/something"}]
        # Signed-off-by and other trailers are not co-authors
        assert store.scalar("SELECT count(*) FROM commit_coauthors") == 0
        assert "MyTrailer: this is my trailer" in store.scalar(
            "SELECT message FROM commits WHERE message LIKE 'Commit with a list of trailers%'"
        )
