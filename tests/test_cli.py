"""The ``catherd`` command end to end, as a user runs it (real processes, real shared data)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import commit_count


def catherd(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "catherd", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(cwd)},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"catherd {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, mirrors: dict[str, Path]) -> Path:
    """A project folder made with `catherd init`, then two real repositories synced."""
    folder = tmp_path_factory.mktemp("project")
    catherd("init", "--location", str(mirrors["cloudpickle"]), "--name", "demo", cwd=folder)
    config = folder / "catherd.toml"
    config.write_text(
        config.read_text() + f'\n[[repositories]]\nlocation = "{mirrors["devstats"]}"\n'
    )
    catherd("sync", cwd=folder)
    return folder


def test_init_writes_commented_files_and_refuses_to_overwrite(project: Path) -> None:
    text = (project / "catherd.toml").read_text()
    assert 'name = "demo"' in text and "# " in text and "[identity]" in text
    again = catherd("init", cwd=project, check=False)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_status_json_counts(project: Path, mirrors: dict[str, Path]) -> None:
    data = json.loads(catherd("status", "--json", cwd=project).stdout)
    expected = commit_count(mirrors["cloudpickle"]) + commit_count(mirrors["devstats"])
    assert data["repositories"] == 2 and data["commits"] == expected > 465 + 146
    assert data["people"] > 70 and data["identities"] >= data["people"]
    assert {s["name"] for s in data["sources"]} == {"cloudpickle", "devstats"}
    assert all(s["cursor"]["tips"] for s in data["sources"])
    human = catherd("status", cwd=project).stdout
    assert "commits" in human and "cloudpickle" in human


def test_sync_again_is_unchanged(project: Path) -> None:
    out = catherd("sync", cwd=project).stdout
    assert out.count("unchanged") == 2


def test_metrics_listing_and_json(project: Path) -> None:
    listing = json.loads(catherd("metrics", "--json", cwd=project).stdout)
    assert {
        "active_contributors",
        "new_contributors",
        "retention",
        "bus_factor",
        "elephant_factor",
        "org_diversity",
        "tenure",
        "commits",
        "breadth",
        "contributor_summary",
    } <= {m["name"] for m in listing}
    result = json.loads(
        catherd(
            "metrics",
            "active_contributors",
            "--by",
            "year",
            "--repo",
            "devstats",
            "--json",
            cwd=project,
        ).stdout
    )
    assert result["rows"][0]["period"] == "2023-01-01"
    table = catherd(
        "metrics", "commits", "--by", "quarter", "--since", "2024-01-01", cwd=project
    ).stdout
    assert "2024-Q1" in table
    bad = catherd("metrics", "commits", "--by", "week", cwd=project, check=False)
    assert bad.returncode == 2 and "choose one of" in bad.stderr and "Traceback" not in bad.stderr
    bad_date = catherd("metrics", "commits", "--since", "yesterday", cwd=project, check=False)
    assert bad_date.returncode == 2 and "not a date" in bad_date.stderr


def test_people_and_suggestions(project: Path) -> None:
    people = json.loads(catherd("people", "--json", "--limit", "5", cwd=project).stdout)
    assert len(people) == 5 and people[0]["identities"]
    assert people[0]["contributions"] >= people[-1]["contributions"]
    found = json.loads(catherd("people", "--json", "--search", "grisel", cwd=project).stdout)
    assert found and all(
        "grisel" in (i["name"] + i["email_key"]).lower() for p in found for i in p["identities"][:1]
    )
    suggestions = json.loads(catherd("people", "suggest", "--json", cwd=project).stdout)
    assert isinstance(suggestions, list)
    for s in suggestions:
        assert s["evidence"] and 0 < s["score"] <= 1


def test_report_is_self_contained_and_has_no_addresses(project: Path) -> None:
    out = project / "out"
    catherd("report", "-o", str(out), cwd=project)
    html = (out / "index.html").read_text()
    assert html.count("<svg") == 4
    assert "http://" not in html.replace("http://www.w3.org", "")  # nothing to fetch when opened
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", html), (
        "an e-mail address leaked into the report"
    )
    assert "Definitions" in html and 'id="def-bus_factor"' in html
    markdown = (out / "report.md").read_text()
    assert "## Top contributors" in markdown and "charts/contributors.svg" in markdown
    assert (out / "charts" / "contributors.svg").read_text().startswith("<svg")


def test_commands_on_a_missing_store_fail_cleanly(tmp_path: Path) -> None:
    proc = catherd("status", "--db", str(tmp_path / "none.duckdb"), cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "no catherd store" in proc.stderr
    assert not (tmp_path / "none.duckdb").exists()
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_text("this is not a database")
    proc = catherd("status", "--db", str(garbage), cwd=tmp_path, check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert garbage.read_text() == "this is not a database"
