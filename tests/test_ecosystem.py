"""Ecosystem questions over a GH Archive lake, on DuckDB and on Spark, against plain Python.

The store: networkx's history, PyGithub's recorded GitHub activity and the (SYNTHETIC) team
records of tests/records, whose member ``github:jacquev6`` is PyGithub's author. The lake:
PyGithub's Events API answer (jacquev6's real pushes, issues and comments), lnav's real
hour of 2024, and a SYNTHETIC hour: lnav's events re-attributed to three real networkx
contributors (by the GitHub logins of their no-reply addresses), two of whom have a
SYNTHETIC affiliation in organisations.toml, since no networkx contributor with a known
login has a known organisation in the shared data.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from catherd.config import Config
from catherd.ecosystem.acts import KINDS, breadth, organisations, team_logins
from catherd.ecosystem.health import NO_COMMITS, health
from catherd.engine.archive import Selection, import_to_lake
from catherd.engine.base import EngineSettings, open_engine
from catherd.engine.embedded import DuckDBEngine
from catherd.identity.organisations import PERSONAL, UNKNOWN
from catherd.metrics import REGISTRY, Params
from catherd.metrics.base import WHOLE
from catherd.metrics.runner import Scope, run_metric
from catherd.pipeline import refresh_identities
from catherd.store.database import Store
from catherd.store.gharchive_loader import import_archives

from .conftest import same, shared_file
from .test_github_client import recording
from .test_partners import partners_store

LOGINS = ("schefflera-arboricola", "bakerwho", "aaronzo")  # networkx contributors
AFFILIATIONS = {"schefflera-arboricola": "Organisation A", "bakerwho": "Organisation B"}


def kind_of(event: dict[str, Any]) -> str | None:
    """What act an event is (docs/scale.md), written out again for the test."""
    action = (event.get("payload") or {}).get("action")
    return {
        "PushEvent": "push",
        "PullRequestEvent": "pull_request" if action == "opened" else None,
        "PullRequestReviewEvent": "review",
        "IssuesEvent": "issue" if action == "opened" else None,
        "IssueCommentEvent": "comment",
        "PullRequestReviewCommentEvent": "comment",
        "CommitCommentEvent": "comment",
        "ReleaseEvent": "release" if action == "published" else None,
    }.get(event["type"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, ingested: dict[str, Path]) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("ecosystem")
    organisations = folder / "organisations.toml"
    organisations.write_text("".join(
        f'[[affiliation]]\nperson = "github:{login}"\norganisation = "{name}"\n\n'
        for login, name in AFFILIATIONS.items()))  # fmt: skip
    store = partners_store(folder / "s.duckdb", ingested["networkx"])
    config = Config(root=folder, db=store.path, organisations=organisations)
    refresh_identities(store, config, force=True)
    lnav_lines = shared_file("gharchive", "lnav", "gharchive_log.jsonl").open()
    lnav = [json.loads(line) for line in lnav_lines]
    pygithub = json.loads(recording("Repository.testGetEvents")[0].body)
    synthetic = []
    for n, event in enumerate(lnav):
        event = json.loads(json.dumps(event))
        event["id"] = str(int(event["id"]) + 10**9)  # another event
        event["created_at"] = event["created_at"].replace("T15:", "T16:")
        login = LOGINS[n % len(LOGINS)]
        event["actor"] = {**event["actor"], "login": login, "id": 100 + n % len(LOGINS)}
        synthetic.append(event)
    dumps = {"2012-05-22-18": pygithub, "2024-01-01-15": lnav, "2024-01-01-16": synthetic}
    paths = []
    for name, events in dumps.items():
        path = folder / f"{name}.json"
        path.write_text("".join(json.dumps(e) + "\n" for e in events))
        paths.append(str(path))
    import_to_lake(folder / "lake", paths, Selection(everything=True))
    events = [e for events in dumps.values() for e in events]
    yield {"store": store, "lake": folder / "lake", "events": events, "folder": folder,
           "config": config}  # fmt: skip
    store.close()


@pytest.fixture(scope="module")
def engines(world: dict[str, Any], spark_local: EngineSettings) -> dict[str, Any]:
    lake = str(world["lake"])
    duckdb = open_engine(EngineSettings(lake=lake), world["store"])
    return {"duckdb": duckdb, "spark": open_engine(replace(spark_local, lake=lake), world["store"])}


def people_of(store: Store) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """login -> (person, name) of people who are not bots or hidden; person -> organisation
    of their latest commit with a known one. Read from the tables, computed in Python."""
    logins = {
        login: (person, name)
        for login, person, name in store.con.execute(
            "SELECT DISTINCT lower(i.login), i.person_id, p.display_name FROM identities i "
            "JOIN people p USING (person_id) WHERE i.login IS NOT NULL AND NOT p.is_bot "
            "AND NOT p.hidden"
        ).fetchall()
    }
    latest: dict[str, tuple[datetime, str]] = {}
    for person, org, at in store.con.execute(
        "SELECT person_id, org_id, contributed_at FROM contributions"
    ).fetchall():
        if org not in (PERSONAL, UNKNOWN) and (person not in latest or at > latest[person][0]):
            latest[person] = (at, org)
    names = dict(store.con.execute("SELECT org_id, name FROM organisations").fetchall())
    return logins, {person: names[org] for person, (_, org) in latest.items()}


def tally(acts: list[tuple[Any, dict[str, Any]]]) -> dict[Any, Counter]:
    found: dict[Any, Counter] = defaultdict(Counter)
    for key, event in acts:
        found[key][KINDS[kind_of(event)]] += 1  # type: ignore[index]
        found[key]["acts"] += 1
    return found


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_breadth_of_the_team_and_of_everyone(
    engine: str, world: dict[str, Any], engines: dict[str, Any]
) -> None:
    store, chosen = world["store"], engines[engine]
    acts = [e for e in world["events"] if kind_of(e)]
    team = team_logins(store)
    assert "jacquev6" in team  # the member named github:jacquev6
    expected = tally([((team[e["actor"]["login"].lower()], e["repo"]["id"]), e) for e in acts
                      if e["actor"]["login"].lower() in team])  # fmt: skip
    rows = breadth(chosen, team)
    assert {(r["who"], r["repo_id"]): Counter({c: r[c] for c in [*KINDS.values(), "acts"]
                                               if r[c]}) for r in rows} == expected  # fmt: skip
    assert {r["repository"] for r in rows} == {"PyGithub/PyGithub"}
    logins, _ = people_of(store)
    everyone = tally([((logins[e["actor"]["login"].lower()][1], e["repo"]["id"]), e)
                      for e in acts if e["actor"]["login"].lower() in logins])  # fmt: skip
    rows = breadth(chosen, None, since=date(2024, 1, 1))
    assert {(r["who"], r["repo_id"]): r["acts"] for r in rows} == {
        key: counts["acts"] for key, counts in everyone.items()
    }
    assert len({r["who"] for r in rows}) == len(LOGINS)
    assert [r["who"] for r in rows] == sorted(r["who"] for r in rows)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_organisations_across_repositories(
    engine: str, world: dict[str, Any], engines: dict[str, Any]
) -> None:
    logins, organisation = people_of(world["store"])
    chosen = {e["repo"]["name"].lower() for e in world["events"][60:]}  # some of lnav's
    acts = [e for e in world["events"] if kind_of(e) and e["repo"]["name"].lower() in chosen]
    placed = [(organisation[logins[login][0]], e) for e in acts
              if (login := e["actor"]["login"].lower()) in logins
              and logins[login][0] in organisation]  # fmt: skip
    expected = tally(placed)
    answer = organisations(engines[engine], chosen, set())
    got = {r["organisation"]: r for r in answer["organisations"]}
    assert set(got) == set(AFFILIATIONS.values()) == set(expected)
    for name, counts in expected.items():
        assert got[name]["acts"] == counts["acts"] and got[name]["people"] == 1
        assert got[name]["pushes"] == counts["pushes"]
    assert answer["acts"] == len(acts)
    known = sum(1 for e in acts if e["actor"]["login"].lower() in logins)
    assert answer["acts_of_unknown_people"] == len(acts) - known
    assert answer["acts_of_people_without_organisation"] == known - len(placed) > 0
    ranked = [r["acts"] for r in answer["organisations"]]
    assert ranked == sorted(ranked, reverse=True)


def test_health_is_every_metric_per_repository_on_both_engines(
    world: dict[str, Any], engines: dict[str, Any]
) -> None:
    store = world["store"]
    since = date(2012, 1, 1)
    answers = health(engines["duckdb"], {"networkx", "pygithub/pygithub"}, set(), since)
    assert {a["repository"] for a in answers} == {"networkx", "PyGithub/PyGithub"}
    assert len(answers) == 2 * len(REGISTRY)
    for answer in answers:
        params = Params(since=since, by=WHOLE, repository=answer["repository"])
        assert same(answer["rows"], run_metric(store, answer["metric"], params))
    on_spark = health(engines["spark"], {"pygithub/pygithub"}, set(), since)
    assert same(on_spark, [a for a in answers if a["repository"] == "PyGithub/PyGithub"])
    # repositories known only from GH Archive imported into the store: their GitHub
    # activity, and no commits (not the store's)
    lnav = shared_file("gharchive", "lnav", "gharchive_log.jsonl")
    import_archives(store, [lnav], set(), set(), everything=True)
    duck = DuckDBEngine(store)
    pulls = {e["repo"]["name"] for e in world["events"][50:100]
             if e["type"] == "PullRequestEvent"}  # fmt: skip
    answers = health(duck, {n.lower() for n in pulls}, set(), date(2000, 1, 1))
    assert {a["repository"] for a in answers} == pulls
    for answer in answers:
        if REGISTRY[answer["metric"]].function.__module__.endswith("responsiveness"):
            scope = Scope(NO_COMMITS, answer["repository"])
            params = Params(since=date(2000, 1, 1), by=WHOLE)
            assert same(answer["rows"], run_metric(duck, answer["metric"], params, scope))
        elif answer["metric"] in ("commits", "active_contributors", "breadth"):
            assert answer["rows"] == []
    opened = [a for a in answers if a["metric"] == "time_to_first_response"]
    assert sum(r["opened"] for a in opened for r in a["rows"]) == store.scalar(
        "SELECT count(*) FROM gh_items WHERE list_contains(?, repo) AND NOT author_is_bot",
        [sorted(pulls)],
    ) > 0


def test_cli(world: dict[str, Any]) -> None:
    folder = world["folder"]
    project = folder / "catherd.toml"
    project.write_text('[project]\ndb = "s.duckdb"\n\n[identity]\norganisations = '
                       '"organisations.toml"\n\n[engine]\nlake = "lake"\n')  # fmt: skip

    def catherd(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "catherd", "ecosystem", *args, "--config", str(project)]
        return subprocess.run(command, capture_output=True, text=True, cwd=folder)

    world["store"].close()  # the commands open it themselves
    try:
        team = catherd("breadth", "--json")
        assert team.returncode == 0, team.stderr
        assert {r["who"] for r in json.loads(team.stdout)} == {"jacquev6"}
        ranked = catherd("organisations", "--orgs", ",".join({e["repo"]["name"].split("/")[0]
                                                              for e in world["events"]}), "--csv")
        assert ranked.returncode == 0, ranked.stderr
        assert ranked.stdout.splitlines()[0].startswith("organisation,people,repositories")
        assert {line.split(",")[0] for line in ranked.stdout.splitlines()[1:]} == set(
            AFFILIATIONS.values()
        )
        table = catherd("health", "--repos", "PyGithub/PyGithub", "--since", "2012-01-01")
        assert table.returncode == 0 and "time_to_first_response" in table.stdout
        none = catherd("health", "--orgs", "nobody")
        assert none.returncode == 2 and "no repository of the store" in none.stderr
        wrong = catherd("breadth", "--people", "some")
        assert wrong.returncode == 2 and "choose team or all" in wrong.stderr
    finally:
        world["store"] = Store(world["store"].path)
