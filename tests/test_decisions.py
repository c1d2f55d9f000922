"""The decision log on scikit-learn's SLEP repository (real history, with its pull-request
heads), each SLEP checked against an independent reading of the files with git show and
plain regular expressions; then its known inconsistencies, the CLI, the dashboard and the
community report's section."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from catherd.cli.main import app
from catherd.decisions.rules import DecisionRules
from catherd.decisions.summary import decision_log, decisions_taken
from catherd.metrics import Params
from catherd.reports.community import write_report
from catherd.store.database import Store
from catherd.web.app import create_app

from .conftest import git

REPO = "enhancement_proposals"
HEAD_DAY = date(2024, 10, 8)  # the day after the bundle's last commit
SLEP_PATH = re.compile(r"^slep(\d{3})/proposal\.rst$")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
runner = CliRunner()


# -- the independent reading ------------------------------------------------------------------
def field(text: str, name: str) -> str | None:
    found = re.search(rf"^:{name}:\s*(.+)$", text, re.M)
    return found.group(1).strip() if found else None


def index_statuses(text: str) -> dict[str, list[str]]:
    """slepNNN -> the captions of the toctrees listing it, in order."""
    listed: dict[str, list[str]] = {}
    caption = None
    for line in text.splitlines():
        if line.startswith(".. toctree::"):
            caption = None
        elif m := re.match(r"^\s+:caption:\s*(.+)$", line):
            caption = m.group(1).strip()
        elif (m := re.match(r"^\s+(slep\d{3})/proposal\s*$", line)) and caption:
            listed.setdefault(m.group(1), []).append(caption)
    return listed


def plain(text: str) -> str:
    return re.sub(r":ref:`(\S+) <[^>]+>`", r"\1", text).replace("``", "")


def expected_sleps(mirror: Path) -> dict[str, dict]:
    """Every SLEP at HEAD, read with git show and regular expressions."""
    index = index_statuses(git(mirror, "show", "HEAD:index.rst"))
    found = {}
    for path in git(mirror, "ls-tree", "-r", "--name-only", "HEAD").split():
        m = SLEP_PATH.match(path)
        if not m:
            continue
        text = git(mirror, "show", f"HEAD:{path}")
        title = re.search(r"^\s*SLEP(\d{3}): (.+?)\s*$", text, re.M)
        authors = field(text, "Author")
        origin = git(mirror, "log", "--follow", "--diff-filter=A", "--format=%an|%as", "--",
                     path).strip().splitlines()[-1].split("|")  # fmt: skip
        found[path] = {
            "number": int(m.group(1)),
            "title_number": int(title.group(1)),
            "title": plain(title.group(2)),
            "status": plain(field(text, "Status") or index[f"slep{m.group(1)}"][0]),
            "authors": [re.sub(r"\s*<[^>]*>", "", a).strip() for a in authors.split(",")]
            if authors else [origin[0]],
            "created": field(text, "Created") or origin[1],
            "index": index.get(f"slep{m.group(1)}", []),
        }  # fmt: skip
    return found


RESOLVED_WORDS = ("accepted", "final", "active", "rejected", "withdrawn", "superseded")


def expected_history(mirror: Path, path: str) -> list[tuple[str, str, str]]:
    """(day, status, commit) each time the status in force changed on the main line: the
    document's :Status:, else the toctree caption index.rst files it under."""
    commits = git(mirror, "log", "--first-parent", "--reverse", "--format=%H %cd",
                  "--date=format-local:%Y-%m-%d", "--", path, "index.rst").split("\n")  # fmt: skip
    history: list[tuple[str, str, str]] = []
    for line in filter(None, commits):
        sha, day = line.split()
        exists = git(mirror, "ls-tree", "--name-only", sha, "--", path).strip()
        if not exists:
            continue
        status = field(git(mirror, "show", f"{sha}:{path}"), "Status")
        if status is None:
            listed = index_statuses(git(mirror, "show", f"{sha}:index.rst"))
            status = (listed.get(path.split("/")[0]) or [None])[0]
        if status and (not history or history[-1][1].lower() != plain(status).lower()):
            history.append((day, plain(status), sha))
    return history


def resolved_day(history: list[tuple[str, str, str]]) -> str | None:
    day = None
    for when, status, _ in history:
        is_resolved = status.lower().split(" (")[0] in RESOLVED_WORDS
        day = (day or when) if is_resolved else None
    return day


@pytest.fixture(scope="module")
def slep(ingested: dict[str, Path]) -> Path:
    return ingested[REPO]


@pytest.fixture(scope="module")
def mirror(mirrors: dict[str, Path]) -> Path:
    return mirrors[REPO]


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


# -- every SLEP, field by field -------------------------------------------------------------
def test_every_slep_at_head_is_read_as_its_file_says(slep: Path, mirror: Path) -> None:
    code, out = cli("decisions", "--json", "--db", str(slep))
    assert code == 0, out
    listed = json.loads(out)
    at_head = {d["path"]: d for d in listed if d["proposed_in"] is None}
    expected = expected_sleps(mirror)
    assert set(at_head) == set(expected) and len(expected) == 17
    for path, want in expected.items():
        got = at_head[path]
        assert got["repository"] == REPO
        assert got["number"] == want["number"] == want["title_number"], path
        assert got["label"] == f"SLEP{want['number']:03d}"
        assert got["title"] == want["title"], path
        assert got["status"] == want["status"], path
        assert [a["as_written"] for a in got["authors"]] == want["authors"], path
        assert got["created"] == want["created"], path
    # the three without a :Status: take the index's; the others their own
    from_index = {p for p, d in at_head.items() if d["status_source"] == "index"}
    assert from_index == {f"slep00{n}/proposal.rst" for n in (1, 2, 3)}
    assert {at_head[p]["status"] for p in from_index} == {"Delayed review"}


def test_status_history_and_resolution_dates_follow_the_main_line(
    slep: Path, mirror: Path
) -> None:
    with Store(slep, read_only=True) as store:
        details = {}
        for d in decision_log(store, DecisionRules(), HEAD_DAY)["decisions"]:
            if d["proposed_in"] is None:
                code, out = cli("decisions", "show", str(d["number"]), "--json", "--db", str(slep))
                assert code == 0, out
                details[d["path"]] = next(x for x in json.loads(out) if x["proposed_in"] is None)
    changes = 0
    for path, detail in details.items():
        want = expected_history(mirror, path)
        got = [(e["at"][:10], e["status"], e["sha"]) for e in detail["history"]]
        assert got == want, path
        assert detail["resolved"] == resolved_day(want), path
        changes += len(want)
    assert changes == 33 > len(details)  # most SLEPs changed status at least once
    slep9 = details["slep009/proposal.rst"]["history"]
    assert [e["status"] for e in slep9] == ["Draft", "Accepted", "Final"]
    assert [e["pull_request"] for e in slep9] == [19, None, 75]  # #19 squashed, #75 merged


def test_authors_are_people_when_an_address_or_a_unique_name_says_so(
    slep: Path, mirror: Path
) -> None:
    with Store(slep, read_only=True) as store:
        rows = {d["path"]: d for d in decision_log(store, DecisionRules(), HEAD_DAY)["decisions"]}
        by_email = dict(store.con.execute("SELECT email_key, person_id FROM identities").fetchall())
    julien = rows["slep019/proposal.rst"]["authors"][0]
    assert julien["as_written"] == "Julien Jerphanion"
    assert julien["person_id"] == by_email["git@jjerphan.xyz"]  # the address in its :Author:
    # git knows two addresses for Joel Nothman (as author or co-author), never merged: his
    # name alone decides nothing
    signed = git(mirror, "log", "HEAD", "--format=%an <%ae>%n%(trailers:key=Co-authored-by,"
                 "valueonly)").splitlines()  # fmt: skip
    assert len({line for line in signed if line.startswith("Joel Nothman <")}) == 2
    assert rows["slep017/proposal.rst"]["authors"][0] == {
        "name": "Joel Nothman", "as_written": "Joel Nothman", "person_id": None}  # fmt: skip
    # SLEP001 names nobody: the author of the commit that first added it, whose address maps
    gael = rows["slep001/proposal.rst"]["authors"][0]
    assert gael["person_id"] is not None and gael["as_written"] == "Gael Varoquaux"


# -- what disagrees --------------------------------------------------------------------------
def proposed_in_pull_requests(mirror: Path) -> dict[int, list[tuple[int, str]]]:
    """SLEP number -> (pull request, commit date) of documents only pull requests hold."""
    head = git(mirror, "rev-parse", "HEAD").strip()
    reachable = set(git(mirror, "rev-list", "HEAD").split())
    ever = set(git(mirror, "log", "--format=", "--name-only", head).split())
    found: dict[int, list[tuple[int, str]]] = {}
    refs = git(mirror, "for-each-ref", "--format=%(objectname) %(committerdate:short) %(refname)",
               "refs/pull").splitlines()  # fmt: skip
    for line in refs:
        sha, day, ref = line.split()
        pull = re.match(r"refs/pull/(\d+)/head$", ref)
        if not pull or sha in reachable:
            continue
        for path in git(mirror, "ls-tree", "-r", "--name-only", sha).split():
            m = SLEP_PATH.match(path)
            if m and path not in ever:
                found.setdefault(int(m.group(1)), []).append((int(pull.group(1)), day))
    return found


def test_known_inconsistencies_are_reported(slep: Path, mirror: Path) -> None:
    code, out = cli("decisions", "check", "--json", "--as-of", HEAD_DAY.isoformat(),
                    "--db", str(slep))  # fmt: skip
    assert code == 0, out
    found = json.loads(out)
    kinds: dict[str, list[dict]] = {}
    for item in found:
        kinds.setdefault(item["kind"], []).append(item)
    # two documents with one number: only pull requests show them (HEAD has none)
    proposed = proposed_in_pull_requests(mirror)
    duplicates = {n: sorted(p for p, _ in prs) for n, prs in proposed.items() if len(prs) > 1}
    assert duplicates == {11: [23, 24, 28], 23: [89, 90]}
    assert {(i["documents"][0]["label"], tuple(sorted(d["proposed_in"] for d in i["documents"])))
            for i in kinds["duplicate_number"]} == {
        (f"SLEP{n:03d}", tuple(prs)) for n, prs in duplicates.items()}  # fmt: skip
    # the index against the documents, read independently
    sleps = expected_sleps(mirror)
    same = {("accepted", "final")}
    disagree = set()
    for want in sleps.values():
        own = want["status"].lower().split(" (")[0]
        for caption in want["index"]:
            if caption.lower() != own and (caption.lower(), own) not in same:
                disagree.add((f"SLEP{want['number']:03d}", caption))
    assert disagree == {("SLEP004", "Rejected"), ("SLEP012", "Rejected"),
                        ("SLEP017", "Under review"), ("SLEP019", "Under review")}  # fmt: skip
    assert {(i["documents"][0]["label"], re.search(r"under '([^']+)'", i["message"]).group(1))
            for i in kinds["index_disagrees"]} == disagree  # fmt: skip
    assert [i["documents"][0]["label"] for i in kinds["listed_twice"]] == ["SLEP017"]
    # drafts and proposals under review with no change for a year, as of the day after HEAD
    stale = set()
    for number, prs in proposed.items():
        for pull, day in prs:
            sha = git(mirror, "rev-parse", f"refs/pull/{pull}/head").strip()
            status = field(git(mirror, "show", f"{sha}:slep{number:03d}/proposal.rst"), "Status")
            old = (HEAD_DAY - date.fromisoformat(day)).days > 365
            if old and status and status.lower() in ("draft", "under review"):
                stale.add((f"SLEP{number:03d}", pull))
    assert {(i["documents"][0]["label"], i["documents"][0]["proposed_in"])
            for i in kinds["stale"]} == stale  # fmt: skip
    assert len(stale) == 5
    assert set(kinds) == {"duplicate_number", "index_disagrees", "listed_twice", "stale"}


def test_votes_without_github_data_are_the_pull_requests_git_shows(
    slep: Path, mirror: Path
) -> None:
    code, out = cli("decisions", "votes", "--json", "--db", str(slep))
    assert code == 0, out
    votes = json.loads(out)
    # main-line subjects that open with "vote" name the pull request and the SLEP
    expected = set()
    for subject in git(mirror, "log", "--first-parent", "--format=%s", "HEAD").splitlines():
        if re.match(r"^\W*vote\b", subject, re.I):
            number = re.search(r"SLEP\s*0*(\d+)", subject).group(1)
            pull = re.search(r"\(#(\d+)\)$", subject).group(1)
            expected.add((int(pull), f"SLEP{int(number):03d}"))
    assert len(expected) == 5
    assert {(v["number"], v["decision"]) for v in votes} == expected
    assert all(v["source"] == "git" and v["for"] is None and v["outcome"] == "accepted"
               for v in votes)  # fmt: skip


# -- the views ------------------------------------------------------------------------------
def test_listing_filters_and_errors(slep: Path) -> None:
    code, out = cli("decisions", "--json", "--status", "accepted", "--db", str(slep))
    assert code == 0
    accepted = json.loads(out)
    assert {d["label"] for d in accepted} == {"SLEP000", "SLEP006", "SLEP017", "SLEP018",
                                              "SLEP020"}  # fmt: skip
    assert set(accepted[0]) >= {"repository", "number", "title", "status", "authors", "created",
                                "path"}  # fmt: skip
    code, out = cli("decisions", "--json", "--status", "Under review", "--repo", REPO,
                    "--db", str(slep))  # fmt: skip
    assert {(d["label"], d["proposed_in"]) for d in json.loads(out)} == {
        ("SLEP011", 24), ("SLEP011", 28), ("SLEP022", 88)}  # fmt: skip
    for args, message in (
        (("--status", "pending-ish"), "--status 'pending-ish': no decision has it"),
        (("--repo", "nope"), "--repo 'nope': no such repository"),
        (("show", "99"), "no decision numbered 99"),
    ):
        code, out = cli("decisions", *args, "--db", str(slep))
        assert code == 2 and message in out and "Traceback" not in out
    code, out = cli("decisions", "--db", str(slep))
    assert code == 0 and "SLEP017" in out and "inconsistencies" in out


def test_public_pages_show_names_never_addresses(slep: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    shutil.copy(slep, db)
    client = TestClient(create_app(db), base_url="http://127.0.0.1")
    page = client.get("/decisions")
    assert page.status_code == 200 and "SLEP019" in page.text and "Julien Jerphanion" in page.text
    one = client.get(f"/decisions/{REPO}/19")
    assert one.status_code == 200 and "Withdraw SLEP019 (#87)" in one.text
    api = client.get("/api/decisions?status=rejected").json()
    assert {d["label"] for d in api["decisions"]} == {"SLEP013", "SLEP014", "SLEP015"}
    assert {i["kind"] for i in api["inconsistencies"]} >= {"duplicate_number", "index_disagrees"}
    detail = client.get(f"/api/decisions/{REPO}/11").json()
    assert sorted(d["proposed_in"] for d in detail) == [23, 24, 28]
    for path in ("/decisions", f"/decisions/{REPO}/19", "/api/decisions",
                 f"/api/decisions/{REPO}/19"):  # fmt: skip
        assert not EMAIL.search(client.get(path).text), path
    assert client.get(f"/decisions/{REPO}/99").status_code == 404
    assert client.get("/api/decisions?repo=nope").status_code == 404
    assert client.get("/api/decisions?status=nonsense").status_code == 422


def test_report_lists_the_decisions_taken_in_its_period(
    slep: Path, mirror: Path, tmp_path: Path
) -> None:
    start, end = date(2022, 1, 1), date(2023, 1, 1)
    expected = []
    for path in expected_sleps(mirror):
        history = expected_history(mirror, path)
        for n, (day, status, _) in enumerate(history):
            word = status.lower().split(" (")[0]
            before = history[n - 1][1].lower().split(" (")[0] if n else ""
            if word in RESOLVED_WORDS and word != before and start <= date.fromisoformat(day) < end:
                expected.append((day, f"SLEP{int(path[4:7]):03d}", status))
    with Store(slep, read_only=True) as store:
        taken = decisions_taken(store, start, end)
        write_report(store, tmp_path, "scikit-learn", Params(since=start, until=end))
    assert [(t["at"], t["label"], t["status"]) for t in taken] == sorted(expected)
    assert len(expected) == 9
    markdown = (tmp_path / "report.md").read_text()
    section = markdown.split("## Decisions taken this period")[1].split("## Definitions")[0]
    assert [line.split(" | ")[1].split(" ")[0] for line in section.splitlines()
            if line.startswith("| 20")] == [label for _, label, _ in sorted(expected)]  # fmt: skip
    html = (tmp_path / "index.html").read_text()
    assert "Decisions taken this period" in html and not EMAIL.search(section)
