"""The dashboard over a real store (cloudpickle's history): pages, API, roles, CSRF, throttling.

Browser tests in headless Chromium come with the rest of issue 4; these drive the real
FastAPI application through its ASGI interface (httpx), with real argon2 hashes.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from catherd.store.database import Store
from catherd.web.accounts import add_user
from catherd.web.app import create_app

from .conftest import post_login

PASSWORD = "correct horse battery"  # synthetic accounts, made by the tests
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, ingested: dict[str, Path]) -> TestClient:
    db = tmp_path_factory.mktemp("web") / "s.duckdb"
    shutil.copy(ingested["cloudpickle"], db)
    with Store(db) as store:
        for name, role in (("ada", "admin"), ("tom", "team"), ("vic", "viewer")):
            add_user(store, name, PASSWORD, role)
    return TestClient(create_app(db), base_url="http://127.0.0.1")


def login(client: TestClient, username: str) -> TestClient:
    session = TestClient(client.app, base_url="http://127.0.0.1")
    response = post_login(session, username, PASSWORD, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    return session


def test_public_pages_for_anonymous_visitors_without_addresses(client: TestClient) -> None:
    paths = ["/", "/metrics", "/metrics?name=bus_factor&by=year", "/api/overview", "/api/metrics"]
    for path in [*paths, "/api/metrics/active_contributors"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not EMAIL.search(response.text), f"an address leaked on {path}"
    csv = client.get("/metrics.csv?name=commits&by=year")
    assert csv.status_code == 200 and csv.text.startswith("period,commits")


def test_charts_carry_the_api_numbers_and_their_script_comes_from_here(client: TestClient) -> None:
    page = client.get("/?by=year")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    spec = json.loads(re.search(r'<script type="application/json">(.*?)</script>', page.text,
                                re.S).group(1))  # fmt: skip
    values = spec["data"].get("values") or spec["datasets"][spec["data"]["name"]]
    drawn = {(v["period"], v["series"]): v["value"] for v in values}
    trend = client.get("/api/overview?by=year").json()["trend"]
    assert drawn == {
        **{(t["period"], "Active contributors"): t["active"] for t in trend},
        **{(t["period"], "New contributors"): t["new"] for t in trend},
    }
    address = re.search(r'<script src="(/assets/charts-[^"]+\.js)" defer>', page.text).group(1)
    script = client.get(address, headers={"accept-encoding": "gzip"})
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert "immutable" in script.headers["cache-control"]
    assert script.headers["content-encoding"] == "gzip"  # 900 kB of libraries, sent compressed
    assert "figure.chart" in script.text and len(script.content) > 500_000  # with its libraries


def test_team_pages_need_an_account(client: TestClient) -> None:
    assert client.get("/contributors", follow_redirects=False).status_code == 303
    assert client.get("/api/people").status_code == 401
    person = login(client, "tom").get("/api/people").json()[0]["person_id"]
    assert client.get(f"/api/people/{person}").status_code == 401


def test_roles_decide_who_sees_addresses(client: TestClient) -> None:
    viewer, team = login(client, "vic"), login(client, "tom")
    assert viewer.get("/contributors").status_code == 200
    assert not EMAIL.search(viewer.get("/contributors").text)
    assert not EMAIL.search(viewer.get("/api/people").text)
    assert EMAIL.search(team.get("/contributors").text)
    top = team.get("/api/people").json()[0]
    assert top["primary_email"] and top["contributions"] >= 100
    page = team.get(f"/people/{top['person_id']}")
    assert page.status_code == 200 and top["display_name"] in page.text


def test_forms_without_the_csrf_token_are_refused(client: TestClient) -> None:
    session = login(client, "ada")
    assert session.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert (
        session.post("/logout", data={"csrf": "forged"}, follow_redirects=False).status_code == 403
    )
    token = re.search(r'name="csrf" value="([^"]+)"', session.get("/").text).group(1)
    assert session.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303


def test_bad_parameters_are_clear(client: TestClient) -> None:
    assert client.get("/api/metrics/nonsense").status_code == 404
    response = client.get("/api/metrics/commits?by=week")
    assert response.status_code == 422 and "choose one of" in response.text
    assert client.get("/api/openapi.json").json()["info"]["title"] == "catherd"


def test_every_page_answers_and_team_pages_are_guarded(client: TestClient) -> None:
    team, viewer = login(client, "tom"), login(client, "vic")
    for path in ("/organisations", "/newcomers", "/repositories", "/api/organisations",
                 "/api/newcomers", "/api/repositories"):  # fmt: skip
        assert team.get(path).status_code == 200, path
        assert client.get(path, follow_redirects=False).status_code in (303, 401), path
    assert team.get("/triage").status_code == 200 and "Review workload" in team.get("/triage").text
    assert viewer.get("/triage", follow_redirects=False).status_code == 403
    assert client.get("/triage", follow_redirects=False).status_code == 303
    assert set(team.get("/api/triage").json()) == {"queue", "load", "gini"}
    assert viewer.get("/api/triage").status_code == 403
    assert client.get("/api/triage").status_code == 401
    organisations = team.get("/api/organisations").json()
    assert abs(sum(o["share"] for o in organisations) - 1) < 1e-9
    newcomers = team.get("/api/newcomers").json()
    assert newcomers and {"came_back_90", "came_back_365", "first_at"} <= set(newcomers[0])


def test_filters_and_reports(client: TestClient) -> None:
    team = login(client, "tom")
    everyone = team.get("/api/people").json()
    gmail = team.get("/api/people?org=personal").json()
    assert 0 < len(gmail) < len(everyone)
    assert team.get("/api/people?repo=cloudpickle").json() == everyone  # one repository here
    assert team.get("/api/people?repo=nope").json() == []
    recent = team.get("/api/people?newcomers=true").json()
    assert 0 < len(recent) < len(everyone)
    assert all(p["first_at"] >= "2024-11" for p in recent)  # the last year of data ends 2025-11
    by_repo = team.get("/api/metrics/commits?by=year&repo=cloudpickle").json()
    assert by_repo["rows"] == team.get("/api/metrics/commits?by=year").json()["rows"]
    assert team.get("/api/metrics/commits?repo=nope").status_code == 422
    html = team.get("/reports/community.html")
    assert html.status_code == 200 and html.text.count("<svg") == 4
    assert not EMAIL.search(html.text)
    markdown = team.get("/reports/community.md?by=year")
    assert markdown.headers["content-disposition"].endswith('community-report.md"')
    assert "## Top contributors" in markdown.text
    assert client.get("/reports/community.html", follow_redirects=False).status_code == 303


def test_names_as_typed_are_escaped_on_pages_and_in_reports(
    tmp_path: Path, ingested: dict[str, Path]
) -> None:
    """SYNTHETIC hostile name: anyone may commit as <script>...; it must show as text."""
    db = tmp_path / "s.duckdb"
    shutil.copy(ingested["cloudpickle"], db)
    hostile = '<img src=x onerror="alert(1)">'
    with Store(db) as store:
        busiest = store.scalar(
            "SELECT person_id FROM contributions GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        with store.transaction() as con:
            con.execute(
                "UPDATE people SET display_name = ? WHERE person_id = ?", [hostile, busiest]
            )
        add_user(store, "tom", PASSWORD, "team")
    client = TestClient(create_app(db), base_url="http://127.0.0.1")
    team = login(client, "tom")
    for path in ("/contributors", f"/people/{busiest}", "/reports/community.html"):
        page = team.get(path)
        assert page.status_code == 200, path
        assert hostile not in page.text and "&lt;img src=x" in page.text, path
