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
from typing import Any

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
        add_user(store, "ada", PASSWORD, "admin")
    funding = {"currency": "EUR", "rates": {"USD": 0.9, "GBP": 1.2}, "balance": 2000}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = Config(root=db.parent, db=db, funding=funding, overrides=db.parent / "identities.toml")
    app = create_app(db, config=config)
    web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not web.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    web.should_exit = True
    thread.join(timeout=10)


def _log_in(page: Any, server: str, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")


def test_a_team_members_day(server: str) -> None:
    """The walk a team member makes on a working morning, at a laptop's width: today's work
    on the home page, the triage queue, a duplicate decided, a metric read, the team report
    downloaded, and a logout that really ends the session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(
            viewport={"width": 1400, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        errors: list[str] = []
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None
        )
        page.goto(f"{server}/triage")
        assert "/login" in page.url  # a team page: anonymous visitors are sent to log in
        _log_in(page, server, "tom")
        page.wait_for_url(f"{server}/triage")
        page.goto(f"{server}/")
        assert page.locator("h2", has_text="Today's work").count() == 1
        waiting = page.locator("section.today table tbody tr")
        assert waiting.count() > 0  # PyGithub's 2012 issues still wait for an answer
        page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
        queue_size = int(re.search(r"all (\d+) in the triage queue",
                                   page.locator("a.more[href='/triage']").inner_text()).group(1))  # type: ignore[union-attr]  # fmt: skip
        page.click("a.more[href='/triage']")
        page.wait_for_url(f"{server}/triage")
        assert page.locator("table tbody tr").count() == queue_size
        page.screenshot(path=str(ARTIFACTS / "triage.png"), full_page=True)
        page.goto(f"{server}/duplicates")
        pairs = page.locator("table tbody tr").count()
        if pairs:
            first = page.locator("table tbody tr").first
            name = first.locator("td:nth-child(2) a").inner_text()
            first.locator("button", has_text="Same person").click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Probable duplicate people"
            assert page.locator("table tbody tr").count() < pairs, name
        page.screenshot(path=str(ARTIFACTS / "duplicates.png"), full_page=True)
        page.goto(f"{server}/metrics?name=retention&by=year")
        page.wait_for_selector("figure.chart svg.marks", timeout=10_000)
        cells = page.locator("table tbody td").all_inner_texts()
        assert any(re.fullmatch(r"\d{1,3}%", c) for c in cells), cells[:12]  # a share as %
        page.screenshot(path=str(ARTIFACTS / "metric-retention.png"), full_page=True)
        page.goto(f"{server}/reports")
        with page.expect_download() as download:
            page.click("button[formaction='/reports/team.pdf']")
        pdf = Path(download.value.path())
        assert pdf.read_bytes().startswith(b"%PDF")
        assert download.value.suggested_filename == "team-report-public.pdf"
        cookies = context.cookies()
        page.locator("button", has_text="Log out").click()
        page.wait_for_load_state()
        assert page.locator("text=Log in").count() >= 1
        # the old session cookie, replayed by someone who kept it, opens nothing
        thief = browser.new_context()
        thief.add_cookies(cookies)
        stolen = thief.new_page()
        stolen.goto(f"{server}/triage")
        assert "/login" in stolen.url
        browser.close()
    assert errors == []


def test_every_page_draws(server: str) -> None:
    """Every page answers, draws its charts without a console error, and is kept as a
    screenshot for a person to look at."""
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server}/login")
        _log_in(page, server, "ada")
        page.wait_for_url(f"{server}/")
        page.goto(f"{server}/contributors")
        assert page.locator("table tbody tr").count() == 100  # the first page of many
        assert page.locator("a", has_text="Next").count() == 1
        page.screenshot(path=str(ARTIFACTS / "contributors.png"))
        page.click("table tbody tr:first-child a")
        assert page.locator("h2", has_text="Identities").count() == 1
        page.screenshot(path=str(ARTIFACTS / "person.png"), full_page=True)
        pages = [
            ("/metrics?name=bus_factor&by=year", "metrics"), ("/organisations", "organisations"),
            ("/newcomers", "newcomers"), ("/repositories", "repositories"),
            ("/reports", "reports"), ("/releases", "releases"), ("/decisions", "decisions"),
            ("/traffic", "traffic"), ("/partners", "partners"), ("/priorities", "priorities"),
            ("/prospects", "prospects"), ("/admin", "admin"), ("/funnel", "funnel"),
            ("/sprints", "sprints"), ("/reports/digest", "digest"),
        ]  # fmt: skip
        for path, name in pages:
            response = page.goto(f"{server}{path}")
            assert response is not None and response.status == 200, path
            if name in ("metrics", "partners", "priorities"):
                page.wait_for_selector("figure.chart svg.marks", timeout=10_000)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        page.goto(f"{server}/metrics?name=commits&by=year")
        with page.expect_download() as download:
            page.click("text=Download CSV")
        assert download.value.suggested_filename == "commits.csv"
        assert errors == []
        missing = page.goto(f"{server}/people/999999999")
        assert missing is not None and missing.status == 404
        assert page.locator("h1").count() == 1 and "<html" in page.content()  # a page, not JSON
        page.screenshot(path=str(ARTIFACTS / "not-found.png"))
        browser.close()


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
