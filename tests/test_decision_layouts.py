"""Other proposal layouts, found without configuration, and votes from GitHub data.

Everything here is SYNTHETIC: the repositories (JEP-like front-matter Markdown whose status
is only in a README table, a Rust-style RFC folder, PEP-style RST headers, a configured
layout), their people and dates, and the GitHub events of the votes are invented by these
tests. The code paths are the real ones: git repositories read by `catherd` through the sync,
the votes' events loaded by the GH Archive importer into the same tables the API fills.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from catherd.config import Config, RepositorySpec
from catherd.decisions.log import load_decisions
from catherd.decisions.rules import DecisionRules
from catherd.decisions.summary import decision_details, decision_log
from catherd.errors import InputError, SourceError
from catherd.pipeline import import_gharchive, refresh_identities, sync
from catherd.sources.decisions.formats import parse_author, parse_date
from catherd.store.database import Store

from .conftest import table_digest

ADA = "Ada Lovelace <ada@example.org>"  # SYNTHETIC people
GRACE = "Grace Hopper <grace@example.org>"


def commit(repo: Path, files: dict[str, str | None], message: str, when: str,
           who: str = ADA) -> str:  # fmt: skip
    """Write (or, for None, delete) ``files`` and commit them on ``when`` (ISO date)."""
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    name, email = who[: who.index(" <")], who[who.index("<") + 1 : -1]
    env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
           "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
           "GIT_AUTHOR_DATE": f"{when}T12:00:00+00:00",
           "GIT_COMMITTER_DATE": f"{when}T12:00:00+00:00"}  # fmt: skip
    run = {"cwd": repo, "env": env, "check": True, "capture_output": True}
    subprocess.run(["git", "add", "-A"], **run)  # type: ignore[call-overload]
    subprocess.run(["git", "commit", "-q", "-m", message], **run)  # type: ignore[call-overload]
    out = subprocess.run(["git", "rev-parse", "HEAD"], **run)  # type: ignore[call-overload]
    return str(out.stdout.decode().strip())


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    return path


def readme(statuses: dict[str, str]) -> str:
    rows = "".join(f"| {number} | {title} | {status} |\n"
                   for (number, title), status in zip(
                       [("[0001](jep-0001/index.md)", "Widgets everywhere"),
                        ("[0002](jep-0002/index.md)", "Faster kernels"),
                        ("[0003](jep-0003/index.md)", "Plugins"),
                        ("4", "Lost proposal")], statuses.values(), strict=True))  # fmt: skip
    return f"# Proposals (SYNTHETIC)\n\n| JEP | Title | Status |\n|----:|-------|--------|\n{rows}"


def jep(title: str, authors: list[str], day: str, extra: str = "") -> str:
    listed = "".join(f"  - {json.dumps(a)}\n" for a in authors)
    return (f"---\ntitle: {title}\nauthors:\n{listed}date: {day}\n{extra}---\n\n# {title}\n\n"
            "SYNTHETIC proposal text.\n")  # fmt: skip


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("layouts")
    # JEP-like: front matter without a status; the README's table says it
    jeps = new_repo(base / "proposals")
    commit(jeps, {
        "jep-0001/index.md": jep("Widgets everywhere", [ADA, "@grace"], "2021-02-15",
                                 "discussion: https://discourse.example.org/t/widgets/42\n"
                                 "pr-number: 3\n"),
        "jep-0002/index.md": jep("Faster kernels", ["Grace Hopper"], "2021-03-01"),
        "notes/12-meeting.md": "# Meeting 12\n\nNot a proposal (SYNTHETIC).\n",
        "README.md": readme({"1": "Draft", "2": "Draft", "3": "Draft", "4": "Withdrawn"}),
    }, "Two proposals and their index", "2021-03-01")  # fmt: skip
    commit(jeps, {"README.md": readme({"1": "**Accepted**", "2": "Draft", "3": "Draft",
                                       "4": "Withdrawn"})},
           "Accept JEP 1", "2021-06-01", GRACE)  # fmt: skip
    commit(jeps, {
        "README.md": readme({"1": "Final", "2": "Draft", "3": "Accepted", "4": "Withdrawn"}),
        "jep-0003/index.md": jep("Plugins", ["Grace Hopper"], "2022-01-05",
                                 "status: Under review\n"),
    }, "JEP 1 is final; JEP 3 proposed", "2022-01-10")  # fmt: skip
    # Rust-style: text/NNNN-name.md, accepted by being there
    rfcs = new_repo(base / "rfcs")
    rfc = ("- Feature Name: `{feature}`\n- Start Date: {start}\n"
           "- RFC PR: [rust-lang/rfcs#{n}](https://github.com/rust-lang/rfcs/pull/{n})\n"
           "- Rust Issue: [rust-lang/rust#8122](https://github.com/rust-lang/rust/issues/8122)\n"
           "\n# Summary\n\nSYNTHETIC.\n")  # fmt: skip
    commit(rfcs, {"text/0001-private-fields.md": rfc.format(feature="private_fields",
                                                          start="2014-03-11", n=1),
                  "README.md": "# RFCs (SYNTHETIC)\n"},
           "RFC 1: private fields", "2014-03-12")  # fmt: skip
    commit(rfcs, {"text/0002-rfc-process.md": rfc.format(feature="rfc_process",
                                                         start="2014-03-20", n=2)},
           "RFC 2: the RFC process", "2014-04-01", GRACE)  # fmt: skip
    # PEP-style RST headers
    peps = new_repo(base / "peps")
    pep8 = ("PEP: 8\nTitle: Style Guide for Python Code\nAuthor: Guido van Rossum "
            "<guido@example.org>,\n        Barry Warsaw <barry@example.org>\nStatus: {status}\n"
            "Type: Process\nCreated: 05-Jul-2001\nPost-History: 05-Jul-2001\n{extra}\n"
            "Introduction\n============\n\nSYNTHETIC.\n")  # fmt: skip
    guido = "Guido van Rossum <guido@example.org>"
    commit(peps, {"peps/pep-0008.rst": pep8.format(status="Draft", extra=""),
                  "peps/pep-0012.rst": "PEP: 13\nTitle: Sample\nAuthor: Barry Warsaw\n"
                                       "Status: Draft\nType: Process\nCreated: 2001-07-05\n\n"
                                       "SYNTHETIC.\n"},
           "PEP 8 and PEP 12", "2001-07-05", guido)  # fmt: skip
    resolution = ("Resolution: https://mail.python.org/archives/list/python-dev@python.org/"
                  "thread/ABC/\nDiscussions-To: https://discuss.python.org/t/pep-8/99\n")
    commit(peps, {"peps/pep-0008.rst": pep8.format(status="Accepted", extra=resolution)},
           "Accept PEP 8", "2001-09-01", guido)  # fmt: skip
    commit(peps, {"peps/pep-0008.rst": pep8.format(status="Active", extra=resolution)},
           "PEP 8 is active", "2003-01-01", guido)  # fmt: skip
    # A layout no process uses: found only through [decisions] paths
    gov = new_repo(base / "gov")
    commit(gov, {"governance/d7.txt": "Title: Move to GitHub\nStatus: Accepted\n"
                                      "Created: 2020-05-01\nAuthor: Ada Lovelace\n\nSYNTHETIC.\n"},
           "Record decision 7", "2020-05-02")  # fmt: skip
    return {"proposals": jeps, "rfcs": rfcs, "peps": peps, "gov": gov}


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, repos: dict[str, Path]) -> Path:
    folder = tmp_path_factory.mktemp("store")
    db = folder / "s.duckdb"
    with Store(db) as store:
        report = sync(store, Config(root=folder, db=db),
                      [RepositorySpec(str(p)) for p in repos.values()])  # fmt: skip
    assert dict(report.decisions) == {"proposals": 3, "rfcs": 2, "peps": 2, "gov": 0}
    return db


def by_label(store_path: Path, repository: str) -> dict[str, Any]:
    with Store(store_path, read_only=True) as store:
        return {d.label: d for d in load_decisions(store, repository)}


def test_front_matter_documents_take_their_status_from_the_readme_table(
    store_path: Path,
) -> None:
    found = by_label(store_path, "proposals")
    assert set(found) == {"JEP 1", "JEP 2", "JEP 3"}  # notes/12-meeting.md is no proposal
    one = found["JEP 1"]
    assert (one.title, one.status, one.status_source) == ("Widgets everywhere", "Final", "index")
    assert [a["name"] for a in one.authors] == ["Ada Lovelace", "@grace"]
    assert one.created == "2021-02-15" and one.resolved == "2021-06-01"
    assert [(e["at"].date().isoformat(), e["status"], e["source"]) for e in one.history] == [
        ("2021-03-01", "Draft", "index"), ("2021-06-01", "Accepted", "index"),
        ("2022-01-10", "Final", "index")]  # fmt: skip
    assert {(link["kind"], link["target"]) for link in one.links} == {
        ("forum", "https://discourse.example.org/t/widgets/42"), ("pull", "#3")}  # fmt: skip
    three = found["JEP 3"]
    assert (three.status, three.status_source, three.listed) == (
        "Under review", "document", ["Accepted"])  # fmt: skip
    with Store(store_path, read_only=True) as store:
        problems = decision_log(store, DecisionRules(), date(2022, 6, 1), repository="proposals")
    assert {(p["kind"], p["message"]) for p in problems["inconsistencies"]} == {
        ("index_disagrees",
         "JEP 3: the index files it under 'Accepted', the document says 'Under review'"),
        ("index_without_document",
         "README.md lists #4 (Lost proposal, Withdrawn) but no document has that number"),
        ("stale", "JEP 2 (jep-0002/index.md) has been 'Draft' with no change since 2021-03-01 "
                  "(457 days)"),
    }  # fmt: skip


def test_rust_rfcs_are_accepted_when_they_land_in_text(store_path: Path) -> None:
    found = by_label(store_path, "rfcs")
    assert set(found) == {"RFC 1", "RFC 2"}
    one, two = found["RFC 1"], found["RFC 2"]
    assert (one.title, one.status, one.status_source, one.created) == (
        "private_fields", "Accepted", "layout", "2014-03-11")  # fmt: skip
    assert [(e["at"].date().isoformat(), e["status"]) for e in two.history] == [
        ("2014-04-01", "Accepted")]  # fmt: skip
    assert two.resolved == "2014-04-01"
    # no author in the header: the author of the commit that added it, and a person
    assert [a["name"] for a in two.authors] == ["Grace Hopper"] and two.authors_source == "git"
    assert two.authors[0]["person_id"] is not None
    assert {(link["kind"], link["target"]) for link in one.links} == {
        ("pull", "rust-lang/rfcs#1"), ("issue", "rust-lang/rust#8122")}  # fmt: skip


def test_pep_headers_history_and_a_number_stated_twice(store_path: Path) -> None:
    found = by_label(store_path, "peps")
    eight = found["PEP 8"]
    assert (eight.title, eight.status, eight.type, eight.created) == (
        "Style Guide for Python Code", "Active", "Process", "2001-07-05")  # fmt: skip
    assert [a["as_written"] for a in eight.authors] == ["Guido van Rossum", "Barry Warsaw"]
    guido, barry = eight.authors
    assert guido["matched_by"] == "email" and barry["person_id"] is None  # never committed
    assert [(e["at"].date().isoformat(), e["status"]) for e in eight.history] == [
        ("2001-07-05", "Draft"), ("2001-09-01", "Accepted"), ("2003-01-01", "Active")]
    assert eight.resolved == "2001-09-01"  # accepted, then active: resolved since
    assert {link["kind"] for link in eight.links} == {"mailing_list", "forum"}
    with Store(store_path, read_only=True) as store:
        problems = decision_log(store, DecisionRules(), date(2004, 1, 1), repository="peps")
    assert {(p["kind"], p["documents"][0]["label"]) for p in problems["inconsistencies"]} == {
        ("stated_number", "PEP 12"), ("stale", "PEP 12")}  # fmt: skip


def test_configured_paths_find_other_layouts(repos: dict[str, Path], tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    config = Config(root=tmp_path, db=db, decisions={"paths": ["governance/*.txt"]})
    with Store(db) as store:
        report = sync(store, config, [RepositorySpec(str(repos["gov"]))])
        assert report.decisions == [("gov", 1)]
        decision = load_decisions(store)[0]
        assert (decision.label, decision.title, decision.status, decision.created) == (
            "#7", "Move to GitHub", "Accepted", "2020-05-01")  # fmt: skip
        before = table_digest(store)
        bad = Config(root=tmp_path, db=db, decisions={"paths": "governance/*.txt"})
        with pytest.raises(InputError, match=r"\[decisions\] paths must be a list"):
            sync(store, bad, [RepositorySpec(str(repos["gov"]))])
        assert table_digest(store) == before


def test_scans_only_when_something_moved_and_never_half(
    repos: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "s.duckdb"
    work = tmp_path / "peps"
    subprocess.run(["git", "clone", "-q", str(repos["peps"]), str(work)], check=True)
    config = Config(root=tmp_path, db=db)
    with Store(db) as store:
        assert sync(store, config, [RepositorySpec(str(work))]).decisions == [("peps", 2)]
        before = table_digest(store)
        assert sync(store, config, [RepositorySpec(str(work))]).decisions == []  # unchanged
        assert table_digest(store) == before
        text = (work / "peps/pep-0012.rst").read_text().replace("Status: Draft", "Status: Rejected")
        commit(work, {"peps/pep-0012.rst": text}, "Reject PEP 12", "2004-02-01")
        import catherd.store.decision_loader as loader

        def broken(*args: object) -> None:
            raise SourceError("git cat-file failed (SYNTHETIC failure)")

        monkeypatch.setattr(loader, "scan", broken)
        report = sync(store, config, [RepositorySpec(str(work))], stop_on_error=False)
        assert report.failures and table_digest(store) == before  # commits not stored either
        monkeypatch.undo()
        assert sync(store, config, [RepositorySpec(str(work))]).decisions == [("peps", 2)]
        twelve = {d.label: d for d in load_decisions(store)}["PEP 12"]
        assert [e["status"] for e in twelve.history] == ["Draft", "Rejected"]
        assert twelve.resolved == "2004-02-01"


# -- votes, from GitHub events --------------------------------------------------------------
def _event(kind: str, when: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(abs(hash((kind, when, json.dumps(payload, sort_keys=True))))),
            "type": kind, "created_at": when, "public": True,
            "actor": {"login": "someone"}, "repo": {"name": "synthetic-org/rfcs"},
            "payload": payload}  # fmt: skip


def _pull(number: int, title: str, opened: str, closed: str | None, merged: bool) -> dict:
    url = f"https://github.com/synthetic-org/rfcs/pull/{number}"
    return {"number": number, "title": title, "state": "closed" if closed else "open",
            "user": {"login": "ada", "id": 1, "type": "User"}, "created_at": opened,
            "updated_at": closed or opened, "closed_at": closed,
            "merged_at": closed if merged else None, "html_url": url, "labels": []}  # fmt: skip


def _issue(number: int, title: str, opened: str, closed: str | None, pr: bool) -> dict:
    issue: dict[str, Any] = {
        "id": 1000 + number, "number": number, "title": title,
        "state": "closed" if closed else "open", "user": {"login": "ada", "type": "User"},
        "created_at": opened, "updated_at": closed or opened, "closed_at": closed,
        "labels": [], "html_url": f"https://github.com/synthetic-org/rfcs/issues/{number}",
    }  # fmt: skip
    if pr:
        issue["pull_request"] = {"html_url": f"https://github.com/synthetic-org/rfcs/pull/{number}"}
    return issue


def _review(number: int, login: str, state: str, when: str, pull: dict) -> dict[str, Any]:
    review = {"id": abs(hash((number, login, when))) % 10**9, "state": state,
              "user": {"login": login, "type": "User"}, "submitted_at": when,
              "pull_request_url": f"https://api.github.com/repos/synthetic-org/rfcs/pulls/{number}"}
    return _event("PullRequestReviewEvent", when, {"pull_request": pull, "review": review})


def _comment(number: int, login: str, body: str, when: str, issue: dict) -> dict[str, Any]:
    comment = {"id": abs(hash((number, login, when))) % 10**9, "body": body, "created_at": when,
               "updated_at": when, "user": {"login": login, "type": "User"},
               "issue_url": f"https://api.github.com/repos/synthetic-org/rfcs/issues/{number}"}
    return _event("IssueCommentEvent", when, {"issue": issue, "comment": comment})


def synthetic_votes(folder: Path) -> Path:
    """SYNTHETIC GH Archive events: three votes and a pull request that only mentions one."""
    t = "2014-03-2{}T10:00:00Z".format
    p7 = _pull(7, "VOTE: accept RFC 0002", t(0), "2014-04-01T10:00:00Z", merged=True)
    i8 = _issue(8, "[VOTE] Withdraw RFC 1", t(0), "2014-03-29T10:00:00Z", pr=False)
    p9 = _pull(9, "Vote: accept RFC 2 again", t(0), "2014-03-29T10:00:00Z", merged=True)
    p10 = _pull(10, "Make RFCs easier to vote on", t(0), None, merged=False)
    i7 = _issue(7, p7["title"], t(0), p7["closed_at"], pr=True)
    events = [
        _event("PullRequestEvent", p7["closed_at"], {"action": "closed", "number": 7,
                                                     "pull_request": p7}),
        _review(7, "alice", "approved", t(1), p7),
        _review(7, "carol", "changes_requested", t(2), p7),
        _review(7, "bob", "APPROVED", t(3), p7),
        _comment(7, "dave", "+1 from a user", t(3), i7),
        _comment(7, "erin", "-1, I disagree", t(4), i7),
        _comment(7, "erin", "+1 convinced now", t(5), i7),  # the last word counts
        _comment(7, "frank", "> +1\nnot sure", t(5), i7),  # a quote is not a vote
        _event("IssuesEvent", i8["closed_at"], {"action": "closed", "issue": i8}),
        _comment(8, "alice", "+1", t(1), i8),
        _comment(8, "bob", "-1", t(2), i8),
        _comment(8, "carol", "👎 no", t(3), i8),
        _event("PullRequestEvent", p9["closed_at"], {"action": "closed", "number": 9,
                                                     "pull_request": p9}),
        _review(9, "alice", "approved", t(1), p9),
        _review(9, "bob", "changes_requested", t(2), p9),
        _review(9, "carol", "changes_requested", t(3), p9),
        _event("PullRequestEvent", t(0), {"action": "opened", "number": 10, "pull_request": p10}),
    ]  # fmt: skip
    path = folder / "2014-04-01-10.json.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(e) + "\n" for e in events).encode()))
    return path


def test_votes_count_the_entitled_voters_last_word(store_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    db.write_bytes(store_path.read_bytes())
    config = Config(root=tmp_path, db=db,
                    decisions={"voters": ["alice", "bob", "carol", "erin"]})  # fmt: skip
    with Store(db) as store:
        import_gharchive(store, config, [synthetic_votes(tmp_path)], {"synthetic-org/rfcs"},
                         set())  # fmt: skip
        rules = DecisionRules.from_config(config)
        votes = {v["number"]: v for v in decision_log(store, rules, date(2014, 6, 1))["votes"]}
        assert set(votes) == {7, 8, 9}  # #10 only mentions voting
        seven, eight, nine = votes[7], votes[8], votes[9]
        assert (seven["decision"], seven["for"], seven["against"], seven["not_entitled"]) == (
            "RFC 2", ["alice", "bob", "erin"], ["carol"], ["dave"])  # fmt: skip
        assert seven["majority_reached"] and seven["outcome"] == "accepted"
        assert seven["voters"] == "[decisions] voters"
        assert (eight["decision"], eight["for"], eight["against"], eight["outcome"]) == (
            "RFC 1", ["alice"], ["bob", "carol"], "failed")  # fmt: skip
        assert (nine["for"], nine["against"], nine["majority_reached"], nine["outcome"]) == (
            ["alice"], ["bob", "carol"], False, "accepted")  # fmt: skip
        problems = decision_log(store, rules, date(2014, 6, 1))["inconsistencies"]
        assert [p["message"] for p in problems if p["kind"] == "vote_without_majority"] == [
            "vote #9 (Vote: accept RFC 2 again) ended accepted with 1 of 3 votes for (needs "
            "67% of the votes cast; voters: [decisions] voters)"]  # fmt: skip
        details = decision_details(store, 2, rules, date(2014, 6, 1), "rfcs")[0]
        assert sorted(v["number"] for v in details["votes"]) == [7, 9]
        # without a list, the triage team votes; without one either, anyone does
        team = Config(root=tmp_path, db=db, triage={"team": ["alice", "carol"]})
        by_team = {v["number"]: v for v in decision_log(
            store, DecisionRules.from_config(team), date(2014, 6, 1))["votes"]}  # fmt: skip
        assert (by_team[7]["for"], by_team[7]["not_entitled"]) == (["alice"], ["bob", "dave",
                                                                               "erin"])  # fmt: skip
        anyone = {v["number"]: v for v in decision_log(store, DecisionRules(),
                                                       date(2014, 6, 1))["votes"]}  # fmt: skip
        assert anyone[7]["for"] == ["alice", "bob", "dave", "erin"]
    for bad, message in (({"voters": "alice"}, "voters must be a list"),
                         ({"majority": 2}, "majority must be"),
                         ({"stale_days": 0}, "stale_days must be")):  # fmt: skip
        with pytest.raises(InputError, match=message):
            DecisionRules.from_config(Config(root=tmp_path, decisions=bad))


def test_header_details() -> None:
    assert [parse_date(t) for t in ("05-Jul-2001", "2019-04", "July 5, 2001", "2021",
                                    "2019-02-30", None)] == [
        "2001-07-05", "2019-04", "2001-07-05", "2021", None, None]  # fmt: skip
    assert parse_author("Random J. User <Address@Dom.ain>").email == "address@dom.ain"
    assert parse_author("Jane Doe (@jdoe)").login == "jdoe"
    assert parse_author("@jdoe").text == "@jdoe"


def test_an_author_who_asked_to_be_forgotten_is_anonymous_here_too(
    store_path: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    db.write_bytes(store_path.read_bytes())
    overrides = tmp_path / "identities.toml"
    overrides.write_text('[[forget]]\nidentity = "grace@example.org"\nhide = false\n')
    with Store(db) as store:
        refresh_identities(store, Config(root=tmp_path, db=db, overrides=overrides), force=True)
        decisions = {d.label: d for d in load_decisions(store)}
    # credited by git (RFC 2) or named in the text and matched by her unique name (JEP 2)
    for label in ("RFC 2", "JEP 2"):
        author = decisions[label].authors[0]
        assert author["name"] == author["as_written"] == "Anonymous contributor", label
    listing = json.dumps([d.summary() for d in decisions.values()])
    assert "Grace Hopper" not in listing and "grace@example.org" not in listing
