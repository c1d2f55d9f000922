"""End to end in a real headless Chromium (Debian's, started by Playwright): log in, browse
every page on real data, charts drawn, no console errors, screenshots kept for a person."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from catherd.config import Config
from catherd.web.accounts import add_user
from catherd.web.app import create_app

from .test_partners import partners_store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("CATHERD_ARTIFACTS", Path(__file__).parent / "artifacts"))
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PASSWORD = "correct horse battery"  # a synthetic account made by the test
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[a-z]{2,}")  # not vega-embed's CSS "@keyframes"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, ingested: dict[str, Path]) -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    db = tmp_path_factory.mktemp("browser") / "s.duckdb"
    with partners_store(db, ingested["networkx"]) as store:  # with SYNTHETIC records
        add_user(store, "tom", PASSWORD, "team")
        add_user(store, "vic", PASSWORD, "viewer")
    funding = {"currency": "EUR", "rates": {"USD": 0.9, "GBP": 1.2}, "balance": 2000}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(db, config=Config(root=db.parent, db=db, funding=funding))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not web.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    web.should_exit = True
    thread.join(timeout=10)


def test_browse_every_page_in_chromium(server: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server}/contributors")
        assert "/login" in page.url  # a team page: anonymous visitors are sent to log in
        page.fill("input[name=username]", "tom")
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{server}/contributors")
        assert page.locator("table tbody tr").count() > 100
        page.screenshot(path=str(ARTIFACTS / "contributors.png"), full_page=False)
        page.click("table tbody tr:first-child a")
        assert page.locator("h2", has_text="Identities").count() == 1
        page.screenshot(path=str(ARTIFACTS / "person.png"))
        pages = [
            ("/", "overview"), ("/metrics?name=bus_factor&by=year", "metrics"),
            ("/organisations", "organisations"), ("/newcomers", "newcomers"),
            ("/triage", "triage"), ("/repositories", "repositories"), ("/reports", "reports"),
            ("/contributors?newcomers=true", "newcomers-filter"), ("/partners", "partners"),
            ("/priorities", "priorities"), ("/prospects", "prospects"),
        ]  # fmt: skip
        for path, name in pages:
            response = page.goto(f"{server}{path}")
            assert response is not None and response.status == 200, path
            if name in ("overview", "metrics", "partners", "priorities"):
                page.wait_for_selector("figure.chart svg.marks", timeout=10_000)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        page.goto(f"{server}/metrics?name=commits&by=year")
        with page.expect_download() as download:
            page.click("text=Download CSV")
        assert download.value.suggested_filename == "commits.csv"
        browser.close()
    assert errors == []


def test_security_from_the_browser(server: str) -> None:
    """What an anonymous visitor and a viewer can do, tried from a real browser."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        anonymous = browser.new_page()
        for path in ("/contributors", "/triage", "/admin", "/reports", "/partners", "/prospects"):
            anonymous.goto(f"{server}{path}")
            assert "/login" in anonymous.url, path
        for api in ("/api/people", "/api/partners", "/api/prospects", "/api/records/log"):
            assert anonymous.request.get(f"{server}{api}").status == 401, api
        supporters = anonymous.goto(f"{server}/supporters")
        assert supporters is not None and supporters.status == 200
        assert "Acme Analytics" in anonymous.content() and "Globex" not in anonymous.content()
        anonymous.screenshot(path=str(ARTIFACTS / "supporters.png"), full_page=True)
        overview = anonymous.goto(f"{server}/")
        assert overview is not None
        anonymous.wait_for_selector("figure.chart svg.marks")  # drawn by vega-embed, served here
        assert not EMAIL.search(anonymous.content())
        viewer = browser.new_page()
        viewer.goto(f"{server}/login")
        viewer.fill("input[name=username]", "vic")
        viewer.fill("input[name=password]", PASSWORD)
        viewer.click("button.primary")
        viewer.wait_for_url(f"{server}/")
        # a viewer's session posting without (or with) a CSRF token cannot start a sync
        assert viewer.request.post(f"{server}/admin/sync", form={}).status == 403
        token = viewer.locator("input[name=csrf]").first.get_attribute("value")
        assert viewer.request.post(f"{server}/admin/sync", form={"csrf": token}).status == 403
        assert viewer.request.post(f"{server}/logout", form={}).status == 403  # no CSRF token
        # partnership pages are the team's: a viewer neither sees nor edits them
        assert viewer.request.get(f"{server}/api/partners").status == 403
        edit = viewer.request.post(f"{server}/records/agreement/acme-2026",
                                   form={"csrf": token, "text": 'id = "acme-2026"'})  # fmt: skip
        assert edit.status == 403
        browser.close()
