"""Git ingestion checked against git itself on the real shared histories."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from catherd.store.database import Store

from .conftest import clone_bundle, commit_count, followed, git, ingest, table_digest

REPOS = ["cloudpickle", "devstats", "enhancement_proposals", "networkx"]


@pytest.mark.parametrize("name", REPOS)
def test_counts_equal_what_git_reports(
    name: str, mirrors: dict[str, Path], ingested: dict[str, Path]
) -> None:
    repo = mirrors[name]
    with Store(ingested[name], read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM commits") == commit_count(repo)
        numstat = [
            line.split("\t", 2)
            for line in git(
                repo, "log", "--numstat", "--find-renames", "--format=", *followed(repo)
            ).splitlines()
            if line
        ]
        added = sum(int(n[0]) for n in numstat if n[0] != "-")
        deleted = sum(int(n[1]) for n in numstat if n[1] != "-")
        stored = store.rows(
            "SELECT count(*) AS files, sum(added) AS added, sum(deleted) AS deleted, "
            "count(*) FILTER (WHERE is_binary) AS binary FROM commit_files"
        )[0]
        assert stored == {
            "files": len(numstat),
            "added": added,
            "deleted": deleted,
            "binary": sum(n[0] == "-" for n in numstat),
        }
        emails = set(git(repo, "log", "--format=%ae", *followed(repo)).splitlines())
        assert store.scalar("SELECT count(DISTINCT author_email) FROM commits") == len(emails)
        merges = int(git(repo, "rev-list", "--count", "--merges", *followed(repo)))
        assert store.scalar("SELECT count(*) FROM commits WHERE len(parents) > 1") == merges
        # each commit's stored totals are the sums of its file rows
        assert (
            store.scalar(
                "SELECT count(*) FROM commits c LEFT JOIN (SELECT sha, count(*) AS n, "
                "coalesce(sum(added), 0) AS a, coalesce(sum(deleted), 0) AS d FROM commit_files "
                "GROUP BY sha) f USING (sha) WHERE c.files_changed <> coalesce(f.n, 0) "
                "OR c.lines_added <> coalesce(f.a, 0) OR c.lines_deleted <> coalesce(f.d, 0)"
            )
            == 0
        )
        # merge commits carry no file rows, as `git log --numstat` shows none for them
        assert (
            store.scalar(
                "SELECT count(*) FROM commit_files f JOIN commits c USING (sha) "
                "WHERE len(c.parents) > 1"
            )
            == 0
        )


def test_per_commit_lines_and_dates_match_git(
    mirrors: dict[str, Path], ingested: dict[str, Path]
) -> None:
    repo = mirrors["networkx"]
    expected: dict[str, list[int]] = {}
    current = None
    log = git(repo, "log", "--numstat", "--find-renames", "--format=@%H", *followed(repo))
    for line in log.splitlines():
        if line.startswith("@"):
            current = line[1:]
            expected[current] = [0, 0]
        elif line and current and not line.startswith("-"):
            a, d, _ = line.split("\t", 2)
            expected[current][0] += int(a)
            expected[current][1] += int(d)
    with Store(ingested["networkx"], read_only=True) as store:
        stored = {
            sha: [a, d]
            for sha, a, d in store.con.execute(
                "SELECT c.sha, coalesce(sum(f.added), 0), coalesce(sum(f.deleted), 0) "
                "FROM commits c LEFT JOIN commit_files f USING (sha) GROUP BY c.sha"
            ).fetchall()
        }
        assert stored == expected
        log = git(repo, "log", "--format=%H %at", *followed(repo))
        dates = dict(line.split(" ") for line in log.splitlines())
        got = dict(
            store.con.execute(
                "SELECT sha, epoch(authored_at)::BIGINT::VARCHAR FROM commits"
            ).fetchall()
        )
        assert got == dates


def test_mailmap_and_coauthors_are_git_s(
    mirrors: dict[str, Path], ingested: dict[str, Path]
) -> None:
    repo = mirrors["networkx"]
    log = git(repo, "log", "--format=%H%x00%aE", *followed(repo))
    mapped = dict(line.split("\0") for line in log.splitlines())
    with Store(ingested["networkx"], read_only=True) as store:
        got = dict(store.con.execute("SELECT sha, author_email_mapped FROM commits").fetchall())
        assert got == mapped
        trailers = git(
            repo,
            "log",
            "--format=%(trailers:key=Co-authored-by,valueonly,separator=%x1f)",
            *followed(repo),
        )
        # one co-author per address in a trailer (some lines name two people)
        expected = len(re.findall(r"<\s*[^<>\s]+@", trailers))
        assert store.scalar("SELECT count(*) FROM commit_coauthors") == expected > 0
        # co-authors go through the mailmap as authors do: git check-mailmap is the judge
        pairs = store.con.execute(
            "SELECT DISTINCT name, email, name_mapped, email_mapped FROM commit_coauthors"
        ).fetchall()
        contacts = "".join(f"{n} <{e}>\n" for n, e, _, _ in pairs)
        truth = subprocess.run(
            ["git", "-C", str(repo), "check-mailmap", "--stdin"],
            input=contacts.encode(),
            capture_output=True,
            check=True,
        ).stdout.decode().splitlines()
        assert [f"{nm} <{em}>" for _, _, nm, em in pairs] == truth
        assert sum(f"{n} <{e}>" != t for (n, e, _, _), t in zip(pairs, truth, strict=True)) > 0


def test_pull_request_numbers_from_messages_and_refs(
    mirrors: dict[str, Path], ingested: dict[str, Path]
) -> None:
    repo = mirrors["cloudpickle"]
    log = git(repo, "log", "--format=%H %s", *followed(repo))
    subjects = dict(line.split(" ", 1) for line in log.splitlines())
    from_message = {
        sha: int(m.group(1) or m.group(2))
        for sha, s in subjects.items()
        if (m := re.match(r"^Merge pull request #(\d+) |.*\(#(\d+)\)\s*$", s))
    }
    heads = {}
    for line in git(
        repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/pull"
    ).splitlines():
        sha, ref = line.split(" ")
        if ref.endswith("/head") and sha in subjects:
            heads.setdefault(sha, int(ref.split("/")[2]))
    with Store(ingested["cloudpickle"], read_only=True) as store:
        got = dict(
            store.con.execute(
                "SELECT sha, pr_number FROM commits WHERE pr_number IS NOT NULL"
            ).fetchall()
        )
        sources = dict(
            store.con.execute("SELECT pr_source, count(*) FROM commits GROUP BY 1").fetchall()
        )
    assert got == {**{k: v for k, v in heads.items() if k not in from_message}, **from_message}
    assert sources["message"] == len(from_message) and sources["pull-ref"] > 0


def test_second_sync_changes_nothing(tmp_path: Path, mirrors: dict[str, Path]) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        first = ingest(store, tmp_path, str(mirrors["devstats"]))
        before = table_digest(store)
        second = ingest(store, tmp_path, str(mirrors["devstats"]))
        assert first.repositories[0].commits_added == 146
        assert second.repositories[0].unchanged
        assert second.identities is None  # nothing changed: identities not even rebuilt
        assert table_digest(store) == before


def test_all_branches_and_shared_commits_stored_once(
    tmp_path: Path, mirrors: dict[str, Path]
) -> None:
    work = clone_bundle("devstats", tmp_path / "work")
    git(work, "checkout", "-q", "-b", "feature", "HEAD~3")
    git(work, "commit", "-q", "--allow-empty", "-m", "synthetic commit on a side branch")
    git(work, "checkout", "-q", "main")
    with Store(tmp_path / "s.duckdb") as store:
        ingest(store, tmp_path, str(work), all_branches=True)
        ingest(store, tmp_path, str(mirrors["devstats"]))
        every = int(git(work, "rev-list", "--count", "--branches", "--remotes"))
        assert every > 146
        assert store.scalar("SELECT count(*) FROM commits") == every
        # the mirror's 146 commits are shared with the working copy: stored once, two members
        assert store.scalar("SELECT count(*) FROM repo_commits") == every + 146
        assert (
            store.scalar(
                "SELECT count(*) FROM (SELECT sha FROM commits GROUP BY sha HAVING count(*) > 1)"
            )
            == 0
        )


def test_history_split_across_processes_reads_every_commit_once(
    tmp_path: Path,
    mirrors: dict[str, Path],
    ingested: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from catherd.store import git_loader

    monkeypatch.setattr(git_loader, "SPLIT_THRESHOLD", 10)
    monkeypatch.setattr(git_loader, "parallel_processes", lambda: 2)
    commands = []
    original = git_loader.GitRepository.stream_logs

    def spy(self, cmds, chunk_size=1 << 20, at_once=1):  # type: ignore[no-untyped-def]
        commands.extend(cmds)
        return original(self, cmds, chunk_size, at_once)

    monkeypatch.setattr(git_loader.GitRepository, "stream_logs", spy)
    with Store(tmp_path / "split.duckdb") as store:
        ingest(store, tmp_path, str(mirrors["cloudpickle"]))
        split = table_digest(store)
    assert len(commands) == 8
    with Store(ingested["cloudpickle"], read_only=True) as store:
        assert table_digest(store) == split


def test_tags_are_git_s(ingested: dict[str, Path], mirrors: dict[str, Path]) -> None:
    """Every tag pointing at a commit, with its peeled commit and tagger, as git lists them."""
    for name, mirror in mirrors.items():
        # peeled commit first: an annotated tag's own object comes after it
        fields = "%(refname:strip=2) %(*objectname)%(objectname) %(taggeremail:trim)"
        listed = git(mirror, "for-each-ref", "refs/tags", f"--format={fields}")
        expected = set()
        for line in listed.splitlines():
            tag, both, email = line.split(" ")
            expected.add((tag, both[:40], email.lower() or None))
        with Store(ingested[name], read_only=True) as store:
            stored = {(r[0], r[1], r[2]) for r in store.con.execute(
                "SELECT name, sha, tagger_email FROM repo_tags").fetchall()}  # fmt: skip
        assert stored == expected, name
