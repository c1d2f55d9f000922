"""Release credits: ranges, first-timers and names, checked against git itself and against
the lists projects published (networkx's release notes in its bundle, scikit-learn's
contributor paragraphs in shared/data/changelogs)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from catherd.community.credit_check import check_credits
from catherd.community.releases import ReleaseBook
from catherd.errors import InputError
from catherd.reports.credits import render_credits
from catherd.sources.changelog import published_credits
from catherd.sources.git.versions import tag_version
from catherd.store.database import Store

from .conftest import clone_bundle, git, ingest, shared_file, synthetic_commit


def catherd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "catherd", *args], capture_output=True, text=True, cwd=cwd,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(cwd)},
    )  # fmt: skip


def test_version_tags() -> None:
    assert tag_version("v1.2.3").version.release == (1, 2, 3)
    assert tag_version("networkx-2.0b1").prerelease
    assert tag_version("networkx-2.0b1").series == "networkx"
    assert tag_version("v2.0.0.dev0").prerelease and tag_version("1.0rc1").prerelease
    assert not tag_version("1.0.post1").prerelease
    assert tag_version("help") is None and tag_version("before-refactor") is None


def test_release_tags_bring_their_commits(
    mirrors: dict[str, Path], ingested: dict[str, Path]
) -> None:
    """Every version tag's commit is stored, whatever branch it is on (networkx's 2.8.x
    releases were cut on a maintenance branch that the default branch does not reach)."""
    repo = mirrors["networkx"]
    with Store(ingested["networkx"], read_only=True) as store:
        stored = {r[0] for r in store.con.execute("SELECT sha FROM commits").fetchall()}
        releases = ReleaseBook(store).releases(prereleases=True)
    peeled = {
        name: git(repo, "rev-parse", f"{name}^{{commit}}").strip()
        for name in git(repo, "tag", "--list").split()
    }
    versioned = {name for name in peeled if tag_version(name)}
    assert {r.tag for r in releases} == versioned and len(versioned) == len(peeled) - 1  # "help"
    assert all(peeled[name] in stored for name in versioned)
    beside_main = [
        name for name in versioned
        if subprocess.run(["git", "-C", str(repo), "merge-base", "--is-ancestor", peeled[name],
                           "HEAD"], capture_output=True).returncode != 0
    ]  # fmt: skip
    assert "networkx-2.8.8" in beside_main  # cut on the 2.8.x maintenance branch


@pytest.fixture(scope="module")
def maintenance(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Real devstats history, then SYNTHETIC releases on a maintenance branch and on main:
    v9.0 on main; v9.0.1 on maint/9.0 with a fix by a newcomer; v9.1 on main with a new
    author, a co-author (through the mailmap) and the fixer's first commit on main."""
    base = tmp_path_factory.mktemp("maintenance")
    work = clone_bundle("devstats", base / "work")
    (work / ".mailmap").write_text("Co Author <co@example.org> <co.author@old.example>\n")
    git(work, "add", ".mailmap")
    synthetic_commit(work, "Main Dev", "main@example.org", "2026-01-02T10:00:00+00:00")
    git(work, "tag", "-a", "v9.0", "-m", "SYNTHETIC release 9.0")
    git(work, "checkout", "-q", "-b", "maint/9.0")
    synthetic_commit(work, "Fix Person", "fix@example.org", "2026-01-10T10:00:00+00:00")
    git(work, "tag", "-a", "v9.0.1", "-m", "SYNTHETIC release 9.0.1")
    git(work, "checkout", "-q", "main")
    trailer = "Co-authored-by: C. Author <co.author@old.example>"
    when = "2026-01-20T10:00:00+00:00"
    synthetic_commit(work, "Feature Newbie", "newbie@example.org", when, f"SYNTHETIC\n\n{trailer}")
    synthetic_commit(work, "Fix Person", "fix@example.org", "2026-01-25T10:00:00+00:00")
    git(work, "tag", "-a", "v9.1rc1", "-m", "SYNTHETIC release candidate")
    git(work, "tag", "-a", "v9.1", "-m", "SYNTHETIC release 9.1")
    git(work, "checkout", "-q", "maint/9.0")  # the default branch followed is not main
    db = base / "s.duckdb"
    with Store(db) as store:
        ingest(store, base, str(work))
    return work, db


def _truth(work: Path, tag: str, start: str) -> dict[str, bool]:
    """git's own answer: names (through the tag's mailmap) of authors and co-authors of
    ``start..tag``, and whether ``start`` (the merge base) reaches none of their commits."""

    def names(*revs: str) -> set[str]:
        out = git(work, "-c", f"mailmap.blob={tag}:.mailmap", "shortlog", "-s",
                  "--group=author", "--group=trailer:co-authored-by", *revs)  # fmt: skip
        return {line.split("\t", 1)[1] for line in out.splitlines() if "\t" in line}

    base = git(work, "merge-base", tag, start).strip()
    before = names(base)
    return {name: name not in before for name in names(tag, f"^{base}")}


def test_credits_follow_the_branch_point_rule(maintenance: tuple[Path, Path]) -> None:
    work, db = maintenance
    with Store(db, read_only=True) as store:
        book = ReleaseBook(store)
        assert [r.tag for r in book.releases()] == ["v0.0", "v0.1", "v9.0", "v9.0.1", "v9.1"]
        assert "v9.1rc1" in [r.tag for r in book.releases(prereleases=True)]
        feature = book.credits(book.find("v9.1"))
        patch = book.credits(book.find("v9.0.1"))
        given = book.credits(book.find("v9.1"), since="v9.0.1")
    ours = {c.name: c.first_time for c in feature.contributors}
    assert ours == _truth(work, "v9.1", "v9.0.1")
    # the fix shipped in 9.0.1 is not reachable from 9.1's branch point: the fixer is new there
    assert ours == {"Co Author": True, "Feature Newbie": True, "Fix Person": True}
    assert feature.rule == "since the branch point with v9.0.1 (the previous release)"
    assert feature.commits == 2 and feature.since == "v9.0.1"
    assert {c.name: c.first_time for c in patch.contributors} == {"Fix Person": True}
    assert {c.name for c in given.contributors} == set(_truth(work, "v9.1", "v9.0.1"))


def test_credits_cli_formats_and_errors(maintenance: tuple[Path, Path]) -> None:
    _, db = maintenance
    data = json.loads(catherd("credits", "v9.1", "--db", str(db), "--json", cwd=db.parent).stdout)
    assert data["release"] == "v9.1" and data["total"] == 3 and data["first_timers"] == 3
    assert {c["name"] for c in data["contributors"]} == {
        "Co Author",
        "Feature Newbie",
        "Fix Person",
    }
    rst = catherd("credits", "v9.1", "--db", str(db), "--format", "rst", cwd=db.parent).stdout
    assert rst.startswith("Contributors\n============\n\nA total of 3 people contributed")
    assert "* Feature Newbie +\n" in rst
    paragraph = catherd("credits", "v9.1", "--db", str(db), "--style", "paragraph",
                        cwd=db.parent).stdout  # fmt: skip
    assert "since version 9.0.1, including:" in paragraph
    listed = json.loads(catherd("releases", "--db", str(db), "--json", cwd=db.parent).stdout)
    assert [r["release"] for r in listed][-2:] == ["v9.0.1", "v9.1"]
    assert listed[-1]["first_timers"] == 3 and listed[-1]["commits"] == 2
    for args, message in (
        (("credits", "v7"), "'v7': no version tag of that name"),
        (("credits", "v9.1", "--since", "nope"), "--since 'nope': not a revision"),
        (("credits", "v9.1", "--format", "doc"), "--format 'doc'"),
        (("releases", "--repo", "nope"), "--repo 'nope': no repository"),
    ):
        proc = catherd(*args, "--db", str(db), cwd=db.parent)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_text_formats_read_back(maintenance: tuple[Path, Path]) -> None:
    """What catherd writes, in each published convention, reads back as the same credits."""
    _, db = maintenance
    with Store(db, read_only=True) as store:
        book = ReleaseBook(store)
        credits = book.credits(book.find("v9.1"))
    for fmt in ("md", "rst"):
        back = published_credits(render_credits(credits, fmt, "list", "9.0.1"))
        assert [(e.name, e.first_time) for e in back] == [
            (c.name, c.first_time) for c in credits.contributors
        ]
        paragraph = published_credits(render_credits(credits, fmt, "paragraph", "9.0.1"))
        assert [e.name for e in paragraph] == [c.name for c in credits.contributors]


def test_names_as_typed_stay_names() -> None:
    from catherd.reports.templating import markdown_text, rst_text

    assert markdown_text("<b>x</b> *y* [z](u)") == r"\<b\>x\</b\> \*y\* \[z\](u)"
    assert rst_text("name_ a_b *c*") == r"name\_ a_b \*c\*"


SKLEARN = {"v1.5.rst": 183, "v1.6.rst": 178, "v1.7.rst": 182, "v1.8.rst": 193, "v1.9.rst": 151}


def test_scikit_learn_paragraphs_are_read() -> None:
    """The third convention: the numbers of names the shared data's README counted."""
    folder = shared_file("changelogs", "scikit-learn", "whats_new")
    for name, count in SKLEARN.items():
        text = (folder / name).read_text(encoding="utf-8")
        names = published_credits(text)
        assert len(names) == count, name
        paragraph = " ".join(text.split("including:", 1)[1].split())  # lines joined
        assert [n.name for n in names] == paragraph.split(", ")
        assert not any("\n" in n.name or "," in n.name for n in names)


def _networkx_notes(repo: Path) -> dict[str, str]:
    out = git(repo, "ls-tree", "--name-only", "HEAD", "doc/release/")
    found = {}
    for path in out.split():
        version = re.fullmatch(r"doc/release/release_(\d[\d.]*)\.rst", path)
        if version:
            found[f"networkx-{version.group(1)}"] = git(repo, "show", f"HEAD:{path}")
    return found


def test_credits_against_networkx_release_notes(
    mirrors: dict[str, Path], ingested: dict[str, Path]
) -> None:
    """networkx's own contributor lists (29 releases, 2.0 to 3.6.1) against catherd's.

    Its lists were not made from git alone: up to 3.1 by a script over ``git log --since``
    the previous tag's date (authors only), from 3.2 by a tool over GitHub pull requests,
    with GitHub handles (people with no commit in the range, under their handle only). So
    recall is what must be high (everyone listed is credited); precision is lower where the
    date-based range dropped work merged before the previous tag's date but released later
    (2.0, 2.7, 3.0), and where co-authors were not listed (before 3.2).
    """
    notes = _networkx_notes(mirrors["networkx"])
    totals = [0, 0, 0, 0]
    with Store(ingested["networkx"], read_only=True) as store:
        book = ReleaseBook(store)
        for tag, text in notes.items():
            published = published_credits(text)
            credits = book.credits(book.find(tag), reviewers=False)
            check = check_credits(credits, published)
            totals = [a + b for a, b in zip(totals, (check.matched_credits, check.credited,
                      check.matched_published, check.published), strict=True)]  # fmt: skip
    precision, recall = totals[0] / totals[1], totals[2] / totals[3]
    assert len(notes) == 29
    assert recall >= 0.97, recall
    assert precision >= 0.85, precision


def test_first_time_by_person_or_by_name(tmp_path: Path) -> None:
    """SYNTHETIC commits on real devstats history: someone who contributed before v9.0 under
    another name (same address) is not a first-timer in 9.1 by person, and is one by name,
    as `git shortlog`-built lists mark them."""
    work = clone_bundle("devstats", tmp_path / "work")
    synthetic_commit(work, "Old Spelling", "same@example.org", "2026-01-02T10:00:00+00:00")
    git(work, "tag", "-a", "v9.0", "-m", "SYNTHETIC release 9.0")
    synthetic_commit(work, "New Spelling", "same@example.org", "2026-01-20T10:00:00+00:00")
    git(work, "tag", "-a", "v9.1", "-m", "SYNTHETIC release 9.1")
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        ingest(store, tmp_path, str(work))
    with Store(db, read_only=True) as store:
        book = ReleaseBook(store)
        by_person = book.credits(book.find("v9.1"))
        by_name = book.credits(book.find("v9.1"), first_time_by="name")
        with pytest.raises(InputError, match="say person or name"):
            book.credits(book.find("v9.1"), first_time_by="login")
    assert {c.name: c.first_time for c in by_person.contributors} == {"New Spelling": False}
    assert {c.name: c.first_time for c in by_name.contributors} == _truth(work, "v9.1", "v9.0")
    assert _truth(work, "v9.1", "v9.0") == {"New Spelling": True}
