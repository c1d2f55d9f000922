"""Identities into people: safe automatic merges, decisions a person records, organisations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from catherd.errors import InputError
from catherd.identity.bots import is_bot
from catherd.identity.emails import is_placeholder, noreply_login
from catherd.identity.organisations import OrganisationMap
from catherd.identity.overrides import IdentityRef
from catherd.identity.suggest import name_key, suggest
from catherd.store.database import Store

from .conftest import git, ingest

# Synthetic history (labelled as such): who, address, author date, co-author trailer.
SYNTHETIC = [
    ("Jane Doe", "jane@corp.example", "2020-01-10T10:00:00+00:00", None),
    ("jane doe", "JANE@corp.example", "2020-02-10T10:00:00+00:00", None),
    ("Jane D", "jane@old.example", "2019-06-01T10:00:00+00:00", None),
    ("jdoe", "123+jdoe@users.noreply.github.com", "2021-03-01T10:00:00+00:00", None),
    ("Jane", "jdoe@users.noreply.github.com", "2021-04-01T10:00:00+00:00", None),
    ("root", "root@localhost", "2020-05-01T10:00:00+00:00", None),
    ("Someone Else", "root@localhost", "2020-05-02T10:00:00+00:00", None),
    ("José García", "jose@a.example", "2020-07-01T10:00:00+00:00", None),
    ("Jose Garcia", "jg@gmail.com", "2022-07-01T10:00:00+00:00", "Ann Lee <ann@uni.ac.uk>"),
    (
        "dependabot[bot]",
        "49699333+dependabot[bot]@users.noreply.github.com",
        "2022-08-01T10:00:00+00:00",
        None,
    ),
    ("Ann Lee", "ann@cs.uni.ac.uk", "2022-09-01T10:00:00+00:00", None),
]


def _synthetic_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / ".mailmap").write_text("Jane Doe <jane@corp.example> <jane@old.example>\n")
    for n, (name, email, when, coauthor) in enumerate(SYNTHETIC):
        (path / f"dir{n % 3}").mkdir(exist_ok=True)
        (path / f"dir{n % 3}" / "f.txt").write_text(f"line {n}\n" * (n + 1))
        git(path, "add", "-A")
        message = f"synthetic commit {n}" + (f"\n\nCo-authored-by: {coauthor}" if coauthor else "")
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": "ci",
            "GIT_COMMITTER_EMAIL": "ci@example.org",
            "GIT_COMMITTER_DATE": when,
        }
        git(path, "commit", "-q", "-m", message, env=env)
    return path


@pytest.fixture
def synthetic(tmp_path: Path) -> tuple[Store, Path]:
    repo = _synthetic_repo(tmp_path / "repo")
    store = Store(tmp_path / "s.duckdb")
    ingest(store, tmp_path, str(repo))
    yield store, repo
    store.close()


def _person_of(store: Store, email: str, name: str | None = None) -> str:
    sql = "SELECT DISTINCT person_id FROM identities WHERE email_key = ?"
    params = [email.lower()]
    if name:
        sql += " AND name = ?"
        params.append(name)
    rows = store.con.execute(sql, params).fetchall()
    assert len(rows) == 1, rows
    return rows[0][0]


def test_safe_rules_merge_and_weak_evidence_does_not(synthetic: tuple[Store, Path]) -> None:
    store, _ = synthetic
    jane = _person_of(store, "jane@corp.example")
    assert _person_of(store, "JANE@corp.example", "jane doe") == jane  # same address, other case
    assert _person_of(store, "jane@old.example") == jane  # the repository's .mailmap
    noreply = _person_of(store, "123+jdoe@users.noreply.github.com")
    assert _person_of(store, "jdoe@users.noreply.github.com") == noreply  # same GitHub login
    assert noreply != jane  # nothing safe links the login to Jane's addresses
    assert _person_of(store, "root@localhost", "root") != _person_of(
        store, "root@localhost", "Someone Else"
    )
    assert _person_of(store, "jose@a.example") != _person_of(
        store, "jg@gmail.com"
    )  # a suggestion only
    assert store.scalar("SELECT display_name FROM people WHERE person_id = ?", [jane]) == "Jane Doe"
    rules = dict(
        store.con.execute(
            "SELECT email_key, merged_by FROM identities WHERE name <> 'jane doe'"
        ).fetchall()
    )
    assert rules["jane@old.example"] == "mailmap"
    assert rules["jdoe@users.noreply.github.com"] == "github-noreply"
    assert rules["root@localhost"] == "alone"


def test_contributions_count_coauthors_and_mark_bots(synthetic: tuple[Store, Path]) -> None:
    store, _ = synthetic
    ann = _person_of(store, "ann@uni.ac.uk")
    assert (
        store.scalar(
            "SELECT count(*) FROM contributions WHERE person_id = ? AND role = 'coauthor'", [ann]
        )
        == 1
    )
    bot = _person_of(store, "49699333+dependabot[bot]@users.noreply.github.com")
    assert store.scalar("SELECT is_bot FROM people WHERE person_id = ?", [bot])
    assert store.scalar("SELECT count(*) FROM contributions") == len(SYNTHETIC) + 1


def test_organisations_from_domains(synthetic: tuple[Store, Path]) -> None:
    store, _ = synthetic
    orgs = dict(store.con.execute("SELECT email_key, org_id FROM identities").fetchall())
    assert orgs["jg@gmail.com"] == "personal"
    assert orgs["ann@uni.ac.uk"] == orgs["ann@cs.uni.ac.uk"] == "uni.ac.uk"
    assert orgs["jane@corp.example"] == "unknown"  # unmapped: shown as unknown, not guessed
    assert orgs["root@localhost"] == "unknown"


def test_classify_rules() -> None:
    orgs = OrganisationMap.load()
    assert orgs.classify("inria.fr")[0].name == "Inria"
    assert orgs.classify("ens.inria.fr")[0].name == "Inria"
    assert orgs.classify("eecs.berkeley.edu")[0].org_id == "berkeley.edu"
    assert orgs.classify("gmail.com")[0].kind == "personal"
    assert orgs.classify("example.com")[0].kind == "unknown"
    assert noreply_login("123+j-doe@users.noreply.github.com") == "j-doe"
    assert noreply_login("jdoe@users.noreply.github.com") == "jdoe"
    assert is_placeholder("root@localhost") and is_placeholder("") and not is_placeholder("a@b.org")
    assert is_bot("pre-commit-ci[bot]") and is_bot("github-actions") and not is_bot("Abbott")


def test_person_decisions_are_recorded_and_reapplied(
    synthetic: tuple[Store, Path], tmp_path: Path
) -> None:
    store, repo = synthetic
    overrides = tmp_path / "identities.toml"
    jane = _person_of(store, "jane@corp.example")
    store.close()
    cli = [sys.executable, "-m", "catherd", "people"]
    subprocess.run(
        [*cli, "merge", jane, "github:jdoe", "--db", str(store.path), "--reason", "Jane said so"],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    assert "Jane said so" in overrides.read_text()
    subprocess.run(
        [*cli, "split", "Jane D <jane@old.example>", "--db", str(store.path)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    bad = subprocess.run(
        [*cli, "merge", jane, "nobody@nowhere.example", "--db", str(store.path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert bad.returncode == 2 and "no identity in the store matches" in bad.stderr
    with Store(store.path) as again:
        merged = _person_of(again, "jane@corp.example")
        assert _person_of(again, "123+jdoe@users.noreply.github.com") == merged
        assert _person_of(again, "jane@old.example") != merged
        # a later sync (new commit) re-applies both decisions
        git(repo, "commit", "-q", "--allow-empty", "-m", "synthetic later commit")
        from catherd.config import load_config

        config = load_config(None, again.path)
        config.overrides = overrides
        from catherd.config import RepositorySpec
        from catherd.pipeline import sync

        sync(again, config, [RepositorySpec(str(repo))])
        assert _person_of(again, "jdoe@users.noreply.github.com") == _person_of(
            again, "jane@corp.example"
        )
        assert _person_of(again, "jane@old.example") != _person_of(again, "jane@corp.example")


def test_time_bounded_affiliations(tmp_path: Path) -> None:
    repo = _synthetic_repo(tmp_path / "repo")
    orgs = tmp_path / "organisations.toml"
    orgs.write_text(
        '[domains]\n"corp.example" = "Corp"\n'
        "[[affiliation]]\n"
        'person = "jane@corp.example"\norganisation = "Old Co"\nuntil = 2020-02-01\n'
    )
    with Store(tmp_path / "s.duckdb") as store:
        ingest(store, tmp_path, str(repo), organisations=orgs)
        by_date = dict(
            store.con.execute(
                "SELECT strftime(contributed_at, '%Y-%m'), c.org_id FROM contributions c "
                "JOIN identities i USING (identity_id) WHERE i.email_key = 'jane@corp.example'"
            ).fetchall()
        )
        assert by_date == {"2020-01": "old-co", "2020-02": "corp"}
        # the mailmapped 2019 address belongs to Jane too, so the affiliation covers it
        assert (
            store.scalar(
                "SELECT c.org_id FROM contributions c JOIN identities i USING (identity_id) "
                "WHERE i.email_key = 'jane@old.example'"
            )
            == "old-co"
        )


def test_invalid_decision_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "organisations.toml"
    bad.write_text(
        '[[affiliation]]\nperson = "a@b.org"\norganisation = "X"\n'
        "from = 2021-01-01\nuntil = 2020-01-01\n"
    )
    with pytest.raises(InputError, match=r"until .* must be after from"):
        OrganisationMap.load(bad)
    with pytest.raises(InputError, match="not an identity"):
        IdentityRef.parse("just a name")


def test_suggestions_with_evidence(synthetic: tuple[Store, Path]) -> None:
    store, _ = synthetic
    found = suggest(store.rows("SELECT * FROM identities"))
    pairs = {frozenset((s.person_a, s.person_b)): s for s in found}
    jose = frozenset((_person_of(store, "jose@a.example"), _person_of(store, "jg@gmail.com")))
    assert jose in pairs and any(
        e.startswith("same-name:garcia jose") for e in pairs[jose].evidence
    )
    assert name_key("García, José") == name_key("jose garcia")
    assert all(not any(i["is_bot"] for i in s.identities) for s in found)


def test_real_mailmap_groups_are_one_person(
    mirrors: dict[str, Path], ingested: dict[str, Path]
) -> None:
    """On networkx, every set of identities git's mailmap maps to one address is one person."""
    lines = git(mirrors["networkx"], "log", "--format=%an%x00%ae%x00%aE").splitlines()
    groups: dict[str, set[tuple[str, str]]] = {}
    for line in lines:
        name, email, mapped = line.split("\0")
        if not is_placeholder(mapped.lower()):  # "none@none" is many people, never merged
            groups.setdefault(mapped.lower(), set()).add((name, email.lower()))
    with Store(ingested["networkx"], read_only=True) as store:
        person = {
            (n, e): p
            for n, e, p in store.con.execute(
                "SELECT name, email_key, person_id FROM identities"
            ).fetchall()
        }
        for members in groups.values():
            assert len({person[m] for m in members}) == 1
        assert store.scalar("SELECT count(*) FROM people") <= len(groups) + store.scalar(
            "SELECT count(DISTINCT lower(email)) FROM commit_coauthors"
        )


def test_github_logins_link_people_and_mark_bots(
    synthetic: tuple[Store, Path], tmp_path: Path
) -> None:
    """Synthetic GitHub answers (labelled): a pull request by login jdoe, squash-merged as
    Jane's 2020-02 commit, and a comment by an account GitHub types as a bot (which must
    link nobody: it has no commit)."""
    from catherd.config import Config
    from catherd.pipeline import refresh_identities
    from catherd.store.github_loader import upsert_raw
    from catherd.store.github_tables import refresh_github_tables

    store, _ = synthetic
    squash = store.scalar("SELECT sha FROM commits WHERE author_email = 'JANE@corp.example'")
    user = {"login": "jdoe", "id": 123, "type": "User"}
    issue = {"id": 1, "number": 7, "user": user, "created_at": "2020-02-01T00:00:00Z",
             "updated_at": "2020-02-10T10:00:00Z", "state": "closed",
             "pull_request": {"html_url": "https://github.com/o/r/pull/7"}}  # fmt: skip
    pull = {"number": 7, "merged_at": "2020-02-10T10:00:00Z", "merge_commit_sha": squash,
            "updated_at": "2020-02-10T10:00:00Z"}  # fmt: skip
    bot_comment = {"id": 9, "user": {"login": "ci-helper", "type": "Bot"},
                   "issue_url": "https://api.github.com/repos/o/r/issues/7",
                   "created_at": "2020-02-02T00:00:00Z"}  # fmt: skip
    with store.transaction():
        upsert_raw(store, "o/r", "issue", [issue])
        upsert_raw(store, "o/r", "pull", [pull], key="number")
        upsert_raw(store, "o/r", "issue_comment", [bot_comment])
        refresh_github_tables(store.con)
    refresh_identities(store, Config(root=tmp_path, db=store.path), force=True)
    jane = _person_of(store, "jane@corp.example", "Jane Doe")
    assert _person_of(store, "jdoe@users.noreply.github.com") == jane  # linked by the squash
    sql = "SELECT name, merged_by FROM identities WHERE email_key = 'jane@corp.example'"
    rules = dict(store.con.execute(sql).fetchall())
    assert "github-pr" in rules["jane doe"]
    assert store.scalar("SELECT login FROM identities WHERE name = 'jane doe'") == "jdoe"
    assert store.scalar("SELECT count(*) FROM identities WHERE login = 'ci-helper'") == 0


def test_forget_on_request_everywhere(synthetic: tuple[Store, Path], tmp_path: Path) -> None:
    store, _ = synthetic
    jose = _person_of(store, "jose@a.example")
    store.close()
    cli = [sys.executable, "-m", "catherd", "people"]
    subprocess.run(
        [*cli, "forget", jose, "--db", str(store.path)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    listing = subprocess.run(
        [*cli, "--json", "--db", str(store.path)], capture_output=True, text=True, cwd=tmp_path
    )
    assert "José" not in listing.stdout and "jose@a.example" not in listing.stdout
    assert "Anonymous contributor" in listing.stdout  # still counted
    report = tmp_path / "report"
    command = [
        sys.executable,
        "-m",
        "catherd",
        "report",
        "-o",
        str(report),
        "--db",
        str(store.path),
    ]
    subprocess.run(command, check=True, capture_output=True, cwd=tmp_path)
    assert "José" not in (report / "index.html").read_text()
    with Store(store.path, read_only=True) as again:
        assert again.scalar(
            "SELECT forgotten FROM people WHERE display_name = 'Anonymous contributor'"
        )
