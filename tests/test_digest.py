"""The progress digest, built on real history and checked against the commands it summarises.

The activity is real: networkx's git history, PyGithub's recorded GitHub traffic,
cloudpickle's history, scikit-learn's SLEPs, and one real hour of GH Archive (lnav's copy).
What is not real is labelled SYNTHETIC: the partnership records (tests/records/ and the
members and priorities written below), the web server log (the real shared Apache log of
May 2015 with its dates moved to November 2025, so that the period has traffic), and a few
GH-Archive-shaped comment and review events added to real pull requests.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from catherd.community.notable import notable_pulls
from catherd.community.periods import Window
from catherd.decisions.summary import decisions_taken
from catherd.errors import InputError
from catherd.partners import book
from catherd.partners.accountability import Period, team_activity, upstream_contributions
from catherd.partners.funding import Funding
from catherd.partners.records import read_folder
from catherd.reports.digest import (
    LIMITS,
    Links,
    community_scope,
    community_section,
    digest_context,
    social_posts,
    sprint_section,
    without_address,
    write_digest,
)
from catherd.reports.templating import markdown_text
from catherd.store.database import Store
from catherd.store.gharchive_loader import import_archives
from catherd.store.visitor_keys import VisitorKeys
from catherd.store.weblog_loader import LogSource, import_logs
from catherd.traffic.figures import Scope, traffic_totals

from .conftest import git, ingest, shared_file
from .test_partners import ALL_KINDS, FUNDING, partners_store

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[a-z]{2,}")
IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
PERIOD = "2025-11-01..2026-04-01"  # networkx 3.6 and 3.6.1, 28 newcomers, three sponsors
WEB = "https://github.com/networkx/networkx"
URL = "https://networkx.example/news/{period}/"


def shifted_log(folder: Path) -> tuple[Path, set[str]]:
    """SYNTHETIC: the real Apache log of 17-20 May 2015 moved to 17-20 November 2025; and
    the client addresses it holds (none may appear in a digest)."""
    real = shared_file("weblogs", "elastic-examples", "apache_logs").read_text(encoding="utf-8")
    path = folder / "apache_logs.SYNTHETIC-dates-moved-to-2025-11"
    path.write_text(real.replace("/May/2015:", "/Nov/2025:"), encoding="utf-8")
    return path, {line.split(" ", 1)[0] for line in real.splitlines() if line}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, ingested: dict[str, Path]) -> dict[str, Any]:
    """networkx with PyGithub's GitHub activity, the SYNTHETIC records and the SYNTHETIC log,
    a project file, and the digest written by the CLI for both audiences."""
    folder = tmp_path_factory.mktemp("digest")
    store = partners_store(folder / "s.duckdb", ingested["networkx"])
    log, addresses = shifted_log(folder)
    import_logs(store, [LogSource(log, "web")], VisitorKeys(folder / "keys.json"))
    store.close()
    (folder / "catherd.toml").write_text(
        f'[project]\nname = "networkx"\ndb = "{folder / "s.duckdb"}"\n'
        '[funding]\ncurrency = "EUR"\nrates = { USD = 0.9, GBP = 1.2 }\n'
        '[report]\nupstream = ["PyGithub/PyGithub"]\n'
        f'[digest]\nurl = "{URL}"\nrepositories = {{ networkx = "{WEB}" }}\n'
    )
    made = {}
    for audience in ("public", "sponsors"):
        done = catherd(folder, "digest", "--period", PERIOD, "--audience", audience,
                       "-o", audience)  # fmt: skip
        assert done.returncode == 0, done.stderr
        made[audience] = folder / audience
    return {"folder": folder, "made": made, "addresses": addresses}


def catherd(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "catherd", *args], cwd=folder,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def cli_json(folder: Path, *args: str) -> Any:
    done = catherd(folder, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def listed(line: str, after: str) -> list[str]:
    """The names a digest line lists after ``after``, up to its final full stop."""
    return line.split(after, 1)[1].rsplit(".", 1)[0].split(", ")


def test_digest_names_every_release_and_newcomer_the_commands_give(project: dict) -> None:
    folder = project["folder"]
    period = Period.parse(PERIOD)
    releases = [
        r for r in cli_json(folder, "releases")
        if period.start.isoformat() <= r["date"][:10] < period.end.isoformat()
    ]  # fmt: skip
    assert [r["release"] for r in releases] == ["networkx-3.6", "networkx-3.6.1"]
    text = (project["made"]["public"] / "digest.md").read_text()
    page = (project["made"]["public"] / "index.html").read_text()
    sections = {part.split("\n", 1)[0]: part for part in text.split("\n### ")[1:]}
    for release in releases:
        credits = cli_json(folder, "credits", release["release"])
        tag = release["release"]
        heading = next(h for h in sections if h.startswith(f"[{markdown_text(tag)}]"))
        assert f"]({WEB}/releases/tag/{tag})" in heading  # the evidence
        assert f'<a href="{WEB}/releases/tag/{tag}">{tag}</a>' in page
        line = next(x for x in sections[heading].splitlines() if "Thank you" in x)
        expected = [markdown_text(c["name"]) + (" +" if c["first_time"] else "")
                    for c in credits["contributors"]]  # fmt: skip
        assert listed(line, "Thank you ") == expected
        first = sum(c["first_time"] for c in credits["contributors"])
        assert f"by {credits['total']} people, {first} of them for the first time" in line
        for c in credits["contributors"]:
            assert html.escape(c["name"]) in page
    newcomers = cli_json(folder, "newcomers", "--since", "2025-11-01", "--until", "2026-04-01")
    names = [n["display_name"] for n in newcomers["newcomers"]]
    assert len(names) == 28
    line = next(x for x in text.splitlines() if "made their first contribution:" in x)
    assert sorted(listed(line, "contribution: ")) == sorted(markdown_text(n) for n in names)
    assert line.startswith("28 people")
    for name in names:
        assert html.escape(name) in page


def test_public_digest_has_no_address_and_no_confidential_amount(project: dict) -> None:
    # acme-2025's amount is public: 120,000 EUR x 61 of its 365 days in November-December
    # 2025 = 20,054.79; acme-2026's (team) would be 120,000 x 90/365 = 29,589.04 in the first
    # quarter of 2026; globex-2026's (sponsors) 50,000.50 USD x 0.9 x 31/365 = 3,822.00 in
    # March 2026 (SYNTHETIC records, worked out by hand)
    assert Decimal(120000) * 61 / 365 == pytest.approx(Decimal("20054.79"), abs=Decimal("0.01"))
    texts = {}
    for audience, folder in project["made"].items():
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        assert {p.name for p in files} >= {"digest.md", "index.html", "social.md", "social.json",
                                           "contributors.svg", "traffic.svg"}  # fmt: skip
        texts[audience] = {p.name: p.read_text(encoding="utf-8") for p in files}
    for audience, files in texts.items():
        for name, text in files.items():
            assert not EMAIL.search(text), (audience, name, EMAIL.search(text))
            assert not set(IPV4.findall(text)) & project["addresses"], (audience, name)
            for word in ("Initech", "CONFIDENTIAL-NOTE", "Coyote", "29,589", "6,000", "9,000"):
                assert word not in text, (audience, name, word)  # team-only, in every variant
    public, sponsors = texts["public"], texts["sponsors"]
    for name in ("digest.md", "index.html"):
        assert "20,055 EUR" in public[name] and "20,055 EUR" in sponsors[name]
        assert "Acme Analytics (synthetic)" in public[name]
        assert "1 supporter who asked not to be named" in public[name]
        for secret in ("Globex", "3,822", "Vincent Jacques", "jacquev6", "Technical committee"):
            assert all(secret not in text for text in public.values()), secret
        assert "Globex Research (synthetic)" in sponsors[name] and "3,822 EUR" in sponsors[name]
        assert "Dan Schult" in public[name] and "Ross Barnowski" in public[name]


def test_social_posts_fit_and_link(project: dict) -> None:
    for folder in project["made"].values():
        posts = json.loads((folder / "social.json").read_text())
        assert [p["topic"] for p in posts] == ["releases", "newcomers", "team"]
        for post in posts:
            for text, limit in ((post["short"], LIMITS[0]), (post["long"], LIMITS[1])):
                assert len(text) <= limit, text
                assert post["link"] in text and re.search(r"https://\S+$", text)
            assert len(post["long"]) >= len(post["short"])
        assert posts[0]["link"] == f"{WEB}/releases/tag/networkx-3.6.1"
        assert posts[1]["link"] == URL.replace("{period}", "2025-11-01..2026-03-31")
        # as many names as fit, then "and N more": every one of the 28 in the long post's count
        assert "Welcome to the 28 people" in posts[1]["long"] and "more!" in posts[1]["short"]
        assert "social" in (folder / "social.md").read_text().lower()


def test_website_reach_is_the_traffic_figures(project: dict) -> None:
    with Store(project["folder"] / "s.duckdb", read_only=True) as store:
        totals = traffic_totals(store, Scope(since=date(2025, 11, 1), until=date(2026, 4, 1)))
    text = (project["made"]["public"] / "digest.md").read_text()
    assert f"**{totals['browser_visitors']:,}** visitors with a browser" in text
    assert f"**{totals['page_views']:,}** pages" in text and totals["page_views"] > 0
    assert "![Website traffic](charts/traffic.svg)" in text
    assert "<svg" in (project["made"]["public"] / "index.html").read_text()


def test_cli_errors_are_one_line(project: dict) -> None:
    folder = project["folder"]
    refused = ((("--period", "last month"), "--period 'last month'"),
               (("--period", "2025-11", "--audience", "team"), "--audience 'team'"),
               (("--period", "2025-11", "--link", "networkx.org"), "web address"))  # fmt: skip
    for args, message in refused:
        done = catherd(folder, "digest", *args, "-o", "refused")
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and not (folder / "refused").exists()


def test_links_come_from_github_locations_and_are_required(tmp_path: Path) -> None:
    period = Period.parse("2026-10")
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(InputError, match="--link URL or \\[digest\\] url"):
            Links.of(store, {}, period, None, [])
        store.con.execute(
            "INSERT INTO repositories VALUES (1, 'cpython', 'github:python/cpython', 'github', "
            "'', FALSE, NULL, now(), NULL), (2, 'docs', 'https://github.com/org/docs.git', "
            "'url', '', FALSE, NULL, now(), NULL)"
        )
        links = Links.of(store, {}, period, None, ["python/cpython"])
        assert links.digest == "https://github.com/org/docs"  # the first that is not upstream
        assert links.release("cpython", "v3.14.0") == (
            "https://github.com/python/cpython/releases/tag/v3.14.0"
        )
        assert Links.of(store, {"url": "https://x.example/{period}"}, period, None, []).digest == (
            "https://x.example/2026-10"
        )
        with pytest.raises(InputError, match="repositories must map"):
            Links.of(store, {"repositories": {"docs": "docs.example"}}, period, None, [])


def test_addresses_are_cut_to_their_first_part() -> None:
    assert without_address("jane.doe+x@example.org") == "jane.doe+x"
    assert without_address("Jane (jane@mail.example.co.uk)") == "Jane (jane)"
    assert without_address("Ada Lovelace") == "Ada Lovelace" and without_address(None) == ""


# -- decisions ------------------------------------------------------------------------------
def test_decisions_taken_are_listed_with_their_evidence(
    ingested: dict[str, Path], tmp_path: Path
) -> None:
    shutil.copy(ingested["enhancement_proposals"], tmp_path / "s.duckdb")
    with Store(tmp_path / "s.duckdb") as store:
        taken = decisions_taken(store, date(2015, 1, 1), date(2030, 1, 1))
        years = sorted({d["at"][:4] for d in taken})
        busiest = max(years, key=lambda y: sum(d["at"].startswith(y) for d in taken))
        period = Period.parse(busiest)
        web = "https://github.com/scikit-learn/enhancement_proposals"
        links = Links.of(store, {"repositories": {"enhancement_proposals": web}}, period,
                         None, [])  # fmt: skip
        write_digest(store, book.load(store), Funding(), tmp_path / "out", period,
                     "scikit-learn", "public", [], links)  # fmt: skip
        expected = decisions_taken(store, period.start, period.end)
    text = (tmp_path / "out" / "digest.md").read_text()
    section = text.split("## Decisions taken", 1)[1].split("\n## ", 1)[0]
    items = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(items) == len(expected) >= 1
    for item, decision in zip(items, expected, strict=True):
        evidence = (f"{web}/pull/{decision['pull_request']}" if decision["pull_request"]
                    else f"{web}/commit/{decision['sha']}")  # fmt: skip
        assert f"]({evidence})" in item and markdown_text(decision["label"]) in item
        assert f"{markdown_text(decision['status'])} on {decision['at']}" in item
    posts = json.loads((tmp_path / "out" / "social.json").read_text())
    assert "decisions" in [p["topic"] for p in posts]


# -- notable work, upstream work ------------------------------------------------------------
def lnav_events() -> list[dict]:
    path = shared_file("gharchive", "lnav", "gharchive_log.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def synthetic_events(real: list[dict]) -> list[dict]:
    """SYNTHETIC comment and review events on two real merged pull requests of the hour:
    tobexyz/yaacc-code#90 gets 3 comments (one by a bot) and 2 reviews by 2 people, one of
    them its author's own; tomgransden/MyTummyHurtsApp#26 gets 1 comment."""
    pulls = {(e["repo"]["name"], e["payload"]["pull_request"]["number"]): e for e in real
             if e["type"] == "PullRequestEvent"}  # fmt: skip
    made, ident = [], 9_000_000_000

    def add(kind: str, key: tuple[str, int], who: str, is_bot: bool = False) -> None:
        nonlocal ident
        ident += 1
        base = pulls[key]
        pull = base["payload"]["pull_request"]
        user = {"login": who, "type": "Bot" if is_bot else "User", "id": ident}
        inner = {"id": ident, "user": user, "pull_request_url": pull["url"],
                 "created_at": "2024-01-01T15:10:00Z", "submitted_at": "2024-01-01T15:10:00Z",
                 "state": "approved", "body": "SYNTHETIC"}  # fmt: skip
        field = "review" if kind == "PullRequestReviewEvent" else "comment"
        made.append({"id": str(ident), "type": kind, "actor": user, "repo": base["repo"],
                     "payload": {"action": "created", "pull_request": pull, field: inner},
                     "public": True, "created_at": "2024-01-01T15:10:00Z"})  # fmt: skip

    yaacc, tummy = ("tobexyz/yaacc-code", 90), ("tomgransden/MyTummyHurtsApp", 26)
    for who, bot in (("synthetic-ann", False), ("synthetic-bob", False), ("ci[bot]", True)):
        add("PullRequestReviewCommentEvent", yaacc, who, bot)
    add("PullRequestReviewEvent", yaacc, "synthetic-ann")
    add("PullRequestReviewEvent", yaacc, "tobexyz")  # its author's own: not a review
    add("PullRequestReviewEvent", yaacc, "synthetic-bob")
    add("PullRequestReviewCommentEvent", tummy, "synthetic-ann")
    return made


SYNTHETIC_RECORDS = """
# SYNTHETIC records for the digest's tests: invented priorities and funded members, over
# real activity (GH Archive's hour of 2024-01-01 15:00 UTC, cloudpickle's history).
[[priority]]
id = "players"
title = "Better playback (synthetic)"
community = true
links = ["tobexyz/yaacc-code#90"]
visibility = "public"

[[priority]]
id = "secret"
title = "Unannounced work (synthetic)"
community = true
links = ["tomgransden/MyTummyHurtsApp#26"]
visibility = "team"

[[member]]
id = "ds5678"
person = "github:ds5678"
fte = 0.5
monthly_cost = 1
currency = "EUR"
start = 2023-01-01
visibility = "public"

[[member]]
id = "olivier"
person = "olivier.grisel@ensta.org"
fte = 0.5
monthly_cost = 1
currency = "EUR"
start = 2024-01-01
visibility = "sponsors"
"""


@pytest.fixture(scope="module")
def ecosystem(tmp_path_factory: pytest.TempPathFactory, mirrors: dict) -> Store:
    """devstats' history (the project here), cloudpickle's (an upstream repository), the real
    GH Archive hour with the SYNTHETIC events, and the SYNTHETIC records above."""
    folder = tmp_path_factory.mktemp("ecosystem")
    store = Store(folder / "s.duckdb")
    ingest(store, folder, str(mirrors["devstats"]), str(mirrors["cloudpickle"]))
    real = lnav_events()
    dump = folder / "2024-01-01-15.json"
    dump.write_text("".join(json.dumps(e) + "\n" for e in real + synthetic_events(real)))
    import_archives(store, [dump], {e["repo"]["name"].lower() for e in real}, set())
    (folder / "records").mkdir()
    records, problems = read_folder_text(folder, SYNTHETIC_RECORDS)
    assert problems == []
    book.replace(store, records, ALL_KINDS, FUNDING, "test")
    yield store
    store.close()


def read_folder_text(folder: Path, text: str) -> tuple[Any, list[str]]:
    """Records from ``text`` split into the files the records folder holds."""
    priorities, members = text.split("[[member]]", 1)
    (folder / "records" / "priorities.toml").write_text(priorities)
    (folder / "records" / "team.toml").write_text("[[member]]" + members)
    (folder / "records" / "sprints.toml").write_text(SYNTHETIC_SPRINTS)
    return read_folder(folder / "records")


def test_notable_work_against_the_events(ecosystem: Store) -> None:
    real = lnav_events()
    events = real + synthetic_events(real)
    # independent count over the events: pull requests of people (not bots) that any event
    # shows merged (#255's merge is known from a review event's copy of it)
    merged = {(e["repo"]["name"], e["payload"]["pull_request"]["number"]) for e in events
              if (e["payload"].get("pull_request") or {}).get("merged_at")
              and e["payload"]["pull_request"]["user"]["type"] != "Bot"}  # fmt: skip
    assert merged == {("tobexyz/yaacc-code", 90), ("tomgransden/MyTummyHurtsApp", 26),
                      ("SamboyCoding/Cpp2IL", 255)}  # fmt: skip
    comments: dict[tuple[str, int], int] = {}
    reviews: dict[tuple[str, int], set[str]] = {}
    for e in events:
        pull = e["payload"].get("pull_request") or {}
        key = (e["repo"]["name"], pull.get("number"))
        if key not in merged:
            continue
        if e["type"] == "PullRequestReviewCommentEvent" and e["actor"]["type"] != "Bot":
            comments[key] = comments.get(key, 0) + 1
        if e["type"] == "PullRequestReviewEvent" and e["actor"]["login"] != pull["user"]["login"]:
            reviews.setdefault(key, set()).add(e["actor"]["login"])
    linked = {"tobexyz/yaacc-code#90": ["Better playback (synthetic)"]}
    found = notable_pulls(ecosystem, date(2024, 1, 1), date(2024, 1, 2), [], linked)
    assert found["merged"] == len(merged) == 3
    assert (
        [(p["repo"], p["number"], p["comments"]) for p in found["discussed"]]
        == [(*key, n) for key, n in sorted(comments.items(), key=lambda kv: -kv[1])]
        == [("tobexyz/yaacc-code", 90, 2), ("tomgransden/MyTummyHurtsApp", 26, 1)]
    )
    assert (
        {(p["repo"], p["number"]): p["reviewers"] for p in found["reviewed"]}
        == {key: len(who) for key, who in reviews.items()}
        == {("tobexyz/yaacc-code", 90): 2, ("SamboyCoding/Cpp2IL", 255): 1}
    )
    assert found["reviewed"][0]["number"] == 90  # most reviewed first
    assert [p["number"] for p in found["priorities"]] == [90]
    assert found["discussed"][0]["url"] == "https://github.com/tobexyz/yaacc-code/pull/90"
    # upstream repositories are the funded team's other work, not the project's
    upstream = notable_pulls(ecosystem, date(2024, 1, 1), date(2024, 1, 2),
                             ["SamboyCoding/Cpp2IL"])  # fmt: skip
    assert upstream["merged"] == 2 and all(p["number"] != 255 for p in upstream["reviewed"])


def test_upstream_work_item_by_item_is_what_the_team_report_counts(
    ecosystem: Store, mirrors: dict
) -> None:
    records = book.load(ecosystem)
    period, upstream = Period.parse("2024"), ["cloudpickle", "SamboyCoding/Cpp2IL"]
    rows = upstream_contributions(ecosystem, records, period, upstream)
    totals = {r["member"].id: r for r in team_activity(ecosystem, records, period, upstream)}
    for member in ("ds5678", "olivier"):
        mine = [r for r in rows if r["member"].id == member]
        assert sum(r["commits"] for r in mine) == totals[member]["upstream_commits"]
        assert sum(len(r["pulls"]) for r in mine) == totals[member]["upstream_pulls"]
    # git itself: Olivier Grisel's commits of 2024 in cloudpickle, authored or co-authored
    log = git(mirrors["cloudpickle"], "log", "--use-mailmap", "--since=2024-01-01T00:00:00Z",
              "--until=2024-12-31T23:59:59Z",
              "--format=%aN%x1f%(trailers:key=Co-authored-by,valueonly)%x1e")  # fmt: skip
    expected = sum(1 for entry in log.split("\x1e") if "Olivier Grisel" in entry)
    assert [(r["repository"], r["commits"]) for r in rows if r["member"].id == "olivier"] == [
        ("cloudpickle", expected)
    ] and expected > 0
    ds5678 = next(r for r in rows if r["member"].id == "ds5678")  # the author of #255
    assert ds5678["repository"] == "SamboyCoding/Cpp2IL"
    assert [p["url"] for p in ds5678["pulls"]] == [
        "https://github.com/SamboyCoding/Cpp2IL/pull/255"
    ]


def test_digest_shows_upstream_work_and_priorities_as_records_allow(
    ecosystem: Store, tmp_path: Path
) -> None:
    period, upstream = Period.parse("2024"), ["cloudpickle", "SamboyCoding/Cpp2IL"]
    links = Links.of(ecosystem, {"url": "https://x.example/{period}"}, period, None, upstream)
    texts = {}
    for audience in ("public", "sponsors"):
        write_digest(ecosystem, book.load(ecosystem), Funding(), tmp_path / audience, period,
                     "demo", audience, upstream, links)  # fmt: skip
        texts[audience] = (tmp_path / audience / "digest.md").read_text()
    public, sponsors = texts["public"], texts["sponsors"]
    pull = "(https://github.com/SamboyCoding/Cpp2IL/pull/255)"
    assert pull in public and "ds5678 in SamboyCoding/Cpp2IL" in public
    assert "Olivier Grisel" not in public and "Other team members:" in public
    assert "Olivier Grisel in cloudpickle" in sponsors
    assert "Better playback (synthetic)" in public and "Unannounced" not in sponsors
    assert f"[{markdown_text('tobexyz/yaacc-code#90 merge latest release to master')}]" in public
    assert "https://github.com/tobexyz/yaacc-code/pull/90" in public


def test_community_figures_are_the_projects_when_upstream_work_shares_the_store(
    ecosystem: Store, mirrors: dict
) -> None:
    upstream = ["cloudpickle", "SamboyCoding/Cpp2IL"]
    assert community_scope(ecosystem, upstream) == ("devstats", False)
    assert community_scope(ecosystem, []) == (None, False)  # nothing upstream: everything
    window = Window(date(2024, 1, 1), date(2025, 1, 1))
    mine = community_section(ecosystem, window, upstream)
    # git itself: who first authored or co-authored a devstats commit in 2024 (bots left out)
    log = git(mirrors["devstats"], "log", "--use-mailmap", "--reverse", "--format=%aI%x1f%aN%x1f"
              "%(trailers:key=Co-authored-by,valueonly)%x1e")  # fmt: skip
    first: dict[str, str] = {}
    for entry in log.split("\x1e")[:-1]:
        when, author, coauthors = entry.strip("\n").split("\x1f")  # \x1f is whitespace
        for name in [author, *(c.rsplit("<", 1)[0].strip() for c in coauthors.splitlines() if c)]:
            first.setdefault(name, when)
    expected = sorted(n for n, at in first.items() if at.startswith("2024") and "[bot]" not in n)
    assert [n["name"] for n in mine["newcomers"]] == expected == ["Will Dean"]
    everything = community_section(ecosystem, window, [])  # cloudpickle's newcomers too
    assert len(everything["newcomers"]) > len(mine["newcomers"])
    assert mine["active"] < everything["active"] and not mine["with_upstream"]


# -- sprints ------------------------------------------------------------------------------
SYNTHETIC_SPRINTS = """
# SYNTHETIC sprints: one on the day of the real GH Archive hour, one a year before.
[[sprint]]
id = "new-year-2024"
name = "New year sprint (synthetic)"
start = 2024-01-01
end = 2024-01-01
participants = ["someone@example.org"]

[[sprint]]
id = "new-year-2023"
name = "Earlier sprint (synthetic)"
start = 2023-01-01
end = 2023-01-02
"""


def test_sprint_outcomes_of_the_period(ecosystem: Store) -> None:
    from catherd.community.sprints import sprint_outcomes, sprints

    period = Period.parse("2024")
    shown = sprint_section(ecosystem, period)
    assert [s["name"] for s in shown] == ["New year sprint (synthetic)"]
    sprint = next(s for s in sprints(ecosystem) if s.id == "new-year-2024")
    outcome = sprint_outcomes(ecosystem, sprint)
    figures = dict(shown[0]["figures"])
    assert figures["participants"] == len(outcome["participants"]) == 1
    assert figures["merged"] == outcome["pulls"]["merged"]
    assert figures["pull requests opened during it"] == outcome["pulls"]["opened_during"]


def test_three_posts_within_limits_even_for_an_empty_period(ecosystem: Store) -> None:
    period = Period.parse("2031-02")  # nothing happened
    records = book.load(ecosystem)
    url = "https://x.example/" + "long-path/" * 10  # 118 characters

    def posts(link: str) -> list[dict]:
        links = Links.of(ecosystem, {}, period, link, [])
        return social_posts(digest_context(ecosystem, records, Funding(), period, "demo",
                                           "public", [], links))  # fmt: skip

    made = posts(url)
    assert [p["topic"] for p in made] == ["summary", "thanks", "invitation"]
    for post in made:
        assert len(post["short"]) <= LIMITS[0] and len(post["long"]) <= LIMITS[1]
        assert post["short"].endswith(url) and post["long"].endswith(url)
    with pytest.raises(InputError, match="no room for a 280-character post"):
        posts("https://x.example/" + "long-path/" * 26)


def test_dashboard_download_is_the_cli_digest_and_sponsors_get_theirs(project: dict) -> None:
    import warnings

    from fastapi.testclient import TestClient

    from catherd.config import load_config
    from catherd.web.accounts import add_user
    from catherd.web.app import create_app

    from .conftest import post_login

    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    folder = project["folder"]
    db = folder / "web.duckdb"
    shutil.copy(folder / "s.duckdb", db)
    password = "correct horse battery"  # SYNTHETIC accounts
    with Store(db) as copy:
        for name, role in (("tom", "team"), ("vic", "viewer")):
            add_user(copy, name, password, role)
    config = load_config(folder / "catherd.toml", db)
    app = create_app(db, public=("reports",), config=config)

    def session(who: str | None) -> TestClient:
        client = TestClient(app, base_url="http://127.0.0.1")
        if who:
            post_login(client, who, password)
        return client

    anonymous, viewer, team = session(None), session("vic"), session("tom")
    query = f"period={PERIOD}"
    assert "/reports/digest.md" in anonymous.get("/reports/digest").text
    public = anonymous.get(f"/reports/digest.md?{query}")
    assert public.status_code == 200
    cli = (project["made"]["public"] / "digest.md").read_text()
    strip = re.compile(r"generated [^·]+·")  # the day it was written
    assert strip.sub("", public.text) == strip.sub("", cli)
    posts = anonymous.get(f"/reports/digest.json?{query}").json()
    assert [p["topic"] for p in posts] == ["releases", "newcomers", "team"]
    assert anonymous.get(f"/reports/digest.md?{query}&audience=sponsors").status_code == 403
    assert viewer.get(f"/reports/digest.md?{query}&audience=sponsors").status_code == 403
    sponsors = team.get(f"/reports/digest.html?{query}&audience=sponsors")
    assert sponsors.status_code == 200 and "Globex Research (synthetic)" in sponsors.text
    bad = anonymous.get("/reports/digest.md?period=someday")
    assert bad.status_code == 422 and "--period 'someday'" in bad.text
