"""The ``git log -z`` stream parser, on real output and on small synthetic streams (labelled)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from catherd.sources.git.logstream import LOG_FORMAT, LogStreamParser, pr_from_message, tz_minutes

from .conftest import git


def _record(sha: str, message: str = "subject\n", trailers: str = "", parents: str = "") -> bytes:
    """A synthetic record in catherd's format (field order as in LOG_FORMAT)."""
    fields = [
        sha,
        parents,
        "A U Thor",
        "a@example.org",
        "A U Thor",
        "a@example.org",
        "1700000000",
        "2023-11-14 22:13:20 +0100",
        "C O Mitter",
        "c@example.org",
        "C O Mitter",
        "c@example.org",
        "1700000100",
        "2023-11-14 22:15:00 -0530",
        trailers,
        message,
    ]
    return ("\x01catherd-commit\0" + "\0".join(fields) + "\0").encode()


def _parse(
    stream: bytes, chunk: int = 1 << 20, **kw: object
) -> tuple[list[dict], list[dict], LogStreamParser]:
    parser = LogStreamParser(**kw)  # type: ignore[arg-type]
    chunks = [stream[i : i + chunk] for i in range(0, len(stream), chunk)]
    commits, files = [], []
    for batch in parser.parse_all(chunks):
        commits += batch.commits.to_pylist()
        files += batch.files.to_pylist()
    return commits, files, parser


def test_synthetic_record_with_rename_binary_and_plain_files() -> None:
    # Synthetic: one commit touching a text file, a binary file and a renamed file.
    stream = (
        _record("a" * 40)
        + b"\n3\t1\tsrc/x.py\0-\t-\tlogo.png\x000\t0\t\0old/name.txt\0new/name.txt\0"
    )
    stream += _record("b" * 40, parents="a" * 40)
    commits, files, parser = _parse(stream)
    assert [c["sha"] for c in commits] == ["a" * 40, "b" * 40]
    assert commits[0]["author_tz_minutes"] == 60 and commits[0]["committer_tz_minutes"] == -330
    assert commits[1]["parents"] == ["a" * 40]
    assert files == [
        {
            "sha": "a" * 40,
            "path": "src/x.py",
            "old_path": None,
            "added": 3,
            "deleted": 1,
            "is_binary": False,
        },
        {
            "sha": "a" * 40,
            "path": "logo.png",
            "old_path": None,
            "added": None,
            "deleted": None,
            "is_binary": True,
        },
        {
            "sha": "a" * 40,
            "path": "new/name.txt",
            "old_path": "old/name.txt",
            "added": 0,
            "deleted": 0,
            "is_binary": False,
        },
    ]
    assert parser.warnings == []


def test_any_chunking_gives_the_same_rows() -> None:
    # Synthetic: multi-byte UTF-8 names split across chunk boundaries must not be garbled.
    stream = b"".join(
        _record(f"{i:040x}", message=f"Ünïcödé {i}\n") + f"\n{i}\t0\tdïr/f{i}\0".encode()
        for i in range(30)
    )
    whole = _parse(stream)[:2]
    for size in (1, 2, 7, 64):
        assert _parse(stream, chunk=size)[:2] == whole
    assert whole[0][3]["message"] == "Ünïcödé 3\n"


def test_batches_never_split_a_commit_from_its_files() -> None:
    stream = b"".join(_record(f"{i:040x}") + f"\n1\t1\tf{i}\0".encode() for i in range(25))
    parser = LogStreamParser(batch_size=4)
    chunks = [stream[i : i + 50] for i in range(0, len(stream), 50)]
    for batch in parser.parse_all(chunks):
        assert set(batch.files.column("sha").to_pylist()) <= set(
            batch.commits.column("sha").to_pylist()
        )


def test_non_utf8_bytes_are_kept_readable_with_a_warning() -> None:
    # Synthetic: a Latin-1 author name, as old histories have.
    stream = _record("c" * 40).replace(b"A U Thor\0a@", "Ren\xe9 A\0a@".encode("latin-1"), 1)
    commits, _, parser = _parse(stream)
    assert commits[0]["author_name"] == "René A"
    assert parser.warnings and parser.warnings[0].sha == "c" * 40


def test_truncated_stream_keeps_complete_commits_and_warns() -> None:
    stream = _record("d" * 40) + b"\x01catherd-commit\0" + b"e" * 40 + b"\0"
    commits, _, parser = _parse(stream)
    assert [c["sha"] for c in commits] == ["d" * 40]
    assert any("truncated" in w.message for w in parser.warnings)


def test_coauthor_trailers_and_pull_request_numbers() -> None:
    trailers = "Jane Doe <jane@example.org>\x1fjohn@example.org\x1fno address here"
    stream = _record("f" * 40, message="Fix the thing (#123)\n", trailers=trailers)
    parser = LogStreamParser()
    batch = next(iter(parser.parse_all([stream])))
    assert batch.coauthors.to_pylist() == [
        {"sha": "f" * 40, "position": 0, "name": "Jane Doe", "email": "jane@example.org"},
        {"sha": "f" * 40, "position": 1, "name": "", "email": "john@example.org"},
    ]
    assert batch.commits.column("pr_number").to_pylist() == [123]
    assert len(parser.warnings) == 1
    assert pr_from_message("Merge pull request #42 from someone/branch\n\nbody") == 42
    assert pr_from_message("Refactor (#12) the parser") is None
    assert tz_minutes("2020-01-01 00:00:00 -0930") == -570


def test_real_log_of_a_shared_repository(mirrors: dict[str, Path]) -> None:
    """The parser on real ``git log`` output agrees with git's own plain numstat."""
    repo = mirrors["cloudpickle"]
    out = subprocess.run(
        [
            "git",
            "--git-dir",
            str(repo),
            "log",
            "-z",
            "--numstat",
            "--find-renames",
            f"--format={LOG_FORMAT}",
        ],
        capture_output=True,
        check=True,
    ).stdout
    commits, files, _ = _parse(out, chunk=4096)
    assert len(commits) == int(git(repo, "rev-list", "--count", "HEAD"))
    plain = [
        line.split("\t")
        for line in git(repo, "log", "--numstat", "--find-renames", "--format=").splitlines()
        if line
    ]
    assert len(files) == len(plain)
    assert sum(f["added"] or 0 for f in files) == sum(int(p[0]) for p in plain if p[0] != "-")
    assert sum(f["is_binary"] for f in files) == sum(p[0] == "-" for p in plain)
