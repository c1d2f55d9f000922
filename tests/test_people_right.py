"""People you can trust: the defects found on real data, each rebuilt on a real history.

Every case clones a shared bundle (real history) and adds SYNTHETIC commits, labelled so in
their messages, with `git` itself: trailers as people type them, a co-author behind the
mailmap, merge bots, commits dated 2099, a shallow clone, a hidden person, a team member.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from catherd.community.newcomers import list_newcomers
from catherd.community.periods import default_window
from catherd.config import Config, RepositorySpec
from catherd.identity.bots import bot_reason
from catherd.metrics import Params
from catherd.metrics.runner import run_metric
from catherd.pipeline import sync
from catherd.reports.community import write_report
from catherd.store.database import Store
from catherd.web.accounts import add_user
from catherd.web.app import create_app

from .conftest import clone_bundle, git, ingest, post_login, synthetic_commit

PASSWORD = "a long enough password"


def catherd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "catherd", *args], capture_output=True, text=True, cwd=cwd,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(cwd)},
    )  # fmt: skip


def test_coauthor_trailers_as_people_type_them(tmp_path: Path) -> None:
    work = clone_bundle("devstats", tmp_path / "work")
    (work / ".mailmap").write_text("Ada Lovelace <ada@example.org> <ada@old.example>\n")
    git(work, "add", ".mailmap")
    synthetic_commit(work, "Ada Lovelace", "ada@example.org", "2026-01-01T10:00:00+00:00")
    trailers = [
        "Co-authored-by: Grace Hopper <grace@example.org>>",
        "Co-authored-by: Katherine Johnson <katherine@example.org>.",
        "Co-authored-by: Alan Turing <alan@example.org>, Joan Clarke <joan@example.org>",
        "Co-authored-by: A. L. <ada@old.example>",  # Ada, through the mailmap
        "Co-authored-by: nobody has an address here",
    ]
    sha = synthetic_commit(work, "Mary Jackson", "mary@example.org", "2026-01-02T10:00:00+00:00",
                           "SYNTHETIC commit\n\n" + "\n".join(trailers))  # fmt: skip
    with Store(tmp_path / "s.duckdb") as store:
        report = ingest(store, tmp_path, str(work))
        rows = store.rows(
            "SELECT name, email, name_mapped, email_mapped FROM commit_coauthors WHERE sha = ? "
            "ORDER BY position",
            [sha],
        )
        assert [(r["name"], r["email"]) for r in rows] == [
            ("Grace Hopper", "grace@example.org"),
            ("Katherine Johnson", "katherine@example.org"),
            ("Alan Turing", "alan@example.org"),
            ("Joan Clarke", "joan@example.org"),
            ("A. L.", "ada@old.example"),
        ]
        assert (rows[-1]["name_mapped"], rows[-1]["email_mapped"]) == (
            "Ada Lovelace", "ada@example.org")  # fmt: skip
        ada = store.rows(
            "SELECT DISTINCT person_id FROM identities WHERE email_key IN "
            "('ada@example.org', 'ada@old.example')"
        )
        assert len(ada) == 1  # a co-author is not a new person because of the mailmap
        assert (
            store.scalar(
                "SELECT count(*) FROM contributions WHERE person_id = ?", [ada[0]["person_id"]]
            )
            == 2
        )
        assert not store.scalar(
            "SELECT count(*) FROM identities WHERE name LIKE '%<%' OR name LIKE '%,%' "
            "OR email_key LIKE '%>%' OR email_key LIKE '%,%'"
        )
    skipped = [w for r in report.repositories for w in r.warnings if w.sha == sha]
    assert len(skipped) == 1 and "without <email>" in skipped[0].message


def test_the_same_github_account_is_one_person(ingested: dict[str, Path]) -> None:
    """networkx's history has four GitHub accounts behind two no-reply addresses each (the
    user renamed their login: ``ID+old@`` then ``ID+new@``): one person each."""
    with Store(ingested["networkx"], read_only=True) as store:
        rows = store.rows(
            "SELECT email_key, person_id, merged_by FROM identities "
            "WHERE email_key LIKE '%@users.noreply.github.com'"
        )
    by_account: dict[str, set[str]] = defaultdict(set)
    addresses: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        found = re.match(r"^(\d+)\+", row["email_key"])
        if found:
            by_account[found.group(1)].add(row["person_id"])
            addresses[found.group(1)].add(row["email_key"])
    renamed = {account for account, seen in addresses.items() if len(seen) > 1}
    assert renamed >= {"32795632", "115613425", "152869280", "79257339"}
    assert all(len(by_account[account]) == 1 for account in by_account)
    assert all("github-id" in r["merged_by"] for r in rows
               if r["email_key"].startswith("32795632+"))  # fmt: skip


def test_merge_bots_and_app_accounts(tmp_path: Path) -> None:
    work = clone_bundle("devstats", tmp_path / "work")
    noreply = "users.noreply.github.com"
    bots = [
        ("Homu", "homu@barosl.com"),
        ("bors", "bors@example.org"),
        ("bors[bot]", f"26634292+bors[bot]@{noreply}"),
        ("mergify[bot]", f"37929162+mergify[bot]@{noreply}"),
        ("pre-commit-ci[bot]", f"66853113+pre-commit-ci[bot]@{noreply}"),
    ]
    for n, (name, email) in enumerate(bots):
        synthetic_commit(work, name, email, f"2026-01-0{n + 1}T10:00:00+00:00")
    with Store(tmp_path / "s.duckdb") as store:
        ingest(store, tmp_path, str(work))
        flags = dict(store.con.execute(
            "SELECT i.name, p.is_bot FROM identities i JOIN people p USING (person_id)"
        ).fetchall())  # fmt: skip
        window = default_window(store, date(2025, 6, 1), date(2026, 6, 1))
        names = {n["display_name"] for n in list_newcomers(store, window)}
    assert all(flags[name] for name, _ in bots)
    assert all(bot_reason(name) for name, _ in bots)  # each listed with its reason
    assert not names & {name for name, _ in bots}
    assert not flags["Stefan van der Walt"]


def test_implausible_dates_do_not_steer_periods(tmp_path: Path) -> None:
    work = clone_bundle("devstats", tmp_path / "work")
    future = synthetic_commit(work, "Time Traveller", "tt@example.org", "2099-01-01T00:00:00+00:00")
    past = synthetic_commit(work, "Epoch Zero", "ez@example.org", "1975-01-01T00:00:00+00:00")
    with Store(tmp_path / "s.duckdb") as store:
        ingest(store, tmp_path, str(work))
        warned = dict(store.con.execute("SELECT sha, message FROM sync_warnings").fetchall())
        assert "2099-01-01 is implausible" in warned[future] and "1975" in warned[past]
        assert store.scalar(  # kept as recorded
            "SELECT year(authored_at) FROM commits WHERE sha = ?", [future]) == 2099  # fmt: skip
        window = default_window(store)  # devstats' real history ends in 2026
        assert window is not None and window.end <= date.today() and window.end.year == 2026
        # the data ends with the latest plausible contribution: recent newcomers are not
        # "measurable" because of a 2099 commit
        rows = run_metric(store, "retention", Params(by="year", since=date(2026, 1, 1)))
        assert rows and all(r["measurable_365"] == 0 for r in rows)
        write_report(store, tmp_path / "report", "devstats", Params())
    assert "2099" not in (tmp_path / "report" / "report.md").read_text().split("##")[0]


def test_a_shallow_clone_is_a_boundary_until_the_full_history_arrives(
    tmp_path: Path, mirrors: dict[str, Path]
) -> None:
    source = mirrors["networkx"]
    work = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "40", f"file://{source}", str(work)],
                   check=True)  # fmt: skip
    boundary = (work / ".git" / "shallow").read_text().split()
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        first = ingest(store, tmp_path, str(work))
        rows = store.rows(
            "SELECT sha, shallow_boundary, files_changed, lines_added FROM commits "
            "WHERE list_contains(?, sha)",
            [boundary],
        )
        assert rows and all(r["shallow_boundary"] and r["lines_added"] == 0 for r in rows)
        assert not store.scalar("SELECT count(*) FROM commit_files WHERE list_contains(?, sha)",
                                [boundary])  # fmt: skip
        assert any("shallow clone" in w.message for w in first.repositories[0].warnings)
        # the other commits' lines are git's own
        shown = git(work, "log", "--numstat", "--format=@%H", "HEAD")
        added, current = 0, None
        for line in shown.splitlines():
            if line.startswith("@"):
                current = line[1:]
            elif line and current not in boundary and not line.startswith("-"):
                added += int(line.split("\t")[0])
        assert store.scalar("SELECT sum(lines_added) FROM commits") == added
        subprocess.run(["git", "-C", str(work), "fetch", "-q", "--unshallow"], check=True)
        ingest(store, tmp_path, str(work))
        full = git(source, "log", "--numstat", "--format=@%H", boundary[0], "-1")
        expected = sum(int(line.split("\t")[0]) for line in full.splitlines()[1:]
                       if line and not line.startswith("-"))  # fmt: skip
        row = store.rows("SELECT shallow_boundary, lines_added FROM commits WHERE sha = ?",
                         [boundary[0]])[0]  # fmt: skip
        assert row == {"shallow_boundary": False, "lines_added": expected}
        assert store.scalar("SELECT count(*) FROM commits") == int(
            git(
                work,
                "rev-list",
                "--count",
                "HEAD",
                *[t for t in git(work, "tag").split() if t != "help"],
            )
        )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """devstats' real history, plus SYNTHETIC recent commits by a team member and by a real
    newcomer, in a project folder with a [team]."""
    folder = tmp_path_factory.mktemp("project")
    work = clone_bundle("devstats", folder / "work")
    synthetic_commit(work, "Tia Team", "tia@example.org", "2026-03-02T10:00:00+00:00")
    synthetic_commit(work, "Nell Newcomer", "nell@example.org", "2026-03-03T10:00:00+00:00")
    (folder / "catherd.toml").write_text(
        '[project]\nname = "devstats"\n[[repositories]]\nlocation = "work"\n'
        '[team]\nmembers = ["tia@example.org"]\n'
    )
    assert catherd("sync", cwd=folder).returncode == 0
    return folder


def test_team_members_are_never_newcomers(project: Path) -> None:
    data = json.loads(catherd("newcomers", "--since", "2026-01-01", "--json", cwd=project).stdout)
    names = {n["display_name"] for n in data["newcomers"]}
    assert "Nell Newcomer" in names and "Tia Team" not in names
    with Store(project / "catherd.duckdb", read_only=True) as store:
        counted = run_metric(store, "new_contributors", Params(since=date(2026, 1, 1), by="year"))
        assert sum(r["newcomers"] for r in counted) == len(names)
        assert store.scalar("SELECT bool_or(is_team) FROM people WHERE display_name = 'Tia Team'")


def test_newcomer_figures_agree_everywhere(project: Path) -> None:
    """The CLI, the report, the dashboard and the API list the same newcomers, and count
    as many as the new_contributors metric: one definition."""
    cli = json.loads(catherd("newcomers", "--json", cwd=project).stdout)
    db = project / "catherd.duckdb"
    with Store(db) as store:
        add_user(store, "ada", PASSWORD, "admin")
        window = default_window(store)
        metric = run_metric(store, "new_contributors",
                            Params(since=window.start, until=window.end, by="year"))  # fmt: skip
        write_report(store, project / "report", "devstats", Params())
    report = (project / "report" / "report.md").read_text()
    config = Config(root=project, db=db, repositories=[RepositorySpec(str(project / "work"))])
    client = TestClient(create_app(db, config=config), base_url="http://127.0.0.1")
    post_login(client, "ada", PASSWORD)
    api = client.get("/api/newcomers").json()
    page = client.get("/newcomers").text
    client.app.state.board.store.close()
    names = [n["display_name"] for n in cli["newcomers"]]
    assert names and names == [n["display_name"] for n in api]
    assert all(name in page and name in report for name in names)
    assert sum(r["newcomers"] for r in metric) == len(names)
    assert f"{len(names)} people made their first contribution" in report
    assert {n["came_back_90"] for n in api} <= {"yes", "no", "too early"}


def test_hidden_people_are_in_no_list(project: Path) -> None:
    assert catherd("people", "forget", "nell@example.org", "--hide", cwd=project).returncode == 0
    people = json.loads(catherd("people", "--json", "--limit", "1000", cwd=project).stdout)
    assert not any("Nell" in (p["display_name"] or "") for p in people)
    assert not any(i["email_key"] == "nell@example.org" for p in people for i in p["identities"])
    data = json.loads(catherd("newcomers", "--since", "2026-01-01", "--json", cwd=project).stdout)
    assert not any("Nell" in n["display_name"] for n in data["newcomers"])


def test_pending_duplicates_are_announced_and_decided(tmp_path: Path) -> None:
    work = clone_bundle("devstats", tmp_path / "work")
    synthetic_commit(work, "Jarrod Millman", "jarrod@another.example", "2026-02-01T10:00:00+00:00")
    synthetic_commit(work, "Chris Doe", "chris@a.example", "2026-02-02T10:00:00+00:00")
    synthetic_commit(work, "Chris Doe", "chris@b.example", "2026-02-03T10:00:00+00:00")
    (tmp_path / "catherd.toml").write_text('[[repositories]]\nlocation = "work"\n')
    analyzed = catherd("sync", cwd=tmp_path)
    waiting = int(re.search(r"(\d+) probable duplicate people wait", analyzed.stdout).group(1))
    assert waiting >= 2
    kept = catherd("people", "distinct", "chris@a.example", "chris@b.example", cwd=tmp_path)
    assert kept.returncode == 0, kept.stderr
    suggestions = json.loads(catherd("people", "suggest", "--json", cwd=tmp_path).stdout)
    assert len(suggestions) == waiting - 1
    assert "[[distinct]]" in (tmp_path / "identities.toml").read_text()
    db = tmp_path / "catherd.duckdb"
    with Store(db) as store:
        add_user(store, "tess", PASSWORD, "team")
        write_report(store, tmp_path / "public", "p", Params())
        write_report(store, tmp_path / "team", "p", Params(), "team", tmp_path / "identities.toml")
    assert "probable duplicate" not in (tmp_path / "public" / "report.md").read_text()
    assert f"{waiting - 1} probable duplicate" in (tmp_path / "team" / "report.md").read_text()
    config = Config(root=tmp_path, db=db, repositories=[RepositorySpec(str(work))],
                    overrides=tmp_path / "identities.toml")  # fmt: skip
    client = TestClient(create_app(db, config=config), base_url="http://127.0.0.1")
    assert client.get("/duplicates", follow_redirects=False).status_code == 303
    post_login(client, "tess", PASSWORD)
    page = client.get("/duplicates").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    pair = client.get("/api/duplicates").json()[0]
    refused = client.post("/duplicates", data={"action": "merge", "a": pair["a"],
                          "b": pair["b"]}, follow_redirects=False)  # fmt: skip
    assert refused.status_code == 403  # no CSRF token
    done = client.post("/duplicates", data={"csrf": token, "action": "merge",
                       "a": pair["a"], "b": pair["b"]}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert len(client.get("/api/duplicates").json()) == waiting - 2
    assert "[[merge]]" in (tmp_path / "identities.toml").read_text()
    with Store.on_cursor(client.app.state.board.store) as store:
        logged = store.rows("SELECT actor, kind, new_data FROM audit_log")
        merged = store.scalar(
            "SELECT count(DISTINCT person_id) FROM identities WHERE list_contains(?, person_id)"
            " OR person_id IN (SELECT person_id FROM identities WHERE email_key IN "
            "(SELECT email_key FROM identities WHERE list_contains(?, person_id)))",
            [[pair["a"], pair["b"]], [pair["a"], pair["b"]]],
        )
    assert logged[0]["actor"] == "user:tess" and logged[0]["kind"] == "identity"
    assert json.loads(logged[0]["new_data"])["decision"] == "merge"
    assert merged == 1


def test_plausible_dates() -> None:
    from catherd.dates import is_plausible

    now = datetime(2026, 11, 30, tzinfo=UTC)
    assert is_plausible(datetime(2026, 11, 30, 20, tzinfo=UTC), now)
    assert not is_plausible(datetime(2099, 1, 1, tzinfo=UTC), now)
    assert not is_plausible(datetime(1970, 1, 1, tzinfo=UTC), now)


def test_sync_then_analyze_keep_tags_incremental(tmp_path: Path, mirrors: dict[str, Path]) -> None:
    """A store read before tags were followed gets their commits on its next sync, and a
    sync with nothing new changes nothing."""
    with Store(tmp_path / "s.duckdb") as store:
        config = Config(root=tmp_path, db=store.path)
        spec = [RepositorySpec(str(mirrors["cloudpickle"]))]
        sync(store, config, spec)
        again = sync(store, config, spec)
    assert again.repositories[0].unchanged
