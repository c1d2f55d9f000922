"""Reviewer suggestions on networkx's real history, checked against git; the Gini coefficient."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from catherd.errors import InputError
from catherd.store.database import Store
from catherd.triage.reviewers import gini, suggest_reviewers

from .conftest import git


def _a_recent_squash(repo: Path) -> tuple[int, str, datetime]:
    """The newest networkx commit titled "... (#N)" that changed 2 to 6 files."""
    log = git(repo, "log", "--format=@%H %at %s", "--name-only")
    for block in log.split("@")[1:]:
        header, *paths = [line for line in block.splitlines() if line]
        sha, at, subject = header.split(" ", 2)
        found = re.search(r"\(#(\d+)\)\s*$", subject)
        if found and 2 <= len(paths) <= 6:
            return int(found.group(1)), sha, datetime.fromtimestamp(int(at), UTC)
    raise AssertionError("no squash commit found")


def test_authorship_counts_equal_git_log_on_the_files(
    mirrors: dict[str, Path], ingested: dict[str, Path]
) -> None:
    repo = mirrors["networkx"]
    number, sha, when = _a_recent_squash(repo)
    files = git(repo, "show", "--format=", "--name-only", "--find-renames", sha).split()
    with Store(ingested["networkx"], read_only=True) as store:
        found = suggest_reviewers(store, number, limit=50)
        rows = store.con.execute("SELECT name, email_key, person_id FROM identities").fetchall()
        person = {(n, e): p for n, e, p in rows}
        name, email = git(repo, "log", "-1", "--format=%an%x00%ae", sha).strip().split("\0")
        author = person[(name, email.lower())]
        bots = {
            p for (p,) in store.con.execute("SELECT person_id FROM people WHERE is_bot").fetchall()
        }
    assert sorted(found.files) == sorted(files) and found.as_of == when
    # git itself: commits touching these files in the year before, by author date
    out = git(repo, "log", "--format=%H%x00%at%x00%an%x00%ae", "--find-renames", "--", *files)
    expected: Counter = Counter()
    for line in out.splitlines():
        _, at, name, email = line.split("\0")
        moment = datetime.fromtimestamp(int(at), UTC)
        who = person[(name, email.lower())]
        if when - timedelta(days=365) <= moment < when and who != author and who not in bots:
            expected[who] += 1
    got = {c.person_id: c.commits_on_files for c in found.candidates if c.commits_on_files}
    assert got == dict(expected)
    assert author not in {c.person_id for c in found.candidates}
    scores = [c.score for c in found.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(c.explain(len(files)) for c in found.candidates)


def test_unknown_pull_request_and_explicit_files(ingested: dict[str, Path]) -> None:
    with Store(ingested["networkx"], read_only=True) as store:
        with pytest.raises(InputError, match="no files known"):
            suggest_reviewers(store, 999_999)
        found = suggest_reviewers(store, 999_999, files=["networkx/classes/graph.py"],
                                  as_of=datetime(2020, 1, 1, tzinfo=UTC))  # fmt: skip
        assert found.candidates and found.candidates[0].commits_on_files > 0


def test_gini_hand_values() -> None:
    assert gini([1, 1, 1, 1]) == 0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    assert gini([]) == 0


def test_cli(ingested: dict[str, Path], tmp_path: Path) -> None:
    command = [sys.executable, "-m", "catherd"]
    out = subprocess.run([*command, "reviewers", "999999", "--files", "networkx/classes/graph.py",
                          "--as-of", "2020-01-01", "--json", "--db", str(ingested["networkx"])],
                         capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["candidates"] and data["candidates"][0]["why"]
    load = subprocess.run([*command, "workload", "--json", "--db", str(ingested["networkx"])],
                          capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert load.returncode == 0 and json.loads(load.stdout) == {"gini": 0.0, "reviewers": []}
