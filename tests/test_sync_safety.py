"""Incremental sync, rewritten histories, bad input and interruptions never corrupt the store."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catherd.errors import InputError, SourceError
from catherd.sources.git.repository import open_repository
from catherd.store import git_loader
from catherd.store.database import Store

from .conftest import clone_bundle, commit_count, git, ingest, table_digest


def _stored_shas(store: Store) -> set[str]:
    return {row[0] for row in store.con.execute("SELECT sha FROM commits").fetchall()}


def _reachable(repo: Path) -> set[str]:
    return set(git(repo, "rev-list", "HEAD").split())


def test_incremental_sync_reads_only_new_commits(tmp_path: Path) -> None:
    work = clone_bundle("devstats", tmp_path / "work")
    head = git(work, "rev-parse", "HEAD").strip()
    newer = len(git(work, "rev-list", "HEAD~10..HEAD").split())
    git(work, "reset", "-q", "--hard", "HEAD~10")
    with Store(tmp_path / "s.duckdb") as store:
        ingest(store, tmp_path, str(work))
        assert _stored_shas(store) == _reachable(work)
        git(work, "reset", "-q", "--hard", head)
        report = ingest(store, tmp_path, str(work))
        assert report.repositories[0].commits_read == newer
        assert _stored_shas(store) == _reachable(work)


@pytest.mark.parametrize("pruned", [False, True], ids=["old-objects-kept", "old-objects-pruned"])
def test_force_push_leaves_no_duplicates_or_orphans(tmp_path: Path, pruned: bool) -> None:
    work = clone_bundle("devstats", tmp_path / "work")
    with Store(tmp_path / "s.duckdb") as store:
        ingest(store, tmp_path, str(work))
        dropped = set(git(work, "rev-list", "HEAD~5..HEAD").split())
        git(work, "reset", "-q", "--hard", "HEAD~5")
        for n in range(3):  # synthetic rewritten history: three new commits
            git(work, "commit", "-q", "--allow-empty", "-m", f"synthetic rewrite {n}")
        if pruned:
            git(work, "reflog", "expire", "--expire=now", "--all")
            git(work, "gc", "-q", "--prune=now")
            for ref in git(work, "for-each-ref", "--format=%(refname)", "refs/remotes").split():
                git(work, "update-ref", "-d", ref)
            git(work, "gc", "-q", "--prune=now")
        report = ingest(store, tmp_path, str(work))
        assert report.repositories[0].commits_removed == len(dropped)
        assert _stored_shas(store) == _reachable(work)
        assert not dropped & _stored_shas(store)
        orphans = store.scalar(
            "SELECT count(*) FROM commit_files WHERE sha NOT IN (SELECT sha FROM commits)"
        )
        assert orphans == 0
        assert (
            store.scalar(
                "SELECT count(*) FROM contributions WHERE sha NOT IN (SELECT sha FROM commits)"
            )
            == 0
        )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "no such file or directory"),
        (lambda p: p, "not a git repository"),
        (lambda p: (p / "notes.txt").write_text("hello") and p / "notes.txt", "not a git bundle"),
    ],
    ids=["missing-path", "plain-folder", "plain-file"],
)
def test_bad_locations_give_a_clear_error_and_change_nothing(
    tmp_path: Path, mirrors: dict[str, Path], make, message: str
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "input"
    folder.mkdir()
    with Store(tmp_path / "s.duckdb") as store:
        ingest(store, tmp_path, str(mirrors["devstats"]))
        before = table_digest(store)
        with pytest.raises(InputError, match=message):
            ingest(store, tmp_path, str(mirrors["cloudpickle"]), str(make(folder)))
        assert table_digest(store) == before  # cloudpickle, listed first, was not loaded either


def test_cli_bad_path_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "catherd",
            "analyze",
            str(tmp_path / "nope"),
            "--db",
            str(tmp_path / "s.duckdb"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "no such file or directory" in proc.stderr and "Traceback" not in proc.stderr


def test_corrupt_object_rolls_back_and_names_the_commit(tmp_path: Path) -> None:
    work = clone_bundle("devstats", tmp_path / "work")
    git(work, "repack", "-adq")
    # Unpack everything loose so that one blob can be removed, as in a broken copy.
    packs = list((work / ".git" / "objects" / "pack").glob("*.pack"))
    for pack in packs:
        moved = tmp_path / pack.name
        shutil.move(pack, moved)
        pack.with_suffix(".idx").unlink()
        subprocess.run(
            ["git", "-C", str(work), "unpack-objects", "-q"], stdin=moved.open("rb"), check=True
        )
    blob = git(work, "rev-parse", "HEAD~20:README.md").strip()
    (work / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    with Store(tmp_path / "s.duckdb") as store:
        before = table_digest(store)
        with pytest.raises(SourceError, match=r"needs an object .*unable to read") as raised:
            ingest(store, tmp_path, str(work))
        assert table_digest(store) == before
    # the commit named is one whose diff involves the missing blob (git itself says which)
    named = re.search(r"commit ([0-9a-f]{40})", str(raised.value))
    assert (
        named and named.group(1) in git(work, "log", "--format=%H", f"--find-object={blob}").split()
    )


def test_missing_git_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SourceError, match="git executable not found"):
        open_repository(str(tmp_path), tmp_path)


def test_interrupted_sync_keeps_previous_state_and_resumes(
    tmp_path: Path, mirrors: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        ingest(store, tmp_path, str(mirrors["devstats"]))
        before = table_digest(store)
        calls = []

        def interrupt(con, batch, repo_id):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 2:
                raise KeyboardInterrupt  # as Ctrl-C in the middle of the load
            return real(con, batch, repo_id)

        real = git_loader._load_batch
        monkeypatch.setattr(git_loader, "_load_batch", interrupt)
        monkeypatch.setattr(git_loader.LogStreamParser, "__init__", _small_batches)
        with pytest.raises(KeyboardInterrupt):
            ingest(store, tmp_path, str(mirrors["cloudpickle"]))
        assert table_digest(store) == before
        monkeypatch.undo()
        ingest(store, tmp_path, str(mirrors["cloudpickle"]))
        both = commit_count(mirrors["devstats"]) + commit_count(mirrors["cloudpickle"])
        assert store.scalar("SELECT count(*) FROM commits") == both


_original_init = git_loader.LogStreamParser.__init__


def _small_batches(self, pr_refs=None, batch_size=20_000, **kw):  # type: ignore[no-untyped-def]
    _original_init(self, pr_refs, batch_size=50, **kw)


def test_killed_process_leaves_a_usable_store(tmp_path: Path, mirrors: dict[str, Path]) -> None:
    """A real SIGKILL in the middle of an ingest: the next run finds the old state and completes."""
    db = tmp_path / "s.duckdb"
    command = [sys.executable, "-m", "catherd", "analyze", "--db", str(db)]
    subprocess.run([*command, str(mirrors["devstats"])], check=True, capture_output=True)
    proc = subprocess.Popen(
        [*command, str(mirrors["networkx"])], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (tmp_path / "s.duckdb.wal").exists():
        time.sleep(0.02)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    both = commit_count(mirrors["devstats"]) + commit_count(mirrors["networkx"])
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM commits") in (146, both)
    subprocess.run([*command, str(mirrors["networkx"])], check=True, capture_output=True)
    with Store(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM commits") == both
        assert store.scalar("SELECT count(*) FROM repo_commits") == both


def test_missing_objects_can_be_skipped_with_a_warning(tmp_path: Path) -> None:
    """A copy without some blobs (as large files are left out): named, then skippable."""
    work = clone_bundle("devstats", tmp_path / "work")
    git(work, "repack", "-adq")
    for pack in (work / ".git" / "objects" / "pack").glob("*.pack"):
        moved = tmp_path / pack.name
        shutil.move(pack, moved)
        pack.with_suffix(".idx").unlink()
        with moved.open("rb") as data:
            subprocess.run(["git", "-C", str(work), "unpack-objects", "-q"], stdin=data, check=True)
    involved: set[str] = set()  # commits whose diff touches a missing blob, as git says
    for spec in ("HEAD~20:README.md", "HEAD~60:README.md"):
        blob = git(work, "rev-parse", spec).strip()
        (work / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
        involved |= set(git(work, "log", "--format=%H", f"--find-object={blob}").split())
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(SourceError, match=r"commit [0-9a-f]{40} needs an object") as raised:
            ingest(store, tmp_path, str(work))
        assert "--skip-missing-objects" in str(raised.value)
        assert store.scalar("SELECT count(*) FROM commits") == 0
        from catherd.config import Config, RepositorySpec
        from catherd.pipeline import sync

        config = Config(root=tmp_path, db=store.path)
        report = sync(store, config, [RepositorySpec(str(work))], skip_missing_objects=True)
        warned = [
            w for w in report.repositories[0].warnings if w.message.startswith("no line counts")
        ]
        culprits = {w.sha for w in warned}
        assert culprits and culprits <= involved
        assert _stored_shas(store) == _reachable(work)
        # every other commit has exactly git's line counts
        expected: dict[str, int] = {}
        for sha in _reachable(work) - culprits:
            out = git(work, "log", "-1", "--numstat", "--find-renames", "--format=", sha)
            expected[sha] = sum(
                int(line.split("\t")[0])
                for line in out.splitlines()
                if line and not line.startswith("-")
            )
        got = dict(
            store.con.execute(
                "SELECT c.sha, coalesce(sum(f.added), 0) FROM commits c "
                "LEFT JOIN commit_files f USING (sha) GROUP BY c.sha"
            ).fetchall()
        )
        assert {sha: got[sha] for sha in expected} == expected
        assert store.scalar(
            "SELECT count(*) FROM sync_warnings WHERE message LIKE 'no line counts%'"
        ) == len(culprits)


def test_url_is_mirrored_once_and_fetched_on_resync(tmp_path: Path) -> None:
    """A URL (here file://, so no network) is cloned as a mirror, then fetched incrementally."""
    work = clone_bundle("devstats", tmp_path / "work")
    url = f"file://{work}"
    with Store(tmp_path / "s.duckdb") as store:
        first = ingest(store, tmp_path, url)
        assert first.repositories[0].commits_added == int(git(work, "rev-list", "--count", "HEAD"))
        mirrors = list((tmp_path / ".catherd" / "repos").iterdir())
        assert len(mirrors) == 1 and mirrors[0].name.startswith("work-")
        git(work, "commit", "-q", "--allow-empty", "-m", "synthetic new commit upstream")
        again = ingest(store, tmp_path, url)
        assert again.repositories[0].commits_read == 1
        assert _stored_shas(store) == _reachable(work)
        assert store.scalar("SELECT kind FROM repositories") == "url"


def test_every_handle_cuts_periods_in_utc(tmp_path: Path) -> None:
    """A DuckDB cursor does not inherit its connection's settings: checked west of UTC."""
    code = (
        "import sys; from catherd.store.database import Store; s = Store(sys.argv[1]); "
        "h = Store.on_cursor(s); q = \"SELECT current_setting('TimeZone')\"; "
        "print(s.scalar(q), h.scalar(q))"
    )
    west = {**os.environ, "TZ": "America/New_York"}
    answer = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s.duckdb")], env=west,
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert answer.stdout.split() == ["UTC", "UTC"]


def test_every_committed_write_moves_the_data_version_on(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        before = store.data_version()
        with pytest.raises(RuntimeError), store.transaction():
            store.con.execute("INSERT INTO meta VALUES ('probe', 'x')")
            raise RuntimeError("rolled back")
        assert store.data_version() == before
        with store.transaction():
            store.con.execute("INSERT INTO meta VALUES ('probe', 'x')")
        assert store.data_version() == before + 1
