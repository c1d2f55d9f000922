"""The CLI while `catherd serve` holds the store: read commands answer through the dashboard
(the same answers as from the file itself), account changes go through it and end sessions,
and ``--db`` works before the command as after it.

The store is the demo's, built from the sample shipped with catherd (cloudpickle's history,
PyGithub's recorded GitHub traffic, SYNTHETIC records); the dashboard runs in this process on
a loopback port, the CLI in real processes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from catherd.cli.main import app as app_of_cli
from catherd.config import Config
from catherd.demo.sample import build
from catherd.store.database import Store
from catherd.web.accounts import add_user
from catherd.web.app import create_app

from .conftest import serving

PASSWORD = "correct horse battery"  # SYNTHETIC accounts made by the test
# Read commands and their --json forms: the answer through the dashboard must be the
# answer from the file, byte for byte.
READS = [
    ["status", "--json"],
    ["metrics", "--json"],
    ["metrics", "active_contributors", "--by", "year", "--json"],
    ["metrics", "time_to_first_response", "--by", "month", "--json"],
    ["people", "--limit", "5", "--json"],
    ["people", "suggest", "--json"],
    ["triage", "--as-of", "2012-06-01", "--json"],
    ["workload", "--json"],
    ["partners", "--json"],
    ["partners", "runway", "--as-of", "2025-10-01", "--json"],
    ["partners", "prospects", "--as-of", "2025-10-01", "--json"],
    ["team", "--json"],
    ["priorities", "--json"],
    ["users", "list", "--json"],
    ["newcomers", "funnel", "--by", "quarter", "--as-of", "2026-01-01", "--json"],
    ["newcomers", "stuck", "--as-of", "2012-06-01", "--json"],
    ["newcomers", "mentors", "--json"],
    ["sprint", "--json"],
    ["sprint", "detect", "--json"],
]


def catherd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "catherd", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300, input="")  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Config:
    made = build(tmp_path_factory.mktemp("beside") / "demo")
    with Store(made.config.db) as store:
        add_user(store, "ada", PASSWORD, "admin")
        add_user(store, "tom", PASSWORD, "team")
    return made.config


def test_read_commands_answer_through_the_dashboard_as_from_the_file(
    demo: Config, tmp_path: Path
) -> None:
    # the project file and store given before the command here, after it below
    given = ["--config", str(demo.source), "--db", str(demo.db)]
    app = create_app(demo.db, config=demo)
    with serving(app):
        served = [catherd(*given, *command, cwd=tmp_path) for command in READS]
        report = catherd(*given, "report", "-o", str(tmp_path / "served"), cwd=tmp_path)
        team = catherd(*given, "report", "team", "--period", "2025", "--no-pdf", "-o",
                       str(tmp_path / "team"), cwd=tmp_path)  # fmt: skip
    app.state.board.store.close()
    for command, answer in zip(READS, served, strict=True):
        assert answer.returncode == 0, (command, answer.stderr)
    assert report.returncode == 0 and team.returncode == 0, report.stderr + team.stderr
    # the same commands on the file itself, with the dashboard gone (in this process: faster)
    runner = CliRunner()
    for command, through in zip(READS, served, strict=True):
        alone = runner.invoke(app_of_cli, [*command, *given])
        assert alone.exit_code == 0, (command, alone.output)
        assert json.loads(through.stdout) == json.loads(alone.stdout), command
    assert json.loads(served[0].stdout)["commits"] == 486  # cloudpickle's branch and tags
    alone = runner.invoke(app_of_cli, ["report", *given, "-o", str(tmp_path / "alone")])
    assert alone.exit_code == 0, alone.output
    for name in ("report.md", "charts/contributors.svg"):
        texts = [(tmp_path / run / name).read_text() for run in ("served", "alone")]
        assert _undated(texts[0]) == _undated(texts[1])  # the two may straddle midnight
    assert (tmp_path / "team" / "sponsors" / "report.md").is_file()


def _undated(text: str) -> str:
    return re.sub(r"generated \d{1,2} \w+ \d{4}", "generated", text)


def test_account_changes_go_through_the_dashboard_and_end_sessions(
    demo: Config, tmp_path: Path
) -> None:
    db = str(demo.db)
    app = create_app(demo.db, config=demo)
    with serving(app) as url, httpx.Client(base_url=url) as browser:
        form = browser.get("/login").text
        token = re.search(r'action="/login".*?name="csrf" value="([^"]+)"', form, re.S).group(1)
        login = {"username": "tom", "password": PASSWORD, "csrf": token}
        assert browser.post("/login", data=login).status_code == 303
        assert browser.get("/api/triage").status_code == 200
        role = catherd("users", "role", "tom", "viewer", "--db", db, cwd=tmp_path)
        assert role.returncode == 0, role.stderr
        assert "1 open session(s) ended" in role.stdout and "by the dashboard" in role.stdout
        assert browser.get("/api/triage").status_code == 401  # the old cookie opens nothing
        bad = catherd("users", "role", "tom", "owner", "--db", db, cwd=tmp_path)
        assert bad.returncode == 2 and "choose one of" in bad.stderr
        missing = catherd("users", "disable", "nobody", "--db", db, cwd=tmp_path)
        assert missing.returncode == 2 and "no such account" in missing.stderr
        password = subprocess.run(
            [sys.executable, "-m", "catherd", "users", "password", "tom", "--password-stdin",
             "--db", db], input="a brand new password\n", capture_output=True, text=True,
        )  # fmt: skip
        assert password.returncode == 0, password.stderr
    app.state.board.store.close()
    # and without the dashboard, the same commands change the file directly
    off = catherd("users", "disable", "tom", "--db", db, cwd=tmp_path)
    assert off.returncode == 0 and "by the dashboard" not in off.stdout
    listed = json.loads(catherd("users", "list", "--json", "--db", db, cwd=tmp_path).stdout)
    tom = next(u for u in listed if u["username"] == "tom")
    assert (tom["role"], tom["disabled"], tom["open_sessions"]) == ("viewer", True, 0)
    on = catherd("users", "enable", "tom", "--db", db, cwd=tmp_path)
    assert on.returncode == 0


def test_only_the_local_token_reads_and_only_selects(demo: Config) -> None:
    from fastapi.testclient import TestClient

    from catherd.store.wire import encode_params

    app = create_app(demo.db, config=demo)
    board = app.state.board
    board.local_token = "the-local-token"
    client = TestClient(app, base_url="http://127.0.0.1")
    assert client.post("/api/local/snapshots").status_code == 403
    local = {"Authorization": "Bearer the-local-token"}
    snapshot = client.post("/api/local/snapshots", headers=local).json()["id"]
    path = f"/api/local/snapshots/{snapshot}"
    delete = {"sql": "DELETE FROM commits", **encode_params(None)}
    refused = client.post(path, json=delete, headers=local)
    assert refused.status_code == 400 and "only one SELECT" in refused.text
    two = {"sql": "SELECT 1; DROP TABLE commits", **encode_params(None)}
    assert client.post(path, json=two, headers=local).status_code == 400
    count = {"sql": "SELECT count(*) FROM commits WHERE authored_at >= ?",
             **encode_params(["2020-01-01"])}  # fmt: skip
    assert client.post(path, json=count, headers=local).status_code == 200
    client.delete(path, headers=local)
    assert board.store.scalar("SELECT count(*) FROM commits") == 486
    board.store.close()
