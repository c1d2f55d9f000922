"""The newcomer funnel, stuck newcomers and mentors, against independent computations.

GitHub: every recorded answer of PyGithub/PyGithub's repository-wide listings in
../shared/data/github-api/pygithub (issues with any query, issue and review comments,
issue events) is served, byte for byte, as the pages of one listing by the replay server,
and read by catherd's own client and sync. Read by hand from those recordings: ck3mp3r's
first contact is issue #3032 (2024-09-03 21:31:56), their first pull request #3034
(2024-09-04 15:10:03), 17 h 38 min 7 s later; ten people made first contact in September
2024, six of whom opened a pull request; no recorded pull request has a review, so at
2024-09-17 the first pull requests opened 7 days before or more wait for one: #3006, #3022,
#3028, #3034, #3039, #3040, #3041 (#3043 and #3045 are younger); EnricoMi gave iarspider
(issue #3372) a first comment on 2025-09-16 19:22:02. The same stages are also recomputed
from the recorded JSON in plain Python.

git: networkx's history, every stage recomputed from ``git log`` (tests/test_metrics.py's
GitTruth). Merged pull requests carried by commits, closed pull requests and reviewers are
checked on a small SYNTHETIC project made here.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from catherd.community.funnel import (
    STAGE_NAMES,
    Journey,
    cohort_start,
    funnel_window,
    journeys,
    newcomer_funnel,
    team_logins,
)
from catherd.community.mentors import mentors
from catherd.community.newcomers import list_newcomers
from catherd.community.periods import Window
from catherd.community.stuck import stuck_newcomers
from catherd.config import Config, RepositorySpec
from catherd.demo.replay import Exchange, ReplayServer, read_recording
from catherd.pipeline import refresh_identities, sync
from catherd.store.database import Store
from catherd.store.github_loader import upsert_raw
from catherd.store.github_tables import refresh_github_tables
from catherd.web.accounts import add_user
from catherd.web.app import create_app

from .conftest import git, ingest, post_login, shared_file, synthetic_commit
from .test_github_sync import empty_listings
from .test_metrics import GitTruth

SLUG = "PyGithub/PyGithub"
BASE = f"/repos/{SLUG}"
# recorded answers (any query) whose bodies are pages of the listings a sync reads
LISTINGS = {
    "issues": re.compile(rf"^{BASE}/issues(\?.*)?$"),
    "issues/comments": re.compile(rf"^/(repos/{SLUG}|repositories/3544490)/issues/\d+/comments"),
    "pulls/comments": re.compile(rf"^{BASE}/pulls(/\d+)?/comments"),
    "issues/events": re.compile(rf"^{BASE}/issues/events$"),
}
UTC_TIME = "%Y-%m-%dT%H:%M:%SZ"


def recorded_listings() -> tuple[Exchange, dict[str, list[bytes]]]:
    """The repository's recorded answer, and each listing's distinct recorded pages."""
    folder = shared_file("github-api", "pygithub")
    pages: dict[str, list[bytes]] = {name: [] for name in LISTINGS}
    metadata = None
    for path in sorted(folder.glob("*.txt")):
        for exchange in read_recording(path):
            if exchange.method != "GET" or exchange.status != 200:
                continue
            if exchange.path == BASE and metadata is None:
                metadata = exchange
            for name, pattern in LISTINGS.items():
                fresh = pattern.match(exchange.path) and exchange.body not in pages[name]
                if fresh and isinstance(json.loads(exchange.body), list):
                    pages[name].append(exchange.body)
    assert metadata is not None
    return metadata, pages


def assembled(metadata: Exchange, pages: dict[str, list[bytes]]) -> list[Exchange]:
    """The recorded bodies as the pages of each listing: only the Link headers that chain
    the pages are made here."""
    exchanges = [metadata]
    for name, bodies in pages.items():
        path = f"{BASE}/{name}"
        for n, body in enumerate(bodies, start=1):
            link = f'<https://api.github.com{path}?page={n + 1}>; rel="next"'
            headers = [("Link", link)] if n < len(bodies) else []
            exchanges.append(Exchange("GET", path if n == 1 else f"{path}?page={n}", 200,
                                      headers, body))  # fmt: skip
    return exchanges


@pytest.fixture(scope="module")
def recorded() -> dict[str, list[bytes]]:
    return recorded_listings()[1]


@pytest.fixture(scope="module")
def github(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """PyGithub's recorded activity, synced through the real client."""
    folder = tmp_path_factory.mktemp("funnel-github")
    metadata, pages = recorded_listings()
    with ReplayServer(assembled(metadata, pages), fallback=empty_listings) as server:
        store = Store(folder / "s.duckdb")
        config = Config(root=folder, db=store.path, github_api_url=server.url, github_token=None)
        sync(store, config, [RepositorySpec(f"github:{SLUG}")])
    yield store
    store.close()


def _when(text: str) -> datetime:
    return datetime.strptime(text, UTC_TIME).replace(tzinfo=UTC)


def expected_from_recordings(pages: dict[str, list[bytes]]) -> dict[str, dict[str, datetime]]:
    """Per login (lower case), first contact and first pull request, from the JSON alone."""
    firsts: dict[str, dict[str, datetime]] = defaultdict(dict)

    def seen(user: dict, stage: str, when: datetime) -> None:
        if user and user.get("type") != "Bot":
            login = user["login"].lower()
            firsts[login][stage] = min(firsts[login].get(stage, when), when)

    for body in pages["issues"]:
        for item in json.loads(body):
            when = _when(item["created_at"])
            seen(item["user"], "contact", when)
            if (item.get("pull_request") or {}).get("html_url"):
                seen(item["user"], "opened", when)
    for name in ("issues/comments", "pulls/comments"):
        for body in pages[name]:
            for comment in json.loads(body):
                seen(comment["user"], "contact", _when(comment["created_at"]))
    return firsts


def by_login(found: list[Journey]) -> dict[str, Journey]:
    return {login: j for j in found for login in j.logins}


def test_stages_equal_the_recordings(github: Store, recorded: dict) -> None:
    expected = expected_from_recordings(recorded)
    found = by_login(journeys(github, include_team=True))
    assert set(found) == set(expected)
    for login, stages in expected.items():
        journey = found[login]
        assert journey.contact_at == stages["contact"], login
        assert journey.opened_at == stages.get("opened"), login
        assert journey.merged_at is None  # no recorded pull request was merged
    ck = found["ck3mp3r"]
    assert (ck.contact_kind, ck.contact_number, ck.opened_number) == ("issue", 3032, 3034)
    assert ck.opened_at - ck.contact_at == timedelta(hours=17, minutes=38, seconds=7)
    assert ck.furthest == "opened"


def test_cohorts_hand_checked_and_recomputed(github: Store, recorded: dict) -> None:
    window = Window(date(2024, 7, 1), date(2024, 10, 1))
    data = newcomer_funnel(github, window, "month")
    september = data["cohorts"][-1]
    assert (september["label"], september["people"], september["reached"]["opened"]) == (
        "2024-09", 10, 6)  # fmt: skip
    expected = expected_from_recordings(recorded)
    for cohort in data["cohorts"]:
        month = [s for s in expected.values() if cohort_start(s["contact"], "month")
                 == cohort["cohort"]]  # fmt: skip
        assert cohort["people"] == len(month)
        assert cohort["reached"]["opened"] == sum(1 for s in month if "opened" in s)
        assert cohort["stopped"]["contact"] == sum(1 for s in month if "opened" not in s)
        gaps = [(s["opened"] - s["contact"]).total_seconds() / 86400 for s in month
                if "opened" in s]  # fmt: skip
        median = cohort["median_days"]["contact_to_opened"]
        assert median == (statistics.median(gaps) if gaps else None)
    assert data["all"]["people"] == sum(c["people"] for c in data["cohorts"])
    assert [c["label"] for c in newcomer_funnel(github, window, "quarter")["cohorts"]] == [
        "2024-Q3"]  # fmt: skip


def test_team_members_are_never_newcomers(github: Store) -> None:
    assert team_logins(["github:EnricoMi", "jane@example.org", "github:jacquev6"]) == (
        "enricomi", "jacquev6")  # fmt: skip
    everyone = by_login(journeys(github))
    assert "enricomi" in everyone and "jacquev6" in everyone
    without = by_login(journeys(github, team=("enricomi", "jacquev6")))
    assert set(everyone) - set(without) == {"enricomi", "jacquev6"}
    window = Window(date(2012, 1, 1), date(2026, 1, 1))
    assert newcomer_funnel(github, window, "year", ("enricomi",))["all"]["people"] == (
        newcomer_funnel(github, window, "year")["all"]["people"] - 1)  # fmt: skip


def test_stuck_newcomers_hand_checked(github: Store) -> None:
    as_of = datetime(2024, 9, 17, tzinfo=UTC)
    stuck = stuck_newcomers(github, as_of)
    assert [s["number"] for s in stuck] == [3006, 3022, 3028, 3034, 3039, 3040, 3041]
    assert {s["reason"] for s in stuck} == {"no-review"}
    first = stuck[0]
    assert first["login"] == "jodelasur" and first["why"] == "waiting 61 days for a first review"
    assert first["reviewer"] is None  # nobody reviewed anything in these recordings
    assert [s["number"] for s in stuck_newcomers(github, as_of, days=8)] == [
        3006, 3022, 3028, 3034]  # fmt: skip
    # ck3mp3r's first pull request is not stuck before it was opened
    earlier = stuck_newcomers(github, datetime(2024, 9, 4, tzinfo=UTC), days=0)
    assert 3034 not in [s["number"] for s in earlier]


def test_mentors_hand_checked(github: Store) -> None:
    found = mentors(github, Window(date(2025, 9, 1), date(2025, 10, 1)))
    assert [(m["name"], m["newcomers"], m["first_comments"], m["stayed"]) for m in found] == [
        ("EnricoMi", 1, 1, 0)]  # fmt: skip
    assert mentors(github, Window(date(2025, 9, 1), date(2025, 10, 1)), ("enricomi",)) == [
        {**found[0], "is_team": True}]  # fmt: skip


# -- git: networkx ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def networkx(mirrors: dict[str, Path], ingested: dict[str, Path]) -> tuple[Store, GitTruth]:
    store = Store(ingested["networkx"], read_only=True)
    yield store, GitTruth(mirrors["networkx"], store)
    store.close()


def expected_stages(stamps: list[datetime]) -> dict[str, datetime | None]:
    """From one name group's contribution times, as docs/metrics.md defines the stages."""
    first = min(stamps)
    later = [t for t in stamps if t.date() > first.date()]
    months = sorted({(t.year, t.month) for t in stamps})
    regular = None
    for year, month in months:
        index = year * 12 + month
        active = [m for m in months if 0 <= index - (m[0] * 12 + m[1]) < 6]
        if len(active) >= 3:
            regular = min(t for t in stamps if (t.year, t.month) == (year, month))
            break
    return {"contact": first, "opened": first, "merged": first,
            "second": min(later) if later else None, "regular": regular}  # fmt: skip


def test_stages_on_git_equal_git_log(networkx: tuple[Store, GitTruth]) -> None:
    store, truth = networkx
    expected = truth.newcomers()
    found = {j.subject: j for j in journeys(store)}
    assert set(found) == set(expected)
    for group, (_, stamps) in expected.items():
        journey = found[group]
        for stage, when in expected_stages(stamps).items():
            assert journey.reached(stage) == when, (group, stage)
        assert journey.merged_days == len({t.date() for t in stamps})
    assert sum(1 for j in found.values() if j.regular_at) > 50  # the data has regulars


def test_funnel_on_git_agrees_with_the_newcomer_definition(
    networkx: tuple[Store, GitTruth],
) -> None:
    store, truth = networkx
    window = Window(date(2019, 1, 1), date(2023, 1, 1))
    data = newcomer_funnel(store, window, "year")
    newcomers = list_newcomers(store, window)
    assert data["all"]["people"] == len(newcomers) > 100
    expected = [(first, expected_stages(stamps)) for first, stamps in truth.newcomers().values()
                if date(2019, 1, 1) <= first.date() < date(2023, 1, 1)]  # fmt: skip
    for cohort in data["cohorts"]:
        year = [stages for first, stages in expected if first.year == cohort["cohort"].year]
        for stage in STAGE_NAMES:
            assert cohort["reached"][stage] == sum(1 for s in year if s[stage]), stage
        gaps = [(s["second"] - s["merged"]).total_seconds() / 86400 for s in year if s["second"]]
        assert cohort["median_days"]["merged_to_second"] == pytest.approx(statistics.median(gaps))
        assert cohort["median_days"]["contact_to_opened"] == 0  # git alone: the same day
    assert funnel_window(store) is not None


# -- SYNTHETIC: GitHub and git together ---------------------------------------------------------

REPO = "o/r"
NEWBIE = "newbie <1234+newbie@users.noreply.github.com>"


def _item(number: int, author: str, created: str, *, pr: bool = False, state: str = "open",
          closed: str | None = None, labels: tuple[str, ...] = (),
          body: str = "") -> dict:  # fmt: skip
    return {"id": 1000 + number, "number": number, "title": f"SYNTHETIC item {number}",
            "user": {"login": author, "type": "User"}, "state": state, "created_at": created,
            "updated_at": closed or created, "closed_at": closed, "body": body,
            "labels": [{"name": name} for name in labels], "assignees": [],
            "html_url": f"https://github.com/{REPO}/{'pull' if pr else 'issues'}/{number}",
            "pull_request": {"html_url": f"https://github.com/{REPO}/pull/{number}"}
            if pr else None}  # fmt: skip


def synthetic_project(folder: Path) -> Store:
    """SYNTHETIC: a maintainer's code, a newcomer's way in, two stuck pull requests.

    maint (team) wrote src/a.py in 2023. newbie opened issue #1 on 2024-01-02 (maint
    commented the next day), pull request #2 on 2024-01-05, reviewed by maint on 01-06 and
    squash-merged on 01-08 as a commit newbie authored that day (the same work: counted
    once), then pushed commits on 2024-02-10 and 2024-03-15 (a third month: regular). quiet
    opened #3 on 2024-03-01, closed unmerged on 03-20 without a word; waiting opened #4 on
    2024-03-10 on src/a.py; maint commented on it, nobody reviewed it.
    """
    repo = folder / "project"
    git(folder, "init", "-q", str(repo))
    synthetic_commit(repo, "Maint", "maint@example.org", "2023-06-01T10:00:00+00:00",
                     file="src/a.py")  # fmt: skip
    synthetic_commit(repo, "Maint", "maint@example.org", "2023-09-01T10:00:00+00:00",
                     file="src/a.py")  # fmt: skip
    name, email = NEWBIE[:-1].split(" <")
    squash = synthetic_commit(repo, name, email, "2024-01-08T09:00:00+00:00",
                              "SYNTHETIC feature (#2)", file="src/b.py")  # fmt: skip
    synthetic_commit(repo, name, email, "2024-02-10T09:00:00+00:00", file="src/b.py")
    synthetic_commit(repo, name, email, "2024-03-15T09:00:00+00:00", file="src/b.py")
    store = Store(folder / "s.duckdb")
    ingest(store, folder, str(repo), team=["maint@example.org"], triage={"team": ["maint"]})
    pulls = [
        {"number": 2, "merged_at": "2024-01-08T09:00:00Z", "merge_commit_sha": squash,
         "updated_at": "2024-01-08T09:00:00Z"},
        {"number": 3, "merged_at": None, "updated_at": "2024-03-20T00:00:00Z"},
        {"number": 4, "merged_at": None, "updated_at": "2024-03-10T00:00:00Z"},
    ]  # fmt: skip
    with store.transaction():
        upsert_raw(store, REPO, "issue", [
            _item(1, "newbie", "2024-01-02T00:00:00Z"),
            _item(2, "newbie", "2024-01-05T00:00:00Z", pr=True, state="closed",
                  closed="2024-01-08T09:00:00Z"),
            _item(3, "quiet", "2024-03-01T00:00:00Z", pr=True, state="closed",
                  closed="2024-03-20T00:00:00Z"),
            _item(4, "waiting", "2024-03-10T00:00:00Z", pr=True),
        ])  # fmt: skip
        upsert_raw(store, REPO, "pull", pulls, "number")
        upsert_raw(store, REPO, "pull_file", [{"filename": "src/a.py"}], "filename",
                   keys=["4:src/a.py"])  # fmt: skip
        upsert_raw(store, REPO, "issue_comment", [
            {"id": 1, "issue_url": f"https://api.github.com/repos/{REPO}/issues/1",
             "user": {"login": "maint", "type": "User"}, "created_at": "2024-01-03T00:00:00Z"},
            {"id": 2, "issue_url": f"https://api.github.com/repos/{REPO}/issues/4",
             "user": {"login": "maint", "type": "User"}, "created_at": "2024-03-11T00:00:00Z"},
        ])  # fmt: skip
        upsert_raw(store, REPO, "review", [
            {"id": 9, "pull_request_url": f"https://api.github.com/repos/{REPO}/pulls/2",
             "user": {"login": "maint", "type": "User"}, "state": "APPROVED",
             "submitted_at": "2024-01-06T00:00:00Z"},
        ])  # fmt: skip
        refresh_github_tables(store.con)
        store.bump_raw_version()
    config = Config(root=folder, db=store.path, team=["maint@example.org"])
    refresh_identities(store, config, force=True)
    return store


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = synthetic_project(tmp_path_factory.mktemp("synthetic-funnel"))
    yield store
    store.close()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


TEAM = ("maint",)  # [triage] team: no commit of maint's names the login


def test_synthetic_stages_count_the_same_work_once(synthetic: Store) -> None:
    assert "maint" in by_login(journeys(synthetic))
    found = by_login(journeys(synthetic, TEAM))
    assert "maint" not in found
    newbie = found["newbie"]
    assert newbie.subject != "github:newbie"  # the login is the person of the commits
    assert (newbie.contact_at, newbie.contact_kind) == (at("2024-01-02"), "issue")
    assert (newbie.opened_at, newbie.opened_number) == (at("2024-01-05"), 2)
    assert newbie.merged_at == at("2024-01-08 09:00")  # the merge, not a second contribution
    assert newbie.second_at == at("2024-02-10 09:00")
    assert newbie.regular_at == at("2024-03-15 09:00")
    assert newbie.merged_days == 3
    assert found["quiet"].furthest == "opened" and found["waiting"].furthest == "opened"


def test_synthetic_stuck_with_reasons_and_reviewers(synthetic: Store) -> None:
    stuck = {s["number"]: s for s in stuck_newcomers(synthetic, at("2024-04-01"), team=TEAM)}
    assert set(stuck) == {3, 4}
    assert stuck[3]["reason"] == "closed-silently"
    assert stuck[3]["why"] == "closed unmerged 12 days ago without a word from anyone"
    assert stuck[4]["reason"] == "no-review" and stuck[4]["reviewer"] == "Maint"
    assert "wrote 2 commit(s) on 1 of the 1 files" in stuck[4]["reviewer_why"]
    # #3: maint reviewed within 90 days, and is the sparest reviewer
    assert stuck[3]["reviewer"] == "maint"
    assert set(s["number"] for s in stuck_newcomers(synthetic, at("2024-04-01"),
                                                    closed_days=10)) == {4}  # fmt: skip


def test_synthetic_mentor_and_who_stayed(synthetic: Store) -> None:
    found = mentors(synthetic, Window(date(2024, 1, 1), date(2024, 4, 1)), TEAM)
    assert len(found) == 1
    maint = found[0]
    assert (maint["name"], maint["is_team"]) == ("maint", True)
    # newbie (first comment and first review), waiting (first comment); quiet got nothing
    assert (maint["newcomers"], maint["first_comments"], maint["first_reviews"]) == (2, 2, 1)
    assert (maint["stayed"], maint["regular"], maint["stayed_share"]) == (1, 1, 0.5)


# -- views -------------------------------------------------------------------------------------


def test_dashboard_funnel_page_and_api(synthetic: Store, tmp_path: Path) -> None:
    synthetic.con.execute("CHECKPOINT")
    db = tmp_path / "copy.duckdb"
    db.write_bytes(synthetic.path.read_bytes())
    with Store(db) as store:
        add_user(store, "tom", "correct horse battery", "team")
        add_user(store, "vic", "correct horse battery", "viewer")
    client = TestClient(create_app(db), base_url="http://127.0.0.1")
    assert client.get("/funnel", follow_redirects=False).status_code == 303  # not public
    post_login(client, "vic", "correct horse battery")
    page = client.get("/funnel?by=month")
    assert page.status_code == 200 and "How far the newcomers came" in page.text
    assert "Stuck now" not in page.text  # viewers do not see who waits
    assert client.get("/api/funnel/stuck").status_code == 403
    assert client.get("/api/funnel?by=week").status_code == 422
    team = TestClient(client.app, base_url="http://127.0.0.1")
    post_login(team, "tom", "correct horse battery")
    page = team.get("/funnel")
    assert "Stuck now" in page.text and "Mentors" in page.text
    specs = re.findall(r'<script type="application/json">(.*?)</script>', page.text, re.S)
    assert len(specs) == 2 and all(json.loads(s)["$schema"] for s in specs)
    assert team.get("/api/funnel/mentors").status_code == 200
