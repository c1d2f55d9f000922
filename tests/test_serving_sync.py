"""Syncing while the dashboard serves: admin-only, CSRF-checked, readers never blocked, and
`catherd sync` hands the work to the running server."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient

from catherd.config import Config, RepositorySpec
from catherd.store.database import Store
from catherd.web.accounts import add_user
from catherd.web.app import create_app
from catherd.web.syncing import serve_file

from .conftest import commit_count, post_login, serving

PASSWORD = "correct horse battery"  # synthetic accounts made by the tests


def app_for(tmp_path: Path, location: str) -> TestClient:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        add_user(store, "ada", PASSWORD, "admin")
        add_user(store, "vic", PASSWORD, "viewer")
    config = Config(root=tmp_path, db=db, repositories=[RepositorySpec(location)])
    return TestClient(create_app(db, config=config), base_url="http://127.0.0.1")


def session(client: TestClient, who: str) -> tuple[TestClient, str]:
    browser = TestClient(client.app, base_url="http://127.0.0.1")
    post_login(browser, who, PASSWORD)
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/").text).group(1)
    return browser, token


def test_admins_sync_from_the_page_and_readers_are_not_blocked(
    tmp_path: Path, mirrors: dict[str, Path]
) -> None:
    client = app_for(tmp_path, str(mirrors["networkx"]))
    viewer, viewer_token = session(client, "vic")
    assert (
        viewer.post("/admin/sync", data={"csrf": viewer_token}, follow_redirects=False).status_code
        == 403
    )
    admin, token = session(client, "ada")
    assert client.get("/api/overview").json()["totals"]["commits"] == 0  # and kept by the server
    assert admin.post("/admin/sync", data={}, follow_redirects=False).status_code == 403  # no CSRF
    assert (
        admin.post("/admin/sync", data={"csrf": token}, follow_redirects=False).status_code == 303
    )
    runner = client.app.state.board.runner
    seen, slowest = set(), 0.0
    while runner.state.get("running"):
        started = time.monotonic()
        answer = client.get("/api/overview")
        slowest = max(slowest, time.monotonic() - started)
        assert answer.status_code == 200
        seen.add(answer.json()["totals"]["commits"])
    runner.wait()
    total = commit_count(mirrors["networkx"])
    assert runner.state["ok"] and runner.state["commits_added"] == total
    assert seen <= {0, total}  # readers see before or after, never half a repository
    assert slowest < 5
    assert client.get("/api/overview").json()["totals"]["commits"] == total
    assert "finished" in admin.get("/admin").text


def test_cli_sync_asks_the_running_server(tmp_path: Path, mirrors: dict[str, Path]) -> None:
    client = app_for(tmp_path, str(mirrors["devstats"]))
    board = client.app.state.board
    with serving(client.app):
        assert serve_file(board.store.path).stat().st_mode & 0o777 == 0o600
        command = [sys.executable, "-m", "catherd", "sync", "--db", str(board.store.path)]
        proc = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120)
        # commands that write cannot open the store while it is served, and say why
        merge = [sys.executable, "-m", "catherd", "people", "merge", "a@x.org", "b@x.org",
                 "--db", str(board.store.path)]  # fmt: skip
        refused = subprocess.run(merge, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "holds the store" in proc.stdout and "146 commits added" in proc.stdout
    assert board.store.scalar("SELECT count(*) FROM commits") == 146
    assert refused.returncode == 4 and "the dashboard (http://127.0.0.1:" in refused.stderr


def test_the_local_token_is_required(tmp_path: Path, mirrors: dict[str, Path]) -> None:
    client = app_for(tmp_path, str(mirrors["devstats"]))
    client.app.state.board.local_token = "the-real-token"
    forged = client.post("/api/admin/sync", headers={"Authorization": "Bearer guessed"})
    assert forged.status_code == 403
    assert client.get("/api/admin/sync").status_code == 403


def test_admins_manage_accounts_from_the_page(tmp_path: Path, mirrors: dict[str, Path]) -> None:
    client = app_for(tmp_path, str(mirrors["devstats"]))
    admin, token = session(client, "ada")
    form = {"csrf": token, "action": "add", "username": "new", "role": "team",
            "password": "a long enough password"}  # fmt: skip
    assert (
        admin.post("/admin/users", data={**form, "csrf": ""}, follow_redirects=False).status_code
        == 403
    )
    assert admin.post("/admin/users", data=form, follow_redirects=False).status_code == 303
    assert admin.post("/admin/users", data={**form, "password": "short"}).status_code == 422
    newcomer = TestClient(client.app, base_url="http://127.0.0.1")
    login = ("new", "a long enough password")
    assert post_login(newcomer, *login, follow_redirects=False).status_code == 303
    off = {"csrf": token, "action": "disable", "username": "new"}
    assert admin.post("/admin/users", data=off, follow_redirects=False).status_code == 303
    again = TestClient(client.app, base_url="http://127.0.0.1")
    assert post_login(again, *login, follow_redirects=False).status_code == 401
    own = {"csrf": token, "action": "disable", "username": "ada"}
    assert admin.post("/admin/users", data=own).status_code == 422  # never one's own account
    viewer, viewer_token = session(client, "vic")
    assert viewer.post("/admin/users", data={**form, "csrf": viewer_token}).status_code == 403
