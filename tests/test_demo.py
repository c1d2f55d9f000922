"""``catherd demo`` end to end, as a new user runs it: from the sample shipped in the package
alone (no ../shared, no network), then again, then with the dashboard."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from catherd.demo.replay import read_recording
from catherd.demo.sample import BUNDLE, RECORDINGS, RECORDS
from catherd.partners.records import read_folder
from catherd.store.database import Store

from .conftest import commit_count, table_digest

ENV = {"COLUMNS": "200", "PATH": os.environ["PATH"], "HOME": "/nonexistent"}


def catherd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "catherd", *args], capture_output=True,
                          text=True, cwd=cwd, env=ENV, timeout=600)  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    folder = tmp_path_factory.mktemp("first-run")
    run = catherd("demo", cwd=folder)
    assert run.returncode == 0, run.stderr
    return folder / "catherd-demo", run


def test_the_demo_builds_a_store_and_writes_the_report(
    demo: tuple[Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    folder, run = demo
    # it says where each part of the sample comes from, and that they are not one project
    assert "another repository, PyGithub/PyGithub" in run.stdout and "SYNTHETIC" in run.stdout
    assert "issue_comment: not available (404); skipped" in run.stdout
    # progress names what it counts and ends each step
    assert "486/486 commits" in run.stderr and "GitHub items" in run.stderr
    assert "identities" in run.stderr and "done" in run.stderr
    for name in ("index.html", "report.md", "charts/contributors.svg"):
        assert (folder / "report" / name).is_file(), name
    assert (folder / "catherd.toml").is_file()
    # against independent counts: git itself, the recorded answers, the record files
    subprocess.run(["git", "clone", "-q", "--mirror", str(BUNDLE), str(tmp_path / "m")],
                   check=True)  # fmt: skip
    commits = commit_count(tmp_path / "m")  # the default branch and every version tag
    issues = json.loads(read_recording(RECORDINGS / "Repository.testGetIssues.txt")[0].body)
    records, problems = read_folder(RECORDS)
    assert not problems
    with Store(folder / "catherd.duckdb", read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM commits") == commits == 486
        assert store.scalar("SELECT count(*) FROM gh_items") == len(issues) == 16
        assert store.scalar("SELECT count(*) FROM records") == sum(
            len(found) for found in records.by_kind.values()
        )
        # payloads are stored as GitHub sent them (the replay server's address is not in them)
        assert not store.scalar("SELECT count(*) FROM github_raw WHERE payload LIKE '%127.0.0.1%'")
    html = (folder / "report" / "index.html").read_text()
    assert "catherd demo" in html and "<svg" in html


def test_running_it_again_changes_nothing(demo: tuple[Path, subprocess.CompletedProcess]) -> None:
    folder, _ = demo
    with Store(folder / "catherd.duckdb", read_only=True) as store:
        before = table_digest(store)
    again = catherd("demo", cwd=folder.parent)
    assert again.returncode == 0, again.stderr
    assert "0 change(s) imported" in again.stdout
    with Store(folder / "catherd.duckdb", read_only=True) as store:
        assert table_digest(store) == before


def test_it_never_overwrites_a_project_file_of_its_own(tmp_path: Path) -> None:
    mine = tmp_path / "catherd.toml"
    mine.write_text('[project]\nname = "mine"\n')
    refused = catherd("demo", "-o", str(tmp_path), cwd=tmp_path)
    assert refused.returncode == 2 and "is not the demo's" in refused.stderr
    assert mine.read_text() == '[project]\nname = "mine"\n'


def test_other_commands_work_on_the_demo_project(
    demo: tuple[Path, subprocess.CompletedProcess],
) -> None:
    folder, _ = demo
    status = catherd("--config", "catherd.toml", "status", "--json", cwd=folder)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["github_issues"] == 16
    team = catherd("team", "--json", cwd=folder)  # ./catherd.toml names the store
    assert team.returncode == 0 and {m["id"] for m in json.loads(team.stdout)} == {
        "cloudpickle-maintainer", "triager"}  # fmt: skip


def test_the_demo_serves_the_dashboard_with_an_account_it_prints(tmp_path: Path) -> None:
    with socket_port() as port:
        pass
    server = subprocess.Popen(
        [sys.executable, "-m", "catherd", "demo", "--serve", "--port", str(port)],
        cwd=tmp_path, env={**ENV, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    announced = tmp_path / "catherd-demo" / "catherd.duckdb.serve.json"
    try:
        printed = ""
        while not (password := re.search(r"demo / password (\S+)", printed)):
            line = server.stdout.readline()
            assert line, f"the demo ended without an account: {printed}"
            printed += line
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url) as browser:
            deadline = time.monotonic() + 120
            while True:
                try:
                    form = browser.get("/login").text
                    break
                except httpx.ConnectError:
                    assert time.monotonic() < deadline, "the demo's dashboard did not start"
                    time.sleep(0.2)
            token = re.search(r'action="/login".*?name="csrf" value="([^"]+)"', form, re.S)
            login = {"username": "demo", "password": password.group(1), "csrf": token.group(1)}
            assert browser.post("/login", data=login).status_code == 303
            partners = browser.get("/api/partners")
            assert partners.status_code == 200
            assert "Example Foundation (synthetic)" in partners.text
            assert announced.exists()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    assert not announced.exists()  # withdrawn at exit


class socket_port:
    """A free loopback port (closed again before the server takes it)."""

    def __enter__(self) -> int:
        import socket

        self.probe = socket.socket()
        self.probe.bind(("127.0.0.1", 0))
        return int(self.probe.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.probe.close()
