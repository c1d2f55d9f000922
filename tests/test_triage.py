"""The triage queue on real recorded GitHub answers (PyGithub, 2012), checked by hand.

At 2012-06-01 every one of the 16 issues is open. With jacquev6 (the maintainer) as team:
#24 and #27 were answered (assigned) and their authors did not answer back; the issues
last touched before 2012-04-02 are stale (60 days): #2, #4, #9, #12-#14, #16-#20 (11 items;
#3 was updated on 2012-05-19). Without a team, jacquev6's own issues count as unanswered.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from catherd.errors import InputError
from catherd.triage.queue import TriageRules, triage_queue

from .test_github_metrics import store  # noqa: F401  (the module-scoped store fixture)

AS_OF = datetime(2012, 6, 1, tzinfo=UTC)


def test_queue_with_the_team_known(store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    queue = triage_queue(store, TriageRules(team=("jacquev6",)), AS_OF)
    assert {r["number"] for r in queue} == {2, 4, 9, 12, 13, 14, 16, 17, 18, 19, 20}
    assert {r["reason"] for r in queue} == {"stale"}
    assert queue[0]["waiting_days"] >= queue[-1]["waiting_days"]
    assert queue[0]["url"].endswith(f"/issues/{queue[0]['number']}") or queue[0]["url"]


def test_without_a_team_own_issues_wait_for_an_answer(store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    queue = {r["number"]: r for r in triage_queue(store, TriageRules(), AS_OF)}
    assert queue[30]["reason"] == "no-response"  # opened 2012-05-27, 5 days before
    assert queue[30]["why"] == "no response from anyone else for 4 days"
    assert 24 not in queue and 27 not in queue  # answered, nothing waiting
    # newcomers first: bilderbuchi's and roskakori's first issues are not waiting; the first
    # item of the queue is jacquev6's first issue (#2), a newcomer in this partial history
    first = triage_queue(store, TriageRules(), AS_OF)[0]
    assert first["newcomer"] and first["number"] == 2


def test_rules_from_config_are_validated() -> None:
    rules = TriageRules.from_config({"response_days": 1, "team": ["Jacquev6"]})
    assert rules.response_days == 1 and rules.team == ("jacquev6",)
    with pytest.raises(InputError, match="stale_days must be a number"):
        TriageRules.from_config({"stale_days": "soon"})


def test_cli_outputs(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    store.con.execute("CHECKPOINT")
    copy = tmp_path / "copy.duckdb"  # the fixture holds the store's lock: read a copy
    shutil.copy(store.path, copy)
    command = [
        sys.executable,
        "-m",
        "catherd",
        "triage",
        "--db",
        str(copy),
        "--as-of",
        "2012-06-01",
    ]
    out = subprocess.run([*command, "--json"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)) == 14  # all 16 but #24 and #27, answered
    markdown = subprocess.run([*command, "--md"], capture_output=True, text=True, cwd=tmp_path)
    assert markdown.stdout.startswith("## Triage queue (14)")
    assert "PyGithub/PyGithub#30" in markdown.stdout
