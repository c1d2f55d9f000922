"""Sprints: records, preparation, outcomes and detection, against independent computations.

The sprints are SYNTHETIC (invented records, labelled so in their names) over real activity:
networkx's git history (retention of a sprint's newcomers against the other newcomers of the
same period, recomputed from ``git log``), and PyGithub's recorded GitHub answers (sprint
pull requests, candidate issues, read by hand from the recordings). Cases the recordings
lack (a pull request naming an issue, an assigned or stale candidate, a burst of
first-timers) are SYNTHETIC projects made here.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from catherd.community.sprint_detect import poisson_tail, proposed_sprints, spike_days
from catherd.community.sprint_prep import candidate_issues, issues_csv, preparation
from catherd.community.sprints import SprintRules, find_sprint, sprint_outcomes
from catherd.config import Config
from catherd.errors import InputError
from catherd.partners import book
from catherd.partners.funding import Funding
from catherd.partners.records import Records, Sprint, parse
from catherd.reports.sprints import preparation_markdown, write_sprint_report
from catherd.store.database import Store
from catherd.store.github_loader import upsert_raw
from catherd.store.github_tables import refresh_github_tables
from catherd.web.accounts import add_user
from catherd.web.app import create_app

from .conftest import git, ingest, post_login, synthetic_commit
from .test_funnel import github, recorded  # noqa: F401  (module-scoped fixtures)
from .test_metrics import GitTruth

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}")
FUNDING = Funding("EUR", {})
PARTICIPANTS = [  # four newcomers of May 2020, an old hand, two nobody knows
    "ryan-duve@users.noreply.github.com", "kejan73@gmail.com",
    "Isaac Boates <iboates@gmail.com>", "zacharyclawrence@gmail.com", "dschult@colgate.edu",
    "nobody@example.invalid", "@someone",
]  # fmt: skip
SPRINT = f"""
[[sprint]]
id = "synthetic-2020"
name = "SYNTHETIC sprint, May 2020"
start = 2020-05-17
end = 2020-05-19
participants = {json.dumps(PARTICIPANTS)}
mentors = ["dschult@colgate.edu"]
organisers = ["Dan Schult <dschult@colgate.edu>"]
"""


def records(text: str) -> Records:
    found, problems = parse(text, "sprints.toml", ("sprint",))
    assert problems == []
    return Records(found)


def test_sprint_records_are_checked() -> None:
    _, problems = parse(
        '[[sprint]]\nid = "x"\nname = "x"\nstart = 2024-02-02\nend = 2024-02-01\n'
        'participants = ["two words"]\ncolour = "red"\n', "sprints.toml", ("sprint",))  # fmt: skip
    assert problems == [
        "sprints.toml: sprint 'x': participants.0: 'two words' is not a GitHub login, an "
        "e-mail, Name <email> or a person id",
        "sprints.toml: sprint 'x': colour: unknown key (a typo?)",
    ]
    _, problems = parse('[[sprint]]\nid = "x"\nname = "x"\nstart = 2024-02-02\n'
                        'end = 2024-02-01\n', "sprints.toml", ("sprint",))  # fmt: skip
    assert problems == ["sprints.toml: sprint 'x': end 2024-02-01 is before start 2024-02-02"]


# -- outcomes on networkx ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def networkx(
    tmp_path_factory: pytest.TempPathFactory, mirrors: dict[str, Path], ingested: dict[str, Path]
) -> tuple[Store, GitTruth]:
    path = tmp_path_factory.mktemp("sprints") / "networkx.duckdb"
    shutil.copy(ingested["networkx"], path)
    store = Store(path)
    book.replace(store, records(SPRINT), ("sprint",), FUNDING, "test")
    yield store, GitTruth(mirrors["networkx"], store)
    store.close()


def _retention(firsts: dict[str, tuple[datetime, list[datetime]]], end: datetime) -> dict:
    result: dict = {"newcomers": len(firsts)}
    for days in (30, 90, 180):
        window = timedelta(days=days)
        measurable = [(f, s) for f, s in firsts.values() if end - f >= window]
        back = [1 for f, s in measurable
                if any(t.date() > f.date() and t - f <= window for t in s)]  # fmt: skip
        result[f"days_{days}"] = {
            "measurable": len(measurable),
            "retained": len(back),
            "share": len(back) / len(measurable) if measurable else None,
        }
    return result


def test_outcomes_on_git_against_git_log(networkx: tuple[Store, GitTruth]) -> None:
    store, truth = networkx
    outcomes = sprint_outcomes(store, find_sprint(store, "synthetic-2020"))
    # who the references name, from the identity table as the metric tests read it
    by_email = {e: p for p, e in store.con.execute(
        "SELECT person_id, email_key FROM identities").fetchall()}  # fmt: skip
    emails = [EMAIL.search(r).group(0).lower() for r in PARTICIPANTS if EMAIL.search(r)]
    people = {by_email[e] for e in emails if e in by_email}
    groups = {truth.name_group[p] for p in people}
    assert [p["known"] for p in outcomes["participants"]] == [True] * 5 + [False] * 2
    start, until = datetime(2020, 5, 17, tzinfo=UTC), datetime(2020, 6, 19, tzinfo=UTC)
    newcomers = truth.newcomers()
    mine = {g: v for g, v in newcomers.items() if g in groups and start <= v[0] < until}
    assert len(mine) == 4  # the old hand is not new
    others = {g: v for g, v in newcomers.items() if g not in groups
              and start - timedelta(90) <= v[0] < datetime(2020, 5, 20, tzinfo=UTC)
              + timedelta(90)}  # fmt: skip
    end = max(t for _, t, _, _ in truth.contributions)
    assert outcomes["retention"]["sprint"] == _retention(mine, end)
    assert outcomes["retention"]["others"] == _retention(others, end)
    assert outcomes["retention"]["sprint"]["days_90"]["share"] == 0.75  # 3 of 4 came back
    work = [(p, t) for p, t, _, _ in truth.contributions if p in people and start <= t < until]
    shas = {c["sha"] for c in truth.commits if c["author"] in people and start <= c["when"] < until}
    assert outcomes["contributions"] == {
        "by_participants": len(shas),
        "participants_contributing": len({p for p, _ in work}),
    }
    assert sorted(f["name"] for f in outcomes["first_timers"]) == sorted(
        ["ryan-duve", "Gaetano Carpinato", "Isaac Boates", "Zachary Lawrence"]
    )
    assert outcomes["pulls"]["opened_during"] == 0  # no GitHub data for networkx here
    assert sum(d["contributions"] for d in outcomes["daily"]) == len(shas)
    assert [d["day"] for d in outcomes["daily"]][:2] == [date(2020, 5, 17), date(2020, 5, 18)]


def test_the_report_public_without_addresses(
    networkx: tuple[Store, GitTruth], tmp_path: Path
) -> None:
    store, _ = networkx
    outcomes = sprint_outcomes(store, find_sprint(store, "SYNTHETIC sprint, May 2020"))
    written = write_sprint_report(outcomes, tmp_path, "networkx")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "public/index.html",
        "public/report.md",
        "team/index.html",
        "team/report.md",
    ]
    public = (tmp_path / "public" / "report.md").read_text()
    assert not EMAIL.search(public) and "nobody" not in public
    assert "| sprint newcomers | 4 | 50% (2/4) | 75% (3/4) | 75% (3/4) |" in public
    assert "Participants:** ryan-duve, Gaetano Carpinato" in public
    html = (tmp_path / "public" / "index.html").read_text()
    text = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    assert html.count("<svg") == 2 and not EMAIL.search(text)
    team = (tmp_path / "team" / "report.md").read_text()
    assert "kejan73@gmail.com" in team and "nobody@example.invalid" in team
    hidden = Sprint(**{**find_sprint(store, "synthetic-2020").model_dump(), "visibility": "team"})
    only_team = write_sprint_report({**outcomes, "sprint": hidden.model_dump(mode="json")},
                                    tmp_path / "t", "networkx")  # fmt: skip
    assert {p.parent.name for p in only_team} == {"team"}


def test_detected_days_equal_git_log(networkx: tuple[Store, GitTruth]) -> None:
    store, truth = networkx
    per_day = Counter(first.date() for first, _ in truth.newcomers().values())
    days = spike_days(store)
    assert days  # networkx has such days
    for found in days:
        before = sum(per_day[found["day"] - timedelta(n)] for n in range(1, 91))
        mean = max(before, 1) / 90
        chance = 1 - sum(math.exp(-mean) * mean**k / math.factorial(k)
                         for k in range(per_day[found["day"]]))  # fmt: skip
        assert found["first_timers"] == per_day[found["day"]] >= 3
        assert found["p_value"] == pytest.approx(chance) and chance < 0.001
    spiking = {d["day"] for d in days}
    for day, count in per_day.items():  # and no other day qualifies
        before = sum(per_day[day - timedelta(n)] for n in range(1, 91))
        if count >= 3 and poisson_tail(count, max(before, 1) / 90) < 0.001:
            assert day in spiking
    proposals = proposed_sprints(store)
    known = [p for p in proposals if p["recorded"]]
    assert [(p["start"], p["recorded"]) for p in known] == [
        (date(2020, 5, 19), "synthetic-2020")]  # fmt: skip


def test_detection_finds_a_synthetic_burst(tmp_path: Path) -> None:
    """SYNTHETIC: a new author every 9 days for half a year, then 5 on one day."""
    repo = tmp_path / "burst"
    git(tmp_path, "init", "-q", str(repo))
    start = datetime(2024, 1, 1, 12, tzinfo=UTC)
    for n in range(20):
        when = (start + timedelta(days=9 * n)).isoformat()
        synthetic_commit(repo, f"Regular {n}", f"r{n}@example.org", when)
    for n in range(5):
        synthetic_commit(repo, f"Sprinter {n}", f"s{n}@example.org", "2024-07-06T10:00:00+00:00")
    with Store(tmp_path / "s.duckdb") as store:
        ingest(store, tmp_path, str(repo))
        found = proposed_sprints(store)
        assert [(p["start"], p["end"], p["first_timers"]) for p in found] == [
            (date(2024, 7, 6), date(2024, 7, 6), 5)]  # fmt: skip
        assert found[0]["days"][0]["names"] == [f"Sprinter {n}" for n in range(5)]
        assert proposed_sprints(store, min_people=6) == []
        with pytest.raises(InputError, match="--min-people"):
            spike_days(store, min_people=0)


# -- GitHub: PyGithub's recordings ---------------------------------------------------------------


def test_sprint_pull_requests_on_recorded_answers(github: Store) -> None:  # noqa: F811
    """Read by hand: sam93210 opened #3039 and eduramirezh #3040 on 2024-09-09, their first
    pull requests; billnapier (#3041, the same day) did not take part."""
    sprint = Sprint(id="sept", name="SYNTHETIC September sprint", start=date(2024, 9, 9),
                    end=date(2024, 9, 9), participants=["@sam93210", "eduramirezh"])  # fmt: skip
    outcomes = sprint_outcomes(github, sprint, as_of=datetime(2024, 9, 17, tzinfo=UTC))
    assert [p["number"] for p in outcomes["pulls"]["list"]] == [3039, 3040]
    assert (outcomes["pulls"]["opened_during"], outcomes["pulls"]["merged"]) == (2, 0)
    assert sorted(f["name"] for f in outcomes["first_timers"]) == ["eduramirezh", "sam93210"]
    assert outcomes["retention"]["sprint"]["newcomers"] == 0  # no commit: nobody to follow
    assert [d["pulls"] for d in outcomes["daily"][:2]] == [2, 0]


def test_candidate_issues_on_recorded_answers(github: Store, recorded: dict) -> None:  # noqa: F811
    """The newest snapshot of each recorded issue, open, labelled, with no assignee: only #9
    ("Publish version 1.0") among the "Project management" issues of June 2012."""
    newest: dict[int, dict] = {}
    for body in recorded["issues"]:
        for item in json.loads(body):
            if item["number"] not in newest or item["updated_at"] > newest[item["number"]][
                    "updated_at"]:  # fmt: skip
                newest[item["number"]] = item
    expected = sorted(
        n for n, i in newest.items()
        if i["state"] == "open" and not i.get("assignee") and not i.get("assignees")
        and "Project management" in [label["name"] for label in i["labels"]]
    )  # fmt: skip
    sprint = Sprint(id="s", name="s", start=date(2012, 6, 4), end=date(2012, 6, 5),
                    labels=["project management"])  # fmt: skip
    found = candidate_issues(github, sprint, SprintRules(), datetime(2012, 6, 3, tzinfo=UTC))
    assert [i["number"] for i in found] == expected == [9]
    stale = SprintRules(stale_days=0)
    assert candidate_issues(github, sprint, stale, datetime(2012, 6, 3, tzinfo=UTC)) == []


def synthetic_candidates(folder: Path) -> Store:
    """SYNTHETIC: six labelled issues; #10 names a file, #11 is assigned, #12 is named by an
    open pull request, #13 by a closed one that changed src/c.py, #14 was last touched
    two years before, #15 is labelled something else."""
    repo = folder / "p"
    git(folder, "init", "-q", str(repo))
    synthetic_commit(repo, "Maint", "maint@example.org", "2024-01-01T00:00:00+00:00",
                     file="src/pkg/a.py")  # fmt: skip
    store = Store(folder / "s.duckdb")
    ingest(store, folder, str(repo))

    def issue(
        number: int,
        updated: str = "2024-05-01T00:00:00Z",
        body: str = "",
        labels: tuple[str, ...] = ("Good First Issue",),
        **extra: object,
    ) -> dict:
        return {"id": number, "number": number, "title": f"SYNTHETIC issue {number}",
                "user": {"login": "someone", "type": "User"}, "state": "open",
                "created_at": "2022-01-01T00:00:00Z", "updated_at": updated, "body": body,
                "labels": [{"name": x} for x in labels], "assignees": [],
                "html_url": f"https://github.com/o/r/issues/{number}", **extra}  # fmt: skip

    def pull(number: int, state: str, body: str) -> dict:
        return {
            **issue(number, body=body, labels=()),
            "state": state,
            "pull_request": {"html_url": f"https://github.com/o/r/pull/{number}"},
        }

    with store.transaction():
        upsert_raw(store, "o/r", "issue", [
            issue(10, body="The docstring of `pkg/a.py` (see https://x.org/src/pkg/a.py)."),
            issue(11, assignees=[{"login": "maint"}]),
            issue(12), issue(13), issue(14, updated="2022-05-01T00:00:00Z"),
            issue(15, labels=("question",)),
            pull(20, "open", "Fixes #12"), pull(21, "closed", "An attempt at #13"),
        ])  # fmt: skip
        upsert_raw(store, "o/r", "pull_file", [{"filename": "src/c.py"}], "filename",
                   keys=["21:src/c.py"])  # fmt: skip
        refresh_github_tables(store.con)
    return store


def test_candidate_issues_synthetic(tmp_path: Path) -> None:
    with synthetic_candidates(tmp_path) as store:
        sprint = Sprint(id="s", name="SYNTHETIC sprint", start=date(2024, 6, 1),
                        end=date(2024, 6, 2), mentors=["maint@example.org", "@ghost"])  # fmt: skip
        prep = preparation(store, sprint, SprintRules(), datetime(2024, 5, 20, tzinfo=UTC))
        found = {i["number"]: i for i in prep["issues"]}
        assert set(found) == {10, 13}
        assert found[10]["files"] == ["src/pkg/a.py"] and found[13]["files"] == ["src/c.py"]
        assert [(m["name"], m["mentor"], m["reviews"]) for m in prep["mentors"]] == [
            ("Maint", True, 0), ("ghost", True, 0)]  # fmt: skip
        with_question = Sprint(**{**sprint.model_dump(), "labels": ["Question"]})
        assert 15 in {i["number"] for i in candidate_issues(
            store, with_question, SprintRules(), datetime(2024, 5, 20, tzinfo=UTC))}  # fmt: skip
        rows = list(csv.DictReader(io.StringIO(issues_csv(prep["issues"]))))
        assert [r["number"] for r in rows] == ["10", "13"] and rows[0]["files"] == "src/pkg/a.py"
        page = preparation_markdown(prep, "o/r")
        assert "[o/r#10](https://github.com/o/r/issues/10)" in page and "`src/c.py`" in page
        assert not EMAIL.search(page)


def test_rules_from_config() -> None:
    rules = SprintRules.from_config(
        Config(root=Path("."), sprints={"labels": ["Help Wanted"], "after_days": 14})
    )
    assert rules.labels == ("good first issue", "easy", "sprint", "help wanted")
    assert rules.after_days == 14
    with pytest.raises(InputError, match=r"\[sprints\] stale_days must be a whole number"):
        SprintRules.from_config(Config(root=Path("."), sprints={"stale_days": "long"}))


# -- the command line and the dashboard ----------------------------------------------------------


def test_cli(networkx: tuple[Store, GitTruth], tmp_path: Path) -> None:
    store, _ = networkx
    store.con.execute("CHECKPOINT")
    db = tmp_path / "s.duckdb"
    shutil.copy(store.path, db)
    (tmp_path / "catherd.toml").write_text(f'[project]\nname = "networkx"\ndb = "{db}"\n')

    def catherd(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "catherd", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)  # fmt: skip

    listed = catherd("sprint", "--json")
    assert [s["id"] for s in json.loads(listed.stdout)] == ["synthetic-2020"]
    made = catherd("sprint", "report", "synthetic-2020", "-o", "out")
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "out" / "public" / "index.html").exists()
    data = json.loads(catherd("sprint", "report", "synthetic-2020", "--json").stdout)
    assert data["retention"]["sprint"]["newcomers"] == 4
    missing = catherd("sprint", "report", "nope")
    assert missing.returncode == 2 and "sprint 'nope': no such sprint (known: synthetic-2020)" in (
        missing.stderr) and "Traceback" not in missing.stderr  # fmt: skip
    prepared = catherd("sprint", "prepare", "synthetic-2020", "--md")
    assert prepared.returncode == 0 and "## Issues to work on" in prepared.stdout
    assert catherd("sprint", "prepare", "synthetic-2020", "--csv", "-").stdout.startswith(
        "repo,number,title")  # fmt: skip
    detected = json.loads(catherd("sprint", "detect", "--json").stdout)
    assert any(p["recorded"] == "synthetic-2020" for p in detected)
    funnel = json.loads(catherd("newcomers", "funnel", "--by", "year", "--since", "2020-01-01",
                                "--until", "2021-01-01", "--json").stdout)  # fmt: skip
    assert funnel["all"]["people"] == funnel["cohorts"][0]["people"] > 0
    assert json.loads(catherd("newcomers", "stuck", "--json").stdout) == []  # no GitHub data
    assert catherd("newcomers", "mentors", "--json").returncode == 0
    assert catherd("newcomers", "funnel", "--by", "week").returncode == 2
    # sprints.toml is a record file: imported (audit-logged) and exported like the others
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "sprints.toml").write_text(SPRINT.replace("May 2020", "May 2020, renamed"))
    assert catherd("records", "import", "records", "--as", "ada").returncode == 0
    log = json.loads(catherd("records", "log", "--json").stdout)
    assert (log[0]["actor"], log[0]["kind"], log[0]["fields"]) == ("ada", "sprint", ["name"])
    (folder / "sprints.toml").write_text(SPRINT.replace("@someone", "some one"))
    refused = catherd("records", "import", "records")
    assert refused.returncode == 2 and "'some one' is not a GitHub login" in refused.stderr


def test_dashboard_sprints_page(networkx: tuple[Store, GitTruth], tmp_path: Path) -> None:
    store, _ = networkx
    store.con.execute("CHECKPOINT")
    db = tmp_path / "s.duckdb"
    shutil.copy(store.path, db)
    with Store(db) as handle:
        add_user(handle, "tom", "correct horse battery", "team")
        add_user(handle, "vic", "correct horse battery", "viewer")
        add_user(handle, "ada", "correct horse battery", "admin")
    app = create_app(db)
    viewer = TestClient(app, base_url="http://127.0.0.1")
    post_login(viewer, "vic", "correct horse battery")
    assert viewer.get("/sprints").status_code == 403
    team = TestClient(app, base_url="http://127.0.0.1")
    post_login(team, "tom", "correct horse battery")
    page = team.get("/sprints")
    assert page.status_code == 200 and "SYNTHETIC sprint, May 2020" in page.text
    assert "75% (3/4)" in page.text
    assert team.get("/api/sprints").json()["sprints"][0]["pulls"]["opened_during"] == 0
    admin = TestClient(app, base_url="http://127.0.0.1")
    post_login(admin, "ada", "correct horse battery")
    assert "participants = []" in admin.get("/records/sprint/new").text
